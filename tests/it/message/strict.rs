//! Strict reading and bad input: duplicate keys, non-UTF-8, nesting, size, and the content
//! checks the schema cannot make.

use super::*;

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
