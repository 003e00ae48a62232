//! The real handshake with servers that speak only finite-field DH, as a register configured
//! to the letter of §3.2 ("ephemeral Diffie-Hellman") would: openssl s_server with TLS 1.2
//! DHE suites only (an RFC 7919 prime) and
//! with TLS 1.3 FFDHE groups only, each requiring a client certificate. The mTLS handshake
//! and an HTTP/1.1 request must complete; openssl is the independent peer that checks our
//! DH arithmetic (a wrong shared secret fails its Finished check).

use serde_json::Value;

use crate::support::openssl;
use crate::tls::{run_json, status};
use crate::tls_servers::{OpensslServer, dh_params};

const REQUIRE_CERT: [&str; 5] = [
    "-Verify",
    "1",
    "-verify_return_error",
    "-CAfile",
    "root-ca.pem",
];

fn dhe_only_tls12(dhparam: &str) -> OpensslServer {
    let mut opts = vec![
        "-tls1_2",
        "-cipher",
        "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256",
        "-dhparam",
        dhparam,
    ];
    opts.extend(REQUIRE_CERT);
    OpensslServer::start(&opts)
}

fn summary<'a>(report: &'a Value, label: &str) -> &'a str {
    report["subjects"][0]["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|i| i["label"] == label)
        .and_then(|i| i["value"].as_str())
        .unwrap_or_else(|| panic!("no {label} line in {report}"))
}

fn tls_with_cert(endpoint: &str) -> (i32, Value) {
    run_json(&[
        "tls",
        endpoint,
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ])
}

fn assert_round_trip(report: &Value, suite: &str, group: &str) {
    // s_server -www answers an HTTP/1.1 request in HTTP/1.0: HTTP-VERSION is not asserted.
    assert_eq!(status(report, "TLS-MUTUAL").0, "pass", "{report}");
    let handshake = summary(report, "Handshake");
    assert!(handshake.contains("completed"), "{handshake}");
    assert!(handshake.contains(suite), "{handshake}");
    assert!(handshake.contains(group), "{handshake}");
    assert!(
        handshake.contains("HTTP/1.0 200") || handshake.contains("HTTP/1.1 200"),
        "{handshake}"
    );
}

#[test]
fn tls12_dhe_only_with_ffdhe3072_completes_mutual_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = dhe_only_tls12(&dh_params(dir.path(), 3072));
    let (_, report) = tls_with_cert(&server.endpoint());
    assert_round_trip(&report, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "ffdhe3072");
    assert_eq!(status(&report, "REG-CERT").0, "pass", "{report}");
}

#[test]
fn tls13_ffdhe_only_completes_mutual_tls() {
    let mut opts = vec!["-tls1_3", "-groups", "ffdhe3072:ffdhe4096"];
    opts.extend(REQUIRE_CERT);
    let server = OpensslServer::start(&opts);
    let (_, report) = tls_with_cert(&server.endpoint());
    assert_round_trip(&report, "TLS_AES_256_GCM_SHA384", "ffdhe3072");
}

/// A 4096-bit safe prime of the server's own (no standard group): tilicheck validates it
/// (openssl `pkeyparam -check` agrees it is a safe prime), computes with it, and the mTLS
/// handshake and the HTTP request complete; the report names it "custom".
#[test]
fn tls12_dhe_only_with_a_custom_4096_bit_prime_completes_mutual_tls() {
    let dh = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dh/custom-4096.pem");
    let dh = dh.display().to_string();
    openssl(
        &["pkeyparam", "-in", &dh, "-check", "-noout"],
        &crate::support::fixtures(),
        &[],
    );
    let server = dhe_only_tls12(&dh);
    let (_, report) = tls_with_cert(&server.endpoint());
    assert_round_trip(
        &report,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "4096-bit custom",
    );
    let e = &report["subjects"][0]["endpoint"];
    assert_eq!(e["dh"][0]["group"], "custom", "{e}");
    assert_eq!(e["dh"][0]["prime_bits"], 4096);
    assert_eq!(e["client_auth"]["mode"], "required");
    assert_eq!(status(&report, "TLS-STRENGTH").0, "pass", "{report}");
}

/// A 2048-bit prime of the server's own (RFC 3526 group 14) is below the profile's minimum:
/// the client will not compute with it, TLS-STRENGTH fails the server for it, and TLS-MUTUAL
/// says the certificate was not tested instead of blaming it.
#[test]
fn a_weak_server_prime_is_not_blamed_on_the_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    openssl(
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:modp_2048",
            "-out",
            "modp2048.pem",
        ],
        dir.path(),
        &[],
    );
    let server = dhe_only_tls12(&dir.path().join("modp2048.pem").display().to_string());
    let (_, report) = tls_with_cert(&server.endpoint());
    let (mutual, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(mutual, "error", "{report}");
    assert!(detail.contains("RFC 3526 group 14"), "{detail}");
    assert!(detail.contains("below the 3072-bit minimum"), "{detail}");
    assert!(!detail.contains("present"), "{detail}");
    assert_eq!(status(&report, "TLS-STRENGTH").0, "fail", "{report}");
    // The chain still comes from the probe's flights.
    assert_ne!(status(&report, "REG-CERT").0, "error", "{report}");
}

/// `serve --key-exchange dhe`: only DHE suites in TLS 1.2 and only FFDHE groups in TLS 1.3
/// are negotiable, and `send` completes its signed round trip over it.
#[test]
fn send_succeeds_against_a_dhe_only_simulator() {
    use tilicheck::profile::Interface;
    use tilicheck::simulator::tls::KeyExchange;
    let sim = crate::simulator::start_with(Interface::V3, |c| c.key_exchange = KeyExchange::Dhe);
    let endpoint = format!("127.0.0.1:{}", sim.addr().port());

    let facts =
        tilicheck::tls::probe::probe(&crate::tls::target(sim.addr().port())).expect("probe");
    assert_eq!(
        crate::tls::suites(&facts, tilicheck::tls::facts::Version::Tls12),
        crate::tls::set(&[0x009e, 0x009f])
    );
    let tls13 = crate::tls::groups(&facts, tilicheck::tls::facts::Version::Tls13);
    assert!(
        tls13.iter().all(|g| (0x0101..=0x0104).contains(g)) && !tls13.is_empty(),
        "{tls13:?}"
    );
    // No ECDHE suite in TLS 1.2: no TLS 1.2 groups.
    assert!(
        facts
            .groups_of(tilicheck::tls::facts::Version::Tls12)
            .is_none()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let report = crate::send::minimal_report(dir.path());
    let out = crate::support::tilicheck()
        .arg("send")
        .arg(&report)
        .args(["--endpoint", &format!("https://{endpoint}")])
        .args(["--cert", "supplier-chain.pem", "--key", "supplier.key"])
        .args(["--offline", "--color", "never"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("accepted: 200 OK"), "{text}");
}
