//! `serve` as a new user meets it: the banner names the client files that work, and a client
//! that sends only its leaf certificate is told, in the log, to send the chain.

use super::*;

/// curl with a client certificate file; whether the request got an HTTP answer.
fn curl_with(addr: SocketAddr, cert: &str) -> bool {
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--http1.1", "-o", "/dev/null"])
        .arg("--cacert")
        .arg(fixture("root-ca.pem"))
        .arg("--cert")
        .arg(fixture(cert))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg(format!(
            "https://localhost:{}/v3/report-update/cat-2/",
            addr.port()
        ))
        .status()
        .expect("curl is installed")
        .success()
}

#[test]
fn banner_names_the_chain_and_the_log_says_to_send_it_when_only_the_leaf_came() {
    let serve = ServeProcess::start(&[]);
    let banner = serve.log();
    assert!(
        banner.contains("connect with supplier-chain.pem + supplier.key"),
        "{banner}"
    );
    assert!(
        banner.contains("sign with supplier.key (sub 1234567-1)"),
        "{banner}"
    );

    assert!(
        !curl_with(serve.addr, "supplier.pem"),
        "the leaf alone is refused"
    );
    let log = serve.wait_for_log("TLS handshake failed", Duration::from_secs(10));
    assert!(
        log.contains(
            "the client sent only its leaf certificate; send the chain, the leaf followed by its intermediate CA (with the DEMO PKI: supplier-chain.pem)"
        ),
        "{log}"
    );
    assert!(
        curl_with(serve.addr, "supplier-chain.pem"),
        "the chain works"
    );
}

#[test]
fn a_chain_to_another_ca_is_not_called_a_lone_leaf() {
    // Client certificates must chain to the QWAC CA here: the DVV chain is not enough.
    let none = tilicheck::secret::PasswordSource::None;
    let sim = start_with(Interface::V3, |c| {
        c.trust = tilicheck::pki::load::read_certificates(&fixture("qwac-ca.pem"), &none)
            .unwrap()
            .certificates;
    });
    assert!(!curl_with(sim.addr(), "supplier-chain.pem"));
    assert!(!curl_with(sim.addr(), "supplier.pem"));
    let hellos = sim.api("/api/client-hellos");
    let errors: Vec<&str> = hellos
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["error"].as_str())
        .collect();
    assert_eq!(errors.len(), 2, "{hellos}");
    // Newest first: the lone leaf, then the chain.
    assert!(
        errors[0].contains("sent only its leaf certificate"),
        "{errors:?}"
    );
    assert!(!errors[1].contains("only its leaf"), "{errors:?}");
    assert!(errors[1].contains("UnknownIssuer"), "{errors:?}");
}
