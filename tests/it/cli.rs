//! The binary: exit codes, formats, output files, passwords.

use std::path::Path;

use predicates::prelude::*;

use crate::support::{AT, SUPPLIER_ID, fixture, openssl, tilicheck};

#[test]
fn exit_0_when_everything_passes() {
    tilicheck()
        .args(["cert", "qwac.pem", "--key", "qwac.key", "--purpose", "tls"])
        .args(["--business-id", SUPPLIER_ID, "--at", AT])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("CERT-QWAC"));
}

#[test]
fn warnings_pass_unless_strict() {
    let args = [
        "cert",
        "supplier.pem",
        "--business-id",
        SUPPLIER_ID,
        "--at",
        AT,
    ];
    tilicheck().args(args).assert().code(0);
    tilicheck().args(args).arg("--strict").assert().code(1);
}

#[test]
fn exit_1_when_a_check_fails() {
    tilicheck()
        .args(["cert", "bad-rsa2048.pem", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"))
        .stdout(predicate::str::contains("RSA 2048 bits"));
}

#[test]
fn exit_2_on_usage_errors() {
    tilicheck()
        .args(["cert", "supplier.pem", "--business-id", "1234567-2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("check digit should be 1, is 2"));
    tilicheck()
        .args(["cert", "--no-such-flag"])
        .assert()
        .code(2);
    tilicheck()
        .args(["cert", "supplier.pem", "--at", "tomorrow"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("YYYY-MM-DD"));
    tilicheck()
        .args(["cert", "supplier.pem", "--service-centre", "9876543-0"])
        .assert()
        .code(2);
}

#[test]
fn exit_3_when_input_cannot_be_read() {
    tilicheck()
        .args(["cert", "no-such-file.pem"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no-such-file.pem"))
        .stdout("");
    tilicheck()
        .args(["cert", "supplier.pem", "--key", "supplier.pem"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no private key"));
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = tilicheck()
        .args([
            "cert",
            "bad-rsa2048.pem",
            "--key",
            "bad-rsa2048.key",
            "--format",
            "json",
        ])
        .args(["--business-id", SUPPLIER_ID, "--at", AT])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .expect("schema file"),
    )
    .expect("schema is JSON");
    assert_conforms(&report, &schema);
    assert_eq!(report["outcome"], "fail");
    assert_eq!(report["exit_code"], 1);
    assert_eq!(report["checked_at"], "2030-01-01T00:00:00Z");
    let failed: Vec<&str> = report["findings"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert_eq!(failed, ["CERT-KEY-STRENGTH"]);
}

/// The parts of the schema a report must meet: required keys, no unknown keys, status enums.
fn assert_conforms(report: &serde_json::Value, schema: &serde_json::Value) {
    fn keys_of(schema: &serde_json::Value) -> (Vec<&str>, Vec<&str>) {
        let req = schema["required"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let props = schema["properties"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        (req, props)
    }
    fn check(value: &serde_json::Value, schema: &serde_json::Value, at: &str) {
        let (required, known) = keys_of(schema);
        let obj = value
            .as_object()
            .unwrap_or_else(|| panic!("{at} is not an object"));
        for k in required {
            assert!(obj.contains_key(k), "{at} lacks required key {k}");
        }
        for k in obj.keys() {
            assert!(known.contains(&k.as_str()), "{at} has undocumented key {k}");
        }
    }
    check(report, schema, "report");
    let statuses: Vec<&str> = schema["$defs"]["status"]["enum"]
        .as_array()
        .expect("status enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for f in report["findings"].as_array().expect("findings") {
        check(f, &schema["properties"]["findings"]["items"], "finding");
        assert!(statuses.contains(&f["status"].as_str().expect("status")));
    }
    for s in report["subjects"].as_array().expect("subjects") {
        check(s, &schema["properties"]["subjects"]["items"], "subject");
    }
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    tilicheck()
        .args([
            "cert",
            "supplier.pem",
            "--format",
            "json",
            "--at",
            AT,
            "--output",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stdout("");
    let text = std::fs::read_to_string(&path).expect("report written");
    serde_json::from_str::<serde_json::Value>(&text).expect("complete JSON");
    // Only the report: no temporary file left next to it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn unwritable_output_is_exit_3_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-dir/report.json");
    tilicheck()
        .args(["cert", "supplier.pem", "--at", AT, "--output"])
        .arg(&path)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot write report"));
    assert!(!path.exists());
}

#[test]
fn colour_only_on_request_or_a_terminal() {
    let plain = tilicheck()
        .args(["cert", "supplier.pem", "--at", AT])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
    let coloured = tilicheck()
        .args(["cert", "supplier.pem", "--at", AT, "--color", "always"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[32mPASS"));
}

#[test]
fn rules_lists_the_catalogue_and_its_assumptions() {
    let out = tilicheck().args(["rules"]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    for id in tilicheck::profile::RuleId::ALL {
        assert!(text.contains(id.as_str()), "{id} missing");
    }
    assert!(text.contains("ASSUMPTION"));
    assert!(text.contains("3072"));
    // Who enforces each rule: the register's own checks fail, data quality warns.
    let quality = text
        .split("\nMSG-QUALITY")
        .nth(1)
        .expect("MSG-QUALITY listed");
    assert!(
        quality.lines().nth(1).is_some_and(|l| l.contains(
            "data quality: the register is not known to check it, so a breach warns (fails under --strict)"
        )),
        "{quality}"
    );
    let schema = text
        .split("\nMSG-SCHEMA")
        .nth(1)
        .expect("MSG-SCHEMA listed");
    assert!(
        schema
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("enforced: the receiving side rejects it")),
        "{schema}"
    );
    let out = tilicheck()
        .args(["rules", "--format", "json"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        doc["rules"].as_array().map(Vec::len),
        Some(tilicheck::profile::RuleId::ALL.len())
    );
    let enforcement = |id: &str| {
        doc["rules"]
            .as_array()
            .and_then(|rules| rules.iter().find(|r| r["id"] == id))
            .map(|r| r["enforcement"].clone())
    };
    assert_eq!(enforcement("MSG-QUALITY"), Some("data-quality".into()));
    for id in [
        "MSG-SCHEMA",
        "MSG-CONTENT",
        "JWS-SIG",
        "CERT-VALIDITY",
        "MSG-SIZE",
    ] {
        assert_eq!(enforcement(id), Some("enforced".into()), "{id}");
    }
    assert!(
        doc["profile"]
            .as_array()
            .expect("profile")
            .iter()
            .any(|v| v["name"] == "min_ec_bits" && v["confirmed"] == false)
    );
}

#[test]
fn pkcs12_with_password_from_env_and_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p12 = dir.path().join("supplier.p12");
    let secret = "correct horse battery staple";
    openssl(
        &[
            "pkcs12",
            "-export",
            "-in",
            fixture("supplier-chain.pem").to_str().expect("utf-8 path"),
            "-inkey",
            fixture("supplier.key").to_str().expect("utf-8 path"),
            "-passout",
            "env:TILICHECK_TEST_PASSWORD",
            "-out",
            p12.to_str().expect("utf-8 path"),
        ],
        dir.path(),
        &[("TILICHECK_TEST_PASSWORD", secret)],
    );
    let ok = tilicheck()
        .args([
            "cert",
            "--password-env",
            "TILICHECK_TEST_PASSWORD",
            "--at",
            AT,
        ])
        .arg(&p12)
        .env("TILICHECK_TEST_PASSWORD", secret)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("PASS   CERT-KEYPAIR"), "{stdout}");
    assert!(stdout.contains("Chain"), "{stdout}");

    let pw_file = dir.path().join("pw.txt");
    std::fs::write(&pw_file, format!("{secret}\n")).expect("write");
    tilicheck()
        .args(["cert", "--at", AT, "--password-file"])
        .arg(&pw_file)
        .arg(&p12)
        .assert()
        .code(0);

    let wrong = tilicheck()
        .args(["cert", "--password-env", "TILICHECK_TEST_PASSWORD"])
        .arg(&p12)
        .env("TILICHECK_TEST_PASSWORD", "not the password")
        .output()
        .expect("runs");
    assert_eq!(wrong.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("wrong password"), "{stderr}");
    for out in [&ok.stdout, &ok.stderr, &wrong.stdout, &wrong.stderr] {
        let text = String::from_utf8_lossy(out);
        assert!(!text.contains(secret) && !text.contains("not the password"));
    }

    // No password source and no terminal: say how to give one.
    tilicheck()
        .args(["cert"])
        .arg(&p12)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--password-env"));
}

#[test]
fn private_key_material_is_never_printed() {
    let key_pem = std::fs::read_to_string(fixture("supplier.key")).expect("fixture");
    let body_line = key_pem
        .lines()
        .nth(2)
        .expect("a base64 line inside the key");
    for args in [
        vec!["cert", "supplier.pem", "--key", "supplier.key", "--at", AT],
        vec![
            "cert",
            "supplier.pem",
            "--key",
            "bad-mismatched.key",
            "--format",
            "json",
        ],
        vec!["cert", "supplier.key"],
    ] {
        let out = tilicheck().args(&args).output().expect("runs");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(body_line), "{args:?} printed key material");
            assert!(!text.contains("PRIVATE KEY-----"), "{args:?}");
        }
    }
}

#[test]
fn demo_runs_the_checks_on_a_fresh_demo_pki() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kept = dir.path().join("pki");
    let out = tilicheck()
        .args(["demo", "--color", "never", "--keep"])
        .arg(&kept)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("DEMO supplier.pem") && stdout.contains("DEMO qwac.pem"));
    assert!(stdout.contains("0 fail"), "{stdout}");
    // The round trip: the simulated register's endpoint and certificate, and a signed send.
    assert!(stdout.contains("PASS   TLS-MUTUAL"), "{stdout}");
    assert!(stdout.contains("PASS   REG-CERT"), "{stdout}");
    assert!(stdout.contains("message  minimal test message"), "{stdout}");
    assert!(stdout.contains("accepted: 200 OK"), "{stdout}");
    assert!(kept.join("root-ca.pem").exists() && kept.join("README.txt").exists());
}

#[test]
fn demo_caches_its_keys_owner_only_and_makes_new_certificates_each_run() {
    let cache = tempfile::tempdir().expect("tempdir");
    let keys = cache.path().join("tilicheck/demo-keys");
    let run = |extra: &[&str], pki: &Path| {
        let out = tilicheck()
            .env("XDG_CACHE_HOME", cache.path())
            .args(["demo", "--color", "never", "--keep"])
            .arg(pki)
            .args(extra)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert!(stdout.contains("accepted: 200 OK"), "{stdout}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let first = run(&[], &dir.path().join("1"));
    assert!(
        first.contains("DEMO keys generated and cached in"),
        "{first}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys), 0o700);
        for entry in std::fs::read_dir(&keys).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
    }
    let second = run(&[], &dir.path().join("2"));
    assert!(second.contains("DEMO keys reused from"), "{second}");
    let read = |run: &str, file: &str| std::fs::read(dir.path().join(run).join(file)).unwrap();
    assert_eq!(read("1", "supplier.key"), read("2", "supplier.key"));
    // Certificates are made anew (their dates follow the check time), keys are the cache's.
    assert_ne!(read("1", "supplier.pem"), read("2", "supplier.pem"));

    // A damaged cache is never half trusted: the whole set is made again.
    std::fs::write(keys.join("qwac.key"), "garbage").unwrap();
    let third = run(&[], &dir.path().join("3"));
    assert!(
        third.contains("DEMO keys generated and cached in"),
        "{third}"
    );
    assert_ne!(read("2", "supplier.key"), read("3", "supplier.key"));

    // --fresh-keys neither reads nor rewrites the cache.
    let cached = std::fs::read(keys.join("supplier.key")).unwrap();
    let fresh = run(&["--fresh-keys"], &dir.path().join("4"));
    assert!(!fresh.contains("DEMO keys"), "{fresh}");
    assert_ne!(read("4", "supplier.key"), cached);
    assert_eq!(std::fs::read(keys.join("supplier.key")).unwrap(), cached);
}

#[test]
fn pki_demo_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("keep-me.txt"), "x").expect("write");
    tilicheck()
        .args(["pki", "demo"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep-me.txt")).expect("untouched"),
        "x"
    );
}

#[test]
fn register_cert_recognises_the_register_and_refuses_look_alikes() {
    tilicheck()
        .args(["register-cert", "register.pem", "--at", AT])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\"FI02454428\" is the Account Register's",
        ));
    tilicheck()
        .args(["register-cert", "supplier.pem", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\"1234567-1\" is not the Account Register's",
        ));
    tilicheck()
        .args(["register-cert", "bad-no-id.pem", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("has no serialNumber"));
}
