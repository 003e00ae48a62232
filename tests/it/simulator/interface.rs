//! The interface as a client sees it: endpoints per profile, §4.7 answers, sequential sends,
//! command-line errors, the same schema and content checks as `message validate` (refusals:
//! `refusals.rs`).

use serde_json::json;
use tilicheck::profile::Interface;

use super::*;

#[test]
fn v3_every_endpoint_with_curl_and_openssl_tokens() {
    let sim = start(Interface::V3);
    let cid1 = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-1/",
        Some(&auth),
        Some(&cid1),
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "", "v3 200 has an empty body");
    assert_eq!(r.header("x-correlation-id"), Some(cid1.as_str()));

    let cid2 = new_cid();
    let other = "3c1a7d1e-2d5b-4f43-9b6a-0d5f6c1e9a11";
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(other));
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&cid2),
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");

    let (auth, body) = tokens(
        Interface::V3,
        "reportDisputable",
        json!({"referredEntityId": RECORD, "correlationId": cid1, "disputed": true}),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-disputable/",
        Some(&auth),
        None,
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");
    // No X-Correlation-ID sent: the register makes a UUIDv4 and returns it.
    assert!(is_uuid_v4(r.header("x-correlation-id").unwrap()), "{r:?}");

    let (auth, body) = tokens(
        Interface::V3,
        "reportIncorrect",
        json!({"referredEntityId": other, "correlationId": cid2}),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-incorrect/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");

    let records = sim.api("/api/records");
    let state = |uuid: &str| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["uuid"] == uuid && r["record_type"] == "account")
            .map(|r| r["state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state(RECORD).as_deref(), Some("disputed"));
    assert_eq!(state(other).as_deref(), Some("incorrect"));
    let m = sim.message(&cid1);
    assert_eq!(m["accepted"], true);
    assert_eq!(m["signer"], SUPPLIER);
    assert_eq!(m["tls_identity"], SUPPLIER);
}

#[test]
fn v1_0_4_every_endpoint_with_our_client() {
    let sim = start(Interface::V1_0_4);
    let mut client = Client::connect(sim.addr());
    let cid = new_cid();
    let (auth, body) = tokens(
        Interface::V1_0_4,
        "reportUpdate",
        update_report_in(Interface::V1_0_4, RECORD),
    );
    let r = client
        .post("/report-update", &auth, Some(&cid), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("x-correlation-id"), Some(cid.as_str()));
    // v1.0.4 disputable/incorrect carry no correlationId.
    let (auth, body) = tokens(
        Interface::V1_0_4,
        "reportDisputable",
        json!({"referredEntityId": RECORD, "disputed": true}),
    );
    let r = client
        .post("/report-disputable", &auth, None, &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let (auth, body) = tokens(
        Interface::V1_0_4,
        "reportIncorrect",
        json!({"referredEntityId": RECORD}),
    );
    let r = client
        .post("/report-incorrect", &auth, None, &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // v3 paths do not exist in v1.0.4; errors are {errorMessage}.
    let r = client
        .post("/v3/report-update/cat-1/", &auth, None, &body)
        .unwrap();
    assert_eq!(r.status, 404);
    assert!(
        r.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("no endpoint"),
        "{r:?}"
    );
    let r = client
        .post("/report-incorrect", &auth, None, &body)
        .unwrap();
    assert_eq!(r.status, 400, "incorrect is final: {r:?}");
    // v1.0.4 has no 404 for an unknown record: 400 {errorMessage}.
    let (auth2, body2) = tokens(
        Interface::V1_0_4,
        "reportIncorrect",
        json!({"referredEntityId": "3c1a7d1e-2d5b-4f43-9b6a-0d5f6c1e9a11"}),
    );
    let r2 = client
        .post("/report-incorrect", &auth2, None, &body2)
        .unwrap();
    assert_eq!(r2.status, 400, "{r2:?}");
    assert!(
        r2.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("no account"),
        "{r2:?}"
    );
    assert!(
        r.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("no longer be changed")
    );
}

#[test]
fn wrong_method_and_unknown_path() {
    let sim = start(Interface::V3);
    let r = curl(&sim, "GET", "/v3/report-update/cat-1/", None, None, "");
    assert_eq!(r.status, 405);
    assert_eq!(r.body, "", "§4.7 lists 405 without a body");
    let r = curl(&sim, "PUT", "/v3/report-incorrect/", None, None, "x");
    assert_eq!(r.status, 405);
    let r = curl(&sim, "POST", "/v3/report-update/cat-3/", None, None, "x");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["message"]
    );
    // v1.0.4 answers 405 with {errorMessage}.
    let sim = start(Interface::V1_0_4);
    let r = curl(&sim, "GET", "/report-update", None, None, "");
    assert_eq!(r.status, 405);
    assert!(r.json()["errorMessage"].is_string(), "{r:?}");
}

#[test]
fn a_second_request_before_the_answer_is_flagged_or_rejected() {
    let sim = start_with(Interface::V3, |c| {
        c.sequential = SequentialPolicy::Reject;
        // Long enough that the first request is still unanswered on a busy machine.
        c.faults.latency = Some(Duration::from_millis(2500));
    });
    let addr = sim.addr();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let (a2, b2) = (auth.clone(), body.clone());
    let first = std::thread::spawn(move || {
        Client::connect(addr)
            .post("/v3/report-update/cat-2/", &a2, None, &b2)
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(1000));
    let cid = new_cid();
    let second = Client::connect(addr)
        .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
        .unwrap();
    let first = first.join().unwrap();
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(second.status, 400, "{second:?}");
    assert!(second.json()["message"].as_str().unwrap().contains("§3.6"));
    let logged = sim.message(&cid);
    assert_eq!(logged["sequential_violation"], true);
    assert!(
        logged["findings"]
            .as_str()
            .unwrap()
            .contains("SEND-SEQUENTIAL")
    );
}

#[test]
fn command_line_errors() {
    let base = |extra: &[&str]| {
        let mut cmd = crate::support::tilicheck();
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            "register-chain.pem",
            "--key",
            "register.key",
        ])
        .args(["--trust", "root-ca.pem", "--quiet"])
        .args(extra);
        cmd
    };
    base(&["--supplier", "supplier.pem", "--inspect", "0.0.0.0:8444"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("loopback"));
    base(&["--supplier", "no-such.pem"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("no-such.pem"));
    base(&["--supplier", "supplier.pem", "--fault", "fail-every=0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("fail-every"));
}

#[test]
fn schema_and_content_checks_are_those_of_message_validate() {
    let sim = start(Interface::V3);
    let mut client = Client::connect(sim.addr());
    // An IBAN written with spaces: the schema accepts it, the content check does not.
    let mut report = update_report(RECORD);
    report["accounts"][RECORD]["id"]["iban"] = json!("FI21 1234 5600 0007 85");
    let (auth, body) = tokens(Interface::V3, "reportUpdate", report);
    let cid = new_cid();
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
        .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    let j = r.json();
    assert!(j["fieldErrors"].to_string().contains("MSG-CONTENT"), "{j}");
    assert!(j["fieldErrors"].to_string().contains("/accounts/"), "{j}");
    assert!(
        sim.message(&cid)["findings"]
            .as_str()
            .unwrap()
            .contains("MSG-CONTENT")
    );

    // A schema error: an account without its required openingDate.
    let mut report = update_report(RECORD);
    report["accounts"][RECORD]
        .as_object_mut()
        .unwrap()
        .remove("openingDate");
    let (auth, body) = tokens(Interface::V3, "reportUpdate", report);
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("MSG-SCHEMA"), "{r:?}");

    // senderBusinessId must be the signer's.
    let mut report = update_report(RECORD);
    report["senderBusinessId"] = json!("7654321-2");
    let (auth, body) = tokens(Interface::V3, "reportUpdate", report);
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("MSG-SENDER"), "{r:?}");
    // Nothing of these was applied.
    assert!(sim.api("/api/records").as_array().unwrap().is_empty());
}
