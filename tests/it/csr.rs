//! `tilicheck csr`: requests verified by openssl, `--check`, and keys never clobbered.

use std::process::Command;

use predicates::prelude::*;

use crate::support::{openssl, tilicheck};

fn openssl_text(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_new_request_verifies_in_openssl_and_has_the_right_subject() {
    let dir = tempfile::tempdir().expect("tempdir");
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--business-id",
            "0245442-8",
            "--id-form",
            "vat",
            "--dns",
            "api.example.fi",
        ])
        .args(["--org", "Esimerkki Maksu Oy", "--rsa-bits", "3072"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("owner-only"));
    let text = openssl_text(
        &[
            "req",
            "-in",
            "api.example.fi.csr",
            "-verify",
            "-noout",
            "-text",
        ],
        dir.path(),
    );
    assert!(text.contains("serialNumber = FI02454428"), "{text}");
    assert!(
        text.contains("CN = api.example.fi") && text.contains("C = FI"),
        "{text}"
    );
    assert!(text.contains("Public-Key: (3072 bit)"), "{text}");
    assert!(text.contains("DNS:api.example.fi"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("api.example.fi.key"))
            .expect("key written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The request passes its own check.
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--check",
            "api.example.fi.csr",
            "--business-id",
            "0245442-8",
        ])
        .assert()
        .code(0);
}

#[test]
fn p384_and_default_rsa_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--business-id",
            "1234567-1",
            "--dns",
            "ec.example",
            "--org",
            "O",
        ])
        .args(["--key-type", "p384"])
        .assert()
        .code(0);
    let text = openssl_text(
        &["req", "-in", "ec.example.csr", "-noout", "-text"],
        dir.path(),
    );
    assert!(text.contains("NIST CURVE: P-384"), "{text}");
    assert!(text.contains("serialNumber = 1234567-1"), "{text}");
}

#[test]
fn too_small_keys_and_missing_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--business-id",
            "1234567-1",
            "--dns",
            "x.example",
            "--rsa-bits",
            "2048",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "below the register's minimum of 3072",
        ));
    tilicheck()
        .current_dir(dir.path())
        .args(["csr", "--dns", "x.example"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--business-id"));
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn an_existing_key_is_never_overwritten_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("x.example.key"), "precious").expect("write");
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--business-id",
            "1234567-1",
            "--dns",
            "x.example",
            "--rsa-bits",
            "3072",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("x.example.key")).expect("kept"),
        "precious"
    );
    tilicheck()
        .current_dir(dir.path())
        .args([
            "csr",
            "--business-id",
            "1234567-1",
            "--dns",
            "x.example",
            "--rsa-bits",
            "3072",
        ])
        .arg("--force")
        .assert()
        .code(0);
    assert_ne!(
        std::fs::read_to_string(dir.path().join("x.example.key")).expect("replaced"),
        "precious"
    );
}

#[test]
fn check_reports_what_is_wrong_with_a_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "bad.csr",
            "-subj",
            "/C=SE/serialNumber=1234567-2/CN=bad.example",
        ],
        dir.path(),
        &[],
    );
    let out = tilicheck()
        .current_dir(dir.path())
        .args(["csr", "--check", "bad.csr", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let status = |id: &str| {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| {
                (
                    f["status"].as_str().unwrap_or("").to_owned(),
                    f["detail"].to_string(),
                )
            })
            .expect("finding present")
    };
    assert_eq!(status("CSR-SIGNATURE").0, "pass");
    let (s, d) = status("CSR-SUBJECT");
    assert_eq!(s, "fail");
    assert!(
        d.contains("no O") && d.contains("C is SE") && d.contains("not among"),
        "{d}"
    );
    assert_eq!(status("ID-CHECKDIGIT").0, "fail");
    assert_eq!(status("CERT-KEY-STRENGTH").0, "fail");
}

#[test]
fn check_of_something_that_is_not_a_request() {
    tilicheck()
        .args(["csr", "--check", "supplier.pem"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not 'CERTIFICATE REQUEST'"));
}
