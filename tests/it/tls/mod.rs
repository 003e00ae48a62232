//! `tilicheck tls` and `register-cert HOST:PORT` against real servers on loopback: openssl
//! s_server in several configurations and a rustls server (hostile peers: `tls_hostile`). The
//! accepted suite sets are asserted exactly.

mod endpoints;
mod versions;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use tilicheck::tls::facts::{Exchange, ProbeFacts, Version};
use tilicheck::tls::probe::{Target, probe};

use crate::support::{AT, tilicheck};
use crate::tls_servers::{OpensslServer, compliant_options, dh_params, rustls_server};

pub fn target(port: u16) -> Target {
    Target::resolve(
        "127.0.0.1",
        port,
        None,
        Duration::from_secs(3),
        Duration::from_secs(3),
    )
    .expect("loopback resolves")
}

pub fn suites(p: &ProbeFacts, v: Version) -> BTreeSet<u16> {
    let facts = p
        .versions
        .iter()
        .find(|f| f.version == v)
        .expect("version probed");
    assert_eq!(facts.error, None, "{v}: {:?}", facts.error);
    facts.suites.iter().copied().collect()
}

/// The groups one version accepted (complete: asserted).
pub fn groups(p: &ProbeFacts, v: Version) -> BTreeSet<u16> {
    let facts = p
        .groups_of(v)
        .unwrap_or_else(|| panic!("{v}: no groups in {p:?}"));
    assert_eq!(facts.error, None, "{v}: {:?}", facts.error);
    facts.groups.iter().copied().collect()
}

pub fn set(ids: &[u16]) -> BTreeSet<u16> {
    ids.iter().copied().collect()
}

/// Run `tilicheck --format json ARGS` and return (exit code, report).
pub fn run_json(args: &[&str]) -> (i32, Value) {
    let out = tilicheck()
        .args(args)
        .args(["--format", "json", "--at", AT])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

pub fn status<'a>(report: &'a Value, id: &str) -> (&'a str, &'a str) {
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding in {report}"));
    (
        f["status"].as_str().expect("status"),
        f["detail"].as_str().expect("detail"),
    )
}

fn compliant(dir: &std::path::Path, extra: &[&str], drop_verify: bool) -> OpensslServer {
    let dh = dh_params(dir, 3072);
    let mut opts = compliant_options(&dh);
    if drop_verify {
        let i = opts.iter().position(|o| o == "-Verify").expect("-Verify");
        opts.drain(i..i + 3);
    }
    opts.extend(extra.iter().map(|s| s.to_string()));
    let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
    OpensslServer::start(&opts)
}

#[test]
fn compliant_register_exact_sets_and_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &[], false);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(suites(&facts, Version::Tls13), set(&[0x1301, 0x1302]));
    assert_eq!(
        suites(&facts, Version::Tls12),
        set(&[0x009e, 0x009f, 0xc02f, 0xc030])
    );
    for v in [Version::Tls11, Version::Tls10, Version::Ssl3] {
        assert!(suites(&facts, v).is_empty(), "{v}");
    }
    // s_server follows the client's order unless told -serverpref.
    let tls12 = facts
        .versions
        .iter()
        .find(|v| v.version == Version::Tls12)
        .unwrap();
    assert_eq!(tls12.server_order, Some(false));
    assert_eq!(
        groups(&facts, Version::Tls13),
        set(&[0x001d, 0x0017, 0x0018, 0x0101])
    );
    // TLS 1.2 has the curves only: s_server's DHE uses its -dhparam prime.
    assert_eq!(
        groups(&facts, Version::Tls12),
        set(&[0x001d, 0x0017, 0x0018])
    );
    // Without -serverpref s_server takes the client's order of curves in TLS 1.2 (OpenSSL
    // 3.0's tls1_shared_group) and its own list in a TLS 1.3 HelloRetryRequest.
    assert_eq!(
        facts.groups_of(Version::Tls12).unwrap().server_order,
        Some(false)
    );
    assert_eq!(
        facts.groups_of(Version::Tls13).unwrap().server_order,
        Some(true)
    );
    let dh: BTreeSet<(u32, String)> = facts
        .key_exchanges
        .iter()
        .filter_map(|k| match k.exchange {
            Exchange::Dh { bits, name } => Some((bits, name.label())),
            Exchange::Group(_) => None,
        })
        .collect();
    assert_eq!(dh, [(3072, "ffdhe3072".to_owned())].into_iter().collect());
    let request = facts.cert_request.as_ref().expect("a CertificateRequest");
    assert!(
        request
            .ca_names
            .iter()
            .any(|n| n.contains("DEMO DVV Gov. Root CA")),
        "{:?}",
        request.ca_names
    );
    assert!(facts.connections < 40, "{} connections", facts.connections);

    let (code, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    for id in [
        "TLS-VERSION",
        "TLS-FS",
        "TLS-STRENGTH",
        "TLS-MUTUAL",
        "REG-CERT",
        "CERT-VALIDITY",
    ] {
        assert_eq!(status(&report, id).0, "pass", "{id}: {report}");
    }
    assert!(
        status(&report, "TLS-STRENGTH")
            .1
            .contains("6 accepted suites")
    );
    // The strength values are unconfirmed and the finding says so.
    let strength = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "TLS-STRENGTH")
        .unwrap();
    assert!(
        strength["assumption"]
            .as_str()
            .unwrap()
            .contains("Traficom")
    );
    // s_server -www answers HTTP/1.0: reported as such.
    assert_eq!(
        status(&report, "HTTP-VERSION"),
        (
            "fail",
            "an HTTP/1.1 request was answered in HTTP/1.0 (status 200)"
        )
    );
    // The DEMO root is trusted in the tests; revocation is offline there.
    assert_eq!(status(&report, "CERT-ISSUER").0, "pass", "{report}");
    assert_eq!(status(&report, "CERT-REVOCATION").0, "skip");
    assert_eq!(code, 1);
}

#[test]
fn mutual_tls_without_and_with_a_foreign_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &[], false);
    // No certificate given: the request is seen, the handshake is not judged.
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "skip", "{detail}");
    assert!(detail.contains("a certificate is required"), "{detail}");
    // A self-signed certificate: TLS 1.3 rejects it after the handshake, on the first read.
    crate::support::openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "self.key",
            "-out",
            "self.pem",
            "-subj",
            "/CN=stranger",
            "-days",
            "30",
        ],
        dir.path(),
        &[],
    );
    let self_pem = dir.path().join("self.pem");
    let self_key = dir.path().join("self.key");
    let (code, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        self_pem.to_str().unwrap(),
        "--key",
        self_key.to_str().unwrap(),
    ]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail", "{detail}");
    assert!(
        detail.contains("refused CN=stranger after the TLS 1.3 handshake"),
        "{detail}"
    );
    assert_eq!(code, 1);
}
