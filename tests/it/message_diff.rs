//! `message diff`: the delta is what Python's json module says changed (records compared as
//! canonical JSON, an oracle independent of our hashing), it validates and splits as any
//! update, and the ledger and the earlier export give the same delta.

use std::path::Path;

use serde_json::Value;

use crate::ledger::{CID, generate};
use crate::support::{python, python_json, tilicheck};

/// Rewrite `old` into `new` the way a day changes an export, in Python: rename people, add a
/// role to accounts (the list stays whole), add records, drop some, and write everything in
/// another key order and layout (which changes nothing).
pub fn next_day(old: &Path, new: &Path, seed: u32) {
    let script = r#"
import json, random, sys, uuid
r = json.load(open(sys.argv[1], encoding='utf-8'))
rnd = random.Random(int(sys.argv[3]))
persons = list(r['legalPersons'])
for k in rnd.sample(persons, 3):
    p = r['legalPersons'][k]
    if 'privatePerson' in p:
        p['privatePerson']['fullName'] += ' Uusi'
    else:
        p['organisation']['name'] += ' Uusi'
accounts = list(r['accounts'])
for k in rnd.sample(accounts, 2):
    a = r['accounts'][k]
    a['roles'].append({'type': 'access', 'legalPersonReference': rnd.choice(persons), 'startDate': '2025-06-01'})
gone = rnd.sample([a for a in accounts], 2)
for k in gone:
    del r['accounts'][k]
for _ in range(2):
    p = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    r['legalPersons'][p] = {'privatePerson': {'fullName': 'Uusi, Asiakas', 'birthDate': '1990-01-01', 'hetu': '010190-900P'}}
    r['customers'][p] = {'startDate': '2025-06-01'}
    r['accounts'][str(uuid.UUID(int=rnd.getrandbits(128), version=4))] = {
        'id': {'iban': 'FI2112345600000785'}, 'openingDate': '2025-06-01',
        'roles': [{'type': 'owner', 'legalPersonReference': p, 'startDate': '2025-06-01'}]}
def shuffle(v):
    if isinstance(v, dict):
        items = list(v.items())
        rnd.shuffle(items)
        return {k: shuffle(x) for k, x in items}
    if isinstance(v, list):
        return [shuffle(x) for x in v]
    return v
r['creationDateTime'] = '2026-01-02T06:00:00.000'
json.dump(shuffle(r), open(sys.argv[2], 'w', encoding='utf-8'), indent=3, ensure_ascii=False)
"#;
    python(
        "Python next-day export",
        script,
        [old.as_os_str(), new.as_os_str(), seed.to_string().as_ref()],
    );
}

/// Python's delta of two exports: the records of `new` whose canonical JSON differs from
/// `old`'s or that `old` lacks, the keys that vanished, and counts per map.
pub fn python_delta(old: &Path, new: &Path) -> Value {
    let script = r#"
import json, sys
old = json.load(open(sys.argv[1], encoding='utf-8'))
new = json.load(open(sys.argv[2], encoding='utf-8'))
c = lambda v: json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
out = {'changed': {}, 'vanished': [], 'counts': {}}
for s in ('legalPersons', 'customers', 'accounts', 'safetyDepositBoxes'):
    o, n = old.get(s, {}), new.get(s, {})
    cnt = {'new': 0, 'changed': 0, 'unchanged': 0, 'vanished': 0}
    for k, v in n.items():
        if k not in o:
            cnt['new'] += 1; out['changed'][s + '/' + k] = v
        elif c(o[k]) != c(v):
            cnt['changed'] += 1; out['changed'][s + '/' + k] = v
        else:
            cnt['unchanged'] += 1
    for k in o:
        if k not in n:
            cnt['vanished'] += 1; out['vanished'].append(s + '/' + k)
    out['counts'][s] = cnt
print(json.dumps(out))
"#;
    python_json("Python delta", script, [old.as_os_str(), new.as_os_str()])
}

/// The records of an update report as `section/key → value`.
pub fn records_of(report: &Path) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let mut out = serde_json::Map::new();
    for s in [
        "legalPersons",
        "customers",
        "accounts",
        "safetyDepositBoxes",
    ] {
        if let Some(m) = v.get(s).and_then(Value::as_object) {
            for (k, r) in m {
                out.insert(format!("{s}/{k}"), r.clone());
            }
        }
    }
    out
}

fn diff(args: &[&std::ffi::OsStr]) -> std::process::Output {
    tilicheck()
        .args(["message", "diff", "--format", "json"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_delta_is_what_changed_and_it_validates_and_splits() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    generate(&d("day1.json"), "150", "11");
    next_day(&d("day1.json"), &d("day2.json"), 5);
    let ledger = d("ledger.sqlite");
    let out = tilicheck()
        .args(["ledger", "import"])
        .arg(d("day1.json"))
        .args(["--correlation-id", CID, "--category", "2", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let by_ledger = diff(&[
        d("day2.json").as_os_str(),
        "--ledger".as_ref(),
        ledger.as_os_str(),
        "--out".as_ref(),
        d("delta.json").as_os_str(),
    ]);
    assert_eq!(by_ledger.status.code(), Some(0), "{by_ledger:?}");
    let by_export = diff(&[
        d("day2.json").as_os_str(),
        "--previous".as_ref(),
        d("day1.json").as_os_str(),
        "--out".as_ref(),
        d("delta2.json").as_os_str(),
    ]);
    assert_eq!(by_export.status.code(), Some(0), "{by_export:?}");
    assert_eq!(
        std::fs::read(d("delta.json")).unwrap(),
        std::fs::read(d("delta2.json")).unwrap(),
        "ledger and earlier export give the same delta"
    );

    let expected = python_delta(&d("day1.json"), &d("day2.json"));
    let got = records_of(&d("delta.json"));
    let changed = expected["changed"].as_object().unwrap();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        changed.keys().collect::<Vec<_>>(),
        "exactly the new and changed records"
    );
    for (k, v) in &got {
        assert_eq!(v, &changed[k], "{k} is the export's record, whole");
    }
    assert!(got.len() >= 9, "{} records", got.len());
    // Accounts whose role list grew carry the whole list.
    let day2 = records_of(&d("day2.json"));
    for (k, v) in got.iter().filter(|(k, _)| k.starts_with("accounts/")) {
        assert_eq!(v["roles"], day2[k]["roles"]);
    }

    // The report: counts per map and the vanished records as a DAILY-VANISHED warning.
    let report: Value = serde_json::from_slice(&by_ledger.stdout).unwrap();
    let summary = &report["subjects"][0]["summary"];
    for (i, s) in [
        "legalPersons",
        "customers",
        "accounts",
        "safetyDepositBoxes",
    ]
    .iter()
    .enumerate()
    {
        let c = &expected["counts"][s];
        assert_eq!(summary[i + 1]["label"], *s);
        assert_eq!(
            summary[i + 1]["value"],
            format!(
                "{} new, {} changed, {} unchanged, {} vanished",
                c["new"], c["changed"], c["unchanged"], c["vanished"]
            )
        );
    }
    let vanished = &report["findings"][0];
    assert_eq!(vanished["id"], "DAILY-VANISHED");
    assert_eq!(vanished["status"], "warn");
    for k in expected["vanished"].as_array().unwrap() {
        let key = k.as_str().unwrap().split('/').nth(1).unwrap();
        assert!(
            vanished["detail"].as_str().unwrap().contains(key),
            "{vanished}"
        );
    }
    assert!(
        vanished["remedy"].as_str().unwrap().contains("closingDate"),
        "{vanished}"
    );
    // Under --strict the warning fails the run.
    let strict = tilicheck()
        .args(["message", "diff", "--strict"])
        .arg(d("day2.json"))
        .arg("--ledger")
        .arg(&ledger)
        .arg("--out")
        .arg(d("delta3.json"))
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));

    // The delta is an ordinary update: it validates (references to records sent earlier are
    // a warning) and splits.
    let v = tilicheck()
        .args(["message", "validate"])
        .arg(d("delta.json"))
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    let s = tilicheck()
        .args(["message", "split"])
        .arg(d("delta.json"))
        .arg("--out")
        .arg(d("parts"))
        .output()
        .unwrap();
    assert_eq!(s.status.code(), Some(0), "{s:?}");
}

#[test]
fn diff_refuses_without_a_baseline_it_can_trust_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    generate(&d("day1.json"), "5", "1");
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // No ledger yet: the first load is sent as it is.
    let o = diff(&[
        d("day1.json").as_os_str(),
        "--ledger".as_ref(),
        d("none.sqlite").as_os_str(),
        "--out".as_ref(),
        d("out.json").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(
        stderr(&o).contains("For the first, full load send the export itself"),
        "{}",
        stderr(&o)
    );
    // Neither --ledger, --previous nor a supplier for the default ledger.
    let o = diff(&[
        d("day1.json").as_os_str(),
        "--out".as_ref(),
        d("out.json").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // Another supplier's earlier export.
    let other = d("other.json");
    let g = tilicheck()
        .args([
            "message",
            "generate",
            "--records",
            "2",
            "--business-id",
            "7654321-2",
            "-o",
        ])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(g.status.code(), Some(0));
    let o = diff(&[
        d("day1.json").as_os_str(),
        "--previous".as_ref(),
        other.as_os_str(),
        "--out".as_ref(),
        d("out.json").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(
        stderr(&o).contains("the baseline is 7654321-2's"),
        "{}",
        stderr(&o)
    );
    // A broken export: its place is named.
    std::fs::write(
        d("broken.json"),
        "{\"senderBusinessId\":\"1234567-1\",\"accounts\":{\"x\":1}}",
    )
    .unwrap();
    let o = diff(&[
        d("broken.json").as_os_str(),
        "--previous".as_ref(),
        d("day1.json").as_os_str(),
        "--out".as_ref(),
        d("out.json").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(
        stderr(&o).contains("record key \"x\" in accounts is not a UUID"),
        "{}",
        stderr(&o)
    );
    assert!(!d("out.json").exists(), "no output");
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// `message diff` and `message dispute` write reports of the documented form.
#[test]
fn diff_and_dispute_reports_conform_to_the_report_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    generate(&d("day1.json"), "20", "4");
    next_day(&d("day1.json"), &d("day2.json"), 3);
    let ledger = d("l.sqlite");
    let o = tilicheck()
        .args(["ledger", "import"])
        .arg(d("day1.json"))
        .args(["--correlation-id", CID, "--category", "2", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let diffed = diff(&[
        d("day2.json").as_os_str(),
        "--ledger".as_ref(),
        ledger.as_os_str(),
        "--out".as_ref(),
        d("delta.json").as_os_str(),
    ]);
    let key = records_of(&d("day1.json"))
        .keys()
        .find(|k| k.starts_with("accounts/"))
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .to_owned();
    let disputed = |args: &[&str], out: &str| {
        tilicheck()
            .args(["message", "dispute", "--format", "json"])
            .args(args)
            .arg("--ledger")
            .arg(&ledger)
            .arg("--out")
            .arg(d(out))
            .output()
            .unwrap()
    };
    let ok = disputed(&[&key], "ok");
    let refused = disputed(&["--cancel", &key], "no");
    assert_eq!(refused.status.code(), Some(1));
    for out in [diffed, ok, refused] {
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{doc}");
    }
}
