//! JUnit XML for CI dashboards: one test suite per subject, one test case per finding.
//! Fail is a `<failure>`, error an `<error>`, skip `<skipped>`; a warning passes with the
//! detail in `<system-out>`.

use crate::findings::{Report, Status};
use crate::render::escape;
use crate::time_arg::format_time;

pub fn render(report: &Report) -> String {
    let t = report.tally();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tilicheck {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" timestamp=\"{}\">\n",
        escape(report.command),
        t.pass + t.warn + t.skip + t.fail + t.error,
        t.fail,
        t.error,
        t.skip,
        format_time(report.checked_at),
    ));
    for s in &report.subjects {
        let count = |st: Status| s.findings.iter().filter(|f| f.status == st).count();
        let suite = format!("{} {}", s.role, s.input);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            escape(&suite),
            s.findings.len(),
            count(Status::Fail),
            count(Status::Error),
            count(Status::Skip),
        ));
        for f in &s.findings {
            let mut body = escape(&f.detail);
            if let Some(r) = f.remedy() {
                body.push_str(&format!("\nfix: {}", escape(r)));
            }
            if let Some(a) = &f.assumption {
                body.push_str(&format!("\nassumption: {}", escape(a)));
            }
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}\">",
                escape(&suite),
                f.rule.as_str(),
                escape(f.title()),
            ));
            let msg = escape(&f.detail);
            match f.status {
                Status::Pass => out.push_str(&format!("<system-out>{body}</system-out>")),
                Status::Warn => {
                    out.push_str(&format!("<system-out>WARN: {body}</system-out>"));
                }
                Status::Skip => out.push_str(&format!("<skipped message=\"{msg}\"/>")),
                Status::Fail => out.push_str(&format!(
                    "<failure message=\"{msg}\" type=\"{}\">{body}</failure>",
                    f.rule.as_str()
                )),
                Status::Error => out.push_str(&format!(
                    "<error message=\"{msg}\" type=\"{}\">{body}</error>",
                    f.rule.as_str()
                )),
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
