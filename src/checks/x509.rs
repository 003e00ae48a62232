//! CERT-X509V3: the certificate is a well-formed X.509 v3 end-entity certificate under the
//! RFC 5280 profile. One finding per departure, so that each is its own line.
//!
//! What RFC 5280 says MUST (or MUST NOT) fails: strict validators refuse many of these, and
//! the register's TLS stack is not documented. What it says SHOULD is a warning.

use crate::findings::Finding;
use crate::pki::conformance::{Defect, Sign};
use crate::pki::facts::CertificateFacts;
use crate::profile::{RegisterProfile, RuleId};

const RULE: RuleId = RuleId::CertX509V3;

/// How strongly RFC 5280 (or the RFC it cites) words a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Must,
    Should,
}

/// Every CERT-X509V3 finding for an end-entity certificate: a pass when nothing is wrong.
pub fn check_x509v3(f: &CertificateFacts, profile: &RegisterProfile) -> Vec<Finding> {
    if f.version != 2 {
        return vec![Finding::fail(
            RULE,
            format!("version {} certificate", f.version + 1),
        )];
    }
    let mut out = Vec::new();
    if f.is_ca {
        out.push(
            Finding::fail(
                RULE,
                "this is a CA certificate (basicConstraints CA:TRUE), not an end-entity certificate",
            )
            .with_remedy(
                "Give the supplier's own certificate first; put CA certificates in --chain.",
            ),
        );
    }
    let c = &f.conformance;
    let max = profile.max_serial_octets;
    if c.serial_octets > max.value {
        out.push(finding(
            Level::Must,
            format!(
                "the serial number is {} octets long; at most {} are allowed",
                c.serial_octets, max.value
            ),
            "RFC 5280 §4.1.2.2",
        ));
    }
    match c.serial_sign {
        Some(Sign::Negative) => out.push(finding(
            Level::Must,
            format!(
                "the serial number {} is negative; it must be a positive integer",
                f.serial_hex
            ),
            "RFC 5280 §4.1.2.2",
        )),
        Some(Sign::Zero) => out.push(finding(
            Level::Must,
            "the serial number is zero; it must be a positive integer".to_owned(),
            "RFC 5280 §4.1.2.2",
        )),
        None => out.push(finding(
            Level::Must,
            "the serial number is empty".to_owned(),
            "RFC 5280 §4.1.2.2",
        )),
        Some(Sign::Positive) => {}
    }
    for d in &c.defects {
        let (level, text, section) = describe(d);
        out.push(finding(level, text, section));
    }
    if out.is_empty() {
        out.push(Finding::pass(
            RULE,
            "version 3 end-entity certificate, well-formed under RFC 5280 (DER, names, serial number, extensions)",
        ));
    }
    out
}

fn finding(level: Level, text: String, section: &str) -> Finding {
    let detail = format!("{text} ({section})");
    let remedy = "Ask the CA to reissue the certificate in conformance with RFC 5280; strict validators refuse it as it is.";
    match level {
        Level::Must => Finding::fail(RULE, detail).with_remedy(remedy),
        Level::Should => Finding::warn(RULE, detail).with_remedy(
            "Tolerated by validators, but against RFC 5280's recommendation: raise it with the CA at the next renewal.",
        ),
    }
}

/// The requirement a defect breaks: its level, a sentence naming the value, and the section.
fn describe(d: &Defect) -> (Level, String, &'static str) {
    use Level::*;
    match d {
        Defect::NotDer { reason } => (
            Must,
            format!("the certificate is not DER-encoded: {reason}"),
            "RFC 5280 §4.1",
        ),
        Defect::ExtensionNotDer { extension, reason } => (
            Must,
            format!("extension {extension} is not a DER encoding of its type: {reason}"),
            "RFC 5280 §4.1, §4.2",
        ),
        Defect::BadName { field, attribute } => (
            Must,
            format!(
                "the {} name's {} value is an undecodable {} ({} bytes): {}",
                field.as_str(),
                attribute.attribute,
                attribute.string_type,
                attribute.len,
                attribute.problem
            ),
            "RFC 5280 §4.1.2.4",
        ),
        Defect::EmptyIssuer => (
            Must,
            "the issuer name is empty".to_owned(),
            "RFC 5280 §4.1.2.4",
        ),
        Defect::SignatureAlgorithmMismatch { inner, outer } => (
            Must,
            format!(
                "the signature algorithm inside the signed part ({inner}) is not the one the certificate is signed with ({outer})"
            ),
            "RFC 5280 §4.1.1.2",
        ),
        Defect::TimeEncoding {
            field,
            year,
            generalized,
        } => (
            Must,
            format!(
                "{} ({year}) is encoded as {}; dates through 2049 are UTCTime, from 2050 GeneralizedTime",
                field.as_str(),
                if *generalized {
                    "GeneralizedTime"
                } else {
                    "UTCTime"
                }
            ),
            "RFC 5280 §4.1.2.5",
        ),
        Defect::UniqueIdentifiers => (
            Must,
            "the certificate carries issuerUniqueID/subjectUniqueID, which conforming CAs must not generate".to_owned(),
            "RFC 5280 §4.1.2.8",
        ),
        Defect::EmptyExtensions => (
            Must,
            "the extensions field is present but empty".to_owned(),
            "RFC 5280 §4.1",
        ),
        Defect::DuplicateExtension { extension, count } => (
            Must,
            format!("extension {extension} appears {count} times; each may appear once"),
            "RFC 5280 §4.2",
        ),
        Defect::UnknownCritical { extension } => (
            Must,
            format!(
                "unrecognised critical extension {extension}: relying parties must reject the certificate"
            ),
            "RFC 5280 §4.2",
        ),
        Defect::MustNotBeCritical { extension } => (
            Must,
            format!("extension {extension} is marked critical; it must be non-critical"),
            "RFC 5280 §4.2.1, §4.2.2",
        ),
        Defect::SanCriticalWithSubject => (
            Should,
            "subjectAltName is critical although the subject name is not empty; it should be non-critical".to_owned(),
            "RFC 5280 §4.2.1.6",
        ),
        Defect::EmptySubjectWithoutCriticalSan { san_present } => (
            Must,
            if *san_present {
                "the subject name is empty and subjectAltName is not critical; it must be".to_owned()
            } else {
                "the subject name is empty and there is no subjectAltName".to_owned()
            },
            "RFC 5280 §4.1.2.6, §4.2.1.6",
        ),
        Defect::IanCritical => (
            Should,
            "issuerAltName is critical; it should be non-critical".to_owned(),
            "RFC 5280 §4.2.1.7",
        ),
        Defect::AnyEkuCritical => (
            Should,
            "extKeyUsage lists anyExtendedKeyUsage and is critical; it should then be non-critical"
                .to_owned(),
            "RFC 5280 §4.2.1.12",
        ),
        Defect::BadGeneralName { extension, problem } => (
            Must,
            format!("malformed {extension}: {problem}"),
            "RFC 5280 §4.2.1.6",
        ),
        Defect::KeyCertSignWithoutCa => (
            Must,
            "keyUsage asserts keyCertSign on a certificate that is not a CA (basicConstraints cA is not set)".to_owned(),
            "RFC 5280 §4.2.1.3",
        ),
        Defect::KeyUsageEmpty => (
            Must,
            "keyUsage is present with no usage bit set".to_owned(),
            "RFC 5280 §4.2.1.3",
        ),
        Defect::KeyUsageNotCritical => (
            Should,
            "keyUsage is not marked critical".to_owned(),
            "RFC 5280 §4.2.1.3",
        ),
        Defect::KeyUsageWrongForKey { usage, key } => (
            Must,
            format!("keyUsage asserts {usage}, which an {key} key cannot serve"),
            if *key == "EC" {
                "RFC 5480 §3"
            } else {
                "RFC 3279 §2.3.1"
            },
        ),
        Defect::EncipherDecipherWithoutKeyAgreement => (
            Should,
            "keyUsage asserts encipherOnly or decipherOnly without keyAgreement; their meaning is then undefined".to_owned(),
            "RFC 5280 §4.2.1.3",
        ),
        Defect::PathLenWithoutCa => (
            Must,
            "basicConstraints has a pathLenConstraint but cA is not set".to_owned(),
            "RFC 5280 §4.2.1.9",
        ),
        Defect::AkiMissing => (
            Must,
            "no authorityKeyIdentifier: every certificate but a self-signed one must carry it"
                .to_owned(),
            "RFC 5280 §4.2.1.1",
        ),
        Defect::AkiWithoutKeyId => (
            Must,
            "authorityKeyIdentifier has no keyIdentifier".to_owned(),
            "RFC 5280 §4.2.1.1",
        ),
        Defect::SkiMissing { ca: true } => (
            Must,
            "no subjectKeyIdentifier on a CA certificate".to_owned(),
            "RFC 5280 §4.2.1.2",
        ),
        Defect::SkiMissing { ca: false } => (
            Should,
            "no subjectKeyIdentifier; end-entity certificates should carry one".to_owned(),
            "RFC 5280 §4.2.1.2",
        ),
    }
}
