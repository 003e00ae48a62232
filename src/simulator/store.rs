//! The register's memory, in the data directory: SQLite (WAL, synchronous FULL) holds the
//! message log, the records with their versions and dispute states, and where each message's
//! tokens are; the tokens themselves are appended to segment files (see [`segments`]), so each
//! byte a client sent is written once. Every request is logged; an accepted one and the record
//! changes it causes are one savepoint of a transaction that is committed before the 200 is
//! sent (see [`super::committer`]), after the batch's tokens are fsynced.
//!
//! A correlation ID names one message. A request that repeats an accepted message's ID with
//! the same endpoint and the same body is a replay (the client did not see the first answer):
//! it is answered 200 again and logged, but nothing is stored twice. The same ID with another
//! body is a conflict, answered 400.

mod history;
mod migrate;
mod retention;
pub mod segments;
mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::answers::Problem;
use super::content::{self, ContentWarning};
use super::records::Change;
use segments::{Appender, DirLock, Location, SegmentError, Tokens};

pub use history::{CurrentRecord, RecordHistory, StateChange, Version};
pub use retention::Pruned;

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
    #[error(transparent)]
    Segment(#[from] SegmentError),
    #[error("this store was opened for reading only")]
    ReadOnly,
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
    content_warnings TEXT NOT NULL DEFAULT '[]',
    -- Where the tokens are (auth_token and body_token hold them in databases made before
    -- segments): the segment's number and the entry's offset in it; NULL once pruned.
    segment INTEGER,
    segment_offset INTEGER,
    -- The body's SHA-256: a replay is told from a conflict by it, after pruning too.
    body_sha256 BLOB
);
-- Each segment file's committed length; bytes past it belong to no committed transaction.
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    length INTEGER NOT NULL,
    -- When the first and the newest message with tokens in it arrived: a segment holds one
    -- day at most, and retention removes whole segments.
    first_at TEXT,
    last_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS accepted_correlation_id ON messages(correlation_id) WHERE accepted = 1;
CREATE TABLE IF NOT EXISTS records (
    -- The record's number: each version names its record by it, not by three strings.
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    record_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    state TEXT NOT NULL,
    versions INTEGER NOT NULL,
    -- The update that carried the value now held (its body token holds it as sent).
    last_cid TEXT,
    -- The value now as canonical JSON, only where that token cannot be read: pruned by
    -- retention, or a database made before segments.
    value TEXT,
    UNIQUE (sender, record_type, uuid)
);
-- One row per record per update, in the order written: an update's rows go to the end of the
-- table together, and to the end of the index by message (both keys only grow). A row holds
-- three small integers: what the record and the update are is said once, in `records` and
-- `messages`.
CREATE TABLE IF NOT EXISTS record_versions (
    seq INTEGER PRIMARY KEY,
    -- records.id
    record INTEGER NOT NULL,
    version INTEGER NOT NULL,
    -- messages.seq of the accepted update that carried this version (its body token holds it
    -- as sent).
    message INTEGER NOT NULL,
    -- NULL: the record is read from that update's body token; set in databases made before
    -- segments.
    value TEXT
);
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

/// Where a row's tokens are: segment and offset, or (before segments) the tokens themselves.
type TokenColumns = (Option<i64>, Option<i64>, Option<String>, Option<String>);

pub struct Store {
    conn: Connection,
    dir: PathBuf,
    /// The writer's segment being appended to; `None` in a reader.
    appender: Option<Appender>,
    _lock: Option<DirLock>,
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

/// The date part of an RFC 3339 time.
fn day_of(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

pub fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("?"))
}

impl Store {
    /// Open (creating) the database in `dir` as its one writer: take the data directory's
    /// lock and recover the segments (see [`Store::recover`]).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let mut store = Store::open_reader(dir)?;
        segments::make_dir(dir).map_err(|source| SegmentError::Io {
            path: segments::dir(dir),
            source,
        })?;
        store._lock = Some(DirLock::take(dir)?);
        store.recover()?;
        Ok(store)
    }

    /// Open (creating) the database in `dir` to read it beside a running writer: no lock, no
    /// recovery.
    pub fn open_reader(dir: &Path) -> Result<Store, StoreError> {
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
            // Each job's savepoint journal in memory, not spilled to a temporary file: it only
            // rolls one job back inside its transaction, and crash recovery never reads it.
            conn.pragma_update(None, "temp_store", "MEMORY")?;
            conn.execute_batch(SCHEMA)?;
            migrate::bring_up_to_date(&conn)?;
            Ok(conn)
        };
        open()
            .map(|conn| Store {
                conn,
                dir: dir.to_owned(),
                appender: None,
                _lock: None,
            })
            .map_err(|source| StoreError::Open { path, source })
    }

    /// After a crash: every segment must hold at least its committed length (else its
    /// acknowledged tokens are gone, and the store refuses to start rather than serve without
    /// them); what lies past it, a batch that never committed, is cut off; a segment file the
    /// database does not know (made by a rotation that never committed, or pruned before the
    /// file was removed) is removed. Appending continues in the newest segment.
    fn recover(&mut self) -> Result<(), StoreError> {
        let known: Vec<(i64, u64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, length FROM segments ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect::<Result<_, _>>()?
        };
        let known = if known.is_empty() {
            self.conn
                .execute("INSERT INTO segments (id, length) VALUES (1, 0)", [])?;
            vec![(1, 0)]
        } else {
            known
        };
        let ids: HashSet<i64> = known.iter().map(|(id, _)| *id).collect();
        let seg_dir = segments::dir(&self.dir);
        let listing = std::fs::read_dir(&seg_dir).map_err(|source| SegmentError::Io {
            path: seg_dir.clone(),
            source,
        })?;
        let mut removed = false;
        for entry in listing.flatten() {
            let name = entry.file_name();
            if let Some(n) = name.to_str().and_then(segments::number_of)
                && !ids.contains(&n)
            {
                let _ = std::fs::remove_file(entry.path());
                removed = true;
            }
        }
        if removed {
            let _ = segments::sync_dir(&seg_dir);
        }
        let mut newest = None;
        for (id, length) in known {
            // Opening for appending checks the length and cuts a tail; only the newest stays open.
            newest = Some(Appender::open(&self.dir, id, length)?);
        }
        if let Some(a) = newest.as_mut() {
            let first_at: Option<String> = self.conn.query_row(
                "SELECT first_at FROM segments WHERE id = ?1",
                [a.segment],
                |r| r.get(0),
            )?;
            a.first_day = first_at.map(|t| day_of(&t).to_owned());
        }
        self.appender = newest;
        Ok(())
    }

    /// The database file's permissions, for tests and the banner.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    /// A message's tokens, read from its segment (or, in a database made before segments, its
    /// row); `None` for both when it had none or they were pruned.
    pub fn tokens(&self, correlation_id: &str, accepted_only: bool) -> Result<Tokens, StoreError> {
        let row: Option<TokenColumns> = self
            .conn
            .prepare_cached(
                "SELECT segment, segment_offset, auth_token, body_token FROM messages
                 WHERE correlation_id = ?1 AND (accepted = 1 OR ?2 = 0) ORDER BY accepted DESC, seq LIMIT 1",
            )?
            .query_row(params![correlation_id, accepted_only], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        match row {
            None => Ok(Tokens::default()),
            Some((Some(segment), Some(offset), _, _)) => self.read_tokens(Location {
                segment,
                offset: offset as u64,
            }),
            Some((_, _, auth, body)) => Ok(Tokens { auth, body }),
        }
    }

    fn read_tokens(&self, at: Location) -> Result<Tokens, StoreError> {
        let path = segments::path(&self.dir, at.segment);
        let file = std::fs::File::open(&path).map_err(|source| SegmentError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(segments::read_entry(&file, &path, at.offset)?.0)
    }

    /// The newest `limit` messages, newest first.
    pub fn messages(&self, limit: usize) -> Result<Vec<MessageLog>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT correlation_id, received_at, peer, endpoint, kind, tls_identity, signer, status,
                    accepted, answer_body, findings, sequential_violation, NULL, NULL,
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
            "SELECT id, sender, record_type, uuid, state, versions FROM records
             ORDER BY sender, record_type, uuid LIMIT ?1",
        )?;
        let (numbers, mut rows): (Vec<i64>, Vec<RecordRow>) = stmt
            .query_map([limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    RecordRow {
                        sender: r.get(1)?,
                        record_type: r.get(2)?,
                        uuid: r.get(3)?,
                        state: r.get(4)?,
                        versions: r.get(5)?,
                        correlation_ids: Vec::new(),
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        // The versions are kept in the order written, not by record: one pass over them.
        let wanted: HashMap<i64, usize> = numbers
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        let mut ids: Vec<Vec<(i64, String)>> = vec![Vec::new(); rows.len()];
        let mut stmt = self.conn.prepare(
            "SELECT v.record, v.version, m.correlation_id
             FROM record_versions v JOIN messages m ON m.seq = v.message",
        )?;
        let versions = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for v in versions {
            let (record, version, cid) = v?;
            if let Some(&i) = wanted.get(&record) {
                ids[i].push((version, cid));
            }
        }
        for (row, mut ids) in rows.iter_mut().zip(ids) {
            ids.sort_by_key(|(version, _)| *version);
            row.correlation_ids = ids.into_iter().map(|(_, cid)| cid).collect();
        }
        Ok(rows)
    }

    /// SQLite's own consistency check, then the segments': each file exactly its committed
    /// length, every entry in it whole and matching its digest, every message pointing at an
    /// entry. "ok" when all is sound, else the first problem.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let sqlite: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if sqlite != "ok" {
            return Ok(sqlite);
        }
        let mut stmt = self.conn.prepare("SELECT id, length FROM segments")?;
        let known: Vec<(i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut entries: HashMap<i64, HashSet<u64>> = HashMap::new();
        for (id, length) in known {
            let path = segments::path(&self.dir, id);
            let found = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if found != length as u64 {
                return Ok(format!(
                    "{}: {found} bytes, committed {length}",
                    path.display()
                ));
            }
            match segments::walk(&path, length as u64) {
                Ok(offsets) => {
                    entries.insert(id, offsets.into_iter().collect());
                }
                Err(e) => return Ok(e.to_string()),
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT correlation_id, segment, segment_offset FROM messages WHERE segment IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (cid, segment, offset) = row?;
            if !entries
                .get(&segment)
                .is_some_and(|e| e.contains(&(offset as u64)))
            {
                return Ok(format!(
                    "message {cid} points at segment {segment} offset {offset}, where no entry starts"
                ));
            }
        }
        Ok("ok".into())
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
