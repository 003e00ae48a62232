//! pkilint (an independent X.509 and ETSI linter) as the oracle for CERT-X509V3 and CERT-QWAC
//! on the DEMO fixtures. Each row states what pkilint reports (severity WARNING and above) and
//! what tilicheck reports; where they differ on purpose, the row says why.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tilicheck::findings::Status;
use tilicheck::profile::RuleId;

use crate::rules_on_fixtures::Case;
use crate::support::fixtures;

/// What pkilint said about one file: the detected ETSI type and its findings.
pub(crate) struct Linted {
    pub(crate) etsi_type: Option<String>,
    pub(crate) findings: Vec<String>,
}

/// Lint `(kind, file)` pairs in one pkilint process (kind: `pkix`, `etsi`, or an ETSI type).
pub(crate) fn pkilint(jobs: &[(&str, &str)]) -> BTreeMap<String, Linted> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pkilint/batch.py");
    let out = Command::new("python3")
        .arg(script)
        .args(jobs.iter().map(|(kind, file)| format!("{kind}:{file}")))
        .current_dir(fixtures())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "pkilint failed (is it installed? .ci/run installs the pinned version): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("pkilint batch JSON");
    let map = report.as_object().expect("an object");
    map.iter()
        .map(|(file, v)| {
            let findings = v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| f.as_str().expect("a string").to_owned())
                .collect();
            let etsi_type = v["type"].as_str().map(str::to_owned);
            (
                file.clone(),
                Linted {
                    etsi_type,
                    findings,
                },
            )
        })
        .collect()
}

/// tilicheck's CERT-X509V3 findings of a fixture: (status, detail) each.
fn x509v3(file: &str) -> Vec<(Status, String)> {
    Case::new(file)
        .findings()
        .into_iter()
        .filter(|f| f.rule == RuleId::CertX509V3)
        .map(|f| (f.status, f.detail))
        .collect()
}

struct Row {
    file: &'static str,
    /// pkilint's PKIX findings, WARNING and above.
    pkilint: &'static [&'static str],
    /// tilicheck's CERT-X509V3 verdicts: a status and a phrase of the detail, one per finding.
    tilicheck: &'static [(Status, &'static str)],
    /// Why the two differ, where they do.
    why: Option<&'static str>,
}

const WELL_FORMED: &[(Status, &str)] = &[(Status::Pass, "well-formed under RFC 5280")];
const CA_GIVEN: &[(Status, &str)] = &[(Status::Fail, "this is a CA certificate")];
const CA_WHY: &str = "tilicheck judges the supplier's own (end-entity) certificate; a CA certificate given in its place is wrong input, not a malformed certificate";

fn rows() -> Vec<Row> {
    use Status::{Fail, Warn};
    let good = |file| Row {
        file,
        pkilint: &[],
        tilicheck: WELL_FORMED,
        why: None,
    };
    let ca = |file| Row {
        file,
        pkilint: &[],
        tilicheck: CA_GIVEN,
        why: Some(CA_WHY),
    };
    vec![
        ca("root-ca.pem"),
        ca("service-ca.pem"),
        ca("qwac-ca.pem"),
        good("supplier.pem"),
        good("supplier-vat.pem"),
        good("service-centre.pem"),
        Row {
            file: "register.pem",
            pkilint: &["ERROR pkix.invalid_domain_name_syntax"],
            tilicheck: WELL_FORMED,
            why: Some(
                "the simulator's loopback certificate names \"localhost\": one label is valid RFC 1034 preferred name syntax (what RFC 5280 §4.2.1.6 asks for); pkilint wants a name with a dot",
            ),
        },
        good("qwac.pem"),
        // Broken for another rule: well-formed all the same.
        good("bad-expired.pem"),
        good("bad-rsa2048.pem"),
        good("bad-wrong-id.pem"),
        good("bad-check-digit.pem"),
        good("bad-no-clientauth.pem"),
        good("bad-no-digitalsignature.pem"),
        good("bad-no-id.pem"),
        good("bad-qwac-no-web.pem"),
        good("bad-ec-p256.pem"),
        Row {
            file: "bad-x509-duplicate-ext.pem",
            pkilint: &["ERROR pkix.duplicate_extension"],
            tilicheck: &[(Fail, "2.5.29.17 (subjectAltName) appears 2 times")],
            why: None,
        },
        Row {
            file: "bad-x509-sigalg-mismatch.pem",
            pkilint: &["ERROR pkix.certificate_signature_algorithm_mismatch"],
            tilicheck: &[(
                Fail,
                "inside the signed part (sha256WithRSAEncryption) is not the one the certificate is signed with (sha512WithRSAEncryption)",
            )],
            why: None,
        },
        Row {
            file: "bad-x509-long-serial.pem",
            pkilint: &["ERROR pkix.certificate_serial_number_out_of_range"],
            tilicheck: &[(Fail, "the serial number is 21 octets long; at most 20")],
            why: None,
        },
        Row {
            file: "bad-x509-negative-serial.pem",
            pkilint: &["ERROR pkix.certificate_serial_number_out_of_range"],
            tilicheck: &[(Fail, "the serial number 90:37 is negative")],
            why: None,
        },
        Row {
            file: "bad-x509-non-der-bc.pem",
            pkilint: &["FATAL itu.invalid_asn1_syntax"],
            tilicheck: &[(
                Fail,
                "extension 2.5.29.19 (basicConstraints) is not a DER encoding of its type",
            )],
            why: None,
        },
        Row {
            file: "bad-x509-undecodable-name.pem",
            pkilint: &["FATAL itu.invalid_asn1_syntax"],
            tilicheck: &[(
                Fail,
                "the subject name's O value is an undecodable UTF8String (19 bytes): not valid UTF-8",
            )],
            why: None,
        },
        Row {
            file: "bad-x509-critical-san.pem",
            pkilint: &["WARNING pkix.san_extension_is_critical_non_empty_subject"],
            tilicheck: &[(Warn, "subjectAltName is critical although the subject")],
            why: None,
        },
        Row {
            file: "bad-x509-malformed-san.pem",
            pkilint: &["ERROR pkix.invalid_domain_name_syntax"],
            tilicheck: &[(Fail, "dNSName \"tilicheck demo.example\"")],
            why: None,
        },
        Row {
            file: "bad-x509-ee-keycertsign.pem",
            pkilint: &["ERROR pkix.ee_certificate_keycertsign_keyusage_set"],
            tilicheck: &[(Fail, "keyCertSign on a certificate that is not a CA")],
            why: None,
        },
        Row {
            file: "bad-x509-no-aki.pem",
            pkilint: &["ERROR pkix.authority_key_identifier_extension_absent"],
            tilicheck: &[(Fail, "no authorityKeyIdentifier")],
            why: None,
        },
        Row {
            file: "bad-x509-ct-poison.pem",
            pkilint: &[],
            tilicheck: &[(
                Fail,
                "unrecognised critical extension 1.3.6.1.4.1.11129.2.4.3 (CT precertificate poison",
            )],
            why: Some(
                "pkilint's RFC 5280 linter knows the poison extension and so does not call it unrecognised; a relying party must still refuse it, which is why it is critical (RFC 6962 §3.1): a precertificate is not a certificate",
            ),
        },
    ]
}

#[test]
fn cert_x509v3_agrees_with_pkilint_on_every_fixture() {
    let rows = rows();
    let jobs: Vec<(&str, &str)> = rows.iter().map(|r| ("pkix", r.file)).collect();
    let linted = pkilint(&jobs);
    let mut agree = 0;
    for row in &rows {
        let oracle = &linted[row.file].findings;
        assert_eq!(
            linted[row.file].etsi_type, None,
            "the RFC 5280 linter detects no type"
        );
        assert_eq!(oracle, row.pkilint, "{}: pkilint's findings", row.file);
        let ours = x509v3(row.file);
        assert_eq!(
            ours.len(),
            row.tilicheck.len(),
            "{}: tilicheck's findings {ours:?}",
            row.file
        );
        for ((status, detail), (want_status, phrase)) in ours.iter().zip(row.tilicheck) {
            assert_eq!(status, want_status, "{}: {detail}", row.file);
            assert!(detail.contains(phrase), "{}: {detail}", row.file);
        }
        // Agreement: both silent, or both reporting, at the same weight.
        let oracle_worst = if oracle.iter().any(|f| !f.starts_with("WARNING")) {
            Status::Fail
        } else if oracle.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        };
        let our_worst = ours.iter().map(|(s, _)| *s).max().unwrap_or(Status::Pass);
        if oracle_worst == our_worst {
            agree += 1;
            assert!(
                row.why.is_none(),
                "{}: agrees, so no reason is needed",
                row.file
            );
        } else {
            assert!(
                row.why.is_some(),
                "{}: differs without a stated reason",
                row.file
            );
        }
    }
    println!(
        "CERT-X509V3 and pkilint agree on {agree} of {} fixtures",
        rows.len()
    );
    assert_eq!(agree, rows.len() - 5, "five documented differences");
}
