//! The JSON report. Its shape is documented in `docs/report.schema.json`; keep them in step.

use serde::Serialize;

use crate::findings::{Outcome, Report, Status, SubjectFacts, Tally};
use crate::profile::catalogue::Enforcement;
use crate::time_arg::format_time;

/// Version of the report shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'static str,
    schema_version: u32,
    command: &'static str,
    interface: &'static str,
    checked_at: String,
    outcome: &'static str,
    exit_code: u8,
    tally: Tally,
    /// Set when nothing failed but data-quality rules warned.
    register_verdict: Option<String>,
    subjects: Vec<JsonSubject<'a>>,
    findings: Vec<JsonFinding<'a>>,
    /// Set when the command could not run at all (outcome "error").
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    /// "usage" (the arguments do not fit together) or "input" (an input could not be read, or
    /// the output could not be written).
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSubject<'a> {
    role: &'a str,
    input: &'a str,
    status: Option<Status>,
    summary: Vec<SummaryItem<'a>>,
    /// The endpoint's typed facts (`tls`, `readiness`, `demo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<&'a crate::tls::report::EndpointView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tables: Vec<JsonTable<'a>>,
}

/// A table: its rows as objects keyed by column.
#[derive(Serialize)]
struct JsonTable<'a> {
    title: &'a str,
    rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

fn table(t: &crate::findings::Table) -> JsonTable<'_> {
    JsonTable {
        title: &t.title,
        rows: t
            .rows
            .iter()
            .map(|r| {
                t.columns
                    .iter()
                    .zip(r)
                    .map(|((key, _), v)| ((*key).to_owned(), serde_json::Value::from(v.as_str())))
                    .collect()
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct SummaryItem<'a> {
    label: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'static str,
    status: Status,
    enforcement: Enforcement,
    subject: &'a str,
    input: &'a str,
    title: &'static str,
    detail: &'a str,
    source: &'static str,
    remedy: Option<&'a str>,
    assumption: Option<&'a str>,
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pass",
        Outcome::Failed => "fail",
        Outcome::Incomplete => "incomplete",
    }
}

/// Render the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report, strict: bool) -> String {
    let outcome = report.outcome(strict);
    let doc = JsonReport {
        tool: "tilicheck",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        command: report.command,
        interface: report.interface.as_str(),
        checked_at: format_time(report.checked_at),
        outcome: outcome_name(outcome),
        exit_code: outcome.exit_code(),
        tally: report.tally(),
        register_verdict: report.data_quality_verdict(),
        subjects: report
            .subjects
            .iter()
            .map(|s| JsonSubject {
                role: &s.role,
                input: &s.input,
                status: s.worst(),
                summary: s
                    .summary
                    .iter()
                    .map(|(label, value)| SummaryItem { label, value })
                    .collect(),
                endpoint: match &s.facts {
                    Some(SubjectFacts::Endpoint(view)) => Some(view),
                    None => None,
                },
                tables: s.tables.iter().map(table).collect(),
            })
            .collect(),
        findings: report
            .findings()
            .map(|(s, f)| JsonFinding {
                id: f.rule.as_str(),
                status: f.status,
                enforcement: f.rule.enforcement(),
                subject: &s.role,
                input: &s.input,
                title: f.title(),
                detail: &f.detail,
                source: f.source(),
                remedy: f.remedy(),
                assumption: f.assumption.as_deref(),
            })
            .collect(),
        error: None,
    };
    finish(&doc)
}

/// The report of a command that could not run (an unreadable input, arguments that do not fit):
/// a CI job parsing standard output still gets a document, with outcome "error" and the reason.
pub fn error_report(
    command: &'static str,
    interface: crate::profile::Interface,
    checked_at: time::OffsetDateTime,
    error: &crate::error::CommandError,
) -> String {
    let message = error.to_string();
    let doc = JsonReport {
        tool: "tilicheck",
        version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        command,
        interface: interface.as_str(),
        checked_at: format_time(checked_at),
        outcome: "error",
        register_verdict: None,
        exit_code: error.exit_code(),
        tally: Tally::default(),
        subjects: Vec::new(),
        findings: Vec::new(),
        error: Some(JsonError {
            kind: match error {
                crate::error::CommandError::Usage(_) => "usage",
                crate::error::CommandError::Input(_) => "input",
                crate::error::CommandError::Rejected(_) => "rejected",
            },
            message: &message,
        }),
    };
    finish(&doc)
}

fn finish(doc: &JsonReport<'_>) -> String {
    // Serialising plain strings and numbers cannot fail.
    let mut s =
        serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
