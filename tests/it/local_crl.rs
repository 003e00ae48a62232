//! `--crl FILE` on every command that judges a certificate path (cert, register-cert, audit,
//! tls, readiness), with `openssl verify -crl_check_all -CRLfile` as the oracle on generated
//! paths: the same CRLs, the same check time, the same verdict.

use std::path::{Path, PathBuf};
use tilicheck::pki::load::{self, pem::ToPem};
use tilicheck::secret::PasswordSource;

use rcgen::{
    CertificateRevocationListParams, Issuer, KeyPair, RevocationReason, RevokedCertParams,
    SerialNumber, SigningKey,
};
use tempfile::TempDir;
use time::{Duration as TimeDelta, OffsetDateTime};

use crate::netpki::{Ca, Urls, now, write};
use crate::revocation::{Finding, finding};
use crate::support::output_text;
use crate::support::{fixture, tilicheck};

/// One revoked entry: serial, reason.
type Revoked = (SerialNumber, RevocationReason);

fn serial(n: u64) -> SerialNumber {
    SerialNumber::from(n)
}

/// A CRL from `issuer` with `this_update`/`next_update` relative to `at`.
fn crl(
    issuer: &Issuer<'_, impl SigningKey>,
    revoked: &[Revoked],
    at: OffsetDateTime,
    this_update: TimeDelta,
    next_update: TimeDelta,
) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: at + this_update,
        next_update: at + next_update,
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|(serial, reason)| RevokedCertParams {
                serial_number: serial.clone(),
                revocation_time: at - TimeDelta::days(2),
                reason_code: Some(*reason),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .expect("CRL")
    .der()
    .to_vec()
}

/// A current CRL (an hour old, a week to go).
fn current(
    issuer: &Issuer<'_, impl SigningKey>,
    revoked: &[Revoked],
    at: OffsetDateTime,
) -> Vec<u8> {
    crl(
        issuer,
        revoked,
        at,
        -TimeDelta::hours(1),
        TimeDelta::days(7),
    )
}

fn pem(der: &[u8]) -> String {
    load::pem::encode("X509 CRL", der)
}

/// The signature is the CRL's last bytes: flip one.
fn bad_signature(mut der: Vec<u8>) -> Vec<u8> {
    let last = der.len() - 5;
    der[last] ^= 0x40;
    der
}

const LEAF_SERIAL: u64 = 0x4242;

/// root → CA → leaf, no distribution points: only `--crl` can answer.
struct Pki {
    dir: TempDir,
    at: OffsetDateTime,
    root: Ca,
    ca: Ca,
    root_pem: PathBuf,
    ca_pem: PathBuf,
    leaf_pem: PathBuf,
    ca_serial: SerialNumber,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = now().replace_nanosecond(0).expect("whole second");
        let root = Ca::root("CRL TEST Root");
        let ca = Ca::intermediate(
            "CRL TEST CA",
            &root,
            &Urls::default(),
            at - TimeDelta::days(30),
            at + TimeDelta::days(3650),
        );
        let ca_serial = {
            let (_, c) = x509_parser::parse_x509_certificate(ca.cert.der()).expect("CA");
            SerialNumber::from_slice(c.raw_serial())
        };
        let leaf = ca.leaf("crl-test-leaf", LEAF_SERIAL, &Urls::default());
        let root_pem = write(dir.path(), "root.pem", root.cert.to_pem().as_bytes());
        let ca_pem = write(dir.path(), "ca.pem", ca.cert.to_pem().as_bytes());
        let leaf_pem = write(dir.path(), "leaf.pem", leaf.to_pem().as_bytes());
        Pki {
            dir,
            at,
            root,
            ca,
            root_pem,
            ca_pem,
            leaf_pem,
            ca_serial,
        }
    }

    fn at_arg(&self) -> String {
        tilicheck::time_arg::format_time(self.at)
    }

    fn root_crl(&self, revoked: &[Revoked]) -> Vec<u8> {
        current(&self.root.issuer(), revoked, self.at)
    }

    fn ca_crl(&self, revoked: &[Revoked]) -> Vec<u8> {
        current(&self.ca.issuer(), revoked, self.at)
    }
}

/// `tilicheck cert` offline with these CRL files: (CERT-ISSUER, CERT-REVOCATION).
fn run_cert(p: &Pki, crls: &[PathBuf]) -> (Finding, Finding) {
    let mut cmd = tilicheck();
    cmd.current_dir(p.dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&p.leaf_pem)
        .arg("--chain")
        .arg(&p.ca_pem)
        .arg("--trust-only")
        .arg(&p.root_pem)
        .args(["--offline", "--purpose", "tls", "--format", "json", "--at"])
        .arg(p.at_arg());
    for c in crls {
        cmd.arg("--crl").arg(c);
    }
    let out = cmd.output().expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (
        finding(&json, "CERT-ISSUER"),
        finding(&json, "CERT-REVOCATION"),
    )
}

/// `openssl verify -crl_check_all` with the same CRLs at the same time: Ok, or its error line.
fn openssl_verify(p: &Pki, crls: &[Vec<u8>]) -> Result<(), String> {
    let all: String = crls.iter().map(|c| pem(c)).collect();
    let file = write(p.dir.path(), "openssl-crls.pem", all.as_bytes());
    let out = std::process::Command::new("openssl")
        .args(["verify", "-crl_check_all", "-CAfile"])
        .arg(&p.root_pem)
        .arg("-untrusted")
        .arg(&p.ca_pem)
        .arg("-CRLfile")
        .arg(&file)
        .args(["-attime", &p.at.unix_timestamp().to_string()])
        .arg(&p.leaf_pem)
        .output()
        .expect("openssl is installed");
    let text = output_text(&out);
    if out.status.success() && text.contains(": OK") {
        Ok(())
    } else {
        Err(text)
    }
}

/// One oracle case: the CRLs handed to both, and what tilicheck's CERT-REVOCATION says.
struct Case {
    name: &'static str,
    crls: Vec<Vec<u8>>,
    /// CERT-REVOCATION status and words its detail must contain.
    status: &'static str,
    needles: Vec<String>,
}

#[test]
fn openssl_verify_agrees_on_generated_paths() {
    let p = Pki::new();
    let key = RevocationReason::KeyCompromise;
    let wrong_issuer = current(&p.root.issuer(), &[], p.at);
    let cases = vec![
        Case {
            name: "good",
            crls: vec![p.root_crl(&[]), p.ca_crl(&[(serial(0x9999), key)])],
            status: "pass",
            needles: vec!["ca-crl.der".into(), "root-crl.pem".into()],
        },
        Case {
            name: "leaf revoked",
            crls: vec![p.root_crl(&[]), p.ca_crl(&[(serial(LEAF_SERIAL), key)])],
            status: "fail",
            needles: vec!["REVOKED".into(), "keyCompromise".into()],
        },
        Case {
            name: "leaf on hold",
            crls: vec![
                p.root_crl(&[]),
                p.ca_crl(&[(serial(LEAF_SERIAL), RevocationReason::CertificateHold)]),
            ],
            status: "fail",
            needles: vec!["ON HOLD".into()],
        },
        Case {
            name: "intermediate revoked",
            crls: vec![p.root_crl(&[(p.ca_serial.clone(), key)]), p.ca_crl(&[])],
            status: "fail",
            needles: vec!["intermediate \"CRL TEST CA\": CRL REVOKED".into()],
        },
        Case {
            name: "no CRL for the leaf",
            crls: vec![p.root_crl(&[])],
            status: "skip",
            needles: vec!["does not cover it".into()],
        },
        Case {
            name: "CRL with a bad signature",
            crls: vec![p.root_crl(&[]), bad_signature(p.ca_crl(&[]))],
            status: "error",
            needles: vec!["ca-crl.der".into(), "signature does not verify".into()],
        },
        Case {
            name: "expired CRL",
            crls: vec![
                p.root_crl(&[]),
                crl(
                    &p.ca.issuer(),
                    &[],
                    p.at,
                    -TimeDelta::days(10),
                    -TimeDelta::days(3),
                ),
            ],
            status: "warn",
            needles: vec!["ca-crl.der is stale".into()],
        },
        Case {
            name: "CRL not yet valid",
            crls: vec![
                p.root_crl(&[]),
                crl(
                    &p.ca.issuer(),
                    &[],
                    p.at,
                    TimeDelta::days(1),
                    TimeDelta::days(8),
                ),
            ],
            status: "warn",
            needles: vec!["not valid yet".into()],
        },
        Case {
            // The root's CRL where the CA's should be: it does not cover the leaf.
            name: "CRL of another issuer",
            crls: vec![p.root_crl(&[]), wrong_issuer],
            status: "skip",
            needles: vec!["none of the 2 --crl CRLs covers it".into()],
        },
    ];
    for case in &cases {
        // tilicheck gets the root's CRL as PEM, the CA's (second) as DER.
        let mut files = Vec::new();
        for (i, der) in case.crls.iter().enumerate() {
            files.push(if i == 0 {
                write(p.dir.path(), "root-crl.pem", pem(der).as_bytes())
            } else {
                write(p.dir.path(), "ca-crl.der", der)
            });
        }
        let (issuer, rev) = run_cert(&p, &files);
        assert_eq!(issuer.status, "pass", "{}: {issuer:?}", case.name);
        assert_eq!(rev.status, case.status, "{}: {rev:?}", case.name);
        for n in &case.needles {
            assert!(
                rev.detail.contains(n.as_str()),
                "{}: {n:?} not in {rev:?}",
                case.name
            );
        }
        let ours = rev.status == "pass";
        let theirs = openssl_verify(&p, &case.crls);
        assert_eq!(
            ours,
            theirs.is_ok(),
            "{}: tilicheck {rev:?}, openssl {theirs:?}",
            case.name
        );
    }
}

#[test]
fn a_crl_that_covers_nothing_leaves_the_status_unknown() {
    let p = Pki::new();
    let other = Ca::root("CRL TEST Unrelated Root");
    let file = write(
        p.dir.path(),
        "other.crl",
        &current(&other.issuer(), &[], p.at),
    );
    let (_, rev) = run_cert(&p, &[file]);
    // Neither the leaf nor the intermediate is covered: skipped, never a pass.
    assert_eq!(rev.status, "skip", "{rev:?}");
    assert_eq!(
        rev.detail
            .matches("the --crl CRL does not cover it")
            .count(),
        2,
        "{rev:?}"
    );
}

/// The DEMO service CA (its key is in the fixtures) revoking `serial` (keyCompromise).
fn demo_service_ca_crl(dir: &Path, name: &str, serial: &[u8]) -> PathBuf {
    let none = PasswordSource::None;
    let key = load::read_private_key(&fixture("service-ca.key"), &none).expect("key");
    let key = KeyPair::try_from(&key.der).expect("DEMO CA key");
    let cert = load::read_certificates(&fixture("service-ca.pem"), &none).expect("cert");
    let issuer = Issuer::from_ca_cert_der(&cert.certificates[0], key).expect("DEMO CA");
    let at = OffsetDateTime::parse(
        "2030-01-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let der = CertificateRevocationListParams {
        this_update: at - TimeDelta::days(1),
        next_update: at + TimeDelta::days(30),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from_slice(serial),
            revocation_time: at - TimeDelta::days(2),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .expect("CRL")
    .der()
    .to_vec();
    write(dir, name, pem(&der).as_bytes())
}

fn serial_of(name: &str) -> Vec<u8> {
    let pem = std::fs::read(fixture(name)).expect("fixture");
    let (_, p) = x509_parser::pem::parse_x509_pem(&pem).expect("PEM");
    let (_, c) = x509_parser::parse_x509_certificate(&p.contents).expect("cert");
    c.raw_serial().to_vec()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn register_cert_takes_crl_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crl = demo_service_ca_crl(dir.path(), "service.crl", &serial_of("register.pem"));
    let run = |crls: &[&Path]| {
        let mut cmd = tilicheck();
        cmd.args([
            "register-cert",
            "register.pem",
            "--at",
            "2030-01-01",
            "--format",
            "json",
        ]);
        for c in crls {
            cmd.arg("--crl").arg(c);
        }
        json_of(&cmd.output().expect("runs"))
    };
    let rev = finding(&run(&[&crl]), "CERT-REVOCATION");
    assert_eq!(rev.status, "fail", "{rev:?}");
    assert!(
        rev.detail.contains("service.crl") && rev.detail.contains("REVOKED"),
        "{rev:?}"
    );
    // The same CRL says nothing about another CA's certificate: offline, still unchecked.
    let qwac = tilicheck()
        .args([
            "cert",
            "qwac.pem",
            "--at",
            "2030-01-01",
            "--format",
            "json",
            "--crl",
        ])
        .arg(&crl)
        .output()
        .expect("runs");
    let rev = finding(&json_of(&qwac), "CERT-REVOCATION");
    assert_eq!(rev.status, "skip", "{rev:?}");
}

#[test]
fn audit_takes_crl_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crl = demo_service_ca_crl(dir.path(), "service.crl", &serial_of("supplier.pem"));
    let out = tilicheck()
        .args([
            "audit",
            "supplier.pem",
            "service-centre.pem",
            "--at",
            "2030-01-01",
        ])
        .args(["--format", "json", "--crl"])
        .arg(&crl)
        .output()
        .expect("runs");
    let doc = json_of(&out);
    let rows = doc["rows"].as_array().expect("rows");
    let rules = |file: &str, key: &str| -> Vec<String> {
        let row = rows
            .iter()
            .find(|r| r["paths"].to_string().contains(file))
            .unwrap_or_else(|| panic!("no row for {file}: {doc}"));
        row[key]
            .as_array()
            .expect("rules")
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(
        rules("supplier.pem", "failing_rules").contains(&"CERT-REVOCATION".to_owned()),
        "{doc}"
    );
    // The other certificate of the same CA is covered and not listed: good.
    assert!(
        !rules("service-centre.pem", "failing_rules").contains(&"CERT-REVOCATION".to_owned()),
        "{doc}"
    );
    assert!(
        !rules("service-centre.pem", "warning_rules").contains(&"CERT-REVOCATION".to_owned()),
        "{doc}"
    );
}

#[test]
fn tls_takes_crl_files_for_the_server_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crl = demo_service_ca_crl(dir.path(), "service.crl", &serial_of("register.pem"));
    let server = crate::tls_servers::OpensslServer::start(&[]);
    let out = tilicheck()
        .args([
            "tls",
            &server.endpoint(),
            "--at",
            "2030-01-01",
            "--format",
            "json",
        ])
        .arg("--crl")
        .arg(&crl)
        .output()
        .expect("runs");
    let rev = finding(&json_of(&out), "CERT-REVOCATION");
    assert_eq!(rev.status, "fail", "{rev:?}");
    assert!(rev.detail.contains("service.crl"), "{rev:?}");
}

#[test]
fn readiness_takes_crl_files_from_the_configuration_and_the_command_line() {
    let sim = crate::simulator::start(tilicheck::profile::Interface::V3);
    let dir = tempfile::tempdir().expect("tempdir");
    let crl = demo_service_ca_crl(dir.path(), "service.crl", &serial_of("supplier.pem"));
    let f = |n: &str| fixture(n).display().to_string();
    let config = |crl_line: &str| {
        let text = format!(
            "endpoint = \"https://127.0.0.1:{}\"\nbusiness_id = \"1234567-1\"\ngo_live = \"2030-01-01\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n[trust]\ntrust_only = [\"{}\"]\noffline = true\n{crl_line}\n",
            sim.addr().port(),
            f("supplier-chain.pem"),
            f("supplier.key"),
            f("root-ca.pem"),
        );
        write(dir.path(), "tilicheck.toml", text.as_bytes())
    };
    let run = |cfg: &Path, extra: &[&Path]| {
        let mut cmd = tilicheck();
        cmd.args(["readiness", "--format", "json", "--config"])
            .arg(cfg);
        for c in extra {
            cmd.arg("--crl").arg(c);
        }
        finding(&json_of(&cmd.output().expect("runs")), "CERT-REVOCATION")
    };
    let rev = run(&config("crl = [\"service.crl\"]"), &[]);
    assert_eq!(rev.status, "fail", "{rev:?}");
    assert!(rev.detail.contains("service.crl"), "{rev:?}");
    let rev = run(&config(""), &[&crl]);
    assert_eq!(rev.status, "fail", "{rev:?}");
    // Without a CRL, offline: not checked.
    let rev = run(&config(""), &[]);
    assert_eq!(rev.status, "skip", "{rev:?}");
}

#[test]
fn crl_files_that_cannot_be_used_stop_the_command_with_their_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = write(dir.path(), "garbage.crl", b"\x30\x03abc");
    let missing = dir.path().join("missing.crl");
    let cases: [(&Path, &str); 3] = [
        (&garbage, "garbage.crl: CRL #1 cannot be read"),
        (&missing, "missing.crl"),
        (&fixture("root-ca.pem"), "not a CRL"),
    ];
    for (file, needle) in cases {
        let out = tilicheck()
            .args(["cert", "supplier.pem", "--at", "2030-01-01", "--crl"])
            .arg(file)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("--crl"),
            "{needle:?} not in {err}"
        );
    }
    // A CRL and "OCSP only" contradict each other.
    let crl = demo_service_ca_crl(dir.path(), "service.crl", &serial_of("supplier.pem"));
    // Bigger than --max-download: refused before it is read whole.
    let out = tilicheck()
        .args(["cert", "supplier.pem", "--max-download", "100", "--crl"])
        .arg(&crl)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("service.crl") && err.contains("100 bytes"),
        "{err}"
    );
    let out = tilicheck()
        .args(["cert", "supplier.pem", "--revocation", "ocsp", "--crl"])
        .arg(&crl)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--revocation ocsp"));
}
