//! Snapshots of the text and JSON reports. The fixtures' keys (and so fingerprints) change
//! when they are regenerated, and the version with each release: those are redacted.

use crate::support::{AT, SUPPLIER_ID, tilicheck};

fn run(args: &[&str]) -> String {
    let out = tilicheck().args(args).output().expect("runs");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The fixture directory, as a regex: trust anchors are named by their absolute path.
fn fixture_dir_pattern() -> String {
    crate::support::fixtures()
        .display()
        .to_string()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

macro_rules! redacted {
    ($body:block) => {
        insta::with_settings!({filters => vec![
            (r"([0-9A-F]{2}:){31}[0-9A-F]{2}", "[SHA-256]"),
            (r#""version": "[^"]+""#, r#""version": "[VERSION]""#),
            (fixture_dir_pattern().as_str(), "[FIXTURES]"),
        ]}, $body)
    };
}

#[test]
fn text_report_of_a_good_certificate() {
    let out = run(&[
        "cert",
        "supplier.pem",
        "--key",
        "supplier.key",
        "--business-id",
        SUPPLIER_ID,
        "--at",
        AT,
    ]);
    redacted!({ insta::assert_snapshot!(out) });
}

#[test]
fn text_report_of_a_weak_certificate() {
    let out = run(&[
        "cert",
        "bad-rsa2048.pem",
        "--purpose",
        "signing",
        "--at",
        AT,
    ]);
    redacted!({ insta::assert_snapshot!(out) });
}

#[test]
fn json_report_of_a_qwac() {
    let out = run(&[
        "cert",
        "qwac.pem",
        "--key",
        "qwac.key",
        "--purpose",
        "tls",
        "--business-id",
        SUPPLIER_ID,
        "--at",
        AT,
        "--format",
        "json",
    ]);
    redacted!({ insta::assert_snapshot!(out) });
}
