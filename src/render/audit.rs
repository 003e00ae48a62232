//! Audit output: a table sorted by urgency, CSV, JSON. HTML is in `audit_html`.

use std::fmt::Write;

use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{Audit, AuditRow, RowStatus};
use crate::render::neutral;
use crate::time_arg::{format_date, format_time};

/// The thresholds the statuses were judged with, for the headers.
pub struct AuditContext {
    pub at: OffsetDateTime,
    pub warn_days: i64,
    pub fail_days: i64,
}

fn rule_list(row: &AuditRow) -> String {
    row.cert.as_ref().map_or_else(String::new, |c| {
        c.failing_rules
            .iter()
            .map(|r| r.as_str().to_owned())
            .chain(c.warning_rules.iter().map(|r| format!("{r} (warn)")))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn paths(row: &AuditRow) -> String {
    row.paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lead-time explanation shared by the text and HTML output.
pub fn lead_time_note(audit: &Audit) -> String {
    let parts: Vec<String> = audit
        .lead_times
        .iter()
        .map(|l| format!("{} days ({})", l.value, l.source))
        .collect();
    format!("Order by = expiry − {}", parts.join(" − "))
}

pub fn text(audit: &Audit, ctx: &AuditContext, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let header = [
        "STATUS", "DAYS", "EXPIRES", "ORDER BY", "SUBJECT", "ID", "RULES", "FILE",
    ];
    let mut table: Vec<[String; 8]> = Vec::with_capacity(audit.rows.len());
    for row in &audit.rows {
        let status = row.status.as_str().to_uppercase();
        match &row.cert {
            Some(c) => table.push([
                status,
                c.days_left.to_string(),
                format_date(c.not_after),
                if c.is_ca {
                    "(CA)".into()
                } else {
                    format_date(c.order_by)
                },
                if c.common_name.is_empty() {
                    c.subject.clone()
                } else {
                    c.common_name.clone()
                },
                c.identifier.clone().unwrap_or_else(|| "-".into()),
                rule_list(row),
                paths(row),
            ]),
            None => table.push([
                status,
                String::new(),
                String::new(),
                String::new(),
                row.error.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                paths(row),
            ]),
        }
    }
    // Every cell may come from a certificate or a file name: shown, never acted on.
    for r in &mut table {
        for cell in r.iter_mut() {
            if let std::borrow::Cow::Owned(safe) = neutral::text(cell) {
                *cell = safe;
            }
        }
    }
    let mut widths = header.map(str::len);
    for r in &table {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tilicheck audit · checked at {} · warn under {} days, fail under {} days\n",
        format_time(ctx.at),
        ctx.warn_days,
        ctx.fail_days
    );
    let line = |cells: &[String; 8], out: &mut String, code: Option<&str>| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let last = i + 1 == cells.len();
            let pad = if last {
                0
            } else {
                w.saturating_sub(cell.chars().count())
            };
            let text = if i == 0 {
                code.map_or_else(|| cell.clone(), |c| paint(c, cell))
            } else {
                cell.clone()
            };
            l.push_str(&text);
            if !last {
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(&header.map(str::to_owned), &mut out, Some("1"));
    for (r, row) in table.iter().zip(&audit.rows) {
        let code = match row.status {
            RowStatus::Ok => "32",
            RowStatus::Warn => "33",
            RowStatus::Fail => "1;31",
            RowStatus::Error => "1;35",
        };
        line(r, &mut out, Some(code));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", lead_time_note(audit));
    for (path, why) in &audit.passed_over {
        let _ = writeln!(
            out,
            "passed over {}: {}",
            neutral::text(&path.display().to_string()),
            neutral::text(why)
        );
    }
    let _ = writeln!(
        out,
        "{} certificates from {} files: {} ok, {} warn, {} fail, {} unreadable",
        audit.rows.iter().filter(|r| r.cert.is_some()).count(),
        audit.files_read,
        audit.count(RowStatus::Ok),
        audit.count(RowStatus::Warn),
        audit.count(RowStatus::Fail),
        audit.count(RowStatus::Error)
    );
    out
}

pub const CSV_HEADER: &str = "status,days_left,not_after,order_by,common_name,identifier,issuer,is_ca,sha256,failing_rules,warning_rules,paths,error";

pub fn csv(audit: &Audit) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for row in &audit.rows {
        let rules = |v: &[crate::profile::RuleId]| {
            v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ")
        };
        let fields: Vec<String> = match &row.cert {
            Some(c) => vec![
                row.status.as_str().into(),
                c.days_left.to_string(),
                format_time(c.not_after),
                format_date(c.order_by),
                c.common_name.clone(),
                c.identifier.clone().unwrap_or_default(),
                c.issuer.clone(),
                c.is_ca.to_string(),
                c.sha256.clone(),
                rules(&c.failing_rules),
                rules(&c.warning_rules),
                row.paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
                String::new(),
            ],
            None => {
                let mut v = vec![row.status.as_str().to_owned()];
                v.extend(std::iter::repeat_n(String::new(), 10));
                v.push(
                    row.paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(";"),
                );
                v.push(row.error.clone().unwrap_or_default());
                v
            }
        };
        out.push_str(
            &fields
                .iter()
                .map(|f| neutral::csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[derive(Serialize)]
struct JsonAudit<'a> {
    tool: &'static str,
    version: &'static str,
    command: &'static str,
    checked_at: String,
    warn_days: i64,
    fail_days: i64,
    exit_code: u8,
    lead_times: Vec<JsonLead>,
    counts: JsonCounts,
    rows: Vec<JsonRow<'a>>,
    passed_over: Vec<JsonPassed>,
}

#[derive(Serialize)]
struct JsonLead {
    days: i64,
    source: &'static str,
}

#[derive(Serialize)]
struct JsonCounts {
    ok: usize,
    warn: usize,
    fail: usize,
    error: usize,
    files_read: usize,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    status: RowStatus,
    paths: Vec<String>,
    days_left: Option<i64>,
    not_after: Option<String>,
    order_by: Option<String>,
    subject: Option<&'a str>,
    common_name: Option<&'a str>,
    identifier: Option<&'a str>,
    issuer: Option<&'a str>,
    is_ca: Option<bool>,
    sha256: Option<&'a str>,
    failing_rules: Vec<&'static str>,
    warning_rules: Vec<&'static str>,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonPassed {
    path: String,
    reason: String,
}

pub fn json(audit: &Audit, ctx: &AuditContext, strict: bool) -> String {
    let doc = JsonAudit {
        tool: "tilicheck",
        version: env!("CARGO_PKG_VERSION"),
        command: "audit",
        checked_at: format_time(ctx.at),
        warn_days: ctx.warn_days,
        fail_days: ctx.fail_days,
        exit_code: audit.exit_code(strict),
        lead_times: audit
            .lead_times
            .iter()
            .map(|l| JsonLead {
                days: l.value,
                source: l.source,
            })
            .collect(),
        counts: JsonCounts {
            ok: audit.count(RowStatus::Ok),
            warn: audit.count(RowStatus::Warn),
            fail: audit.count(RowStatus::Fail),
            error: audit.count(RowStatus::Error),
            files_read: audit.files_read,
        },
        rows: audit
            .rows
            .iter()
            .map(|r| {
                let c = r.cert.as_ref();
                JsonRow {
                    status: r.status,
                    paths: r.paths.iter().map(|p| p.display().to_string()).collect(),
                    days_left: c.map(|c| c.days_left),
                    not_after: c.map(|c| format_time(c.not_after)),
                    order_by: c.map(|c| format_date(c.order_by)),
                    subject: c.map(|c| c.subject.as_str()),
                    common_name: c.map(|c| c.common_name.as_str()),
                    identifier: c.and_then(|c| c.identifier.as_deref()),
                    issuer: c.map(|c| c.issuer.as_str()),
                    is_ca: c.map(|c| c.is_ca),
                    sha256: c.map(|c| c.sha256.as_str()),
                    failing_rules: c.map_or_else(Vec::new, |c| {
                        c.failing_rules.iter().map(|r| r.as_str()).collect()
                    }),
                    warning_rules: c.map_or_else(Vec::new, |c| {
                        c.warning_rules.iter().map(|r| r.as_str()).collect()
                    }),
                    error: r.error.as_deref(),
                }
            })
            .collect(),
        passed_over: audit
            .passed_over
            .iter()
            .map(|(p, why)| JsonPassed {
                path: p.display().to_string(),
                reason: why.clone(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
