//! Content warnings: findings of the data-quality rules (check digits, contradicting dates,
//! records older than the register wants) that the register is not known to refuse. The
//! simulator accepts such a message, as the register would, records the warnings with it and
//! shows them on the inspection page; under `--strict-content` it refuses the message instead.

use serde::{Deserialize, Serialize};

use super::answers::Problem;
use crate::findings::{Finding, Status};
use crate::profile::catalogue::Enforcement;

/// What to do with a message whose only faults are content warnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContentPolicy {
    /// Accept it as the register would, and record the warnings (the default).
    #[default]
    Record,
    /// Answer 400 naming the warnings (`serve --strict-content`), for suppliers who want their
    /// data clean before the register sees it.
    Reject,
}

/// One content warning, as stored with a message and shown by the inspection view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentWarning {
    pub rule: String,
    /// Where in the report and what looks wrong (`/legalPersons/…/birthDate: …`).
    pub detail: String,
}

/// The content warnings among `findings`: data-quality findings that warn (or fail, when
/// `--strict-content` made them failures).
pub fn warnings(findings: &[Finding]) -> Vec<ContentWarning> {
    findings
        .iter()
        .filter(|f| {
            f.rule.enforcement() == Enforcement::DataQuality
                && matches!(f.status, Status::Warn | Status::Fail)
        })
        .map(|f| ContentWarning {
            rule: f.rule.as_str().to_owned(),
            detail: f.detail.clone(),
        })
        .collect()
}

fn is_content_warning(f: &Finding) -> bool {
    f.status == Status::Warn && f.rule.enforcement() == Enforcement::DataQuality
}

/// The warnings as the database column holds them (a JSON array).
pub fn to_column(warnings: &[ContentWarning]) -> String {
    serde_json::to_string(warnings).unwrap_or_else(|_| "[]".into())
}

/// The database column back as warnings; a column the simulator did not write reads as none.
pub fn from_column(text: &str) -> Vec<ContentWarning> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Under `--strict-content`: turn the content warnings in `findings` into failures and give the
/// 400 that names them, or `None` when there are none.
pub fn strict_refusal(claim: &str, findings: &mut [Finding]) -> Option<Problem> {
    let mut field_errors = Vec::new();
    for f in findings.iter_mut().filter(|f| is_content_warning(f)) {
        f.status = Status::Fail;
        f.detail
            .push_str(" (refused under --strict-content; the register is not known to check this)");
        field_errors.push(super::message_judge::field_error(f));
    }
    if field_errors.is_empty() {
        return None;
    }
    Some(Problem::BadRequest {
        message: format!(
            "{claim} has {} content warning(s), refused because this simulator runs with --strict-content; the register itself would accept them",
            field_errors.len()
        ),
        object_errors: Vec::new(),
        field_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::RuleId;

    #[test]
    fn only_data_quality_warnings_count() {
        let mut findings = vec![
            Finding::violation(RuleId::MsgQuality, "/a: check digit"),
            Finding::warn(RuleId::SendSequential, "sent early"),
            Finding::pass(RuleId::MsgSchema, "valid"),
        ];
        let w = warnings(&findings);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].rule, "MSG-QUALITY");
        assert_eq!(from_column(&to_column(&w)), w);
        assert_eq!(from_column("not json"), vec![]);

        let problem = strict_refusal("reportUpdate", &mut findings).expect("refused");
        assert_eq!(findings[0].status, Status::Fail);
        assert_eq!(findings[1].status, Status::Warn);
        assert_eq!(
            warnings(&findings).len(),
            1,
            "still recorded as content warnings"
        );
        let Problem::BadRequest { field_errors, .. } = problem else {
            panic!("{problem:?}")
        };
        assert_eq!(field_errors.len(), 1);
        assert!(strict_refusal("reportUpdate", &mut findings).is_none());
    }
}
