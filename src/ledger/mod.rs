//! The ledger: what the register has acknowledged, record by record. For every record (its
//! map and UUID) the hash of its canonical JSON ([`crate::message::canonical`]), the update
//! messages that first and last carried it (X-Correlation-ID, category, time of the 200) and
//! its §4.3 state. One SQLite file per supplier and interface.
//!
//! Only a 200 writes to it, and one acknowledged message is one transaction: its message row,
//! all of its records, and the removal of its in-flight mark commit together or not at all. A
//! message is recorded once: recording the same X-Correlation-ID again (a resumed send that got
//! the replay's 200) changes nothing, which is what lets `send` write the ledger first and its
//! journal second (see `commands::send`).

pub mod hashing;
pub mod path;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use uuid::Uuid;

use crate::message::canonical::RecordHash;
use crate::message::kind::Category;
use crate::message::section::Section;
use hashing::HashedRecord;

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

/// A record's §4.3 state, as far as the register acknowledged reports of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DisputeState {
    Normal,
    Disputed,
    Incorrect,
}

impl DisputeState {
    fn code(self) -> i64 {
        match self {
            DisputeState::Normal => 0,
            DisputeState::Disputed => 1,
            DisputeState::Incorrect => 2,
        }
    }
    fn from_code(c: i64) -> Option<DisputeState> {
        match c {
            0 => Some(DisputeState::Normal),
            1 => Some(DisputeState::Disputed),
            2 => Some(DisputeState::Incorrect),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeState::Normal => "normal",
            DisputeState::Disputed => "disputed",
            DisputeState::Incorrect => "incorrect",
        }
    }
}

/// What kind of acknowledged message a ledger entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Update,
    Disputable,
    Incorrect,
    /// Taken over from an earlier export (`ledger import`): acknowledged before the ledger.
    Import,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Update => "update",
            MessageKind::Disputable => "disputable",
            MessageKind::Incorrect => "incorrect",
            MessageKind::Import => "import",
        }
    }
    fn parse(s: &str) -> Option<MessageKind> {
        [
            MessageKind::Update,
            MessageKind::Disputable,
            MessageKind::Incorrect,
            MessageKind::Import,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One message the register answered 200.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    pub correlation_id: String,
    pub kind: MessageKind,
    /// The update endpoint's category (v3); `None` for disputes and v1.0.4.
    pub category: Option<u8>,
    /// When the 200 came (RFC 3339, UTC).
    pub acknowledged_at: String,
    /// The file it was sent from.
    pub source: String,
}

/// A record as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerRecord {
    pub section: Section,
    pub key: Uuid,
    pub hash: RecordHash,
    pub state: DisputeState,
    /// The message that last carried the record (its value now).
    pub last: Acknowledged,
    /// The message that first carried it.
    pub first: Acknowledged,
}

/// A record of the baseline a diff compares with: map, key, hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaseEntry {
    pub section: u8,
    pub key: [u8; 16],
    pub hash: RecordHash,
}

/// A message sent and not yet answered 200 (or answered in a way that does not say whether
/// it was stored): its records are not in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InFlight {
    pub correlation_id: String,
    pub file: String,
    pub file_sha256: String,
    pub body_sha256: String,
    pub sent_at: String,
}

/// What recording an acknowledged message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// New: this many records written.
    Written(usize),
    /// The ledger already held this X-Correlation-ID: nothing changed.
    AlreadyRecorded,
}

/// Counts for `ledger show`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Per map: (normal, disputed, incorrect).
    pub records: Vec<SectionCount>,
    pub messages: i64,
    pub last_acknowledged_at: Option<String>,
    pub in_flight: Vec<InFlight>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionCount {
    pub section: Section,
    pub normal: i64,
    pub disputed: i64,
    pub incorrect: i64,
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

    /// Record an acknowledged update and the records it carried, in one transaction.
    pub fn record_update(
        &mut self,
        ack: &Acknowledged,
        records: impl IntoIterator<Item = (Section, Uuid, RecordHash)>,
    ) -> Result<Recorded, LedgerError> {
        let path = self.path.clone();
        let sql = move |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let Some(id) = insert_message(&tx, ack).map_err(&sql)? else {
            return Ok(Recorded::AlreadyRecorded);
        };
        let mut n = 0usize;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO records (section, key, hash, first_message, last_message, state)
                     VALUES (?1, ?2, ?3, ?4, ?4, 0)
                     ON CONFLICT(section, key) DO UPDATE SET hash = excluded.hash,
                         last_message = excluded.last_message",
                )
                .map_err(&sql)?;
            for (section, key, hash) in records {
                upsert
                    .execute(params![
                        section.index() as i64,
                        &key.as_bytes()[..],
                        &hash.0[..],
                        id
                    ])
                    .map_err(&sql)?;
                n += 1;
            }
        }
        tx.execute(
            "UPDATE messages SET records = ?1 WHERE id = ?2",
            params![n as i64, id],
        )
        .map_err(&sql)?;
        tx.execute(
            "DELETE FROM in_flight WHERE correlation_id = ?1",
            [&ack.correlation_id],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(Recorded::Written(n))
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
        let path = self.path.clone();
        let sql = move |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let mut ids = Vec::with_capacity(acks.len());
        for ack in acks {
            let id = match insert_message(&tx, ack).map_err(&sql)? {
                Some(id) => id,
                None => tx
                    .query_row(
                        "SELECT id FROM messages WHERE correlation_id = ?1",
                        [&ack.correlation_id],
                        |r| r.get(0),
                    )
                    .map_err(&sql)?,
            };
            ids.push(id);
        }
        let mut counts = vec![0i64; acks.len()];
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO records (section, key, hash, first_message, last_message, state)
                     VALUES (?1, ?2, ?3, ?4, ?4, 0)
                     ON CONFLICT(section, key) DO UPDATE SET hash = excluded.hash,
                         last_message = excluded.last_message",
                )
                .map_err(&sql)?;
            for (r, i) in records {
                let Some(id) = ids.get(*i) else { continue };
                upsert
                    .execute(params![
                        r.section.index() as i64,
                        &r.key.as_bytes()[..],
                        &r.hash.0[..],
                        id
                    ])
                    .map_err(&sql)?;
                counts[*i] += 1;
            }
        }
        for (id, n) in ids.iter().zip(&counts) {
            tx.execute(
                "UPDATE messages SET records = records + ?1 WHERE id = ?2",
                params![n, id],
            )
            .map_err(&sql)?;
        }
        tx.commit().map_err(&sql)?;
        Ok(records.len())
    }

    /// Record an acknowledged disputable or incorrect report of the record `key` (a legal
    /// person, account or safety deposit box), in one transaction.
    pub fn record_state(
        &mut self,
        ack: &Acknowledged,
        key: Uuid,
        to: DisputeState,
    ) -> Result<Recorded, LedgerError> {
        let path = self.path.clone();
        let sql = move |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let Some(id) = insert_message(&tx, ack).map_err(&sql)? else {
            return Ok(Recorded::AlreadyRecorded);
        };
        let found: Option<(i64, i64)> = tx
            .query_row(
                "SELECT section, state FROM records WHERE key = ?1 AND section != 1
                 ORDER BY section LIMIT 1",
                [&key.as_bytes()[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&sql)?;
        // The register acknowledged it, so the ledger follows even for a record it does not
        // hold (the change is kept in state_changes either way).
        let (section, from) = found.unwrap_or((-1, 0));
        tx.execute(
            "UPDATE records SET state = ?1 WHERE section = ?2 AND key = ?3",
            params![to.code(), section, &key.as_bytes()[..]],
        )
        .map_err(&sql)?;
        tx.execute(
            "INSERT INTO state_changes (section, key, from_state, to_state, message)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![section, &key.as_bytes()[..], from, to.code(), id],
        )
        .map_err(&sql)?;
        tx.execute("UPDATE messages SET records = 1 WHERE id = ?1", [id])
            .map_err(&sql)?;
        tx.execute(
            "DELETE FROM in_flight WHERE correlation_id = ?1",
            [&ack.correlation_id],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(Recorded::Written(usize::from(found.is_some())))
    }

    /// Every record's map, key and hash, sorted (the order of [`BaseEntry`]).
    pub fn baseline(&self) -> Result<Vec<BaseEntry>, LedgerError> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .map_err(self.sql())?;
        let mut out = Vec::with_capacity(count.max(0) as usize);
        let mut stmt = self
            .conn
            .prepare("SELECT section, key, hash FROM records ORDER BY section, key")
            .map_err(self.sql())?;
        let mut rows = stmt.query([]).map_err(self.sql())?;
        while let Some(r) = rows.next().map_err(self.sql())? {
            let section: i64 = r.get(0).map_err(self.sql())?;
            let key: Vec<u8> = r.get(1).map_err(self.sql())?;
            let hash: Vec<u8> = r.get(2).map_err(self.sql())?;
            let (Ok(section), Ok(key), Ok(hash)) = (
                u8::try_from(section),
                <[u8; 16]>::try_from(key.as_slice()),
                <[u8; 32]>::try_from(hash.as_slice()),
            ) else {
                return Err(LedgerError::Corrupt {
                    path: self.path.clone(),
                    problem: "a record row of the wrong shape".into(),
                });
            };
            out.push(BaseEntry {
                section,
                key,
                hash: RecordHash(hash),
            });
        }
        Ok(out)
    }

    /// The record `key` of `section`.
    pub fn record(&self, section: Section, key: Uuid) -> Result<Option<LedgerRecord>, LedgerError> {
        let mut found = Vec::new();
        self.each_record(Some((section, key)), |r| {
            found.push(r);
            Ok(())
        })?;
        Ok(found.pop())
    }

    /// The legal person, account or safety deposit box with this key: the record §4.3 lets a
    /// supplier report (a customership shares its legal person's key and cannot be reported).
    pub fn disputable_record(&self, key: Uuid) -> Result<Option<LedgerRecord>, LedgerError> {
        for section in [
            Section::Accounts,
            Section::SafetyDepositBoxes,
            Section::LegalPersons,
        ] {
            if let Some(r) = self.record(section, key)? {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Whether any record (of any map) has this key.
    pub fn knows_key(&self, key: Uuid) -> Result<Option<Section>, LedgerError> {
        let s: Option<i64> = self
            .conn
            .query_row(
                "SELECT section FROM records WHERE key = ?1 ORDER BY section LIMIT 1",
                [&key.as_bytes()[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(s.and_then(|s| Section::from_index(s as usize)))
    }

    /// Call `f` with every record (or only `one`), in key order.
    pub fn each_record(
        &self,
        one: Option<(Section, Uuid)>,
        mut f: impl FnMut(LedgerRecord) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let base = "SELECT r.section, r.key, r.hash, r.state,
                f.correlation_id, f.kind, f.category, f.acknowledged_at, f.source,
                l.correlation_id, l.kind, l.category, l.acknowledged_at, l.source
             FROM records r JOIN messages f ON f.id = r.first_message
                            JOIN messages l ON l.id = r.last_message";
        let sql_text = match one {
            Some(_) => format!("{base} WHERE r.section = ?1 AND r.key = ?2"),
            None => format!("{base} ORDER BY r.section, r.key"),
        };
        let mut stmt = self.conn.prepare(&sql_text).map_err(self.sql())?;
        let mut rows = match one {
            Some((s, k)) => stmt.query(params![s.index() as i64, &k.as_bytes()[..]]),
            None => stmt.query([]),
        }
        .map_err(self.sql())?;
        let corrupt = |problem: &str| LedgerError::Corrupt {
            path: self.path.clone(),
            problem: problem.to_owned(),
        };
        while let Some(r) = rows.next().map_err(self.sql())? {
            let get_ack = |at: usize| -> Result<Acknowledged, LedgerError> {
                let kind: String = r.get(at + 1).map_err(self.sql())?;
                Ok(Acknowledged {
                    correlation_id: r.get(at).map_err(self.sql())?,
                    kind: MessageKind::parse(&kind)
                        .ok_or_else(|| corrupt("unknown message kind"))?,
                    category: r.get(at + 2).map_err(self.sql())?,
                    acknowledged_at: r.get(at + 3).map_err(self.sql())?,
                    source: r.get(at + 4).map_err(self.sql())?,
                })
            };
            let section: i64 = r.get(0).map_err(self.sql())?;
            let key: Vec<u8> = r.get(1).map_err(self.sql())?;
            let hash: Vec<u8> = r.get(2).map_err(self.sql())?;
            let state: i64 = r.get(3).map_err(self.sql())?;
            let record = LedgerRecord {
                section: Section::from_index(section as usize)
                    .ok_or_else(|| corrupt("unknown record map"))?,
                key: Uuid::from_slice(&key).map_err(|_| corrupt("a key that is not 16 bytes"))?,
                hash: RecordHash(
                    <[u8; 32]>::try_from(hash.as_slice())
                        .map_err(|_| corrupt("a hash that is not 32 bytes"))?,
                ),
                state: DisputeState::from_code(state).ok_or_else(|| corrupt("unknown state"))?,
                first: get_ack(4)?,
                last: get_ack(9)?,
            };
            f(record)?;
        }
        Ok(())
    }

    /// Counts per map and state, messages, what is in flight.
    pub fn summary(&self) -> Result<Summary, LedgerError> {
        let mut records = Vec::new();
        for section in Section::ALL {
            let mut counts = [0i64; 3];
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT state, count(*) FROM records WHERE section = ?1 GROUP BY state",
                )
                .map_err(self.sql())?;
            let mut rows = stmt.query([section.index() as i64]).map_err(self.sql())?;
            while let Some(r) = rows.next().map_err(self.sql())? {
                let state: i64 = r.get(0).map_err(self.sql())?;
                let n: i64 = r.get(1).map_err(self.sql())?;
                if let Some(slot) = usize::try_from(state).ok().and_then(|i| counts.get_mut(i)) {
                    *slot = n;
                }
            }
            records.push(SectionCount {
                section,
                normal: counts[0],
                disputed: counts[1],
                incorrect: counts[2],
            });
        }
        let (messages, last): (i64, Option<String>) = self
            .conn
            .query_row(
                "SELECT count(*), max(acknowledged_at) FROM messages",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql())?;
        Ok(Summary {
            records,
            messages,
            last_acknowledged_at: last,
            in_flight: self.in_flight()?,
        })
    }

    /// Whether the register acknowledged a message with this X-Correlation-ID.
    pub fn has_message(&self, correlation_id: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT 1 FROM messages WHERE correlation_id = ?1",
                [correlation_id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(self.sql())
    }
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
mod tests {
    use super::*;

    fn ack(cid: &str) -> Acknowledged {
        Acknowledged {
            correlation_id: cid.into(),
            kind: MessageKind::Update,
            category: Some(2),
            acknowledged_at: "2026-01-01T06:00:00Z".into(),
            source: "part-000001.json".into(),
        }
    }

    const OWNER: Owner<'static> = Owner {
        supplier: Some("1234567-1"),
        interface: "v3",
    };

    #[test]
    fn a_message_is_recorded_once_and_later_values_replace_earlier() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        assert!(matches!(
            Ledger::open(&path, OWNER, false),
            Err(LedgerError::Missing { .. })
        ));
        let mut l = Ledger::open(&path, OWNER, true).unwrap();
        let k = Uuid::from_u128(7);
        let h1 = RecordHash::of_json("{\"a\":1}").unwrap();
        let h2 = RecordHash::of_json("{\"a\":2}").unwrap();
        l.begin(&InFlight {
            correlation_id: "c1".into(),
            file: "f".into(),
            file_sha256: "x".into(),
            body_sha256: "y".into(),
            sent_at: "t".into(),
        })
        .unwrap();
        assert_eq!(l.in_flight().unwrap().len(), 1);
        assert_eq!(
            l.record_update(&ack("c1"), [(Section::Accounts, k, h1)])
                .unwrap(),
            Recorded::Written(1)
        );
        assert!(
            l.in_flight().unwrap().is_empty(),
            "recording ends the flight"
        );
        // The replay's 200: nothing changes, not even with other records.
        assert_eq!(
            l.record_update(&ack("c1"), [(Section::Accounts, k, h2)])
                .unwrap(),
            Recorded::AlreadyRecorded
        );
        assert_eq!(l.record(Section::Accounts, k).unwrap().unwrap().hash, h1);
        l.record_update(&ack("c2"), [(Section::Accounts, k, h2)])
            .unwrap();
        let r = l.record(Section::Accounts, k).unwrap().unwrap();
        assert_eq!(
            (
                r.hash,
                r.first.correlation_id.as_str(),
                r.last.correlation_id.as_str()
            ),
            (h2, "c1", "c2")
        );
        assert_eq!(l.record(Section::Customers, k).unwrap(), None);
        assert_eq!(l.baseline().unwrap().len(), 1);

        let dispute = Acknowledged {
            kind: MessageKind::Disputable,
            category: None,
            ..ack("c3")
        };
        l.record_state(&dispute, k, DisputeState::Disputed).unwrap();
        assert_eq!(
            l.disputable_record(k).unwrap().unwrap().state,
            DisputeState::Disputed
        );
        let s = l.summary().unwrap();
        assert_eq!(s.messages, 3);
        assert_eq!(s.records[Section::Accounts.index()].disputed, 1);
    }

    #[test]
    fn another_suppliers_or_interfaces_ledger_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        Ledger::open(&path, OWNER, true).unwrap();
        let other = Owner {
            supplier: Some("7654321-2"),
            ..OWNER
        };
        assert!(matches!(
            Ledger::open(&path, other, false),
            Err(LedgerError::Other {
                what: "supplier",
                ..
            })
        ));
        let v1 = Owner {
            interface: "v1.0.4",
            ..OWNER
        };
        assert!(matches!(
            Ledger::open(&path, v1, false),
            Err(LedgerError::Other {
                what: "interface",
                ..
            })
        ));
        // A command that does not know the supplier may open it.
        let unknown = Owner {
            supplier: None,
            ..OWNER
        };
        assert!(Ledger::open(&path, unknown, false).is_ok());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        std::fs::write(&path, b"this is not a database, just some text long enough").unwrap();
        assert!(Ledger::open(&path, OWNER, false).is_err());
    }
}
