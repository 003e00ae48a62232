//! CERT-ID, ID-CHECKDIGIT and CERT-SAME-ID: which business ID a certificate carries and
//! whether it is the one it should be.

use crate::findings::Finding;
use crate::identity::{self, BusinessId, IdError, WrittenId};
use crate::pki::facts::CertificateFacts;
use crate::profile::RuleId;

/// What a certificate is used for; it decides which rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Purpose {
    /// Mutual TLS to the register.
    Tls,
    /// Signing the two JWS tokens.
    Signing,
    /// One certificate for both.
    Both,
}

impl Purpose {
    pub fn tls(self) -> bool {
        matches!(self, Purpose::Tls | Purpose::Both)
    }
    pub fn signing(self) -> bool {
        matches!(self, Purpose::Signing | Purpose::Both)
    }
    pub fn role(self) -> &'static str {
        match self {
            Purpose::Tls => "TLS certificate",
            Purpose::Signing => "signing certificate",
            Purpose::Both => "TLS and signing certificate",
        }
    }
}

/// Whose IDs the certificate may carry.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExpectedIds {
    /// The data supplier (`--business-id`).
    pub supplier: Option<BusinessId>,
    /// A service centre the supplier has authorised in writing (`--service-centre`).
    pub service_centre: Option<BusinessId>,
}

/// One identifier found in the subject, and where.
#[derive(Clone, Debug)]
pub struct FoundId {
    /// `serialNumber` or `organizationIdentifier`.
    pub attribute: &'static str,
    pub text: String,
    pub parsed: Result<WrittenId, IdError>,
}

impl FoundId {
    /// The business ID it denotes, if its form is right (its check digit may still be wrong).
    fn digits_match(&self, id: &BusinessId) -> bool {
        match &self.parsed {
            Ok(w) => w.id == *id,
            Err(_) => false,
        }
    }
}

pub fn found_ids(facts: &CertificateFacts) -> Vec<FoundId> {
    found_ids_in(
        &facts.subject_serial_numbers,
        &facts.organization_identifiers,
    )
}

/// The IDs in a subject's `serialNumber` and `organizationIdentifier` values.
pub fn found_ids_in(
    serial_numbers: &[String],
    organization_identifiers: &[String],
) -> Vec<FoundId> {
    let serials = serial_numbers.iter().map(|t| ("serialNumber", t));
    let org_ids = organization_identifiers
        .iter()
        .map(|t| ("organizationIdentifier", t));
    serials
        .chain(org_ids)
        .map(|(attribute, text)| FoundId {
            attribute,
            text: text.clone(),
            parsed: identity::parse_written(text),
        })
        .collect()
}

/// CERT-ID: the subject names the supplier (or, for TLS only, its service centre).
pub fn check_cert_id(ids: &[FoundId], expected: ExpectedIds, signing: bool) -> Finding {
    let rule = RuleId::CertId;
    if ids.is_empty() {
        return Finding::fail(
            rule,
            "the subject has neither serialNumber (DVV) nor organizationIdentifier (QWAC)",
        );
    }
    let listed = ids
        .iter()
        .map(|f| format!("{} '{}'", f.attribute, f.text))
        .collect::<Vec<_>>()
        .join(", ");

    // Wrong form (not a digit problem) is a CERT-ID failure of its own.
    if let Some((bad, e)) = ids.iter().find_map(|f| match &f.parsed {
        Err(e) if !e.is_check_digit() => Some((f, e)),
        _ => None,
    }) {
        return Finding::fail(
            rule,
            format!(
                "{} '{}' is not a Finnish business ID or VAT number: it {e}",
                bad.attribute, bad.text
            ),
        );
    }

    let distinct: Vec<BusinessId> = {
        let mut v: Vec<BusinessId> = ids
            .iter()
            .filter_map(|f| f.parsed.as_ref().ok().map(|w| w.id))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if distinct.len() > 1 {
        return Finding::fail(
            rule,
            format!("the subject names more than one organisation: {listed}"),
        );
    }

    let Some(supplier) = expected.supplier else {
        return Finding::pass(
            rule,
            format!("{listed}; give --business-id to confirm it is the supplier's"),
        );
    };
    if ids.iter().any(|f| f.digits_match(&supplier)) {
        return Finding::pass(rule, format!("{listed}: the supplier's ID {supplier}"));
    }
    if let Some(centre) = expected.service_centre
        && ids.iter().any(|f| f.digits_match(&centre))
    {
        if signing {
            return Finding::fail(
                    rule,
                    format!(
                        "{listed} is the service centre's ID {centre}; a signing certificate must carry the supplier's own ID {supplier}"
                    ),
                )
                .with_remedy(
                    "Sign with a certificate that carries the supplier's own business ID; a service centre's certificate may only be used for the TLS connection.",
                );
        }
        return Finding::pass(
            rule,
            format!(
                "{listed}: the authorised service centre {centre} acting for {supplier} (Customs must have the written authorisation)"
            ),
        );
    }
    Finding::fail(
        rule,
        format!("{listed} is not the supplier's ID {supplier}"),
    )
}

/// ID-CHECKDIGIT: every business ID in the subject has a valid check digit.
pub fn check_check_digits(ids: &[FoundId]) -> Finding {
    let rule = RuleId::IdCheckDigit;
    let mut good = Vec::new();
    for f in ids {
        match &f.parsed {
            Ok(w) => good.push(format!("{} ({})", w.text, w.form.describe())),
            Err(e) if e.is_check_digit() => {
                return Finding::fail(rule, format!("{} '{}': {e}", f.attribute, f.text));
            }
            Err(_) => {}
        }
    }
    if good.is_empty() {
        Finding::skip(rule, "no business ID in the subject to check")
    } else {
        Finding::pass(rule, format!("{}: check digit is right", good.join(", ")))
    }
}

/// CERT-SAME-ID: one certificate may serve both uses only when its ID is the supplier's own.
pub fn check_same_id(ids: &[FoundId], expected: ExpectedIds) -> Finding {
    let rule = RuleId::CertSameId;
    let Some(id) = ids.iter().find_map(|f| f.parsed.as_ref().ok()) else {
        return Finding::fail(
            rule,
            "no valid business ID in the subject, so it cannot serve both uses",
        );
    };
    match (expected.supplier, expected.service_centre) {
        (Some(s), Some(c)) if id.id == c && id.id != s => Finding::fail(
            rule,
            format!(
                "the certificate carries the service centre's ID {c}; TLS may use it, but signing needs the supplier's {s}"
            ),
        ),
        (Some(s), _) if id.id != s => Finding::fail(
            rule,
            format!(
                "the certificate carries {}, not the supplier's ID {s}",
                id.text
            ),
        ),
        _ => Finding::pass(
            rule,
            format!("TLS and signing identity are the same: {}", id.text),
        ),
    }
}
