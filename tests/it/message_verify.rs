//! `message verify` judges the signing certificate as `sign` does. The tokens here are made by
//! joserfc (Python), an independent signer, so that certificates `sign` refuses can still be
//! put to `verify`; joserfc also verifies what `sign` made.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::netpki::{Reply, Urls, ok};
use crate::revocation::Setup;
use crate::support::{AT, fixture, python, tilicheck};

/// Signs the two v3 tokens with joserfc: `sub` is the certificate's subject serialNumber.
const JOSERFC_SIGN: &str = r#"
import json, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey
key_path, cert_path, report_path, out_dir = sys.argv[1:5]
cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
sub = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
key = RSAKey.import_key(open(key_path).read())
header = {"alg": "RS256", "typ": "JWT"}
report = json.load(open(report_path))
auth = jwt.encode(header, {"sub": sub, "aud": "accountRegister"}, key)
body = jwt.encode(header, {"sub": sub, "aud": "accountRegister", "reportUpdate": report}, key)
open(out_dir + "/auth.jwt", "w").write(auth)
open(out_dir + "/body.jwt", "w").write(body)
"#;

/// Verifies a request's two tokens with joserfc against the certificate's public key and
/// prints the body token's claims.
const JOSERFC_VERIFY: &str = r#"
import json, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import RSAKey
request_path, cert_path = sys.argv[1:3]
cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
pem = cert.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
key = RSAKey.import_key(pem)
text = open(request_path, newline="").read()
head, body = text.split("\r\n\r\n", 1)
auth = [l for l in head.split("\r\n") if l.startswith("Authorization: Bearer ")][0].split(" ", 2)[2]
a = jwt.decode(auth, key, algorithms=["RS256"])
b = jwt.decode(body, key, algorithms=["RS256"])
assert a.header["alg"] == "RS256" and b.header["typ"] == "JWT"
print(json.dumps({"auth": a.claims, "body": b.claims}))
"#;

fn official_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples/report-update-v3-other.json")
}

/// Tokens signed by joserfc with `key` for `cert`, in `dir`.
fn joserfc_tokens(dir: &Path, key: &Path, cert: &Path) {
    python(
        "joserfc",
        JOSERFC_SIGN,
        [key, cert, &official_example(), dir],
    );
}

fn verify(dir: &Path, cert: &Path, extra: &[&str]) -> (i32, Value) {
    let auth = format!("@{}", dir.join("auth.jwt").display());
    let out = tilicheck()
        .args(["message", "verify", "--format", "json", "--at", AT])
        .args(extra)
        .args(["--authorization", &auth, "--body"])
        .arg(dir.join("body.jwt"))
        .arg("--cert")
        .arg(cert)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), v)
}

/// (status, detail) of the signing certificate's findings for `id`.
fn cert_findings(v: &Value, id: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"] == "signing certificate" && f["id"] == id)
        .map(|f| {
            (
                f["status"].as_str().unwrap_or_default().to_owned(),
                f["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn status_of(v: &Value, subject: &str, id: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"] == subject && f["id"] == id)
        .map(|f| f["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn certificates_sign_refuses_fail_verify_too() {
    // Each certificate: its key, the rule that refuses it, and a word of the explanation.
    let cases = [
        (
            "bad-expired.pem",
            "supplier.key",
            "CERT-VALIDITY",
            "expired",
        ),
        (
            "bad-rsa2048.pem",
            "bad-rsa2048.key",
            "CERT-KEY-STRENGTH",
            "2048",
        ),
        (
            "bad-no-digitalsignature.pem",
            "supplier.key",
            "CERT-KU-SIGN",
            "digitalSignature",
        ),
        (
            "bad-check-digit.pem",
            "supplier.key",
            "ID-CHECKDIGIT",
            "check digit",
        ),
    ];
    for (cert, key, rule, word) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        joserfc_tokens(dir.path(), &fixture(key), &fixture(cert));
        // The tokens themselves are sound: signature, claims and sub all pass...
        let (code, v) = verify(dir.path(), &fixture(cert), &[]);
        for token in ["Authorization token", "body token"] {
            for id in ["JWS-ALG", "JWS-SIG", "JWS-CLAIMS", "JWS-SUB"] {
                assert_eq!(status_of(&v, token, id), ["pass"], "{cert} {token} {id}");
            }
        }
        // ...but the certificate is one the register refuses, so verify fails.
        assert_eq!(code, 1, "{cert}: {v:#}");
        let found = cert_findings(&v, rule);
        assert!(
            found.iter().any(|(s, d)| s == "fail"
                && d.contains(word)
                && d.contains("the register would answer 403")),
            "{cert} {rule}: {found:?}"
        );
        let answer = v["subjects"]
            .as_array()
            .expect("subjects")
            .iter()
            .find(|s| s["role"] == "signing certificate")
            .map(|s| s["summary"].to_string())
            .unwrap_or_default();
        assert!(
            answer.contains("Register's answer") && answer.contains(rule),
            "{cert}: {answer}"
        );
        // The same certificate with --strict: still a failure, not something stricter hides.
        let (code, _) = verify(dir.path(), &fixture(cert), &["--strict"]);
        assert_eq!(code, 1, "{cert} --strict");

        // And `sign` refuses the same certificate with the same rule.
        let out = tilicheck()
            .args(["message", "sign", "--format", "json", "--at", AT])
            .arg(official_example())
            .arg("--key")
            .arg(fixture(key))
            .arg("--cert")
            .arg(fixture(cert))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "sign {cert}");
        let signed: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert!(
            cert_findings(&signed, rule)
                .iter()
                .any(|(s, _)| s == "fail"),
            "sign {cert} {rule}"
        );
    }
}

#[test]
fn joserfc_tokens_with_the_good_certificate_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    joserfc_tokens(
        dir.path(),
        &fixture("supplier.key"),
        &fixture("supplier.pem"),
    );
    let (code, v) = verify(dir.path(), &fixture("supplier.pem"), &[]);
    assert_eq!(code, 0, "{v:#}");
    for id in [
        "CERT-VALIDITY",
        "CERT-KEY-STRENGTH",
        "CERT-KU-SIGN",
        "CERT-ID",
        "ID-CHECKDIGIT",
        "CERT-ISSUER",
    ] {
        assert_eq!(
            cert_findings(&v, id).first().map(|(s, _)| s.as_str()),
            Some("pass"),
            "{id}"
        );
    }
    // Offline, revocation is a skip, never a pass.
    assert_eq!(
        cert_findings(&v, "CERT-REVOCATION")
            .first()
            .map(|(s, _)| s.as_str()),
        Some("skip")
    );
}

#[test]
fn joserfc_verifies_what_sign_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let req = dir.path().join("request.http");
    tilicheck()
        .args(["message", "sign", "--at", AT])
        .arg(official_example())
        .args([
            "--key",
            "supplier.key",
            "--cert",
            "supplier.pem",
            "--request",
        ])
        .arg(&req)
        .assert()
        .success();
    let out = python("joserfc", JOSERFC_VERIFY, [&req, &fixture("supplier.pem")]);
    let claims: Value = serde_json::from_slice(&out.stdout).expect("claims");
    assert_eq!(claims["auth"]["sub"], "1234567-1");
    assert_eq!(claims["auth"]["aud"], "accountRegister");
    let original: Value =
        serde_json::from_slice(&std::fs::read(official_example()).expect("example")).expect("json");
    assert_eq!(claims["body"]["reportUpdate"], original);
}

#[test]
fn verify_judges_the_issuer_and_revocation_with_the_trust_options() {
    // Without the DEMO anchors the DEMO certificate chains to no DVV root: CERT-ISSUER fails.
    let dir = tempfile::tempdir().expect("tempdir");
    joserfc_tokens(
        dir.path(),
        &fixture("supplier.key"),
        &fixture("supplier.pem"),
    );
    let auth = format!("@{}", dir.path().join("auth.jwt").display());
    let out = tilicheck()
        .env_remove("TILICHECK_TRUST")
        .args(["message", "verify", "--format", "json", "--at", AT])
        .args(["--authorization", &auth, "--body"])
        .arg(dir.path().join("body.jwt"))
        .args(["--cert", "supplier.pem"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(
        cert_findings(&v, "CERT-ISSUER")
            .first()
            .map(|(s, _)| s.as_str()),
        Some("fail"),
        "{v:#}"
    );

    // Online, a certificate its CA has revoked fails CERT-REVOCATION, as in `cert`.
    let s = Setup::new();
    let crl = s.ca.crl(
        &[0x1001],
        crate::netpki::now() - time::Duration::hours(1),
        crate::netpki::now() + time::Duration::days(7),
    );
    s.server
        .route("/ca.crl", Reply::Raw(ok(&crl, "application/pkix-crl")));
    let leaf = s.leaf(
        "revoked-leaf",
        0x1001,
        &Urls {
            crl: vec![s.server.url("/ca.crl")],
            ..Urls::default()
        },
    );
    // The certificate file carries its chain, as a PEM delivered with one does.
    let mut chain = std::fs::read(&leaf).expect("leaf");
    chain.extend(std::fs::read(&s.ca_pem).expect("ca"));
    let leaf = crate::netpki::write(s.dir.path(), "revoked-chain.pem", &chain);
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_OFFLINE")
        .env_remove("TILICHECK_TRUST")
        .args(["message", "verify", "--format", "json"])
        .args(["--authorization", &auth, "--body"])
        .arg(dir.path().join("body.jwt"))
        .arg("--cert")
        .arg(&leaf)
        .arg("--trust-only")
        .arg(&s.root_pem)
        .arg("--crl-cache")
        .arg(s.dir.path().join("cache"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("report");
    let revocation = cert_findings(&v, "CERT-REVOCATION");
    assert!(
        revocation
            .iter()
            .any(|(st, d)| st == "fail" && d.contains("REVOKED") && d.contains("/ca.crl")),
        "{revocation:?}"
    );
}
