//! The tokens themselves: append-only segment files beside the database, so that each byte a
//! client sent is written once (SQLite would write it to its WAL and again at a checkpoint).
//!
//! A segment is `segments/NNNNNNNN.seg`, owner-only. It is a run of entries, each
//! `TSG1 | auth length (u32 LE) | body length (u32 LE) | SHA-256 of auth ‖ body | auth | body`.
//! The database's `segments` table holds each segment's *committed length*: the bytes of
//! transactions that committed. A batch's entries are written and fsynced before the
//! transaction that references them commits, so every committed byte is on disk first; what
//! lies past the committed length belongs to a batch that never committed (nobody was
//! answered 200 for it) and recovery cuts it off.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Where the segments live inside the data directory.
pub const SEGMENT_DIR: &str = "segments";

/// A new segment is started once the current one holds this many bytes.
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

const MAGIC: &[u8; 4] = b"TSG1";
const HEADER: usize = 4 + 4 + 4 + 32;

/// Why a segment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: holds {found} bytes but {expected} bytes of it belong to acknowledged messages: the file was cut short or replaced; the simulator will not start on it (restore the file, or move the data directory away to start empty)",
        path.display()
    )]
    Short {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{}: the entry at offset {offset} is damaged: {why}", path.display())]
    Damaged {
        path: PathBuf,
        offset: u64,
        why: String,
    },
    #[error(
        "{}: another tilicheck serve is using this data directory",
        path.display()
    )]
    InUse { path: PathBuf },
}

/// Where one message's tokens are: the segment and the entry's offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub segment: i64,
    pub offset: u64,
}

/// The tokens of one message, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub auth: Option<String>,
    pub body: Option<String>,
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join(SEGMENT_DIR)
}

pub fn path(data_dir: &Path, segment: i64) -> PathBuf {
    dir(data_dir).join(format!("{segment:08}.seg"))
}

/// The segment number a file name stands for, if it is a segment's name.
pub fn number_of(name: &str) -> Option<i64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// One entry's bytes.
pub fn entry(auth: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + auth.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(auth.len() as u32).to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    let mut digest = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    digest.update(auth);
    digest.update(body);
    out.extend_from_slice(digest.finish().as_ref());
    out.extend_from_slice(auth);
    out.extend_from_slice(body);
    out
}

/// Read the entry at `offset` of the segment file `file` (`path` names it in errors), and
/// the offset just past it.
pub fn read_entry(file: &File, path: &Path, offset: u64) -> Result<(Tokens, u64), SegmentError> {
    use std::os::unix::fs::FileExt;
    let damaged = |why: String| SegmentError::Damaged {
        path: path.to_owned(),
        offset,
        why,
    };
    let mut header = [0u8; HEADER];
    file.read_exact_at(&mut header, offset)
        .map_err(|e| damaged(format!("its header cannot be read: {e}")))?;
    if &header[..4] != MAGIC {
        return Err(damaged("no entry starts here".into()));
    }
    let len = |at: usize| {
        u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize
    };
    let (auth_len, body_len) = (len(4), len(8));
    let mut bytes = vec![0u8; auth_len + body_len];
    file.read_exact_at(&mut bytes, offset + HEADER as u64)
        .map_err(|e| damaged(format!("its {} bytes cannot be read: {e}", bytes.len())))?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    if digest.as_ref() != &header[12..HEADER] {
        return Err(damaged("its SHA-256 does not match its bytes".into()));
    }
    let body = bytes.split_off(auth_len);
    let text = |b: Vec<u8>, what: &str| -> Result<Option<String>, SegmentError> {
        if b.is_empty() {
            return Ok(None);
        }
        String::from_utf8(b)
            .map(Some)
            .map_err(|_| damaged(format!("its {what} token is not UTF-8")))
    };
    let end = offset + (HEADER + auth_len + body_len) as u64;
    Ok((
        Tokens {
            auth: text(bytes, "authorization")?,
            body: text(body, "body")?,
        },
        end,
    ))
}

/// Walk every entry of the first `length` bytes of a segment: each must be whole and match
/// its digest, and the last must end at `length` exactly. The entries' offsets.
pub fn walk(path: &Path, length: u64) -> Result<Vec<u64>, SegmentError> {
    let file = File::open(path).map_err(|source| SegmentError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut offsets = Vec::new();
    let mut at = 0;
    while at < length {
        offsets.push(at);
        let (_, end) = read_entry(&file, path, at)?;
        if end > length {
            return Err(SegmentError::Damaged {
                path: path.to_owned(),
                offset: at,
                why: format!("it ends at {end}, past the committed length {length}"),
            });
        }
        at = end;
    }
    Ok(offsets)
}

/// The segment being appended to.
pub struct Appender {
    pub segment: i64,
    /// Committed bytes (and, between [`Appender::write`] and the commit, written ones).
    pub length: u64,
    /// The day (UTC) of its first entry: a new day starts a new segment.
    pub first_day: Option<String>,
    path: PathBuf,
    file: File,
}

impl Appender {
    /// Open segment `segment` for appending after its first `length` bytes, cutting off
    /// anything past them (a batch that did not commit).
    pub fn open(data_dir: &Path, segment: i64, length: u64) -> Result<Appender, SegmentError> {
        let path = path(data_dir, segment);
        let io = |source| SegmentError::Io {
            path: path.clone(),
            source,
        };
        let file = owner_only_segment(&path).map_err(io)?;
        let found = file.metadata().map_err(io)?.len();
        if found < length {
            return Err(SegmentError::Short {
                path,
                expected: length,
                found,
            });
        }
        if found > length {
            file.set_len(length).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        Ok(Appender {
            segment,
            length,
            first_day: None,
            path,
            file,
        })
    }

    /// Append a batch's entries and make them durable (fdatasync). On failure the file is
    /// cut back to where it was.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SegmentError> {
        use std::os::unix::fs::FileExt;
        let io = |source| SegmentError::Io {
            path: self.path.clone(),
            source,
        };
        let written = self
            .file
            .write_all_at(bytes, self.length)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(self.length);
            return Err(io(e));
        }
        self.length += bytes.len() as u64;
        Ok(())
    }

    /// Undo the last write: its transaction did not commit.
    pub fn cut_back(&mut self, length: u64) {
        if self.file.set_len(length).is_ok() {
            self.length = length;
        }
    }
}

/// Create (or open) a segment file owner-only (0600).
fn owner_only_segment(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Create the segment directory owner-only (0700), and make sure its entry is on disk.
pub fn make_dir(data_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let d = dir(data_dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&d)?;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
    sync_dir(data_dir)
}

/// fsync a directory, so that files created or removed in it stay so after a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An exclusive lock on the data directory's segments, held while the writer lives: two
/// servers appending to one segment would interleave their entries.
pub struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn take(data_dir: &Path) -> Result<DirLock, SegmentError> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir(data_dir).join("lock");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| SegmentError::Io {
                path: path.clone(),
                source,
            })?;
        // A lock this process has just released can still look held for a moment: a child
        // being spawned by another thread has a copy of the descriptor until its exec closes
        // it. So a held lock is asked again for up to a second; another server keeps it.
        for attempt in 0..=LOCK_RETRIES {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(DirLock { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::WouldBlock {
                return Err(SegmentError::Io {
                    path,
                    source: error,
                });
            }
            if attempt < LOCK_RETRIES {
                std::thread::sleep(LOCK_RETRY_PAUSE);
            }
        }
        Err(SegmentError::InUse { path })
    }
}

const LOCK_RETRIES: u32 = 40;
const LOCK_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_refuses_a_second_writer() {
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path()).unwrap();
        let first = DirLock::take(dir.path()).unwrap();
        let Err(SegmentError::InUse { path }) = DirLock::take(dir.path()) else {
            panic!("a second writer must be refused while the first holds the lock");
        };
        assert!(path.ends_with("segments/lock"), "{}", path.display());
        drop(first);
        DirLock::take(dir.path()).expect("taken once released");
    }

    #[test]
    fn a_lock_released_while_another_thread_spawns_children_is_taken() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path()).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let spawning = {
            let done = done.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    let _ = std::process::Command::new("true").status();
                }
                done.store(true, Ordering::Relaxed);
            })
        };
        // Each child holds a copy of the lock's descriptor until its exec: without the retry,
        // some of these were refused as "another tilicheck serve" (70 in 3,000 measured).
        let (mut taken, mut refused) = (0u32, 0u32);
        while !done.load(Ordering::Relaxed) && taken + refused < 100_000 {
            match DirLock::take(dir.path()) {
                Ok(_) => taken += 1,
                Err(_) => refused += 1,
            }
        }
        spawning.join().unwrap();
        assert!(taken > 0);
        assert_eq!(refused, 0, "{refused} refused, {taken} taken");
    }

    #[test]
    fn entries_round_trip_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path()).unwrap();
        let mut a = Appender::open(dir.path(), 1, 0).unwrap();
        let one = entry(b"auth-1", b"body-1");
        let two = entry(b"", b"body-2");
        let mut batch = one.clone();
        batch.extend_from_slice(&two);
        a.write(&batch).unwrap();
        let committed = a.length;
        // A later batch that never committed, torn half-way.
        a.write(&entry(b"auth-3", b"body-3")[..20]).unwrap();
        drop(a);
        let p = path(dir.path(), 1);
        assert!(walk(&p, committed + 20).is_err(), "a torn entry is seen");
        let a = Appender::open(dir.path(), 1, committed).unwrap();
        assert_eq!(a.length, committed);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), committed);
        assert_eq!(walk(&p, committed).unwrap(), vec![0, one.len() as u64]);
        let f = File::open(&p).unwrap();
        let (t, _) = read_entry(&f, &p, one.len() as u64).unwrap();
        assert_eq!(t.auth, None);
        assert_eq!(t.body.as_deref(), Some("body-2"));
        // Cut into what was committed: refused, naming the file.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(committed - 1)
            .unwrap();
        let e = Appender::open(dir.path(), 1, committed).err().unwrap();
        assert!(matches!(e, SegmentError::Short { .. }), "{e}");
        assert!(e.to_string().contains("00000001.seg"), "{e}");
    }

    #[test]
    fn a_flipped_byte_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path()).unwrap();
        let mut a = Appender::open(dir.path(), 2, 0).unwrap();
        let mut e = entry(b"a", b"some body");
        let n = e.len();
        e[n - 1] ^= 1;
        a.write(&e).unwrap();
        let err = walk(&path(dir.path(), 2), n as u64).err().unwrap();
        assert!(err.to_string().contains("SHA-256"), "{err}");
        assert_eq!(number_of("00000002.seg"), Some(2));
        assert_eq!(number_of("lock"), None);
    }
}
