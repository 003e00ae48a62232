//! A certificate as the validator reads it: names in §7.1 form and the extensions §6.1
//! processes, each decoded once, with the ones that do not decode or repeat reported.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::Reason;
use super::name::Dn;
use super::signature::{self, Signed};

/// Extensions a critical flag is accepted on: the ones path validation (and, for CRL
/// distribution points and AIA, revocation checking) processes.
const RECOGNISED: &[&str] = &[
    "2.5.29.14",         // subjectKeyIdentifier
    "2.5.29.15",         // keyUsage
    "2.5.29.17",         // subjectAltName
    "2.5.29.19",         // basicConstraints
    "2.5.29.30",         // nameConstraints
    "2.5.29.31",         // cRLDistributionPoints
    "2.5.29.32",         // certificatePolicies
    "2.5.29.33",         // policyMappings
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.36",         // policyConstraints
    "2.5.29.37",         // extKeyUsage
    "2.5.29.54",         // inhibitAnyPolicy
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
];

pub struct View<'a> {
    pub signed: Signed<'a>,
    /// The SubjectPublicKeyInfo DER: the working public key for the next certificate.
    pub spki: &'a [u8],
    pub version: u32,
    pub subject: Dn,
    pub issuer: Dn,
    pub self_issued: bool,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// basicConstraints: (cA, pathLenConstraint).
    pub basic: Option<(bool, Option<u32>)>,
    pub key_cert_sign: Option<bool>,
    pub policies: Option<Vec<String>>,
    pub mappings: Option<BTreeMap<String, BTreeSet<String>>>,
    /// policyConstraints: (requireExplicitPolicy, inhibitPolicyMapping).
    pub policy_constraints: Option<(Option<u32>, Option<u32>)>,
    pub inhibit_any: Option<u32>,
    pub name_constraints: Option<&'a [u8]>,
    pub san: Option<&'a [u8]>,
    /// The first critical extension that is not processed.
    pub unknown_critical: Option<String>,
}

fn malformed(what: &'static str) -> Reason {
    Reason::MalformedExtension(what)
}

impl<'a> View<'a> {
    pub fn read(der: &'a [u8]) -> Result<View<'a>, Reason> {
        let (rest, x) = X509Certificate::from_der(der).map_err(|_| Reason::Unreadable)?;
        if !rest.is_empty() {
            return Err(Reason::Unreadable);
        }
        let signed = signature::split(der).ok_or(Reason::Unreadable)?;
        let subject = Dn::from_name(x.subject());
        let issuer = Dn::from_name(x.issuer());
        let mut view = View {
            signed,
            spki: x.tbs_certificate.subject_pki.raw,
            version: x.version().0,
            self_issued: subject == issuer,
            subject,
            issuer,
            not_before: x.validity().not_before.to_datetime(),
            not_after: x.validity().not_after.to_datetime(),
            basic: None,
            key_cert_sign: None,
            policies: None,
            mappings: None,
            policy_constraints: None,
            inhibit_any: None,
            name_constraints: None,
            san: None,
            unknown_critical: None,
        };
        let mut seen = BTreeSet::new();
        for ext in x.extensions() {
            let oid = ext.oid.to_id_string();
            if !seen.insert(oid.clone()) {
                return Err(Reason::DuplicateExtension(oid));
            }
            if ext.critical
                && !RECOGNISED.contains(&oid.as_str())
                && view.unknown_critical.is_none()
            {
                view.unknown_critical = Some(oid.clone());
            }
            match (oid.as_str(), ext.parsed_extension()) {
                (_, ParsedExtension::BasicConstraints(bc)) => {
                    view.basic = Some((bc.ca, bc.path_len_constraint));
                }
                (_, ParsedExtension::KeyUsage(ku)) => view.key_cert_sign = Some(ku.key_cert_sign()),
                (_, ParsedExtension::CertificatePolicies(ps)) => {
                    let list: Vec<String> = ps.iter().map(|p| p.policy_id.to_id_string()).collect();
                    let unique: BTreeSet<&String> = list.iter().collect();
                    if unique.len() != list.len() {
                        return Err(malformed("certificatePolicies"));
                    }
                    view.policies = Some(list);
                }
                (_, ParsedExtension::PolicyMappings(pm)) => {
                    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                    for m in &pm.mappings {
                        map.entry(m.issuer_domain_policy.to_id_string())
                            .or_default()
                            .insert(m.subject_domain_policy.to_id_string());
                    }
                    view.mappings = Some(map);
                }
                (_, ParsedExtension::PolicyConstraints(pc)) => {
                    if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                        return Err(malformed("policyConstraints"));
                    }
                    view.policy_constraints =
                        Some((pc.require_explicit_policy, pc.inhibit_policy_mapping));
                }
                (_, ParsedExtension::InhibitAnyPolicy(ia)) => {
                    view.inhibit_any = Some(ia.skip_certs)
                }
                ("2.5.29.30", _) => view.name_constraints = Some(ext.value),
                ("2.5.29.17", _) => view.san = Some(ext.value),
                ("2.5.29.19", _) => return Err(malformed("basicConstraints")),
                ("2.5.29.15", _) => return Err(malformed("keyUsage")),
                ("2.5.29.32", _) => return Err(malformed("certificatePolicies")),
                ("2.5.29.33", _) => return Err(malformed("policyMappings")),
                ("2.5.29.36", _) => return Err(malformed("policyConstraints")),
                ("2.5.29.54", _) => return Err(malformed("inhibitAnyPolicy")),
                _ => {}
            }
        }
        Ok(view)
    }

    pub fn is_ca(&self) -> bool {
        matches!(self.basic, Some((true, _)))
    }
}
