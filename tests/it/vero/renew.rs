//! `vero renew` and RenewCertificate against the simulator: inside and outside the window,
//! the wrong key, and the request's signature checked by xmlsec1.

use std::path::{Path, PathBuf};

use tilicheck::pki::load;
use tilicheck::pki::load::pem::ToPem;
use tilicheck::profile::VERO;
use tilicheck::profile::vero::Environment;
use tilicheck::secret::PasswordSource;
use tilicheck::vero::client::{ServiceClient, ServiceError};
use tilicheck::vero::dsig::SigningKey;
use tilicheck::vero::https;
use tilicheck::vero::soap::Customer;
use time::macros::datetime;

use super::dsig::xmlsec1_verifies;
use super::service::{CUSTOMER, Service, service, vero_new};
use super::{json_run, status};
use crate::support::tilicheck;

/// A certificate issued by the simulator on 18.11.2026, in `dir/cert`.
fn issued(dir: &Path) -> (Service, PathBuf) {
    let svc = service(datetime!(2026-11-18 11:00 UTC));
    let out = dir.join("cert");
    vero_new(&svc, &out, &[]).assert().code(0);
    (svc, out)
}

fn vero_renew(svc: &Service, current: &Path, out: &Path, at: &str) -> assert_cmd::Command {
    let mut c = tilicheck();
    c.args(["vero", "renew", "--cert"])
        .arg(current.join("vero.pem"))
        .arg("--key")
        .arg(current.join("vero.key"))
        .args(["--environment", "test", "--service-url", &svc.sim.url()])
        .args(["--ca", svc.ca.path().to_str().expect("utf-8")])
        .args(["--out-dir", out.to_str().expect("utf-8")])
        .args(["--poll-interval", "0.05", "--at", at]);
    c
}

#[test]
fn renewal_inside_the_window_is_signed_verifiable_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (svc, current) = issued(dir.path());
    svc.sim.set_clock(Some(datetime!(2028-10-01 09:00 UTC)));
    let out = dir.path().join("renewed");
    let (r, code) = json_run(&mut vero_renew(
        &svc,
        &current,
        &out,
        "2028-10-01T10:00:00Z",
    ));
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(svc.sim.calls("renew"), 1);
    for id in [
        "VERO-ISSUER",
        "VERO-KEY",
        "VERO-VALIDITY",
        "VERO-CUSTOMER-ID",
        "VERO-KEYPAIR",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}");
    }
    assert_ne!(
        std::fs::read(out.join("vero.key")).expect("new key"),
        std::fs::read(current.join("vero.key")).expect("old key"),
        "a new key pair"
    );
    // The request's signature verifies in xmlsec1 with the current certificate.
    let request = svc.sim.last_renewal().expect("renewal received");
    assert!(request.contains("xml-exc-c14n#") && request.contains("rsa-sha256"));
    let (ok, log) = xmlsec1_verifies(&request, &current.join("vero.pem"));
    assert!(ok, "xmlsec1: {log}");
    // ... and not with another certificate.
    let (ok, _) = xmlsec1_verifies(&request, &out.join("vero.pem"));
    assert!(!ok, "xmlsec1 must refuse the wrong key");
}

#[test]
fn renewal_outside_the_window_is_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (svc, current) = issued(dir.path());
    let out = dir.path().join("early");
    let (r, code) = json_run(&mut vero_renew(&svc, &current, &out, "2027-06-01"));
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-RENEWAL"), "fail");
    assert!(!out.exists());
    let (r, code) = json_run(&mut vero_renew(&svc, &current, &out, "2029-01-01"));
    assert_eq!(code, 1);
    assert!(
        r["findings"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("cannot be renewed")
    );
    assert_eq!(svc.sim.calls("renew"), 0);
}

fn client_for(svc: &Service) -> ServiceClient<'static> {
    let ca = load::read_certificates(svc.ca.path(), &PasswordSource::None).expect("ca");
    let roots = https::roots(&ca.certificates).expect("roots");
    ServiceClient::new(&svc.sim.url(), roots, &VERO).expect("client")
}

fn signing_key(path: &Path) -> SigningKey {
    let k = load::read_private_key(path, &PasswordSource::None).expect("key");
    SigningKey::from_der(&k.der).expect("rsa")
}

fn csr() -> Vec<u8> {
    tilicheck::vero::request::make(CUSTOMER, None, &VERO)
        .expect("request")
        .csr_der
}

#[test]
fn the_service_enforces_the_window_and_the_signature_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (svc, current) = issued(dir.path());
    let client = client_for(&svc);
    let cert = load::read_certificates(&current.join("vero.pem"), &PasswordSource::None)
        .expect("cert")
        .certificates[0]
        .to_vec();
    let customer = Customer {
        environment: Environment::Test,
        id: CUSTOMER,
        name: None,
    };
    let key = signing_key(&current.join("vero.key"));
    let request = csr();

    // Too early: the service refuses with its Result structure.
    svc.sim.set_clock(Some(datetime!(2027-06-01 09:00 UTC)));
    match client.renew(&customer, &request, &key, &cert) {
        Err(ServiceError::Rejected { errors, .. }) => {
            assert!(errors.starts_with("PKI005"), "{errors}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }

    // In the window but signed with another key.
    svc.sim.set_clock(Some(datetime!(2028-10-01 09:00 UTC)));
    let other = dir.path().join("other.key");
    std::fs::write(
        &other,
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .expect("key")
            .to_pem(),
    )
    .expect("write");
    match client.renew(&customer, &request, &signing_key(&other), &cert) {
        Err(ServiceError::Rejected { errors, .. }) => {
            assert!(
                errors.starts_with("PKI006") && errors.contains("does not verify"),
                "{errors}"
            )
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // The right key in the window: a retrieval ID.
    let id = client
        .renew(&customer, &request, &key, &cert)
        .expect("renewed");
    assert_eq!(id.len(), 32);
}

#[test]
fn renew_refuses_a_key_that_is_not_the_certificates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (svc, current) = issued(dir.path());
    let other = dir.path().join("other");
    vero_new(&svc, &other, &[])
        .env("T_ID", "unused")
        .assert()
        .code(3); // the grant is spent; only a key is left in `other`
    let out = dir.path().join("renewed");
    let o = tilicheck()
        .args(["vero", "renew", "--cert"])
        .arg(current.join("vero.pem"))
        .arg("--key")
        .arg(other.join("vero.key"))
        .args(["--environment", "test", "--service-url", &svc.sim.url()])
        .args([
            "--out-dir",
            out.to_str().expect("utf-8"),
            "--at",
            "2028-10-01",
        ])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not the private key"));
    assert!(!out.exists());
}
