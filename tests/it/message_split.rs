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
            "message",
            "generate",
            "--interface",
            interface,
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
                "message",
                "sign",
                "--format",
                "json",
                "--at",
                AT,
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
            "message",
            "split",
            "--interface",
            "v1.0.4",
            input.to_str().expect("path"),
        ])
        .args(["--out", out.to_str().expect("path")])
        .output()
        .expect("runs");
    assert!(run.status.success());
    // 5 MB: one part.
    assert_eq!(parts(&out).len(), 1);
}

fn lone_record(name_len: usize) -> String {
    format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","legalPersons":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"organisation":{{"name":"{}"}}}}}}}}"#,
        "x".repeat(name_len)
    )
}

#[test]
fn a_failed_split_leaves_no_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("parts");
    let input = dir.path().join("big.json");
    // A duplicate record key, late in the file: nothing written, no directory.
    let dup = format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","customers":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"startDate":"2020-01-01"}},"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"startDate":"2020-01-01"}}}}}}"#
    );
    std::fs::write(&input, dup).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("duplicate record key"));
    assert!(!out.exists());
    // A key repeated inside a record: named by its pointer.
    let inner = format!(
        r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"{SUPPLIER_ID}","legalPersons":{{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{{"organisation":{{"name":"A","name":"B"}}}}}}}}"#
    );
    std::fs::write(&input, inner).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains(
            "duplicate object key \"name\" at /legalPersons/5d892fac-07f0-465f-ab6a-af88a1d922ba/organisation/name"
        ),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!out.exists());
    // A 100,000-deep nesting: a clear error, not a crash.
    std::fs::write(
        &input,
        format!("{{\"legalPersons\": {}", "[".repeat(100_000)),
    )
    .expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(!out.exists());
    // An empty directory the user made stays, empty.
    std::fs::create_dir(&out).expect("dir");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(parts(&out).is_empty());
    // Nor is any work directory left next to it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn a_record_that_cannot_fit_alone_is_a_failure_naming_it_and_its_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("big.json");
    let out = dir.path().join("parts");
    // 40 kB of text is over 50 kB once base64'd and signed; 66 kB and 150 kB are measured;
    // 3 MB is cut off while reading, so memory stays bounded.
    for (len, expect) in [
        (40_000, "bytes in JWT form alone (as signed"),
        (66_000, "bytes in JWT form alone (as signed"),
        (150_000, "bytes in JWT form alone (as signed"),
        (3_000_000, "is more than 100000 bytes of JSON"),
    ] {
        std::fs::write(&input, lone_record(len)).expect("write");
        let run = split(&input, &out);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{len}: {err}");
        assert!(
            err.contains("record 5d892fac-07f0-465f-ab6a-af88a1d922ba in legalPersons"),
            "{err}"
        );
        assert!(err.contains(expect), "{len}: {err}");
        assert!(err.contains("limit of 50000"), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert!(!out.exists(), "{len}");
    }
    // The size named is the record's own signed size, a little over 4/3 of its text.
    std::fs::write(&input, lone_record(66_000)).expect("write");
    let err = String::from_utf8_lossy(&split(&input, &out).stderr).into_owned();
    let size: usize = err
        .split(" is ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a size");
    assert!((88_000..90_000).contains(&size), "{size}: {err}");

    // After other records, too: a big record never rides into a part of its own unchecked.
    let input = generate(dir.path(), "v3", "30");
    let mut report: Value =
        serde_json::from_slice(&std::fs::read(&input).expect("read")).expect("json");
    report["legalPersons"]["ffffffff-ffff-4fff-bfff-ffffffffffff"] =
        serde_json::json!({"organisation": {"name": "y".repeat(60_000)}});
    std::fs::write(&input, report.to_string()).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("record ffffffff-ffff-4fff-bfff-ffffffffffff in legalPersons is"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!out.exists());

    // Two organisations that name each other must travel together; too big together, they
    // are named both.
    let a = "aaaaaaaa-aaaa-4aaa-aaaa-aaaaaaaaaaaa";
    let b = "bbbbbbbb-bbbb-4bbb-bbbb-bbbbbbbbbbbb";
    let org = |other: &str| serde_json::json!({"organisation": {"name": "z".repeat(20_000), "roles": [{"type": "beneficiary", "legalPersonReference": other}]}});
    let pair = serde_json::json!({
        "creationDateTime": "2026-01-01T06:00:00", "senderBusinessId": SUPPLIER_ID,
        "legalPersons": {a: org(b), b: org(a)}
    });
    std::fs::write(&input, pair.to_string()).expect("write");
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!("legal persons {a}, {b} refer to each other")),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn numbers_and_text_are_copied_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("numbers.json");
    // Numbers a double would change, and string escapes a re-serialiser would rewrite.
    let text = format!(
        "{{\n  \"creationDateTime\": \"2026-01-01T06:00:00\",\n  \"senderBusinessId\": \"{SUPPLIER_ID}\",\n  \"legalPersons\": {{\n    \"5d892fac-07f0-465f-ab6a-af88a1d922ba\": {{ \"organisation\": {{ \"name\": \"\\u00c5 \\/ Oy\", \"orderNumber\": 1.9999999999999999999, \"big\": 123456789012345678901234567890, \"e\": 1E2, \"z\": -0 }} }}\n  }}\n}}\n"
    );
    std::fs::write(&input, &text).expect("write");
    let out = dir.path().join("parts");
    let run = split(&input, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let part = std::fs::read_to_string(out.join("part-000001.json")).expect("part");
    assert_eq!(
        part,
        format!(
            "{{\"creationDateTime\":\"2026-01-01T06:00:00\",\"senderBusinessId\":\"{SUPPLIER_ID}\",\"legalPersons\":{{\"5d892fac-07f0-465f-ab6a-af88a1d922ba\":{{\"organisation\":{{\"name\":\"\\u00c5 \\/ Oy\",\"orderNumber\":1.9999999999999999999,\"big\":123456789012345678901234567890,\"e\":1E2,\"z\":-0}}}}}}}}"
        )
    );
}

#[test]
fn split_refuses_a_directory_with_parts_in_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = generate(dir.path(), "v3", "10");
    let out = dir.path().join("parts");
    assert!(split(&input, &out).status.success());
    let run = split(&input, &out);
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("already exists and is not empty"));
}
