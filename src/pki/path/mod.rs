//! Certification path validation as RFC 5280 §6.1 describes it, for a path already built:
//! signatures (aws-lc-rs), validity, name chaining by §7.1, name constraints of every form,
//! certificate policies (the valid_policy_tree with explicit-policy, policy-mapping and
//! anyPolicy inhibition), basic constraints and path length with the self-issued exemptions,
//! key usage, and critical extensions. The trust anchor, when given as a certificate, is
//! checked as a CA too.
//!
//! Revocation (§6.1.3 (a)(3)) is not done here: CERT-REVOCATION checks every link of the
//! validated path.

mod cert;
pub mod constraints;
pub mod name;
pub mod policy;
pub mod signature;

use std::collections::BTreeSet;

use time::OffsetDateTime;

use cert::View;
use constraints::{Constraints, MalformedConstraints, Violation};
use policy::{ANY_POLICY, PolicyTree};
use signature::SignatureError;

/// The §6.1.1 inputs other than the path and the anchor. The initial policy set is always
/// anyPolicy.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub at: OffsetDateTime,
    pub initial_explicit_policy: bool,
    pub initial_policy_mapping_inhibit: bool,
    pub initial_any_policy_inhibit: bool,
}

impl Settings {
    /// RFC 5280's defaults (all three inhibitions off) at `at`.
    pub fn at(at: OffsetDateTime) -> Settings {
        Settings {
            at,
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
        }
    }
}

/// What a valid path establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    /// The authorities-constrained policy set (§6.1.5 (g)); empty when no policy holds on
    /// the whole path (allowed while no certificate requires an explicit policy).
    pub policies: BTreeSet<String>,
}

/// Which certificate a rejection is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    Anchor,
    /// Index into the path as given (0 = the target).
    Certificate(usize),
}

/// Why a path is not valid. The text reads after the certificate's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("cannot be decoded as an X.509 certificate")]
    Unreadable,
    #[error("carries extension {0} twice")]
    DuplicateExtension(String),
    #[error("has a {0} extension that cannot be decoded")]
    MalformedExtension(&'static str),
    #[error("carries the critical extension {0}, which is not recognised")]
    UnknownCritical(String),
    #[error("{0}")]
    Signature(#[from] SignatureError),
    #[error("is not valid before {0}")]
    NotYetValid(String),
    #[error("expired on {0}")]
    Expired(String),
    #[error("names an issuer that is not the subject of the certificate above it")]
    IssuerMismatch,
    #[error("{0}")]
    Names(#[from] Violation),
    #[error("{0}")]
    BadConstraints(#[from] MalformedConstraints),
    #[error("leaves no certificate policy valid for the path, and an explicit policy is required")]
    NoPolicy,
    #[error("maps anyPolicy, which RFC 5280 does not allow")]
    AnyPolicyMapped,
    #[error("is used as a CA but is a version 1 or 2 certificate")]
    OldVersionCa,
    #[error("is used as a CA but lacks basicConstraints cA=TRUE")]
    NotCa,
    #[error("is one CA more than a pathLenConstraint above it allows")]
    PathLength,
    #[error("is used as a CA but its key usage lacks keyCertSign")]
    NoKeyCertSign,
    #[error("asserts keyCertSign in its key usage without being a CA")]
    KeyCertSignWithoutCa,
    #[error("has a pathLenConstraint without being a CA")]
    PathLenWithoutCa,
}

/// A rejected path: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub position: Position,
    pub reason: Reason,
}

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

/// Checks every certificate makes of its own: decodable, well-formed constraints.
fn read(der: &[u8], position: Position) -> Result<View<'_>, Rejection> {
    View::read(der).map_err(|reason| Rejection { position, reason })
}

/// The anchor as a CA: it must be able to act as one when it is a certificate with
/// extensions (a version 1 root is trusted as its name and key alone).
fn check_anchor(anchor: &View<'_>) -> Result<(), Reason> {
    if let Some(oid) = &anchor.unknown_critical {
        return Err(Reason::UnknownCritical(oid.clone()));
    }
    if anchor.version >= 2 && !anchor.is_ca() {
        return Err(Reason::NotCa);
    }
    if anchor.key_cert_sign == Some(false) {
        return Err(Reason::NoKeyCertSign);
    }
    Ok(())
}

/// Validate `path` (target first, the certificate the anchor issued last) under `anchor`
/// (a certificate's DER).
pub fn validate(
    anchor_der: &[u8],
    path: &[&[u8]],
    settings: &Settings,
) -> Result<Validated, Rejection> {
    let anchor = read(anchor_der, Position::Anchor)?;
    let reject = |position, reason| Rejection { position, reason };
    check_anchor(&anchor).map_err(|r| reject(Position::Anchor, r))?;

    let n = path.len();
    if n == 0 {
        // The target is the anchor itself: trusted as given.
        return Ok(Validated {
            policies: BTreeSet::new(),
        });
    }
    let views = path
        .iter()
        .enumerate()
        .map(|(i, der)| read(der, Position::Certificate(i)))
        .collect::<Result<Vec<_>, _>>()?;

    // §6.1.2 initialisation.
    let mut tree = Some(PolicyTree::default());
    let counter = |inhibited: bool| if inhibited { 0 } else { n + 1 };
    let mut explicit_policy = counter(settings.initial_explicit_policy);
    let mut inhibit_any_policy = counter(settings.initial_any_policy_inhibit);
    let mut policy_mapping = counter(settings.initial_policy_mapping_inhibit);
    // The anchor's pathLenConstraint, like its name constraints, is taken as an input: an
    // anchor that allows no CA below it cannot be trusted for a longer path.
    let mut max_path_length = match anchor.basic {
        Some((true, Some(len))) => n.min(len as usize),
        _ => n,
    };
    let mut constraints = Constraints::default();
    // The anchor's own name constraints, as a trust anchor's initial subtrees.
    if let Some(nc) = anchor.name_constraints {
        constraints
            .add(nc)
            .map_err(|e| reject(Position::Anchor, e.into()))?;
    }
    let mut working_key = anchor.spki;
    let mut working_issuer = anchor.subject.clone();

    // Certificate 1 (the one the anchor issued) is path[n-1]; certificate n is the target.
    for (step, view) in views.iter().rev().enumerate() {
        let i = step + 1;
        let position = Position::Certificate(n - i);
        let fail = |reason: Reason| reject(position, reason);
        let last = i == n;

        // §6.1.3 (a).
        signature::verify(&view.signed, working_key).map_err(|e| fail(e.into()))?;
        if settings.at < view.not_before {
            return Err(fail(Reason::NotYetValid(date(view.not_before))));
        }
        if settings.at > view.not_after {
            return Err(fail(Reason::Expired(date(view.not_after))));
        }
        if view.issuer != working_issuer {
            return Err(fail(Reason::IssuerMismatch));
        }
        // (b), (c): a self-issued intermediate is exempt.
        let names = constraints::names_of(&view.subject, view.san).map_err(|e| fail(e.into()))?;
        if last || !view.self_issued {
            constraints.check(&names).map_err(|e| fail(e.into()))?;
        }
        // (d), (e).
        tree = match (&view.policies, tree) {
            (Some(policies), Some(t)) => {
                let any_allowed = inhibit_any_policy > 0 || (!last && view.self_issued);
                t.add_certificate(policies, any_allowed)
            }
            _ => None,
        };
        // (f).
        if explicit_policy == 0 && tree.is_none() {
            return Err(fail(Reason::NoPolicy));
        }

        if last {
            break;
        }
        // §6.1.4 preparation for the next certificate.
        if let Some(mappings) = &view.mappings {
            if mappings.contains_key(ANY_POLICY)
                || mappings.values().any(|s| s.contains(ANY_POLICY))
            {
                return Err(fail(Reason::AnyPolicyMapped));
            }
            tree = tree.and_then(|t| t.apply_mappings(mappings, policy_mapping > 0));
        }
        working_issuer = view.subject.clone();
        working_key = view.spki;
        if let Some(nc) = view.name_constraints {
            constraints.add(nc).map_err(|e| fail(e.into()))?;
        }
        if !view.self_issued {
            explicit_policy = explicit_policy.saturating_sub(1);
            policy_mapping = policy_mapping.saturating_sub(1);
            inhibit_any_policy = inhibit_any_policy.saturating_sub(1);
        }
        if let Some((require, inhibit)) = view.policy_constraints {
            if let Some(r) = require {
                explicit_policy = explicit_policy.min(r as usize);
            }
            if let Some(q) = inhibit {
                policy_mapping = policy_mapping.min(q as usize);
            }
        }
        if let Some(skip) = view.inhibit_any {
            inhibit_any_policy = inhibit_any_policy.min(skip as usize);
        }
        if view.version < 2 {
            return Err(fail(Reason::OldVersionCa));
        }
        if !view.is_ca() {
            return Err(fail(Reason::NotCa));
        }
        if !view.self_issued {
            if max_path_length == 0 {
                return Err(fail(Reason::PathLength));
            }
            max_path_length -= 1;
        }
        if let Some((_, Some(len))) = view.basic {
            max_path_length = max_path_length.min(len as usize);
        }
        if view.key_cert_sign == Some(false) {
            return Err(fail(Reason::NoKeyCertSign));
        }
        if let Some(oid) = &view.unknown_critical {
            return Err(fail(Reason::UnknownCritical(oid.clone())));
        }
    }

    // §6.1.5 wrap-up, on the target.
    let target = &views[0];
    let fail = |reason: Reason| reject(Position::Certificate(0), reason);
    explicit_policy = explicit_policy.saturating_sub(1);
    if let Some((Some(0), _)) = target.policy_constraints {
        explicit_policy = 0;
    }
    if let Some(oid) = &target.unknown_critical {
        return Err(fail(Reason::UnknownCritical(oid.clone())));
    }
    // A CA may be the target (RFC 5280 allows it; CERT-X509V3 says the register wants an
    // end-entity certificate), but keyCertSign on a non-CA is a contradiction (§4.2.1.3).
    if !target.is_ca() && target.key_cert_sign == Some(true) {
        return Err(fail(Reason::KeyCertSignWithoutCa));
    }
    if matches!(target.basic, Some((false, Some(_)))) {
        return Err(fail(Reason::PathLenWithoutCa));
    }
    if explicit_policy == 0 && tree.is_none() {
        return Err(fail(Reason::NoPolicy));
    }
    Ok(Validated {
        policies: tree.map(|t| t.valid_policies()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
