//! `send DIR` always resumes: a part in flight when the sender died or lost the answer is sent
//! again as the same request, the simulator answers the replay 200, and every part ends up
//! stored exactly once. The store is checked by Python's sqlite3, not by our own code.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tilicheck::profile::Interface;

use crate::send::{acknowledged, journal, part_count, send_dir_command, split_parts};
use crate::simulator::{Sim, start_with};
use crate::support::output_text;

/// What the simulator's database says about a split load, read by Python's sqlite3: per
/// correlation ID the accepted messages, and per record the versions stored.
struct Stored {
    accepted_per_cid: Vec<(String, i64)>,
    accepted_total: i64,
    /// (uuid, versions) of every record.
    records: Vec<(String, i64)>,
}

fn stored(sim: &Sim, cids: &[String]) -> Stored {
    let db = sim._dir.path().join("register.sqlite");
    let script = r#"
import json, sqlite3, sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
cids = json.loads(sys.argv[2])
out = {
  "per_cid": [[cid, c.execute("SELECT count(*) FROM messages WHERE correlation_id = ? AND accepted = 1", (cid,)).fetchone()[0]] for cid in cids],
  "total": c.execute("SELECT count(*) FROM messages WHERE accepted = 1").fetchone()[0],
  "records": [list(r) for r in c.execute("SELECT uuid, versions FROM records")],
}
print(json.dumps(out))
"#;
    let cids = serde_json::to_string(cids).unwrap();
    let v = crate::support::python_json("Python sqlite3", script, [db.as_os_str(), cids.as_ref()]);
    let pairs = |v: &Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_i64().unwrap()))
            .collect()
    };
    Stored {
        accepted_per_cid: pairs(&v["per_cid"]),
        accepted_total: v["total"].as_i64().unwrap(),
        records: pairs(&v["records"]),
    }
}

/// Every record key of every part (the four record maps of an update).
fn records_in_parts(parts: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(parts).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("part-") && name.ends_with(".json")) {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for map in [
            "legalPersons",
            "customers",
            "accounts",
            "safetyDepositBoxes",
        ] {
            if let Some(m) = v.get(map).and_then(Value::as_object) {
                keys.extend(m.keys().cloned());
            }
        }
    }
    keys.sort();
    keys
}

/// Every part acknowledged in the journal, each stored exactly once, and nothing else stored.
fn assert_stored_exactly_once(sim: &Sim, parts: &Path) {
    let n = part_count(parts);
    let acked = acknowledged(&journal(parts));
    assert_eq!(acked.len(), n, "every part acknowledged in the journal");
    let s = stored(sim, &acked);
    for (cid, count) in &s.accepted_per_cid {
        assert_eq!(*count, 1, "{cid} stored {count} times");
    }
    assert_eq!(s.accepted_total, n as i64, "accepted messages = parts");
    let mut in_store: Vec<String> = s.records.iter().map(|(u, _)| u.clone()).collect();
    in_store.sort();
    in_store.dedup();
    let mut expected = records_in_parts(parts);
    expected.dedup();
    assert_eq!(
        in_store, expected,
        "the records stored are the parts' records"
    );
    let twice: Vec<_> = s.records.iter().filter(|(_, v)| *v != 1).collect();
    assert!(twice.is_empty(), "records stored more than once: {twice:?}");
}

#[test]
fn a_lost_answer_is_sent_again_and_stored_once() {
    // Every second request is stored and then its answer is lost.
    let sim = start_with(Interface::V3, |c| c.faults.lose_answer_every = Some(2));
    let dir = tempfile::tempdir().unwrap();
    let parts = split_parts(dir.path(), "600");
    let n = part_count(&parts);
    assert!(n >= 3, "{n} parts");

    // Without retries the run stops at the first lost answer: part 2 is stored, and the
    // journal says it is in flight.
    let out = send_dir_command(&sim, &parts)
        .args(["--retries", "0"])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let j = journal(&parts);
    let second = &j["parts"][1];
    assert_eq!(second["state"], "in_flight", "{j}");
    let cid = second["correlation_id"].as_str().unwrap().to_owned();
    assert_eq!(
        stored(&sim, std::slice::from_ref(&cid)).accepted_per_cid[0].1,
        1,
        "the simulator stored the part whose answer was lost"
    );

    // The resume sends it again as the same request: a replay, answered 200. Later lost
    // answers are retried within the run the same way.
    let out = send_dir_command(&sim, &parts).output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("acknowledged on resend: it was in flight when an earlier run stopped"),
        "{text}"
    );
    assert!(text.contains("retrying in"), "{text}");
    assert_stored_exactly_once(&sim, &parts);
    let replays = sim
        .api("/api/messages")
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["replay_of"].is_null())
        .count();
    assert!(replays >= 1, "the resend was answered as a replay");
}

/// A small deterministic generator, so the kill points are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn kill_9_at_random_points_then_resume_stores_every_part_once() {
    const KILLS: usize = 30;
    const LATENCY_MS: u64 = 100;
    let sim = start_with(Interface::V3, |c| {
        c.faults.latency = Some(Duration::from_millis(LATENCY_MS));
    });
    let dir = tempfile::tempdir().unwrap();
    let parts = split_parts(dir.path(), "6000");
    let n = part_count(&parts);
    // Each kill lets the sender make at most about one part of progress (it is killed within
    // 1.5 latencies of a part going in flight or of its start), so more parts than kills keep
    // it from finishing early however fast the machine is.
    assert!(n > KILLS, "{n} parts");
    let mut rng = Lcg(0x12b);
    let (mut kills, mut in_flight_at_kill, mut stored_unacknowledged) = (0usize, 0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(240);
    for _ in 0..KILLS * 3 {
        if kills == KILLS || Instant::now() > deadline {
            break;
        }
        let before = journal(&parts);
        let mut child = send_dir_command(&sim, &parts)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Half the kills land a random time after a part went in flight (or was
        // acknowledged), half a random time after the start (often before anything is sent).
        if rng.below(2) == 0 {
            let wait = Instant::now() + Duration::from_secs(30);
            while journal(&parts) == before
                && Instant::now() < wait
                && child.try_wait().unwrap().is_none()
            {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(LATENCY_MS * 3 / 2)));
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sender finished ({status}) before {KILLS} kills: make the load larger");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let j = journal(&parts);
        let flying: Vec<String> = j["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["state"] == "in_flight")
            .map(|p| p["correlation_id"].as_str().unwrap().to_owned())
            .collect();
        if !flying.is_empty() {
            in_flight_at_kill += 1;
            // Give a request the dead sender left behind time to finish on the server.
            std::thread::sleep(Duration::from_millis(150));
            if stored(&sim, &flying).accepted_per_cid[0].1 == 1 {
                stored_unacknowledged += 1;
            }
        }
    }
    eprintln!(
        "{kills} kills: {in_flight_at_kill} with a part in flight, {stored_unacknowledged} of those already stored; {} of {n} parts acknowledged before the resume",
        acknowledged(&journal(&parts)).len()
    );
    assert_eq!(kills, KILLS, "kills within the time bound");
    assert!(in_flight_at_kill > 0, "no kill left a part in flight");

    // Bounded by the sender's own connect, read and per-request timeouts.
    let out = send_dir_command(&sim, &parts).output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("all {n} parts sent one at a time")),
        "{text}"
    );
    assert_stored_exactly_once(&sim, &parts);
}
