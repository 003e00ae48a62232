//! `vero cert`: the profile's findings and the go-live timing on DEMO Data Providers
//! certificates made in the test.

use rcgen::RsaKeySize;
use tilicheck::profile::vero::Environment;
use time::macros::datetime;

use super::{customer_cert, detail, finding, json_run, status, summary};
use crate::support::tilicheck;

const CUSTOMER: &str = "0245442-8";

#[test]
fn a_fresh_production_certificate_passes_and_says_when_vero_api_takes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Formed Wednesday 18.11.2026 15:00 Finnish time: in office hours.
    let (cert, key) = customer_cert(
        dir.path(),
        Environment::Production,
        CUSTOMER,
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    let (r, code) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert.to_str().expect("utf-8"),
        "--key",
        key.to_str().expect("utf-8"),
        "--customer-id",
        CUSTOMER,
        "--at",
        "2026-11-18T14:00:00Z",
    ]));
    assert_eq!(code, 0, "{r:#}");
    for id in [
        "VERO-ISSUER",
        "VERO-KEY",
        "VERO-VALIDITY",
        "VERO-RENEWAL",
        "VERO-CUSTOMER-ID",
        "VERO-KEYPAIR",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", detail(&r, id));
    }
    // Not yet picked up: works from Thursday.
    assert_eq!(status(&r, "VERO-ACTIVATION"), "warn");
    assert!(detail(&r, "VERO-ACTIVATION").contains("2026-11-19"));
    assert!(detail(&r, "VERO-ACTIVATION").contains("in office hours"));
    assert!(summary(&r, "Vero API from").starts_with("2026-11-19"));
    // Expires 18.11.2028; renewal opens 60 days earlier.
    assert_eq!(summary(&r, "Renewal opens"), "2028-09-19");
    // The customer-ID attribute is an assumption, and the report says so.
    let assumption = finding(&r, "VERO-CUSTOMER-ID")["assumption"]
        .as_str()
        .expect("assumption");
    assert!(assumption.contains("--id-attribute"), "{assumption}");

    // The next day it is in use.
    let (r, code) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert.to_str().expect("utf-8"),
        "--at",
        "2026-11-19T07:00:00Z",
    ]));
    assert_eq!(code, 0);
    assert_eq!(status(&r, "VERO-ACTIVATION"), "pass");
    assert_eq!(status(&r, "VERO-CUSTOMER-ID"), "skip");
    assert_eq!(status(&r, "VERO-KEYPAIR"), "skip");
}

#[test]
fn formed_on_friday_evening_it_works_from_tuesday() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Friday 20.11.2026 17:00 Finnish time: after office hours → counted Monday → Tuesday.
    let (cert, _) = customer_cert(
        dir.path(),
        Environment::Production,
        CUSTOMER,
        datetime!(2026-11-20 15:00 UTC),
        RsaKeySize::_2048,
    );
    let (r, _) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert.to_str().expect("utf-8"),
        "--at",
        "2026-11-23T12:00:00Z",
    ]));
    assert_eq!(status(&r, "VERO-ACTIVATION"), "warn");
    let d = detail(&r, "VERO-ACTIVATION");
    assert!(
        d.contains("outside office hours") && d.contains("2026-11-24"),
        "{d}"
    );
    assert!(finding(&r, "VERO-ACTIVATION")["assumption"].is_string());
}

#[test]
fn renewal_window_and_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = customer_cert(
        dir.path(),
        Environment::Production,
        CUSTOMER,
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    let run = |at: &str| {
        json_run(tilicheck().current_dir(dir.path()).args([
            "vero",
            "cert",
            cert.to_str().expect("utf-8"),
            "--at",
            at,
        ]))
    };
    let (r, code) = run("2028-09-18");
    assert_eq!((code, status(&r, "VERO-RENEWAL")), (0, "pass"));
    let (r, code) = run("2028-10-01");
    assert_eq!((code, status(&r, "VERO-RENEWAL")), (0, "warn"));
    assert!(detail(&r, "VERO-RENEWAL").contains("since 2028-09-19"));
    let (r, code) = run("2028-12-01");
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-RENEWAL"), "fail");
    assert_eq!(status(&r, "VERO-VALIDITY"), "fail");
    assert!(detail(&r, "VERO-RENEWAL").contains("cannot be renewed"));
}

#[test]
fn a_test_certificate_is_not_a_production_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = customer_cert(
        dir.path(),
        Environment::Test,
        CUSTOMER,
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    let args = |env: &'static str| {
        let mut c = tilicheck();
        c.current_dir(dir.path()).args([
            "vero",
            "cert",
            cert.to_str().expect("utf-8"),
            "--environment",
            env,
            "--at",
            "2027-01-01",
        ]);
        c
    };
    let (r, code) = json_run(&mut args("production"));
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-ISSUER"), "fail");
    assert!(detail(&r, "VERO-ISSUER").contains("issues test certificates"));
    let (r, code) = json_run(&mut args("test"));
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "VERO-ISSUER"), "pass");
    assert_eq!(status(&r, "VERO-ACTIVATION"), "skip");
}

#[test]
fn wrong_customer_wrong_attribute_wrong_key_and_key_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = customer_cert(
        dir.path(),
        Environment::Production,
        CUSTOMER,
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    let (_, other_key) = customer_cert(
        dir.path(),
        Environment::Production,
        "1572860-0",
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_3072,
    );
    let (r, code) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert.to_str().expect("utf-8"),
        "--customer-id",
        "1572860-0",
        "--key",
        other_key.to_str().expect("utf-8"),
        "--at",
        "2027-01-01",
    ]));
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-CUSTOMER-ID"), "fail");
    assert!(detail(&r, "VERO-CUSTOMER-ID").contains("\"0245442-8\""));
    assert_eq!(status(&r, "VERO-KEYPAIR"), "fail");

    let (r, _) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert.to_str().expect("utf-8"),
        "--customer-id",
        CUSTOMER,
        "--id-attribute",
        "serialNumber",
        "--at",
        "2027-01-01",
    ]));
    assert_eq!(status(&r, "VERO-CUSTOMER-ID"), "fail");
    assert!(detail(&r, "VERO-CUSTOMER-ID").contains("no serialNumber"));
    // Chosen by the user: no assumption note.
    assert!(finding(&r, "VERO-CUSTOMER-ID")["assumption"].is_null());

    let (cert3072, _) = customer_cert(
        dir.path(),
        Environment::Production,
        "3072",
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_3072,
    );
    let (r, _) = json_run(tilicheck().current_dir(dir.path()).args([
        "vero",
        "cert",
        cert3072.to_str().expect("utf-8"),
        "--at",
        "2027-01-01",
    ]));
    assert_eq!(status(&r, "VERO-KEY"), "warn");
    assert!(detail(&r, "VERO-KEY").contains("3072"));
}

#[test]
fn unreadable_certificate_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("garbage.pem");
    std::fs::write(&bad, b"not a certificate at all").expect("write");
    tilicheck()
        .current_dir(dir.path())
        .args(["vero", "cert", "garbage.pem"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("garbage.pem"));
}

#[test]
fn issuer_ca_checks_the_signature_not_just_the_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = customer_cert(
        dir.path(),
        Environment::Production,
        CUSTOMER,
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    // Another CA with the very same name.
    customer_cert(
        dir.path(),
        Environment::Production,
        "impostor",
        datetime!(2026-11-18 13:00 UTC),
        RsaKeySize::_2048,
    );
    let run = |ca: &str| {
        json_run(tilicheck().current_dir(dir.path()).args([
            "vero",
            "cert",
            cert.to_str().expect("utf-8"),
            "--issuer-ca",
            ca,
            "--at",
            "2027-01-01",
        ]))
    };
    let (r, code) = run(&format!("{CUSTOMER}-production-ca.pem"));
    assert_eq!(code, 0, "{r:#}");
    assert!(detail(&r, "VERO-ISSUER").contains("the signature verifies"));
    let (r, code) = run("impostor-production-ca.pem");
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-ISSUER"), "fail");
    assert!(detail(&r, "VERO-ISSUER").contains("the issuer is not"));
}
