//! What the register holds now, record by record, and how each record got there: the views
//! behind the inspection API's `/api/state` and `/api/records/UUID`.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

use super::{Store, StoreError};
use crate::simulator::records::{RecordType, canonical_text, record_in, report_of_token};

/// A record's value now: the last version an accepted update carried.
#[derive(Clone, Debug, Serialize)]
pub struct CurrentRecord {
    pub sender: String,
    pub record_type: String,
    pub uuid: String,
    pub state: String,
    pub versions: i64,
    /// The update that carried the value now held.
    pub correlation_id: String,
    pub value: Value,
}

/// One version of a record.
#[derive(Clone, Debug, Serialize)]
pub struct Version {
    pub version: i64,
    pub correlation_id: String,
    /// When the update carrying it was accepted.
    pub received_at: Option<String>,
    pub value: Value,
}

/// One §4.3 state change.
#[derive(Clone, Debug, Serialize)]
pub struct StateChange {
    pub from_state: String,
    pub to_state: String,
    pub correlation_id: String,
    pub at: String,
}

/// A record with its whole history.
#[derive(Clone, Debug, Serialize)]
pub struct RecordHistory {
    #[serde(flatten)]
    pub current: CurrentRecord,
    pub history: Vec<Version>,
    pub state_changes: Vec<StateChange>,
}

/// Record values read out of the updates that carried them, each update's body parsed once.
struct Values<'s> {
    store: &'s Store,
    reports: HashMap<String, Option<Value>>,
}

impl<'s> Values<'s> {
    fn new(store: &'s Store) -> Self {
        Values {
            store,
            reports: HashMap::new(),
        }
    }

    /// The value of one version: the column when it holds one (databases made before
    /// segments, pruned tokens), else the record as the update `correlation_id` carried it,
    /// as canonical JSON; null when neither is there any more.
    fn of(
        &mut self,
        stored: Option<String>,
        correlation_id: &str,
        record_type: &str,
        uuid: &str,
    ) -> Value {
        if let Some(text) = stored {
            return serde_json::from_str(&text).unwrap_or(Value::Null);
        }
        let store = self.store;
        let report = self
            .reports
            .entry(correlation_id.to_owned())
            .or_insert_with(|| {
                let body = store.tokens(correlation_id, true).ok()?.body?;
                report_of_token(&body)
            });
        let Some(record_type) = RecordType::parse(record_type) else {
            return Value::Null;
        };
        report
            .as_ref()
            .and_then(|r| record_in(r, record_type, uuid))
            .map(|v| serde_json::from_str(&canonical_text(&v)).unwrap_or(v))
            .unwrap_or(Value::Null)
    }
}

const CURRENT: &str =
    "SELECT r.sender, r.record_type, r.uuid, r.state, r.versions, coalesce(r.last_cid, ''), r.value
     FROM records r";

fn current_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(CurrentRecord, Option<String>)> {
    Ok((
        CurrentRecord {
            sender: r.get(0)?,
            record_type: r.get(1)?,
            uuid: r.get(2)?,
            state: r.get(3)?,
            versions: r.get(4)?,
            correlation_id: r.get(5)?,
            value: Value::Null,
        },
        r.get(6)?,
    ))
}

fn with_values(
    values: &mut Values<'_>,
    rows: Vec<(CurrentRecord, Option<String>)>,
) -> Vec<CurrentRecord> {
    rows.into_iter()
        .map(|(mut c, stored)| {
            c.value = values.of(stored, &c.correlation_id, &c.record_type, &c.uuid);
            c
        })
        .collect()
}

impl Store {
    /// Every record's current value, in (sender, type, UUID) order, `limit` from `offset`.
    pub fn state(&self, offset: usize, limit: usize) -> Result<Vec<CurrentRecord>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "{CURRENT} ORDER BY r.sender, r.record_type, r.uuid LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], current_row)?
            .collect::<Result<_, _>>()?;
        Ok(with_values(&mut Values::new(self), rows))
    }

    /// Every record (of any type and sender) with this UUID, with its versions and state
    /// changes, oldest first. The versions are kept in the order written, so this reads them
    /// all: an inspection query, not one the writer makes.
    pub fn record_history(&self, uuid: &str) -> Result<Vec<RecordHistory>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "{CURRENT} WHERE r.uuid = ?1 ORDER BY r.sender, r.record_type"
        ))?;
        let current = stmt
            .query_map([uuid], current_row)?
            .collect::<Result<_, _>>()?;
        let mut values = Values::new(self);
        let current = with_values(&mut values, current);
        let mut out = Vec::new();
        for c in current {
            let mut versions = self.conn.prepare_cached(
                "SELECT v.version, m.correlation_id, m.received_at, v.value
                 FROM record_versions v JOIN messages m ON m.seq = v.message
                 WHERE v.record = (SELECT id FROM records WHERE sender = ?1 AND record_type = ?2 AND uuid = ?3)
                 ORDER BY v.version",
            )?;
            let rows: Vec<(Version, Option<String>)> = versions
                .query_map(params![c.sender, c.record_type, c.uuid], |r| {
                    Ok((
                        Version {
                            version: r.get(0)?,
                            correlation_id: r.get(1)?,
                            received_at: r.get(2)?,
                            value: Value::Null,
                        },
                        r.get(3)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let history = rows
                .into_iter()
                .map(|(mut v, stored)| {
                    v.value = if v.version == c.versions {
                        c.value.clone()
                    } else {
                        values.of(stored, &v.correlation_id, &c.record_type, &c.uuid)
                    };
                    v
                })
                .collect();
            let mut changes = self.conn.prepare_cached(
                "SELECT from_state, to_state, correlation_id, at FROM state_changes
                 WHERE sender = ?1 AND record_type = ?2 AND uuid = ?3 ORDER BY seq",
            )?;
            let state_changes = changes
                .query_map(params![c.sender, c.record_type, c.uuid], |r| {
                    Ok(StateChange {
                        from_state: r.get(0)?,
                        to_state: r.get(1)?,
                        correlation_id: r.get(2)?,
                        at: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            out.push(RecordHistory {
                current: c,
                history,
                state_changes,
            });
        }
        Ok(out)
    }
}
