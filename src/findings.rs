//! Findings, the one currency between checks and renderers, and the report that groups them.

use serde::Serialize;
use time::OffsetDateTime;

use crate::profile::catalogue::Enforcement;
use crate::profile::{Interface, RuleId};

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Acceptable today, but something needs attention (renewal window, an unconfirmed rule).
    Warn,
    /// Not applicable to this input, or could not be judged offline. Never a pass.
    Skip,
    Fail,
    /// The check could not run (network, I/O, unreadable input).
    Error,
}

impl Subject {
    /// Does any finding fail or stand in error?
    pub fn has_fail(&self) -> bool {
        self.findings
            .iter()
            .any(|f| matches!(f.status, Status::Fail | Status::Error))
    }
}

impl Status {
    /// The status a finding gets when a rule of this enforcement is broken.
    pub fn violation(enforcement: Enforcement) -> Status {
        match enforcement {
            Enforcement::Enforced => Status::Fail,
            Enforcement::DataQuality => Status::Warn,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Skip => "skip",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// One check's result about one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub status: Status,
    /// What was observed, with the actual value.
    pub detail: String,
    /// A remedy specific to what was found; the catalogue's remedy otherwise.
    pub remedy: Option<String>,
    /// Set when the verdict rests on a value the sources do not confirm.
    pub assumption: Option<String>,
}

impl Finding {
    pub fn new(rule: RuleId, status: Status, detail: impl Into<String>) -> Self {
        Finding {
            rule,
            status,
            detail: detail.into(),
            remedy: None,
            assumption: None,
        }
    }

    pub fn pass(rule: RuleId, detail: impl Into<String>) -> Self {
        Self::new(rule, Status::Pass, detail)
    }
    pub fn warn(rule: RuleId, detail: impl Into<String>) -> Self {
        Self::new(rule, Status::Warn, detail)
    }
    /// A failure of an enforced rule. A data-quality rule is never failed directly: use
    /// [`Finding::violation`], whose status the catalogue decides.
    pub fn fail(rule: RuleId, detail: impl Into<String>) -> Self {
        debug_assert_eq!(
            rule.enforcement(),
            Enforcement::Enforced,
            "{rule} is data quality: report it with Finding::violation"
        );
        Self::new(rule, Status::Fail, detail)
    }
    /// `rule` is broken: a failure if the register enforces it, a warning if it is data
    /// quality the register is not known to check (the catalogue says which).
    pub fn violation(rule: RuleId, detail: impl Into<String>) -> Self {
        Self::new(rule, Status::violation(rule.enforcement()), detail)
    }
    pub fn skip(rule: RuleId, detail: impl Into<String>) -> Self {
        Self::new(rule, Status::Skip, detail)
    }
    pub fn error(rule: RuleId, detail: impl Into<String>) -> Self {
        Self::new(rule, Status::Error, detail)
    }

    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    pub fn with_assumption(mut self, assumption: Option<String>) -> Self {
        self.assumption = assumption;
        self
    }

    pub fn title(&self) -> &'static str {
        self.rule.rule().title
    }

    pub fn source(&self) -> &'static str {
        self.rule.rule().source
    }

    /// The remedy to show: none for a pass or skip.
    pub fn remedy(&self) -> Option<&str> {
        match self.status {
            Status::Pass | Status::Skip => None,
            _ => Some(self.remedy.as_deref().unwrap_or(self.rule.rule().remedy)),
        }
    }
}

/// What a group of findings is about: a certificate in a role, an endpoint, a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The role, e.g. "TLS certificate", "signing certificate".
    pub role: String,
    /// Which input, e.g. the file name.
    pub input: String,
    /// Facts a person reads first, as label/value pairs.
    pub summary: Vec<(String, String)>,
    /// The facts as typed values, for the JSON report (the summary renders them as text).
    pub facts: Option<SubjectFacts>,
    /// Facts with rows (a trusted list's services), after the summary.
    pub tables: Vec<Table>,
    pub findings: Vec<Finding>,
}

/// A table of facts: named columns, rows of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    /// (JSON key, column header).
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<String>>,
}

/// Typed facts a subject carries into the JSON report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectFacts {
    /// What a TLS endpoint negotiates (`tilicheck tls`).
    Endpoint(Box<crate::tls::report::EndpointView>),
}

impl Subject {
    pub fn new(role: impl Into<String>, input: impl Into<String>) -> Self {
        Subject {
            role: role.into(),
            input: input.into(),
            summary: Vec::new(),
            facts: None,
            tables: Vec::new(),
            findings: Vec::new(),
        }
    }

    pub fn worst(&self) -> Option<Status> {
        self.findings
            .iter()
            .map(|f| f.status)
            .max_by_key(|s| severity(*s))
    }
}

/// A whole run's findings.
#[derive(Clone, Debug)]
pub struct Report {
    pub command: &'static str,
    pub interface: Interface,
    pub checked_at: OffsetDateTime,
    pub subjects: Vec<Subject>,
}

/// Counts per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub pass: usize,
    pub warn: usize,
    pub skip: usize,
    pub fail: usize,
    pub error: usize,
}

/// How a report ends the process. See `docs/exit-codes.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything judged passed (warnings and skips allowed unless strict).
    Passed,
    /// At least one check failed (or warned, under `--strict`).
    Failed,
    /// No check failed, but at least one could not run.
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::Incomplete => 3,
        }
    }
}

/// Worst first when sorting by severity: fail beats error beats warn beats skip beats pass.
fn severity(s: Status) -> u8 {
    match s {
        Status::Pass => 0,
        Status::Skip => 1,
        Status::Warn => 2,
        Status::Error => 3,
        Status::Fail => 4,
    }
}

impl Report {
    pub fn new(command: &'static str, interface: Interface, checked_at: OffsetDateTime) -> Self {
        Report {
            command,
            interface,
            checked_at,
            subjects: Vec::new(),
        }
    }

    pub fn findings(&self) -> impl Iterator<Item = (&Subject, &Finding)> {
        self.subjects
            .iter()
            .flat_map(|s| s.findings.iter().map(move |f| (s, f)))
    }

    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for (_, f) in self.findings() {
            match f.status {
                Status::Pass => t.pass += 1,
                Status::Warn => t.warn += 1,
                Status::Skip => t.skip += 1,
                Status::Fail => t.fail += 1,
                Status::Error => t.error += 1,
            }
        }
        t
    }

    /// Nothing failed, but data-quality rules warned: say plainly that the register would take
    /// it anyway, and which rules found the values that look wrong.
    pub fn data_quality_verdict(&self) -> Option<String> {
        let t = self.tally();
        if t.fail > 0 || t.error > 0 {
            return None;
        }
        let mut rules: Vec<RuleId> = self
            .findings()
            .filter(|(_, f)| {
                f.status == Status::Warn && f.rule.enforcement() == Enforcement::DataQuality
            })
            .map(|(_, f)| f.rule)
            .collect();
        let count = rules.len();
        if count == 0 {
            return None;
        }
        rules.sort();
        rules.dedup();
        let names: Vec<&str> = rules.iter().map(|r| r.as_str()).collect();
        Some(format!(
            "the register would accept this; these values look wrong: {count} {} warning(s) on data the register is not known to check (--strict makes them failures)",
            names.join(", ")
        ))
    }

    /// A failure is the most useful answer, so it decides over an error elsewhere.
    pub fn outcome(&self, strict: bool) -> Outcome {
        let t = self.tally();
        if t.fail > 0 || (strict && t.warn > 0) {
            Outcome::Failed
        } else if t.error > 0 {
            Outcome::Incomplete
        } else {
            Outcome::Passed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(statuses: &[Status]) -> Report {
        let mut r = Report::new("cert", Interface::V3, OffsetDateTime::UNIX_EPOCH);
        let mut s = Subject::new("certificate", "x.pem");
        s.findings = statuses
            .iter()
            .map(|st| Finding::new(RuleId::CertX509V3, *st, "x"))
            .collect();
        r.subjects.push(s);
        r
    }

    #[test]
    fn outcome_maps_statuses_to_exit_codes() {
        use Status::*;
        assert_eq!(report(&[Pass, Skip]).outcome(false).exit_code(), 0);
        assert_eq!(report(&[Pass, Warn]).outcome(false).exit_code(), 0);
        assert_eq!(report(&[Pass, Warn]).outcome(true).exit_code(), 1);
        assert_eq!(report(&[Pass, Fail, Error]).outcome(false).exit_code(), 1);
        assert_eq!(report(&[Pass, Error]).outcome(false).exit_code(), 3);
    }

    #[test]
    fn remedy_only_for_problems() {
        let pass = Finding::pass(RuleId::CertX509V3, "v3");
        assert_eq!(pass.remedy(), None);
        let fail = Finding::fail(RuleId::CertX509V3, "v1");
        assert_eq!(fail.remedy(), Some(RuleId::CertX509V3.rule().remedy));
        let custom = Finding::fail(RuleId::CertX509V3, "v1").with_remedy("do this");
        assert_eq!(custom.remedy(), Some("do this"));
    }

    #[test]
    fn a_broken_rule_fails_or_warns_as_the_catalogue_says() {
        assert_eq!(
            Finding::violation(RuleId::MsgSchema, "x").status,
            Status::Fail
        );
        assert_eq!(
            Finding::violation(RuleId::MsgQuality, "x").status,
            Status::Warn
        );
    }

    #[test]
    fn data_quality_warnings_alone_say_the_register_would_accept() {
        let mut r = Report::new(
            "message validate",
            Interface::V3,
            OffsetDateTime::UNIX_EPOCH,
        );
        let mut s = Subject::new("message", "m.json");
        s.findings.push(Finding::pass(RuleId::MsgSchema, "valid"));
        s.findings
            .push(Finding::violation(RuleId::MsgQuality, "birthDate"));
        s.findings
            .push(Finding::violation(RuleId::MsgQuality, "IBAN"));
        r.subjects.push(s);
        let verdict = r.data_quality_verdict().expect("a verdict");
        assert!(
            verdict.starts_with(
                "the register would accept this; these values look wrong: 2 MSG-QUALITY"
            ),
            "{verdict}"
        );
        assert_eq!(r.outcome(false), Outcome::Passed);
        assert_eq!(r.outcome(true), Outcome::Failed);
        // A failure anywhere: no such comfort.
        r.subjects[0]
            .findings
            .push(Finding::fail(RuleId::MsgSize, "too big"));
        assert_eq!(r.data_quality_verdict(), None);
        // Warnings of enforced rules (a renewal window) are not data quality.
        assert_eq!(report(&[Status::Warn]).data_quality_verdict(), None);
    }

    #[test]
    fn worst_status_of_a_subject() {
        let r = report(&[Status::Pass, Status::Warn, Status::Skip]);
        assert_eq!(r.subjects[0].worst(), Some(Status::Warn));
    }
}
