//! CERT-ISSUER: path building and validation.

use time::Duration as TimeDelta;

use crate::netpki::{Ca, Reply, Urls, now, ok, write};
use crate::revocation::{Setup, run_cert};
use crate::support::tilicheck;

use tilicheck::pki::load::pem::ToPem;

#[test]
fn a_good_path_passes_and_is_shown_subject_by_subject() {
    let s = Setup::new();
    let leaf = s.leaf("leaf", 0x1001, &Urls::default());
    let (issuer, rev) = run_cert(&s, &leaf, &s.root_pem, &["--offline"]);
    assert_eq!(issuer.status, "pass", "{issuer:?}");
    assert!(
        issuer.detail.contains("leaf ← TEST Issuing CA ← TEST Root"),
        "{issuer:?}"
    );
    assert_eq!(rev.status, "skip");

    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&leaf)
        .arg("--chain")
        .arg(&s.ca_pem)
        .arg("--trust-only")
        .arg(&s.root_pem)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("↑ 1         C=FI, O=TEST PKI, CN=TEST Issuing CA (supplied chain)"),
        "{text}"
    );
    assert!(
        text.contains("Path ends at  trust anchor \"TEST Root\""),
        "{text}"
    );
}

#[test]
fn an_expired_intermediate_fails() {
    let s = Setup::new();
    let old = Ca::intermediate(
        "TEST Old CA",
        &s.root,
        &Urls::default(),
        now() - TimeDelta::days(400),
        now() - TimeDelta::days(1),
    );
    let leaf = write(
        s.dir.path(),
        "leaf.pem",
        old.leaf("leaf", 0x1001, &Urls::default())
            .to_pem()
            .as_bytes(),
    );
    let chain = write(s.dir.path(), "old.pem", old.cert.to_pem().as_bytes());
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&leaf)
        .arg("--chain")
        .arg(&chain)
        .arg("--trust-only")
        .arg(&s.root_pem)
        .args(["--purpose", "tls"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("FAIL") && l.contains("CERT-ISSUER")),
        "{text}"
    );
    assert!(
        text.contains("intermediate CA \"TEST Old CA\" expired on"),
        "{text}"
    );
}

#[test]
fn no_path_to_any_anchor_fails_and_says_which_issuer_is_missing() {
    let s = Setup::new();
    let leaf = s.leaf("leaf", 0x1001, &Urls::default());
    let stranger = Ca::root("TEST Unrelated Root");
    let stranger_pem = write(
        s.dir.path(),
        "stranger.pem",
        stranger.cert.to_pem().as_bytes(),
    );
    // Without the intermediate, and with an unrelated anchor.
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&leaf)
        .arg("--trust-only")
        .arg(&stranger_pem)
        .args(["--purpose", "tls"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no path to a trusted anchor"), "{text}");
    assert!(text.contains("TEST Issuing CA"), "{text}");
    // The intermediate given, the root still untrusted: the path ends at an untrusted root.
    let (issuer, rev) = run_cert(&s, &leaf, &stranger_pem, &["--offline"]);
    assert_eq!(issuer.status, "fail", "{issuer:?}");
    assert!(
        issuer.detail.contains("no path to a trusted anchor"),
        "{issuer:?}"
    );
    assert_eq!(rev.status, "skip");
}

#[test]
fn the_missing_intermediate_is_fetched_from_ca_issuers() {
    let s = Setup::new();
    s.server.route(
        "/ca.crt",
        Reply::Raw(ok(s.ca.cert.der(), "application/pkix-cert")),
    );
    let leaf = s.leaf(
        "aia-leaf",
        0x1001,
        &Urls {
            ca_issuers: Some(s.server.url("/ca.crt")),
            ..Urls::default()
        },
    );
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_TRUST")
        .env_remove("TILICHECK_OFFLINE")
        .arg("cert")
        .arg(&leaf)
        .arg("--trust-only")
        .arg(&s.root_pem)
        .args(["--purpose", "tls", "--revocation", "off"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("PASS") && l.contains("CERT-ISSUER")),
        "{text}"
    );
    assert!(text.contains("downloaded from http://127.0.0.1"), "{text}");
}

#[test]
fn a_chain_ending_at_the_vrk_g2_root_says_exactly_that() {
    // The bundled VRK G4 CA, checked as if it were the certificate: its issuer is the VRK G2
    // root, which is not available.
    let cert = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("pki-data/dvv/vrk-ca-for-service-providers-g4.pem");
    let out = tilicheck()
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&cert)
        .args(["--purpose", "tls", "--at", "2030-01-01"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ends at \"VRK Gov. Root CA - G2\", which is not bundled"),
        "{text}"
    );
}

#[test]
fn a_bad_trust_file_is_a_clear_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = write(dir.path(), "junk.pem", b"not a certificate");
    tilicheck()
        .current_dir(dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(crate::support::fixture("supplier.pem"))
        .arg("--trust")
        .arg(&junk)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("junk.pem"));
}

// Trusted-list anchors and qualification: tests/it/trusted_list/qualify.rs.

#[test]
fn a_trusted_list_that_is_not_one_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = write(
        dir.path(),
        "tl.xml",
        b"<html><body>captive portal</body></html>",
    );
    tilicheck()
        .current_dir(dir.path())
        .arg("cert")
        .arg(crate::support::fixture("supplier.pem"))
        .arg("--trusted-list")
        .arg(&list)
        .assert()
        .code(3)
        .stderr(predicates::str::contains(
            "not an ETSI TS 119 612 trusted list",
        ));
}
