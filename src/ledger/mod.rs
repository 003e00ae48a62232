//! The ledger: what the register has acknowledged, record by record. For every record (its
//! map and UUID) the hash of its canonical JSON ([`crate::message::canonical`]), the update
//! messages that first and last carried it (X-Correlation-ID, category, time of the 200) and
//! its §4.3 state. One SQLite file per supplier and interface.
//!
//! Only a 200 writes to it, and one acknowledged message is one transaction: its message row,
//! all of its records, and the removal of its in-flight mark commit together or not at all. A
//! message is recorded once: recording the same X-Correlation-ID again (a resumed send that got
//! the replay's 200) changes nothing, which is what lets `send` write the ledger first and its
//! journal second (see `commands::send_ledger`).

pub mod diff;
pub mod hashing;
pub mod path;
mod read;
mod types;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use crate::message::canonical::RecordHash;
use crate::message::kind::Category;
use crate::message::section::Section;
use hashing::HashedRecord;
pub use types::{
    Acknowledged, BaseEntry, DisputeState, InFlight, LedgerRecord, MessageKind, Recorded,
    SectionCount, Summary,
};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{}: cannot open the ledger: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{}: cannot make the ledger's directory: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no ledger there (it is made by the first `send --ledger` or by `ledger import`)", path.display())]
    Missing { path: PathBuf },
    #[error("{}: the ledger's database failed: {source}", path.display())]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{}: is the ledger of {what} {was}, not {now}: use the ledger of this {what}", path.display())]
    Other {
        path: PathBuf,
        what: &'static str,
        was: String,
        now: String,
    },
    #[error("{}: {problem}; the file was not written by this tool or was edited", path.display())]
    Corrupt { path: PathBuf, problem: String },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    correlation_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    category INTEGER,
    acknowledged_at TEXT NOT NULL,
    source TEXT NOT NULL,
    records INTEGER NOT NULL
);
-- section: 0 legalPersons, 1 customers, 2 accounts, 3 safetyDepositBoxes; key: the UUID's
-- 16 bytes; hash: SHA-256 of the canonical JSON; state: 0 normal, 1 disputed, 2 incorrect.
CREATE TABLE IF NOT EXISTS records (
    section INTEGER NOT NULL,
    key BLOB NOT NULL,
    hash BLOB NOT NULL,
    first_message INTEGER NOT NULL,
    last_message INTEGER NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (section, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS in_flight (
    correlation_id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    sent_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_changes (
    seq INTEGER PRIMARY KEY,
    section INTEGER NOT NULL,
    key BLOB NOT NULL,
    from_state INTEGER NOT NULL,
    to_state INTEGER NOT NULL,
    message INTEGER NOT NULL
);
";

/// The ledger file format this code writes.
const FORMAT: &str = "1";

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// Whose ledger a file is: checked on every open, so one supplier's or interface's records
/// never decide another's delta.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    /// The supplier's business ID (business-ID form), when the command knows it.
    pub supplier: Option<&'a str>,
    pub interface: &'a str,
}

impl Ledger {
    /// Open the ledger at `path`; `create` makes it (and its directory) when missing.
    pub fn open(path: &Path, owner: Owner<'_>, create: bool) -> Result<Ledger, LedgerError> {
        if !create && !path.exists() {
            return Err(LedgerError::Missing {
                path: path.to_owned(),
            });
        }
        if create && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::Dir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // FULL: a recorded 200 is on disk before the send journal moves on.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "cache_size", -65536)?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        let conn = open().map_err(|source| LedgerError::Open {
            path: path.to_owned(),
            source,
        })?;
        let ledger = Ledger {
            conn,
            path: path.to_owned(),
        };
        ledger.check_owner(owner)?;
        Ok(ledger)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        |source| LedgerError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    fn meta(&self, name: &str) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sql())
    }

    fn set_meta(&self, name: &str, value: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    fn check_owner(&self, owner: Owner<'_>) -> Result<(), LedgerError> {
        match self.meta("format")? {
            None => self.set_meta("format", FORMAT)?,
            Some(f) if f == FORMAT => {}
            Some(f) => {
                return Err(LedgerError::Corrupt {
                    path: self.path.clone(),
                    problem: format!("ledger format {f:?}, this version reads {FORMAT:?}"),
                });
            }
        }
        let fields = [
            ("interface", "interface", Some(owner.interface)),
            ("supplier", "supplier", owner.supplier),
        ];
        for (name, what, now) in fields {
            let Some(now) = now else { continue };
            match self.meta(name)? {
                None => self.set_meta(name, now)?,
                Some(was) if was == now => {}
                Some(was) => {
                    return Err(LedgerError::Other {
                        path: self.path.clone(),
                        what,
                        was,
                        now: now.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The supplier the ledger belongs to, once known.
    pub fn supplier(&self) -> Result<Option<String>, LedgerError> {
        self.meta("supplier")
    }

    pub fn interface(&self) -> Result<Option<String>, LedgerError> {
        self.meta("interface")
    }

    /// Mark a message as sent: until it is recorded or forgotten, it is in flight.
    pub fn begin(&mut self, m: &InFlight) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT INTO in_flight (correlation_id, file, file_sha256, body_sha256, sent_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(correlation_id) DO UPDATE SET sent_at = excluded.sent_at",
                params![
                    m.correlation_id,
                    m.file,
                    m.file_sha256,
                    m.body_sha256,
                    m.sent_at
                ],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// The register refused the message: it was not stored, so it is no longer in flight.
    pub fn forget(&mut self, correlation_id: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM in_flight WHERE correlation_id = ?1",
                [correlation_id],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// Messages in flight, oldest first.
    pub fn in_flight(&self) -> Result<Vec<InFlight>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT correlation_id, file, file_sha256, body_sha256, sent_at FROM in_flight
                 ORDER BY sent_at",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(InFlight {
                    correlation_id: r.get(0)?,
                    file: r.get(1)?,
                    file_sha256: r.get(2)?,
                    body_sha256: r.get(3)?,
                    sent_at: r.get(4)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// One write transaction (IMMEDIATE: the writer lock is taken before anything is read),
    /// committed when `job` succeeds, rolled back when it fails; errors name the ledger.
    fn write<T>(
        &mut self,
        job: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        let run = |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let done = job(&tx)?;
            tx.commit()?;
            Ok(done)
        };
        run(&mut self.conn).map_err(|source| LedgerError::Sql {
            path: self.path.clone(),
            source,
        })
    }

    /// Record an acknowledged update and the records it carried, in one transaction.
    pub fn record_update(
        &mut self,
        ack: &Acknowledged,
        records: impl IntoIterator<Item = (Section, Uuid, RecordHash)>,
    ) -> Result<Recorded, LedgerError> {
        self.write(|tx| {
            let Some(id) = insert_message(tx, ack)? else {
                // Recorded before (a resend answered as a replay): it is no longer in flight.
                end_flight(tx, &ack.correlation_id)?;
                return Ok(Recorded::AlreadyRecorded);
            };
            let mut n = 0usize;
            {
                let mut upsert = tx.prepare_cached(UPSERT_RECORD)?;
                for (section, key, hash) in records {
                    upsert.execute(params![
                        section.index() as i64,
                        &key.as_bytes()[..],
                        &hash.0[..],
                        id
                    ])?;
                    n += 1;
                }
            }
            tx.execute(
                "UPDATE messages SET records = ?1 WHERE id = ?2",
                params![n as i64, id],
            )?;
            end_flight(tx, &ack.correlation_id)?;
            Ok(Recorded::Written(n))
        })
    }

    /// Take over records acknowledged before the ledger existed (`ledger import`): each
    /// record with the index of the message in `acks` that carried it. One transaction; a
    /// message already in the ledger keeps its row, and a record already there takes the
    /// imported value.
    pub fn import(
        &mut self,
        acks: &[Acknowledged],
        records: &[(HashedRecord, usize)],
    ) -> Result<usize, LedgerError> {
        self.write(|tx| {
            let mut ids = Vec::with_capacity(acks.len());
            for ack in acks {
                let id = match insert_message(tx, ack)? {
                    Some(id) => id,
                    None => tx.query_row(
                        "SELECT id FROM messages WHERE correlation_id = ?1",
                        [&ack.correlation_id],
                        |r| r.get(0),
                    )?,
                };
                ids.push(id);
            }
            let mut counts = vec![0i64; acks.len()];
            {
                let mut upsert = tx.prepare_cached(UPSERT_RECORD)?;
                for (r, i) in records {
                    let Some(id) = ids.get(*i) else { continue };
                    upsert.execute(params![
                        r.section.index() as i64,
                        &r.key.as_bytes()[..],
                        &r.hash.0[..],
                        id
                    ])?;
                    counts[*i] += 1;
                }
            }
            for (id, n) in ids.iter().zip(&counts) {
                tx.execute(
                    "UPDATE messages SET records = records + ?1 WHERE id = ?2",
                    params![n, id],
                )?;
            }
            Ok(records.len())
        })
    }

    /// Record an acknowledged disputable or incorrect report of the record `key` (a legal
    /// person, account or safety deposit box), in one transaction.
    pub fn record_state(
        &mut self,
        ack: &Acknowledged,
        key: Uuid,
        to: DisputeState,
    ) -> Result<Recorded, LedgerError> {
        self.write(|tx| {
            let Some(id) = insert_message(tx, ack)? else {
                // Recorded before (a resend answered as a replay): it is no longer in flight.
                end_flight(tx, &ack.correlation_id)?;
                return Ok(Recorded::AlreadyRecorded);
            };
            let found: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT section, state FROM records WHERE key = ?1 AND section != 1
                     ORDER BY section LIMIT 1",
                    [&key.as_bytes()[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            // The register acknowledged it, so the ledger follows even for a record it does
            // not hold (the change is kept in state_changes either way).
            let (section, from) = found.unwrap_or((-1, 0));
            tx.execute(
                "UPDATE records SET state = ?1 WHERE section = ?2 AND key = ?3",
                params![types::state_code(to), section, &key.as_bytes()[..]],
            )?;
            tx.execute(
                "INSERT INTO state_changes (section, key, from_state, to_state, message)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    section,
                    &key.as_bytes()[..],
                    from,
                    types::state_code(to),
                    id
                ],
            )?;
            tx.execute("UPDATE messages SET records = 1 WHERE id = ?1", [id])?;
            end_flight(tx, &ack.correlation_id)?;
            Ok(Recorded::Written(usize::from(found.is_some())))
        })
    }
}

/// A record as an acknowledged message left it: inserted, or its value replaced.
const UPSERT_RECORD: &str =
    "INSERT INTO records (section, key, hash, first_message, last_message, state)
     VALUES (?1, ?2, ?3, ?4, ?4, 0)
     ON CONFLICT(section, key) DO UPDATE SET hash = excluded.hash,
         last_message = excluded.last_message";

fn end_flight(tx: &Connection, correlation_id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM in_flight WHERE correlation_id = ?1",
        [correlation_id],
    )
    .map(|_| ())
}

/// Insert the message row; `None` when the X-Correlation-ID is already recorded.
fn insert_message(tx: &Connection, ack: &Acknowledged) -> rusqlite::Result<Option<i64>> {
    tx.prepare_cached(
        "INSERT INTO messages (correlation_id, kind, category, acknowledged_at, source, records)
         VALUES (?1, ?2, ?3, ?4, ?5, 0)
         ON CONFLICT(correlation_id) DO NOTHING RETURNING id",
    )?
    .query_row(
        params![
            ack.correlation_id,
            ack.kind.as_str(),
            ack.category,
            ack.acknowledged_at,
            ack.source
        ],
        |r| r.get(0),
    )
    .optional()
}

/// The category number of an update endpoint, for [`Acknowledged::category`].
pub fn category_number(c: Option<Category>) -> Option<u8> {
    c.map(Category::number)
}

#[cfg(test)]
mod tests;
