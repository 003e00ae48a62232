//! The register's memory: SQLite in the data directory (WAL, synchronous FULL). Every request
//! is logged; an accepted one and the record changes it causes are one savepoint of a
//! transaction that is committed before the 200 is sent (see [`super::committer`]).
//!
//! A correlation ID names one message. A request that repeats an accepted message's ID with
//! the same endpoint and the same body is a replay (the client did not see the first answer):
//! it is answered 200 again and logged, but nothing is stored twice. The same ID with another
//! body is a conflict, answered 400.

mod history;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::answers::Problem;
use super::content::{self, ContentWarning};
use super::records::{Change, RecordState, RecordType, transition};

pub use history::{CurrentRecord, RecordHistory, StateChange, Version};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "register.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot open the simulator's database: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{}: cannot make the simulator's database owner-only: {source}", path.display())]
    Permissions {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the database transaction did not commit: {0}")]
    Commit(String),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    correlation_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    peer TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    kind TEXT NOT NULL,
    tls_identity TEXT,
    signer TEXT,
    status INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    answer_body TEXT NOT NULL,
    findings TEXT NOT NULL,
    sequential_violation INTEGER NOT NULL,
    auth_token TEXT,
    body_token TEXT,
    -- For a replay: the seq of the accepted message it repeats.
    replay_of INTEGER,
    -- Data-quality findings the register is not known to refuse (a JSON array).
    content_warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX IF NOT EXISTS accepted_correlation_id ON messages(correlation_id) WHERE accepted = 1;
CREATE TABLE IF NOT EXISTS records (
    sender TEXT NOT NULL,
    record_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    versions INTEGER NOT NULL,
    PRIMARY KEY (sender, record_type, uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_versions (
    sender TEXT NOT NULL,
    record_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- The update that carried this version (its body token holds it as sent).
    correlation_id TEXT NOT NULL,
    -- The record as canonical JSON: the version replaces the one before it, whole.
    value TEXT,
    PRIMARY KEY (sender, record_type, uuid, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    record_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    at TEXT NOT NULL
);
";

/// One request, as logged.
#[derive(Clone, Debug, Serialize)]
pub struct MessageLog {
    pub correlation_id: String,
    pub received_at: String,
    pub peer: String,
    pub endpoint: String,
    pub kind: String,
    pub tls_identity: Option<String>,
    pub signer: Option<String>,
    pub status: u16,
    pub accepted: bool,
    pub answer_body: String,
    /// Findings as JSON text (rule, status, detail).
    pub findings: String,
    pub sequential_violation: bool,
    #[serde(skip)]
    pub auth_token: Option<String>,
    #[serde(skip)]
    pub body_token: Option<String>,
    /// For a replay: when the message it repeats was accepted.
    pub replay_of: Option<Replayed>,
    /// What looks wrong in the report although the register is not known to refuse it.
    pub content_warnings: Vec<ContentWarning>,
}

/// The accepted message a replay repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Replayed {
    pub seq: i64,
    pub received_at: String,
}

/// A record and its dispute state.
#[derive(Clone, Debug, Serialize)]
pub struct RecordRow {
    pub sender: String,
    pub record_type: String,
    pub uuid: String,
    pub state: String,
    pub versions: i64,
    /// The correlation IDs of the updates that reported it, oldest first.
    pub correlation_ids: Vec<String>,
}

pub struct Store {
    conn: Connection,
}

/// The answer (status, body) to log for a report the register's state refuses.
pub type AnswerFor = Box<dyn FnOnce(&Problem) -> (u16, String) + Send>;

/// One write for [`Store::write_batch`].
pub enum Write {
    /// Apply an accepted report and log it; if the register's state refuses it (unknown record,
    /// final state, reused correlation ID) log it as rejected with the answer `answer_for` gives.
    Accept {
        log: MessageLog,
        change: Change,
        answer_for: AnswerFor,
    },
    /// Log a rejected request.
    Rejected { log: MessageLog },
}

/// What became of an accepted report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Stored, with the record changes it asked for.
    Stored,
    /// The same message again (same correlation ID, endpoint and body): nothing new stored.
    Replay(Replayed),
    /// The register's state refuses it.
    Refused(Problem),
}

/// What became of one write.
pub type Outcome = Result<Applied, StoreError>;

pub fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("?"))
}

impl Store {
    /// Open (creating) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE);
        // It holds signed reports with personal identity codes: owner-only (0600) before
        // SQLite writes a byte, and SQLite gives its -wal and -shm files the same mode.
        owner_only_file(&path).map_err(|source| StoreError::Permissions {
            path: path.clone(),
            source,
        })?;
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(&path)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // FULL: a commit is on disk before the 200 goes out, even across power loss.
            conn.pragma_update(None, "synchronous", "FULL")?;
            // Checkpoint less often: pages rewritten by many commits (the records' index)
            // are copied to the database once per checkpoint instead of every few commits.
            conn.pragma_update(None, "wal_autocheckpoint", 8000)?;
            // 32 MiB of page cache: the records' indexes stay in memory instead of being read back.
            conn.pragma_update(None, "cache_size", -32768)?;
            conn.execute_batch(SCHEMA)?;
            add_missing_columns(&conn)?;
            Ok(conn)
        };
        open()
            .map(|conn| Store { conn })
            .map_err(|source| StoreError::Open { path, source })
    }

    /// The database file's permissions, for tests and the banner.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    /// Write a batch in one transaction (one commit, one fsync), each job inside its own
    /// savepoint so that one job's refusal or failure leaves the others intact. The outcomes
    /// are in job order and hold only once the transaction has committed.
    pub fn write_batch(&mut self, jobs: Vec<Write>) -> Vec<Outcome> {
        let failed = |n: usize, why: String| -> Vec<Outcome> {
            (0..n)
                .map(|_| Err(StoreError::Commit(why.clone())))
                .collect()
        };
        let n = jobs.len();
        let mut tx = match self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
        {
            Ok(tx) => tx,
            Err(e) => return failed(n, e.to_string()),
        };
        let outcomes: Vec<Outcome> = jobs
            .into_iter()
            .map(|job| write_one(&mut tx, job))
            .collect();
        match tx.commit() {
            Ok(()) => outcomes,
            Err(e) => failed(n, e.to_string()),
        }
    }

    /// The newest `limit` messages, newest first.
    pub fn messages(&self, limit: usize) -> Result<Vec<MessageLog>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT correlation_id, received_at, peer, endpoint, kind, tls_identity, signer, status,
                    accepted, answer_body, findings, sequential_violation, auth_token, body_token,
                    replay_of, (SELECT received_at FROM messages f WHERE f.seq = m.replay_of),
                    content_warnings
             FROM messages m ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(MessageLog {
                correlation_id: r.get(0)?,
                received_at: r.get(1)?,
                peer: r.get(2)?,
                endpoint: r.get(3)?,
                kind: r.get(4)?,
                tls_identity: r.get(5)?,
                signer: r.get(6)?,
                status: r.get(7)?,
                accepted: r.get(8)?,
                answer_body: r.get(9)?,
                findings: r.get(10)?,
                sequential_violation: r.get(11)?,
                auth_token: r.get(12)?,
                body_token: r.get(13)?,
                replay_of: match (
                    r.get::<_, Option<i64>>(14)?,
                    r.get::<_, Option<String>>(15)?,
                ) {
                    (Some(seq), Some(received_at)) => Some(Replayed { seq, received_at }),
                    _ => None,
                },
                content_warnings: content::from_column(&r.get::<_, String>(16)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The correlation IDs of all accepted messages.
    pub fn accepted_correlation_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT correlation_id FROM messages WHERE accepted = 1 ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every record, with its state and the updates that reported it.
    pub fn records(&self, limit: usize) -> Result<Vec<RecordRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.sender, r.record_type, r.uuid, r.state, r.versions,
                    (SELECT group_concat(correlation_id, ' ') FROM
                       (SELECT correlation_id FROM record_versions v
                        WHERE v.sender = r.sender AND v.record_type = r.record_type AND v.uuid = r.uuid
                        ORDER BY version))
             FROM records r ORDER BY r.sender, r.record_type, r.uuid LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let ids: Option<String> = r.get(5)?;
            Ok(RecordRow {
                sender: r.get(0)?,
                record_type: r.get(1)?,
                uuid: r.get(2)?,
                state: r.get(3)?,
                versions: r.get(4)?,
                correlation_ids: ids
                    .unwrap_or_default()
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// SQLite's own consistency check: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

fn write_one(tx: &mut rusqlite::Transaction<'_>, job: Write) -> Outcome {
    let mut sp = tx.savepoint()?;
    match job {
        Write::Rejected { log } => {
            insert_message(&sp, &log)?;
            sp.commit()?;
            Ok(Applied::Stored)
        }
        Write::Accept {
            log,
            change,
            answer_for,
        } => {
            let signer = log.signer.clone().unwrap_or_default();
            match apply(&sp, &signer, &log, &change) {
                Ok(()) => {
                    insert_message(&sp, &log)?;
                    sp.commit()?;
                    Ok(Applied::Stored)
                }
                Err(Refusal::Replay(first)) => {
                    sp.rollback()?;
                    let replay = MessageLog {
                        accepted: false,
                        replay_of: Some(first.clone()),
                        ..log
                    };
                    insert_message(&sp, &replay)?;
                    sp.commit()?;
                    Ok(Applied::Replay(first))
                }
                Err(Refusal::Problem(problem)) => {
                    sp.rollback()?;
                    let (status, body) = answer_for(&problem);
                    let rejected = MessageLog {
                        accepted: false,
                        status,
                        answer_body: body,
                        ..log
                    };
                    insert_message(&sp, &rejected)?;
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

fn insert_message(conn: &Connection, m: &MessageLog) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO messages (correlation_id, received_at, peer, endpoint, kind, tls_identity,
            signer, status, accepted, answer_body, findings, sequential_violation, auth_token, body_token,
            replay_of, content_warnings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
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
            m.auth_token,
            m.body_token,
            m.replay_of.as_ref().map(|r| r.seq),
            content::to_column(&m.content_warnings)
        ])?;
    Ok(())
}

/// Columns added after the first release, for databases made before them.
fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('messages')")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !names.iter().any(|n| n == "replay_of") {
        conn.execute_batch("ALTER TABLE messages ADD COLUMN replay_of INTEGER")?;
    }
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('record_versions')")?;
    let version_columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !version_columns.iter().any(|n| n == "value") {
        conn.execute_batch("ALTER TABLE record_versions ADD COLUMN value TEXT")?;
    }
    if !names.iter().any(|n| n == "content_warnings") {
        conn.execute_batch(
            "ALTER TABLE messages ADD COLUMN content_warnings TEXT NOT NULL DEFAULT '[]'",
        )?;
    }
    Ok(())
}

/// An accepted message that already carries `log`'s correlation ID: a replay when it is the
/// same request (endpoint and body byte for byte), else a conflict.
fn earlier_use(tx: &Connection, log: &MessageLog) -> Result<(), Refusal> {
    let cid = &log.correlation_id;
    let earlier: Option<(i64, String, String, Option<String>)> = tx
        .query_row(
            "SELECT seq, received_at, endpoint, body_token FROM messages
             WHERE correlation_id = ?1 AND accepted = 1",
            [cid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((seq, received_at, endpoint, body)) = earlier else {
        return Ok(());
    };
    if endpoint == log.endpoint && body == log.body_token {
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

fn apply(tx: &Connection, sender: &str, log: &MessageLog, change: &Change) -> Result<(), Refusal> {
    earlier_use(tx, log)?;
    let correlation_id = log.correlation_id.as_str();
    match change {
        Change::Update(records) => {
            for r in records {
                let t = r.record_type.as_str();
                // One statement creates the record or counts a new version, and says which.
                let version: i64 = tx
                    .prepare_cached(
                        "INSERT INTO records (sender, record_type, uuid, state, versions) VALUES (?1, ?2, ?3, 'normal', 1)
                         ON CONFLICT(sender, record_type, uuid) DO UPDATE SET versions = records.versions + 1
                         RETURNING versions",
                    )?
                    .query_row(params![sender, t, r.uuid], |row| row.get(0))?;
                tx.prepare_cached(
                    "INSERT INTO record_versions (sender, record_type, uuid, version, correlation_id, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![sender, t, r.uuid, version, correlation_id, r.value])?;
            }
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
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT record_type, state FROM records WHERE sender = ?1 AND uuid = ?2 AND record_type != 'customer'
                     ORDER BY record_type LIMIT 1",
                    params![sender, referred],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((record_type, state)) = found else {
                return Err(Refusal::Problem(Problem::UnknownRecord {
                    message: format!(
                        "no account, safety deposit box or legal person {referred} has been reported by {sender}"
                    ),
                }));
            };
            if let Some(cid) = reported_in {
                let reported: Option<i64> = tx
                    .query_row(
                        "SELECT version FROM record_versions WHERE sender = ?1 AND record_type = ?2 AND uuid = ?3 AND correlation_id = ?4",
                        params![sender, record_type, referred, cid],
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
                "UPDATE records SET state = ?1 WHERE sender = ?2 AND record_type = ?3 AND uuid = ?4",
                params![to.as_str(), sender, record_type, referred],
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

/// Create `path` as an owner-only file if it is missing; make an existing one owner-only
/// (a database written by an older version was 0644), and its -wal and -shm files too.
fn owner_only_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
