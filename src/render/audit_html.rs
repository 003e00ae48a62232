//! The audit as one self-contained HTML page: the table and an expiry timeline. No scripts,
//! no external resources, so it can be attached to a change ticket as it is.

use std::fmt::Write;

use time::Duration;

use crate::audit::{Audit, RowStatus};
use crate::render::audit::{AuditContext, lead_time_note};
use crate::render::escape;
use crate::time_arg::{format_date, format_time};

/// Rows drawn on the timeline (the most urgent ones); the table lists all.
const TIMELINE_ROWS: usize = 60;
/// The timeline's span after the check time.
const TIMELINE_DAYS: i64 = 3 * 365;

fn colour(s: RowStatus) -> &'static str {
    match s {
        RowStatus::Ok => "#2e7d32",
        RowStatus::Warn => "#ef6c00",
        RowStatus::Fail => "#c62828",
        RowStatus::Error => "#6a1b9a",
    }
}

pub fn html(audit: &Audit, ctx: &AuditContext) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tilicheck audit {}</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;width:100%}}\
th,td{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px;vertical-align:top}}\
th{{background:#f5f5f5}}.s{{font-weight:bold;color:#fff;padding:2px 6px;border-radius:3px}}\
.note{{color:#555;font-size:13px}}</style></head><body>\n",
        escape(&format_date(ctx.at))
    );
    let _ = writeln!(
        out,
        "<h1>Certificate audit</h1>\n<p>Checked at {} · warn under {} days · fail under {} days · {} ok, {} warn, {} fail, {} unreadable</p>",
        escape(&format_time(ctx.at)),
        ctx.warn_days,
        ctx.fail_days,
        audit.count(RowStatus::Ok),
        audit.count(RowStatus::Warn),
        audit.count(RowStatus::Fail),
        audit.count(RowStatus::Error)
    );
    timeline(&mut out, audit, ctx);
    let _ = writeln!(
        out,
        "<h2>All certificates</h2>\n<table id=\"audit\"><thead><tr><th>Status</th><th>Days left</th><th>Expires</th><th>Order by</th><th>Subject</th><th>ID</th><th>Failing rules</th><th>Files</th></tr></thead><tbody>"
    );
    for row in &audit.rows {
        let status = format!(
            "<span class=\"s\" style=\"background:{}\">{}</span>",
            colour(row.status),
            row.status.as_str().to_uppercase()
        );
        let files = escape(
            &row.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        );
        match &row.cert {
            Some(c) => {
                let rules: Vec<&str> = c.failing_rules.iter().map(|r| r.as_str()).collect();
                let _ = writeln!(
                    out,
                    "<tr><td>{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{files}</td></tr>",
                    c.days_left,
                    escape(&format_date(c.not_after)),
                    if c.is_ca {
                        "(CA)".to_owned()
                    } else {
                        escape(&format_date(c.order_by))
                    },
                    escape(&c.subject),
                    escape(c.identifier.as_deref().unwrap_or("")),
                    escape(&rules.join(" "))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<tr><td>{status}</td><td colspan=\"6\">{}</td><td>{files}</td></tr>",
                    escape(row.error.as_deref().unwrap_or(""))
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "</tbody></table>\n<p class=\"note\">{}</p>",
        escape(&lead_time_note(audit))
    );
    for (path, why) in &audit.passed_over {
        let _ = writeln!(
            out,
            "<p class=\"note\">Passed over {}: {}</p>",
            escape(&path.display().to_string()),
            escape(why)
        );
    }
    out.push_str("</body></html>\n");
    out
}

/// An SVG with one bar per certificate from the check time to its expiry, and a tick at the
/// order-by date.
fn timeline(out: &mut String, audit: &Audit, ctx: &AuditContext) {
    let certs: Vec<_> = audit
        .rows
        .iter()
        .filter_map(|r| r.cert.as_ref().map(|c| (r.status, c)))
        .take(TIMELINE_ROWS)
        .collect();
    if certs.is_empty() {
        return;
    }
    let (label_w, plot_w, row_h) = (260.0_f64, 640.0_f64, 18.0_f64);
    let height = row_h * certs.len() as f64 + 30.0;
    let span = TIMELINE_DAYS as f64;
    let x = |days: i64| label_w + (days.clamp(0, TIMELINE_DAYS) as f64 / span) * plot_w;
    let _ = writeln!(
        out,
        "<h2>Expiry timeline</h2>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"expiry timeline\">",
        label_w + plot_w + 20.0
    );
    for year in 0..=(TIMELINE_DAYS / 365) {
        let gx = x(year * 365);
        let date = format_date(ctx.at + Duration::days(year * 365));
        let _ = writeln!(
            out,
            "<line x1=\"{gx}\" y1=\"0\" x2=\"{gx}\" y2=\"{}\" stroke=\"#ccc\"/><text x=\"{gx}\" y=\"{}\" font-size=\"11\">{}</text>",
            height - 18.0,
            height - 5.0,
            escape(&date)
        );
    }
    for (i, (status, c)) in certs.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let end = x(c.days_left);
        let label = if c.common_name.is_empty() {
            &c.subject
        } else {
            &c.common_name
        };
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} expires {} ({} days)</title></rect>",
            y + 12.0,
            escape(&label.chars().take(36).collect::<String>()),
            (end - label_w).max(1.0),
            row_h - 4.0,
            colour(*status),
            escape(label),
            escape(&format_date(c.not_after)),
            c.days_left
        );
        if !c.is_ca {
            let ox = x((c.order_by - ctx.at).whole_days());
            let _ = writeln!(
                out,
                "<line x1=\"{ox}\" y1=\"{y}\" x2=\"{ox}\" y2=\"{}\" stroke=\"#000\" stroke-width=\"2\"><title>order by {}</title></line>",
                y + row_h - 4.0,
                escape(&format_date(c.order_by))
            );
        }
    }
    out.push_str("</svg>\n");
    if audit.rows.len() > TIMELINE_ROWS {
        let _ = writeln!(
            out,
            "<p class=\"note\">The timeline shows the {TIMELINE_ROWS} most urgent certificates; the table lists all.</p>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
