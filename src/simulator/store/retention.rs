//! `serve --retain DAYS`: the tokens of messages older than DAYS are removed, a whole segment
//! at a time once its newest message is older than that (segments start afresh each day, so
//! nothing is kept much more than a day past its time). The message log, the records, their
//! versions and dispute states stay; a record whose value now was read from a pruned token has
//! that value copied into the database first, so `/api/state` still shows it (the values of
//! its earlier versions go with their tokens). A crash between
//! the commit and the removal of the file leaves a file the database no longer knows, which
//! the next start removes.

use rusqlite::{OptionalExtension, params};

use super::segments::{self, Location, SegmentError};
use super::write::body_digest;
use super::{Store, StoreError};
use crate::simulator::records::{RecordType, canonical_text, record_in, report_of_token};

/// What one pruning removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub segments: usize,
    pub messages: usize,
}

impl Store {
    /// Remove the tokens of messages received before `cutoff` (RFC 3339, UTC).
    pub fn prune(&mut self, cutoff: &str) -> Result<Pruned, StoreError> {
        let current = self
            .appender
            .as_ref()
            .map(|a| a.segment)
            .ok_or(StoreError::ReadOnly)?;
        let old: Vec<i64> = {
            let mut stmt = self.conn.prepare(
                "SELECT id FROM segments WHERE id != ?1 AND (last_at IS NULL OR last_at < ?2) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![current, cutoff], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut pruned = Pruned::default();
        for id in old {
            pruned.messages += self.prune_segment(id)?;
            pruned.segments += 1;
        }
        pruned.messages += self.prune_old_rows(cutoff)?;
        Ok(pruned)
    }

    fn prune_segment(&mut self, id: i64) -> Result<usize, StoreError> {
        // Records whose value now lives only in this segment: copy the value in first.
        let keep: Vec<(String, String, String, i64)> = {
            let mut stmt = self.conn.prepare(
                "SELECT r.sender, r.record_type, r.uuid, m.segment_offset
                 FROM records r JOIN messages m ON m.correlation_id = r.last_cid AND m.accepted = 1
                 WHERE r.value IS NULL AND m.segment = ?1",
            )?;
            let rows =
                stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut values = Vec::with_capacity(keep.len());
        for (sender, record_type, uuid, offset) in keep {
            let tokens = self.read_tokens(Location {
                segment: id,
                offset: offset as u64,
            })?;
            let value = tokens
                .body
                .as_deref()
                .and_then(report_of_token)
                .zip(RecordType::parse(&record_type))
                .and_then(|(report, t)| record_in(&report, t, &uuid))
                .map(|v| canonical_text(&v));
            values.push((sender, record_type, uuid, value));
        }
        let tx = self.conn.transaction()?;
        for (sender, record_type, uuid, value) in &values {
            tx.execute(
                "UPDATE records SET value = ?1 WHERE sender = ?2 AND record_type = ?3 AND uuid = ?4",
                params![value, sender, record_type, uuid],
            )?;
        }
        let messages = tx.execute(
            "UPDATE messages SET segment = NULL, segment_offset = NULL WHERE segment = ?1",
            [id],
        )?;
        tx.execute("DELETE FROM segments WHERE id = ?1", [id])?;
        tx.commit()?;
        let path = segments::path(&self.dir, id);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SegmentError::Io { path, source }.into()),
        }
        let _ = segments::sync_dir(&segments::dir(&self.dir));
        Ok(messages)
    }

    /// Tokens that databases made before segments kept in the row itself.
    fn prune_old_rows(&mut self, cutoff: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        loop {
            let row: Option<(i64, bool, Option<String>)> = self
                .conn
                .query_row(
                    "SELECT seq, accepted, body_token FROM messages
                     WHERE segment IS NULL AND (auth_token IS NOT NULL OR body_token IS NOT NULL)
                       AND received_at < ?1 LIMIT 1",
                    [cutoff],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((seq, accepted, body)) = row else {
                return Ok(n);
            };
            let digest = body.as_deref().filter(|_| accepted).map(body_digest);
            self.conn.execute(
                "UPDATE messages SET auth_token = NULL, body_token = NULL,
                        body_sha256 = coalesce(body_sha256, ?1) WHERE seq = ?2",
                params![digest, seq],
            )?;
            n += 1;
        }
    }
}
