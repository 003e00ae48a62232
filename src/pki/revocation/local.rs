//! CRLs the user hands in (`--crl FILE`, repeatable): read and decoded once, before any
//! certificate is checked, and shared by every check of the run. A file that cannot be read,
//! or that holds something that is not a CRL, stops the command with its name; a CRL that
//! decodes but must not be used (see [`Crl::unusable`]) is kept, so the report can say why it
//! was set aside.

use std::path::PathBuf;
use std::sync::Arc;

use super::list::{Crl, Origin};
use crate::pki::load::{self, LoadError};

#[derive(Debug, thiserror::Error)]
pub enum LocalCrlError {
    #[error("--crl {0}")]
    Load(#[from] LoadError),
    #[error("--crl {path}: CRL #{index} cannot be read: {reason}")]
    Bad {
        path: String,
        index: usize,
        reason: String,
    },
}

/// The `--crl` CRLs of a run.
#[derive(Clone, Debug, Default)]
pub struct LocalCrls(Arc<Vec<Crl>>);

impl LocalCrls {
    /// Read every file; `limit` is the largest file accepted (`--max-download`).
    pub fn load(paths: &[PathBuf], limit: u64) -> Result<LocalCrls, LocalCrlError> {
        let mut crls = Vec::new();
        for path in paths {
            for (i, der) in load::read_crls(path, limit)?.into_iter().enumerate() {
                let crl = Crl::parse(der, Origin::File(path.clone())).map_err(|reason| {
                    LocalCrlError::Bad {
                        path: path.display().to_string(),
                        index: i + 1,
                        reason,
                    }
                })?;
                crls.push(crl);
            }
        }
        Ok(LocalCrls(Arc::new(crls)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Crl> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
