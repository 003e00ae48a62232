//! `message generate`, and message reports against the report schema.

use super::*;

#[test]
fn generate_is_deterministic_and_valid() {
    let run = |seed: &str| {
        tilicheck()
            .args(["message", "generate", "--records", "50", "--seed", seed])
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run("9"), run("9"));
    assert_ne!(run("9"), run("10"));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "g.json", &run("9"));
    let (code, v) = validate("v3", &p);
    assert_eq!(code, 0);
    all_pass(&v);
    let (code, v) = validate("v1.0.4", &{
        let p = dir.path().join("g104.json");
        tilicheck()
            .args([
                "message",
                "generate",
                "--interface",
                "v1.0.4",
                "--records",
                "50",
                "-o",
                p.to_str().expect("path"),
            ])
            .assert()
            .success();
        p
    });
    assert_eq!(code, 0);
    all_pass(&v);
}

#[test]
fn message_reports_conform_to_the_report_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .expect("schema file"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = generated(dir.path(), "v3");
    let req = sign_request(dir.path(), "v3", &report);
    let (_, verify) = run_json(&[
        "message",
        "verify",
        "--request",
        req.to_str().expect("path"),
        "--cert",
        "supplier.pem",
    ]);
    let (_, validate) = validate(
        "v3",
        &spec("v3/examples/report-update-v3-credit_institution.json"),
    );
    for doc in [verify, validate] {
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn the_official_request_example_is_read_and_decoded() {
    use tilicheck::message::{jws, request};
    let text = std::fs::read_to_string(spec("v3/examples/request.txt")).expect("example");
    let req = request::parse_request(&text).expect("request parses");
    assert_eq!(
        (req.method.as_str(), req.version.as_str()),
        ("POST", "HTTP/1.1")
    );
    let auth = jws::decode(req.bearer().expect("bearer")).expect("auth token");
    assert_eq!(auth.header["alg"], "RS256");
    assert_eq!(
        Value::Object(auth.payload),
        serde_json::json!({"aud": "accountRegister", "sub": "8488829-6"})
    );
    let body = jws::decode(&req.body).expect("body token");
    assert_eq!(body.signature.len(), 256, "RSA-2048 in the 2020 example");
    assert!(body.payload["reportUpdate"].is_object());
}
