//! Done-when of the daily loop: three days against the simulator (a full load; a day with new,
//! changed and vanished records; a day with a dispute and its cancellation), checked after
//! each day: the simulator holds the export (plus the vanished records as last sent, which
//! an update cannot delete), no unchanged record was sent, every role list sent was the
//! export's whole list, and the ledger is the simulator's state. Then the same days with the
//! client killed (SIGKILL) at random points and resumed: the same end state.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tilicheck::profile::Interface;

use crate::daily::{send_with_ledger, split};
use crate::ledger::{exported, generate, python_hashes};
use crate::message_diff::{next_day, python_delta, records_of};
use crate::send::send_dir_command;
use crate::simulator::{Sim, start_with};
use crate::support::tilicheck;

const SECTIONS: [(&str, &str); 4] = [
    ("legalPersons", "legalPerson"),
    ("customers", "customer"),
    ("accounts", "account"),
    ("safetyDepositBoxes", "safetyDepositBox"),
];

fn section_of(record_type: &str) -> &'static str {
    SECTIONS
        .iter()
        .find(|(_, t)| *t == record_type)
        .map(|(s, _)| *s)
        .unwrap_or_else(|| panic!("record type {record_type}"))
}

/// The simulator's records now: `section/key → (value, versions, state, correlation ID)`.
struct SimRecord {
    value: Value,
    versions: i64,
    state: String,
    correlation_id: String,
}

fn sim_state(sim: &Sim) -> BTreeMap<String, SimRecord> {
    let mut out = BTreeMap::new();
    let mut offset = 0;
    loop {
        let page = sim.api(&format!("/api/state?offset={offset}&limit=500"));
        for r in page["records"].as_array().unwrap() {
            assert_eq!(r["sender"], "1234567-1");
            out.insert(
                format!(
                    "{}/{}",
                    section_of(r["record_type"].as_str().unwrap()),
                    r["uuid"].as_str().unwrap()
                ),
                SimRecord {
                    value: r["value"].clone(),
                    versions: r["versions"].as_i64().unwrap(),
                    state: r["state"].as_str().unwrap().to_owned(),
                    correlation_id: r["correlation_id"].as_str().unwrap().to_owned(),
                },
            );
        }
        match page["next_offset"].as_u64() {
            Some(n) => offset = n,
            None => break,
        }
    }
    out
}

/// What the test expects of the register after each day.
#[derive(Default)]
struct Expected {
    /// Every record ever sent, as last sent.
    values: BTreeMap<String, Value>,
    /// How many days each record was sent on.
    sent_days: BTreeMap<String, i64>,
    /// §4.3 states that are not normal.
    states: BTreeMap<String, String>,
}

/// The records of every part in `parts` (what was sent that day).
fn sent_in(parts: &Path) -> Map<String, Value> {
    let mut out = Map::new();
    for e in std::fs::read_dir(parts).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("part-")
        {
            for (k, v) in records_of(&p) {
                assert!(
                    out.insert(k.clone(), v).is_none(),
                    "{k} sent twice in a day"
                );
            }
        }
    }
    out
}

/// After a day: the simulator holds the export and what vanished from it, each record sent
/// on exactly the days the oracle's delta named it, and the ledger agrees record for record.
fn check_day(day: &str, sim: &Sim, export: &Path, expected: &Expected, ledger: &Path, dir: &Path) {
    let state = sim_state(sim);
    let in_export = records_of(export);
    assert_eq!(
        state.keys().collect::<BTreeSet<_>>(),
        expected.values.keys().collect::<BTreeSet<_>>(),
        "{day}: the records the register holds"
    );
    for (k, v) in &in_export {
        assert_eq!(&state[k].value, v, "{day}: {k} as the export has it");
    }
    for (k, r) in &state {
        assert_eq!(&r.value, &expected.values[k], "{day}: {k} as last sent");
        assert_eq!(
            r.versions, expected.sent_days[k],
            "{day}: {k} was sent on another number of days: an unchanged record went again"
        );
        let want = expected.states.get(k).map_or("normal", String::as_str);
        assert_eq!(r.state, want, "{day}: {k}'s state");
    }
    // The ledger is the register's state: same records, same hash (Python's canonical JSON of
    // the simulator's value), same X-Correlation-ID, same state.
    let mut as_report = Map::new();
    for (k, r) in &state {
        let (s, key) = k.split_once('/').unwrap();
        as_report
            .entry(s)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), r.value.clone());
    }
    let state_file = dir.join(format!("{day}-state.json"));
    std::fs::write(&state_file, Value::Object(as_report).to_string()).unwrap();
    let sim_hashes = python_hashes(&state_file);
    let lines = exported(ledger);
    assert_eq!(
        lines.keys().collect::<Vec<_>>(),
        state.keys().collect::<Vec<_>>(),
        "{day}: ledger and register hold the same records"
    );
    let show = tilicheck()
        .args(["ledger", "show", "--format", "json", "--ledger"])
        .arg(ledger)
        .output()
        .unwrap();
    let show: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(
        show["in_flight"],
        serde_json::json!([]),
        "{day}: nothing left in flight"
    );
    for (k, line) in &lines {
        assert_eq!(line["sha256"], sim_hashes[k].as_str(), "{day}: {k}'s hash");
        assert_eq!(
            line["correlation_id"],
            state[k].correlation_id.as_str(),
            "{day}: {k}'s X-Correlation-ID"
        );
        assert_eq!(line["state"], state[k].state.as_str(), "{day}: {k}'s state");
    }
}

/// Record what a day sent: each record once, and every role list the export's whole list.
fn note_sent(day: &str, parts: &Path, export: &Path, expected: &mut Expected) {
    let in_export = records_of(export);
    for (k, v) in sent_in(parts) {
        // Accounts and boxes carry roles; an organisation carries its beneficiaries' roles.
        let roles = |r: &Value| {
            r.get("roles")
                .or_else(|| r.get("organisation").and_then(|o| o.get("roles")))
                .cloned()
        };
        assert_eq!(
            roles(&v),
            roles(&in_export[&k]),
            "{day}: {k}'s role list is the whole list"
        );
        *expected.sent_days.entry(k.clone()).or_insert(0) += 1;
        expected.values.insert(k, v);
    }
}

/// How a day's sends are run: straight through, or killed at random points and resumed.
trait Runner {
    fn send(&mut self, sim: &Sim, path: &Path, ledger: &Path);
}

struct Straight;

impl Runner for Straight {
    fn send(&mut self, sim: &Sim, path: &Path, ledger: &Path) {
        let o = send_with_ledger(sim, path, ledger);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Kills each send with SIGKILL a random time after its start, a bounded number of times,
/// then lets it finish.
struct Killer {
    rng: u64,
    kills: usize,
    /// Kills that left a part in flight (sent, not answered) in the journal.
    in_flight: usize,
    per_send: usize,
    deadline: Instant,
}

impl Killer {
    fn below(&mut self, n: u64) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.rng >> 33) % n
    }
}

impl Runner for Killer {
    fn send(&mut self, sim: &Sim, path: &Path, ledger: &Path) {
        for _ in 0..self.per_send {
            if Instant::now() > self.deadline {
                break;
            }
            let mut child = send_dir_command(sim, path)
                .arg("--ledger")
                .arg(ledger)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(self.below(400)));
            if child.try_wait().unwrap().is_some() {
                break;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            self.kills += 1;
            let j = crate::send::journal(path);
            if j["parts"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["state"] == "in_flight"))
            {
                self.in_flight += 1;
            }
            // A request the dead sender left behind finishes on the server meanwhile.
            std::thread::sleep(Duration::from_millis(self.below(150)));
        }
        Straight.send(sim, path, ledger);
    }
}

fn three_days(sim: &Sim, dir: &Path, accounts: &str, runner: &mut dyn Runner) {
    let d = |n: &str| -> PathBuf { dir.join(n) };
    let ledger = d("ledger.sqlite");
    let mut expected = Expected::default();

    // Day 1: the full load, split and sent as it is.
    generate(&d("day1.json"), accounts, "41");
    split(&d("day1.json"), &d("parts1"));
    runner.send(sim, &d("parts1"), &ledger);
    note_sent("day 1", &d("parts1"), &d("day1.json"), &mut expected);
    check_day("day 1", sim, &d("day1.json"), &expected, &ledger, dir);

    // Day 2: new, changed and vanished records; only the delta goes.
    next_day(&d("day1.json"), &d("day2.json"), 17);
    let o = tilicheck()
        .args(["message", "diff", "--format", "json"])
        .arg(d("day2.json"))
        .arg("--ledger")
        .arg(&ledger)
        .arg("--out")
        .arg(d("delta2.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let oracle = python_delta(&d("day1.json"), &d("day2.json"));
    let delta = records_of(&d("delta2.json"));
    assert_eq!(
        delta.keys().collect::<Vec<_>>(),
        oracle["changed"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        "day 2: the delta is what changed"
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let detail = report["findings"][0]["detail"].as_str().unwrap().to_owned();
    let vanished = oracle["vanished"].as_array().unwrap();
    assert!(!vanished.is_empty());
    for k in vanished {
        assert!(
            detail.contains(k.as_str().unwrap().split('/').nth(1).unwrap()),
            "{detail}"
        );
    }
    split(&d("delta2.json"), &d("parts2"));
    runner.send(sim, &d("parts2"), &ledger);
    note_sent("day 2", &d("parts2"), &d("day2.json"), &mut expected);
    check_day("day 2", sim, &d("day2.json"), &expected, &ledger, dir);

    // Day 3: the export did not change (nothing to send), an account is disputed and the
    // dispute cancelled, a legal person reported incorrect; after that it stays incorrect.
    let o = tilicheck()
        .args(["message", "diff"])
        .arg(d("day2.json"))
        .arg("--ledger")
        .arg(&ledger)
        .arg("--out")
        .arg(d("delta3.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        records_of(&d("delta3.json")).is_empty(),
        "an unchanged day sends nothing"
    );
    let day2 = records_of(&d("day2.json"));
    let account = day2
        .keys()
        .find(|k| k.starts_with("accounts/"))
        .unwrap()
        .clone();
    let person = day2
        .keys()
        .find(|k| k.starts_with("legalPersons/"))
        .unwrap()
        .clone();
    let key = |k: &str| k.split('/').nth(1).unwrap().to_owned();
    let dispute = |args: &[&str], out: &str| {
        let o = tilicheck()
            .args(["message", "dispute"])
            .args(args)
            .arg("--ledger")
            .arg(&ledger)
            .arg("--out")
            .arg(d(out))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(dispute(&[&key(&account)], "dispute").0, Some(0));
    runner.send(sim, &d("dispute"), &ledger);
    expected.states.insert(account.clone(), "disputed".into());
    check_day(
        "day 3 (disputed)",
        sim,
        &d("day2.json"),
        &expected,
        &ledger,
        dir,
    );
    // The report named the update that last carried the account, and the register took it.
    let named: Value =
        serde_json::from_slice(&std::fs::read(d("dispute/part-000001.json")).unwrap()).unwrap();
    assert_eq!(
        named["correlationId"],
        exported(&ledger)[&account]["correlation_id"]
    );

    assert_eq!(dispute(&["--cancel", &key(&account)], "cancel").0, Some(0));
    assert_eq!(
        dispute(&["--incorrect", &key(&person)], "incorrect").0,
        Some(0)
    );
    runner.send(sim, &d("cancel"), &ledger);
    runner.send(sim, &d("incorrect"), &ledger);
    expected.states.remove(&account);
    expected.states.insert(person.clone(), "incorrect".into());
    check_day(
        "day 3 (cancelled)",
        sim,
        &d("day2.json"),
        &expected,
        &ledger,
        dir,
    );
    // The inspection API: a changed record's value now and its history, with the update
    // that carried each version; the account's state changes.
    let day1 = records_of(&d("day1.json"));
    let changed = delta.keys().find(|k| day1.contains_key(*k)).unwrap();
    let (section, uuid) = changed.split_once('/').unwrap();
    let found = sim.api(&format!("/api/records/{uuid}"));
    let r = found
        .as_array()
        .unwrap()
        .iter()
        .find(|r| section_of(r["record_type"].as_str().unwrap()) == section)
        .unwrap();
    assert_eq!(r["value"], delta[changed], "{r}");
    let history = r["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{r}");
    assert_eq!(history[0]["value"], day1[changed]);
    assert_eq!(history[1]["value"], delta[changed]);
    assert_eq!(history[1]["correlation_id"], r["correlation_id"]);
    assert!(history[0]["received_at"].is_string(), "{r}");
    let found = sim.api(&format!("/api/records/{}", key(&account)));
    let changes: Vec<(String, String)> = found[0]["state_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["from_state"].as_str().unwrap().to_owned(),
                c["to_state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("normal".into(), "disputed".into()),
            ("disputed".into(), "normal".into())
        ]
    );

    let none = sim.api("/api/records/0b6e2a3c-2f7e-4f53-9b8a-2d6f4f9b1c11");
    assert!(
        none["message"]
            .as_str()
            .unwrap()
            .contains("has been stored"),
        "{none}"
    );

    let (code, text) = dispute(&[&key(&person)], "again");
    assert_eq!(code, Some(1), "incorrect → disputable is refused: {text}");
    assert!(text.contains("can no longer be changed"), "{text}");
}

#[test]
fn three_days_end_with_the_register_holding_the_export_and_the_ledger_agreeing() {
    let sim = start_with(Interface::V3, |_| {});
    let dir = tempfile::tempdir().unwrap();
    three_days(&sim, dir.path(), "120", &mut Straight);

    // A second register loaded once with day 2's export in full holds what the first holds
    // after a full load and a day of deltas, but for the records that vanished from the
    // export (the first still holds them, as an update cannot delete).
    let fresh = start_with(Interface::V3, |_| {});
    split(&dir.path().join("day2.json"), &dir.path().join("full2"));
    Straight.send(
        &fresh,
        &dir.path().join("full2"),
        &dir.path().join("fresh.sqlite"),
    );
    let once = sim_state(&fresh);
    let daily = sim_state(&sim);
    for (k, r) in &once {
        assert_eq!(r.value, daily[k].value, "{k}");
    }
    let extra: Vec<&String> = daily.keys().filter(|k| !once.contains_key(*k)).collect();
    let vanished = python_delta(&dir.path().join("day1.json"), &dir.path().join("day2.json"));
    let vanished: Vec<&str> = vanished["vanished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(extra, vanished);
}

#[test]
fn three_days_with_the_client_killed_at_random_points_end_the_same() {
    // Latency makes a kill often land with a part in flight (sent, not yet answered).
    let sim = start_with(Interface::V3, |c| {
        c.faults.latency = Some(Duration::from_millis(120));
    });
    let dir = tempfile::tempdir().unwrap();
    let mut killer = Killer {
        rng: 0x18,
        kills: 0,
        in_flight: 0,
        per_send: 6,
        deadline: Instant::now() + Duration::from_secs(150),
    };
    // A larger load: more parts, so kills land between them.
    three_days(&sim, dir.path(), "600", &mut killer);
    eprintln!(
        "{} kills, {} with a part in flight",
        killer.kills, killer.in_flight
    );
    assert!(killer.kills >= 4, "only {} kills landed", killer.kills);
    assert!(killer.in_flight > 0, "no kill left a part in flight");
}
