//! CERT-QWAC: the QCStatements and certificate-type policies of a qualified certificate, per
//! ETSI EN 319 412-1/-4/-5 and TS 119 495. One finding per defect; a pass names what was found.
//!
//! ETSI "shall" fails; a missing recommended QWAC policy warns. A certificate without
//! QCStatements is not a QWAC: a warning for TLS (Customs' note asks for one), unless the
//! validated path ends at a bundled DVV root, where §3.1 a) accepts it as it is.

use crate::checks::identity::Purpose;
use crate::findings::Finding;
use crate::pki::facts::CertificateFacts;
use crate::pki::qc::{PSD2_ROLES, Psd2Facts, QC_TYPE_ESEAL, QC_TYPE_ESIGN, QC_TYPE_WEB, QcFacts};
use crate::pki::trusted_list::{Qualification, Verdict};
use crate::profile::{PolicySubject, PolicyUse, RegisterProfile, RuleId, TypePolicy};

const RULE: RuleId = RuleId::CertQwac;

const OID_ORGANIZATION_NAME: &str = "2.5.4.10";
const OID_GIVEN_NAME: &str = "2.5.4.42";
const OID_SURNAME: &str = "2.5.4.4";
const OID_PSEUDONYM: &str = "2.5.4.65";
/// The attributes an EV subject has (EV Guidelines §7.1.4.2), with their names.
const EV_ATTRIBUTES: &[(&str, &str)] = &[
    ("2.5.4.15", "businessCategory"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionCountryName"),
    ("2.5.4.5", "serialNumber"),
];

/// What CERT-QWAC judges.
pub struct QwacInput<'a> {
    pub facts: &'a CertificateFacts,
    pub purpose: Purpose,
    /// The bundled DVV root a validated path ends at, when CERT-ISSUER proved one.
    pub dvv_root: Option<&'a str>,
    /// What the verified EU trusted lists say, when lists were given.
    pub qualification: Option<&'a Qualification>,
    pub profile: &'a RegisterProfile,
}

/// What kind of qualified certificate it is judged as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Judged {
    Website,
    Seal,
    Signature,
}

impl Judged {
    fn noun(self) -> &'static str {
        match self {
            Judged::Website => "QWAC",
            Judged::Seal => "qualified e-seal certificate",
            Judged::Signature => "qualified e-signature certificate",
        }
    }
}

/// Every CERT-QWAC finding: the certificate's own markers, then (for a TLS certificate, when
/// lists were given) what the verified trusted lists say.
pub fn check_qwac(input: &QwacInput<'_>) -> Vec<Finding> {
    let mut out = markers(input);
    if let Some(q) = input.qualification {
        out.push(if input.purpose.tls() {
            trusted_list_finding(q, input.dvv_root)
        } else {
            Finding::skip(
                RULE,
                "the trusted lists are consulted for website authentication (a TLS certificate); this one is for signing",
            )
        });
    }
    out
}

/// The trusted lists' verdict (ETSI TS 119 615). Not qualified fails the QWAC route; where a
/// validated path already reached a bundled DVV root, §3.1 a) accepts the certificate anyway and
/// the verdict is told, not judged.
fn trusted_list_finding(q: &Qualification, dvv_root: Option<&str>) -> Finding {
    let text = format!("EU trusted lists: {}", q.describe());
    match (q.verdict, dvv_root) {
        (Verdict::Qualified, _) => Finding::pass(RULE, text),
        (_, Some(root)) => Finding::skip(
            RULE,
            format!("{text}; not needed: the validated path ends at the bundled DVV root \"{root}\" (§3.1 a)"),
        ),
        (Verdict::NotQualified, None) => Finding::fail(RULE, text).with_remedy(
            "Customs accepts a certificate that is not DVV's only if it is a QWAC: use a certificate from a service the trusted list grants for website authentication at its issuance (with QcCompliance and QcType web), or a DVV service certificate.",
        ),
        (Verdict::Indeterminate, None) => Finding::warn(RULE, text).with_remedy(
            "Give the current, verifiable lists: the EU LOTL and the issuer's national list (--trusted-list DIR with both), so the issuer's service can be found and its status at issuance read.",
        ),
    }
}

fn markers(input: &QwacInput<'_>) -> Vec<Finding> {
    let tls = input.purpose.tls();
    match &input.facts.qc_statements {
        None => vec![match input.dvv_root {
            Some(root) if tls => Finding::pass(
                RULE,
                format!(
                    "no QCStatements, none needed: the validated path ends at the bundled DVV root \"{root}\", which Customs accepts under §3.1 a)"
                ),
            ),
            _ if tls => Finding::warn(
                RULE,
                "no QCStatements: not a QWAC. Customs' note asks for a QWAC-type TLS certificate; a DVV-issued certificate is accepted under §3.1 a)",
            )
            .with_remedy("If the certificate is not DVV-issued, order a qualified website authentication certificate; if it is, give its chain (or let tilicheck find the bundled DVV CAs) and this warning goes."),
            _ => Finding::skip(
                RULE,
                "no QCStatements: not presented as a qualified certificate, so the DVV route (§3.1 a) applies",
            ),
        }],
        Some(Err(e)) => vec![Finding::fail(
            RULE,
            format!("QCStatements present but unreadable: {e}"),
        )],
        Some(Ok(qc)) => qualified(input, qc),
    }
}

fn qualified(input: &QwacInput<'_>, qc: &QcFacts) -> Vec<Finding> {
    let f = input.facts;
    let web = qc.has_type(&QC_TYPE_WEB);
    let judged = if web || input.purpose.tls() {
        Judged::Website
    } else if qc.has_type(&QC_TYPE_ESEAL) {
        Judged::Seal
    } else if qc.has_type(&QC_TYPE_ESIGN) {
        Judged::Signature
    } else {
        Judged::Website
    };
    let noun = judged.noun();
    let mut out = Vec::new();
    let mut fail = |text: String, source: &str| {
        out.push(Finding::fail(RULE, format!("{text} ({source})")));
    };

    if !qc.compliance {
        fail(
            "no QcCompliance statement: not an EU qualified certificate".into(),
            "EN 319 412-5 §4.2.1",
        );
    }
    let types: Vec<String> = qc.types.iter().map(|t| qc_type_name(t)).collect();
    match types.len() {
        0 => fail("no QcType".into(), "EN 319 412-5 §4.2.3"),
        1 => {}
        n => fail(
            format!(
                "{n} QcTypes ({}): a qualified certificate has exactly one",
                types.join(", ")
            ),
            "EN 319 412-5 §4.2.3",
        ),
    }
    let wanted = match judged {
        Judged::Website => &QC_TYPE_WEB,
        Judged::Seal => &QC_TYPE_ESEAL,
        Judged::Signature => &QC_TYPE_ESIGN,
    };
    if !qc.has_type(wanted) && !types.is_empty() {
        fail(
            format!(
                "QcType {}, not web: qualified, but not a website certificate; the register's TLS peer needs a QWAC",
                types.join(", ")
            ),
            "EN 319 412-5 §4.2.3; Customs §3.1 b)",
        );
    }
    if qc.sscd && judged == Judged::Website {
        fail(
            "QcSSCD on a website certificate: a QWAC's key is never on a qualified signature creation device".into(),
            "EN 319 412-5 §4.2.2, EN 319 412-4 §4.1",
        );
    }
    if qc.pds.is_empty() {
        fail(
            "no QcPDS: a qualified certificate names its PKI disclosure statements".into(),
            "EN 319 412-5 §4.3.4",
        );
    }
    for (url, language) in &qc.pds {
        if !url.to_ascii_lowercase().starts_with("https://") {
            fail(
                format!("PKI disclosure statement URL {url} is not https"),
                "EN 319 412-5 §4.3.4",
            );
        }
        if language.len() != 2 || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
            fail(
                format!(
                    "PKI disclosure statement {url} has language \"{language}\", not an ISO 639-1 code"
                ),
                "EN 319 412-5 §4.3.4",
            );
        }
    }
    if !qc.pds.is_empty() && !qc.pds.iter().any(|(_, l)| l.eq_ignore_ascii_case("en")) {
        fail(
            "no PKI disclosure statement in English".into(),
            "EN 319 412-5 §4.3.4",
        );
    }
    if let Some(psd2) = &qc.psd2 {
        for text in psd2_defects(psd2) {
            fail(text, "TS 119 495 §5.1, §5.2");
        }
    }

    let subject = subject_kind(f);
    let policies: Vec<&TypePolicy> = input
        .profile
        .type_policies
        .value
        .iter()
        .filter(|t| f.policies.iter().any(|p| p == t.oid))
        .collect();
    for t in &policies {
        let fits_use = match judged {
            Judged::Website => {
                matches!(t.used_for, PolicyUse::QualifiedWebsite | PolicyUse::Website)
            }
            Judged::Seal => t.used_for == PolicyUse::QualifiedSeal,
            Judged::Signature => t.used_for == PolicyUse::QualifiedSignature,
        };
        if !fits_use {
            fail(
                format!("policy {} ({}) is not for a {noun}", t.name, t.oid),
                "EN 319 411-2 §5.3",
            );
            continue;
        }
        if let Some(why) = subject.misfit(t.subject) {
            fail(
                format!(
                    "policy {} ({}) does not fit the subject: {why}",
                    t.name, t.oid
                ),
                "EN 319 412-4 §4.2; EV Guidelines §7.1.4.2",
            );
        }
    }
    let qualified_use = match judged {
        Judged::Website => PolicyUse::QualifiedWebsite,
        Judged::Seal => PolicyUse::QualifiedSeal,
        Judged::Signature => PolicyUse::QualifiedSignature,
    };
    let named = |u: PolicyUse| {
        input
            .profile
            .type_policies
            .value
            .iter()
            .filter(|t| t.used_for == u)
            .map(|t| t.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing_policy = !policies.iter().any(|t| t.used_for == qualified_use);

    if out.is_empty() && missing_policy {
        return vec![
            Finding::warn(
                RULE,
                format!(
                    "{noun} markers present, but none of the ETSI policies {} that say which kind (EN 319 412-5 §5.2, recommended)",
                    named(qualified_use)
                ),
            )
            .with_remedy("Ask the trust service provider why its certificate carries no ETSI certificate-type policy; one is recommended for a qualified certificate."),
        ];
    }
    if !out.is_empty() {
        if missing_policy {
            out.push(Finding::warn(
                RULE,
                format!(
                    "none of the ETSI policies {} (EN 319 412-5 §5.2, recommended)",
                    named(qualified_use)
                ),
            ));
        }
        return out;
    }
    let mut present = vec!["QcCompliance".to_owned()];
    present.extend(types.iter().map(|t| format!("QcType {t}")));
    if qc.sscd {
        present.push("QcSSCD".to_owned());
    }
    present.push(format!(
        "QcPDS ({})",
        qc.pds
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(p) = &qc.psd2 {
        let roles: Vec<&str> = p.roles.iter().map(|(_, n)| n.as_str()).collect();
        present.push(format!("PSD2 {} ({})", p.nca_id, roles.join(", ")));
    }
    present.extend(policies.iter().map(|t| format!("policy {}", t.name)));
    let as_what = if judged == Judged::Website {
        String::new()
    } else {
        " (judged for signing)".to_owned()
    };
    vec![Finding::pass(
        RULE,
        format!(
            "{noun}{as_what}: {}; subject {}",
            present.join(", "),
            subject.describe()
        ),
    )]
}

fn psd2_defects(p: &Psd2Facts) -> Vec<String> {
    let mut out = Vec::new();
    if p.roles.is_empty() {
        out.push("the PSD2 statement lists no roles".to_owned());
    }
    for (oid, name) in &p.roles {
        match PSD2_ROLES.iter().find(|(o, _)| o == oid) {
            None => out.push(format!(
                "PSD2 role {oid} (\"{name}\") is not a TS 119 495 role"
            )),
            Some((_, expected)) if expected != name => out.push(format!(
                "PSD2 role {oid} is {expected}, but its name says \"{name}\""
            )),
            Some(_) => {}
        }
    }
    if p.nca_name.trim().is_empty() {
        out.push("the PSD2 statement's NCA name is empty".to_owned());
    }
    if !nca_id_ok(&p.nca_id) {
        out.push(format!(
            "PSD2 NCA id \"{}\" is not a country code, a hyphen and the NCA's identifier (e.g. FI-FINFSA)",
            p.nca_id
        ));
    }
    out
}

/// TS 119 495 §5.2.3: two-letter country code, "-", two to eight letters A–Z.
fn nca_id_ok(id: &str) -> bool {
    id.split_once('-').is_some_and(|(cc, nca)| {
        cc.len() == 2
            && cc.bytes().all(|b| b.is_ascii_uppercase())
            && (2..=8).contains(&nca.len())
            && nca.bytes().all(|b| b.is_ascii_uppercase())
    })
}

/// Who the subject name says the subject is.
struct SubjectKind {
    legal: bool,
    natural: bool,
    /// EV attributes it lacks.
    missing_ev: Vec<&'static str>,
}

fn subject_kind(f: &CertificateFacts) -> SubjectKind {
    let has = |oid: &str| f.subject_attribute_types.iter().any(|a| a == oid);
    SubjectKind {
        legal: has(OID_ORGANIZATION_NAME),
        natural: !has(OID_ORGANIZATION_NAME)
            && (has(OID_GIVEN_NAME) || has(OID_SURNAME) || has(OID_PSEUDONYM)),
        missing_ev: EV_ATTRIBUTES
            .iter()
            .filter(|(oid, _)| !has(oid))
            .map(|(_, n)| *n)
            .collect(),
    }
}

impl SubjectKind {
    fn misfit(&self, wanted: PolicySubject) -> Option<String> {
        match wanted {
            PolicySubject::ExtendedValidation if !self.legal || !self.missing_ev.is_empty() => {
                Some(format!(
                    "it asks for an EV subject, and this one lacks {}",
                    if self.legal {
                        self.missing_ev.join(", ")
                    } else {
                        "organizationName".to_owned()
                    }
                ))
            }
            PolicySubject::LegalPerson if !self.legal => {
                Some("it asks for an organisation, and the subject has no organizationName".into())
            }
            PolicySubject::NaturalPerson if !self.natural => Some(
                "it asks for a natural person, and the subject has organizationName or no personal name".into(),
            ),
            _ => None,
        }
    }

    fn describe(&self) -> &'static str {
        if self.legal && self.missing_ev.is_empty() {
            "an EV organisation"
        } else if self.legal {
            "an organisation"
        } else if self.natural {
            "a natural person"
        } else {
            "neither an organisation nor a person"
        }
    }
}

pub fn qc_type_name(oid: &str) -> String {
    match oid {
        "0.4.0.1862.1.6.1" => "esign".to_owned(),
        "0.4.0.1862.1.6.2" => "eseal".to_owned(),
        "0.4.0.1862.1.6.3" => "web".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nca_ids() {
        assert!(nca_id_ok("FI-FINFSA"));
        assert!(nca_id_ok("DE-BAFIN"));
        assert!(!nca_id_ok("Finanssivalvonta"));
        assert!(!nca_id_ok("fi-FINFSA"));
        assert!(!nca_id_ok("FI-"));
        assert!(!nca_id_ok("FI-ABCDEFGHI"));
    }

    #[test]
    fn psd2_role_names_must_match_their_oids() {
        let p = Psd2Facts {
            roles: vec![("0.4.0.19495.1.3".into(), "PSP_PI".into())],
            nca_name: "Finanssivalvonta".into(),
            nca_id: "FI-FINFSA".into(),
        };
        let d = psd2_defects(&p);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("is PSP_AI"), "{d:?}");
        let empty = Psd2Facts { roles: vec![], ..p };
        assert!(psd2_defects(&empty)[0].contains("no roles"));
    }
}
