//! Whether a trusted list is authentic: its enveloped XAdES signature verifies over the whole
//! list, and the signer is one the authority allows (the pinned LOTL signers for the LOTL, the
//! verified LOTL's pointer for a national list). Only a list that passes both becomes a
//! [`VerifiedTrustedList`], and only a verified list can be asked about qualification.

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::lotl::LotlSigners;
use super::model::{ListFacts, Timestamp};
use super::parse;
use super::{TlError, read_error};
use crate::pki::xmldsig::c14n::Algorithm;
use crate::pki::xmldsig::{self, DigestAlgorithm, DsigError, Placement, Profile, Scheme, Verified};
use crate::time_arg::format_time;

/// What a list's signature may use: ETSI TS 119 612 §5.7 allows either canonicalisation and
/// the XAdES baseline's algorithms.
const PROFILE: Profile = Profile {
    c14n: &[
        Algorithm::Exclusive,
        Algorithm::Inclusive10,
        Algorithm::Inclusive11,
    ],
    schemes: &[Scheme::RsaPkcs1, Scheme::RsaPss, Scheme::Ecdsa],
    hashes: &[
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ],
    placement: Placement::ChildOfRoot,
    xades: true,
    strict_content: true,
};

/// Who may have signed the lists being read.
#[derive(Clone, Copy)]
pub struct Anchors<'a> {
    /// The certificates allowed to sign the LOTL.
    pub lotl_signers: &'a LotlSigners,
    /// A verified LOTL, whose pointers name the signers of the national lists.
    pub lotl: Option<&'a VerifiedTrustedList>,
}

/// What was decided about the signer of a list whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerCheck {
    /// Allowed to sign the list: how that is known.
    Authorised(String),
    /// Nothing to check the signer against (a national list without the LOTL).
    Unchecked(String),
    /// Not allowed, or its certificate was not valid when it mattered.
    Refused(String),
}

/// Whether the list is current at the check time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Past NextUpdate: a newer list should exist.
    Stale,
    /// No NextUpdate: the scheme ceased and the list is closed.
    Closed,
    /// Issued after the check time.
    NotYetIssued,
    /// The dates are not RFC 3339.
    Unreadable,
}

/// A list read and checked, authentic or not: what the `trusted-list` command reports.
#[derive(Clone, Debug)]
pub struct CheckedList {
    pub source: String,
    pub facts: ListFacts,
    pub signature: Result<(Verified, SignerCheck), DsigError>,
    pub freshness: Freshness,
}

/// A list whose signature verified and whose signer is authorised. The fields are private:
/// the only way to one is [`CheckedList::into_verified`].
#[derive(Clone, Debug)]
pub struct VerifiedTrustedList {
    source: String,
    facts: ListFacts,
    signer_name: String,
    signer_sha256: String,
    authority: String,
    freshness: Freshness,
}

impl VerifiedTrustedList {
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn facts(&self) -> &ListFacts {
        &self.facts
    }

    pub fn freshness(&self) -> &Freshness {
        &self.freshness
    }

    /// "FI list 54 (TSL_FI.xml)".
    pub fn label(&self) -> String {
        format!(
            "{} list {} ({})",
            self.facts.territory,
            self.facts.sequence.as_deref().unwrap_or("?"),
            self.source
        )
    }

    /// Who signed it and why that signer counts.
    pub fn signed_by(&self) -> String {
        format!(
            "signed by \"{}\" (SHA-256 {}), {}",
            self.signer_name, self.signer_sha256, self.authority
        )
    }

    /// The certificates the LOTL allows to sign `territory`'s list.
    pub fn signers_for(&self, territory: &str) -> Vec<&CertificateDer<'static>> {
        self.facts
            .pointers
            .iter()
            .filter(|p| p.territory.as_deref() == Some(territory))
            .flat_map(|p| p.signers.iter())
            .collect()
    }
}

impl CheckedList {
    /// The verified list, if the signature verified and the signer is authorised.
    pub fn into_verified(self) -> Result<VerifiedTrustedList, Box<CheckedList>> {
        match &self.signature {
            Ok((v, SignerCheck::Authorised(how))) => Ok(VerifiedTrustedList {
                signer_name: crate::pki::trust::display_name(&v.signer_der),
                signer_sha256: v.signer.sha256_fingerprint.clone(),
                authority: how.clone(),
                source: self.source,
                facts: self.facts,
                freshness: self.freshness,
            }),
            _ => Err(Box::new(self)),
        }
    }
}

/// Read and check the list `xml` (named `source` in messages) at `at`.
pub fn check(
    source: &str,
    xml: &str,
    anchors: Anchors<'_>,
    at: OffsetDateTime,
) -> Result<CheckedList, TlError> {
    let doc = crate::xml::parse(xml).map_err(|e| read_error(source, e))?;
    let facts = parse::parse(&doc).map_err(|why| TlError::NotATrustedList {
        path: source.to_owned(),
        why,
    })?;
    let signature = xmldsig::verify(&doc, &PROFILE).map(|v| {
        let check = signer_check(&facts, &v, anchors, at);
        (v, check)
    });
    Ok(CheckedList {
        source: source.to_owned(),
        freshness: freshness(&facts, at),
        facts,
        signature,
    })
}

fn freshness(facts: &ListFacts, at: OffsetDateTime) -> Freshness {
    let Some(next) = &facts.next_update else {
        return Freshness::Closed;
    };
    match (facts.issued.parsed, next.parsed) {
        (Some(issued), _) if at < issued => Freshness::NotYetIssued,
        (Some(_), Some(next)) if at > next => Freshness::Stale,
        (Some(_), Some(_)) => Freshness::Fresh,
        _ => Freshness::Unreadable,
    }
}

fn spki(der: &[u8]) -> Option<Vec<u8>> {
    X509Certificate::from_der(der)
        .ok()
        .map(|(_, c)| c.public_key().raw.to_vec())
}

/// Whether `signer` is one of `allowed`: the same certificate, or the same key.
fn among(signer: &[u8], allowed: &[&CertificateDer<'static>]) -> Option<&'static str> {
    if allowed.iter().any(|a| a.as_ref() == signer) {
        return Some("certificate");
    }
    let key = spki(signer)?;
    allowed
        .iter()
        .any(|a| spki(a).as_deref() == Some(key.as_slice()))
        .then_some("key")
}

fn show(t: &Timestamp) -> &str {
    &t.raw
}

fn signer_check(
    facts: &ListFacts,
    v: &Verified,
    anchors: Anchors<'_>,
    at: OffsetDateTime,
) -> SignerCheck {
    let s = &v.signer;
    if let Some(issued) = facts.issued.parsed
        && (issued < s.not_before || issued > s.not_after)
    {
        return SignerCheck::Refused(format!(
            "the signer's certificate was valid {} to {}, but the list was issued {}",
            format_time(s.not_before),
            format_time(s.not_after),
            show(&facts.issued)
        ));
    }
    if at > s.not_after {
        return SignerCheck::Refused(format!(
            "the signer's certificate expired on {}, before the check time {}",
            format_time(s.not_after),
            format_time(at)
        ));
    }
    if facts.is_lotl() {
        let pinned: Vec<&CertificateDer<'static>> = anchors.lotl_signers.certs().iter().collect();
        return match among(&v.signer_der, &pinned) {
            Some(how) => SignerCheck::Authorised(format!(
                "whose {how} is among the {} LOTL signers {}",
                pinned.len(),
                anchors.lotl_signers.source()
            )),
            None => SignerCheck::Refused(format!(
                "the signer is none of the {} LOTL signers {}",
                pinned.len(),
                anchors.lotl_signers.source()
            )),
        };
    }
    let Some(lotl) = anchors.lotl else {
        return SignerCheck::Unchecked(
            "no LOTL was given to say who may sign this territory's list".into(),
        );
    };
    let allowed = lotl.signers_for(&facts.territory);
    if allowed.is_empty() {
        return SignerCheck::Refused(format!(
            "the LOTL ({}) has no pointer for territory \"{}\"",
            lotl.label(),
            facts.territory
        ));
    }
    match among(&v.signer_der, &allowed) {
        Some(how) => SignerCheck::Authorised(format!(
            "whose {how} is among the {} the LOTL ({}) names for {}",
            allowed.len(),
            lotl.label(),
            facts.territory
        )),
        None => SignerCheck::Refused(format!(
            "the signer is none of the {} certificates the LOTL ({}) names for {}",
            allowed.len(),
            lotl.label(),
            facts.territory
        )),
    }
}
