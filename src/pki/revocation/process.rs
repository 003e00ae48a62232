//! The CRL part of RFC 5280 §6.3.3 for one certificate over a set of CRLs: every distribution
//! point of the certificate, every complete CRL in scope for it, until the reasons are all
//! covered or the certificate is found revoked; a delta CRL applied on top of its complete CRL;
//! removeFromCRL lifting a hold. The CRL's signer is found and validated by the caller
//! ([`Signers`]); here every CRL that cannot be used says why, so the report can tell a stale
//! list from a forged one.

use time::OffsetDateTime;
use x509_cert::ext::pkix::crl::CrlReason;

use super::certs::{ALL_REASONS, CertView};
use super::list::{Crl, Entry};
use super::scope;

/// Why a CRL could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// It cannot be trusted: its signature does not verify, its signer may not sign CRLs or is
    /// revoked.
    Invalid(String),
    /// It is genuine but cannot answer now: stale, not yet valid, an extension not understood,
    /// its signer's own status unknown.
    Unknown(String),
}

impl Problem {
    pub fn text(&self) -> &str {
        match self {
            Problem::Invalid(t) | Problem::Unknown(t) => t,
        }
    }
}

/// The key a CRL was verified with: a delta CRL must verify with the same one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerKey {
    pub spki: Vec<u8>,
    /// The signer, for the source line (None: the certificate's own issuer).
    pub note: Option<String>,
}

/// Finds and validates the signer of a CRL (§6.3.3 (f), (g)).
pub trait Signers {
    /// Err: the CRL is not signed by a key that may sign CRLs for `cert`.
    fn verify(&self, crl: &Crl, cert: &CertView) -> Result<SignerKey, Problem>;
    /// Does `crl` verify with `key`?
    fn verifies_with(&self, crl: &Crl, key: &SignerKey) -> bool;
}

/// The certificate's status from a set of CRLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Revoked {
        at: OffsetDateTime,
        reason: Option<CrlReason>,
        /// The CRL that says so.
        source: String,
    },
    /// All reasons covered by current, verified CRLs, none listing it.
    Unrevoked,
    Undetermined,
}

/// What processing found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// The CRLs (and deltas) the verdict rests on, as source lines.
    pub used: Vec<String>,
    /// Indexes (into the CRLs given) of those whose signature verified.
    pub verified: Vec<usize>,
    /// CRLs in scope that could not be used, each naming its CRL.
    pub problems: Vec<Problem>,
    /// The reasons covered when the verdict is not Revoked.
    pub reasons: u16,
    /// How many of the CRLs were in scope for the certificate at all.
    pub in_scope: usize,
}

/// The check time and the grace past nextUpdate.
#[derive(Clone, Copy, Debug)]
pub struct When {
    pub at: OffsetDateTime,
    pub grace_secs: i64,
}

fn revoked(entry: &Entry, crl: &Crl, delta: Option<&Crl>) -> Verdict {
    let source = match delta {
        Some(d) => format!(
            "{} (delta CRL on {}; {})",
            d.origin,
            crl.origin,
            d.details()
        ),
        None => format!("{} ({})", crl.origin, crl.details()),
    };
    Verdict::Revoked {
        at: entry.date,
        reason: entry.reason,
        source,
    }
}

/// The newest current delta CRL among `crls` that fits `complete` and verifies with `key`;
/// deltas set aside are added to `problems`.
fn delta_for<'a>(
    complete: &Crl,
    crls: &[&'a Crl],
    key: &SignerKey,
    signers: &dyn Signers,
    when: When,
    problems: &mut Vec<Problem>,
) -> Option<&'a Crl> {
    let mut best: Option<&Crl> = None;
    for d in crls.iter().copied().filter(|c| c.is_delta()) {
        if d.issuer != complete.issuer {
            continue;
        }
        let set_aside = |why: String| Problem::Unknown(format!("delta CRL {}: {why}", d.origin));
        if let Err(why) = scope::delta_fits(d, complete) {
            problems.push(set_aside(why));
            continue;
        }
        if let Some(why) = &d.unusable {
            problems.push(set_aside(format!("cannot be used: {why}")));
            continue;
        }
        if !signers.verifies_with(d, key) {
            problems.push(Problem::Invalid(format!(
                "delta CRL {}: its signature does not verify with the key that signed its complete CRL {}",
                d.origin, complete.origin
            )));
            continue;
        }
        if d.this_update > when.at || d.stale(when.at, when.grace_secs) {
            problems.push(set_aside(format!(
                "not current at the check time ({})",
                d.times()
            )));
            continue;
        }
        if best.is_none_or(|b| d.number > b.number) {
            best = Some(d);
        }
    }
    best
}

/// §6.3.3 for `cert` over `crls`.
pub fn process(cert: &CertView, crls: &[&Crl], signers: &dyn Signers, when: When) -> Outcome {
    let mut out = Outcome {
        verdict: Verdict::Undetermined,
        used: Vec::new(),
        verified: Vec::new(),
        problems: Vec::new(),
        reasons: 0,
        in_scope: 0,
    };
    let points = match &cert.points {
        Ok(p) => p.clone(),
        Err(why) => {
            out.problems.push(Problem::Unknown(format!(
                "the certificate's distribution points cannot be read: {why}"
            )));
            return out;
        }
    };
    let mut counted = vec![false; crls.len()];
    // The newest list first: an older one that still looks current may predate a revocation.
    let mut order: Vec<usize> = (0..crls.len()).filter(|&i| !crls[i].is_delta()).collect();
    order.sort_by(|&a, &b| crls[b].this_update.cmp(&crls[a].this_update));
    for point in &points {
        for &i in &order {
            let crl = crls[i];
            if out.reasons == ALL_REASONS {
                break;
            }
            let Ok(interim) = scope::reasons_covered(crl, point, cert) else {
                continue;
            };
            if !counted[i] {
                counted[i] = true;
                out.in_scope += 1;
            }
            // (e): nothing this CRL could add.
            if interim & !out.reasons == 0 {
                continue;
            }
            if let Some(why) = &crl.unusable {
                out.problems.push(Problem::Unknown(format!(
                    "{} cannot be used: {why}",
                    crl.origin
                )));
                continue;
            }
            if crl.this_update > when.at {
                out.problems.push(Problem::Unknown(format!(
                    "{} is not valid yet at the check time ({})",
                    crl.origin,
                    crl.times()
                )));
                continue;
            }
            let key = match signers.verify(crl, cert) {
                Ok(k) => k,
                Err(p) => {
                    out.problems.push(p);
                    continue;
                }
            };
            out.verified.push(i);
            let delta = delta_for(crl, crls, &key, signers, when, &mut out.problems);
            let complete_entry = crl.entry_for(&cert.serial, &cert.issuer);
            if crl.stale(when.at, when.grace_secs) && delta.is_none() {
                // A revocation stays true in an old list; a hold may have been lifted since.
                if let Some(e) = complete_entry
                    && !matches!(
                        e.reason,
                        Some(CrlReason::CertificateHold | CrlReason::RemoveFromCRL)
                    )
                {
                    out.verdict = revoked(e, crl, None);
                    return out;
                }
                out.problems.push(Problem::Unknown(format!(
                    "{} is stale: its nextUpdate {} is before the check time",
                    crl.origin,
                    crl.next_update
                        .map_or_else(|| "(none)".to_owned(), super::show_time)
                )));
                continue;
            }
            // (h), (i): the delta first, then the complete CRL; (j): removeFromCRL unrevokes.
            let (entry, from_delta) =
                match delta.and_then(|d| d.entry_for(&cert.serial, &cert.issuer)) {
                    Some(e) => (Some(e), true),
                    None => (complete_entry, false),
                };
            if let Some(e) = entry
                && e.reason != Some(CrlReason::RemoveFromCRL)
            {
                out.verdict = revoked(e, crl, delta.filter(|_| from_delta));
                return out;
            }
            out.reasons |= interim;
            let mut line = format!("{} ({}", crl.origin, crl.details());
            if let Some(d) = delta {
                line.push_str(&format!("; delta CRL {} ({})", d.origin, d.details()));
            }
            if interim != ALL_REASONS {
                line.push_str(&format!("; reasons {}", scope::reason_names(interim)));
            }
            if let Some(note) = &key.note {
                line.push_str(&format!("; {note}"));
            }
            line.push(')');
            out.used.push(line);
        }
    }
    if out.reasons == ALL_REASONS {
        out.verdict = Verdict::Unrevoked;
    }
    out
}
