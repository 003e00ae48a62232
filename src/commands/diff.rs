//! `tilicheck message diff NEW (--ledger FILE | --previous OLD) --out FILE`: the daily delta.

use crate::cli::{MessageDiffArgs, RunOptions};
use crate::commands::ledger::{ledger_error, ledger_path, open_existing};
use crate::commands::{CommandError, check_time, emit_report};
use crate::findings::{Finding, Report, Subject};
use crate::ledger::diff::{self, DiffError, DiffSummary};
use crate::profile::RuleId;

/// Vanished records named in the finding (the JSON report has the same; the rest are counted).
const LISTED: usize = 20;

pub fn run(a: &MessageDiffArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let diff_err = |e: DiffError| CommandError::Input(e.to_string());
    let mut subject = Subject::new("daily delta", a.new.display().to_string());
    let (baseline, expected_sender, what) = match &a.previous {
        Some(old) => {
            let (base, sender) = diff::baseline_of_export(old, profile).map_err(diff_err)?;
            (
                base,
                sender,
                format!("the earlier export {}", old.display()),
            )
        }
        None => {
            let path = ledger_path(&a.ledger, a.business_id.as_ref(), g.interface)?;
            let ledger = open_existing(&path, a.business_id.as_ref(), g.interface).map_err(
                |e| match e {
                    CommandError::Input(text) if !path.exists() => CommandError::Input(format!(
                        "{text}. For the first, full load send the export itself (message split, then send DIR --ledger); diff is for the days after"
                    )),
                    e => e,
                },
            )?;
            for m in ledger.in_flight().map_err(ledger_error)? {
                subject.findings.push(Finding::warn(
                    RuleId::SendSequential,
                    format!(
                        "{} (X-Correlation-ID {}, sent {}) was not answered 200 when its send stopped: the ledger does not count its records as acknowledged, so any of them new or changed are in this delta again",
                        m.file, m.correlation_id, m.sent_at
                    ),
                ).with_remedy("Harmless (the register stores the same values again), but settle it: run that send again (the file, or the directory of parts it belongs to) with `send --ledger`, which reuses its X-Correlation-ID."));
            }
            let base = ledger.baseline().map_err(ledger_error)?;
            (
                base,
                ledger.supplier().map_err(ledger_error)?,
                format!("the ledger {}", path.display()),
            )
        }
    };
    let s = diff::diff(
        &a.new,
        &baseline,
        expected_sender.as_deref(),
        &a.out,
        profile,
    )
    .map_err(diff_err)?;
    subject.summary.push(("compared with".into(), what));
    if baseline.is_empty() {
        subject.summary.push((
            "baseline".into(),
            "holds no records: everything is new (a first, full load)".into(),
        ));
    }
    for (section, c) in crate::message::section::Section::ALL
        .iter()
        .zip(s.counts.iter())
    {
        subject.summary.push((
            section.name().into(),
            format!(
                "{} new, {} changed, {} unchanged, {} vanished",
                c.new, c.changed, c.unchanged, c.vanished
            ),
        ));
    }
    subject.summary.push((
        "written".into(),
        format!(
            "{}: {} new or changed record{}{}",
            a.out.display(),
            s.written,
            if s.written == 1 { "" } else { "s" },
            if s.written == 0 {
                " (nothing to send today)"
            } else {
                ""
            }
        ),
    ));
    subject.findings.push(vanished_finding(&s));
    let mut report = Report::new("message diff", g.interface, check_time(g));
    report.subjects.push(subject);
    eprintln!(
        "tilicheck: wrote {} with {} new and {} changed records ({} unchanged left out); send it with `message split` and `send DIR --ledger`",
        a.out.display(),
        s.total().new,
        s.total().changed,
        s.total().unchanged
    );
    emit_report(&report, g)
}

fn vanished_finding(s: &DiffSummary) -> Finding {
    let n = s.vanished.len();
    if n == 0 {
        return Finding::pass(
            RuleId::DailyVanished,
            "every record of the baseline is in the export",
        );
    }
    let listed: Vec<String> = s
        .vanished
        .iter()
        .take(LISTED)
        .map(|(section, key)| format!("{} {key}", section.record_noun()))
        .collect();
    let ends: Vec<&str> = {
        let mut v: Vec<&str> = s.vanished.iter().map(|(sec, _)| sec.end_field()).collect();
        v.dedup();
        v.sort_unstable();
        v.dedup();
        v
    };
    Finding::violation(
        RuleId::DailyVanished,
        format!(
            "{n} record{} the register holds {} missing from the export, and an update cannot delete a record: the register keeps {} as last reported: {}{}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
            if n == 1 { "it" } else { "them" },
            listed.join(", "),
            if n > LISTED {
                format!(" and {} more", n - LISTED)
            } else {
                String::new()
            }
        ),
    )
    .with_remedy(format!(
        "Records are not deleted by omission: put each back in the export with its end ({}) and send it; keep ended records in the export.",
        ends.join("; ")
    ))
}
