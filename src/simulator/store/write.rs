//! The writer's side: one batch of writes per transaction, each in its own savepoint, with the
//! batch's tokens appended to the current segment and fsynced before the commit.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::segments::{self, SEGMENT_BYTES};
use super::{
    Applied, Change, MessageLog, Outcome, Problem, Replayed, Store, StoreError, Write, content,
    day_of, now_text,
};
use crate::simulator::records::{RECORD_MAPS, RecordState, RecordType, transition};

/// The tokens a batch appends, and where its first byte goes.
struct Pending {
    segment: i64,
    base: u64,
    bytes: Vec<u8>,
    newest_at: Option<String>,
}

/// How far a batch's pending tokens had got, to go back to when a job is rolled back.
#[derive(Clone)]
struct Mark {
    len: usize,
    newest_at: Option<String>,
}

impl Pending {
    fn mark(&self) -> Mark {
        Mark {
            len: self.bytes.len(),
            newest_at: self.newest_at.clone(),
        }
    }

    fn reset(&mut self, mark: Mark) {
        self.bytes.truncate(mark.len);
        self.newest_at = mark.newest_at;
    }
}

impl Store {
    /// Write a batch in one transaction (one commit, one fsync of the segment and one of the
    /// WAL), each job inside its own savepoint so that one job's refusal or failure leaves the
    /// others intact. The outcomes are in job order and hold only once the transaction has
    /// committed.
    pub fn write_batch(&mut self, jobs: Vec<Write>) -> Vec<Outcome> {
        let failed = |n: usize, why: String| -> Vec<Outcome> {
            (0..n)
                .map(|_| Err(StoreError::Commit(why.clone())))
                .collect()
        };
        let n = jobs.len();
        if self.appender.is_none() {
            return failed(n, StoreError::ReadOnly.to_string());
        }
        self.rotate_if_full();
        let Some(appender) = self.appender.as_mut() else {
            return failed(n, StoreError::ReadOnly.to_string());
        };
        let mut pending = Pending {
            segment: appender.segment,
            base: appender.length,
            bytes: Vec::new(),
            newest_at: None,
        };
        let mut tx = match self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
        {
            Ok(tx) => tx,
            Err(e) => return failed(n, e.to_string()),
        };
        let outcomes: Vec<Outcome> = jobs
            .into_iter()
            .map(|job| write_one(&mut tx, job, &mut pending))
            .collect();
        if !pending.bytes.is_empty() {
            // The tokens are on disk before the transaction that points at them commits.
            if let Err(e) = appender.write(&pending.bytes) {
                return failed(n, e.to_string());
            }
            let counted = tx.execute(
                "UPDATE segments SET length = ?1, first_at = coalesce(first_at, ?2),
                        last_at = max(coalesce(last_at, ''), ?2) WHERE id = ?3",
                params![appender.length as i64, pending.newest_at, pending.segment],
            );
            if let Err(e) = counted {
                appender.cut_back(pending.base);
                return failed(n, e.to_string());
            }
        }
        match tx.commit() {
            Ok(()) => {
                if appender.first_day.is_none() {
                    appender.first_day = pending.newest_at.as_deref().map(|t| day_of(t).to_owned());
                }
                outcomes
            }
            Err(e) => {
                // Nothing points at those bytes; recovery would cut them off too.
                appender.cut_back(pending.base);
                failed(n, e.to_string())
            }
        }
    }

    /// Start a new segment once the current one is full: its row is committed first, so a
    /// crash leaves either no new file (recovery removes one it finds) or an empty segment.
    fn rotate_if_full(&mut self) {
        let Some(current) = self.appender.as_ref() else {
            return;
        };
        let today = now_text();
        let new_day = current
            .first_day
            .as_deref()
            .is_some_and(|d| d != day_of(&today));
        if current.length < SEGMENT_BYTES && !new_day {
            return;
        }
        let next = current.segment + 1;
        if self
            .conn
            .execute(
                "INSERT OR IGNORE INTO segments (id, length) VALUES (?1, 0)",
                [next],
            )
            .is_err()
        {
            return;
        }
        if let Ok(appender) = segments::Appender::open(&self.dir, next, 0) {
            let _ = segments::sync_dir(&segments::dir(&self.dir));
            self.appender = Some(appender);
        }
    }
}

fn write_one(tx: &mut rusqlite::Transaction<'_>, job: Write, pending: &mut Pending) -> Outcome {
    let mut sp = tx.savepoint()?;
    match job {
        Write::Rejected { log } => {
            insert_message(&sp, &log, None, pending)?;
            sp.commit()?;
            Ok(Applied::Stored)
        }
        Write::Accept {
            log,
            change,
            answer_for,
        } => {
            let signer = log.signer.clone().unwrap_or_default();
            let digest = log.body_token.as_deref().map(body_digest);
            // The message is logged first: its versions name it by its seq.
            let applied = match earlier_use(&sp, &log, digest.as_deref()) {
                Ok(()) => {
                    let mark = pending.mark();
                    let seq = insert_message(&sp, &log, digest.as_deref(), pending)?;
                    match apply(&sp, &signer, &log.correlation_id, seq, &change) {
                        Ok(()) => Ok(()),
                        Err(refusal) => {
                            sp.rollback()?;
                            pending.reset(mark);
                            Err(refusal)
                        }
                    }
                }
                Err(refusal) => Err(refusal),
            };
            match applied {
                Ok(()) => {
                    sp.commit()?;
                    Ok(Applied::Stored)
                }
                Err(Refusal::Replay(first)) => {
                    let replay = MessageLog {
                        accepted: false,
                        replay_of: Some(first.clone()),
                        ..log
                    };
                    insert_message(&sp, &replay, None, pending)?;
                    sp.commit()?;
                    Ok(Applied::Replay(first))
                }
                Err(Refusal::Problem(problem)) => {
                    let (status, body) = answer_for(&problem);
                    let rejected = MessageLog {
                        accepted: false,
                        status,
                        answer_body: body,
                        ..log
                    };
                    insert_message(&sp, &rejected, None, pending)?;
                    sp.commit()?;
                    Ok(Applied::Refused(problem))
                }
                Err(Refusal::Sql(e)) => Err(e.into()),
            }
        }
    }
}

enum Refusal {
    Replay(Replayed),
    Problem(Problem),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Sql(e)
    }
}

pub(super) fn body_digest(body: &str) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body.as_bytes())
        .as_ref()
        .to_vec()
}

/// Log one request and give its seq; its tokens, if it has any, go to the batch's segment
/// bytes. `digest` is the body token's SHA-256 when the caller has it already (a 50 kB body is
/// worth hashing once).
fn insert_message(
    conn: &Connection,
    m: &MessageLog,
    digest: Option<&[u8]>,
    pending: &mut Pending,
) -> rusqlite::Result<i64> {
    let has_tokens = m.auth_token.is_some() || m.body_token.is_some();
    let offset = pending.base + pending.bytes.len() as u64;
    let (segment, offset) = if has_tokens {
        (Some(pending.segment), Some(offset as i64))
    } else {
        (None, None)
    };
    let digest = match (m.accepted, digest) {
        (true, Some(known)) => Some(known.to_vec()),
        (true, None) => m.body_token.as_deref().map(body_digest),
        (false, _) => None,
    };
    conn.prepare_cached(
        "INSERT INTO messages (correlation_id, received_at, peer, endpoint, kind, tls_identity,
            signer, status, accepted, answer_body, findings, sequential_violation,
            replay_of, content_warnings, segment, segment_offset, body_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        m.correlation_id,
        m.received_at,
        m.peer,
        m.endpoint,
        m.kind,
        m.tls_identity,
        m.signer,
        m.status,
        m.accepted,
        m.answer_body,
        m.findings,
        m.sequential_violation,
        m.replay_of.as_ref().map(|r| r.seq),
        content::to_column(&m.content_warnings),
        segment,
        offset,
        digest,
    ])?;
    if has_tokens {
        let auth = m.auth_token.as_deref().unwrap_or("").as_bytes();
        let body = m.body_token.as_deref().unwrap_or("").as_bytes();
        pending
            .bytes
            .extend_from_slice(&segments::entry(auth, body));
        pending.newest_at = Some(m.received_at.clone());
    }
    Ok(conn.last_insert_rowid())
}

/// An accepted message's seq, time, endpoint, body digest, and (databases made before
/// segments) body.
type Earlier = (i64, String, String, Option<Vec<u8>>, Option<String>);

/// An accepted message that already carries `log`'s correlation ID: a replay when it is the
/// same request (endpoint and body byte for byte: the same SHA-256), else a conflict.
fn earlier_use(tx: &Connection, log: &MessageLog, digest: Option<&[u8]>) -> Result<(), Refusal> {
    let cid = &log.correlation_id;
    let earlier: Option<Earlier> = tx
        .prepare_cached(
            "SELECT seq, received_at, endpoint, body_sha256, body_token FROM messages
             WHERE correlation_id = ?1 AND accepted = 1",
        )?
        .query_row([cid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((seq, received_at, endpoint, earlier_digest, old_body)) = earlier else {
        return Ok(());
    };
    // A database made before segments kept the body itself.
    let earlier_digest = earlier_digest.or_else(|| old_body.as_deref().map(body_digest));
    if endpoint == log.endpoint && earlier_digest.as_deref() == digest {
        return Err(Refusal::Replay(Replayed { seq, received_at }));
    }
    let what = if endpoint == log.endpoint {
        "with a different body".to_owned()
    } else {
        format!("at {endpoint}")
    };
    Err(Refusal::Problem(Problem::bad_request(format!(
        "X-Correlation-ID {cid} conflicts with the message accepted at {received_at} under the same ID {what}: \
         a new message needs a new UUIDv4, and a message sent again must be the same request byte for byte"
    ))))
}

/// Apply an accepted update's change to the records; `message` is the update's seq.
fn apply(
    tx: &Connection,
    sender: &str,
    correlation_id: &str,
    message: i64,
    change: &Change,
) -> Result<(), Refusal> {
    match change {
        Change::Update(records) => {
            // Two statements for the whole update, not two per record: the records go in as
            // one JSON array of [type, uuid] (unique within a report: each is a key of its
            // type's map). No value: a record is read from the message's body token when asked for.
            let pairs: Vec<[&str; 2]> = records
                .iter()
                .map(|r| [r.record_type.as_str(), r.uuid.as_str()])
                .collect();
            let pairs = serde_json::to_string(&pairs)
                .map_err(|e| Refusal::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
            // Creates each record or counts a new version. (`WHERE true` tells the parser
            // the ON CONFLICT belongs to the INSERT, not to a join.)
            tx.prepare_cached(
                "INSERT INTO records (sender, record_type, uuid, state, versions, last_cid)
                 SELECT ?1, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), 'normal', 1, ?2
                 FROM json_each(?3) AS j WHERE true
                 ON CONFLICT(sender, record_type, uuid) DO UPDATE SET versions = records.versions + 1,
                   last_cid = excluded.last_cid, value = NULL",
            )?
            .execute(params![sender, correlation_id, pairs])?;
            // Each record's new version, in the report's order. CROSS JOIN keeps the report's
            // records as the outer loop: one lookup each, never a scan of records.
            tx.prepare_cached(
                "INSERT INTO record_versions (record, version, message)
                 SELECT r.id, r.versions, ?2
                 FROM json_each(?3) AS j
                 CROSS JOIN records AS r ON r.sender = ?1
                   AND r.record_type = json_extract(j.value, '$[0]')
                   AND r.uuid = json_extract(j.value, '$[1]')
                 ORDER BY j.key",
            )?
            .execute(params![sender, message, pairs])?;
            Ok(())
        }
        Change::Dispute {
            referred,
            correlation_id: reported_in,
            ..
        }
        | Change::Incorrect {
            referred,
            correlation_id: reported_in,
        } => {
            // The record among the types that can be disputed, each looked up by the unique
            // index (IN over its middle column), not a scan of the sender's records.
            let found: Option<(i64, String, String)> = tx
                .prepare_cached(
                    "SELECT id, record_type, state FROM records
                     WHERE sender = ?1 AND uuid = ?2
                       AND record_type IN (SELECT value FROM json_each(?3))
                     ORDER BY record_type LIMIT 1",
                )?
                .query_row(params![sender, referred, disputable_types()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let Some((record, record_type, state)) = found else {
                return Err(Refusal::Problem(Problem::UnknownRecord {
                    message: format!(
                        "no account, safety deposit box or legal person {referred} has been reported by {sender}"
                    ),
                }));
            };
            if let Some(cid) = reported_in {
                let reported: Option<i64> = tx
                    .query_row(
                        "SELECT v.version FROM messages m JOIN record_versions v ON v.message = m.seq
                         WHERE m.correlation_id = ?1 AND m.accepted = 1 AND v.record = ?2",
                        params![cid, record],
                        |r| r.get(0),
                    )
                    .optional()?;
                if reported.is_none() {
                    return Err(Refusal::Problem(Problem::UnknownRecord {
                        message: format!(
                            "record {referred} was not reported in the update with X-Correlation-ID {cid}"
                        ),
                    }));
                }
            }
            let from = RecordState::parse(&state).unwrap_or(RecordState::Normal);
            let to = transition(from, change).map_err(Refusal::Problem)?;
            let record_type = RecordType::parse(&record_type).map_or("?", RecordType::as_str);
            tx.execute(
                "UPDATE records SET state = ?1 WHERE id = ?2",
                params![to.as_str(), record],
            )?;
            tx.execute(
                "INSERT INTO state_changes (sender, record_type, uuid, from_state, to_state, correlation_id, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![sender, record_type, referred, from.as_str(), to.as_str(), correlation_id, now_text()],
            )?;
            Ok(())
        }
    }
}

/// The record types a disputable or incorrect report may name, as a JSON array of their names.
fn disputable_types() -> &'static str {
    static TYPES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let names: Vec<&str> = RECORD_MAPS
            .iter()
            .map(|(_, t)| *t)
            .filter(|t| t.can_be_disputed())
            .map(RecordType::as_str)
            .collect();
        serde_json::to_string(&names).unwrap_or_default()
    });
    &TYPES
}
