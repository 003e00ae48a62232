//! The interface as a client sees it: endpoints per profile, §4.7 answers, token checks.

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

fn assert_forbidden(r: &Reply, needle: &str) {
    assert_eq!(r.status, 403, "{r:?}");
    let body = r.json();
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "403 is {{message}}: {body}"
    );
    assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
}

#[test]
fn unknown_signer_sub_mismatch_and_bad_signature_are_403() {
    let sim = start(Interface::V3);
    let report = update_report(RECORD);
    // Signed with a key whose certificate was never delivered to Customs.
    let (auth, body) = tokens_as(
        Interface::V3,
        &fixture("service-centre.key"),
        SUPPLIER,
        "reportUpdate",
        report.clone(),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_forbidden(&r, "does not verify with any certificate delivered");

    // sub names a company whose certificate did not sign.
    let (auth, body) = tokens_as(
        Interface::V3,
        &fixture("supplier.key"),
        "7654321-2",
        "reportUpdate",
        report.clone(),
    );
    let cid = new_cid();
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&cid),
        &body,
    );
    assert_forbidden(&r, "differs from the certificate's serialNumber");
    let logged = sim.message(&cid);
    assert_eq!(logged["accepted"], false);
    assert!(
        logged["findings"].as_str().unwrap().contains("JWS-SUB"),
        "{logged}"
    );

    // A payload changed after signing.
    let (auth, body) = tokens(Interface::V3, "reportUpdate", report);
    let mut parts: Vec<String> = body.split('.').map(str::to_owned).collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["reportUpdate"]["senderBusinessId"] = json!("7654321-2");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &parts.join("."),
    );
    assert_forbidden(&r, "signature does not verify");

    // No Authorization header at all.
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        None,
        Some(&new_cid()),
        "a.b.c",
    );
    assert_forbidden(&r, "Bearer");
}

#[test]
fn tls_identity_must_be_the_signer_or_an_authorised_service_centre() {
    let sim = start(Interface::V3);
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = curl_as(
        &sim,
        "service-centre-chain.pem",
        "service-centre.key",
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_forbidden(&r, "neither the signer");

    let sim = start_with(Interface::V3, |c| {
        c.registry.service_centres = vec![
            tilicheck::pki::demo::DEMO_SERVICE_CENTRE_ID
                .parse()
                .unwrap(),
        ];
    });
    let r = curl_as(
        &sim,
        "service-centre-chain.pem",
        "service-centre.key",
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(
        r.status, 200,
        "an authorised service centre may send: {r:?}"
    );
}

#[test]
fn invalid_json_wrong_claims_and_missing_fields_are_400() {
    let sim = start(Interface::V3);
    let key = fixture("supplier.key");
    let header = URL_SAFE_NO_PAD.encode(jwt_header().to_string());
    // A payload that is not JSON, signed properly.
    let not_json = URL_SAFE_NO_PAD.encode("{\"sub\": \"1234567-1\", ");
    let input = format!("{header}.{not_json}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in"), &input).unwrap();
    let sig = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-binary", "-sign"])
        .arg(&key)
        .arg(dir.path().join("in"))
        .output()
        .unwrap()
        .stdout;
    let body = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig));
    let (auth, _) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 400, "{r:?}");
    let j = r.json();
    assert!(j["message"].as_str().unwrap().contains("JSON"), "{j}");
    assert!(
        j["objectErrors"].is_array() && j["fieldErrors"].is_array(),
        "{j}"
    );

    // Plain JSON instead of a JWS.
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        "{\"reportUpdate\":{}}",
    );
    assert_eq!(r.status, 400, "{r:?}");

    // The wrong report claim for the endpoint.
    let (auth, body) = tokens(
        Interface::V3,
        "reportIncorrect",
        json!({"referredEntityId": RECORD, "correlationId": new_cid()}),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("exactly one report claim")
    );

    // Required fields missing: fieldErrors name them.
    let (auth, body) = tokens(
        Interface::V3,
        "reportDisputable",
        json!({"referredEntityId": RECORD}),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-disputable/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 400);
    let fields = r.json()["fieldErrors"].to_string();
    assert!(
        fields.contains("disputed") && fields.contains("correlationId"),
        "{fields}"
    );

    // v3 needs aud.
    let key = fixture("supplier.key");
    let auth = sign_openssl(&key, &jwt_header(), &json!({"sub": SUPPLIER}));
    let body = sign_openssl(
        &key,
        &jwt_header(),
        &json!({"sub": SUPPLIER, "aud": "accountRegister", "reportUpdate": update_report(RECORD)}),
    );
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["message"].as_str().unwrap().contains("aud"));
}

#[test]
fn oversize_is_refused_before_the_body_is_read() {
    let sim = start(Interface::V3);
    let mut report = update_report(RECORD);
    report["padding"] = json!("x".repeat(60_000));
    let (auth, body) = tokens(Interface::V3, "reportUpdate", report);
    assert!(body.len() > 50_000);
    let cid = new_cid();
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&cid),
        &body,
    );
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("limit is 50000 bytes"),
        "{r:?}"
    );
    assert!(
        sim.message(&cid)["findings"]
            .as_str()
            .unwrap()
            .contains("MSG-SIZE")
    );

    // Chunked, so no Content-Length: the streamed body is capped.
    let mut client = Client::connect(sim.addr());
    let chunk = "y".repeat(10_000);
    let mut req = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..8 {
        req.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = client.raw(&req).unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));

    // v1.0.4 allows 5 MB: the same message is fine there.
    let sim = start(Interface::V1_0_4);
    let mut report = update_report_in(Interface::V1_0_4, RECORD);
    report["padding"] = json!("x".repeat(60_000));
    let (auth, body) = tokens(Interface::V1_0_4, "reportUpdate", report);
    let r = curl(
        &sim,
        "POST",
        "/report-update",
        Some(&auth),
        Some(&new_cid()),
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn client_without_certificate_is_refused_and_diagnosed() {
    let sim = start(Interface::V3);
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(fixture("root-ca.pem"))
        .arg(format!(
            "https://localhost:{}/v3/report-update/cat-2/",
            sim.addr().port()
        ))
        .args(["--data-binary", "x"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a client without a certificate must not get through"
    );
    // The server records the connection right after its alert; wait for it (bounded).
    let start = std::time::Instant::now();
    let hellos = loop {
        let h = sim.api("/api/client-hellos");
        if !h.as_array().unwrap().is_empty() {
            break h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "connection not recorded"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let first = &hellos.as_array().unwrap()[0];
    assert_eq!(first["certificate_sent"], false);
    let text = first.to_string();
    assert!(
        text.contains("TLS-MUTUAL") && text.contains("no certificate"),
        "{text}"
    );
    // curl (OpenSSL) offers RSA key exchange and CBC suites; the offer is judged.
    assert!(text.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"), "{text}");
    assert!(
        first["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "TLS-FS" && f["status"] == "warn"),
        "{text}"
    );
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
