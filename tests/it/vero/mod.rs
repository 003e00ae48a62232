//! `tilicheck vero …`: the Vero API certificate profile, its timing, and the certificate
//! service (against the in-process simulator on loopback).

mod cert;
mod dsig;
mod https;
mod renew;
mod serve;
pub mod service;

use std::path::{Path, PathBuf};

use rcgen::{KeyPair, RsaKeySize};
use tilicheck::pki::load::pem::ToPem;
use tilicheck::profile::VERO;
use tilicheck::profile::vero::Environment;
use tilicheck::vero::simulator::ca::DemoCa;
use time::OffsetDateTime;

/// A customer certificate from the DEMO Data Providers CA of `env`, with its key, in `dir`.
pub fn customer_cert(
    dir: &Path,
    env: Environment,
    customer_id: &str,
    not_before: OffsetDateTime,
    rsa: RsaKeySize,
) -> (PathBuf, PathBuf) {
    let ca = DemoCa::data_providers(&VERO, env).expect("demo CA");
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rsa).expect("rsa key");
    let der = ca
        .issue_customer(customer_id, &key, not_before, 7, &VERO)
        .expect("issue");
    let cert = dir.join(format!("{customer_id}-{}.pem", env.as_str()));
    std::fs::write(&cert, pem_encode("CERTIFICATE", &der)).expect("write cert");
    // The issuing CA beside it, for --issuer-ca.
    std::fs::write(
        dir.join(format!("{customer_id}-{}-ca.pem", env.as_str())),
        &ca.cert_pem,
    )
    .expect("write ca");
    let key_path = dir.join(format!("{customer_id}-{}.key", env.as_str()));
    std::fs::write(&key_path, key.to_pem()).expect("write key");
    (cert, key_path)
}

pub fn pem_encode(label: &str, der: &[u8]) -> String {
    tilicheck::pki::load::pem::encode(label, der)
}

/// The JSON report of a run, and its exit code.
pub fn json_run(cmd: &mut assert_cmd::Command) -> (serde_json::Value, i32) {
    let out = cmd.args(["--format", "json"]).output().expect("runs");
    let code = out.status.code().expect("exit code");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, code)
}

/// The finding with `id`.
pub fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

pub fn status<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    finding(report, id)["status"].as_str().expect("status")
}

pub fn detail<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    finding(report, id)["detail"].as_str().expect("detail")
}

pub fn summary<'a>(report: &'a serde_json::Value, label: &str) -> &'a str {
    report["subjects"][0]["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["label"] == label)
        .and_then(|s| s["value"].as_str())
        .unwrap_or_else(|| panic!("no summary {label} in {report:#}"))
}
