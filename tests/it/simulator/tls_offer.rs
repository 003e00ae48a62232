//! The TLS side with openssl s_client as the client: what the simulator refuses, and how it
//! judges what the client offered.

use std::process::{Command, Stdio};

use tilicheck::profile::Interface;

use super::*;

/// Run `openssl s_client` with the supplier's certificate and `extra` options; true if the
/// handshake completed.
fn s_client(sim: &Sim, extra: &[&str]) -> bool {
    let out = Command::new("timeout")
        .arg("20")
        .arg("openssl")
        .args(["s_client", "-brief", "-connect"])
        .arg(format!("127.0.0.1:{}", sim.addr().port()))
        .arg("-CAfile")
        .arg(fixture("root-ca.pem"))
        .arg("-cert")
        .arg(fixture("supplier.pem"))
        .arg("-cert_chain")
        .arg(fixture("service-ca.pem"))
        .arg("-key")
        .arg(fixture("supplier.key"))
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    text.contains("CONNECTION ESTABLISHED") && !text.contains("alert")
}

fn hello_count(sim: &Sim) -> usize {
    sim.api("/api/client-hellos").as_array().unwrap().len()
}

/// The finding for `rule` on connection number `n` (1-based, in arrival order), waiting for
/// the server to record it (bounded).
fn finding(sim: &Sim, n: usize, rule: &str) -> (String, String) {
    let start = std::time::Instant::now();
    while hello_count(sim) < n {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "connection {n} not recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let hellos = sim.api("/api/client-hellos");
    let record = hellos
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["connection"] == n)
        .unwrap_or_else(|| panic!("no connection {n} in {hellos}"));
    let f = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {record}"));
    (
        f["status"].as_str().unwrap().to_owned(),
        f["detail"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn old_versions_static_rsa_cbc_and_h2_only_are_refused_and_judged() {
    let sim = start(Interface::V3);

    assert!(
        !s_client(&sim, &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
        "TLS 1.1 must be refused"
    );
    let (status, detail) = finding(&sim, 1, "TLS-VERSION");
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("TLS 1.1"), "{detail}");

    assert!(
        !s_client(&sim, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"]),
        "static RSA must be refused"
    );
    let (status, detail) = finding(&sim, 2, "TLS-FS");
    assert_eq!(status, "fail", "{detail}");

    assert!(
        !s_client(&sim, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"]),
        "CBC must be refused"
    );
    let (status, detail) = finding(&sim, 3, "TLS-STRENGTH");
    assert_eq!(status, "fail", "{detail}");

    assert!(
        !s_client(&sim, &["-alpn", "h2"]),
        "HTTP/2 only must be refused"
    );

    // A clean TLS 1.2 ECDHE-GCM offer passes every rule.
    assert!(s_client(
        &sim,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "-servername",
            "localhost"
        ]
    ));
    for rule in ["TLS-VERSION", "TLS-FS", "TLS-STRENGTH", "TLS-MUTUAL"] {
        let (status, detail) = finding(&sim, 5, rule);
        assert_eq!(status, "pass", "{rule}: {detail}");
    }
    let hellos = sim.api("/api/client-hellos");
    assert_eq!(hellos[0]["offer"]["sni"], "localhost");
    assert!(
        hellos[0]["negotiated"]
            .as_str()
            .unwrap()
            .contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        "{hellos}"
    );
}
