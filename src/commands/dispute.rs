//! `tilicheck message dispute KEY… --ledger FILE [--incorrect] [--cancel] --out DIR`: the §4.3
//! reports for records the register acknowledged, each naming the X-Correlation-ID of the
//! update that reported the record, as the ledger remembers it. Nothing is written unless
//! every key is a record the ledger holds and the change is one §4.3 allows.

use std::path::Path;

use crate::cli::{MessageDisputeArgs, RunOptions};
use crate::commands::ledger::{ledger_error, ledger_path, open_existing};
use crate::commands::{CommandError, check_time, emit_report};
use crate::findings::{Finding, Report, Status, Subject};
use crate::message::dispute::{self, Change};
use crate::message::section::Section;
use crate::profile::RuleId;
use crate::profile::message::ReportedIn;

pub fn run(a: &MessageDisputeArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let rules = profile.message;
    let change = match (a.incorrect, a.cancel) {
        (true, _) => Change::Incorrect,
        (false, true) => Change::Cancel,
        (false, false) => Change::Dispute,
    };
    let path = ledger_path(&a.ledger, a.business_id.as_ref(), g.interface)?;
    let ledger = open_existing(&path, a.business_id.as_ref(), g.interface)?;
    let reported_in = a.reported_in.unwrap_or(rules.dispute_reported_in.value);
    let mut report = Report::new("message dispute", g.interface, check_time(g));
    let in_flight = ledger.in_flight().map_err(ledger_error)?;
    let mut parts = Vec::new();
    let mut seen = Vec::new();
    for key in &a.keys {
        let mut s = Subject::new("record", key.hyphenated().to_string());
        if seen.contains(key) {
            s.findings.push(Finding::fail(
                RuleId::DisputeState,
                "given twice: one report per record",
            ));
            report.subjects.push(s);
            continue;
        }
        seen.push(*key);
        let Some(record) = ledger.disputable_record(*key).map_err(ledger_error)? else {
            let detail = match ledger.knows_key(*key).map_err(ledger_error)? {
                Some(Section::Customers) => "is only a customership in the ledger: §4.3 lets a supplier report an account, a safety deposit box or a legal person".to_owned(),
                _ => format!(
                    "the ledger {} holds no record with this key: the register has not acknowledged it (through this ledger), so there is no X-Correlation-ID to name",
                    path.display()
                ),
            };
            s.findings.push(Finding::fail(RuleId::DisputeState, detail));
            report.subjects.push(s);
            continue;
        };
        s.summary
            .push(("record".into(), record.section.record_noun().into()));
        s.summary
            .push(("state".into(), record.state.as_str().into()));
        let named = match reported_in {
            ReportedIn::Last => &record.last,
            ReportedIn::First => &record.first,
        };
        s.summary.push((
            "reported in".into(),
            format!(
                "{} (acknowledged {})",
                named.correlation_id, named.acknowledged_at
            ),
        ));
        match dispute::transition(record.state, change) {
            Err(why) => s.findings.push(Finding::fail(
                RuleId::DisputeState,
                format!("cannot {} it: {why}", change.describe()),
            )),
            Ok(to) => {
                let mut f = Finding::pass(
                    RuleId::DisputeState,
                    format!(
                        "{} it: {} → {}",
                        change.describe(),
                        record.state.as_str(),
                        to.as_str()
                    ),
                );
                // Which update to name matters only for a record sent more than once.
                if a.reported_in.is_none()
                    && rules.correlation_id_required
                    && record.first.correlation_id != record.last.correlation_id
                {
                    f = f.with_assumption(rules.dispute_reported_in.assumption());
                }
                s.findings.push(f);
                let text = dispute::report(
                    change,
                    &key.hyphenated().to_string(),
                    &named.correlation_id,
                    rules,
                );
                parts.push(serde_json::to_string_pretty(&text).unwrap_or_default() + "\n");
            }
        }
        report.subjects.push(s);
    }
    if !in_flight.is_empty() {
        let mut s = Subject::new("ledger", path.display().to_string());
        s.findings.push(Finding::warn(
            RuleId::DisputeState,
            format!(
                "{} message(s) in flight ({}): a state change they carry is not in the ledger yet, so the states above may be out of date",
                in_flight.len(),
                in_flight.iter().map(|m| m.file.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ).with_remedy("Send those files again with `send --ledger` first."));
        report.subjects.push(s);
    }
    let refused = report
        .subjects
        .iter()
        .flat_map(|s| &s.findings)
        .any(|f| f.status == Status::Fail);
    if refused {
        eprintln!("tilicheck: nothing written: a record cannot be reported (see the report)");
        return emit_report(&report, g).map(|c| c.max(1));
    }
    write_parts(&a.out, &parts)?;
    eprintln!(
        "tilicheck: wrote {} report{} to {}; send {} with `send {} --ledger {}`",
        parts.len(),
        if parts.len() == 1 { "" } else { "s" },
        a.out.display(),
        if parts.len() == 1 { "it" } else { "them" },
        a.out.display(),
        path.display()
    );
    emit_report(&report, g)
}

/// Write `part-000001.json`, … into `dir` (missing or empty), whole or not at all.
fn write_parts(dir: &Path, parts: &[String]) -> Result<(), CommandError> {
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |e: std::io::Error| CommandError::Input(format!("{p}: {e}"))
    };
    let existed = match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            if std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
                return Err(CommandError::Input(format!(
                    "{} already exists and is not empty; choose a new or empty directory",
                    dir.display()
                )));
            }
            true
        }
        Ok(_) => {
            return Err(CommandError::Input(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io(dir)(e)),
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".tilicheck-dispute-")
        .tempdir_in(parent)
        .map_err(io(parent))?;
    for (i, text) in parts.iter().enumerate() {
        let p = work.path().join(format!("part-{:06}.json", i + 1));
        std::fs::write(&p, text).map_err(io(&p))?;
    }
    if existed {
        std::fs::remove_dir(dir).map_err(io(dir))?;
    }
    let work = work.keep();
    std::fs::rename(&work, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&work);
        io(dir)(e)
    })
}
