//! `send --ledger FILE`: what a 200 means for the ledger. An acknowledged update records its
//! records (map, key, canonical hash) under the message's X-Correlation-ID; an acknowledged
//! disputable or incorrect report records the record's new §4.3 state. Nothing else writes.
//!
//! Crash safety rests on one ordering and one property:
//!
//! - The ledger is written after the 200 and **before** the step that says the message is
//!   done (the `send DIR` journal's `acknowledged`, or, for one file, the ledger's own
//!   in-flight mark, removed in the same SQLite transaction that records the message). A crash
//!   before that transaction leaves the message in flight: the next run sends the same request
//!   again (same X-Correlation-ID, same signed body), the register answers the replay 200,
//!   and the records are written then. So an acknowledged record is never lost, and nothing
//!   is recorded without a 200.
//! - Recording is idempotent per X-Correlation-ID ([`crate::ledger::Recorded::AlreadyRecorded`]):
//!   a crash after the ledger's transaction but before the journal's rename makes the next run
//!   send the part again and record it again, which changes nothing but ending the in-flight
//!   mark that run set.

use std::path::Path;

use serde_json::Value;
use uuid::Uuid;

use crate::cli::SendArgs;
use crate::commands::CommandError;
use crate::commands::ledger::{ledger_error, now_text, open_or_create};
use crate::identity::BusinessId;
use crate::ledger::hashing::hash_report;
use crate::ledger::{Acknowledged, InFlight, Ledger, MessageKind, Recorded};
use crate::message::dispute::Change;
use crate::message::kind::Kind;
use crate::profile::Interface;
use crate::send::endpoint::{Route, route_of};

/// A message as sent.
#[derive(Clone, Copy)]
pub struct Sent<'a> {
    /// The file it was sent from, as reports name it.
    pub file: &'a str,
    /// The file's exact bytes.
    pub bytes: &'a [u8],
    /// The bytes parsed.
    pub report: &'a Value,
    /// The endpoint's path.
    pub path: &'a str,
    pub correlation_id: &'a str,
}

pub struct SendLedger {
    pub ledger: Ledger,
}

impl SendLedger {
    /// The ledger `send` was told to keep, if any.
    pub fn open(
        args: &SendArgs,
        supplier: Option<&BusinessId>,
        interface: Interface,
    ) -> Result<Option<SendLedger>, CommandError> {
        let path = match (&args.ledger, args.default_ledger) {
            (Some(p), _) => p.clone(),
            (None, true) => crate::ledger::path::resolve(None, supplier, interface)
                .map_err(CommandError::Usage)?,
            (None, false) => return Ok(None),
        };
        Ok(Some(SendLedger {
            ledger: open_or_create(&path, supplier, interface)?,
        }))
    }

    pub fn path(&self) -> &Path {
        self.ledger.path()
    }

    /// The message that was in flight with this file's content, if an earlier run stopped.
    pub fn in_flight_for(&self, file_sha256: &str) -> Result<Option<InFlight>, CommandError> {
        Ok(self
            .ledger
            .in_flight()
            .map_err(ledger_error)?
            .into_iter()
            .find(|m| m.file_sha256 == file_sha256))
    }

    /// Mark a message as in flight, before it is sent.
    pub fn begin(
        &mut self,
        file: &str,
        file_sha256: &str,
        correlation_id: &str,
        body_sha256: &str,
    ) -> Result<(), CommandError> {
        self.ledger
            .begin(&InFlight {
                correlation_id: correlation_id.to_owned(),
                file: file.to_owned(),
                file_sha256: file_sha256.to_owned(),
                body_sha256: body_sha256.to_owned(),
                sent_at: now_text(),
            })
            .map_err(ledger_error)
    }

    /// The register refused the message: it is not in flight any more.
    pub fn forget(&mut self, correlation_id: &str) -> Result<(), CommandError> {
        self.ledger.forget(correlation_id).map_err(ledger_error)
    }

    pub fn has_message(&self, correlation_id: &str) -> Result<bool, CommandError> {
        self.ledger
            .has_message(correlation_id)
            .map_err(ledger_error)
    }

    /// Record a message the register answered 200. Returns a line for the report.
    pub fn acknowledged(
        &mut self,
        m: &Sent<'_>,
        interface: Interface,
    ) -> Result<String, CommandError> {
        let Sent {
            file,
            bytes,
            report,
            path,
            correlation_id,
        } = *m;
        let profile = interface.profile();
        let route = route(path, interface)?;
        let category = match route.kind {
            Kind::Update if profile.message.has_categories => route.category.map(|c| c.number()),
            Kind::Update => Some(1),
            _ => None,
        };
        let mut ack = Acknowledged {
            correlation_id: correlation_id.to_owned(),
            kind: MessageKind::Update,
            category,
            acknowledged_at: now_text(),
            source: file.to_owned(),
        };
        let recorded = match route.kind {
            Kind::Update => {
                let hashed = hash_report(bytes, file, profile).map_err(CommandError::Input)?;
                self.ledger
                    .record_update(
                        &ack,
                        hashed.records.iter().map(|r| (r.section, r.key, r.hash)),
                    )
                    .map_err(ledger_error)?
            }
            Kind::Disputable | Kind::Incorrect => {
                let key = report
                    .get("referredEntityId")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::try_parse(s).ok())
                    .ok_or_else(|| {
                        CommandError::Input(format!(
                            "{file}: the register acknowledged it, but its referredEntityId is not a UUID the ledger can record"
                        ))
                    })?;
                let change = match (route.kind, report.get("disputed").and_then(Value::as_bool)) {
                    (Kind::Incorrect, _) => Change::Incorrect,
                    (_, Some(false)) => Change::Cancel,
                    _ => Change::Dispute,
                };
                ack.kind = match route.kind {
                    Kind::Incorrect => MessageKind::Incorrect,
                    _ => MessageKind::Disputable,
                };
                self.ledger
                    .record_state(&ack, key, change.to())
                    .map_err(ledger_error)?
            }
        };
        Ok(match recorded {
            Recorded::Written(n) if ack.kind == MessageKind::Update => {
                format!("{n} record(s) recorded in {}", self.path().display())
            }
            Recorded::Written(_) => format!(
                "the record's new state recorded in {}",
                self.path().display()
            ),
            Recorded::AlreadyRecorded => format!(
                "already recorded in {} (under the same X-Correlation-ID)",
                self.path().display()
            ),
        })
    }
}

fn route(path: &str, interface: Interface) -> Result<Route, CommandError> {
    route_of(path, interface).ok().flatten().ok_or_else(|| {
        CommandError::Input(format!(
            "{path} is not an endpoint of {}",
            interface.as_str()
        ))
    })
}
