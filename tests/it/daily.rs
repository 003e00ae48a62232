//! The daily loop against the simulator: `send --ledger` records exactly what the register
//! acknowledged, `message diff` sends only what changed, `message dispute` names the right
//! update, and the simulator's state after days of deltas is the export's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tilicheck::profile::Interface;

use crate::ledger::{exported, generate, python_hashes};
use crate::message_diff::{next_day, records_of};
use crate::send::{journal, send_dir_command};
use crate::simulator::{Sim, start_with};
use crate::support::output_text;
use crate::support::tilicheck;

/// `send PATH --ledger LEDGER` to the simulator.
pub fn send_with_ledger(sim: &Sim, path: &Path, ledger: &Path) -> std::process::Output {
    send_dir_command(sim, path)
        .arg("--ledger")
        .arg(ledger)
        .output()
        .unwrap()
}

pub fn split(report: &Path, out: &Path) {
    let o = tilicheck()
        .args(["message", "split"])
        .arg(report)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// `section/key → correlation ID of the part that carried it`, from the parts and journal.
pub fn carried_by(parts: &Path) -> BTreeMap<String, String> {
    let j = journal(parts);
    let mut out = BTreeMap::new();
    for p in j["parts"].as_array().unwrap() {
        assert_eq!(p["state"], "acknowledged", "{j}");
        let file = parts.join(p["file"].as_str().unwrap());
        for k in records_of(&file).keys() {
            out.insert(k.clone(), p["correlation_id"].as_str().unwrap().to_owned());
        }
    }
    out
}

fn dir_path(d: &tempfile::TempDir, n: &str) -> PathBuf {
    d.path().join(n)
}

#[test]
fn send_ledger_records_each_acknowledged_part_and_a_lost_answer_once_resent() {
    // Every second request is stored and its answer lost. Day 1's parts each get one lost
    // answer and a resend within the run (an odd number of requests in all), so the delta
    // below, the next request, loses its answer.
    let sim = start_with(Interface::V3, |c| c.faults.lose_answer_every = Some(2));
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir_path(&dir, n);
    let ledger = d("ledger.sqlite");
    generate(&d("day1.json"), "300", "21");
    split(&d("day1.json"), &d("parts1"));
    let o = send_with_ledger(&sim, &d("parts1"), &ledger);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("record(s) recorded in"),
        "{}",
        output_text(&o)
    );

    // Every record, with Python's hash and the X-Correlation-ID of the part that carried it.
    let lines = exported(&ledger);
    let hashes = python_hashes(&d("day1.json"));
    let carried = carried_by(&d("parts1"));
    assert_eq!(
        lines.keys().collect::<Vec<_>>(),
        hashes.keys().collect::<Vec<_>>()
    );
    for (k, line) in &lines {
        assert_eq!(line["sha256"], hashes[k].as_str(), "{k}");
        assert_eq!(line["correlation_id"], carried[k].as_str(), "{k}");
        assert_eq!(line["category"], 2);
    }

    // A single file: the day's delta, its answer lost once. The first run leaves it in
    // flight and records nothing; the second sends the same request, gets the replay's 200
    // and records it.
    next_day(&d("day1.json"), &d("day2.json"), 9);
    let o = tilicheck()
        .args(["message", "diff"])
        .arg(d("day2.json"))
        .arg("--ledger")
        .arg(&ledger)
        .arg("--out")
        .arg(d("delta.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = send_dir_command(&sim, &d("delta.json"))
        .arg("--ledger")
        .arg(&ledger)
        .args(["--retries", "0"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("in flight under"),
        "{}",
        output_text(&o)
    );
    let show = tilicheck()
        .args(["ledger", "show", "--format", "json", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&show.stdout).unwrap();
    let flying = v["in_flight"].as_array().unwrap();
    assert_eq!(flying.len(), 1, "{v}");
    let cid = flying[0]["correlation_id"].as_str().unwrap().to_owned();
    assert_eq!(exported(&ledger), lines, "nothing recorded without a 200");
    // diff says so, and sends those records again.
    let o = tilicheck()
        .args(["message", "diff"])
        .arg(d("day2.json"))
        .arg("--ledger")
        .arg(&ledger)
        .arg("--out")
        .arg(d("delta-again.json"))
        .output()
        .unwrap();
    assert!(
        output_text(&o).contains("was not answered 200 when its send stopped"),
        "{}",
        output_text(&o)
    );

    // The resend: the register stored the first attempt and answers the replay 200.
    let o = send_with_ledger(&sim, &d("delta.json"), &ledger);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let after = exported(&ledger);
    let day2 = python_hashes(&d("day2.json"));
    let delta = records_of(&d("delta.json"));
    for k in delta.keys() {
        assert_eq!(after[k]["sha256"], day2[k].as_str(), "{k}");
    }
    let v: Value = serde_json::from_slice(
        &tilicheck()
            .args(["ledger", "show", "--format", "json", "--ledger"])
            .arg(&ledger)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(v["in_flight"].as_array().unwrap().is_empty(), "{v}");
    assert!(
        output_text(&o).contains("record(s) recorded in"),
        "{}",
        output_text(&o)
    );
    for k in delta.keys() {
        assert_eq!(after[k]["correlation_id"], cid.as_str(), "{k}");
    }
    let messages = sim.api("/api/messages");
    let with_cid: Vec<&Value> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["correlation_id"] == cid.as_str())
        .collect();
    assert_eq!(with_cid.len(), 2, "{with_cid:?}");
    assert_eq!(
        with_cid.iter().filter(|m| m["accepted"] == true).count(),
        1,
        "stored once, by the first attempt"
    );
    assert!(
        !with_cid[0]["replay_of"].is_null(),
        "the resend was a replay"
    );
}

/// `message dispute` against a ledger (imported: no register needed to build the reports).
#[test]
fn dispute_names_the_ledgers_correlation_id_and_refuses_what_section_4_3_forbids() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir_path(&dir, n);
    let ledger = d("ledger.sqlite");
    generate(&d("e.json"), "4", "2");
    let o = tilicheck()
        .args(["ledger", "import"])
        .arg(d("e.json"))
        .args([
            "--correlation-id",
            crate::ledger::CID,
            "--category",
            "2",
            "--ledger",
        ])
        .arg(&ledger)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let records = records_of(&d("e.json"));
    let account = records.keys().find(|k| k.starts_with("accounts/")).unwrap();
    let account = account.split('/').nth(1).unwrap().to_owned();
    let person = records
        .keys()
        .find(|k| k.starts_with("legalPersons/"))
        .unwrap();
    let person = person.split('/').nth(1).unwrap().to_owned();
    let dispute = |args: &[&str], out: &str| {
        tilicheck()
            .args(["message", "dispute"])
            .args(args)
            .arg("--ledger")
            .arg(&ledger)
            .arg("--out")
            .arg(d(out))
            .output()
            .unwrap()
    };

    let o = dispute(&[&account, &person], "two");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let one: Value =
        serde_json::from_slice(&std::fs::read(d("two/part-000001.json")).unwrap()).unwrap();
    assert_eq!(
        one,
        serde_json::json!({"referredEntityId": account, "correlationId": crate::ledger::CID, "disputed": true})
    );
    let two: Value =
        serde_json::from_slice(&std::fs::read(d("two/part-000002.json")).unwrap()).unwrap();
    assert_eq!(two["referredEntityId"], person.as_str());
    // Each validates against the official schema.
    for part in ["two/part-000001.json", "two/part-000002.json"] {
        let v = tilicheck()
            .args(["message", "validate"])
            .arg(d(part))
            .output()
            .unwrap();
        assert_eq!(v.status.code(), Some(0), "{v:?}");
    }
    let o = dispute(&["--incorrect", &account], "incorrect");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let inc: Value =
        serde_json::from_slice(&std::fs::read(d("incorrect/part-000001.json")).unwrap()).unwrap();
    assert_eq!(
        inc,
        serde_json::json!({"referredEntityId": account, "correlationId": crate::ledger::CID})
    );

    // Refused, with nothing written: an unknown key, a cancel with no dispute, a key twice.
    let unknown = "0b6e2a3c-2f7e-4f53-9b8a-2d6f4f9b1c11";
    for (args, why) in [
        (vec![unknown], "holds no record with this key"),
        (
            vec!["--cancel", account.as_str()],
            "there is no dispute to cancel",
        ),
        (vec![account.as_str(), account.as_str()], "given twice"),
    ] {
        let o = dispute(&args, "refused");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", output_text(&o));
        assert!(
            output_text(&o).contains(why),
            "{args:?}: {}",
            output_text(&o)
        );
        assert!(
            output_text(&o).contains("DISPUTE-STATE"),
            "{}",
            output_text(&o)
        );
        assert!(!d("refused").exists(), "{args:?} wrote output");
    }
    // --incorrect and --cancel do not go together (an incorrect report cannot be cancelled).
    let o = dispute(&["--incorrect", "--cancel", &account], "x");
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

/// Parts sent by `send DIR` without a ledger are taken over from the journal when the same
/// command is run again with `--ledger`: nothing is sent again.
#[test]
fn a_load_sent_without_a_ledger_is_recorded_from_its_journal() {
    let sim = start_with(Interface::V3, |_| {});
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir_path(&dir, n);
    generate(&d("day1.json"), "200", "5");
    split(&d("day1.json"), &d("parts"));
    let o = send_dir_command(&sim, &d("parts")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let sent = sim.api("/api/messages").as_array().unwrap().len();

    let ledger = d("ledger.sqlite");
    let o = send_with_ledger(&sim, &d("parts"), &ledger);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("from the journal"),
        "{}",
        output_text(&o)
    );
    assert_eq!(
        sim.api("/api/messages").as_array().unwrap().len(),
        sent,
        "nothing sent again"
    );
    let lines = exported(&ledger);
    let hashes = python_hashes(&d("day1.json"));
    let carried = carried_by(&d("parts"));
    assert_eq!(lines.len(), hashes.len());
    for (k, line) in &lines {
        assert_eq!(line["sha256"], hashes[k].as_str(), "{k}");
        assert_eq!(line["correlation_id"], carried[k].as_str(), "{k}");
    }
}

/// `--default-ledger` and `--business-id` find one ledger per supplier and interface in the
/// data directory.
#[test]
fn the_default_ledger_is_one_file_per_supplier_and_interface() {
    let sim = start_with(Interface::V3, |_| {});
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir_path(&dir, n);
    let data = d("data");
    generate(&d("report.json"), "3", "8");
    let o = send_dir_command(&sim, &d("report.json"))
        .arg("--default-ledger")
        .env("TILICHECK_DATA_DIR", &data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(data.join("ledgers/1234567-1-v3.sqlite").is_file());
    let o = tilicheck()
        .args(["message", "diff"])
        .arg(d("report.json"))
        .args(["--business-id", "1234567-1", "--out"])
        .arg(d("delta.json"))
        .env("TILICHECK_DATA_DIR", &data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(
        records_of(&d("delta.json")).is_empty(),
        "everything acknowledged"
    );
    // Another interface's default ledger is another file, and does not exist yet.
    let o = tilicheck()
        .args([
            "ledger",
            "show",
            "--interface",
            "v1.0.4",
            "--business-id",
            "1234567-1",
        ])
        .env("TILICHECK_DATA_DIR", &data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("1234567-1-v1.0.4.sqlite"),
        "{}",
        output_text(&o)
    );
}
