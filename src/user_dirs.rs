//! Where tilicheck keeps things between runs in the user's directories: one place, so every
//! cache (CRLs, trusted lists, DEMO keys) and the ledgers follow the same platform rules (XDG
//! on Linux).

use std::path::PathBuf;

/// tilicheck's folder in the user's cache directory (`$XDG_CACHE_HOME/tilicheck`, else
/// `~/.cache/tilicheck` on Linux); None when the system has none.
pub fn cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("tilicheck"))
}

/// The environment variable that overrides the data directory (tests, containers).
pub const DATA_DIR_ENV: &str = "TILICHECK_DATA_DIR";

/// tilicheck's data directory (the ledgers): `$TILICHECK_DATA_DIR`, else the platform's user
/// data directory with `tilicheck` under it (`$XDG_DATA_HOME/tilicheck`, else
/// `~/.local/share/tilicheck` on Linux); None when the system has none.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => dirs::data_dir().map(|d| d.join("tilicheck")),
    }
}
