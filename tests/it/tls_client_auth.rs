//! Client authentication classified as none, optional or required, against openssl s_server
//! (`-Verify 2` required, `-verify 2` optional, neither) and nginx (`ssl_verify_client on`
//! and `optional`, which enforce at the HTTP level), in TLS 1.2 and TLS 1.3. The servers are
//! the oracle: their configuration is the truth the classification must meet. Each server
//! is asked three times: without a certificate, with the DEMO supplier's and with a foreign
//! CA's that tilicheck makes.

use serde_json::Value;

use crate::tls::{run_json, status};
use crate::tls_servers::{Nginx, OpensslServer};

const VERSIONS: [&str; 2] = ["-tls1_2", "-tls1_3"];

fn with_cert(endpoint: &str) -> (i32, Value) {
    run_json(&[
        "tls",
        endpoint,
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ])
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

fn server(version: &str, verify: &[&str]) -> OpensslServer {
    let mut opts = vec![version, "-CAfile", "root-ca.pem"];
    opts.extend(verify);
    OpensslServer::start(&opts)
}

#[test]
fn required_passes_with_the_supplier_accepted_and_the_others_refused() {
    for version in VERSIONS {
        let s = server(version, &["-Verify", "2", "-verify_return_error"]);
        let (_, report) = with_cert(&s.endpoint());
        let (st, detail) = status(&report, "TLS-MUTUAL");
        assert_eq!(st, "pass", "{version}: {detail}");
        let line = summary(&report, "Client authentication");
        assert!(line.starts_with("required;"), "{version}: {line}");
        assert!(
            line.contains("without a certificate: refused"),
            "{version}: {line}"
        );
        assert!(line.contains("with yours: accepted (HTTP 200)"), "{line}");
        assert!(line.contains("with a foreign CA's: refused"), "{line}");
        if version == "-tls1_3" {
            // TLS 1.3 refuses after the handshake: the alert arrives on the first read.
            assert!(
                line.contains(
                    "after the TLS 1.3 handshake: the server sent alert certificate_required (116)"
                ),
                "{line}"
            );
            assert!(line.contains("alert unknown_ca (48)"), "{line}");
        } else {
            assert!(line.contains("in the handshake"), "{line}");
        }

        // Without --cert the server is still classified, from the other two handshakes.
        let (_, report) = run_json(&["tls", &s.endpoint()]);
        let (st, detail) = status(&report, "TLS-MUTUAL");
        assert_eq!(st, "skip", "{version}: {detail}");
        assert!(
            detail.starts_with("a certificate is required (without one: refused"),
            "{detail}"
        );
        assert!(
            detail.contains("a foreign CA's certificate: refused"),
            "{detail}"
        );
        assert!(detail.contains("give --cert and --key"), "{detail}");
    }
}

#[test]
fn optional_fails_with_the_remedy() {
    for version in VERSIONS {
        let s = server(version, &["-verify", "2", "-verify_return_error"]);
        for args in [
            vec![],
            vec!["--cert", "supplier-chain.pem", "--key", "supplier.key"],
        ] {
            let endpoint = s.endpoint();
            let mut all = vec!["tls", endpoint.as_str()];
            all.extend(args.iter().copied());
            let (code, report) = run_json(&all);
            let (st, detail) = status(&report, "TLS-MUTUAL");
            assert_eq!(st, "fail", "{version} {args:?}: {detail}");
            assert!(
                detail.starts_with("client authentication is optional"),
                "{detail}"
            );
            assert!(detail.contains("accepted (HTTP 200)"), "{detail}");
            let finding = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "TLS-MUTUAL")
                .unwrap();
            assert!(
                finding["remedy"]
                    .as_str()
                    .unwrap()
                    .contains("required, not optional"),
                "{finding}"
            );
            assert!(
                summary(&report, "Client authentication").starts_with("optional;"),
                "{report}"
            );
            assert_eq!(code, 1);
        }
    }
}

#[test]
fn no_request_is_none() {
    for version in VERSIONS {
        let s = server(version, &[]);
        let (_, report) = with_cert(&s.endpoint());
        let (st, detail) = status(&report, "TLS-MUTUAL");
        assert_eq!(st, "fail", "{version}: {detail}");
        assert!(
            detail.starts_with("the server does not ask for a client certificate"),
            "{detail}"
        );
        assert!(
            summary(&report, "Client authentication").starts_with("none;"),
            "{report}"
        );
    }
}

/// `-Verify 2` without `-verify_return_error`: s_server asks, insists on a certificate, and
/// then takes one that does not verify.
#[test]
fn required_but_any_certificate_fails() {
    for version in VERSIONS {
        let s = server(version, &["-Verify", "2"]);
        let (_, report) = with_cert(&s.endpoint());
        let (st, detail) = status(&report, "TLS-MUTUAL");
        assert_eq!(st, "fail", "{version}: {detail}");
        assert!(detail.contains("foreign CA"), "{detail}");
        assert!(detail.contains("any certificate gets in"), "{detail}");
    }
}

/// nginx asks for a certificate in TLS but lets every handshake through; `on` then answers a
/// client without one `400 No required SSL certificate was sent`, and both modes answer a
/// certificate that does not verify `400 The SSL certificate error`.
#[test]
fn nginx_refusals_at_the_http_level_are_recognised() {
    let on = Nginx::start("on");
    let (_, report) = with_cert(&on.endpoint());
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "pass", "{detail}");
    assert!(detail.contains("enforced at the HTTP level"), "{detail}");
    assert!(
        detail.contains("'HTTP/1.1 400 Bad Request': the server received no client certificate"),
        "{detail}"
    );
    assert!(
        detail.contains("the server could not verify the client certificate"),
        "{detail}"
    );
    assert_eq!(status(&report, "HTTP-VERSION").0, "pass", "{report}");
    let line = summary(&report, "Client authentication");
    assert!(
        line.starts_with("required (enforced at the HTTP level)"),
        "{line}"
    );

    let optional = Nginx::start("optional");
    let (_, report) = with_cert(&optional.endpoint());
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail", "{detail}");
    assert!(
        detail.starts_with("client authentication is optional"),
        "{detail}"
    );
    let line = summary(&report, "Client authentication");
    assert!(
        line.contains("with a foreign CA's: refused, the handshake completed but the server answered 'HTTP/1.1 400 Bad Request': the server could not verify the client certificate"),
        "{line}"
    );
}
