//! The on-disk journal of a split send: which part went out with which X-Correlation-ID and
//! which were acknowledged (200). Rewritten whole, atomically, before each send (the part is
//! in flight) and after each 200 (acknowledged), so an interrupted run resumes without
//! re-sending an acknowledged part and without skipping one. A part in flight at the
//! interruption may or may not have been stored: it is sent again as the same request (same
//! X-Correlation-ID, same signed body), which a register that recognises replays answers 200.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The journal's file name inside the parts directory.
pub const FILE_NAME: &str = ".tilicheck-send-journal.json";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartState {
    /// Sent (or about to be) and not yet answered 200: send again, same correlation ID and
    /// body. (Journals of earlier versions call it `pending`.)
    #[serde(alias = "pending")]
    InFlight,
    /// Answered 200: never sent again.
    Acknowledged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartEntry {
    pub file: String,
    /// SHA-256 of the part as sent, hex: a part changed after it was sent is refused.
    pub sha256: String,
    pub correlation_id: String,
    /// SHA-256 of the signed body token sent, hex: a resend must be the same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    pub state: PartState,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    pub endpoint: String,
    pub parts: Vec<PartEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: cannot read the send journal: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the send journal is not readable ({problem}); it was not written by this tool or was edited: move it away only if you know which parts the register acknowledged", path.display())]
    Corrupt { path: PathBuf, problem: String },
    #[error("{}: cannot write the send journal: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} changed since it was sent (journal {}): the register holds the earlier content; do not edit parts of a split load mid-send", path.display())]
    Changed { path: PathBuf, file: String },
    #[error("the journal {} belongs to a send to {was}, not {now}: use a fresh copy of the parts for another register", path.display())]
    OtherEndpoint {
        path: PathBuf,
        was: String,
        now: String,
    },
}

impl Journal {
    /// The journal in `dir`, or an empty one for `endpoint`.
    pub fn open(dir: &Path, endpoint: &str) -> Result<Self, JournalError> {
        let path = dir.join(FILE_NAME);
        let journal = match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice::<Journal>(&bytes).map_err(|e| JournalError::Corrupt {
                    path: path.clone(),
                    problem: e.to_string(),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Journal {
                endpoint: endpoint.to_owned(),
                parts: Vec::new(),
            },
            Err(source) => return Err(JournalError::Read { path, source }),
        };
        if journal.endpoint != endpoint {
            return Err(JournalError::OtherEndpoint {
                path,
                was: journal.endpoint,
                now: endpoint.to_owned(),
            });
        }
        Ok(journal)
    }

    pub fn save(&self, dir: &Path) -> Result<(), JournalError> {
        let path = dir.join(FILE_NAME);
        let text = serde_json::to_string_pretty(self).map_err(|e| JournalError::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        crate::atomic_file::replace(&path, text.as_bytes())
            .map_err(|source| JournalError::Write { path, source })
    }

    /// The entry for `file`; a changed file is an error.
    pub fn entry(
        &self,
        dir: &Path,
        file: &str,
        sha256: &str,
    ) -> Result<Option<&PartEntry>, JournalError> {
        match self.parts.iter().find(|p| p.file == file) {
            Some(p) if p.sha256 != sha256 => Err(JournalError::Changed {
                path: dir.join(FILE_NAME),
                file: file.to_owned(),
            }),
            other => Ok(other),
        }
    }

    /// Record `entry`, replacing the one for the same file.
    pub fn record(&mut self, entry: PartEntry) {
        match self.parts.iter_mut().find(|p| p.file == entry.file) {
            Some(p) => *p = entry,
            None => self.parts.push(entry),
        }
    }
}

/// SHA-256, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage_changes_and_other_endpoints() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path(), "h:1").unwrap();
        assert!(j.parts.is_empty());
        j.record(PartEntry {
            file: "part-000001.json".into(),
            sha256: sha256_hex(b"a"),
            correlation_id: "c".into(),
            body_sha256: Some(sha256_hex(b"body")),
            state: PartState::InFlight,
        });
        j.save(dir.path()).unwrap();
        let back = Journal::open(dir.path(), "h:1").unwrap();
        assert_eq!(back, j);
        assert!(
            back.entry(dir.path(), "part-000001.json", &sha256_hex(b"a"))
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            back.entry(dir.path(), "part-000001.json", &sha256_hex(b"b")),
            Err(JournalError::Changed { .. })
        ));
        assert!(matches!(
            Journal::open(dir.path(), "other:2"),
            Err(JournalError::OtherEndpoint { .. })
        ));
        // A journal of an earlier version (state "pending", no body hash) still reads.
        std::fs::write(
            dir.path().join(FILE_NAME),
            br#"{"endpoint":"h:1","parts":[{"file":"p","sha256":"00","correlation_id":"c","state":"pending"}]}"#,
        )
        .unwrap();
        let old = Journal::open(dir.path(), "h:1").unwrap();
        assert_eq!(old.parts[0].state, PartState::InFlight);
        assert_eq!(old.parts[0].body_sha256, None);
        std::fs::write(dir.path().join(FILE_NAME), b"{\"endpoint\":").unwrap();
        assert!(matches!(
            Journal::open(dir.path(), "h:1"),
            Err(JournalError::Corrupt { .. })
        ));
    }
}
