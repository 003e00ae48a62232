//! The human report: grouped by subject, aligned, coloured on a terminal.

use std::fmt::Write;

use crate::findings::{Report, Status};
use crate::render::neutral;
use crate::time_arg::format_time;

struct Palette {
    on: bool,
}

impl Palette {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn status(&self, s: Status) -> String {
        let (label, code) = match s {
            Status::Pass => ("PASS ", "32"),
            Status::Warn => ("WARN ", "33"),
            Status::Skip => ("SKIP ", "2"),
            Status::Fail => ("FAIL ", "1;31"),
            Status::Error => ("ERROR", "1;35"),
        };
        self.paint(code, label)
    }

    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// Render the report as text.
pub fn render(report: &Report, color: bool) -> String {
    let p = Palette { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        p.bold(&format!(
            "tilicheck {} · {} · checked at {}",
            report.command,
            // The Vero commands judge the Tax Administration's certificate, not the register's.
            if report.command.starts_with("vero") {
                "Vero API certificate profile".to_owned()
            } else {
                format!("Account Register interface {}", report.interface.as_str())
            },
            format_time(report.checked_at)
        ))
    );
    let id_width = report
        .findings()
        .map(|(_, f)| f.rule.as_str().len())
        .max()
        .unwrap_or(0);

    for subject in &report.subjects {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}  {}",
            p.bold(&neutral::text(&subject.role)),
            neutral::text(&subject.input)
        );
        let label_width = subject
            .summary
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        for (label, value) in &subject.summary {
            let _ = writeln!(
                out,
                "  {:<label_width$}  {}",
                neutral::text(label),
                neutral::text(value)
            );
        }
        if !subject.summary.is_empty() {
            let _ = writeln!(out);
        }
        for table in &subject.tables {
            write_table(&mut out, table, &p);
        }
        let indent = " ".repeat(2 + 5 + 2 + id_width + 2);
        for f in &subject.findings {
            let _ = writeln!(
                out,
                "  {}  {:<id_width$}  {}",
                p.status(f.status),
                f.rule.as_str(),
                f.title()
            );
            let _ = writeln!(out, "{indent}{}", neutral::text(&f.detail));
            if let Some(a) = &f.assumption {
                let a = neutral::text(a);
                let _ = writeln!(out, "{indent}{}", p.dim(&format!("assumption: {a}")));
            }
            if let Some(r) = f.remedy() {
                let _ = writeln!(out, "{indent}fix: {}", neutral::text(r));
                let _ = writeln!(out, "{indent}{}", p.dim(&format!("source: {}", f.source())));
            }
        }
    }

    let t = report.tally();
    let _ = writeln!(out);
    if let Some(verdict) = report.data_quality_verdict() {
        let _ = writeln!(out, "{}", p.bold(&capitalised(&verdict)));
    }
    let _ = writeln!(
        out,
        "{} pass, {} warn, {} fail, {} skip, {} error",
        t.pass, t.warn, t.fail, t.skip, t.error
    );
    out
}

/// A table, columns padded to their widest cell (headers included).
fn write_table(out: &mut String, table: &crate::findings::Table, p: &Palette) {
    let _ = writeln!(out, "  {}", p.bold(&neutral::text(&table.title)));
    let headers: Vec<String> = table.columns.iter().map(|(_, h)| (*h).to_owned()).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| neutral::text(c).into_owned()).collect())
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            std::iter::once(&headers)
                .chain(rows.iter())
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut l = String::from("   ");
        for (i, c) in cells.iter().enumerate() {
            l.push(' ');
            l.push_str(c);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(c.chars().count()) + 1;
                l.push_str(&" ".repeat(pad));
            }
        }
        l.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", p.dim(&line(&headers)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    if rows.is_empty() {
        let _ = writeln!(out, "    (none)");
    }
    let _ = writeln!(out);
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
