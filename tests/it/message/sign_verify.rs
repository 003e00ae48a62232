//! sign → verify round trips for both interface versions, and what sign refuses.

use super::*;

#[test]
fn sign_then_verify_round_trips_for_v3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = generated(dir.path(), "v3");
    let req = sign_request(dir.path(), "v3", &report);
    let text = std::fs::read_to_string(&req).expect("request written");
    assert!(
        text.starts_with("POST /v3/report-update/cat-2/ HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nX-Correlation-ID: 6a4dcb0a-a8d4-441b-9072-663db803b0e6\r\n"));
    let (code, v) = run_json(&[
        "message",
        "verify",
        "--request",
        req.to_str().expect("path"),
        "--cert",
        "supplier.pem",
    ]);
    assert_eq!(code, 0);
    verified(&v);
    // The body's payload is {sub, aud, reportUpdate: object}.
    let body = text.rsplit("\r\n\r\n").next().expect("body");
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(body.split('.').nth(1).expect("payload"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(payload["aud"], "accountRegister");
    assert_eq!(payload["sub"], SUPPLIER_ID);
    assert!(payload["reportUpdate"].is_object());
}

#[test]
fn official_v3_examples_are_signed_and_verify_with_their_warnings() {
    // The register accepts these examples; their data-quality warnings do not stop signing.
    for name in [
        "v3/examples/report-update-v3-credit_institution.json",
        "v3/examples/report-update-v3-other.json",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let req = sign_request(dir.path(), "v3", &spec(name));
        let (code, v) = run_json(&[
            "message",
            "verify",
            "--request",
            req.to_str().expect("path"),
            "--cert",
            "supplier.pem",
        ]);
        assert_eq!(code, 0, "{name}: {v:#}");
        let bad: Vec<&Value> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["status"] != "pass" && f["status"] != "skip")
            .collect();
        assert!(!bad.is_empty(), "{name}: the warnings are listed");
        assert!(
            bad.iter()
                .all(|f| f["status"] == "warn" && f["id"] == "MSG-QUALITY"),
            "{name}: {bad:#?}"
        );
        // Under --strict the warnings count: nothing is signed, and the reason is given.
        let strict = tilicheck()
            .args(["message", "sign", "--strict", "--at", AT])
            .arg(spec(name))
            .args(["--key", "supplier.key", "--cert", "supplier.pem"])
            .output()
            .expect("runs");
        assert_eq!(strict.status.code(), Some(1), "{name}");
        assert!(
            String::from_utf8_lossy(&strict.stderr)
                .contains("--strict, and the report has warnings"),
            "{}",
            String::from_utf8_lossy(&strict.stderr)
        );
        assert!(!String::from_utf8_lossy(&strict.stdout).contains("Bearer "));
    }
}

#[test]
fn sign_then_verify_round_trips_for_v104() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = generated(dir.path(), "v1.0.4");
    let req = sign_request(dir.path(), "v1.0.4", &report);
    let text = std::fs::read_to_string(&req).expect("request written");
    assert!(
        text.starts_with("POST /report-update HTTP/1.1\r\n"),
        "{text}"
    );
    let (code, v) = run_json(&[
        "message",
        "verify",
        "--interface",
        "v1.0.4",
        "--request",
        req.to_str().expect("path"),
        "--cert",
        "supplier.pem",
    ]);
    assert_eq!(code, 0);
    verified(&v);
    let auth = text
        .lines()
        .find_map(|l| l.strip_prefix("Authorization: Bearer "))
        .expect("auth header");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(auth.split('.').nth(1).expect("payload"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(
        claims,
        serde_json::json!({"sub": SUPPLIER_ID, "senderBusinessId": SUPPLIER_ID})
    );
    // Verified under v3 rules, the same request is wrong in the ways that matter.
    let (code, v) = run_json(&[
        "message",
        "verify",
        "--request",
        req.to_str().expect("path"),
        "--cert",
        "supplier.pem",
    ]);
    assert_eq!(code, 1);
    assert!(
        found(&v, "body token", "JWS-CLAIMS")
            .iter()
            .any(|(_, d)| d.contains("aud is missing"))
    );
    assert!(found(&v, "body token", "JWS-CLAIMS").iter().any(|(_, d)| d.contains("reportUpdate is a string; this interface version embeds the report as a JSON object")));
}

#[test]
fn curl_output_carries_tokens_but_no_key_material() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = generated(dir.path(), "v3");
    let out = tilicheck()
        .args([
            "message",
            "sign",
            "--at",
            AT,
            report.to_str().expect("path"),
        ])
        .args(["--key", "supplier.key", "--cert", "supplier.pem", "--curl"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("curl --http1.1"), "{text}");
    assert!(text.contains("'https://account-register.invalid/v3/report-update/cat-2/'"));
    assert!(text.contains("-H 'Authorization: Bearer ey"));
    assert!(!text.contains("PRIVATE KEY"));
    let key = std::fs::read_to_string(fixture("supplier.key")).expect("key");
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!text.contains(&key_body[..40]));
}

#[test]
fn sign_refuses_a_certificate_unfit_for_signing_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = generated(dir.path(), "v3");
    let req = dir.path().join("request.http");
    let out = tilicheck()
        .args([
            "message",
            "sign",
            "--format",
            "json",
            "--at",
            AT,
            report.to_str().expect("path"),
        ])
        .args([
            "--key",
            "bad-rsa2048.key",
            "--cert",
            "bad-rsa2048.pem",
            "--request",
            req.to_str().expect("path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(!req.exists());
    let v: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["id"] == "CERT-KEY-STRENGTH" && f["status"] == "fail")
    );
}
