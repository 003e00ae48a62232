//! pkilint (an independent X.509 and ETSI linter) as the oracle for CERT-X509V3 and CERT-QWAC
//! on the DEMO fixtures. Each row states what pkilint reports (severity WARNING and above) and
//! what tilicheck reports; where they differ on purpose, the row says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tilicheck::checks::identity::Purpose;
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
        good("qseal.pem"),
        good("bad-qwac-two-types.pem"),
        good("bad-qwac-sscd.pem"),
        good("bad-qwac-pds-http.pem"),
        good("bad-qwac-psd2-no-roles.pem"),
        good("bad-qwac-psd2-role-name.pem"),
        good("bad-qwac-psd2-nca-id.pem"),
        good("bad-qwac-ev-policy.pem"),
        good("bad-qwac-no-policy.pem"),
        good("bad-eku-ocsp-signing.pem"),
        good("bad-eku-critical.pem"),
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
        let linted = &linted[&format!("pkix:{}", row.file)];
        assert_eq!(
            linted.etsi_type, None,
            "the RFC 5280 linter detects no type"
        );
        let oracle = &linted.findings;
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

/// A fixture judged against a good twin: what pkilint adds to (and drops from) its findings
/// on the twin, and tilicheck's findings for one rule.
struct Variant {
    file: &'static str,
    /// The `--purpose` tilicheck judges it for.
    purpose: Purpose,
    added: &'static [&'static str],
    dropped: &'static [&'static str],
    tilicheck: &'static [(Status, &'static str)],
    why: Option<&'static str>,
}

/// Compare every variant with the twin's pkilint findings (linted as `kind`), and check
/// tilicheck's `rule` findings. Returns how many agree (both silent, or both reporting at the
/// same weight).
fn compare(kind: &str, twin: &str, rule: RuleId, variants: &[Variant]) -> usize {
    let mut jobs = vec![(kind, twin)];
    jobs.extend(variants.iter().map(|v| (kind, v.file)));
    let linted = pkilint(&jobs);
    let base: BTreeSet<&String> = linted[&format!("{kind}:{twin}")].findings.iter().collect();
    let mut agree = 0;
    for v in variants {
        let found: BTreeSet<&String> = linted[&format!("{kind}:{}", v.file)]
            .findings
            .iter()
            .collect();
        let added: Vec<&str> = found.difference(&base).map(|s| s.as_str()).collect();
        let dropped: Vec<&str> = base.difference(&found).map(|s| s.as_str()).collect();
        assert_eq!(added, v.added, "{}: what pkilint adds to {twin}", v.file);
        assert_eq!(dropped, v.dropped, "{}: what pkilint drops", v.file);
        let ours: Vec<(Status, String)> = Case::new(v.file)
            .purpose(v.purpose)
            .findings()
            .into_iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.status, f.detail))
            .collect();
        assert_eq!(ours.len(), v.tilicheck.len(), "{}: {ours:?}", v.file);
        for ((status, detail), (want, phrase)) in ours.iter().zip(v.tilicheck) {
            assert_eq!(status, want, "{}: {detail}", v.file);
            assert!(detail.contains(phrase), "{}: {detail}", v.file);
        }
        let oracle = if added.iter().any(|f| !f.starts_with("WARNING")) {
            Status::Fail
        } else if added.is_empty() {
            Status::Pass
        } else {
            Status::Warn
        };
        let worst = ours.iter().map(|(s, _)| *s).max().unwrap_or(Status::Pass);
        if oracle == worst {
            agree += 1;
            assert!(
                v.why.is_none(),
                "{}: agrees, so no reason is needed",
                v.file
            );
        } else {
            assert!(
                v.why.is_some(),
                "{}: differs without a stated reason",
                v.file
            );
        }
    }
    agree
}

/// pkilint's findings on the DEMO QWAC, each a deliberate difference: tilicheck passes it.
const QWAC_BASELINE: &[(&str, &str)] = &[
    (
        "ERROR cabf.internal_domain_name",
        "DEMO certificates name only reserved domains (.example, .invalid), never a real one",
    ),
    (
        "ERROR cabf.serverauth.certificate_validity_period_exceeds_398_days",
        "the fixtures are valid until 2099 so that tests never expire; 398 days is a browser rule, and the register sets no maximum",
    ),
    (
        "WARNING cabf.serverauth.ov.common_name_attribute_present",
        "the CA/Browser Forum discourages subject CN; DVV certificates and the register use it",
    ),
    (
        "WARNING cabf.serverauth.ov.unknown_attribute_present",
        "organizationIdentifier, which EN 319 412-1 requires of a legal person and CERT-ID reads",
    ),
    (
        "WARNING cabf.serverauth.subscriber.subject_key_identifier_extension_present",
        "RFC 5280 §4.2.1.2 asks for subjectKeyIdentifier (CERT-X509V3 warns without it)",
    ),
    (
        "WARNING cabf.serverauth.subscriber.unknown_extension_present",
        "QCStatements, which make it a QWAC, are not a CA/Browser Forum extension",
    ),
];

#[test]
fn the_demo_qwac_is_exemplary_but_for_documented_demo_choices() {
    let linted = pkilint(&[
        ("etsi", "qwac.pem"),
        ("pkix", "qwac.pem"),
        ("etsi", "qseal.pem"),
    ]);
    let qwac = &linted["etsi:qwac.pem"];
    assert_eq!(
        qwac.etsi_type.as_deref(),
        Some("QNCP-W-OV-EIDAS-FINAL-CERTIFICATE"),
        "pkilint sees an OV QWAC"
    );
    let expected: Vec<&str> = QWAC_BASELINE.iter().map(|(code, _)| *code).collect();
    assert_eq!(qwac.findings, expected);
    assert!(linted["pkix:qwac.pem"].findings.is_empty());
    let d = Case::new("qwac.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertQwac, Status::Pass);
    assert!(
        d.contains("policy QNCP-w, policy OVCP; subject an organisation"),
        "{d}"
    );
    // The e-seal: pkilint has no QCP-l type and lints it as an ETSI legal-person certificate;
    // its only finding is the reserved .invalid domain of its CRL and OCSP addresses.
    let seal = &linted["etsi:qseal.pem"];
    assert_eq!(seal.findings, ["ERROR etsi.internal_domain_name"]);
    let d = Case::new("qseal.pem")
        .purpose(Purpose::Signing)
        .expect(RuleId::CertQwac, Status::Pass);
    assert!(
        d.starts_with("qualified e-seal certificate (judged for signing)"),
        "{d}"
    );
}

#[test]
fn cert_qwac_agrees_with_pkilint_on_every_qwac_fixture() {
    use Status::{Fail, Warn};
    let tls = Purpose::Tls;
    let one = |file, added, tilicheck| Variant {
        file,
        purpose: tls,
        added,
        dropped: &[],
        tilicheck,
        why: None,
    };
    let variants = [
        one(
            "bad-qwac-no-web.pem",
            &["ERROR etsi.en_319_412_5.gen-4.2.3.qc_type_mismatch"],
            &[(Fail, "QcType eseal, not web")],
        ),
        one(
            "bad-qwac-two-types.pem",
            // pkilint's schema allows one QcType, so the statement does not decode at all.
            &["FATAL itu.invalid_asn1_syntax"],
            &[(
                Fail,
                "2 QcTypes (web, esign): a qualified certificate has exactly one",
            )],
        ),
        one(
            "bad-qwac-sscd.pem",
            &["ERROR etsi.en_319_412_5.qcs-5.01.qc_sscd_qualified_statement_present"],
            &[(Fail, "QcSSCD on a website certificate")],
        ),
        one(
            "bad-qwac-pds-http.pem",
            &["ERROR etsi.en_319_412_5.gen-4.3.4.url_scheme_not_https"],
            &[(Fail, "http://demo.invalid/pds is not https")],
        ),
        one(
            "bad-qwac-psd2-no-roles.pem",
            &["ERROR etsi.ts_119_495.gen-5.2.2-1.roles_of_psp_empty"],
            &[(Fail, "the PSD2 statement lists no roles")],
        ),
        one(
            "bad-qwac-psd2-role-name.pem",
            &["ERROR etsi.ts_119_495.gen-5.2.2-5.psp_role_mismatch"],
            &[(Fail, "is PSP_AI, but its name says \"PSP_PI\"")],
        ),
        one(
            "bad-qwac-psd2-nca-id.pem",
            &["ERROR etsi.ts_119_495.gen-5.2.3-2.invalid_structure"],
            &[(Fail, "PSD2 NCA id \"Finanssivalvonta\"")],
        ),
        Variant {
            file: "bad-qwac-ev-policy.pem",
            purpose: tls,
            // pkilint now lints it as an EV QWAC: the EV subject attributes are missing, and
            // (a consequence of EV) the CA/Browser Forum organizationIdentifier extension.
            added: &[
                "ERROR cabf.ev_guidelines.business_category_attribute_absent",
                "ERROR cabf.ev_guidelines.jurisdiction_country_attribute_absent",
                "ERROR cabf.ev_guidelines.serial_number_attribute_absent",
                "ERROR cabf.serverauth.organization_identifier_extension_absent",
                "WARNING cabf.ev_guidelines.common_name_attribute_present",
            ],
            dropped: &[
                "WARNING cabf.serverauth.ov.common_name_attribute_present",
                "WARNING cabf.serverauth.ov.unknown_attribute_present",
            ],
            tilicheck: &[
                (
                    Fail,
                    "policy QEVCP-w (0.4.0.194112.1.4) does not fit the subject: it asks for an EV subject, and this one lacks businessCategory, jurisdictionCountryName, serialNumber",
                ),
                (Fail, "policy EVCP (2.23.140.1.1) does not fit the subject"),
            ],
            why: None,
        },
        one(
            "bad-qwac-no-policy.pem",
            &[
                "WARNING etsi.en_319_412_2.qcs-5.2-1.recommended_certificate_type_policy_identifier_missing",
            ],
            &[(
                Warn,
                "none of the ETSI policies QEVCP-w, QNCP-w, QNCP-w-gen, QCP-w-psd2",
            )],
        ),
    ];
    let agree = compare("etsi", "qwac.pem", RuleId::CertQwac, &variants);
    println!(
        "CERT-QWAC and pkilint agree on {agree} of {} QWAC fixtures",
        variants.len()
    );
    assert_eq!(agree, variants.len());
}

#[test]
fn cert_eku_tls_agrees_with_pkilint() {
    // The DVV-style supplier certificate linted as a CA/Browser Forum OV certificate: its own
    // findings (no AIA, no CA/B policy, no locality, ...) are what a DVV certificate is, so
    // only what each variant adds is compared.
    let variants = [
        Variant {
            file: "bad-eku-ocsp-signing.pem",
            purpose: Purpose::Tls,
            added: &["ERROR cabf.serverauth.subscriber.ocspsigning_eku_present"],
            dropped: &[],
            tilicheck: &[(Status::Fail, "includes OCSPSigning")],
            why: None,
        },
        Variant {
            file: "bad-eku-critical.pem",
            purpose: Purpose::Tls,
            added: &["ERROR cabf.serverauth.subscriber.critical_extended_key_usage_extension"],
            dropped: &[],
            tilicheck: &[(Status::Warn, "extendedKeyUsage is marked critical")],
            why: Some(
                "RFC 5280 §4.2.1.12 allows a critical EKU and validators accept it; the CA/Browser Forum rule is for publicly trusted TLS certificates, which a DVV certificate is not, so tilicheck warns",
            ),
        },
    ];
    let agree = compare(
        "OVCP-FINAL-CERTIFICATE",
        "supplier.pem",
        RuleId::CertEkuTls,
        &variants,
    );
    assert_eq!(agree, 1, "one documented difference");
}
