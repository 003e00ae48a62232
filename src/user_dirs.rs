//! Where tilicheck keeps things between runs in the user's directories: one place, so every
//! cache (CRLs, trusted lists, DEMO keys) follows the same platform rules (XDG on Linux).

use std::path::PathBuf;

/// tilicheck's folder in the user's cache directory (`$XDG_CACHE_HOME/tilicheck`, else
/// `~/.cache/tilicheck` on Linux); None when the system has none.
pub fn cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("tilicheck"))
}
