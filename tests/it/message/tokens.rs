//! Tokens from elsewhere (signed by the openssl CLI), forged and broken tokens.

use super::*;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS signed by the openssl CLI (an implementation independent of ours).
fn openssl_token(dir: &Path, header: &str, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    std::fs::write(dir.join("input.txt"), &input).expect("write");
    openssl(
        &[
            "dgst",
            "-sha256",
            "-sign",
            fixture("supplier.key").to_str().expect("path"),
            "-out",
            "sig.bin",
            "input.txt",
        ],
        dir,
        &[],
    );
    let sig = std::fs::read(dir.join("sig.bin")).expect("sig");
    format!("{input}.{}", b64(&sig))
}

fn verify_tokens(dir: &Path, auth: &str, body: &str) -> (i32, Value) {
    let body_file = write(dir, "body.jws", body.as_bytes());
    run_json(&[
        "message",
        "verify",
        "--authorization",
        auth,
        "--body",
        body_file.to_str().expect("path"),
        "--cert",
        "supplier.pem",
    ])
}

fn v3_report() -> Value {
    serde_json::from_str(include_str!(
        "../../../spec-data/tilirekisteri/v3/examples/report-disputable.json"
    ))
    .expect("example")
}

const RS256: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

#[test]
fn tokens_signed_by_openssl_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister"}),
    );
    let body = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister", "reportDisputable": v3_report()}),
    );
    let (code, v) = verify_tokens(dir.path(), &auth, &body);
    assert_eq!(code, 0, "{v:#}");
    for s in ["Authorization token", "body token"] {
        for id in ["JWS-ALG", "JWS-SIG", "JWS-CLAIMS", "JWS-SUB"] {
            only(&v, s, id, "pass");
        }
    }
    only(&v, "message", "MSG-SCHEMA", "pass");
}

#[test]
fn tampered_payload_and_header_fail_the_signature() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister"}),
    );
    let parts: Vec<&str> = auth.split('.').collect();
    let other_payload = b64(
        serde_json::json!({"sub": "7654321-1", "aud": "accountRegister"})
            .to_string()
            .as_bytes(),
    );
    let tampered_payload = format!("{}.{other_payload}.{}", parts[0], parts[2]);
    let hs_header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let tampered_header = format!("{hs_header}.{}.{}", parts[1], parts[2]);
    let (_, v) = verify_tokens(dir.path(), &tampered_payload, &auth);
    only(&v, "Authorization token", "JWS-SIG", "fail");
    assert!(
        found(&v, "Authorization token", "JWS-SIG")[0]
            .1
            .contains("does not belong to the certificate you delivered to Customs")
    );
    only(&v, "Authorization token", "JWS-SUB", "fail");
    let (_, v) = verify_tokens(dir.path(), &tampered_header, &auth);
    only(&v, "Authorization token", "JWS-ALG", "fail");
    only(&v, "Authorization token", "JWS-SIG", "fail");
}

#[test]
fn alg_none_and_hs256_with_the_public_key_as_secret_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let claims = serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister"});
    let payload = b64(claims.to_string().as_bytes());
    let none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    // The classic confusion: HMAC keyed with the certificate's public key (PEM text).
    let hs_input = format!("{}.{payload}", b64(br#"{"alg":"HS256","typ":"JWT"}"#));
    let cert_pem = std::fs::read(fixture("supplier.pem")).expect("cert");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &cert_pem);
    let tag = aws_lc_rs::hmac::sign(&key, hs_input.as_bytes());
    let hs = format!("{hs_input}.{}", b64(tag.as_ref()));
    let good_body = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister", "reportDisputable": v3_report()}),
    );
    for (name, token, alg_text) in [
        ("none", none, "alg \"none\""),
        ("HS256", hs, "alg HS256 is an HMAC"),
    ] {
        let (code, v) = verify_tokens(dir.path(), &token, &good_body);
        assert_eq!(code, 1, "{name}");
        let alg = found(&v, "Authorization token", "JWS-ALG");
        assert!(
            alg[0].0 == "fail" && alg[0].1.contains(alg_text),
            "{name}: {alg:?}"
        );
        only(&v, "Authorization token", "JWS-SIG", "fail");
    }
}

#[test]
fn a_sub_one_character_off_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": "1234567-l", "aud": "accountRegister"}),
    );
    let body = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister", "reportDisputable": v3_report()}),
    );
    let (code, v) = verify_tokens(dir.path(), &auth, &body);
    assert_eq!(code, 1);
    only(&v, "Authorization token", "JWS-SIG", "pass");
    let sub = found(&v, "Authorization token", "JWS-SUB");
    assert_eq!(sub[0].0, "fail");
    assert!(
        sub[0].1.contains("first difference at character 9"),
        "{sub:?}"
    );
    only(&v, "body token", "JWS-SUB", "pass");
}

#[test]
fn broken_tokens_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = openssl_token(
        dir.path(),
        RS256,
        &serde_json::json!({"sub": SUPPLIER_ID, "aud": "accountRegister"}),
    );
    let (a, rest) = good.split_once('.').expect("dot");
    let cases = [
        (
            format!("{a}.{}", rest.split('.').next().expect("payload")),
            "has 2",
        ),
        (format!("{good}=="), "padding '='"),
        (good.replacen('.', ".+", 1), "illegal character '+'"),
    ];
    for (token, expect) in cases {
        let (code, v) = verify_tokens(dir.path(), &token, &good);
        assert_eq!(code, 1);
        let alg = found(&v, "Authorization token", "JWS-ALG");
        assert!(alg[0].1.contains(expect), "{expect}: {alg:?}");
    }
}

#[test]
fn a_private_key_where_the_certificate_belongs_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = write(dir.path(), "b.jws", b"x.y.z");
    let out = tilicheck()
        .args([
            "message",
            "verify",
            "--authorization",
            "x.y.z",
            "--body",
            body.to_str().expect("path"),
            "--cert",
            "supplier.key",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("supplier.key"), "{err}");
}
