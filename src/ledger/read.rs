//! Reading the ledger: the baseline a diff compares with, single records, every record, counts.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{
    Acknowledged, BaseEntry, Ledger, LedgerError, LedgerRecord, MessageKind, SectionCount, Summary,
};
use crate::message::canonical::RecordHash;
use crate::message::section::Section;

impl Ledger {
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
                state: super::types::state_from_code(state)
                    .ok_or_else(|| corrupt("unknown state"))?,
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
