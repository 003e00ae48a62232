//! Writing a file whole or not at all: a temporary file in the same directory, synced, then
//! renamed into place. A crash or a full disk leaves the old file (or none), never half of a
//! new one. Every report, key, journal and cache file goes through here.

use std::io::Write;
use std::path::Path;

/// Who may read the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Owner-only (0600 on Unix): private keys.
    OwnerOnly,
    /// Readable by all (0644 on Unix, before the umask).
    Public,
}

/// What to do when the file already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    Replace,
    /// Fail with `AlreadyExists` and leave the file as it is (keys are never clobbered).
    Keep,
}

/// Write `bytes` to `path` whole or not at all.
pub fn write(path: &Path, bytes: &[u8], access: Access, existing: Existing) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tilicheck-")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::OwnerOnly => 0o600,
            Access::Public => 0o644,
        };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = access;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `tmp` (or the error holding it) drops.
    match existing {
        Existing::Replace => tmp.persist(path).map(|_| ()).map_err(|e| e.error),
        Existing::Keep => tmp.persist_noclobber(path).map(|_| ()).map_err(|e| e.error),
    }
}

/// Write a public file, replacing any old one: reports, requests, journals, caches.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(path, bytes, Access::Public, Existing::Replace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_owner_only_and_never_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        write(&key, b"first", Access::OwnerOnly, Existing::Keep).unwrap();
        let err = write(&key, b"second", Access::OwnerOnly, Existing::Keep).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&key).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the key is left: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_overwrites_and_a_missing_directory_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        replace(&path, b"old").unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(replace(&dir.path().join("no/such/dir.json"), b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
