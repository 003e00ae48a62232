//! Whole runs against other kinds of server and client setup: a rustls server, `register-cert`
//! against wrong and old servers, host names and SNI, a PKCS#12 identity, TLS 1.3-only
//! client-certificate requests.

use super::*;

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
