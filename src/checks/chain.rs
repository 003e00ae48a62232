//! CERT-ISSUER and CERT-REVOCATION from the facts about the path and the revocation answers.
//! Pure: the path is built and the answers fetched by the caller.

use crate::findings::{Finding, Status};
use crate::pki::chain::{LinkOrigin, PathEnd, PathFacts};
use crate::pki::facts::CertificateFacts;
use crate::pki::revocation::{CertAnswers, Mode, State};
use crate::pki::trust;
use crate::profile::{RegisterProfile, RuleId};

/// Which issuers are acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A supplier's certificate: DVV-issued, or an eIDAS QWAC.
    DvvOrQwac,
    /// The register's own certificate: DVV-issued only.
    DvvOnly,
}

/// Does the certificate assert a QWAC policy?
pub fn asserts_qwac(facts: &CertificateFacts, profile: &RegisterProfile) -> bool {
    facts
        .policies
        .iter()
        .any(|p| profile.qwac_policies.value.iter().any(|(oid, _)| oid == p))
}

/// The bundled DVV root a validated, problem-free path ends at: what lets CERT-QWAC accept a
/// TLS certificate without QCStatements (§3.1 a).
pub fn proven_dvv_root(path: &PathFacts) -> Option<&str> {
    match &path.end {
        PathEnd::Anchor {
            name,
            origin: trust::Origin::Bundled,
        } if path.verdict.is_ok() && path.problems.is_empty() => Some(name),
        _ => None,
    }
}

/// CERT-ISSUER: a validated path to a trusted anchor, and the anchor acceptable.
pub fn check_issuer(
    path: &PathFacts,
    facts: &CertificateFacts,
    expect: Expect,
    profile: &RegisterProfile,
) -> Finding {
    let rule = RuleId::CertIssuer;
    let shown = path.describe();
    if path.verdict.is_ok() && path.problems.is_empty() {
        return match &path.end {
            PathEnd::Anchor {
                name,
                origin: trust::Origin::Bundled,
            } => Finding::pass(
                rule,
                format!(
                    "issued by DVV: validated path {shown}, ending at the bundled root \"{name}\""
                ),
            ),
            PathEnd::Anchor {
                name,
                origin: origin @ trust::Origin::TrustedList { .. },
            } => match expect {
                Expect::DvvOrQwac => Finding::pass(
                    rule,
                    format!("QWAC route: validated path {shown}, ending at \"{name}\", a {origin}"),
                ),
                Expect::DvvOnly => Finding::fail(
                    rule,
                    format!(
                        "the path {shown} ends at \"{name}\", a qualified service from a trusted list, not at DVV: the register's certificate is DVV's"
                    ),
                ),
            },
            PathEnd::Anchor {
                name,
                origin: origin @ trust::Origin::File(_),
            } => Finding::pass(
                rule,
                format!(
                    "validated path {shown}, ending at \"{name}\" ({origin}; a --trust anchor stands in for {})",
                    match expect {
                        Expect::DvvOrQwac => "DVV or a QWAC issuer",
                        Expect::DvvOnly => "DVV",
                    }
                ),
            ),
            _ => Finding::pass(
                rule,
                format!("validated path to a trusted anchor ({shown})"),
            ),
        };
    }
    let mut why = match &path.end {
        PathEnd::Anchor { name, .. } => format!(
            "the path {shown} reaches \"{name}\" but is not acceptable: {}",
            path.problems.join("; ")
        ),
        PathEnd::MissingRoot { name, why } => {
            return Finding::warn(
                rule,
                format!("the path {shown} ends at \"{name}\", which is not bundled: {why}"),
            )
            .with_remedy(format!(
                "Renew with a current DVV service certificate (G5R/G5E hierarchy), or pass \"{name}\" with --trust."
            ));
        }
        PathEnd::NoIssuer { issuer } => {
            let last = path
                .links
                .last()
                .map_or("the certificate", |l| l.name.as_str());
            format!(
                "no path to a trusted anchor: the issuer \"{issuer}\" of \"{last}\" is in neither the supplied chain, the bundled DVV intermediates nor the trust anchors"
            )
        }
        PathEnd::UntrustedRoot { name } => format!(
            "the path {shown} ends at the self-signed \"{name}\", which is not a trusted anchor"
        ),
        PathEnd::TooLong => format!("the path {shown} is too long"),
    };
    if let Err(e) = &path.verdict
        && !why.contains(e.as_str())
    {
        why.push_str(&format!(" (path validation: {e})"));
    }
    for note in &path.notes {
        why.push_str(&format!("; {note}"));
    }
    let qwac = expect == Expect::DvvOrQwac && asserts_qwac(facts, profile);
    if qwac && !matches!(path.end, PathEnd::Anchor { .. }) {
        return Finding::warn(
            rule,
            format!("{why}; the certificate asserts a QWAC policy, but its issuer could not be checked"),
        )
        .with_remedy(
            "Give the QTSP's CA chain with --chain and its root with --trust (or --trusted-list FILE) so the QWAC's issuer can be validated.",
        );
    }
    let remedy = match &path.end {
        PathEnd::NoIssuer { .. } | PathEnd::UntrustedRoot { .. } => {
            "Give the issuing CA certificates with --chain; a DVV certificate needs no extra files. A test or DEMO root can be trusted with --trust FILE."
        }
        _ => rule.rule().remedy,
    };
    Finding::fail(rule, why).with_remedy(remedy)
}

/// The per-certificate verdict: a status and a sentence.
fn judge(cert: &CertAnswers, mode: Mode) -> (Status, String) {
    let who = if cert.leaf {
        format!("\"{}\"", cert.name)
    } else {
        format!("intermediate \"{}\"", cert.name)
    };
    let line = |a: &crate::pki::revocation::Answer| {
        let what = match &a.state {
            State::Good => "good".to_owned(),
            // A hold is a suspension: the certificate is not valid while it lasts.
            State::Revoked { at, reason } if reason.as_deref() == Some("certificateHold") => {
                format!(
                    "ON HOLD since {} (certificateHold)",
                    crate::pki::revocation::show_time(*at)
                )
            }
            State::Revoked { at, reason } => format!(
                "REVOKED on {}{}",
                crate::pki::revocation::show_time(*at),
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            State::Unknown(w) => format!("unknown: {w}"),
            State::Unreachable(w) => format!("no answer: {w}"),
            State::Invalid(w) => format!("unusable answer: {w}"),
            State::Unsupported(w) => format!("not checkable: {w}"),
            State::Skipped(w) => format!("skipped: {w}"),
        };
        if a.source.is_empty() || what.contains(a.source.as_str()) {
            format!("{} {what}", a.method)
        } else {
            format!("{} {what} [{}]", a.method, a.source)
        }
    };
    let text = format!(
        "{who}: {}",
        cert.answers.iter().map(line).collect::<Vec<_>>().join("; ")
    );
    let states: Vec<&State> = cert.answers.iter().map(|a| &a.state).collect();
    let status = if states.iter().any(|s| matches!(s, State::Revoked { .. })) {
        Status::Fail
    } else if states.iter().any(|s| matches!(s, State::Invalid(_))) {
        Status::Error
    } else if states.iter().all(|s| matches!(s, State::Skipped(_))) {
        Status::Skip
    } else if mode == Mode::Both {
        if states.iter().all(|s| matches!(s, State::Good)) {
            Status::Pass
        } else {
            Status::Warn
        }
    } else if states.iter().any(|s| matches!(s, State::Good)) {
        Status::Pass
    } else {
        Status::Warn
    };
    (status, text)
}

/// CERT-REVOCATION over every certificate of the path (the anchor excepted).
pub fn check_revocation(answers: &[CertAnswers], mode: Mode) -> Finding {
    let rule = RuleId::CertRevocation;
    if answers.is_empty() {
        return Finding::skip(
            rule,
            "not checked: the issuing CA is unknown, and revocation answers can only be verified with its key",
        );
    }
    let judged: Vec<(Status, String)> = answers.iter().map(|c| judge(c, mode)).collect();
    let status = judged
        .iter()
        .map(|(s, _)| *s)
        .max_by_key(|s| match s {
            Status::Pass => 0,
            Status::Skip => 1,
            Status::Warn => 2,
            Status::Error => 3,
            Status::Fail => 4,
        })
        .unwrap_or(Status::Skip);
    let detail = judged
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(" | ");
    let finding = Finding::new(rule, status, detail);
    match status {
        Status::Warn => finding.with_remedy(
            "No verified revocation answer was obtained: make the CRL/OCSP URLs reachable (a proxy, a firewall opening) and run again; Customs will check revocation itself.",
        ),
        Status::Error => finding.with_remedy(
            "A revocation source gave an answer that does not verify: do not rely on it. Check the URL (a captive portal or proxy answering instead of the CA?) and run again.",
        ),
        _ => finding,
    }
}

/// Summary lines: the path subject by subject and where it ends.
pub fn path_summary(path: &PathFacts) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, l) in path.links.iter().enumerate() {
        let label = if i == 0 {
            "Path".to_owned()
        } else {
            format!("  ↑ {i}")
        };
        let origin = match &l.origin {
            LinkOrigin::Leaf => String::new(),
            o => format!(" ({o})"),
        };
        out.push((label, format!("{}{origin}", l.subject)));
    }
    let end = match &path.end {
        PathEnd::Anchor { name, origin } => format!("trust anchor \"{name}\" ({origin})"),
        PathEnd::MissingRoot { name, .. } => format!("\"{name}\": not bundled, not available"),
        PathEnd::NoIssuer { issuer } => format!("issuer \"{issuer}\" not found"),
        PathEnd::UntrustedRoot { name } => format!("untrusted self-signed \"{name}\""),
        PathEnd::TooLong => "path too long".to_owned(),
    };
    out.push(("Path ends at".to_owned(), end));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::revocation::Answer;
    use time::macros::datetime;

    fn answers(leaf: bool, states: &[State]) -> CertAnswers {
        CertAnswers {
            name: "x".into(),
            leaf,
            answers: states
                .iter()
                .map(|s| Answer {
                    method: "CRL",
                    state: s.clone(),
                    source: "http://crl.test/x.crl".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn revocation_verdicts() {
        let good = State::Good;
        let revoked = State::Revoked {
            at: datetime!(2029-01-01 0:00 UTC),
            reason: Some("keyCompromise".into()),
        };
        let unknown = State::Unknown("stale".into());
        let invalid = State::Invalid("bad signature".into());
        let skipped = State::Skipped("offline".into());
        let cases: Vec<(Vec<State>, Mode, Status)> = vec![
            (vec![good.clone()], Mode::Auto, Status::Pass),
            (
                vec![unknown.clone(), good.clone()],
                Mode::Auto,
                Status::Pass,
            ),
            (
                vec![unknown.clone(), good.clone()],
                Mode::Both,
                Status::Warn,
            ),
            (vec![good.clone(), good.clone()], Mode::Both, Status::Pass),
            (
                vec![good.clone(), revoked.clone()],
                Mode::Both,
                Status::Fail,
            ),
            (vec![invalid, good.clone()], Mode::Auto, Status::Error),
            (vec![unknown], Mode::Crl, Status::Warn),
            (vec![skipped], Mode::Off, Status::Skip),
        ];
        for (states, mode, want) in &cases {
            let f = check_revocation(&[answers(true, states)], *mode);
            assert_eq!(f.status, *want, "{states:?} {mode:?}: {}", f.detail);
        }
        // The worst certificate of the path decides; each is named.
        let f = check_revocation(
            &[answers(true, &[good]), answers(false, &[revoked])],
            Mode::Auto,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.detail.contains("intermediate \"x\": CRL REVOKED"),
            "{}",
            f.detail
        );
        assert!(f.detail.contains("keyCompromise"), "{}", f.detail);
        // Nothing to check is a skip, never a pass.
        assert_eq!(check_revocation(&[], Mode::Auto).status, Status::Skip);
    }
}
