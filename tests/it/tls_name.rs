//! TLS-NAME: the endpoint's certificate must be for the name connected to (the host, or
//! `--sni`). `openssl x509 -checkhost/-checkip` is the oracle; it agrees with tilicheck on
//! these certificates because they all carry subjectAltNames (openssl would also fall back to
//! the subject CN for a certificate without DNS names, which current HTTPS clients and
//! tilicheck do not).

use std::process::Command;

use serde_json::Value;

use crate::support::fixtures;
use crate::tls::{run_json, status};
use crate::tls_servers::{OpensslServer, rustls_server};

/// openssl's verdict: does `cert` match `name` (a host name or an IP address)?
fn openssl_matches(cert: &str, name: &str) -> bool {
    let option = if name.parse::<std::net::IpAddr>().is_ok() {
        "-checkip"
    } else {
        "-checkhost"
    };
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-in", cert, option, name])
        .current_dir(fixtures())
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("match certificate"), "openssl said: {text}");
    !text.contains("does NOT match")
}

fn summary<'a>(report: &'a Value, label: &str) -> Option<&'a str> {
    report["subjects"][0]["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|i| i["label"] == label)
        .and_then(|i| i["value"].as_str())
}

fn remedy<'a>(report: &'a Value, id: &str) -> &'a str {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .and_then(|f| f["remedy"].as_str())
        .unwrap_or_else(|| panic!("no remedy for {id} in {report}"))
}

#[test]
fn the_name_connected_to_is_checked_like_openssl_does() {
    let register = OpensslServer::start(&["-tls1_3"]);
    let qwac = OpensslServer::start(&["-tls1_3", "-cert", "qwac-chain.pem", "-key", "qwac.key"]);
    let cases = [
        (&register, "register.pem", "127.0.0.1", None),
        (&register, "register.pem", "localhost", None),
        (
            &register,
            "register.pem",
            "127.0.0.1",
            Some("register.example"),
        ),
        (&qwac, "qwac.pem", "127.0.0.1", None),
        (
            &qwac,
            "qwac.pem",
            "127.0.0.1",
            Some("tilicheck-demo.example"),
        ),
    ];
    for (server, cert, host, sni) in cases {
        let endpoint = format!("{host}:{}", server.port);
        let mut args = vec!["tls", endpoint.as_str()];
        if let Some(name) = sni {
            args.extend(["--sni", name]);
        }
        let (_, report) = run_json(&args);
        let name = sni.unwrap_or(host);
        let expected = if openssl_matches(cert, name) {
            "pass"
        } else {
            "warn"
        };
        let (st, detail) = status(&report, "TLS-NAME");
        assert_eq!(st, expected, "{cert} as {name}: {detail}");
        let facts = &report["subjects"][0]["endpoint"]["certificate"]["name"];
        assert_eq!(facts["name"], name);
        assert_eq!(facts["covered"], expected == "pass");
        if expected == "warn" {
            assert!(
                detail.starts_with(&format!("the certificate is not for {name}")),
                "{detail}"
            );
            assert!(remedy(&report, "TLS-NAME").contains("--sni "), "{report}");
        }
    }
    // Both outcomes occur above: the oracle is not one-sided.
    assert!(openssl_matches("register.pem", "127.0.0.1"));
    assert!(!openssl_matches("qwac.pem", "127.0.0.1"));
}

/// With --trust, a name that does not match leaves the chain verified: the Trust line says
/// so and points at TLS-NAME instead of calling the chain wrong. A warning passes the run;
/// --strict fails it.
#[test]
fn a_name_mismatch_is_not_a_chain_failure() {
    let addr = rustls_server();
    let endpoint = format!("127.0.0.1:{}", addr.port());
    let with = |extra: &[&str]| {
        let mut args = vec![
            "tls",
            endpoint.as_str(),
            "--cert",
            "supplier-chain.pem",
            "--key",
            "supplier.key",
            "--trust",
            "root-ca.pem",
        ];
        args.extend(extra);
        run_json(&args)
    };
    let (code, report) = with(&["--sni", "register.example"]);
    assert_eq!(status(&report, "TLS-NAME").0, "warn", "{report}");
    let trust = summary(&report, "Trust").expect("a Trust line");
    assert_eq!(
        trust,
        "chain verifies to --trust; the certificate is not for register.example (see TLS-NAME)"
    );
    let facts = &report["subjects"][0]["endpoint"]["certificate"]["trust"];
    assert_eq!(facts["chain_verified"], true);
    assert_eq!(facts["name_matches"], false);
    assert_eq!(status(&report, "CERT-ISSUER").0, "pass", "{report}");
    assert_eq!(code, 0, "a warning alone passes: {report}");

    let (code, _) = with(&["--sni", "register.example", "--strict"]);
    assert_eq!(code, 1);

    let (code, report) = with(&[]);
    assert_eq!(status(&report, "TLS-NAME").0, "pass", "{report}");
    assert_eq!(summary(&report, "Trust"), Some("chain verifies to --trust"));
    assert_eq!(code, 0);
}
