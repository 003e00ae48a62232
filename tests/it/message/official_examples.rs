//! Customs' official examples: each as published, read, validated and shown with its defects.

use super::*;

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
