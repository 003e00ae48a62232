//! One self-contained HTML page for any report (no external assets): the verdict on top, a
//! table of rules with status, value and remedy, and a timeline of every certificate's
//! validity against the check date (the go-live date with `--at`) and the renewal window.

use time::{Date, OffsetDateTime};

use crate::findings::{Outcome, Report, Status};
use crate::render::escape;
use crate::time_arg::format_date;

/// A certificate's validity, read from its subject's "Valid" summary line.
struct Bar {
    name: String,
    from: Date,
    to: Date,
}

fn parse_day(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, &f).ok()
}

fn bars(report: &Report) -> Vec<Bar> {
    report
        .subjects
        .iter()
        .filter_map(|s| {
            let (_, v) = s.summary.iter().find(|(k, _)| k == "Valid")?;
            let (a, b) = v.split_once(" → ")?;
            Some(Bar {
                name: format!("{} {}", s.role, s.input),
                from: parse_day(a.trim())?,
                to: parse_day(b.trim())?,
            })
        })
        .collect()
}

fn timeline(report: &Report) -> String {
    let bars = bars(report);
    if bars.is_empty() {
        return String::new();
    }
    // The renewal window is the profile's (CERT-VALIDITY warns from there on).
    let window = report.interface.profile().renewal_window_days.value;
    let at = report.checked_at.date();
    let today = OffsetDateTime::now_utc().date();
    let start = bars
        .iter()
        .map(|b| b.from)
        .chain([at, today])
        .min()
        .unwrap_or(at);
    let end = bars
        .iter()
        .map(|b| b.to)
        .chain([at, today])
        .max()
        .unwrap_or(at);
    let span = ((end - start).whole_days()).max(1) as f64;
    let x = |d: Date| 200.0 + 580.0 * ((d - start).whole_days() as f64 / span);
    let row_h = 28.0;
    let height = 44.0 + row_h * bars.len() as f64;
    let mut svg = format!(
        "<svg id=\"timeline\" viewBox=\"0 0 800 {height}\" width=\"100%\" role=\"img\" aria-label=\"certificate validity timeline\">"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 22.0 + row_h * i as f64;
        let renewal = b.to - time::Duration::days(window);
        let renewal = if renewal < b.from { b.from } else { renewal };
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.0}\" font-size=\"11\">{}</text>\
             <rect class=\"valid\" x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"16\" fill=\"#5a9\"><title>{} → {}</title></rect>\
             <rect class=\"renewal\" x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"16\" fill=\"#e93\"><title>renewal window from {}</title></rect>",
            y + 12.0,
            escape(&b.name.chars().take(32).collect::<String>()),
            x(b.from),
            y,
            (x(b.to) - x(b.from)).max(1.0),
            format_date_d(b.from),
            format_date_d(b.to),
            x(renewal),
            y,
            (x(b.to) - x(renewal)).max(1.0),
            format_date_d(renewal),
        ));
    }
    // Today's label under the bars, the check date's above them: they never overlap.
    for (d, label, color, text_y) in [
        (today, "today", "#333", height - 2.0),
        (at, "check date", "#c22", 10.0),
    ] {
        svg.push_str(&format!(
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"14\" y2=\"{1:.0}\" stroke=\"{color}\" stroke-dasharray=\"4 2\"/><text x=\"{0:.1}\" y=\"{2:.0}\" font-size=\"10\" fill=\"{color}\">{label} {3}</text>",
            x(d),
            height - 14.0,
            text_y,
            format_date_d(d),
        ));
    }
    svg.push_str("</svg>");
    format!(
        "<h2>Certificate timeline</h2><p>Green: valid; orange: the last {window} days, when renewal is due; dashed lines: today and the check date (the go-live date when given).</p>{svg}"
    )
}

fn format_date_d(d: Date) -> String {
    format_date(d.midnight().assume_utc())
}

pub fn render(report: &Report, strict: bool) -> String {
    let t = report.tally();
    let (verdict, class) = match report.outcome(strict) {
        Outcome::Passed => ("READY: every check passed", "pass"),
        Outcome::Failed => ("NOT READY: at least one check failed", "fail"),
        Outcome::Incomplete => ("INCOMPLETE: some checks could not run", "error"),
    };
    let mut rows = String::new();
    for (s, f) in report.findings() {
        let status = f.status.as_str();
        let remedy = match f.status {
            Status::Pass | Status::Skip => String::new(),
            _ => f.remedy().map(escape).unwrap_or_default(),
        };
        let assumption = f
            .assumption
            .as_deref()
            .map(|a| format!("<br><small>assumption: {}</small>", escape(a)))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr class=\"{status}\"><td>{}</td><td>{}<br><small>{}</small></td><td class=\"status\">{}</td><td>{}{assumption}</td><td>{remedy}</td></tr>\n",
            escape(&format!("{} {}", s.role, s.input)),
            f.rule.as_str(),
            escape(f.title()),
            status.to_uppercase(),
            escape(&f.detail),
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tilicheck {cmd} report</title>\
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}#verdict{{padding:1em;font-size:1.4em;border-radius:4px}}\
#verdict.pass{{background:#dfd}}#verdict.fail{{background:#fdd}}#verdict.error{{background:#ffd}}\
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:4px;vertical-align:top;text-align:left}}\
tr.fail td.status{{background:#f99}}tr.error td.status{{background:#fc6}}tr.warn td.status{{background:#ff9}}tr.pass td.status{{background:#9e9}}</style></head>\
<body><h1>tilicheck {cmd}</h1><p>Interface {iface} · checked at {at}</p>\
<div id=\"verdict\" class=\"{class}\">{verdict}<br><small>{pass} pass, {warn} warn, {fail} fail, {skip} skip, {error} error</small>{data_quality}</div>\
{timeline}<h2>Rules</h2><table id=\"rules\"><tr><th>Subject</th><th>Rule</th><th>Status</th><th>Value</th><th>Remedy</th></tr>\n{rows}</table></body></html>\n",
        data_quality = report
            .data_quality_verdict()
            .map(|v| format!("<p id=\"data-quality\">{}</p>", escape(&v)))
            .unwrap_or_default(),
        cmd = escape(report.command),
        iface = report.interface.as_str(),
        at = crate::time_arg::format_time(report.checked_at),
        pass = t.pass,
        warn = t.warn,
        fail = t.fail,
        skip = t.skip,
        error = t.error,
        timeline = timeline(report),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, Subject};
    use crate::profile::{Interface, RuleId};

    #[test]
    fn verdict_table_and_timeline() {
        let mut r = Report::new("readiness", Interface::V3, OffsetDateTime::UNIX_EPOCH);
        let mut s = Subject::new("certificate", "<a.pem>");
        s.summary.push((
            "Valid".into(),
            "1969-06-01 → 1971-01-01 (x days left)".into(),
        ));
        s.findings
            .push(Finding::fail(RuleId::CertValidity, "expired <soon>"));
        r.subjects.push(s);
        let html = render(&r, false);
        assert!(html.contains("NOT READY"));
        assert!(html.contains("&lt;a.pem&gt;") && !html.contains("<a.pem>"));
        assert!(html.contains("<svg id=\"timeline\"") && html.contains("class=\"renewal\""));
        assert!(html.contains("CERT-VALIDITY") && html.contains("expired &lt;soon&gt;"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        let xml = super::super::junit::render(&r);
        assert!(xml.contains("<failure message=\"expired &lt;soon&gt;\" type=\"CERT-VALIDITY\">"));
    }
}
