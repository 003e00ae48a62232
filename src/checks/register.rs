//! REG-CERT: is this the Account Register's own server certificate? The identity part is
//! judged here; validity reuses CERT-VALIDITY, and the issuer and revocation parts are the
//! chain and revocation checks run on the same subject.

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::checks::cert::{check_validity, summary};
use crate::checks::chain::Expect;
use crate::checks::trust::{TrustContext, judge_path};
use crate::findings::{Finding, Subject};
use crate::pki::chain::Usage;
use crate::pki::facts::CertificateFacts;
use crate::profile::{RegisterProfile, RuleId};

/// The role every report gives the register's certificate.
pub const ROLE: &str = "register certificate";

/// REG-CERT: the subject `serialNumber` is exactly one of the register's ID forms. Customs
/// names the two strings; a look-alike (another ID, another form, extra spaces) is refused.
pub fn check_register_identity(facts: &CertificateFacts, profile: &RegisterProfile) -> Finding {
    let rule = RuleId::RegCert;
    let ids = profile.register_ids;
    let wanted = ids.value.join("\" or \"");
    let finding = match facts.subject_serial_numbers.as_slice() {
        [] => Finding::fail(
            rule,
            format!(
                "the subject has no serialNumber; the register's certificate carries \"{wanted}\""
            ),
        ),
        [one] if ids.value.contains(&one.as_str()) => Finding::pass(
            rule,
            format!("subject serialNumber \"{one}\" is the Account Register's"),
        ),
        [one] => Finding::fail(
            rule,
            format!("subject serialNumber \"{one}\" is not the Account Register's (\"{wanted}\")"),
        ),
        many => Finding::fail(
            rule,
            format!(
                "the subject has {} serialNumber attributes ({}); the register's certificate has one",
                many.len(),
                many.join(", ")
            ),
        ),
    };
    finding.with_assumption(ids.assumption())
}

/// The register certificate's subject: summary, REG-CERT and CERT-VALIDITY. Callers append
/// the chain (CERT-ISSUER) and revocation (CERT-REVOCATION) findings for the same certificate.
pub fn register_subject(
    facts: &CertificateFacts,
    input: &str,
    at: OffsetDateTime,
    profile: &RegisterProfile,
) -> Subject {
    let mut s = Subject::new(ROLE, input);
    s.summary = summary(facts, at);
    s.findings = vec![
        check_register_identity(facts, profile),
        check_validity(facts, at, profile),
    ];
    s
}

/// The endpoint's certificate as the register's: REG-CERT, CERT-VALIDITY, and CERT-ISSUER /
/// CERT-REVOCATION on the chain it presented (DVV only, validated for server authentication).
pub fn register_certificate(
    chain: &[Vec<u8>],
    endpoint: &str,
    ctx: &TrustContext,
    profile: &RegisterProfile,
) -> Subject {
    let input = format!("certificate of {endpoint}");
    let at = ctx.revocation.at;
    let Some((leaf, rest)) = chain.split_first() else {
        let mut s = Subject::new(ROLE, input);
        s.findings.push(Finding::error(
            RuleId::RegCert,
            "no certificate from the endpoint was seen: every handshake ended before the server's Certificate message",
        ));
        return s;
    };
    let facts = match CertificateFacts::from_der(leaf) {
        Ok(f) => f,
        Err(e) => {
            let mut s = Subject::new(ROLE, input);
            s.findings.push(Finding::error(
                RuleId::RegCert,
                format!("the endpoint's certificate does not parse: {e}"),
            ));
            return s;
        }
    };
    let mut s = register_subject(&facts, &input, at, profile);
    s.summary.extend(crate::checks::cert::details(&facts));
    let leaf = CertificateDer::from(leaf.clone());
    let supplied: Vec<CertificateDer<'static>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let judged = judge_path(
        &leaf,
        &supplied,
        &facts,
        Expect::DvvOnly,
        Usage::ServerAuth,
        ctx,
        profile,
    );
    s.summary.extend(judged.summary);
    s.findings.extend(judged.findings);
    s
}
