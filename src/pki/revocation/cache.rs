//! The on-disk CRL cache: one file per URL, named by the URL's SHA-256. Freshness is decided
//! by the CRL itself (its nextUpdate), so the cache stores only the bytes.

use std::path::{Path, PathBuf};

use aws_lc_rs::digest;

/// Largest cached file read back; bigger ones are ignored and fetched again.
const MAX_CACHED: u64 = 256 * 1024 * 1024;

pub struct CrlCache {
    dir: PathBuf,
}

impl CrlCache {
    pub fn new(dir: &Path) -> Self {
        CrlCache {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path_for(&self, url: &str) -> PathBuf {
        let hash = digest::digest(&digest::SHA256, url.as_bytes());
        let name: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.crl"))
    }

    /// The cached bytes for `url`, if any.
    pub fn load(&self, url: &str) -> Option<Vec<u8>> {
        let path = self.path_for(url);
        let meta = std::fs::metadata(&path).ok()?;
        if meta.len() > MAX_CACHED {
            return None;
        }
        std::fs::read(path).ok()
    }

    /// Store the bytes for `url`, whole or not at all (a temporary file and a rename).
    pub fn store(&self, url: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path_for(url);
        crate::atomic_file::replace(&path, bytes).map(|()| path)
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/tilicheck/crl`, else `~/.cache/tilicheck/crl`.
pub fn default_dir() -> Option<PathBuf> {
    crate::user_dirs::cache_dir().map(|d| d.join("crl"))
}
