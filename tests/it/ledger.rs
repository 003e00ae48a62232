//! `ledger import|show|export`: the hashes the ledger keeps are SHA-256 of canonical JSON as
//! Python's json module writes it (sorted keys, no whitespace, non-ASCII kept), an oracle
//! independent of our canonicaliser. (Python reads numbers into floats and would write
//! `1E2` as `100.0`; the reports compared here hold integers only, which both write alike.)

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{python_json, tilicheck};

pub const CID: &str = "6a4dcb0a-a8d4-441b-9072-663db803b0e6";

/// Python's `section/key → sha256(canonical JSON)` of every record of a report.
pub fn python_hashes(report: &Path) -> BTreeMap<String, String> {
    let script = r#"
import hashlib, json, sys
r = json.load(open(sys.argv[1], encoding='utf-8'))
out = {}
for s in ('legalPersons', 'customers', 'accounts', 'safetyDepositBoxes'):
    for k, v in r.get(s, {}).items():
        c = json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        out[s + '/' + k] = hashlib.sha256(c.encode('utf-8')).hexdigest()
print(json.dumps(out))
"#;
    let v = python_json("Python json canonical hashes", script, [report.as_os_str()]);
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, h)| (k.clone(), h.as_str().unwrap().to_owned()))
        .collect()
}

/// `ledger export` as `section/key → line`.
pub fn exported(ledger: &Path) -> BTreeMap<String, Value> {
    let out = tilicheck()
        .args(["ledger", "export", "--ledger"])
        .arg(ledger)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                format!(
                    "{}/{}",
                    v["section"].as_str().unwrap(),
                    v["key"].as_str().unwrap()
                ),
                v,
            )
        })
        .collect()
}

pub fn generate(path: &Path, records: &str, seed: &str) {
    let out = tilicheck()
        .args(["message", "generate", "--records", records, "--seed", seed])
        .args(["--business-id", "1234567-1", "-o"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn imported_hashes_are_pythons_canonical_json_and_show_names_the_messages() {
    let dir = tempfile::tempdir().unwrap();
    // Customs' own example (with Å and ä in names), bundled in spec-data.
    let official = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples/report-update-v3-other.json");
    let generated = dir.path().join("gen.json");
    generate(&generated, "40", "3");
    for (i, report) in [official.as_path(), generated.as_path()].iter().enumerate() {
        let ledger = dir.path().join(format!("l{i}.sqlite"));
        let out = tilicheck()
            .args(["ledger", "import"])
            .arg(report)
            .args(["--correlation-id", CID, "--category", "2", "--ledger"])
            .arg(&ledger)
            .args(["--acknowledged-at", "2026-01-01T06:00:00+02:00"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let ours = exported(&ledger);
        let python = python_hashes(report);
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            python.keys().collect::<Vec<_>>()
        );
        for (k, line) in &ours {
            assert_eq!(line["sha256"], python[k].as_str(), "{k}");
            assert_eq!(line["correlation_id"], CID);
            assert_eq!(line["acknowledged_at"], "2026-01-01T04:00:00Z");
            assert_eq!(line["category"], 2);
            assert_eq!(line["state"], "normal");
        }
    }

    // show: the summary, then one key (a legal person and its customership share it).
    let ledger = dir.path().join("l0.sqlite");
    let out = tilicheck()
        .args(["ledger", "show", "--format", "json", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["supplier"], "8428746-6");
    assert_eq!(v["messages"], 1);
    assert_eq!(v["records"][0]["normal"], 14, "{v}");
    let out = tilicheck()
        .args([
            "ledger",
            "show",
            "5d892fac-07f0-465f-ab6a-af88a1d922ba",
            "--ledger",
        ])
        .arg(&ledger)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text.contains("legal person 5d892fac"), "{text}");
    assert!(text.contains("customership 5d892fac"), "{text}");
    assert!(
        text.contains(&format!("last carried by {CID} (import, category 2")),
        "{text}"
    );
}

#[test]
fn import_and_show_refuse_what_they_cannot_stand_behind() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("e.json");
    generate(&export, "3", "1");
    let ledger = dir.path().join("l.sqlite");
    let run = |args: &[&str]| {
        tilicheck()
            .args(["ledger"])
            .args(args)
            .arg("--ledger")
            .arg(&ledger)
            .output()
            .unwrap()
    };
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let export_s = export.to_str().unwrap();

    // A mapping that leaves records without a correlation ID imports nothing.
    let v: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    let one = v["accounts"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let map = dir.path().join("map.csv");
    std::fs::write(&map, format!("key,correlation_id\n{one},{CID}\n")).unwrap();
    let o = run(&[
        "import",
        export_s,
        "--category",
        "2",
        "--correlation-ids",
        map.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(
        stderr(&o).contains("names no X-Correlation-ID for accounts"),
        "{}",
        stderr(&o)
    );
    assert!(!ledger.exists(), "nothing imported, no ledger made");

    // A mapping line that is not a UUIDv4.
    std::fs::write(&map, format!("{one},not-a-uuid\n")).unwrap();
    let o = run(&[
        "import",
        export_s,
        "--category",
        "2",
        "--correlation-ids",
        map.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("line 1: X-Correlation-ID \"not-a-uuid\" is not a UUIDv4"),
        "{}",
        stderr(&o)
    );

    // The mapping names one account; the rest take --correlation-id.
    let other = "0b6e2a3c-2f7e-4f53-9b8a-2d6f4f9b1c11";
    std::fs::write(&map, format!("{one},{other},2026-02-01T00:00:00Z\n")).unwrap();
    let o = run(&[
        "import",
        export_s,
        "--category",
        "2",
        "--correlation-ids",
        map.to_str().unwrap(),
        "--correlation-id",
        CID,
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let lines = exported(&ledger);
    assert_eq!(lines[&format!("accounts/{one}")]["correlation_id"], other);
    assert_eq!(
        lines[&format!("accounts/{one}")]["acknowledged_at"],
        "2026-02-01T00:00:00Z"
    );
    assert_eq!(
        lines
            .values()
            .filter(|l| l["correlation_id"] == CID)
            .count(),
        lines.len() - 1
    );

    // Category is required in v3; another supplier's export is refused by this ledger.
    let o = run(&["import", export_s, "--correlation-id", CID]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let foreign = dir.path().join("foreign.json");
    let out = tilicheck()
        .args([
            "message",
            "generate",
            "--records",
            "2",
            "--business-id",
            "7654321-2",
            "-o",
        ])
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let o = run(&[
        "import",
        foreign.to_str().unwrap(),
        "--category",
        "2",
        "--correlation-id",
        CID,
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("is the ledger of supplier 1234567-1, not 7654321-2"),
        "{}",
        stderr(&o)
    );

    // An unknown key, a missing ledger, and no way to find the default one.
    let o = run(&["show", CID]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("holds no record with this key"),
        "{}",
        stderr(&o)
    );
    let o = tilicheck()
        .args(["ledger", "show"])
        .env("TILICHECK_DATA_DIR", dir.path().join("data"))
        .args(["--business-id", "1234567-1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("data/ledgers/1234567-1-v3.sqlite: no ledger there"),
        "{}",
        stderr(&o)
    );
    let o = tilicheck().args(["ledger", "show"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");

    // Not a database at all.
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(
        &junk,
        "this is not a database, only text that is long enough to look at",
    )
    .unwrap();
    let o = tilicheck()
        .args(["ledger", "show", "--ledger"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(stderr(&o).contains("junk.sqlite"), "{}", stderr(&o));
}
