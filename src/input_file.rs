//! Opening the files a user names as input: regular files only.
//!
//! A named pipe with no writer blocks `open` forever and a device never ends, so both are
//! refused from their metadata before anything is opened. The file is then opened without
//! blocking and its type checked again on the open handle, so a path swapped for a pipe in
//! between cannot block either.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// What a path is when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialFile {
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Other,
}

impl fmt::Display for SpecialFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialFile::Directory => "a directory",
            SpecialFile::Fifo => "a named pipe (FIFO)",
            SpecialFile::Socket => "a socket",
            SpecialFile::CharacterDevice => "a character device",
            SpecialFile::BlockDevice => "a block device",
            SpecialFile::Other => "not a regular file",
        })
    }
}

/// Why an input file was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("is {0}, not a regular file; give the path of a file")]
    NotRegular(SpecialFile),
}

impl OpenError {
    /// The kind of special file, when that was the problem.
    pub fn special(&self) -> Option<SpecialFile> {
        match self {
            OpenError::NotRegular(kind) => Some(*kind),
            OpenError::Io(_) => None,
        }
    }
}

/// The kind of special file `meta` describes, or `None` for a regular file.
pub fn special_kind(meta: &Metadata) -> Option<SpecialFile> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some(SpecialFile::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some(SpecialFile::Fifo);
        }
        if t.is_socket() {
            return Some(SpecialFile::Socket);
        }
        if t.is_char_device() {
            return Some(SpecialFile::CharacterDevice);
        }
        if t.is_block_device() {
            return Some(SpecialFile::BlockDevice);
        }
    }
    Some(SpecialFile::Other)
}

/// Open `path` for reading if it is a regular file (symbolic links followed); returns the
/// file and its metadata.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), OpenError> {
    let meta = std::fs::metadata(path)?;
    if let Some(kind) = special_kind(&meta) {
        return Err(OpenError::NotRegular(kind));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO that was swapped in after the check must not wait for a writer;
        // on a regular file the flag changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if let Some(kind) = special_kind(&meta) {
        return Err(OpenError::NotRegular(kind));
    }
    Ok((file, meta))
}

/// Why an input file could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot read: {0}")]
    Io(std::io::Error),
    #[error("is larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

/// Read the regular file `path` whole, refusing one larger than `limit` bytes (checked from
/// its size first, and again while reading, for a file that grows).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo");
        assert!(status.success());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.pem");
        mkfifo(&fifo);
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.special(), Some(SpecialFile::Fifo));
        assert!(err.to_string().contains("named pipe"), "{err}");
    }

    #[test]
    fn devices_and_directories_are_refused() {
        let err = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.special(), Some(SpecialFile::CharacterDevice));
        let dir = tempfile::tempdir().unwrap();
        let err = open_regular(dir.path()).unwrap_err();
        assert_eq!(err.special(), Some(SpecialFile::Directory));
    }

    #[test]
    fn regular_files_are_read_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_regular(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            read_regular(&path, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
    }
}
