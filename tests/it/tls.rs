//! `tilicheck tls` and `register-cert HOST:PORT` against real servers on loopback: openssl
//! s_server in several configurations and a rustls server (hostile peers: `tls_hostile`). The
//! accepted suite sets are asserted exactly.

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

#[test]
fn tls12_only_rejection_fails_in_the_handshake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &["-no_tls1_3"], false);
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
    let (_, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        dir.path().join("self.pem").to_str().unwrap(),
        "--key",
        dir.path().join("self.key").to_str().unwrap(),
    ]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail", "{detail}");
    assert!(
        detail.contains("refused CN=stranger in the handshake"),
        "{detail}"
    );
}

#[test]
fn legacy_versions_and_static_rsa_fail() {
    let server = OpensslServer::start(&[
        "-serverpref",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256",
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(suites(&facts, Version::Tls13), set(&[0x1301]));
    assert_eq!(suites(&facts, Version::Tls12), set(&[0x002f, 0xc02f]));
    // -serverpref: the server's own order, weakest first as configured.
    let tls12 = facts
        .versions
        .iter()
        .find(|v| v.version == Version::Tls12)
        .unwrap();
    assert_eq!(tls12.suites, vec![0x002f, 0xc02f]);
    assert_eq!(tls12.server_order, Some(true));
    assert_eq!(suites(&facts, Version::Tls11), set(&[0x002f]));
    assert_eq!(suites(&facts, Version::Tls10), set(&[0x002f]));
    assert!(suites(&facts, Version::Ssl3).is_empty());

    let (code, report) = run_json(&["tls", &server.endpoint()]);
    let (st, detail) = status(&report, "TLS-VERSION");
    assert_eq!(st, "fail");
    assert!(detail.contains("TLS 1.1, TLS 1.0"), "{detail}");
    let (st, detail) = status(&report, "TLS-FS");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("TLS_RSA_WITH_AES_128_CBC_SHA (RSA key exchange)"),
        "{detail}"
    );
    let (st, detail) = status(&report, "TLS-STRENGTH");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("not AEAD") && detail.contains("160-bit hash"),
        "{detail}"
    );
    // No client certificate is asked for here.
    assert_eq!(status(&report, "TLS-MUTUAL").0, "fail");
    assert_eq!(code, 1);
}

#[test]
fn dhe_2048_fails_strength() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dh = dh_params(dir.path(), 2048);
    let server = OpensslServer::start(&[
        "-tls1_2",
        "-cipher",
        "DHE-RSA-AES256-GCM-SHA384",
        "-dhparam",
        &dh,
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(suites(&facts, Version::Tls12), set(&[0x009f]));
    assert!(suites(&facts, Version::Tls13).is_empty());
    assert_eq!(facts.key_exchanges.len(), 1);
    assert_eq!(
        facts.exchange_of(Version::Tls12, 0x009f),
        Some(Exchange::Dh {
            bits: 2048,
            name: tilicheck::tls::dh::DhName::Ffdhe(2048)
        })
    );

    let (_, report) = run_json(&["tls", &server.endpoint()]);
    assert_eq!(status(&report, "TLS-VERSION").0, "pass");
    assert_eq!(status(&report, "TLS-FS").0, "pass");
    let (st, detail) = status(&report, "TLS-STRENGTH");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("2048-bit DH prime (minimum 3072)"),
        "{detail}"
    );
}

#[test]
fn no_client_certificate_request_fails_mutual() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &[], true);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(facts.cert_request, None);
    let (code, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("does not ask for a client certificate"),
        "{detail}"
    );
    assert_eq!(code, 1);
}

/// TLS 1.3 orders come from the eliminations' second rounds (the other list offered with its
/// first choice last); s_server's flags are the oracle: -serverpref makes it follow its own
/// -ciphersuites order, without it the client's; its HelloRetryRequest group is its own.
#[test]
fn tls13_orders_follow_serverpref() {
    let orders = |extra: &[&str]| {
        let mut opts = vec![
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
            "-groups",
            "P-256:X25519",
        ];
        opts.extend_from_slice(extra);
        let server = OpensslServer::start(&opts);
        let facts = probe(&target(server.port)).expect("probe");
        let tls13 = facts
            .versions
            .iter()
            .find(|v| v.version == Version::Tls13)
            .expect("TLS 1.3")
            .clone();
        let groups = facts.groups_of(Version::Tls13).expect("groups").clone();
        // Every TLS 1.3 suite has its key exchange, the reordered round's included.
        for suite in &tls13.suites {
            assert_eq!(
                facts.exchange_of(Version::Tls13, *suite),
                Some(Exchange::Group(groups.groups[0])),
                "{suite:04x}"
            );
        }
        (
            tls13.suites,
            tls13.server_order,
            groups.groups,
            groups.server_order,
        )
    };
    let (suites, order, groups, group_order) = orders(&["-serverpref"]);
    assert_eq!(suites, vec![0x1302, 0x1301]);
    assert_eq!(order, Some(true));
    assert_eq!(groups, vec![0x0017, 0x001d]);
    assert_eq!(group_order, Some(true));
    let (suites, order, groups, group_order) = orders(&[]);
    assert_eq!(suites, vec![0x1301, 0x1302]);
    assert_eq!(order, Some(false));
    assert_eq!(groups, vec![0x0017, 0x001d]);
    assert_eq!(group_order, Some(true));
}

/// The older versions are asked newest first, each hello standing for the older ones too: a
/// TLS 1.0 answer to the TLS 1.1 hello is TLS 1.0's first round, and a refusal of the TLS 1.1
/// hello ends the cascade (one connection for a register that speaks none of them).
#[test]
fn legacy_cascade_finds_a_gap_and_stops_at_a_refusal() {
    let server = OpensslServer::start(&[
        "-no_tls1_1",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert!(suites(&facts, Version::Tls11).is_empty());
    assert_eq!(suites(&facts, Version::Tls10), set(&[0x002f]));
    assert!(suites(&facts, Version::Ssl3).is_empty());
    for v in [Version::Tls11, Version::Tls10, Version::Ssl3] {
        let facts = facts
            .versions
            .iter()
            .find(|f| f.version == v)
            .expect("version");
        assert_eq!(facts.error, None, "{v}");
    }
    // The same facts as openssl's own client finds: TLS 1.0 answers, TLS 1.1 does not.
    let connects = |flag: &str| {
        std::process::Command::new("openssl")
            .args(["s_client", "-connect", &server.endpoint(), flag])
            .args(["-cipher", "AES128-SHA:@SECLEVEL=0"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl s_client")
            .status
            .success()
    };
    assert!(connects("-tls1"));
    assert!(!connects("-tls1_1"));
}

#[test]
fn tls13_only() {
    let server = OpensslServer::start(&["-tls1_3"]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(
        suites(&facts, Version::Tls13),
        set(&[0x1301, 0x1302, 0x1303])
    );
    for v in [
        Version::Tls12,
        Version::Tls11,
        Version::Tls10,
        Version::Ssl3,
    ] {
        assert!(suites(&facts, v).is_empty(), "{v}");
    }
    let tls13 = groups(&facts, Version::Tls13);
    assert!(
        tls13.contains(&0x001d) && tls13.contains(&0x0017),
        "{tls13:?}"
    );
    assert!(facts.groups_of(Version::Tls12).is_none());
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    assert_eq!(
        status(&report, "TLS-VERSION"),
        ("pass", "accepts only TLS 1.3")
    );
}

#[test]
fn rustls_server_full_pass() {
    let addr = rustls_server();
    let facts = probe(&target(addr.port())).expect("probe");
    assert_eq!(
        suites(&facts, Version::Tls13),
        set(&[0x1301, 0x1302, 0x1303])
    );
    assert_eq!(
        suites(&facts, Version::Tls12),
        set(&[0xc02f, 0xc030, 0xcca8])
    );
    for v in [Version::Tls11, Version::Tls10, Version::Ssl3] {
        assert!(suites(&facts, v).is_empty(), "{v}");
    }
    let endpoint = format!("127.0.0.1:{}", addr.port());
    let (code, report) = run_json(&[
        "tls",
        &endpoint,
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
        "--trust",
        "root-ca.pem",
    ]);
    for id in [
        "TLS-VERSION",
        "TLS-FS",
        "TLS-STRENGTH",
        "TLS-MUTUAL",
        "HTTP-VERSION",
        "REG-CERT",
    ] {
        assert_eq!(status(&report, id).0, "pass", "{id}: {report}");
    }
    assert_eq!(
        status(&report, "HTTP-VERSION").1,
        "HTTP/1.1 request answered HTTP/1.1 200"
    );
    assert_eq!(code, 0);

    // register-cert HOST:PORT fetches the same certificate and runs REG-CERT on it.
    let (code, report) = run_json(&["register-cert", &endpoint]);
    assert_eq!(status(&report, "REG-CERT").0, "pass", "{report}");
    assert_eq!(
        report["subjects"][0]["input"],
        format!("certificate of {endpoint}")
    );
    assert_eq!(code, 0);
}

#[test]
fn register_cert_endpoint_with_a_wrong_certificate() {
    // An s_server presenting the supplier's certificate, not the register's.
    let server = OpensslServer::start(&["-cert", "supplier.pem", "-key", "supplier.key"]);
    let (code, report) = run_json(&["register-cert", &server.endpoint()]);
    let (st, detail) = status(&report, "REG-CERT");
    assert_eq!(st, "fail");
    assert!(detail.contains("1234567-1"), "{detail}");
    assert_eq!(code, 1);
}

#[test]
fn register_cert_from_a_server_rustls_cannot_talk_to() {
    // TLS 1.0 with static RSA only: rustls refuses, the raw probe still reads the certificate.
    let server = OpensslServer::start(&["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let (code, report) = run_json(&["register-cert", &server.endpoint()]);
    assert_eq!(status(&report, "REG-CERT").0, "pass", "{report}");
    assert_eq!(code, 0);
    // And `tls` reports the handshake failure instead of stopping.
    let (code, report) = run_json(&["tls", &server.endpoint()]);
    assert_eq!(status(&report, "TLS-VERSION").0, "fail");
    assert_eq!(status(&report, "HTTP-VERSION").0, "skip");
    assert_eq!(code, 1);
}

#[test]
fn host_names_resolve_and_sni_is_sent() {
    let server = OpensslServer::start(&["-tls1_3"]);
    let (code, report) = run_json(&[
        "tls",
        &format!("localhost:{}", server.port),
        "--sni",
        "localhost",
    ]);
    assert_eq!(status(&report, "TLS-VERSION").0, "pass", "{report}");
    assert_eq!(status(&report, "REG-CERT").0, "pass");
    assert!(
        code == 1,
        "no client cert request here: TLS-MUTUAL fails ({code})"
    );
}

#[test]
fn client_identity_from_pkcs12_with_a_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p12 = dir.path().join("supplier.p12");
    crate::support::openssl(
        &[
            "pkcs12",
            "-export",
            "-in",
            "supplier-chain.pem",
            "-inkey",
            "supplier.key",
            "-out",
            p12.to_str().unwrap(),
            "-passout",
            "env:TILICHECK_TEST_P12",
        ],
        &crate::support::fixtures(),
        &[("TILICHECK_TEST_P12", "demo-secret")],
    );
    let addr = rustls_server();
    let out = tilicheck()
        .env("TILICHECK_TEST_P12", "demo-secret")
        .args([
            "tls",
            "--format",
            "json",
            "--at",
            AT,
            &format!("127.0.0.1:{}", addr.port()),
        ])
        .args([
            "--cert",
            p12.to_str().unwrap(),
            "--password-env",
            "TILICHECK_TEST_P12",
        ])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "pass", "{detail}");
    assert!(detail.contains("1234567-1"), "{detail}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("demo-secret"));
    assert_eq!(out.status.code(), Some(0));

    // A certificate without its key is a usage error naming the option.
    let out = tilicheck()
        .args(["tls", "127.0.0.1:1", "--cert", "supplier.pem"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--key"));
}

#[test]
fn tls13_only_client_certificate_request_is_seen_in_the_real_handshake() {
    // No TLS 1.2 flight to read a CertificateRequest from: only the rustls handshake sees it,
    // with the certificate_authorities hints.
    let server = OpensslServer::start(&[
        "-tls1_3",
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        "root-ca.pem",
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(facts.cert_request, None);
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "skip", "{detail}");
    assert!(
        detail.contains("CN=DEMO DVV Gov. Root CA - G3 RSA"),
        "{detail}"
    );
    let (code, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    assert_eq!(status(&report, "TLS-MUTUAL").0, "pass", "{report}");
    // s_server -www answers HTTP/1.0.
    assert_eq!(code, 1);
}
