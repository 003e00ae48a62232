//! What a certificate's CRL status says in the report: the state (good, revoked, unknown,
//! invalid, unreachable, not checkable, skipped), the CRLs it rests on, and, when it stays
//! unknown, why each CRL at hand did not answer.

use super::certs::{ALL_REASONS, CertView};
use super::list::{Crl, Origin};
use super::process::{Outcome, Problem, Verdict};
use super::{Answer, Options, State, dn, reason_name, scope};

const METHOD: &str = "CRL";

/// A certificate's CRL status and what it rests on.
#[derive(Clone, Debug)]
pub(super) struct Status {
    pub(super) outcome: Outcome,
    /// Download failures and cache notes.
    pub(super) failures: Vec<(State, String)>,
    pub(super) notes: Vec<String>,
    pub(super) unsupported: Vec<String>,
    pub(super) any_url: bool,
    pub(super) downloaded: bool,
    /// Out-of-scope CRLs worth naming: from the certificate's own distribution points or by
    /// its own issuer.
    pub(super) out_of_scope: Vec<String>,
}

pub(super) fn undetermined(p: Problem) -> Status {
    Status {
        outcome: Outcome {
            verdict: Verdict::Undetermined,
            used: Vec::new(),
            verified: Vec::new(),
            problems: vec![p],
            reasons: 0,
            in_scope: 0,
        },
        failures: Vec::new(),
        notes: Vec::new(),
        unsupported: Vec::new(),
        any_url: false,
        downloaded: false,
        out_of_scope: Vec::new(),
    }
}

/// CRLs that do not cover the certificate although they come from its distribution points, its
/// issuer or a CRL issuer it names: worth telling, as the user may have expected them to.
pub(super) fn named_out_of_scope(cert: &CertView, crls: &[&Crl]) -> Vec<String> {
    let points = cert.points.as_deref().unwrap_or_default();
    let related = |c: &Crl| {
        c.issuer == cert.issuer
            || matches!(c.origin, Origin::Url { .. })
            || points.iter().any(|p| {
                p.crl_issuer
                    .as_deref()
                    .is_some_and(|n| dn::among(&c.issuer, n))
            })
    };
    let deltas = crls
        .iter()
        .filter(|c| c.is_delta() && related(c))
        .filter(|d| {
            !crls
                .iter()
                .any(|c| !c.is_delta() && scope::delta_fits(d, c).is_ok())
        })
        .map(|d| {
            format!(
                "{} is a delta CRL, and the complete CRL it updates was not given",
                d.origin
            )
        });
    let completes = crls
        .iter()
        .filter(|c| !c.is_delta() && related(c))
        .filter_map(|c| {
            let whys: Vec<String> = points
                .iter()
                .map(|p| scope::reasons_covered(c, p, cert))
                .map(|r| r.err())
                .collect::<Option<Vec<String>>>()?;
            whys.into_iter()
                .next()
                .map(|why| format!("{} does not cover it: {why}", c.origin))
        });
    completes.chain(deltas).collect()
}

pub(super) fn state_text(s: &State) -> String {
    match s {
        State::Good => "good".into(),
        State::Revoked { .. } => "revoked".into(),
        State::Unknown(t)
        | State::Unreachable(t)
        | State::Invalid(t)
        | State::Unsupported(t)
        | State::Skipped(t) => t.clone(),
    }
}

pub(super) fn to_answer(st: &Status, cert: &CertView, opts: &Options) -> Answer {
    let o = &st.outcome;
    let mut notes = st.notes.clone();
    let answer = |state, source: String| Answer {
        method: METHOD,
        state,
        source,
    };
    match &o.verdict {
        Verdict::Revoked { at, reason, source } => {
            return answer(
                State::Revoked {
                    at: *at,
                    reason: reason.map(|r| reason_name(r as u8).to_owned()),
                },
                source.clone(),
            );
        }
        Verdict::Unrevoked => {
            let mut source = o.used.join(" + ");
            notes.extend(
                o.problems
                    .iter()
                    .map(|p| format!("set aside: {}", p.text())),
            );
            if !notes.is_empty() {
                source.push_str(&format!("; {}", notes.join("; ")));
            }
            return answer(State::Good, source);
        }
        Verdict::Undetermined => {}
    }
    let mut why: Vec<String> = o.problems.iter().map(|p| p.text().to_owned()).collect();
    if o.reasons != 0 && o.reasons != ALL_REASONS {
        why.push(format!(
            "the usable CRLs ({}) cover only the reasons {}; none covers {}",
            o.used.join(" + "),
            scope::reason_names(o.reasons),
            scope::reason_names(ALL_REASONS & !o.reasons)
        ));
    }
    let any_invalid = o.problems.iter().any(|p| matches!(p, Problem::Invalid(_)))
        || st
            .failures
            .iter()
            .any(|(s, _)| matches!(s, State::Invalid(_)));
    for (s, url) in &st.failures {
        why.push(match s {
            State::Invalid(t) => t.clone(),
            other => format!("{url}: {}", state_text(other)),
        });
    }
    if why.is_empty() || o.in_scope == 0 {
        why.extend(st.out_of_scope.iter().cloned());
    }
    let sources: Vec<String> = st.failures.iter().map(|(_, u)| u.clone()).collect();
    let source = sources.join(", ");
    if any_invalid {
        return answer(State::Invalid(why.join("; ")), source);
    }
    if !o.problems.is_empty() || (o.reasons != 0 && o.reasons != ALL_REASONS) {
        return answer(State::Unknown(why.join("; ")), source);
    }
    if !st.failures.is_empty() {
        return answer(State::Unreachable(why.join("; ")), source);
    }
    let given = match opts.local.len() {
        0 => String::new(),
        1 => format!(
            "the --crl CRL does not cover it (issuer \"{}\")",
            cert.issuer_shown
        ),
        n => format!(
            "none of the {n} --crl CRLs covers it (issuer \"{}\")",
            cert.issuer_shown
        ),
    };
    let with_scope = |mut text: String| {
        if !given.is_empty() {
            text.push_str(&format!("; {given}"));
        }
        if !st.out_of_scope.is_empty() {
            text.push_str(&format!(": {}", st.out_of_scope.join("; ")));
        }
        text
    };
    if !st.downloaded {
        return answer(
            State::Skipped(with_scope("not checked offline (--offline)".to_owned())),
            String::new(),
        );
    }
    if !st.out_of_scope.is_empty() {
        return answer(
            State::Unknown(with_scope("no CRL covers it".into())),
            String::new(),
        );
    }
    let state = if !st.unsupported.is_empty() {
        State::Unsupported(with_scope(format!(
            "only CRL distribution points tilicheck cannot fetch ({}): it fetches http:// URLs, not LDAP or others; hand the CRL in with --crl",
            st.unsupported.join(", ")
        )))
    } else if !st.any_url {
        State::Unsupported(with_scope(
            "the certificate names no CRL distribution point".into(),
        ))
    } else {
        State::Unknown(with_scope("no CRL covers it".into()))
    };
    answer(state, st.unsupported.join(", "))
}
