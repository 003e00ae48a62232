//! `audit --format openmetrics`: the audit as OpenMetrics text, for Prometheus via
//! node_exporter's textfile collector (`-o /var/lib/node_exporter/textfile/tilicheck.prom`).
//!
//! Only gauges, no sample timestamps and one series per label set, so that the same file is
//! also valid in the older Prometheus text format the textfile collector parses (`# UNIT`
//! and `# EOF` are comments there). Dates are Unix timestamps in seconds, so alerts compute
//! "time left" against `time()` instead of trusting a day count frozen at the last run.

use std::fmt::Write;

use crate::audit::{Audit, AuditRow, AuditedCert, RowStatus};
use crate::render::audit::AuditContext;
use crate::render::neutral::metric_label;

const PREFIX: &str = "tilicheck_certificate";

/// The statuses a certificate row can have, each one series (1 for the row's own, 0 else).
const STATUSES: [RowStatus; 3] = [RowStatus::Ok, RowStatus::Warn, RowStatus::Fail];

struct Family {
    name: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
}

const EXPIRY: Family = Family {
    name: "expiry_timestamp_seconds",
    unit: Some("seconds"),
    help: "The certificate's notAfter as a Unix timestamp.",
};
const ORDER_BY: Family = Family {
    name: "order_by_timestamp_seconds",
    unit: Some("seconds"),
    help: "The latest time to order a replacement so it reaches Customs in time (end-entity certificates only).",
};
const DAYS_LEFT: Family = Family {
    name: "days_to_expiry",
    unit: None,
    help: "Whole days from the check time to notAfter (negative once expired).",
};
const STATUS: Family = Family {
    name: "status",
    unit: None,
    help: "The audit verdict: 1 on the series whose status label is the certificate's, 0 on the others.",
};

pub fn openmetrics(audit: &Audit, ctx: &AuditContext) -> String {
    let certs: Vec<(&AuditRow, &AuditedCert)> = audit
        .rows
        .iter()
        .filter_map(|row| row.cert.as_ref().map(|c| (row, c)))
        .collect();
    let mut out = String::new();
    family(&mut out, &EXPIRY, &certs, |_, c| {
        vec![(None, c.not_after.unix_timestamp())]
    });
    family(&mut out, &ORDER_BY, &certs, |_, c| {
        if c.is_ca {
            Vec::new()
        } else {
            vec![(None, c.order_by.unix_timestamp())]
        }
    });
    family(&mut out, &DAYS_LEFT, &certs, |_, c| {
        vec![(None, c.days_left)]
    });
    family(&mut out, &STATUS, &certs, |row, _| {
        STATUSES
            .iter()
            .map(|&s| (Some(s.as_str()), i64::from(row.status == s)))
            .collect()
    });

    header(
        &mut out,
        "tilicheck_audit_unreadable_files",
        None,
        "Files under the audited paths that could not be read as certificates.",
    );
    let unreadable = audit
        .rows
        .iter()
        .filter(|r| r.status == RowStatus::Error)
        .count();
    let _ = writeln!(out, "tilicheck_audit_unreadable_files {unreadable}");
    header(
        &mut out,
        "tilicheck_audit_check_timestamp_seconds",
        Some("seconds"),
        "The check time the verdicts were computed for (--at, or when the audit ran).",
    );
    let _ = writeln!(
        out,
        "tilicheck_audit_check_timestamp_seconds {}",
        ctx.at.unix_timestamp()
    );
    header(
        &mut out,
        "tilicheck_audit_warn_days",
        None,
        "The --warn-days threshold the statuses were judged with.",
    );
    let _ = writeln!(out, "tilicheck_audit_warn_days {}", ctx.warn_days);
    header(
        &mut out,
        "tilicheck_audit_fail_days",
        None,
        "The --fail-days threshold the statuses were judged with.",
    );
    let _ = writeln!(out, "tilicheck_audit_fail_days {}", ctx.fail_days);
    out.push_str("# EOF\n");
    out
}

/// One metric family: its metadata, then a sample per certificate (and per extra label value).
fn family(
    out: &mut String,
    f: &Family,
    certs: &[(&AuditRow, &AuditedCert)],
    samples: impl Fn(&AuditRow, &AuditedCert) -> Vec<(Option<&'static str>, i64)>,
) {
    let name = format!("{PREFIX}_{}", f.name);
    header(out, &name, f.unit, f.help);
    for (row, cert) in certs {
        let labels = labels(row, cert);
        for (status, value) in samples(row, cert) {
            match status {
                Some(s) => {
                    let _ = writeln!(out, "{name}{{{labels},status=\"{s}\"}} {value}");
                }
                None => {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
    }
}

fn header(out: &mut String, name: &str, unit: Option<&str>, help: &str) {
    let _ = writeln!(out, "# TYPE {name} gauge");
    if let Some(unit) = unit {
        let _ = writeln!(out, "# UNIT {name} {unit}");
    }
    let _ = writeln!(out, "# HELP {name} {help}");
}

/// The labels that name one certificate. The SHA-256 fingerprint keeps two certificates with
/// the same subject, serial and issuer (a re-issue with a reused serial) apart.
fn labels(row: &AuditRow, c: &AuditedCert) -> String {
    let subject = if c.common_name.is_empty() {
        &c.subject
    } else {
        &c.common_name
    };
    let file = row
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(";");
    format!(
        "subject=\"{}\",identifier=\"{}\",serial=\"{}\",issuer=\"{}\",file=\"{}\",sha256=\"{}\"",
        metric_label(subject),
        metric_label(c.identifier.as_deref().unwrap_or("")),
        metric_label(&c.serial),
        metric_label(&c.issuer),
        metric_label(&file),
        metric_label(&c.sha256),
    )
}
