//! `tilicheck message split`: parts fit, validate alone, keep references ordered and role
//! lists whole; deterministic; all-or-nothing output.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{AT, SUPPLIER_ID, tilicheck};

fn generate(dir: &Path, interface: &str, records: &str) -> PathBuf {
    let p = dir.join("load.json");
    tilicheck()
        .args([
            "--interface",
            interface,
            "message",
            "generate",
            "--records",
            records,
            "--seed",
            "11",
        ])
        .args([
            "--business-id",
            SUPPLIER_ID,
            "-o",
            p.to_str().expect("path"),
        ])
        .assert()
        .success();
    p
}

fn split(input: &Path, out: &Path) -> std::process::Output {
    tilicheck()
        .args([
            "message",
            "split",
            input.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
        ])
        .output()
        .expect("runs")
}

fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_load_splits_into_parts_that_fit_validate_and_keep_references_ordered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = generate(dir.path(), "v3", "2500");
    let out = dir.path().join("parts");
    let run = split(&input, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let files = parts(&out);
    assert!(files.len() > 10, "{files:?}");
    // Only the numbered parts, nothing left over from the work.
    for (i, f) in files.iter().enumerate() {
        assert_eq!(
            f.file_name().and_then(|n| n.to_str()),
            Some(format!("part-{:06}.json", i + 1).as_str())
        );
    }
    let original: Value =
        serde_json::from_slice(&std::fs::read(&input).expect("input")).expect("json");
    let mut persons_sent: HashSet<String> = HashSet::new();
    let mut totals = [0usize; 3];
    for f in &files {
        let part: Value = serde_json::from_slice(&std::fs::read(f).expect("part")).expect("json");
        assert_eq!(part["senderBusinessId"], SUPPLIER_ID);
        assert_eq!(part["creationDateTime"], original["creationDateTime"]);
        for (i, section) in ["legalPersons", "customers", "accounts"].iter().enumerate() {
            if let Some(m) = part[section].as_object() {
                totals[i] += m.len();
                for (k, v) in m {
                    // Whole records, role lists included, unchanged.
                    assert_eq!(&original[section][k], v, "{section}/{k}");
                }
            }
        }
        if let Some(lp) = part["legalPersons"].as_object() {
            persons_sent.extend(lp.keys().cloned());
        }
        // Every reference resolves in this part or an earlier one.
        for account in part["accounts"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for role in account["roles"].as_array().expect("roles") {
                let r = role["legalPersonReference"].as_str().expect("reference");
                assert!(
                    persons_sent.contains(r),
                    "{} refers to {r} before it is sent",
                    f.display()
                );
            }
        }
        for k in part["customers"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            assert!(persons_sent.contains(k));
        }
        // Each part fits once signed, and validates on its own.
        let sign = tilicheck()
            .args([
                "--format",
                "json",
                "--at",
                AT,
                "message",
                "sign",
                f.to_str().expect("path"),
            ])
            .args(["--key", "supplier.key", "--cert", "supplier.pem"])
            .output()
            .expect("runs");
        assert!(
            sign.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&sign.stdout)
        );
        let tokens: Value = serde_json::from_slice(&sign.stdout).expect("json");
        assert!(tokens["body"].as_str().expect("body").len() <= 50_000);
    }
    assert_eq!(totals, [2500, 2500, 2500]);
    // Deterministic: the same input gives the same parts.
    let again = dir.path().join("again");
    assert!(split(&input, &again).status.success());
    let a: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    let b: Vec<Vec<u8>> = parts(&again)
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    assert_eq!(a, b);
}

#[test]
fn v104_string_form_is_sized_with_escaping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = generate(dir.path(), "v1.0.4", "200");
    let out = dir.path().join("parts");
    let run = tilicheck()
        .args([
            "--interface",
            "v1.0.4",
            "message",
            "split",
            input.to_str().expect("path"),
        ])
        .args(["--out", out.to_str().expect("path")])
        .output()
        .expect("runs");
    assert!(run.status.success());
    // 5 MB: one part.
    assert_eq!(parts(&out).len(), 1);
}

#[test]
fn a_failed_split_leaves_no_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("parts");
    // A record too large to send even alone.
    let big = format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","legalPersons":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"organisation":{{"name":"{}"}}}}}}}}"#,
        "x".repeat(60_000)
    );
    let input = dir.path().join("big.json");
    std::fs::write(&input, big).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("record 5d892fac-07f0-465f-ab6a-af88a1d922ba in legalPersons is"),
        "{err}"
    );
    assert!(parts(&out).is_empty(), "{:?}", parts(&out));
    // A duplicate record key, late in the file: still nothing written.
    let dup = format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","customers":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"startDate":"2020-01-01"}},"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"startDate":"2020-01-01"}}}}}}"#
    );
    std::fs::write(&input, dup).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("duplicate record key"));
    assert!(parts(&out).is_empty());
    // One 3 MB record on one line: cut off while reading, memory stays bounded.
    let long = format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","legalPersons":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"organisation":{{"name":"{}"}}}}}}}}"#,
        "x".repeat(3_000_000)
    );
    std::fs::write(&input, long).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("is larger than 100000 bytes"), "{err}");
    assert!(parts(&out).is_empty());
    // A 100,000-deep nesting: a clear error, not a crash.
    std::fs::write(
        &input,
        format!("{{\"legalPersons\": {}", "[".repeat(100_000)),
    )
    .expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(parts(&out).is_empty());
}

#[test]
fn split_refuses_a_directory_with_parts_in_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = generate(dir.path(), "v3", "10");
    let out = dir.path().join("parts");
    assert!(split(&input, &out).status.success());
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("already holds part-*.json files"));
}
