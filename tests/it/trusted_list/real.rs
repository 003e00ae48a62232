//! The real LOTL and the FI, SE and EE lists: they verify (the LOTL against the signers
//! announced in the Official Journal, the national lists against the LOTL's pointers), one
//! changed byte in a signed element breaks each, and wrapped copies are refused.

use super::*;

const ALL: &[&str] = &["eu-lotl.xml", "TSL_FI.xml", "TSL_SE.xml", "TSL_EE.xml"];

#[test]
fn the_four_real_lists_verify_and_xmlsec1_agrees() {
    let files: Vec<String> = ALL.iter().map(|f| list(f).display().to_string()).collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, report) = check_lists(REAL_AT, &args);
    assert_eq!(code, 0, "{report:#}");
    crate::hostile_output::validate_with_jsonschema(&report.to_string());
    for f in ALL {
        let (status, detail) = finding(&report, f, "TL-SIGNATURE");
        assert_eq!(status, "pass", "{f}: {detail}");
        let (status, detail) = finding(&report, f, "TL-FRESH");
        assert_eq!(status, "pass", "{f}: {detail}");
        let (ok, log) = xmlsec1_verifies(&list(f), None);
        assert!(ok, "xmlsec1 on {f}: {log}");
    }
    let (_, lotl) = finding(&report, "eu-lotl.xml", "TL-SIGNATURE");
    assert!(lotl.contains("announced in OJ C/2026/1944"), "{lotl}");
    let (_, fi) = finding(&report, "TSL_FI.xml", "TL-SIGNATURE");
    assert!(
        fi.contains("\"SchemeOperator II\"") && fi.contains("names for FI"),
        "{fi}"
    );
    assert!(fi.contains("RSA (PKCS#1 v1.5) with SHA-512"), "{fi}");
}

#[test]
fn the_finnish_list_grants_dvv_service_certificates_g5r_for_website_authentication() {
    let (_, report) = check_lists(
        REAL_AT,
        &[
            "--lotl",
            list("eu-lotl.xml").to_str().expect("utf-8"),
            list("TSL_FI.xml").to_str().expect("utf-8"),
        ],
    );
    let fi = report["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .find(|s| {
            s["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("TSL_FI.xml"))
        })
        .expect("FI subject");
    let rows = fi["tables"][0]["rows"].as_array().expect("services");
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["service"] == name)
            .unwrap_or_else(|| panic!("{name} in {rows:#?}"))
    };
    for name in [
        "DVV Service Certificates - G5R",
        "DVV Service Certificates - G5E",
    ] {
        let r = row(name);
        assert_eq!(r["provider"], "Digital and Population Data Services Agency");
        assert_eq!(r["status"], "granted", "{r}");
        assert_eq!(r["for_website_authentication"], "yes", "{r}");
    }
    assert_eq!(
        row("VRK CA for Service Providers - G3")["status"],
        "withdrawn"
    );
    assert_eq!(
        row("VRK CA for Service Providers - G4")["status"],
        "granted"
    );
}

#[test]
fn without_the_lotl_a_national_signer_is_unchecked_and_says_how_to_check_it() {
    let (code, report) = check_lists(REAL_AT, &[list("TSL_SE.xml").to_str().expect("utf-8")]);
    assert_eq!(code, 0, "a warning alone");
    let (status, detail) = finding(&report, "TSL_SE.xml", "TL-SIGNATURE");
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.contains("no LOTL was given"), "{detail}");
}

#[test]
fn a_list_past_its_next_update_is_not_fresh() {
    // FI's NextUpdate is 2026-10-16T21:00:56Z.
    let (code, report) = check_lists(
        "2026-12-01",
        &[
            list("eu-lotl.xml").to_str().expect("utf-8"),
            list("TSL_FI.xml").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1);
    let (status, detail) = finding(&report, "TSL_FI.xml", "TL-FRESH");
    assert_eq!(status, "fail");
    assert!(detail.contains("2026-10-16T21:00:56Z"), "{detail}");
    assert_eq!(finding(&report, "eu-lotl.xml", "TL-FRESH").0, "pass");
}

/// One byte changed in an element the signature covers: (file, from, to).
const ONE_BYTE: &[(&str, &str, &str)] = &[
    (
        "eu-lotl.xml",
        "<TSLSequenceNumber>390<",
        "<TSLSequenceNumber>391<",
    ),
    (
        "TSL_FI.xml",
        "DVV Service Certificates - G5R<",
        "DVV Service Certificates - G5Q<",
    ),
    ("TSL_SE.xml", "Svcstatus/withdrawn<", "Svcstatus/withdrawm<"),
    (
        "TSL_EE.xml",
        "<TSLSequenceNumber>73<",
        "<TSLSequenceNumber>74<",
    ),
];

#[test]
fn one_changed_byte_in_a_signed_element_fails_each_list_and_xmlsec1_agrees() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, from, to) in ONE_BYTE {
        let original = std::fs::read_to_string(list(file)).expect("list");
        assert_eq!(from.len(), to.len());
        let at = original
            .find(from)
            .unwrap_or_else(|| panic!("{from} in {file}"));
        let mut tampered = original.clone();
        tampered.replace_range(at..at + from.len(), to);
        let diff = original
            .bytes()
            .zip(tampered.bytes())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(diff, 1, "{file}: exactly one byte changed");
        let path = write(dir.path(), file, &tampered);
        let shown = path.to_str().expect("utf-8");
        let (code, report) = check_lists(
            REAL_AT,
            &[
                "--lotl",
                list("eu-lotl.xml").to_str().expect("utf-8"),
                shown,
            ],
        );
        assert_eq!(code, 1, "{file}: {report:#}");
        let (status, detail) = finding(&report, shown, "TL-SIGNATURE");
        assert_eq!(status, "fail", "{file}");
        assert!(detail.contains("digest does not match"), "{file}: {detail}");
        let (ok, _) = xmlsec1_verifies(&path, None);
        assert!(!ok, "xmlsec1 also refuses the changed {file}");
    }
}

#[test]
fn changed_signed_properties_or_signature_value_fail_and_xmlsec1_agrees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fi = std::fs::read_to_string(list("TSL_FI.xml")).expect("FI");
    let cases = [
        (
            "signing-time.xml",
            fi.replace(
                "<xades:SigningTime>2026-04-17T07:53:31Z<",
                "<xades:SigningTime>2026-04-17T07:53:32Z<",
            ),
            "signed properties does not match",
        ),
        (
            "value.xml",
            {
                let at = fi.find("<ds:SignatureValue").expect("value");
                let start = fi[at..].find('>').expect("tag end") + at + 1;
                let mut v = fi.clone();
                let c = if &fi[start + 10..start + 11] == "A" {
                    "B"
                } else {
                    "A"
                };
                v.replace_range(start + 10..start + 11, c);
                v
            },
            "does not verify with the signer's certificate",
        ),
    ];
    for (name, xml, expected) in cases {
        assert_ne!(xml, fi, "{name} changed something");
        let path = write(dir.path(), name, &xml);
        let (code, report) = check_lists(REAL_AT, &[path.to_str().expect("utf-8")]);
        assert_eq!(code, 1, "{name}");
        let (status, detail) = finding(&report, name, "TL-SIGNATURE");
        assert_eq!(status, "fail", "{name}");
        assert!(detail.contains(expected), "{name}: {detail}");
        assert!(!xmlsec1_verifies(&path, None).0, "xmlsec1 refuses {name}");
    }
}

/// The FI list's signature element.
fn signature_of(xml: &str) -> std::ops::Range<usize> {
    let start = xml.find("<ds:Signature ").expect("signature");
    let end = xml.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    start..end
}

#[test]
fn wrapped_real_lists_are_refused_where_xmlsec1_only_checks_the_signature() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forged_list = "<TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\"><SchemeInformation><SchemeTerritory>FI</SchemeTerritory></SchemeInformation></TrustServiceStatusList>";
    for file in ALL {
        let original = std::fs::read_to_string(list(file)).expect("list");
        let sig = signature_of(&original);
        let sig_end = sig.end - "</ds:Signature>".len();

        // 1. A second TrustServiceStatusList in a ds:Object of the (still valid) signature.
        let mut second = original.clone();
        second.insert_str(sig_end, &format!("<ds:Object>{forged_list}</ds:Object>"));
        // 2. Unsigned content beside the signed properties.
        let mut unsigned = original.clone();
        unsigned.insert_str(
            sig_end,
            "<ds:Object><Note>granted for everyone</Note></ds:Object>",
        );
        // 3. The whole signed list moved inside a forged one, its signature along with it.
        let root_end = original.rfind("</TrustServiceStatusList>").expect("end") + 25;
        let inner = &original[original.find("<TrustServiceStatusList").expect("root")..root_end];
        let moved = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\" Id=\"forged\"><SchemeInformation><SchemeTerritory>FI</SchemeTerritory></SchemeInformation><Wrapper>{inner}</Wrapper></TrustServiceStatusList>"
        );
        // 4. The signature moved into SchemeInformation: everything else is as signed (so the
        //    digest matches), but it no longer envelops the list from its root.
        let signature = &original[sig.clone()];
        let mut inside = original.clone();
        inside.replace_range(sig.clone(), "");
        let at = inside
            .find("</SchemeInformation>")
            .expect("scheme information");
        inside.insert_str(at, signature);

        let cases = [
            ("second-list", second, "2 TrustServiceStatusList", true),
            ("unsigned-object", unsigned, "not covered by it", true),
            ("moved", moved, "2 TrustServiceStatusList", false),
            (
                "signature-inside",
                inside,
                "not a child of the document element",
                true,
            ),
        ];
        for (variant, xml, expected, xmlsec1_accepts) in cases {
            let name = format!("{variant}-{file}");
            let path = write(dir.path(), &name, &xml);
            let (code, report) = check_lists(REAL_AT, &[path.to_str().expect("utf-8")]);
            assert!(code == 1 || code == 3, "{name}: exit {code}");
            let (status, detail) = finding(&report, &name, "TL-SIGNATURE");
            assert!(status == "fail" || status == "error", "{name}: {status}");
            assert!(detail.contains(expected), "{name}: {detail}");
            // xmlsec1 answers whether the signature verifies, not what it covers: for a
            // signature left intact with foreign content beside it, or moved, it says OK.
            // tilicheck refuses on purpose, since a reader of that file could take the foreign
            // content for the list.
            let (ok, log) = xmlsec1_verifies(&path, None);
            assert_eq!(ok, xmlsec1_accepts, "xmlsec1 on {name}: {log}");
        }
    }
}
