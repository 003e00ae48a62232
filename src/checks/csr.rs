//! `csr --check`: a certificate request judged by the rules its certificate will face.

use crate::checks::cert::check_key_strength;
use crate::checks::identity::{self, ExpectedIds};
use crate::findings::{Finding, Subject};
use crate::pki::csr::CsrFacts;
use crate::profile::{RegisterProfile, RuleId};

/// The request's subject and findings.
pub fn csr_subject(
    facts: &CsrFacts,
    input: &str,
    expected: ExpectedIds,
    profile: &RegisterProfile,
) -> Subject {
    let ids = identity::found_ids_in(
        &facts.subject_serial_numbers,
        &facts.organization_identifiers,
    );
    let mut s = Subject::new("certificate request", input);
    s.summary = vec![
        ("Subject".into(), facts.subject.clone()),
        ("Key".into(), facts.key.to_string()),
        ("DNS names".into(), facts.dns_names.join(", ")),
    ];
    s.findings = vec![
        signature(facts),
        subject_fields(facts),
        identity::check_cert_id(&ids, expected, true),
        identity::check_check_digits(&ids),
        check_key_strength(&facts.key, profile),
    ];
    s
}

fn signature(facts: &CsrFacts) -> Finding {
    match &facts.signature_valid {
        Ok(()) => Finding::pass(
            RuleId::CsrSignature,
            "the signature verifies with the request's key",
        ),
        Err(e) => Finding::fail(
            RuleId::CsrSignature,
            format!("the signature does not verify: {e}"),
        ),
    }
}

fn subject_fields(f: &CsrFacts) -> Finding {
    let rule = RuleId::CsrSubject;
    let mut problems = Vec::new();
    match f.common_names.as_slice() {
        [] => problems.push("no CN".to_owned()),
        [cn] if !f.dns_names.iter().any(|d| d.eq_ignore_ascii_case(cn)) => {
            problems.push(format!(
                "CN '{cn}' is not among the subjectAltName DNS names"
            ));
        }
        [_] => {}
        many => problems.push(format!("{} CN values", many.len())),
    }
    if f.organizations.is_empty() {
        problems.push("no O (organisation)".to_owned());
    }
    match f.countries.as_slice() {
        [c] if c == "FI" => {}
        [] => problems.push("no C (country)".to_owned()),
        other => problems.push(format!("C is {} (expected FI)", other.join(", "))),
    }
    if problems.is_empty() {
        Finding::pass(
            rule,
            format!(
                "CN {}, O {}, C=FI, DNS {}",
                f.common_names.join(""),
                f.organizations.join(", "),
                f.dns_names.join(", ")
            ),
        )
    } else {
        Finding::fail(rule, problems.join("; "))
    }
}
