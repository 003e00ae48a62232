//! Loading certificates and private keys from files: PEM, DER and PKCS#12 (.p12/.pfx).
//!
//! Every failure is a distinct [`LoadProblem`] whose message says what is wrong with the file
//! and, where there is one, what to do about it. Nothing here puts key bytes, passwords or
//! decrypted material into an error or `Debug` output; decoded key buffers are wiped on drop.
//!
//! The format is found from the content, never from the file name: text with a
//! `-----BEGIN` line is PEM, anything else starting with a DER SEQUENCE is DER (a certificate,
//! a key or a PKCS#12 store).
//!
//! The work is split by job: `sniff` tells PEM from DER, `pem` is the strict PEM scanner,
//! `cert` reads certificates, `key` reads and checks private keys, and `pkcs12` opens
//! PKCS#12 stores. This module holds the public types and entry points and reads the files.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use crate::secret::{PasswordSource, SecretError};

use cert::certificates_from_bytes;
use key::private_key_from_bytes;

pub use pem::PemDefect;

mod cert;
mod crl;
mod identify;
mod key;
pub mod pem;
mod pkcs12;
mod sniff;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

/// Largest certificate/key file we read (a 100 MB random file must be refused quickly, before reading it whole).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// A file that could not be loaded, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct LoadError {
    /// The path (or the name given to `parse_*`) as the user wrote it.
    pub path: String,
    pub problem: LoadProblem,
}

/// What is wrong with a certificate or key file. Each message is a short phrase that follows
/// the file name ("cert.pem: is empty").
#[derive(Debug, thiserror::Error)]
pub enum LoadProblem {
    /// The OS refused to give us the file (missing, no permission, I/O error).
    #[error("cannot read: {0}")]
    Io(std::io::Error),

    #[error("is a directory, not a file")]
    IsDirectory,

    /// A named pipe, device or socket: refused before any read could block.
    #[error("is {0}, not a regular file; give the path of a certificate or key file")]
    NotRegularFile(crate::input_file::SpecialFile),

    /// Zero bytes, or only whitespace.
    #[error("is empty")]
    Empty,

    /// Bigger than [`MAX_INPUT_BYTES`]; `size` is `None` when the file grew while being read
    /// (or is a device) so its size is not known.
    #[error("{}", too_large_text(.size))]
    TooLarge { size: Option<u64> },

    /// UTF-16 text (byte-order mark FF FE or FE FF), which PEM never is.
    #[error("is UTF-16 text; PEM must be ASCII: save it again as UTF-8 or ASCII")]
    Utf16,

    /// Neither a PEM `-----BEGIN` line nor a DER structure we know.
    #[error("is neither PEM nor DER: no certificate or key found")]
    Unrecognised,

    /// A PEM block is damaged; `line` is where the block begins, the defect names the bad line.
    #[error("PEM block '{label}' starting at line {line} is corrupt: {defect}")]
    BadPem {
        label: String,
        line: usize,
        defect: PemDefect,
    },

    /// A DER structure that announces more bytes than the file has.
    #[error(
        "is cut short: its DER data announces {announced} bytes but the file has {present} (copy or download it again)"
    )]
    TruncatedDer { announced: usize, present: usize },

    /// A CRL was asked for but the file holds something else (`what` says what).
    #[error("holds {what}, not a CRL (PEM 'X509 CRL' or DER)")]
    NotACrl { what: String },

    /// Bigger than the limit for a CRL (`--max-download`).
    #[error("is larger than the {limit} bytes a CRL may have (--max-download)")]
    CrlTooLarge { limit: u64 },

    /// A certificate was asked for but the file holds something else (`what` says what).
    #[error("holds {what}, not a certificate")]
    NotACertificate { what: String },

    /// Certificate number `index` (1-based, in file order) is not valid DER X.509.
    #[error("certificate #{index} is not valid DER X.509: {reason}")]
    BadCertificate { index: usize, reason: String },

    /// A private key was asked for but there is none; `holds` says what is there instead.
    #[error("{}", no_key_text(.holds))]
    NoKey { holds: Option<String> },

    /// More than one private key: we would not know which one is meant.
    #[error("holds {count} private keys; give a file with exactly one")]
    TwoKeys { count: usize },

    /// The file is encrypted and no password could be had.
    #[error("{0}")]
    Password(SecretError),

    /// The password does not open the file.
    #[error("{}", wrong_password_text(.check))]
    WrongPassword { check: PasswordCheck },

    /// `Proc-Type: 4,ENCRYPTED` PEM (OpenSSL's old key encryption): weak and not supported.
    #[error(
        "holds a key encrypted in the legacy OpenSSL PEM format (Proc-Type: 4,ENCRYPTED), which is not supported; convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`"
    )]
    LegacyEncryptedPem,

    /// The key's password-based encryption asks for more work or memory than we spend.
    #[error(
        "holds a key whose password-based encryption {0}; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`"
    )]
    KdfTooCostly(KdfCost),

    /// The key is well-formed but of a kind or encryption we cannot use.
    #[error("holds a private key that cannot be used: {reason}")]
    UnsupportedKey { reason: String },

    /// The key is damaged or inconsistent.
    #[error("holds a corrupt private key: {reason}")]
    BadKey { reason: String },

    /// The PKCS#12 store's password-based encryption asks for more work than we spend.
    #[error(
        "is a PKCS#12 file whose password-based encryption {0}; re-export it with OpenSSL 3's defaults (`openssl pkcs12 -export`)"
    )]
    Pkcs12KdfTooCostly(KdfCost),

    /// The PKCS#12 store uses something we cannot read.
    #[error("is a PKCS#12 file this tool cannot read: {reason}")]
    UnsupportedPkcs12 { reason: String },

    /// The PKCS#12 store is damaged.
    #[error("is a corrupt PKCS#12 file: {reason}")]
    BadPkcs12 { reason: String },
}

/// What a key's password-based encryption asks for that is over the limits in
/// [`crate::profile::limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfCost {
    ScryptMemory { n: u64, r: u64, bytes: u64 },
    ScryptParallelism { p: u64 },
    Pbkdf2Iterations { iterations: u64 },
}

impl fmt::Display for KdfCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::profile::limits as l;
        const MIB: u64 = 1024 * 1024;
        match self {
            KdfCost::ScryptMemory { n, r, bytes } => write!(
                f,
                "is scrypt with N = {n}, r = {r}: {} MiB of memory, more than the {} MiB tilicheck allows",
                bytes.div_ceil(MIB),
                l::MAX_SCRYPT_MEMORY_BYTES / MIB
            ),
            KdfCost::ScryptParallelism { p } => write!(
                f,
                "is scrypt with parallelism p = {p}, more than the {} tilicheck allows",
                l::MAX_SCRYPT_PARALLELISM
            ),
            KdfCost::Pbkdf2Iterations { iterations } => write!(
                f,
                "is PBKDF2 with {iterations} iterations, more than the {} tilicheck allows",
                l::MAX_PBKDF2_ITERATIONS
            ),
        }
    }
}

/// The check a wrong password failed, which decides how sure we can be that it was the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The PKCS#12 integrity MAC did not match: certainly the password.
    Pkcs12Mac,
    /// A PKCS#12 file without a MAC did not decrypt: the password, or corruption.
    Pkcs12Decryption,
    /// An encrypted PKCS#8 key did not decrypt: the password, or corruption.
    EncryptedPkcs8,
}

/// How a certificate file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pem,
    Der,
    Pkcs12,
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::Pem => "PEM",
            FileFormat::Der => "DER",
            FileFormat::Pkcs12 => "PKCS#12",
        })
    }
}

/// How a private key was stored in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1Rsa,
    Sec1Ec,
    Pkcs12,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyOrigin::Pkcs8 => "PKCS#8",
            KeyOrigin::EncryptedPkcs8 => "encrypted PKCS#8",
            KeyOrigin::Pkcs1Rsa => "PKCS#1 RSA",
            KeyOrigin::Sec1Ec => "SEC1 EC",
            KeyOrigin::Pkcs12 => "PKCS#12",
        })
    }
}

/// Certificates read from one file.
#[derive(Debug)]
pub struct CertificateFile {
    pub path: PathBuf,
    /// Leaf first, then the rest in file order. For PEM and DER the file order is kept as is;
    /// for PKCS#12 the certificate belonging to the key is moved to the front.
    pub certificates: Vec<CertificateDer<'static>>,
    /// Set when the file also held exactly one private key that loads: PKCS#12 with the file's
    /// password; PEM unencrypted, or encrypted PKCS#8 when the password source is an
    /// environment variable or a file (a PEM bundle never prompts). Problems with that key do
    /// not fail the call; [`read_private_key`] reports them.
    pub key: Option<PrivateKey>,
    pub format: FileFormat,
}

/// A decrypted private key that parsed with the signing backend.
pub struct PrivateKey {
    /// PKCS#8, PKCS#1 or SEC1, as found (after decryption).
    pub der: PrivateKeyDer<'static>,
    pub origin: KeyOrigin,
}

impl fmt::Debug for PrivateKey {
    // Never the key bytes: only where the key came from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Reads the certificates in `path` (PEM, DER or PKCS#12). The password is only resolved
/// when the file turns out to be PKCS#12 and is not protected by an empty password.
pub fn read_certificates(
    path: &Path,
    password: &PasswordSource,
) -> Result<CertificateFile, LoadError> {
    let name = path.display().to_string();
    let bytes = read_limited(path).map_err(|problem| LoadError {
        path: name.clone(),
        problem,
    })?;
    let mut file = parse_certificates(&name, &bytes, password)?;
    file.path = path.to_path_buf();
    Ok(file)
}

/// Reads the one private key in `path` (PEM, DER or PKCS#12, plain or encrypted). The password
/// is only resolved when the key is encrypted.
pub fn read_private_key(path: &Path, password: &PasswordSource) -> Result<PrivateKey, LoadError> {
    let name = path.display().to_string();
    let bytes = read_limited(path).map_err(|problem| LoadError {
        path: name.clone(),
        problem,
    })?;
    parse_private_key(&name, &bytes, password)
}

/// Same as read_certificates but from bytes already in memory (used by benchmarks and tests); `name` is used in errors.
pub fn parse_certificates(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<CertificateFile, LoadError> {
    certificates_from_bytes(name, bytes, password)
        .map(|(certificates, key, format)| CertificateFile {
            path: PathBuf::from(name),
            certificates,
            key,
            format,
        })
        .map_err(|problem| LoadError {
            path: name.to_owned(),
            problem,
        })
}

/// Reads the CRLs in `path`: one DER CRL, or PEM with one or more `X509 CRL` blocks. Files
/// over `limit` bytes are refused before they are read whole.
pub fn read_crls(path: &Path, limit: u64) -> Result<Vec<Vec<u8>>, LoadError> {
    let name = path.display().to_string();
    let fail = |problem| LoadError {
        path: name.clone(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(LoadProblem::Io(e)))?;
    if meta.is_dir() {
        return Err(fail(LoadProblem::IsDirectory));
    }
    if meta.len() > limit {
        return Err(fail(LoadProblem::CrlTooLarge { limit }));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(LoadProblem::Io(e)))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(LoadProblem::Io(e)))?;
    if bytes.len() as u64 > limit {
        return Err(fail(LoadProblem::CrlTooLarge { limit }));
    }
    crl::crls_from_bytes(&bytes).map_err(fail)
}

/// Same as read_private_key but from bytes already in memory; `name` is used in errors.
pub fn parse_private_key(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<PrivateKey, LoadError> {
    private_key_from_bytes(name, bytes, password).map_err(|problem| LoadError {
        path: name.to_owned(),
        problem,
    })
}

// ---------------------------------------------------------------------------------------------
// Messages

fn too_large_text(size: &Option<u64>) -> String {
    match size {
        Some(size) => format!(
            "is {size} bytes, larger than any certificate or key file (limit {} MiB)",
            MAX_INPUT_BYTES / (1024 * 1024)
        ),
        None => format!(
            "is larger than any certificate or key file (limit {} MiB)",
            MAX_INPUT_BYTES / (1024 * 1024)
        ),
    }
}

fn no_key_text(holds: &Option<String>) -> String {
    match holds {
        Some(what) => format!("holds {what} but no private key"),
        None => "holds no private key".to_owned(),
    }
}

fn wrong_password_text(check: &PasswordCheck) -> &'static str {
    match check {
        PasswordCheck::Pkcs12Mac => "wrong password (the file's integrity check failed)",
        PasswordCheck::Pkcs12Decryption => {
            "wrong password or corrupt file (it has no integrity check, and decryption failed)"
        }
        PasswordCheck::EncryptedPkcs8 => "wrong password or corrupt encrypted key",
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads at most [`MAX_INPUT_BYTES`] of a regular file; the size is checked before reading so
/// a huge file costs nothing, and `take` still bounds a file that grows meanwhile.
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, LoadProblem> {
    use crate::input_file::{OpenError, SpecialFile, open_regular};
    let (file, meta) = open_regular(path).map_err(|e| match e {
        OpenError::NotRegular(SpecialFile::Directory) => LoadProblem::IsDirectory,
        OpenError::NotRegular(kind) => LoadProblem::NotRegularFile(kind),
        OpenError::Io(e) => LoadProblem::Io(e),
    })?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(LoadProblem::TooLarge {
            size: Some(meta.len()),
        });
    }
    // Room for the whole file up front, so growing the buffer leaves no unwiped copies of a key.
    let expected = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(expected.saturating_add(1)));
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(LoadProblem::Io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(LoadProblem::TooLarge { size: None });
    }
    Ok(bytes)
}

fn check_size(bytes: &[u8]) -> Result<(), LoadProblem> {
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(LoadProblem::TooLarge {
            size: Some(bytes.len() as u64),
        });
    }
    if bytes.trim_ascii().is_empty() {
        return Err(LoadProblem::Empty);
    }
    Ok(())
}
