//! `tilicheck message`: the official examples, strict reading, content checks, sign → verify
//! round trips for both interface versions, tokens built by openssl, forged and broken tokens.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::{AT, SUPPLIER_ID, fixture, openssl, tilicheck};

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri")
        .join(name)
}

/// Run with `--format json`; the exit code and the parsed report.
fn run_json(args: &[&str]) -> (i32, Value) {
    let out = tilicheck()
        .args(args)
        .args(["--format", "json", "--at", AT])
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// (status, detail) of every finding with `id` in the subject whose role is `subject`.
fn found(v: &Value, subject: &str, id: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"] == subject && f["id"] == id)
        .map(|f| {
            (
                f["status"].as_str().unwrap_or_default().to_owned(),
                f["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn statuses(v: &Value, subject: &str, id: &str) -> Vec<String> {
    found(v, subject, id).into_iter().map(|(s, _)| s).collect()
}

fn only(v: &Value, subject: &str, id: &str, status: &str) {
    let s = statuses(v, subject, id);
    assert!(
        !s.is_empty() && s.iter().all(|x| x == status),
        "{subject} {id}: expected only {status}, got {:?}",
        found(v, subject, id)
    );
}

fn validate(interface: &str, file: &Path) -> (i32, Value) {
    run_json(&[
        "message",
        "validate",
        "--interface",
        interface,
        file.to_str().expect("utf-8 path"),
    ])
}

// ---- the official examples -------------------------------------------------------------

#[test]
fn v104_examples_at_the_v104_commit_are_valid() {
    let (code, v) = validate("v1.0.4", &spec("v1.0.4/examples/report-update.json"));
    assert_eq!(code, 0);
    for id in [
        "MSG-SCHEMA",
        "MSG-SENDER",
        "MSG-IDS",
        "MSG-SIZE",
        "MSG-CONTENT",
        "MSG-QUALITY",
    ] {
        only(&v, "message", id, "pass");
    }
    for name in ["report-disputable.json", "report-incorrect.json"] {
        let (code, v) = validate("v1.0.4", &spec(&format!("v1.0.4/examples/{name}")));
        assert_eq!(code, 0, "{name}");
        // v1.0.4 publishes no schema for these: said, not passed.
        only(&v, "message", "MSG-SCHEMA", "skip");
        assert!(statuses(&v, "message", "MSG-IDS").contains(&"warn".to_owned()));
    }
}

#[test]
fn v104_as_published_example_fails_its_own_schema_precisely() {
    let (code, v) = validate(
        "v1.0.4",
        &spec("v1.0.4-as-published/examples/report-update.json"),
    );
    assert_eq!(code, 1);
    let schema = found(&v, "message", "MSG-SCHEMA");
    // Ten private persons still written with firstNames/lastName/birthdate, and the
    // organisation registration number as a string (one is missing it entirely).
    assert_eq!(schema.len(), 12, "{schema:?}");
    let anyof = schema
        .iter()
        .filter(|(_, d)| d.contains("/privatePerson:") && d.contains("firstNames"))
        .count();
    assert_eq!(anyof, 10);
    assert!(schema.iter().any(|(_, d)| d.contains(
        "/legalPersons/5d892fac-07f0-465f-ab6a-af88a1d922ba/organisation/registrationNumber: \"4276521-2\" is not of type \"object\""
    )));
    assert!(schema.iter().any(|(_, d)| d.contains(
        "/legalPersons/279aeafc-528e-4f81-b79c-ecc8b0aafd4c/organisation: \"registrationNumber\" is a required property"
    )));
    let sender = found(&v, "message", "MSG-SENDER");
    assert_eq!(sender.len(), 1);
    assert!(sender[0].1.contains("/creationDateTime: \"2019-09-15\""));
}

#[test]
fn v3_update_examples_pass_the_schema_and_show_their_data_defects() {
    for (name, endpoint) in [
        (
            "v3/examples/report-update-v3-credit_institution.json",
            "/v3/report-update/cat-1/",
        ),
        (
            "v3/examples/report-update-v3-other.json",
            "/v3/report-update/cat-2/",
        ),
    ] {
        // Customs publishes these examples, and the register does not compare birth dates
        // with identity codes: they pass, with their defects listed as warnings.
        let (code, v) = validate("v3", &spec(name));
        assert_eq!(code, 0, "{name}");
        only(&v, "message", "MSG-SCHEMA", "pass");
        only(&v, "message", "MSG-SENDER", "pass");
        only(&v, "message", "MSG-IDS", "pass");
        only(&v, "message", "MSG-SIZE", "pass");
        only(&v, "message", "MSG-CONTENT", "pass");
        let summary = v["subjects"][0]["summary"].to_string();
        assert!(summary.contains(endpoint), "{name}: {summary}");
        // Two example people have a birthDate that contradicts their hetu.
        let quality = found(&v, "message", "MSG-QUALITY");
        assert!(quality.iter().all(|(s, _)| s == "warn"), "{quality:?}");
        let births: Vec<_> = quality
            .iter()
            .filter(|(_, d)| d.contains("but the personal identity code encodes"))
            .collect();
        assert_eq!(births.len(), 2, "{quality:?}");
        assert!(births.iter().any(|(_, d)| d.contains(
            "70904e2d-87b8-4e3b-8421-b0907a62dd96/privatePerson/birthDate: is 1989-03-02, but the personal identity code encodes 1989-02-03"
        )));
        // And records that ended before 1.9.2020 (v3 §4.8).
        assert!(quality.iter().any(|(_, d)| d.contains("before 2020-09-01")));
        assert!(
            v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["id"] == "MSG-QUALITY")
                .all(|f| f["enforcement"] == "data-quality")
        );
        assert!(
            v["register_verdict"].as_str().is_some_and(
                |t| t.starts_with("the register would accept this; these values look wrong: ")
            ),
            "{}",
            v["register_verdict"]
        );
        // The text report says so in words; --strict turns the warnings into failures.
        let text = tilicheck()
            .args(["message", "validate", "--at", AT])
            .arg(spec(name))
            .output()
            .expect("runs");
        assert_eq!(text.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&text.stdout)
                .contains("The register would accept this; these values look wrong:"),
            "{}",
            String::from_utf8_lossy(&text.stdout)
        );
        let (code, _) = run_json(&[
            "message",
            "validate",
            "--strict",
            spec(name).to_str().expect("path"),
        ]);
        assert_eq!(code, 1, "{name} under --strict");
    }
}

#[test]
fn v3_disputable_example_passes_and_incorrect_example_is_not_json() {
    let (code, v) = validate("v3", &spec("v3/examples/report-disputable.json"));
    assert_eq!(code, 0);
    only(&v, "message", "MSG-SCHEMA", "pass");
    let (code, v) = validate("v3", &spec("v3/examples/report-incorrect.json"));
    assert_eq!(code, 1);
    let schema = found(&v, "message", "MSG-SCHEMA");
    assert_eq!(
        schema,
        vec![(
            "fail".to_owned(),
            "the message is not valid JSON: trailing comma at line 4, column 1".to_owned()
        )]
    );
}

#[test]
fn bundled_files_are_the_official_bytes() {
    // `git hash-object` of each bundled file, as listed in spec-data's SOURCE.md.
    for (path, blob) in [
        (
            "v3/schemas/information_update-v3-credit_institution.json",
            "fc6f0c0d28d843f7f76dfdbb21077c94e4910dd0",
        ),
        (
            "v3/schemas/information_update-v3-other.json",
            "664f4fc10864082242eedf794b90ad1db43ee4c6",
        ),
        (
            "v3/schemas/report_disputable.json",
            "6179f067ba7f8f8e0f48946b2499f638ef2b187c",
        ),
        (
            "v3/schemas/report_incorrect.json",
            "d87b55313ac43e8ece1a7d951e5d0b0763a61767",
        ),
        (
            "v1.0.4/schemas/information_update.json",
            "1992f3258ace6713e53c67869808f9511c6aad36",
        ),
    ] {
        let bytes = std::fs::read(spec(path)).expect("bundled file");
        let mut hashed = format!("blob {}\0", bytes.len()).into_bytes();
        hashed.extend_from_slice(&bytes);
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &hashed);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, blob, "{path}");
    }
}

// ---- strict reading and bad input ---------------------------------------------------------

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn duplicate_keys_non_utf8_nesting_and_huge_numbers_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dup.json",
            br#"{"creationDateTime":"2026-01-01T00:00:00","senderBusinessId":"1234567-1","senderBusinessId":"7654321-1"}"#.to_vec(),
            "duplicate object key \"senderBusinessId\" at /senderBusinessId",
        ),
        ("latin1.json", b"{\"a\": \"caf\xe9\"}".to_vec(), "not UTF-8: invalid byte 0xe9 at byte offset 10"),
        ("deep.json", "[".repeat(100_000).into_bytes(), "recursion limit exceeded"),
        ("huge.json", format!("{{\"n\": {}}}", "9".repeat(10_000)).into_bytes(), "number out of range"),
        ("truncated.json", b"{\"creationDateTime\": \"2026".to_vec(), "EOF while parsing a string at line 1"),
    ];
    for (name, bytes, expect) in cases {
        let p = write(dir.path(), name, &bytes);
        let (code, v) = validate("v3", &p);
        assert_eq!(code, 1, "{name}");
        let schema = found(&v, "message", "MSG-SCHEMA");
        assert_eq!(schema.len(), 1, "{name}: {schema:?}");
        assert!(schema[0].1.contains(expect), "{name}: {}", schema[0].1);
    }
}

#[test]
fn oversized_file_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A single 2 MB line: past the v3 read limit (4 × 50 kB), so it is refused, exit 3.
    let mut big = b"{\"x\": \"".to_vec();
    big.resize(2_000_000, b'a');
    let p = write(dir.path(), "line.json", &big);
    let out = tilicheck()
        .args(["message", "validate", p.to_str().expect("path")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line.json: is larger than 200000 bytes"),
        "{err}"
    );
}

#[test]
fn a_non_object_root_fails_even_though_the_schema_allows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "n.json", b"42");
    let (code, v) = validate("v3", &p);
    assert_eq!(code, 1);
    let schema = found(&v, "message", "MSG-SCHEMA");
    assert!(
        schema[0].1.contains("is a number and not a JSON object"),
        "{schema:?}"
    );
}

#[test]
fn content_checks_see_what_the_schema_cannot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let person = "6cd7cc3f-6de1-4583-a572-895613e71130";
    let report = serde_json::json!({
        "creationDateTime": "2026-01-01T06:00:00.000",
        "senderBusinessId": "1234567-2",
        "legalPersons": {
            person: {"privatePerson": {"fullName": "Testinen, Aino", "birthDate": "1959-06-01", "hetu": "010659-9745"}},
            "00000000-0000-1000-8000-000000000000": {"organisation": {
                "name": "Kuvitteellinen Oy",
                "registrationNumber": {"number": "1234567-2", "type": "businessId"}}}
        },
        "accounts": {
            "6c035985-976f-4fa6-afcb-e1745eb58f9d": {
                "id": {"iban": "FI8371356610003254"},
                "openingDate": "2021-11-30",
                "closingDate": "2021-01-01",
                "roles": [
                    {"legalPersonReference": person, "startDate": "2021-11-30", "type": "owner"},
                    {"legalPersonReference": "5d892fac-07f0-465f-ab6a-af88a1d922ba", "startDate": "2021-11-30", "type": "access"}
                ]
            }
        }
    });
    let p = write(dir.path(), "r.json", report.to_string().as_bytes());
    let (code, v) = run_json(&[
        "message",
        "validate",
        p.to_str().expect("path"),
        "--business-id",
        SUPPLIER_ID,
    ]);
    assert_eq!(code, 1);
    let sender = found(&v, "message", "MSG-SENDER");
    assert!(
        sender[0].1.contains("check digit should be 1, is 2"),
        "{sender:?}"
    );
    let ids = found(&v, "message", "MSG-IDS");
    assert!(
        ids.iter().any(|(s, d)| s == "fail"
            && d.contains("00000000-0000-1000-8000-000000000000\" is not a UUIDv4")),
        "{ids:?}"
    );
    assert!(ids.iter().any(|(s, d)| s == "warn"
        && d.contains("legal person 5d892fac-07f0-465f-ab6a-af88a1d922ba is not in this message: refers to a record sent earlier")), "{ids:?}");
    // Well-formed values that do not add up: data quality the register is not known to
    // check, so warnings, never failures.
    let quality = found(&v, "message", "MSG-QUALITY");
    assert!(quality.iter().all(|(s, _)| s == "warn"), "{quality:?}");
    let all = quality
        .iter()
        .map(|(_, d)| d.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains(
            "hetu: personal identity code \"010659-9745\": check character should be '4', is '5'"
        ),
        "{all}"
    );
    assert!(
        all.contains("IBAN FI8371356610003254 check digits do not match"),
        "{all}"
    );
    assert!(
        all.contains("business ID \"1234567-2\" check digit should be 1, is 2"),
        "{all}"
    );
    assert!(
        all.contains("closingDate 2021-01-01 is before openingDate 2021-11-30"),
        "{all}"
    );
    only(&v, "message", "MSG-CONTENT", "pass");
}

#[test]
fn identifiers_are_exact_whitespace_and_wrong_lengths_fail_with_their_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let org = "6cd7cc3f-6de1-4583-a572-895613e71130";
    let person = "2b0c7a2e-2a7e-4c1e-9d55-0f3f1e4c8b1a";
    let account = "6c035985-976f-4fa6-afcb-e1745eb58f9d";
    let report = |sender: &str, number: &str, iban: &str, hetu: &str| {
        serde_json::json!({
            "creationDateTime": "2026-01-01T06:00:00.000",
            "senderBusinessId": sender,
            "legalPersons": {
                org: {"organisation": {"name": "Kuvitteellinen Oy",
                    "registrationNumber": {"number": number, "type": "businessId"}}},
                person: {"privatePerson": {"fullName": "Testinen, Aino", "birthDate": "1959-06-01", "hetu": hetu}}
            },
            "accounts": {account: {"id": {"iban": iban}, "openingDate": "2021-11-30",
                "roles": [{"legalPersonReference": person, "startDate": "2021-11-30", "type": "owner"}]}}
        })
    };
    let check = |r: Value| {
        let p = write(dir.path(), "r.json", r.to_string().as_bytes());
        validate("v3", &p)
    };
    let good = (
        "1234567-1",
        "0690765-8",
        "FI8371356610003253",
        "010659-9744",
    );
    let (code, v) = check(report(good.0, good.1, good.2, good.3));
    assert_eq!(code, 0, "{v:#}");
    only(&v, "message", "MSG-CONTENT", "pass");
    only(&v, "message", "MSG-SENDER", "pass");

    // The sender: surrounding whitespace (either side) fails MSG-SENDER at its pointer.
    for sender in [" 1234567-1", "1234567-1 ", "1234567-1\n"] {
        let (code, v) = check(report(sender, good.1, good.2, good.3));
        assert_eq!(code, 1, "{sender:?}");
        let f = found(&v, "message", "MSG-SENDER");
        assert!(
            f.iter().any(|(s, d)| s == "fail"
                && d.starts_with("/senderBusinessId: ")
                && d.contains("has whitespace around it")),
            "{sender:?}: {f:?}"
        );
    }
    // A six-digit body, as IDs from before 1991 were once written: the wrong length.
    let (code, v) = check(report("690765-8", good.1, good.2, good.3));
    assert_eq!(code, 1);
    assert!(
        found(&v, "message", "MSG-SENDER")
            .iter()
            .any(|(s, d)| s == "fail"
                && d.contains(
                    "\"690765-8\" has 6 digits before the check digit; a business ID has 7"
                ))
    );

    // A registration number: the same, under MSG-CONTENT with the record's pointer.
    let number_pointer = format!("/legalPersons/{org}/organisation/registrationNumber/number: ");
    for (number, expect) in [
        ("690765-8", "has 6 digits before the check digit"),
        ("0690765-8 ", "has whitespace around it"),
        (" 0690765-8", "has whitespace around it"),
        ("06907655-8", "has 8 digits before the check digit"),
    ] {
        let (code, v) = check(report(good.0, number, good.2, good.3));
        assert_eq!(code, 1, "{number:?}");
        let f = found(&v, "message", "MSG-CONTENT");
        assert!(
            f.iter()
                .any(|(s, d)| s == "fail" && d.starts_with(&number_pointer) && d.contains(expect)),
            "{number:?}: {f:?}"
        );
        // Not a data-quality matter: the form is wrong, not the check digit.
        only(&v, "message", "MSG-QUALITY", "pass");
    }
    // As an IBAN and a personal identity code with whitespace always were.
    let (code, v) = check(report(good.0, good.1, " FI8371356610003253", good.3));
    assert_eq!(code, 1);
    assert!(
        found(&v, "message", "MSG-CONTENT")
            .iter()
            .any(|(s, d)| s == "fail" && d.starts_with(&format!("/accounts/{account}/id/iban: ")))
    );
    let (code, v) = check(report(good.0, good.1, good.2, "010659-9744 "));
    assert_eq!(code, 1);
    assert!(
        found(&v, "message", "MSG-CONTENT")
            .iter()
            .any(|(s, d)| s == "fail"
                && d.starts_with(&format!("/legalPersons/{person}/privatePerson/hetu: ")))
    );

    // Typed on the command line, the six-digit form is still understood.
    let p = write(
        dir.path(),
        "r.json",
        report(good.0, good.1, good.2, good.3)
            .to_string()
            .as_bytes(),
    );
    let (code, v) = run_json(&[
        "message",
        "validate",
        p.to_str().expect("path"),
        "--business-id",
        " 690765-8",
    ]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        found(&v, "message", "MSG-SENDER")
            .iter()
            .any(|(s, d)| s == "fail"
                && d.contains("is 1234567-1, but the supplier is 0690765-8 (--business-id)"))
    );
}

// ---- sign → verify -------------------------------------------------------------------------

fn generated(dir: &Path, interface: &str) -> PathBuf {
    let p = dir.join("report.json");
    tilicheck()
        .args([
            "message",
            "generate",
            "--interface",
            interface,
            "--records",
            "30",
            "--seed",
            "5",
        ])
        .args([
            "--business-id",
            SUPPLIER_ID,
            "-o",
            p.to_str().expect("path"),
        ])
        .assert()
        .success();
    p
}

fn sign_request(dir: &Path, interface: &str, report: &Path) -> PathBuf {
    let req = dir.join("request.http");
    tilicheck()
        .args([
            "message",
            "sign",
            "--interface",
            interface,
            "--at",
            AT,
            report.to_str().expect("path"),
        ])
        .args([
            "--key",
            "supplier.key",
            "--cert",
            "supplier.pem",
            "--request",
            req.to_str().expect("path"),
        ])
        .args(["--correlation-id", "6a4dcb0a-a8d4-441b-9072-663db803b0e6"])
        .assert()
        .success();
    req
}

/// Every finding passes; the signing certificate may have skips (revocation offline, no key
/// given, the TLS-only rules), which are never passes but not problems either.
fn all_pass(v: &Value) {
    let bad: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["status"] != "pass"
                && !(f["subject"] == "signing certificate" && f["status"] == "skip")
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// A verify report in which everything passes, the signing certificate included.
fn verified(v: &Value) {
    all_pass(v);
    for id in [
        "CERT-VALIDITY",
        "CERT-KEY-STRENGTH",
        "CERT-KU-SIGN",
        "CERT-ID",
        "CERT-ISSUER",
    ] {
        assert_eq!(
            statuses(v, "signing certificate", id),
            ["pass"],
            "verify judges the signing certificate ({id}): {v:#}"
        );
    }
}

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

// ---- tokens from elsewhere, forged and broken tokens ---------------------------------------

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
        "../../spec-data/tilirekisteri/v3/examples/report-disputable.json"
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

// ---- generate ------------------------------------------------------------------------------

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
