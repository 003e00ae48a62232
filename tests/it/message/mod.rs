//! `tilicheck message`: the official examples, strict reading, content checks, sign → verify
//! round trips for both interface versions, tokens built by openssl, forged and broken tokens.

mod generate;
mod official_examples;
mod sign_verify;
mod strict;
mod tokens;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::{AT, SUPPLIER_ID, fixture, openssl, tilicheck};

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri")
        .join(name)
}

/// Run with `--format json`; the exit code and the parsed report.
fn run_json(args: &[&str]) -> (i32, Value) {
    let out = tilicheck()
        .args(args)
        .args(["--format", "json", "--at", AT])
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// (status, detail) of every finding with `id` in the subject whose role is `subject`.
fn found(v: &Value, subject: &str, id: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"] == subject && f["id"] == id)
        .map(|f| {
            (
                f["status"].as_str().unwrap_or_default().to_owned(),
                f["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn statuses(v: &Value, subject: &str, id: &str) -> Vec<String> {
    found(v, subject, id).into_iter().map(|(s, _)| s).collect()
}

fn only(v: &Value, subject: &str, id: &str, status: &str) {
    let s = statuses(v, subject, id);
    assert!(
        !s.is_empty() && s.iter().all(|x| x == status),
        "{subject} {id}: expected only {status}, got {:?}",
        found(v, subject, id)
    );
}

fn validate(interface: &str, file: &Path) -> (i32, Value) {
    run_json(&[
        "message",
        "validate",
        "--interface",
        interface,
        file.to_str().expect("utf-8 path"),
    ])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn generated(dir: &Path, interface: &str) -> PathBuf {
    let p = dir.join("report.json");
    tilicheck()
        .args([
            "message",
            "generate",
            "--interface",
            interface,
            "--records",
            "30",
            "--seed",
            "5",
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

fn sign_request(dir: &Path, interface: &str, report: &Path) -> PathBuf {
    let req = dir.join("request.http");
    tilicheck()
        .args([
            "message",
            "sign",
            "--interface",
            interface,
            "--at",
            AT,
            report.to_str().expect("path"),
        ])
        .args([
            "--key",
            "supplier.key",
            "--cert",
            "supplier.pem",
            "--request",
            req.to_str().expect("path"),
        ])
        .args(["--correlation-id", "6a4dcb0a-a8d4-441b-9072-663db803b0e6"])
        .assert()
        .success();
    req
}

/// Every finding passes; the signing certificate may have skips (revocation offline, no key
/// given, the TLS-only rules), which are never passes but not problems either.
fn all_pass(v: &Value) {
    let bad: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["status"] != "pass"
                && !(f["subject"] == "signing certificate" && f["status"] == "skip")
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// A verify report in which everything passes, the signing certificate included.
fn verified(v: &Value) {
    all_pass(v);
    for id in [
        "CERT-VALIDITY",
        "CERT-KEY-STRENGTH",
        "CERT-KU-SIGN",
        "CERT-ID",
        "CERT-ISSUER",
    ] {
        assert_eq!(
            statuses(v, "signing certificate", id),
            ["pass"],
            "verify judges the signing certificate ({id}): {v:#}"
        );
    }
}
