//! Injected faults: 500s, dropped connections, latency, an expired server certificate.

use std::time::{Duration, Instant};

use tilicheck::profile::Interface;

use super::*;

#[test]
fn every_second_request_fails_with_500() {
    let sim = start_with(Interface::V3, |c| c.faults.fail_every = Some(2));
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut client = Client::connect(sim.addr());
    let statuses: Vec<u16> = (0..4)
        .map(|_| {
            client
                .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
                .unwrap()
                .status
        })
        .collect();
    assert_eq!(statuses, [200, 500, 200, 500]);
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200);
    let cid = new_cid();
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
        .unwrap();
    assert_eq!(r.status, 500);
    assert!(r.json()["message"].as_str().unwrap().contains("injected"));
    assert_eq!(
        sim.message(&cid)["accepted"],
        false,
        "a failed request is not stored as accepted"
    );
}

#[test]
fn dropped_connections_and_latency() {
    let sim = start_with(Interface::V3, |c| {
        c.faults.drop_every = Some(2);
        c.faults.latency = Some(Duration::from_millis(300));
    });
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut client = Client::connect(sim.addr());
    let t = Instant::now();
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    assert!(
        client
            .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
            .is_err(),
        "second is dropped"
    );
    // A retry on a new connection works.
    let r = Client::connect(sim.addr())
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn expired_server_certificate_is_presented() {
    let now = time::OffsetDateTime::now_utc();
    let chain =
        tilicheck::pki::demo::reissue::expired_register_chain(&crate::support::fixtures(), now)
            .unwrap();
    let facts = tilicheck::pki::facts::CertificateFacts::from_der(chain[0].as_ref()).unwrap();
    assert!(facts.not_after < now);
    let sim = start_with(Interface::V3, |c| c.server_chain = chain);
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let err = Client::connect(sim.addr())
        .post("/v3/report-update/cat-2/", &auth, None, &body)
        .unwrap_err();
    assert!(err.to_string().to_lowercase().contains("expired"), "{err}");
    // curl refuses it too.
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(fixture("root-ca.pem"))
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg(format!(
            "https://localhost:{}/v3/report-update/cat-2/",
            sim.addr().port()
        ))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expired"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
