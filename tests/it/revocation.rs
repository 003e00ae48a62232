//! CERT-REVOCATION against real peers on loopback: a CRL server thread, `openssl ocsp`, canned
//! OCSP responders, and hostile HTTP servers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rcgen::{Issuer, KeyPair};
use tempfile::TempDir;
use time::Duration as TimeDelta;

use crate::netpki::{
    Ca, OpensslOcsp, Reply, Server, Urls, crl_signed_by, free_port, index_line, now,
    ocsp_responder, ok, write,
};
use crate::support::tilicheck;

use tilicheck::pki::load::pem::ToPem;

/// A root, an intermediate whose CRL the root publishes, and a server for both.
pub struct Setup {
    pub dir: TempDir,
    pub server: Server,
    pub root: Ca,
    pub ca: Ca,
    pub root_pem: PathBuf,
    pub ca_pem: PathBuf,
}

impl Setup {
    pub fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = Server::start();
        let root = Ca::root("TEST Root");
        let ca = Ca::intermediate(
            "TEST Issuing CA",
            &root,
            &Urls {
                crl: vec![server.url("/root.crl")],
                ..Urls::default()
            },
            now() - TimeDelta::days(30),
            now() + TimeDelta::days(3650),
        );
        let root_crl = root.crl(&[], now() - TimeDelta::hours(1), now() + TimeDelta::days(7));
        server.route(
            "/root.crl",
            Reply::Raw(ok(&root_crl, "application/pkix-crl")),
        );
        let root_pem = write(dir.path(), "root.pem", root.cert.to_pem().as_bytes());
        let ca_pem = write(dir.path(), "ca.pem", ca.cert.to_pem().as_bytes());
        Setup {
            dir,
            server,
            root,
            ca,
            root_pem,
            ca_pem,
        }
    }

    /// A leaf of the intermediate, written to a file.
    pub fn leaf(&self, name: &str, serial: u64, urls: &Urls) -> PathBuf {
        let cert = self.ca.leaf(name, serial, urls);
        write(
            self.dir.path(),
            &format!("{name}.pem"),
            cert.to_pem().as_bytes(),
        )
    }

    /// A leaf whose CRL distribution point is `path` on the server.
    pub fn crl_leaf(&self, path: &str) -> PathBuf {
        self.leaf(
            "crl-leaf",
            0x1001,
            &Urls {
                crl: vec![self.server.url(path)],
                ..Urls::default()
            },
        )
    }
}

/// `tilicheck cert LEAF --chain ca.pem --trust-only ANCHOR` online, JSON out; the
/// CERT-ISSUER and CERT-REVOCATION findings as (status, detail).
pub fn run_cert(
    s: &Setup,
    leaf: &std::path::Path,
    anchor: &std::path::Path,
    extra: &[&str],
) -> (Finding, Finding) {
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_OFFLINE")
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(leaf)
        .arg("--chain")
        .arg(&s.ca_pem)
        .arg("--trust-only")
        .arg(anchor)
        .arg("--crl-cache")
        .arg(s.dir.path().join("cache"))
        .args(["--purpose", "tls", "--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.is_empty(),
        "no report; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    (
        finding(&json, "CERT-ISSUER"),
        finding(&json, "CERT-REVOCATION"),
    )
}

#[derive(Debug)]
pub struct Finding {
    pub status: String,
    pub detail: String,
}

pub fn finding(v: &serde_json::Value, id: &str) -> Finding {
    fn find<'a>(v: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("id").and_then(|i| i.as_str()) == Some(id) && m.contains_key("status") {
                    return Some(v);
                }
                m.values().find_map(|x| find(x, id))
            }
            serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, id)),
            _ => None,
        }
    }
    let f = find(v, id).unwrap_or_else(|| panic!("no {id} finding in {v}"));
    Finding {
        status: f["status"].as_str().unwrap_or_default().to_owned(),
        detail: f["detail"].as_str().unwrap_or_default().to_owned(),
    }
}

fn assert_status(f: &Finding, status: &str, needles: &[&str]) {
    assert_eq!(f.status, status, "{f:?}");
    for n in needles {
        assert!(f.detail.contains(n), "{n:?} not in {f:?}");
    }
}

fn serve_crl(s: &Setup, path: &str, crl: Vec<u8>) {
    s.server
        .route(path, Reply::Raw(ok(&crl, "application/pkix-crl")));
}

fn fresh(s: &Setup, revoked: &[u64]) -> Vec<u8> {
    s.ca.crl(
        revoked,
        now() - TimeDelta::hours(1),
        now() + TimeDelta::days(7),
    )
}

#[test]
fn crl_good_then_served_from_the_cache() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[0x2002]));
    let leaf = s.crl_leaf("/ca.crl");
    let (issuer, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    assert_status(&issuer, "pass", &["TEST Issuing CA"]);
    // The leaf against the intermediate's CRL, the intermediate against the root's.
    assert_status(
        &rev,
        "pass",
        &[
            "/ca.crl",
            "/root.crl",
            "fetched",
            "intermediate \"TEST Issuing CA\"",
        ],
    );

    // The server now refuses; the cached, still current CRL answers.
    s.server.route(
        "/ca.crl",
        Reply::Raw(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n".to_vec()),
    );
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    assert_status(&rev, "pass", &["cached in"]);
}

#[test]
fn crl_revoked_fails_with_time_and_reason() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[0x1001]));
    let leaf = s.crl_leaf("/ca.crl");
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &[]);
    assert_status(&rev, "fail", &["REVOKED", "keyCompromise", "/ca.crl"]);
}

#[test]
fn crl_with_a_bad_signature_is_an_error() {
    let s = Setup::new();
    let impostor = KeyPair::generate().expect("key");
    let forged = crl_signed_by(
        &Issuer::from_params(&s.ca.params, &impostor),
        &[],
        now() - TimeDelta::hours(1),
        now() + TimeDelta::days(7),
    );
    serve_crl(&s, "/ca.crl", forged);
    let leaf = s.crl_leaf("/ca.crl");
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    assert_status(&rev, "error", &["signature does not verify"]);
}

#[test]
fn stale_crl_is_unknown_not_good() {
    let s = Setup::new();
    serve_crl(
        &s,
        "/ca.crl",
        s.ca.crl(&[], now() - TimeDelta::days(3), now() - TimeDelta::days(1)),
    );
    let leaf = s.crl_leaf("/ca.crl");
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    assert_status(&rev, "warn", &["stale"]);
}

#[test]
fn crl_bigger_than_the_cap_is_an_error() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[]));
    let leaf = s.crl_leaf("/ca.crl");
    let (_, rev) = run_cert(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl", "--max-download", "64"],
    );
    assert_status(&rev, "error", &["larger than the 64-byte cap"]);
}

#[test]
fn ldap_only_distribution_point_is_unsupported_never_pass() {
    let s = Setup::new();
    let leaf = s.leaf(
        "ldap-leaf",
        0x1001,
        &Urls {
            crl: vec!["ldap://ldap.example/cn=TEST%20Issuing%20CA,c=FI".into()],
            ..Urls::default()
        },
    );
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    assert_status(&rev, "warn", &["LDAP", "ldap://ldap.example"]);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let s = Setup::new();
    s.server.route("/ca.crl", Reply::Hang);
    let leaf = s.crl_leaf("/ca.crl");
    let start = Instant::now();
    let (_, rev) = run_cert(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl", "--net-timeout", "1"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_status(&rev, "warn", &["no answer", "within 1s"]);
}

#[test]
fn offline_skips_never_passes() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[]));
    let leaf = s.crl_leaf("/ca.crl");
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--offline"]);
    assert_status(&rev, "skip", &["--offline"]);
}

/// Hostile CRL servers: each ends in a clear error, quickly.
#[test]
fn hostile_crl_servers() {
    let s = Setup::new();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("/garbage.crl", ok(b"\x30\x82\xff\xffnot a CRL at all", "application/pkix-crl"), "not valid DER"),
        (
            "/truncated.crl",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".to_vec(),
            "closed before the whole body arrived",
        ),
        (
            "/loop.crl",
            b"HTTP/1.1 302 Found\r\nLocation: /loop.crl\r\nContent-Length: 0\r\n\r\n".to_vec(),
            "more than 3 redirects",
        ),
        (
            "/huge.crl",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n0123".to_vec(),
            "declared 10000000000 bytes",
        ),
        (
            "/gzip.crl",
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00".to_vec(),
            "gzip-encoded",
        ),
    ];
    for (path, reply, needle) in cases {
        s.server.route(path, Reply::Raw(reply));
        let leaf = s.crl_leaf(path);
        let start = Instant::now();
        let (_, rev) = run_cert(
            &s,
            &leaf,
            &s.root_pem,
            &["--revocation", "crl", "--net-timeout", "5"],
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{path}: took {:?}",
            start.elapsed()
        );
        assert_status(&rev, "error", &[needle, path]);
    }
}

/// Leaves under the intermediate with an OCSP URL; the intermediate is the anchor, so only
/// the leaf is asked about.
fn ocsp_leaf(s: &Setup, name: &str, serial: u64, url: &str) -> PathBuf {
    s.leaf(
        name,
        serial,
        &Urls {
            ocsp: Some(url.to_owned()),
            ..Urls::default()
        },
    )
}

#[test]
fn openssl_ocsp_good_revoked_and_unknown() {
    let s = Setup::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let good = ocsp_leaf(&s, "good", 0x1001, &url);
    let revoked = ocsp_leaf(&s, "revoked", 0x1002, &url);
    let unknown = ocsp_leaf(&s, "unknown", 0x1003, &url);
    let key = write(s.dir.path(), "ca.key", s.ca.key.to_pem().as_bytes());
    let index = index_line(0x1001, false, "good") + &index_line(0x1002, true, "revoked");
    let _responder = OpensslOcsp::start(s.dir.path(), port, &index, &s.ca_pem, &key);

    let args = ["--revocation", "ocsp"];
    let (_, rev) = run_cert(&s, &good, &s.ca_pem, &args);
    assert_status(&rev, "pass", &["OCSP good", &url, "producedAt"]);
    let (_, rev) = run_cert(&s, &revoked, &s.ca_pem, &args);
    assert_status(&rev, "fail", &["REVOKED", "keyCompromise"]);
    let (_, rev) = run_cert(&s, &unknown, &s.ca_pem, &args);
    assert_status(&rev, "warn", &["does not know this certificate"]);
}

#[test]
fn ocsp_signed_by_an_unauthorised_key_is_an_error() {
    let s = Setup::new();
    s.server.route(
        "/ocsp",
        ocsp_responder(KeyPair::generate().expect("key"), Vec::new(), None),
    );
    let leaf = ocsp_leaf(&s, "leaf", 0x1001, &s.server.url("/ocsp"));
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "ocsp"]);
    assert_status(&rev, "error", &["unauthorised or forged"]);
}

#[test]
fn ocsp_from_a_responder_the_ca_did_not_issue_is_an_error() {
    let s = Setup::new();
    // A responder certificate with OCSPSigning, but issued by another CA.
    let other = Ca::root("TEST Other Root");
    let responder_key = KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "TEST Rogue Responder");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::OcspSigning];
    let responder = p
        .signed_by(&responder_key, &other.issuer())
        .expect("responder");
    s.server.route(
        "/ocsp",
        ocsp_responder(responder_key, vec![responder.der().to_vec()], None),
    );
    let leaf = ocsp_leaf(&s, "leaf", 0x1001, &s.server.url("/ocsp"));
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "ocsp"]);
    assert_status(&rev, "error", &["TEST Rogue Responder", "did not issue"]);
}

#[test]
fn ocsp_with_a_wrong_nonce_is_an_error() {
    let s = Setup::new();
    let ca_key = KeyPair::try_from(s.ca.key.serialize_der()).expect("key");
    s.server.route(
        "/ocsp",
        ocsp_responder(ca_key, Vec::new(), Some(vec![7; 16])),
    );
    let leaf = ocsp_leaf(&s, "leaf", 0x1001, &s.server.url("/ocsp"));
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "ocsp"]);
    assert_status(&rev, "error", &["nonce"]);
}

#[test]
fn ocsp_signed_by_the_ca_with_our_nonce_is_good() {
    // The canned responder itself is sound: the failures above are the defects they inject.
    let s = Setup::new();
    let ca_key = KeyPair::try_from(s.ca.key.serialize_der()).expect("key");
    s.server
        .route("/ocsp", ocsp_responder(ca_key, Vec::new(), None));
    let leaf = ocsp_leaf(&s, "leaf", 0x1001, &s.server.url("/ocsp"));
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "ocsp"]);
    assert_status(&rev, "pass", &["OCSP good"]);
}

#[test]
fn ocsp_garbage_then_auto_falls_back_to_the_crl() {
    let s = Setup::new();
    s.server.route(
        "/ocsp",
        Reply::Raw(ok(b"garbage", "application/ocsp-response")),
    );
    serve_crl(&s, "/ca.crl", fresh(&s, &[]));
    let leaf = s.leaf(
        "leaf",
        0x1001,
        &Urls {
            crl: vec![s.server.url("/ca.crl")],
            ocsp: Some(s.server.url("/ocsp")),
            ..Urls::default()
        },
    );
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "ocsp"]);
    assert_status(&rev, "error", &["not valid DER"]);
    // auto: the unusable OCSP answer is reported, and the CRL is asked as well. An unusable
    // answer is still an error.
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &[]);
    assert_status(&rev, "error", &["not valid DER", "CRL good"]);
}

#[test]
fn register_cert_checks_revocation_with_the_same_code() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[0x1001]));
    let leaf = s.crl_leaf("/ca.crl");
    let out = tilicheck()
        .current_dir(s.dir.path())
        .env_remove("TILICHECK_OFFLINE")
        .env_remove("TILICHECK_TRUST")
        .arg("register-cert")
        .arg(&leaf)
        .arg("--chain")
        .arg(&s.ca_pem)
        .arg("--trust-only")
        .arg(&s.root_pem)
        .arg("--crl-cache")
        .arg(s.dir.path().join("cache"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("PASS") && l.contains("CERT-ISSUER")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("FAIL") && l.contains("CERT-REVOCATION")),
        "{text}"
    );
    assert!(text.contains("REVOKED"), "{text}");
}

#[test]
fn an_arl_cannot_clear_an_end_entity_certificate() {
    let s = Setup::new();
    let url = s.server.url("/ca.arl");
    let arl = rcgen::CertificateRevocationListParams {
        this_update: now() - TimeDelta::hours(1),
        next_update: now() + TimeDelta::days(7),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: Some(rcgen::CrlIssuingDistributionPoint {
            distribution_point: rcgen::CrlDistributionPoint {
                uris: vec![url.clone()],
            },
            scope: Some(rcgen::CrlScope::CaCertsOnly),
        }),
        revoked_certs: Vec::new(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&s.ca.issuer())
    .expect("ARL");
    serve_crl(&s, "/ca.arl", arl.der().to_vec());
    let leaf = s.crl_leaf("/ca.arl");
    let (_, rev) = run_cert(&s, &leaf, &s.root_pem, &["--revocation", "crl"]);
    // Out of scope (RFC 5280 §6.3.3 (b)(2)(iii)) is no answer, not a bad one: unknown, a
    // warning, never a pass.
    assert_status(&rev, "warn", &["CA certificates only", "/ca.arl"]);
}

#[test]
fn both_asks_ocsp_and_the_crl_while_auto_stops_at_a_good_ocsp_answer() {
    let s = Setup::new();
    let port = free_port();
    let ocsp = format!("http://127.0.0.1:{port}");
    // The CRL says revoked, the OCSP responder (lagging) says good.
    serve_crl(&s, "/ca.crl", fresh(&s, &[0x1001]));
    let leaf = s.leaf(
        "both",
        0x1001,
        &Urls {
            crl: vec![s.server.url("/ca.crl")],
            ocsp: Some(ocsp.clone()),
            ..Urls::default()
        },
    );
    let key = write(s.dir.path(), "ca.key", s.ca.key.to_pem().as_bytes());
    let _responder = OpensslOcsp::start(
        s.dir.path(),
        port,
        &index_line(0x1001, false, "both"),
        &s.ca_pem,
        &key,
    );
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "both"]);
    assert_status(&rev, "fail", &["OCSP good", "CRL REVOKED"]);
    let (_, rev) = run_cert(&s, &leaf, &s.ca_pem, &["--revocation", "auto"]);
    assert_status(&rev, "pass", &["OCSP good"]);
    assert!(!rev.detail.contains("CRL"), "{rev:?}");
}

#[test]
fn a_crl_file_answers_before_any_download() {
    let s = Setup::new();
    // Nothing is served at /ca.crl: a download would be a 404, reported as such.
    let leaf = s.crl_leaf("/ca.crl");
    let file = write(s.dir.path(), "ca.crl", &fresh(&s, &[]));
    let (_, rev) = run_cert(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl", "--crl", file.to_str().expect("path")],
    );
    // The leaf from the file; the intermediate, which the file does not cover, from the
    // root's distribution point.
    assert_status(
        &rev,
        "pass",
        &[
            "\"crl-leaf\": CRL good [",
            "ca.crl (thisUpdate",
            "/root.crl (",
        ],
    );
    // As the HTTP client words a status (a bare "404" can be digits of a timestamp).
    assert!(!rev.detail.contains("answered HTTP 404"), "{rev:?}");
    assert!(
        !rev.detail.contains("/ca.crl (fetched"),
        "the leaf's CRL was not downloaded: {rev:?}"
    );
}

#[test]
fn a_stale_crl_file_gives_way_to_a_current_download() {
    let s = Setup::new();
    serve_crl(&s, "/ca.crl", fresh(&s, &[]));
    let leaf = s.crl_leaf("/ca.crl");
    let stale =
        s.ca.crl(&[], now() - TimeDelta::days(10), now() - TimeDelta::days(3));
    let file = write(s.dir.path(), "old.crl", &stale);
    let (_, rev) = run_cert(
        &s,
        &leaf,
        &s.root_pem,
        &["--crl", file.to_str().expect("path")],
    );
    // The downloaded list is the newer one: it answers.
    assert_status(
        &rev,
        "pass",
        &["\"crl-leaf\": CRL good [http", "/ca.crl (fetched"],
    );
    // Offline the stale file is all there is: unknown, a warning.
    let (_, rev) = run_cert(
        &s,
        &leaf,
        &s.root_pem,
        &["--offline", "--crl", file.to_str().expect("path")],
    );
    assert_status(&rev, "warn", &["old.crl is stale"]);
}
