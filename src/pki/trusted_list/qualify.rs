//! Is a certificate a qualified website authentication certificate, as the verified trusted
//! lists say? The procedure of ETSI TS 119 615 (as EU DSS implements it), for website
//! authentication:
//!
//! 1. the issuing CA's service is found by its certificate: the service's certificate has the
//!    certificate's issuer as subject and its key verifies the certificate's signature (or the
//!    service names the CA by subject and key identifier only);
//! 2. the service's state at the certificate's **notBefore** decides (its history walked): it
//!    must be CA/QC and granted, and, where the state names what it is for, for website
//!    authentication;
//! 3. the Sie Qualifications whose criteria the certificate meets are applied: NotQualified
//!    overrides; QCStatement makes it qualified without its own QcCompliance; QCForWSA,
//!    QCForESig and QCForESeal set its type;
//! 4. otherwise the certificate's own QcCompliance and QcType decide.
//!
//! The answer is qualified, not qualified or indeterminate, with the reason and the list and
//! service it rests on. Only [`VerifiedTrustedList`]s are consulted.

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use super::model::{
    Assert, CriteriaList, Criterion, DigitalId, EXT_PREFIX, FOR_ESEALS, FOR_ESIGNATURES, FOR_WEB,
    GRANTED, Provider, Service, ServiceState, short,
};
use super::verify::{Freshness, VerifiedTrustedList};
use crate::pki::facts::CertificateFacts;
use crate::pki::qc::{QC_TYPE_ESEAL, QC_TYPE_ESIGN, QC_TYPE_WEB};
use crate::time_arg::format_time;

/// The three answers of TS 119 615.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Qualified,
    NotQualified,
    Indeterminate,
}

/// The list and service a verdict rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reliance {
    /// "FI list 54 (TSL_FI.xml)".
    pub list: String,
    /// Who signed the list and why that counts.
    pub signed_by: String,
    pub provider: String,
    pub service: String,
}

/// A verdict, why, and on what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qualification {
    pub verdict: Verdict,
    pub reason: String,
    pub relied_on: Option<Reliance>,
}

impl Qualification {
    /// One sentence: the verdict, the reason and the list and service.
    pub fn describe(&self) -> String {
        let verdict = match self.verdict {
            Verdict::Qualified => "qualified for website authentication",
            Verdict::NotQualified => "not qualified for website authentication",
            Verdict::Indeterminate => "qualification indeterminate",
        };
        match &self.relied_on {
            Some(r) => format!(
                "{verdict} per the {}, {}: service \"{}\" of \"{}\": {}",
                r.list, r.signed_by, r.service, r.provider, self.reason
            ),
            None => format!("{verdict}: {}", self.reason),
        }
    }
}

/// What a trusted list cannot be used for, and why (signature, signer, dates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unused {
    pub source: String,
    pub territory: String,
    pub why: String,
}

/// The certificate as the criteria and the matching need it.
struct Leaf<'a> {
    facts: &'a CertificateFacts,
    cert: X509Certificate<'a>,
    key_usage: Vec<&'static str>,
    eku: Vec<String>,
    aki: Option<Vec<u8>>,
}

impl<'a> Leaf<'a> {
    fn new(der: &'a [u8], facts: &'a CertificateFacts) -> Option<Leaf<'a>> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut eku = Vec::new();
        let mut aki = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::ExtendedKeyUsage(e) => {
                    let known = [
                        (e.server_auth, "1.3.6.1.5.5.7.3.1"),
                        (e.client_auth, "1.3.6.1.5.5.7.3.2"),
                        (e.code_signing, "1.3.6.1.5.5.7.3.3"),
                        (e.email_protection, "1.3.6.1.5.5.7.3.4"),
                        (e.time_stamping, "1.3.6.1.5.5.7.3.8"),
                        (e.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
                        (e.any, "2.5.29.37.0"),
                    ];
                    eku.extend(
                        known
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, o)| o.to_string()),
                    );
                    eku.extend(e.other.iter().map(|o| o.to_id_string()));
                }
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                _ => {}
            }
        }
        Some(Leaf {
            key_usage: facts
                .key_usage
                .as_ref()
                .map(|k| k.names.clone())
                .unwrap_or_default(),
            facts,
            cert,
            eku,
            aki,
        })
    }

    /// Whether the service identity `id` (with the other identities of the same state) names
    /// this certificate's issuer.
    fn issued_by(&self, ids: &[DigitalId]) -> bool {
        let by_cert = ids.iter().any(|id| match id {
            DigitalId::Certificate(der) => X509Certificate::from_der(der).is_ok_and(|(_, ca)| {
                ca.subject().as_raw() == self.cert.issuer().as_raw()
                    && self.cert.verify_signature(Some(ca.public_key())).is_ok()
            }),
            _ => false,
        });
        if by_cert {
            return true;
        }
        // A state naming its CA by subject and key identifier only (no certificate).
        let has_cert = ids.iter().any(|i| matches!(i, DigitalId::Certificate(_)));
        let ski = ids.iter().find_map(|i| match i {
            DigitalId::Ski(s) => Some(s),
            _ => None,
        });
        !has_cert
            && ski.is_some_and(|s| self.aki.as_ref() == Some(s))
            && ids.iter().any(|i| match i {
                DigitalId::SubjectName(n) => self
                    .facts
                    .issuer_common_names
                    .iter()
                    .any(|cn| n.contains(&format!("CN={cn}"))),
                _ => false,
            })
    }

    fn meets(&self, list: &CriteriaList) -> bool {
        let results = list.criteria.iter().map(|c| self.meets_one(c));
        match list.assert {
            Assert::All => results.into_iter().all(|r| r),
            Assert::AtLeastOne => results.into_iter().any(|r| r),
            Assert::None => !results.into_iter().any(|r| r),
        }
    }

    fn meets_one(&self, c: &Criterion) -> bool {
        match c {
            Criterion::KeyUsage(bits) => bits
                .iter()
                .all(|(name, want)| self.key_usage.contains(&name.as_str()) == *want),
            Criterion::PolicySet(oids) => oids.iter().all(|o| self.facts.policies.contains(o)),
            Criterion::ExtendedKeyUsage(oids) => oids.iter().all(|o| self.eku.contains(o)),
            Criterion::SubjectAttributes(oids) => oids
                .iter()
                .all(|o| self.facts.subject_attribute_types.contains(o)),
            Criterion::List(inner) => self.meets(inner),
            // A criterion this reader cannot evaluate is not taken as met.
            Criterion::Unknown(_) => false,
        }
    }

    fn qc_compliance(&self) -> bool {
        matches!(&self.facts.qc_statements, Some(Ok(qc)) if qc.compliance)
    }

    fn qc_types(&self) -> Vec<String> {
        match &self.facts.qc_statements {
            Some(Ok(qc)) => qc.types.clone(),
            _ => Vec::new(),
        }
    }
}

fn qualifier(name: &str) -> String {
    format!("{EXT_PREFIX}{name}")
}

/// A verdict about one matching service.
fn judge_service(
    leaf: &Leaf<'_>,
    list: &VerifiedTrustedList,
    provider: &Provider,
    service: &Service,
    at: OffsetDateTime,
) -> Qualification {
    let relied_on = Some(Reliance {
        list: list.label(),
        signed_by: list.signed_by(),
        provider: provider.name.clone(),
        service: service.name().to_owned(),
    });
    let answer = |verdict, reason: String| Qualification {
        verdict,
        reason,
        relied_on: relied_on.clone(),
    };
    match list.freshness() {
        Freshness::Fresh => {}
        Freshness::Stale => {
            return answer(
                Verdict::Indeterminate,
                format!(
                    "the list is past its NextUpdate {}, so it may no longer say what its scheme operator says",
                    list.facts()
                        .next_update
                        .as_ref()
                        .map_or("", |t| t.raw.as_str())
                ),
            );
        }
        Freshness::Closed => {
            return answer(
                Verdict::Indeterminate,
                "the list is closed (no NextUpdate)".into(),
            );
        }
        Freshness::NotYetIssued | Freshness::Unreadable => {
            return answer(
                Verdict::Indeterminate,
                format!(
                    "the list was issued {}, after the check time",
                    list.facts().issued.raw
                ),
            );
        }
    }
    let issued = leaf.facts.not_before;
    let shown = format_time(issued);
    let Some(state) = service.state_at(issued) else {
        let first = service
            .states()
            .filter_map(|s| s.since.parsed.map(|_| s.since.raw.as_str()))
            .min()
            .unwrap_or("(no date)");
        return answer(
            Verdict::NotQualified,
            format!(
                "the service has no status at the certificate's notBefore {shown}: its first status starts {first}"
            ),
        );
    };
    let since = &state.since.raw;
    let later = later_note(service, state, at);
    if !state.is_ca_qc() {
        return answer(
            Verdict::NotQualified,
            format!(
                "at notBefore {shown} the service was of type {}, not CA/QC{later}",
                state.type_id
            ),
        );
    }
    if state.status != GRANTED {
        return answer(
            Verdict::NotQualified,
            format!(
                "at notBefore {shown} the service was {} (since {since}), not granted{later}",
                state.status_name()
            ),
        );
    }
    if !state.unknown_critical.is_empty() {
        return answer(
            Verdict::Indeterminate,
            format!(
                "the service's state at notBefore carries critical extensions this reader does not understand: {}",
                state.unknown_critical.join(", ")
            ),
        );
    }
    let purposes: Vec<&str> = state
        .additional
        .iter()
        .map(String::as_str)
        .filter(|u| [FOR_WEB, FOR_ESIGNATURES, FOR_ESEALS].contains(u))
        .collect();
    if !purposes.is_empty() && !purposes.contains(&FOR_WEB) {
        return answer(
            Verdict::NotQualified,
            format!(
                "granted at notBefore {shown} (since {since}) for {} only, not ForWebSiteAuthentication{later}",
                purposes
                    .iter()
                    .map(|p| short(p, "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let applied: Vec<&str> = state
        .qualifications
        .iter()
        .filter(|q| leaf.meets(&q.criteria))
        .flat_map(|q| q.qualifiers.iter().map(String::as_str))
        .collect();
    let has = |name: &str| applied.contains(&qualifier(name).as_str());
    let applied_names = || {
        let mut n: Vec<&str> = applied.iter().map(|q| short(q, EXT_PREFIX)).collect();
        n.sort_unstable();
        n.dedup();
        n.join(", ")
    };
    if has("NotQualified") {
        return answer(
            Verdict::NotQualified,
            format!(
                "granted at notBefore {shown}, but the list's Sie qualifiers for this certificate say NotQualified ({})",
                applied_names()
            ),
        );
    }
    let qualified_by = if has("QCStatement") {
        "the list's QCStatement qualifier"
    } else if leaf.qc_compliance() {
        "the certificate's QcCompliance statement"
    } else {
        return answer(
            Verdict::NotQualified,
            format!(
                "the service was granted at notBefore {shown}, but the certificate has no QcCompliance statement and the list adds none (no QCStatement qualifier applies)"
            ),
        );
    };
    let types = leaf.qc_types();
    let web = QC_TYPE_WEB.to_string();
    let type_from = if has("QCForWSA") {
        Ok("the list's QCForWSA qualifier")
    } else if has("QCForESig") || has("QCForESeal") {
        Err(format!(
            "the list's qualifiers type it as {}",
            if has("QCForESig") {
                "an e-signature certificate (QCForESig)"
            } else {
                "an e-seal certificate (QCForESeal)"
            }
        ))
    } else if types.contains(&web) {
        Ok("the certificate's QcType web")
    } else if types.is_empty() {
        if purposes == [FOR_WEB] {
            Ok("the service's only purpose, ForWebSiteAuthentication")
        } else {
            return answer(
                Verdict::Indeterminate,
                "the certificate has no QcType and neither the list's qualifiers nor the service's purposes say its type".into(),
            );
        }
    } else {
        let names: Vec<&str> = types
            .iter()
            .map(|t| {
                if *t == QC_TYPE_ESIGN.to_string() {
                    "esign"
                } else if *t == QC_TYPE_ESEAL.to_string() {
                    "eseal"
                } else {
                    t.as_str()
                }
            })
            .collect();
        Err(format!("its QcType is {}, not web", names.join(", ")))
    };
    match type_from {
        Ok(why_web) => {
            let extra = if applied.is_empty() {
                String::new()
            } else {
                format!("; Sie qualifiers applied: {}", applied_names())
            };
            answer(
                Verdict::Qualified,
                format!(
                    "granted at the certificate's notBefore {shown} (status since {since}){}; qualified by {qualified_by}, for websites by {why_web}{extra}{later}",
                    if purposes.contains(&FOR_WEB) {
                        ", ForWebSiteAuthentication"
                    } else {
                        ", no purpose named (all)"
                    }
                ),
            )
        }
        Err(why_not) => answer(
            Verdict::NotQualified,
            format!(
                "granted at notBefore {shown} and qualified by {qualified_by}, but not for websites: {why_not}{later}"
            ),
        ),
    }
}

/// What became of the service after `state`, by the check time `at`.
fn later_note(service: &Service, state: &ServiceState, at: OffsetDateTime) -> String {
    match service.state_at(at) {
        Some(now) if now != state => format!(
            "; at the check time it is {} (since {}): the status at issuance decides (TS 119 615)",
            now.status_name(),
            now.since.raw
        ),
        _ => String::new(),
    }
}

/// Qualify the certificate `der` (with its `facts`) against the verified `lists` at `at`.
/// `unused` are the lists that were given but could not be relied on.
pub fn qualify(
    der: &[u8],
    facts: &CertificateFacts,
    lists: &[VerifiedTrustedList],
    unused: &[Unused],
    at: OffsetDateTime,
) -> Qualification {
    let none = |verdict, reason| Qualification {
        verdict,
        reason,
        relied_on: None,
    };
    let Some(leaf) = Leaf::new(der, facts) else {
        return none(
            Verdict::Indeterminate,
            "the certificate could not be parsed for the trusted-list lookup".into(),
        );
    };
    let mut verdicts: Vec<Qualification> = Vec::new();
    for list in lists {
        for (provider, service) in list.facts().services() {
            let names_issuer = service.states().any(|s| leaf.issued_by(&s.identities));
            if names_issuer {
                verdicts.push(judge_service(&leaf, list, provider, service, at));
            }
        }
    }
    // Several services for one CA: a NotQualified qualifier or a qualified verdict decides
    // before an indeterminate one.
    let pick = |v: Verdict| verdicts.iter().find(|q| q.verdict == v).cloned();
    if let Some(q) = verdicts
        .iter()
        .find(|q| q.verdict == Verdict::NotQualified && q.reason.contains("NotQualified"))
    {
        return q.clone();
    }
    if let Some(q) = pick(Verdict::Qualified)
        .or_else(|| pick(Verdict::Indeterminate))
        .or_else(|| pick(Verdict::NotQualified))
    {
        return q;
    }
    let country = issuer_country(&leaf);
    let issuer = facts
        .issuer_common_names
        .first()
        .cloned()
        .unwrap_or_else(|| facts.issuer.clone());
    if let Some(u) = unused
        .iter()
        .find(|u| Some(&u.territory) == country.as_ref())
    {
        return none(
            Verdict::Indeterminate,
            format!(
                "the {} list {} was given but cannot be relied on: {}",
                u.territory, u.source, u.why
            ),
        );
    }
    match lists
        .iter()
        .find(|l| Some(&l.facts().territory) == country.as_ref())
    {
        Some(list) => none(
            Verdict::NotQualified,
            format!(
                "the issuer \"{issuer}\" is not a trust service of the verified {}",
                list.label()
            ),
        ),
        None if lists.is_empty() && !unused.is_empty() => none(
            Verdict::Indeterminate,
            format!(
                "no trusted list could be relied on ({})",
                unused
                    .iter()
                    .map(|u| format!("{}: {}", u.source, u.why))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        None => none(
            Verdict::Indeterminate,
            format!(
                "no verified trusted list of the issuer's territory ({}) was given; the issuer \"{issuer}\" is in none of {}",
                country.as_deref().unwrap_or("unknown"),
                if lists.is_empty() {
                    "them (none was given)".to_owned()
                } else {
                    lists
                        .iter()
                        .map(|l| l.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ),
    }
}

/// The issuer's countryName, which names the list that should hold its CA.
fn issuer_country(leaf: &Leaf<'_>) -> Option<String> {
    territory_of(leaf.cert.issuer())
}

/// The territory of the list that should hold the issuer of the certificate `der`.
pub fn issuer_territory(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    territory_of(cert.issuer())
}

/// A name's countryName as the trusted lists write territories (Greece is EL there).
fn territory_of(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_country()
        .next()
        .and_then(|c| c.as_str().ok())
        .map(|c| {
            if c == "GR" {
                "EL".to_owned()
            } else {
                c.to_owned()
            }
        })
}
