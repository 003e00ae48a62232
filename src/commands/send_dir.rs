//! `tilicheck send DIR`: the parts of a split load, one at a time, each after the previous 200,
//! with a journal in DIR so that a rerun resumes, and with `--ledger` the ledger of what was
//! acknowledged (see [`super::send_ledger`] for the order the two are written in).

use std::path::Path;
use std::time::Duration;

use crate::checks::trust::TrustContext;
use crate::cli::{RunOptions, SendArgs};
use crate::commands::send_ledger::{SendLedger, Sent};
use crate::commands::{CommandError, check_time, emit_report};
use crate::findings::{Finding, Report, Subject};
use crate::message::kind::{Category, Kind};
use crate::message::parse;
use crate::profile::{RegisterProfile, RuleId};
use crate::send::TOTAL_TIMEOUT;
use crate::send::answer::Verdict;
use crate::send::journal::{self, Journal, PartEntry, PartState};
use crate::send::verdicts::{
    correlation_id, expected_sender, ledger_failed, resent_refused, signed_differently,
};
use crate::send::{self, Message, Signer};
use crate::tls::handshake::ClientIdentity;

/// Everything a split send needs, loaded once.
pub(super) struct Setup {
    pub(super) identity: ClientIdentity,
    pub(super) ctx: TrustContext,
    pub(super) target: crate::tls::probe::Target,
    pub(super) signer: Signer,
    /// As `--kind`/`--category` or the endpoint's path say.
    pub(super) kind: Option<Kind>,
    pub(super) category: Option<Category>,
    pub(super) host_header: String,
}

/// The `part-*.json` files of `dir`, in order.
fn parts_of(dir: &Path) -> Result<Vec<std::path::PathBuf>, CommandError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| CommandError::Input(format!("{}: {e}", dir.display())))?;
    let mut parts: Vec<_> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".json"))
        })
        .collect();
    parts.sort();
    if parts.is_empty() {
        return Err(CommandError::Input(format!(
            "{}: holds no part-*.json files (make them with tilicheck message split)",
            dir.display()
        )));
    }
    Ok(parts)
}

/// Longest wait between two attempts at one part.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Send the parts of a split load one at a time, each after the previous 200 (SEND-SEQUENTIAL),
/// journalled so an interrupted run resumes where it stopped.
pub(super) fn run_dir(
    args: &SendArgs,
    g: &RunOptions,
    cert_subject: Subject,
    s: &Setup,
) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let dir = args.file.as_path();
    let mut report = Report::new("send", g.interface, check_time(g));
    let cert_failed = cert_subject.has_fail();
    report.subjects.push(cert_subject);
    if cert_failed {
        eprintln!("tilicheck: nothing sent: the signing certificate would be rejected");
        return emit_report(&report, g).map(|c| c.max(1));
    }
    let parts = parts_of(dir)?;
    let signer_id = s.signer.business_id();
    let supplier = args.business_id.or(signer_id);
    let mut ledger = SendLedger::open(args, supplier.as_ref(), g.interface)?;
    let endpoint = s.target.endpoint();
    let journal_err = |e: send::journal::JournalError| CommandError::Input(e.to_string());
    let mut journal = Journal::open(dir, &endpoint).map_err(journal_err)?;
    let mut progress = Subject::new("split load", dir.display().to_string());
    let mut register_shown = false;
    let mut stopped = false;
    let limit = parse::read_limit(profile.max_message_bytes.value);
    for part in &parts {
        let name = part
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = parse::read_bounded(part, limit)
            .map_err(|e| CommandError::Input(format!("{}: {e}", part.display())))?;
        let sha = journal::sha256_hex(&bytes);
        let earlier = journal
            .entry(dir, &name, &sha)
            .map_err(journal_err)?
            .cloned();
        let cid = match &earlier {
            Some(e) if e.state == PartState::Acknowledged => {
                let mut how = format!("acknowledged earlier ({})", e.correlation_id);
                // Acknowledged by a run without --ledger: the journal's hash says the file
                // is what the register acknowledged, so the ledger can take it over now.
                if let Some(l) = ledger.as_mut()
                    && !l.has_message(&e.correlation_id)?
                {
                    let parsed = parse::parse_bytes(&bytes)
                        .map_err(|err| CommandError::Input(format!("{}: {err}", part.display())))?;
                    let path = acknowledged_path(&parsed, s, profile);
                    let sent = Sent {
                        file: &name,
                        bytes: &bytes,
                        report: &parsed,
                        path,
                        correlation_id: &e.correlation_id,
                    };
                    let line = l.acknowledged(&sent, g.interface)?;
                    how.push_str(&format!("; {line} from the journal"));
                }
                progress.summary.push((name.clone(), how));
                continue;
            }
            // In flight when an earlier run stopped: it may have been stored. Send the same
            // request again, same correlation ID and same signed body.
            Some(e) => e.correlation_id.clone(),
            None => correlation_id(None)?,
        };
        let resent = earlier.is_some();
        let parsed = parse::parse_bytes(&bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let input = part.display().to_string();
        let message = Message {
            input: &input,
            text: &text,
            parsed: &parsed,
            kind: s.kind,
            category: s.category,
            expected_sender: expected_sender(args.business_id.as_ref(), signer_id.as_ref()),
        };
        let prepared = match send::prepare(&message, &s.signer, &s.host_header, cid, profile) {
            Ok(p) => p,
            Err(subject) => {
                report.subjects.push(*subject);
                progress.summary.push((name, "not sent: invalid".into()));
                stopped = true;
                break;
            }
        };
        if let Some(was) = earlier.as_ref().and_then(|e| e.body_sha256.as_deref())
            && was != prepared.body_sha256
        {
            progress
                .findings
                .push(signed_differently(&name, &prepared.correlation_id));
            progress
                .summary
                .push((name, "not sent: signed differently than before".into()));
            stopped = true;
            break;
        }
        journal.record(PartEntry {
            file: name.clone(),
            sha256: sha.clone(),
            correlation_id: prepared.correlation_id.clone(),
            body_sha256: Some(prepared.body_sha256.clone()),
            state: PartState::InFlight,
        });
        journal.save(dir).map_err(journal_err)?;
        // In flight in the ledger too, so `ledger show` and `message diff` see an unfinished
        // send; recording the 200 ends it in the same transaction.
        if let Some(l) = ledger.as_mut() {
            l.begin(
                &input,
                &sha,
                &prepared.correlation_id,
                &prepared.body_sha256,
            )?;
        }
        let mut attempt = 0u32;
        let outcome = loop {
            let d = send::deliver(
                &s.target,
                &s.identity,
                &s.ctx,
                profile,
                &prepared,
                TOTAL_TIMEOUT,
            );
            if d.verdict == Verdict::Retry && attempt < args.retries {
                let wait = args
                    .retry_delay
                    .saturating_mul(1 << attempt.min(10))
                    .min(MAX_BACKOFF);
                eprintln!(
                    "tilicheck: {name}: {}; retrying in {:.1} s ({} of {})",
                    d.answer
                        .findings
                        .iter()
                        .find(|f| f.rule == crate::profile::RuleId::SendAnswer)
                        .map(|f| f.detail.as_str())
                        .unwrap_or("no answer"),
                    wait.as_secs_f64(),
                    attempt + 1,
                    args.retries
                );
                std::thread::sleep(wait);
                attempt += 1;
                continue;
            }
            break d;
        };
        if !register_shown && let Some(r) = outcome.register {
            report.subjects.push(r);
            register_shown = true;
        }
        let verdict = outcome.verdict;
        let mut answer = outcome.answer;
        answer.input = format!("{name}: {}", answer.input);
        report.subjects.push(answer);
        if verdict == Verdict::Accepted {
            // The ledger first, the journal second (see `send_ledger`): a crash between
            // them resends the part, and recording it again changes nothing.
            let mut recorded = String::new();
            if let Some(l) = ledger.as_mut() {
                let sent = Sent {
                    file: &name,
                    bytes: &bytes,
                    report: &prepared.report,
                    path: prepared.path,
                    correlation_id: &prepared.correlation_id,
                };
                match l.acknowledged(&sent, g.interface) {
                    Ok(line) => recorded = format!("; {line}"),
                    Err(e) => {
                        progress
                            .findings
                            .push(ledger_failed(&prepared.correlation_id, &e));
                        progress
                            .summary
                            .push((name, "acknowledged, not recorded: stopped".into()));
                        stopped = true;
                        break;
                    }
                }
            }
            journal.record(PartEntry {
                file: name.clone(),
                sha256: sha,
                correlation_id: prepared.correlation_id.clone(),
                body_sha256: Some(prepared.body_sha256.clone()),
                state: PartState::Acknowledged,
            });
            journal.save(dir).map_err(journal_err)?;
            let how = if resent {
                "acknowledged on resend: it was in flight when an earlier run stopped"
            } else {
                "acknowledged"
            };
            progress.summary.push((
                name,
                format!("{how} ({}){recorded}", prepared.correlation_id),
            ));
        } else {
            if resent {
                progress
                    .findings
                    .push(resent_refused(&name, &prepared.correlation_id));
            } else if verdict == Verdict::Rejected
                && let Some(l) = ledger.as_mut()
            {
                // Refused at its first sending: the register did not store it.
                l.forget(&prepared.correlation_id)?;
            }
            progress
                .summary
                .push((name, "not acknowledged: stopped".into()));
            stopped = true;
            break;
        }
    }
    let done = journal
        .parts
        .iter()
        .filter(|p| p.state == PartState::Acknowledged)
        .count();
    progress.findings.push(if stopped {
        Finding::fail(
            RuleId::SendSequential,
            format!(
                "stopped after {done} of {} parts acknowledged; run the same command again to resume",
                parts.len()
            ),
        )
    } else {
        Finding::pass(
            RuleId::SendSequential,
            format!(
                "all {} parts sent one at a time, each after the previous 200",
                parts.len()
            ),
        )
    });
    report.subjects.insert(1, progress);
    emit_report(&report, g)
}

/// The endpoint a part acknowledged earlier went to: as `--kind`/`--category` or its content say.
fn acknowledged_path(
    report: &serde_json::Value,
    s: &Setup,
    profile: &RegisterProfile,
) -> &'static str {
    crate::message::kind::classify(report, profile.message, s.kind, s.category)
        .endpoint(profile.message)
}
