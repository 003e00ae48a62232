//! What the simulator refuses, with the register's answers: unknown signers, a `sub` that is
//! off, bad signatures and TLS identities (403), invalid JSON and claims (400), oversize
//! bodies refused before they are read, a client without a certificate.

use serde_json::json;
use tilicheck::profile::Interface;

use super::*;

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
