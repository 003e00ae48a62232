//! The journal of a `vero new` / `vero renew` run: a small JSON file in the output directory,
//! rewritten atomically at each step, so that an interrupted run can be resumed without
//! asking the service for a second certificate. It holds no secret: the transfer password
//! is never written anywhere.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::profile::vero::Environment;

pub const JOURNAL_FILE: &str = "vero-journal.json";
pub const KEY_FILE: &str = "vero.key";
pub const CSR_FILE: &str = "vero.csr";
pub const CERT_FILE: &str = "vero.pem";

/// How far a run got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The key and request are on disk; the request may or may not have reached the service.
    KeyWritten,
    /// The service gave a retrieval ID; the certificate is still to be fetched.
    Requested,
    /// The certificate is on disk.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    New,
    Renew,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub operation: Operation,
    pub environment: Environment,
    pub customer_id: String,
    pub customer_name: Option<String>,
    pub service_url: String,
    pub step: Step,
    pub retrieval_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: cannot read the journal: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: not a tilicheck vero journal: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("{path}: cannot write the journal: {reason}")]
    Write { path: String, reason: String },
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL_FILE)
}

impl Journal {
    pub fn load(dir: &Path) -> Result<Self, JournalError> {
        let p = path(dir);
        let shown = p.display().to_string();
        let meta = std::fs::metadata(&p).map_err(|e| JournalError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        if meta.len() > 64 * 1024 {
            return Err(JournalError::Corrupt {
                path: shown,
                reason: format!("{} bytes is far too large", meta.len()),
            });
        }
        let text = std::fs::read(&p).map_err(|e| JournalError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_slice(&text).map_err(|e| JournalError::Corrupt {
            path: shown,
            reason: e.to_string(),
        })
    }

    pub fn save(&self, dir: &Path) -> Result<(), JournalError> {
        let p = path(dir);
        let write = |reason: String| JournalError::Write {
            path: p.display().to_string(),
            reason,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| write(e.to_string()))?;
        crate::atomic_file::replace(&p, &text).map_err(|e| write(e.to_string()))
    }
}
