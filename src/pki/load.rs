//! Loading certificates and private keys from files: PEM, DER and PKCS#12 (.p12/.pfx).
//!
//! Every failure is a distinct [`LoadProblem`] whose message says what is wrong with the file
//! and, where there is one, what to do about it. Nothing here puts key bytes, passwords or
//! decrypted material into an error or `Debug` output; decoded key buffers are wiped on drop.
//!
//! The format is found from the content, never from the file name: text with a
//! `-----BEGIN` line is PEM, anything else starting with a DER SEQUENCE is DER (a certificate,
//! a key or a PKCS#12 store).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use der::Decode;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use zeroize::Zeroizing;

use crate::secret::{PasswordSource, SecretError};

/// Largest certificate/key file we read (a 100 MB random file must be refused quickly, before reading it whole).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Most PBKDF2 iterations we run for an encrypted PKCS#8 key. Real files use 2,048 to a few
/// hundred thousand; a larger count is a mistake or an attempt to hang the tool.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// Most memory (128 · N · r bytes) we let scrypt use for an encrypted PKCS#8 key.
const MAX_SCRYPT_MEMORY_BYTES: u64 = 1 << 30;

/// Most scrypt parallelism we accept.
const MAX_SCRYPT_PARALLELISM: u16 = 16;

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

    /// The key is well-formed but of a kind or encryption we cannot use.
    #[error("holds a private key that cannot be used: {reason}")]
    UnsupportedKey { reason: String },

    /// The key is damaged or inconsistent.
    #[error("holds a corrupt private key: {reason}")]
    BadKey { reason: String },

    /// The PKCS#12 store uses something we cannot read.
    #[error("is a PKCS#12 file this tool cannot read: {reason}")]
    UnsupportedPkcs12 { reason: String },

    /// The PKCS#12 store is damaged.
    #[error("is a corrupt PKCS#12 file: {reason}")]
    BadPkcs12 { reason: String },
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

/// What exactly is wrong inside a PEM block. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemDefect {
    #[error("there is no END line: the file is cut short (truncated)")]
    Truncated,
    #[error("there is no END line before the next BEGIN at line {line}")]
    NoEndBeforeBegin { line: usize },
    #[error("the END line at line {line} is for '{found}'")]
    MismatchedEnd { line: usize, found: String },
    #[error("line {line} is a malformed BEGIN or END line")]
    MalformedBoundary { line: usize },
    #[error("line {line} is not base64: {found} at column {column}")]
    BadCharacter {
        line: usize,
        column: usize,
        found: String,
    },
    #[error(
        "line {line} has the wrong number of base64 characters (part of it is missing or it was edited)"
    )]
    BadLength { line: usize },
    #[error("line {line} has '=' padding in the middle of the data")]
    MisplacedPadding { line: usize },
    #[error("it holds no base64 data")]
    NoData,
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

/// Reads at most [`MAX_INPUT_BYTES`]; the size is checked before reading so a huge file costs
/// nothing, and `take` still bounds devices and files that grow meanwhile.
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, LoadProblem> {
    let meta = std::fs::metadata(path).map_err(LoadProblem::Io)?;
    if meta.is_dir() {
        return Err(LoadProblem::IsDirectory);
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(LoadProblem::TooLarge {
            size: Some(meta.len()),
        });
    }
    let file = std::fs::File::open(path).map_err(LoadProblem::Io)?;
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

enum Encoding {
    Pem,
    Der,
}

fn detect_encoding(bytes: &[u8]) -> Result<Encoding, LoadProblem> {
    // Checked first so that "-----BEGIN" inside a DER structure cannot make it look like PEM.
    if is_one_der_sequence(bytes) {
        return Ok(Encoding::Der);
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        // Windows PowerShell's `>` writes UTF-16; PEM must be ASCII.
        return Err(LoadProblem::Utf16);
    }
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        Ok(Encoding::Pem)
    } else if bytes.first() == Some(&0x30) {
        Ok(Encoding::Der)
    } else {
        Err(LoadProblem::Unrecognised)
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

type Loaded = (Vec<CertificateDer<'static>>, Option<PrivateKey>, FileFormat);

fn certificates_from_bytes(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<Loaded, LoadProblem> {
    check_size(bytes)?;
    match detect_encoding(bytes)? {
        Encoding::Pem => certificates_from_pem(name, bytes, password),
        Encoding::Der => certificates_from_der(name, bytes, password),
    }
}

fn certificates_from_pem(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<Loaded, LoadProblem> {
    let blocks = scan_pem(bytes)?;
    if blocks.is_empty() {
        return Err(LoadProblem::Unrecognised);
    }
    let mut certificates = Vec::new();
    let mut keys = Vec::new();
    for block in &blocks {
        match classify(block) {
            BlockKind::Certificate { trusted } => {
                let index = certificates.len() + 1;
                let at_line = |problem| match problem {
                    LoadProblem::BadCertificate { index, reason } => LoadProblem::BadCertificate {
                        index,
                        reason: format!("{reason} (PEM block at line {})", block.line),
                    },
                    other => other,
                };
                let (cert, rest) = split_certificate(index, &block.der).map_err(at_line)?;
                // OpenSSL's TRUSTED CERTIFICATE appends trust settings after the certificate.
                if !trusted && !rest.is_empty() {
                    return Err(at_line(trailing_data(index, rest.len())));
                }
                certificates.push(CertificateDer::from(cert.to_vec()));
            }
            BlockKind::Key(kind) => keys.push((block, kind)),
            _ => {}
        }
    }
    if certificates.is_empty() {
        return Err(LoadProblem::NotACertificate {
            what: describe_non_certificates(&blocks),
        });
    }
    // The key is a bonus here: take it only when it is unambiguous, and decrypt it only with
    // a password given up front; loading certificates must never prompt for a PEM key.
    let quiet_password = match password {
        PasswordSource::Env(_) | PasswordSource::File(_) => Some(password),
        PasswordSource::None | PasswordSource::Prompt => None,
    };
    let key = match keys.as_slice() {
        [(block, kind)] => key_from_block(name, block, *kind, quiet_password).ok(),
        _ => None,
    };
    Ok((certificates, key, FileFormat::Pem))
}

fn certificates_from_der(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<Loaded, LoadProblem> {
    if x509_parser::parse_x509_certificate(bytes).is_ok() {
        // Some tools write a chain as DER certificates back to back.
        let mut certificates = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (cert, next) = split_certificate(certificates.len() + 1, rest)?;
            certificates.push(CertificateDer::from(cert.to_vec()));
            rest = next;
        }
        return Ok((certificates, None, FileFormat::Der));
    }
    if let Some(outline) = pfx_outline(bytes) {
        let store = open_pkcs12(name, bytes, outline, password)?;
        return certificates_from_pkcs12(&store);
    }
    if is_ber_pkcs12(bytes) {
        return Err(ber_pkcs12_problem());
    }
    if looks_like_der_key(bytes) {
        return Err(LoadProblem::NotACertificate {
            what: "a private key".to_owned(),
        });
    }
    if looks_like_certificate(bytes) {
        // Close enough to a certificate that its parse error is the useful message.
        split_certificate(1, bytes)?;
    }
    Err(LoadProblem::Unrecognised)
}

/// Parses one certificate at the start of `der`; returns its bytes and what follows it.
fn split_certificate(index: usize, der: &[u8]) -> Result<(&[u8], &[u8]), LoadProblem> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((rest, _)) => {
            let used = der.len().saturating_sub(rest.len());
            Ok((der.get(..used).unwrap_or(der), rest))
        }
        Err(err) => Err(LoadProblem::BadCertificate {
            index,
            reason: describe_x509_error(&err),
        }),
    }
}

fn trailing_data(index: usize, extra: usize) -> LoadProblem {
    LoadProblem::BadCertificate {
        index,
        reason: format!("{extra} bytes of unexpected data follow the certificate"),
    }
}

fn describe_x509_error(err: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    match err {
        x509_parser::nom::Err::Incomplete(_) => "the data ends early (truncated)".to_owned(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e.to_string(),
    }
}

/// Names what a PEM file without certificates holds, most telling first.
fn describe_non_certificates(blocks: &[PemBlock]) -> String {
    let kinds: Vec<BlockKind> = blocks.iter().map(classify).collect();
    let has = |f: fn(&BlockKind) -> bool| kinds.iter().any(f);
    if has(|k| matches!(k, BlockKind::Key(_))) {
        "a private key".to_owned()
    } else if has(|k| matches!(k, BlockKind::Csr)) {
        "a certificate signing request (CSR)".to_owned()
    } else if has(|k| matches!(k, BlockKind::PublicKey)) {
        "a public key".to_owned()
    } else if has(|k| matches!(k, BlockKind::Crl)) {
        "a certificate revocation list (CRL)".to_owned()
    } else if has(|k| matches!(k, BlockKind::Pkcs7)) {
        "a PKCS#7 bundle (extract its certificates with `openssl pkcs7 -print_certs -in FILE`)"
            .to_owned()
    } else {
        let labels: Vec<String> = blocks.iter().map(|b| format!("'{}'", b.label)).collect();
        format!("only {} PEM data", labels.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// Private keys

fn private_key_from_bytes(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<PrivateKey, LoadProblem> {
    check_size(bytes)?;
    match detect_encoding(bytes)? {
        Encoding::Pem => key_from_pem(name, bytes, password),
        Encoding::Der => key_from_der(name, bytes, password),
    }
}

fn key_from_pem(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<PrivateKey, LoadProblem> {
    let blocks = scan_pem(bytes)?;
    if blocks.is_empty() {
        return Err(LoadProblem::Unrecognised);
    }
    let keys: Vec<(&PemBlock, KeyBlock)> = blocks
        .iter()
        .filter_map(|b| match classify(b) {
            BlockKind::Key(kind) => Some((b, kind)),
            _ => None,
        })
        .collect();
    match keys.as_slice() {
        [] => Err(LoadProblem::NoKey {
            holds: describe_non_keys(&blocks),
        }),
        [(block, kind)] => key_from_block(name, block, *kind, Some(password)),
        more => Err(LoadProblem::TwoKeys { count: more.len() }),
    }
}

/// Names what a PEM file without a key holds instead, for the `NoKey` hint.
fn describe_non_keys(blocks: &[PemBlock]) -> Option<String> {
    let kinds: Vec<BlockKind> = blocks.iter().map(classify).collect();
    let certificates = kinds
        .iter()
        .filter(|k| matches!(k, BlockKind::Certificate { .. }))
        .count();
    if certificates == 1 {
        Some("a certificate".to_owned())
    } else if certificates > 1 {
        Some("certificates".to_owned())
    } else if kinds.iter().any(|k| matches!(k, BlockKind::Csr)) {
        Some("a certificate signing request (CSR)".to_owned())
    } else if kinds.iter().any(|k| matches!(k, BlockKind::PublicKey)) {
        Some("a public key".to_owned())
    } else {
        None
    }
}

/// Loads the key in one PEM block. With `password` `None` an encrypted key is refused (used
/// for the optional key of a certificate file, which must not prompt).
fn key_from_block(
    name: &str,
    block: &PemBlock,
    kind: KeyBlock,
    password: Option<&PasswordSource>,
) -> Result<PrivateKey, LoadProblem> {
    match kind {
        KeyBlock::Pkcs8 => usable_key(&block.der, KeyEncoding::Pkcs8, KeyOrigin::Pkcs8),
        KeyBlock::Pkcs1 => usable_key(&block.der, KeyEncoding::Pkcs1, KeyOrigin::Pkcs1Rsa),
        KeyBlock::Sec1 => usable_key(&block.der, KeyEncoding::Sec1, KeyOrigin::Sec1Ec),
        KeyBlock::EncryptedPkcs8 => match password {
            Some(password) => decrypt_pkcs8(name, &block.der, password),
            None => Err(LoadProblem::Password(SecretError::NotConfigured)),
        },
        KeyBlock::LegacyEncrypted => Err(LoadProblem::LegacyEncryptedPem),
        KeyBlock::Unsupported(reason) => Err(LoadProblem::UnsupportedKey {
            reason: reason.to_owned(),
        }),
    }
}

/// DER keys carry no label, so the structures are tried from the most to the least common.
fn key_from_der(
    name: &str,
    bytes: &[u8],
    password: &PasswordSource,
) -> Result<PrivateKey, LoadProblem> {
    if pkcs8::PrivateKeyInfo::try_from(bytes).is_ok() {
        return usable_key(bytes, KeyEncoding::Pkcs8, KeyOrigin::Pkcs8);
    }
    if EncryptedPkcs8Outline::from_der(bytes).is_ok() {
        return decrypt_pkcs8(name, bytes, password);
    }
    if RsaPrivateKeyOutline::from_der(bytes).is_ok() {
        return usable_key(bytes, KeyEncoding::Pkcs1, KeyOrigin::Pkcs1Rsa);
    }
    if EcPrivateKeyOutline::from_der(bytes).is_ok_and(|k| k.version == 1) {
        return usable_key(bytes, KeyEncoding::Sec1, KeyOrigin::Sec1Ec);
    }
    if let Some(outline) = pfx_outline(bytes) {
        let store = open_pkcs12(name, bytes, outline, password)?;
        return key_from_pkcs12(&store);
    }
    if is_ber_pkcs12(bytes) {
        return Err(ber_pkcs12_problem());
    }
    if x509_parser::parse_x509_certificate(bytes).is_ok() {
        return Err(LoadProblem::NoKey {
            holds: Some("a certificate".to_owned()),
        });
    }
    Err(LoadProblem::Unrecognised)
}

fn looks_like_der_key(bytes: &[u8]) -> bool {
    pkcs8::PrivateKeyInfo::try_from(bytes).is_ok()
        || EncryptedPkcs8Outline::from_der(bytes).is_ok()
        || RsaPrivateKeyOutline::from_der(bytes).is_ok()
        || EcPrivateKeyOutline::from_der(bytes).is_ok_and(|k| k.version == 1)
}

fn decrypt_pkcs8(
    name: &str,
    der: &[u8],
    password: &PasswordSource,
) -> Result<PrivateKey, LoadProblem> {
    let info = match pkcs8::EncryptedPrivateKeyInfo::try_from(der) {
        Ok(info) => info,
        // Well-formed but with an encryption scheme the pkcs5 crate does not know
        // (PKCS#12 PBE, PBES1 with DES/RC2 ...).
        Err(_) => {
            return Err(match EncryptedPkcs8Outline::from_der(der) {
                Ok(outline) => unsupported_scheme(&outline.algorithm.oid.to_string()),
                Err(_) => LoadProblem::BadKey {
                    reason: "the encrypted PKCS#8 structure is damaged".to_owned(),
                },
            });
        }
    };
    check_kdf_cost(&info.encryption_algorithm)?;
    // Only now, with a key we can decrypt, is the password worth asking for.
    let secret = password.resolve(name).map_err(LoadProblem::Password)?;
    let document = info.decrypt(secret.expose().as_bytes()).map_err(|err| {
        use pkcs8::pkcs5::Error as P5;
        match err {
            pkcs8::Error::EncryptedPrivateKey(P5::UnsupportedAlgorithm { oid }) => {
                unsupported_scheme(&oid.to_string())
            }
            pkcs8::Error::EncryptedPrivateKey(P5::NoPbes1CryptSupport) => {
                unsupported_scheme("PBES1")
            }
            pkcs8::Error::EncryptedPrivateKey(P5::AlgorithmParametersInvalid { .. }) => {
                LoadProblem::BadKey {
                    reason: "the encryption parameters of the key are invalid".to_owned(),
                }
            }
            // Bad padding or garbage DER after decryption: almost always the password.
            _ => LoadProblem::WrongPassword {
                check: PasswordCheck::EncryptedPkcs8,
            },
        }
    })?;
    usable_key(
        document.as_bytes(),
        KeyEncoding::Pkcs8,
        KeyOrigin::EncryptedPkcs8,
    )
}

fn unsupported_scheme(scheme: &str) -> LoadProblem {
    LoadProblem::UnsupportedKey {
        reason: format!(
            "it is encrypted with a scheme this tool does not support ({scheme}); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in OLD -out NEW`"
        ),
    }
}

/// Refuses key-derivation settings that would take minutes or gigabytes before we try them.
fn check_kdf_cost(scheme: &pkcs8::pkcs5::EncryptionScheme<'_>) -> Result<(), LoadProblem> {
    use pkcs8::pkcs5::pbes2::Kdf;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Ok(());
    };
    let too_costly = match &params.kdf {
        Kdf::Pbkdf2(p) => p.iteration_count > MAX_PBKDF2_ITERATIONS,
        Kdf::Scrypt(p) => {
            let memory = 128u64
                .checked_mul(p.cost_parameter)
                .and_then(|m| m.checked_mul(u64::from(p.block_size)));
            p.parallelization > MAX_SCRYPT_PARALLELISM
                || memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY_BYTES)
        }
        // A KDF pkcs5 adds later: its decrypt will say whether it is supported.
        _ => false,
    };
    if too_costly {
        return Err(LoadProblem::UnsupportedKey {
            reason: "its password-based encryption asks for an unreasonable amount of work or memory; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`".to_owned(),
        });
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum KeyEncoding {
    Pkcs8,
    Pkcs1,
    Sec1,
}

fn borrowed_key(der: &[u8], encoding: KeyEncoding) -> PrivateKeyDer<'_> {
    match encoding {
        KeyEncoding::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        KeyEncoding::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        KeyEncoding::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
    }
}

/// Checks the key with the signing backend before copying it out, so a rejected key never
/// leaves an unwiped copy behind.
fn usable_key(
    der: &[u8],
    encoding: KeyEncoding,
    origin: KeyOrigin,
) -> Result<PrivateKey, LoadProblem> {
    let key = borrowed_key(der, encoding);
    public_key_of(&key)?;
    Ok(PrivateKey {
        der: key.clone_key(),
        origin,
    })
}

/// The raw public key (as in a certificate's SubjectPublicKeyInfo bit string) of a key the
/// backend accepts; otherwise a diagnosis of why it does not.
fn public_key_of(key: &PrivateKeyDer<'_>) -> Result<Vec<u8>, LoadProblem> {
    match rcgen::KeyPair::try_from(key) {
        Ok(pair) => Ok(pair.public_key_raw().to_vec()),
        Err(_) => Err(diagnose_key(key)),
    }
}

const SUPPORTED_KEYS: &str = "use RSA (2048 to 8192 bits), ECDSA P-256/P-384/P-521 or Ed25519";

/// The backend only says "could not parse"; look at the structure to tell an unsupported
/// algorithm from a damaged key.
fn diagnose_key(key: &PrivateKeyDer<'_>) -> LoadProblem {
    match key {
        PrivateKeyDer::Pkcs8(k) => match pkcs8::PrivateKeyInfo::try_from(k.secret_pkcs8_der()) {
            Ok(info) => {
                let oid = info.algorithm.oid;
                if oid == OID_RSA {
                    diagnose_rsa(info.private_key)
                } else if oid == OID_EC {
                    diagnose_ec(info.algorithm.parameters_oid().ok())
                } else if oid == OID_ED25519 {
                    bad_key("the Ed25519 key is malformed")
                } else {
                    let name = algorithm_name(&oid)
                        .map_or_else(|| format!("algorithm {oid}"), str::to_owned);
                    LoadProblem::UnsupportedKey {
                        reason: format!("{name} keys are not supported; {SUPPORTED_KEYS}"),
                    }
                }
            }
            Err(_) => bad_key("it is not a valid PKCS#8 structure"),
        },
        PrivateKeyDer::Pkcs1(k) => diagnose_rsa(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => match EcPrivateKeyOutline::from_der(k.secret_sec1_der()) {
            Ok(outline) => diagnose_ec(
                outline
                    .parameters
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok()),
            ),
            Err(_) => bad_key("it is not a valid SEC1 EC key structure"),
        },
        _ => LoadProblem::UnsupportedKey {
            reason: format!("the key encoding is not supported; {SUPPORTED_KEYS}"),
        },
    }
}

fn bad_key(reason: &str) -> LoadProblem {
    LoadProblem::BadKey {
        reason: reason.to_owned(),
    }
}

fn diagnose_rsa(pkcs1: &[u8]) -> LoadProblem {
    let Ok(rsa) = RsaPrivateKeyOutline::from_der(pkcs1) else {
        return bad_key("it is not a valid RSA key structure");
    };
    let modulus = rsa.modulus.as_bytes();
    let bits = match modulus.first() {
        Some(first) => modulus.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    };
    if !(2048..=8192).contains(&bits) {
        return LoadProblem::UnsupportedKey {
            reason: format!("the RSA key is {bits} bits; {SUPPORTED_KEYS}"),
        };
    }
    bad_key("the RSA key's numbers do not fit together")
}

fn diagnose_ec(curve: Option<ObjectIdentifier>) -> LoadProblem {
    let Some(curve) = curve else {
        return LoadProblem::UnsupportedKey {
            reason: format!(
                "the EC key does not name its curve (explicit parameters); {SUPPORTED_KEYS}"
            ),
        };
    };
    if [OID_P256, OID_P384, OID_P521].contains(&curve) {
        return bad_key("the EC private value does not fit its curve or public key");
    }
    let name = curve_name(&curve).map_or_else(|| format!("curve {curve}"), str::to_owned);
    LoadProblem::UnsupportedKey {
        reason: format!("EC keys on {name} are not supported; {SUPPORTED_KEYS}"),
    }
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_PKCS7_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_PKCS7_SIGNED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

fn algorithm_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.113549.1.3.1" => "Diffie-Hellman",
        "1.2.643.7.1.1.1.1" | "1.2.643.7.1.1.1.2" => "GOST",
        _ => return None,
    })
}

fn curve_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "P-192",
        "1.3.132.0.33" => "P-224",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        _ => return None,
    })
}

// DER outlines: just enough structure to tell the formats apart and to diagnose a key. They
// deliberately have no Debug, as they borrow key material.

/// RFC 8017 RSAPrivateKey (PKCS#1).
#[derive(der::Sequence)]
struct RsaPrivateKeyOutline<'a> {
    #[allow(dead_code)]
    version: u8,
    modulus: UintRef<'a>,
    #[allow(dead_code)]
    public_exponent: UintRef<'a>,
    #[allow(dead_code)]
    private_exponent: UintRef<'a>,
    #[allow(dead_code)]
    prime1: UintRef<'a>,
    #[allow(dead_code)]
    prime2: UintRef<'a>,
    #[allow(dead_code)]
    exponent1: UintRef<'a>,
    #[allow(dead_code)]
    exponent2: UintRef<'a>,
    #[allow(dead_code)]
    coefficient: UintRef<'a>,
    #[allow(dead_code)]
    other_prime_infos: Option<AnyRef<'a>>,
}

/// RFC 5915 ECPrivateKey (SEC1).
#[derive(der::Sequence)]
struct EcPrivateKeyOutline<'a> {
    version: u8,
    #[allow(dead_code)]
    private_key: OctetStringRef<'a>,
    #[asn1(context_specific = "0", optional = "true")]
    parameters: Option<AnyRef<'a>>,
    #[allow(dead_code)]
    #[asn1(context_specific = "1", optional = "true")]
    public_key: Option<BitStringRef<'a>>,
}

/// RFC 5208 EncryptedPrivateKeyInfo, with any algorithm.
#[derive(der::Sequence)]
struct EncryptedPkcs8Outline<'a> {
    algorithm: pkcs8::AlgorithmIdentifierRef<'a>,
    #[allow(dead_code)]
    data: OctetStringRef<'a>,
}

/// RFC 7292 PFX.
#[derive(der::Sequence)]
struct PfxOutline<'a> {
    version: u8,
    auth_safe: ContentInfoOutline<'a>,
    mac_data: Option<AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct ContentInfoOutline<'a> {
    content_type: ObjectIdentifier,
    #[allow(dead_code)]
    #[asn1(context_specific = "0", optional = "true")]
    content: Option<AnyRef<'a>>,
}

/// What we learnt about a PKCS#12 file without its password.
#[derive(Clone, Copy)]
struct Pkcs12Outline {
    has_mac: bool,
}

fn pfx_outline(bytes: &[u8]) -> Option<Pkcs12Outline> {
    let pfx = PfxOutline::from_der(bytes).ok()?;
    let content_type = pfx.auth_safe.content_type;
    (pfx.version == 3 && (content_type == OID_PKCS7_DATA || content_type == OID_PKCS7_SIGNED))
        .then_some(Pkcs12Outline {
            has_mac: pfx.mac_data.is_some(),
        })
}

/// Old Windows and Java tools wrote PKCS#12 in BER with indefinite lengths, which strict DER
/// parsers cannot read: SEQUENCE (indefinite) { INTEGER 3, ... }.
fn is_ber_pkcs12(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x30, 0x80, 0x02, 0x01, 0x03])
}

fn ber_pkcs12_problem() -> LoadProblem {
    LoadProblem::UnsupportedPkcs12 {
        reason: "it is BER-encoded (indefinite lengths); convert it with `openssl pkcs12 -in OLD -nodes | openssl pkcs12 -export -out NEW.p12`".to_owned(),
    }
}

/// SEQUENCE { SEQUENCE { [0] version | INTEGER serial ... } }: a certificate, maybe damaged.
fn looks_like_certificate(bytes: &[u8]) -> bool {
    der_contents(bytes, 0x30)
        .and_then(|tbs| der_contents(tbs, 0x30))
        .is_some_and(|inner| matches!(inner.first(), Some(0xa0 | 0x02)))
}

/// Whether `bytes` is exactly one DER SEQUENCE, by its header alone.
fn is_one_der_sequence(bytes: &[u8]) -> bool {
    der_header(bytes, 0x30)
        .is_some_and(|(header, length)| header.checked_add(length) == Some(bytes.len()))
}

/// What follows the tag and length of a DER element with `tag`, not cut to the length (the
/// data may be truncated and we only sniff).
fn der_contents(bytes: &[u8], tag: u8) -> Option<&[u8]> {
    let (header, _) = der_header(bytes, tag)?;
    bytes.get(header..)
}

/// (header size, content length) of a DER element with `tag` (definite lengths only).
fn der_header(bytes: &[u8], tag: u8) -> Option<(usize, usize)> {
    if *bytes.first()? != tag {
        return None;
    }
    let first = *bytes.get(1)?;
    match first {
        0..=0x7f => Some((2, usize::from(first))),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            let length = bytes
                .get(2..2 + count)?
                .iter()
                .fold(0usize, |n, &b| (n << 8) | usize::from(b));
            Some((2 + count, length))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// PKCS#12

fn open_pkcs12(
    name: &str,
    bytes: &[u8],
    outline: Pkcs12Outline,
    password: &PasswordSource,
) -> Result<p12_keystore::Pkcs12Archive, LoadProblem> {
    use p12_keystore::error::Error as P12;
    // Many exported stores have an empty password. With a MAC we can tell for sure, so try it
    // before asking the user for anything.
    if outline.has_mac {
        match p12_keystore::Pkcs12Archive::from_pkcs12(bytes, "") {
            Ok(store) => return Ok(store),
            Err(P12::MacError(_)) => {}
            Err(err) => return Err(pkcs12_problem(err, outline)),
        }
    }
    let secret = password.resolve(name).map_err(LoadProblem::Password)?;
    p12_keystore::Pkcs12Archive::from_pkcs12(bytes, secret.expose())
        .map_err(|err| pkcs12_problem(err, outline))
}

fn pkcs12_problem(err: p12_keystore::error::Error, outline: Pkcs12Outline) -> LoadProblem {
    use p12_keystore::error::Error as P12;
    let unsupported = |reason: &str| LoadProblem::UnsupportedPkcs12 {
        reason: reason.to_owned(),
    };
    let bad = |reason: String| LoadProblem::BadPkcs12 { reason };
    match err {
        P12::MacError(_) => LoadProblem::WrongPassword {
            check: PasswordCheck::Pkcs12Mac,
        },
        // Without a MAC a wrong password shows up as bad padding or, now and then, as garbage
        // that decrypted "fine" and then fails to parse.
        P12::UnpadError
        | P12::Pkcs5Error(_)
        | P12::DerError(_)
        | P12::X509Error(_)
        | P12::InvalidPrivateKey
            if !outline.has_mac =>
        {
            LoadProblem::WrongPassword {
                check: PasswordCheck::Pkcs12Decryption,
            }
        }
        P12::UnpadError => bad("a part does not decrypt although the password is right".to_owned()),
        P12::Pkcs5Error(reason) => bad(format!("a part does not decrypt: {reason}")),
        P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => unsupported(
            "it uses an encryption or integrity algorithm this tool does not support; re-export it with OpenSSL 3's defaults (`openssl pkcs12 -export`)",
        ),
        P12::UnsupportedContentType => unsupported(
            "it is protected with a public key (signed or enveloped data), not a password",
        ),
        P12::UnsupportedCertificateType => unsupported("it holds a certificate that is not X.509"),
        P12::InvalidVersion => unsupported("it is not PKCS#12 version 3"),
        P12::InvalidParameters => unsupported(
            "its password-based encryption parameters are invalid or ask for an unreasonable amount of work",
        ),
        P12::X509Error(err) => bad(format!(
            "a certificate in it is not valid X.509: {}",
            describe_x509_error(&err)
        )),
        P12::InvalidPrivateKey => bad("a private key in it is not valid PKCS#8".to_owned()),
        P12::DerError(err) => bad(format!("DER error: {err}")),
        P12::InvalidLength | P12::InvalidData | P12::IoError(_) => bad(err.to_string()),
    }
}

fn certificates_from_pkcs12(store: &p12_keystore::Pkcs12Archive) -> Result<Loaded, LoadProblem> {
    if store.certs.is_empty() {
        return Err(LoadProblem::NotACertificate {
            what: if store.keys.is_empty() {
                "an empty PKCS#12 store".to_owned()
            } else {
                "only a private key (a PKCS#12 file without certificates)".to_owned()
            },
        });
    }
    let mut certificates = Vec::with_capacity(store.certs.len());
    for (i, bag) in store.certs.iter().enumerate() {
        let der = bag.cert.as_der();
        let (cert, rest) = split_certificate(i + 1, der)?;
        if !rest.is_empty() {
            return Err(trailing_data(i + 1, rest.len()));
        }
        certificates.push(CertificateDer::from(cert.to_vec()));
    }
    let (key, public_key) = match store.keys.as_slice() {
        [bag] => {
            let key = borrowed_key(bag.key.as_der(), KeyEncoding::Pkcs8);
            match public_key_of(&key) {
                Ok(public_key) => (
                    Some(PrivateKey {
                        der: key.clone_key(),
                        origin: KeyOrigin::Pkcs12,
                    }),
                    Some(public_key),
                ),
                Err(_) => (None, None),
            }
        }
        _ => (None, None),
    };
    // The leaf is the certificate the key belongs to: by localKeyId, else by public key.
    if let [key_bag] = store.keys.as_slice() {
        let by_id = key_bag.local_key_id.as_ref().and_then(|id| {
            store
                .certs
                .iter()
                .position(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
        });
        let by_public_key = || {
            let public_key = public_key.as_deref()?;
            certificates.iter().position(|c| {
                x509_parser::parse_x509_certificate(c.as_ref()).is_ok_and(|(_, cert)| {
                    cert.public_key().subject_public_key.data.as_ref() == public_key
                })
            })
        };
        if let Some(leaf) = by_id.or_else(by_public_key)
            && leaf > 0
            && leaf < certificates.len()
        {
            let cert = certificates.remove(leaf);
            certificates.insert(0, cert);
        }
    }
    Ok((certificates, key, FileFormat::Pkcs12))
}

fn key_from_pkcs12(store: &p12_keystore::Pkcs12Archive) -> Result<PrivateKey, LoadProblem> {
    match store.keys.as_slice() {
        [] => Err(LoadProblem::NoKey {
            holds: (!store.certs.is_empty()).then(|| "certificates".to_owned()),
        }),
        [bag] => usable_key(bag.key.as_der(), KeyEncoding::Pkcs8, KeyOrigin::Pkcs12),
        more => Err(LoadProblem::TwoKeys { count: more.len() }),
    }
}

// ---------------------------------------------------------------------------------------------
// PEM

/// One decoded PEM block. The data may be a key, so it is wiped on drop and never printed.
struct PemBlock {
    label: String,
    /// Line of the BEGIN line.
    line: usize,
    /// `Proc-Type: 4,ENCRYPTED` header (legacy OpenSSL encryption); `der` is then empty.
    legacy_encrypted: bool,
    der: Zeroizing<Vec<u8>>,
}

#[derive(Clone, Copy)]
enum KeyBlock {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1,
    Sec1,
    LegacyEncrypted,
    Unsupported(&'static str),
}

#[derive(Clone, Copy)]
enum BlockKind {
    Certificate {
        trusted: bool,
    },
    Key(KeyBlock),
    Csr,
    PublicKey,
    Crl,
    Pkcs7,
    /// EC PARAMETERS, which OpenSSL writes before an EC key, and labels we do not know.
    Other,
}

fn classify(block: &PemBlock) -> BlockKind {
    let key = |kind| {
        if block.legacy_encrypted {
            BlockKind::Key(KeyBlock::LegacyEncrypted)
        } else {
            BlockKind::Key(kind)
        }
    };
    match block.label.as_str() {
        "CERTIFICATE" | "X509 CERTIFICATE" | "X.509 CERTIFICATE" => {
            BlockKind::Certificate { trusted: false }
        }
        "TRUSTED CERTIFICATE" => BlockKind::Certificate { trusted: true },
        "PRIVATE KEY" => key(KeyBlock::Pkcs8),
        "ENCRYPTED PRIVATE KEY" => key(KeyBlock::EncryptedPkcs8),
        "RSA PRIVATE KEY" => key(KeyBlock::Pkcs1),
        "EC PRIVATE KEY" => key(KeyBlock::Sec1),
        "DSA PRIVATE KEY" => key(KeyBlock::Unsupported(
            "DSA keys are not supported; use RSA (2048 to 8192 bits), ECDSA P-256/P-384/P-521 or Ed25519",
        )),
        "OPENSSH PRIVATE KEY" => key(KeyBlock::Unsupported(
            "it is in OpenSSH's own format; convert it with `ssh-keygen -p -m PKCS8 -f FILE` (this rewrites FILE)",
        )),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => BlockKind::Csr,
        "PUBLIC KEY" | "RSA PUBLIC KEY" => BlockKind::PublicKey,
        "X509 CRL" => BlockKind::Crl,
        "PKCS7" | "CMS" => BlockKind::Pkcs7,
        _ => BlockKind::Other,
    }
}

/// A strict PEM scanner (RFC 7468, plus RFC 1421 headers for legacy keys). Text outside
/// blocks is ignored (OpenSSL writes "Bag Attributes" and "subject=" lines there); inside a
/// block every line must be base64, so damage is reported with its line number instead of
/// being skipped.
fn scan_pem(bytes: &[u8]) -> Result<Vec<PemBlock>, LoadProblem> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut blocks = Vec::new();
    let mut open: Option<OpenBlock> = None;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let line = raw.trim_ascii();
        let lead = raw.len() - raw.trim_ascii_start().len();
        open = match open {
            None => match line.strip_prefix(b"-----BEGIN") {
                Some(rest) => match boundary_label(rest) {
                    Some(label) => Some(OpenBlock::new(label, line_no)),
                    None => {
                        return Err(LoadProblem::BadPem {
                            label: String::from_utf8_lossy(rest)
                                .trim_matches('-')
                                .trim()
                                .into(),
                            line: line_no,
                            defect: PemDefect::MalformedBoundary { line: line_no },
                        });
                    }
                },
                None => None,
            },
            Some(mut block) => {
                if let Some(rest) = line.strip_prefix(b"-----END") {
                    match boundary_label(rest) {
                        Some(label) if label == block.label => blocks.push(block.finish()?),
                        Some(found) => {
                            return Err(block.defect(PemDefect::MismatchedEnd {
                                line: line_no,
                                found,
                            }));
                        }
                        None => {
                            return Err(
                                block.defect(PemDefect::MalformedBoundary { line: line_no })
                            );
                        }
                    }
                    None
                } else if line.starts_with(b"-----BEGIN") {
                    return Err(block.defect(PemDefect::NoEndBeforeBegin { line: line_no }));
                } else {
                    block.add_line(line_no, lead, line)?;
                    Some(block)
                }
            }
        };
    }
    match open {
        Some(block) => Err(block.defect(PemDefect::Truncated)),
        None => Ok(blocks),
    }
}

/// The label in what follows `-----BEGIN`/`-----END`: " LABEL-----".
fn boundary_label(rest: &[u8]) -> Option<String> {
    let label = rest.strip_suffix(b"-----")?.strip_prefix(b" ")?;
    let valid = !label.is_empty()
        && label.iter().all(|&c| c.is_ascii_graphic() || c == b' ')
        && !label.starts_with(b"-")
        && !label.ends_with(b"-");
    valid.then(|| String::from_utf8_lossy(label).into_owned())
}

/// A PEM block between its BEGIN line and its END line.
struct OpenBlock {
    label: String,
    line: usize,
    /// Still before the first base64 line, where RFC 1421 headers may appear.
    in_headers: bool,
    saw_header: bool,
    legacy_encrypted: bool,
    /// The base64 text so far (of a key, perhaps: wiped on drop).
    text: Zeroizing<Vec<u8>>,
    /// (line number, number of base64 characters) of each data line.
    lines: Vec<(usize, usize)>,
    /// Line whose data ended with '=' padding: no data may follow it.
    padded_at: Option<usize>,
}

impl OpenBlock {
    fn new(label: String, line: usize) -> Self {
        OpenBlock {
            label,
            line,
            in_headers: true,
            saw_header: false,
            legacy_encrypted: false,
            text: Zeroizing::new(Vec::new()),
            lines: Vec::new(),
            padded_at: None,
        }
    }

    fn defect(&self, defect: PemDefect) -> LoadProblem {
        LoadProblem::BadPem {
            label: self.label.clone(),
            line: self.line,
            defect,
        }
    }

    /// `line` is trimmed; `lead` is how much whitespace was trimmed from its start.
    fn add_line(&mut self, line_no: usize, lead: usize, line: &[u8]) -> Result<(), LoadProblem> {
        if line.is_empty() {
            // The blank line after headers, or stray blank lines.
            return Ok(());
        }
        if self.in_headers {
            if line.contains(&b':') {
                self.saw_header = true;
                if line.starts_with(b"Proc-Type:") && line.ends_with(b"ENCRYPTED") {
                    self.legacy_encrypted = true;
                }
                return Ok(());
            }
            if self.saw_header && lead > 0 {
                // A folded header line.
                return Ok(());
            }
            self.in_headers = false;
        }
        if let Some(padded) = self.padded_at {
            return Err(self.defect(PemDefect::MisplacedPadding { line: padded }));
        }
        let mut padding = false;
        for (i, &c) in line.iter().enumerate() {
            if c == b'=' {
                padding = true;
            } else if padding {
                return Err(self.defect(PemDefect::MisplacedPadding { line: line_no }));
            } else if sextet(c).is_none() {
                return Err(self.defect(PemDefect::BadCharacter {
                    line: line_no,
                    column: lead + i + 1,
                    found: describe_byte(c),
                }));
            }
        }
        if padding {
            self.padded_at = Some(line_no);
        }
        if self.text.capacity() - self.text.len() < line.len() {
            // Grow by hand so no unwiped copy of the old buffer is left behind.
            let mut bigger = Zeroizing::new(Vec::with_capacity(
                (self.text.capacity() * 2).max(self.text.len() + line.len()),
            ));
            bigger.extend_from_slice(&self.text);
            self.text = bigger;
        }
        self.text.extend_from_slice(line);
        self.lines.push((line_no, line.len()));
        Ok(())
    }

    fn finish(self) -> Result<PemBlock, LoadProblem> {
        if self.legacy_encrypted {
            // Not decoded: we cannot decrypt it anyway, and say so when it is used.
            return Ok(PemBlock {
                label: self.label,
                line: self.line,
                legacy_encrypted: true,
                der: Zeroizing::new(Vec::new()),
            });
        }
        if self.lines.is_empty() {
            return Err(self.defect(PemDefect::NoData));
        }
        let padding = self.text.iter().rev().take_while(|&&c| c == b'=').count();
        if !self.text.len().is_multiple_of(4) {
            return Err(self.defect(PemDefect::BadLength {
                line: self.odd_line(),
            }));
        }
        if padding > 2 {
            return Err(self.defect(PemDefect::MisplacedPadding {
                line: self.lines.last().map_or(self.line, |&(n, _)| n),
            }));
        }
        let der = decode_base64(&self.text);
        Ok(PemBlock {
            label: self.label.clone(),
            line: self.line,
            legacy_encrypted: false,
            der,
        })
    }

    /// The line to blame when the base64 length is wrong: the first line (but the last) whose
    /// width differs from the usual width, else the last line.
    fn odd_line(&self) -> usize {
        let last = self.lines.last().map_or(self.line, |&(n, _)| n);
        let body = self.lines.split_last().map_or(&[][..], |(_, body)| body);
        let mut widths: BTreeMap<usize, usize> = BTreeMap::new();
        for &(_, width) in body {
            *widths.entry(width).or_default() += 1;
        }
        let Some((&usual, _)) = widths.iter().max_by_key(|&(_, &count)| count) else {
            return last;
        };
        body.iter()
            .find(|&&(_, width)| width != usual)
            .map_or(last, |&(n, _)| n)
    }
}

fn describe_byte(c: u8) -> String {
    match c {
        b' ' => "a space".to_owned(),
        b'\t' => "a tab".to_owned(),
        b'\r' => "a carriage return".to_owned(),
        c if c.is_ascii_graphic() => format!("'{}'", c as char),
        c => format!("byte 0x{c:02x}"),
    }
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes base64 already checked by `OpenBlock` (alphabet, length a multiple of 4, at most two
/// '=' at the very end).
fn decode_base64(text: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3));
    for group in text.chunks_exact(4) {
        let [a, b, c, d] = group else { continue };
        let v = |x: &u8| u32::from(sextet(*x).unwrap_or(0));
        let n = (v(a) << 18) | (v(b) << 12) | (v(c) << 6) | v(d);
        let [_, x, y, z] = n.to_be_bytes();
        out.push(x);
        if *c != b'=' {
            out.push(y);
        }
        if *d != b'=' {
            out.push(z);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IsTerminal;
    use std::process::Command;

    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// Distinctive, so a leak into any message is easy to spot.
    const PASSWORD: &str = "Tulli-testi-salasana-7Q";

    /// A temporary directory to write inputs into and run `openssl` in.
    struct Kit {
        dir: tempfile::TempDir,
    }

    impl Kit {
        fn new() -> Self {
            Kit {
                dir: tempfile::tempdir().expect("temp dir"),
            }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
            let path = self.path(name);
            std::fs::write(&path, bytes).expect("write input");
            path
        }

        fn read(&self, name: &str) -> Vec<u8> {
            std::fs::read(self.path(name)).expect("read output")
        }

        /// The right password, from a file.
        fn password(&self) -> PasswordSource {
            PasswordSource::File(self.write("pw.txt", format!("{PASSWORD}\n")))
        }

        fn wrong_password(&self) -> PasswordSource {
            PasswordSource::File(self.write("wrong-pw.txt", "not-the-password\n"))
        }

        /// Runs openssl in the kit's directory. Passwords go through the TILI_PW environment
        /// variable (`pass:`-free), so none shows in argv.
        fn openssl(&self, args: &[&str]) {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(self.dir.path())
                .env("TILI_PW", PASSWORD)
                .output()
                .expect("the openssl command must be installed for these tests");
            assert!(
                out.status.success(),
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn self_signed(key: &KeyPair, name: &str) -> rcgen::Certificate {
        CertificateParams::new(vec![name.to_owned()])
            .expect("params")
            .self_signed(key)
            .expect("self-signed")
    }

    /// A CA and a leaf it issued.
    struct Chain {
        ca: rcgen::Certificate,
        leaf: rcgen::Certificate,
        leaf_key: KeyPair,
    }

    fn chain() -> Chain {
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Tilicheck Test CA");
        let ca = ca_params.self_signed(&ca_key).expect("ca cert");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["x.test".to_owned()])
            .expect("leaf params")
            .signed_by(&leaf_key, &Issuer::from_params(&ca_params, &ca_key))
            .expect("leaf cert");
        Chain { ca, leaf, leaf_key }
    }

    fn rsa_key() -> KeyPair {
        KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key")
    }

    /// The same inputs as `Kit::write` + `read_*`, for files written by openssl.
    fn certs(path: &Path, password: &PasswordSource) -> Result<CertificateFile, LoadError> {
        read_certificates(path, password)
    }

    fn key(path: &Path, password: &PasswordSource) -> Result<PrivateKey, LoadError> {
        read_private_key(path, password)
    }

    fn no_password() -> PasswordSource {
        PasswordSource::Env("TILICHECK_TEST_VARIABLE_THAT_IS_NEVER_SET".to_owned())
    }

    // --- certificates --------------------------------------------------------------------

    #[test]
    fn pem_certificate_loads() {
        let kit = Kit::new();
        let key = KeyPair::generate().unwrap();
        let cert = self_signed(&key, "x.test");
        let path = kit.write("cert.pem", cert.pem());
        let file = certs(&path, &PasswordSource::None).unwrap();
        assert_eq!(file.format, FileFormat::Pem);
        assert_eq!(file.certificates, vec![cert.der().clone()]);
        assert!(file.key.is_none());
        assert_eq!(file.path, path);
    }

    #[test]
    fn pem_chain_of_two_loads_in_file_order() {
        let kit = Kit::new();
        let chain = chain();
        let text = format!("{}{}", chain.leaf.pem(), chain.ca.pem());
        let file = certs(&kit.write("chain.pem", &text), &PasswordSource::None).unwrap();
        assert_eq!(
            file.certificates,
            vec![chain.leaf.der().clone(), chain.ca.der().clone()]
        );
        // Reversed stays reversed: ordering is the checks' business, not the loader's.
        let text = format!("{}{}", chain.ca.pem(), chain.leaf.pem());
        let file = certs(&kit.write("rev.pem", &text), &PasswordSource::None).unwrap();
        assert_eq!(file.certificates[0], *chain.ca.der());
    }

    #[test]
    fn pem_with_text_between_blocks_and_crlf_loads() {
        let kit = Kit::new();
        let chain = chain();
        let text = format!(
            "Bag Attributes\r\n    friendlyName: leaf\r\nsubject=CN=x.test\r\n\r\n{}\r\nsome note\r\n{}",
            chain.leaf.pem().replace('\n', "\r\n"),
            chain.ca.pem().replace('\n', "\r\n")
        );
        let file = certs(&kit.write("notes.pem", text), &PasswordSource::None).unwrap();
        assert_eq!(file.certificates.len(), 2);
        assert_eq!(file.certificates[0], *chain.leaf.der());
    }

    #[test]
    fn der_certificate_loads() {
        let kit = Kit::new();
        let chain = chain();
        kit.write("leaf.pem", chain.leaf.pem());
        kit.openssl(&[
            "x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der",
        ]);
        let file = certs(&kit.path("leaf.der"), &PasswordSource::None).unwrap();
        assert_eq!(file.format, FileFormat::Der);
        assert_eq!(file.certificates, vec![chain.leaf.der().clone()]);
    }

    #[test]
    fn pem_bundle_with_one_key_sets_key_and_with_two_keys_does_not() {
        let kit = Kit::new();
        let chain = chain();
        let one = format!("{}{}", chain.leaf.pem(), chain.leaf_key.serialize_pem());
        let file = certs(&kit.write("one.pem", one), &PasswordSource::None).unwrap();
        assert!(matches!(
            file.key,
            Some(PrivateKey {
                origin: KeyOrigin::Pkcs8,
                ..
            })
        ));
        let other = KeyPair::generate().unwrap();
        let two = format!(
            "{}{}{}",
            chain.leaf.pem(),
            chain.leaf_key.serialize_pem(),
            other.serialize_pem()
        );
        let file = certs(&kit.write("two.pem", two), &PasswordSource::None).unwrap();
        assert_eq!(file.certificates.len(), 1);
        assert!(file.key.is_none());
    }

    #[test]
    fn pem_bundle_with_encrypted_key_uses_a_given_password_but_never_prompts() {
        let kit = Kit::new();
        let chain = chain();
        kit.write("k.pem", chain.leaf_key.serialize_pem());
        kit.openssl(&[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "k.pem",
            "-out",
            "enc.pem",
            "-passout",
            "env:TILI_PW",
        ]);
        let mut bundle = chain.leaf.pem().into_bytes();
        bundle.extend_from_slice(&kit.read("enc.pem"));
        let path = kit.write("bundle.pem", bundle);
        let file = certs(&path, &kit.password()).unwrap();
        assert_eq!(file.key.map(|k| k.origin), Some(KeyOrigin::EncryptedPkcs8));
        for source in [
            PasswordSource::None,
            PasswordSource::Prompt,
            kit.wrong_password(),
        ] {
            let file = certs(&path, &source).unwrap();
            assert_eq!(file.certificates.len(), 1);
            assert!(file.key.is_none());
        }
    }

    #[test]
    fn negative_serial_still_loads() {
        let key = KeyPair::generate().unwrap();
        let mut der = self_signed(&key, "x.test").der().to_vec();
        // version [0] INTEGER 2, then the serial INTEGER: set the sign bit of its first byte.
        let at = der
            .windows(6)
            .position(|w| w == [0xa0, 0x03, 0x02, 0x01, 0x02, 0x02])
            .expect("version and serial");
        der[at + 7] |= 0x80;
        let file = parse_certificates("neg.der", &der, &PasswordSource::None).unwrap();
        assert_eq!(file.certificates[0].as_ref(), der.as_slice());
    }

    // --- PKCS#12 -------------------------------------------------------------------------

    /// Writes leaf, its key and the CA, and exports them to `name` with extra `args`.
    fn export_p12(kit: &Kit, chain: &Chain, name: &str, args: &[&str]) -> PathBuf {
        kit.write("leaf.pem", chain.leaf.pem());
        kit.write("leaf-key.pem", chain.leaf_key.serialize_pem());
        kit.write("ca.pem", chain.ca.pem());
        let mut all = vec![
            "pkcs12",
            "-export",
            "-inkey",
            "leaf-key.pem",
            "-in",
            "leaf.pem",
            "-certfile",
            "ca.pem",
            "-out",
            name,
        ];
        all.extend_from_slice(args);
        kit.openssl(&all);
        kit.path(name)
    }

    fn assert_p12_loads(chain: &Chain, path: &Path, password: &PasswordSource) {
        let file = certs(path, password).unwrap();
        assert_eq!(file.format, FileFormat::Pkcs12);
        assert_eq!(
            file.certificates,
            vec![chain.leaf.der().clone(), chain.ca.der().clone()]
        );
        let bundled = file.key.expect("key from the PKCS#12 file");
        assert_eq!(bundled.origin, KeyOrigin::Pkcs12);
        let key = key(path, password).unwrap();
        assert_eq!(key.origin, KeyOrigin::Pkcs12);
        assert_eq!(
            KeyPair::try_from(&key.der).unwrap().public_key_raw(),
            chain.leaf_key.public_key_raw()
        );
    }

    #[test]
    fn pkcs12_openssl3_default_loads_leaf_first() {
        let kit = Kit::new();
        let chain = chain();
        let path = export_p12(&kit, &chain, "default.p12", &["-passout", "env:TILI_PW"]);
        assert_p12_loads(&chain, &path, &kit.password());
    }

    #[test]
    fn pkcs12_legacy_loads() {
        let kit = Kit::new();
        let chain = chain();
        let path = export_p12(
            &kit,
            &chain,
            "legacy.p12",
            &["-legacy", "-passout", "env:TILI_PW"],
        );
        assert_p12_loads(&chain, &path, &kit.password());
    }

    #[test]
    fn pkcs12_with_ca_bag_first_still_puts_leaf_first() {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
        let chain = chain();
        // p12-keystore writes standalone (trusted) certificates before key chains, so the CA
        // bag comes first in the file.
        let mut store = KeyStore::new();
        let ca = Certificate::from_der(chain.ca.der()).unwrap();
        store.add_entry("ca", KeyStoreEntry::Certificate(ca));
        let leaf = Certificate::from_der(chain.leaf.der()).unwrap();
        let key = p12_keystore::PrivateKey::from_der(chain.leaf_key.serialized_der()).unwrap();
        let key_chain = PrivateKeyChain::new(b"leaf-id".as_slice(), key, [leaf]);
        store.add_entry("leaf", KeyStoreEntry::PrivateKeyChain(key_chain));
        let bytes = store.writer(PASSWORD).write().unwrap();
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&bytes, PASSWORD).unwrap();
        assert_eq!(archive.certs[0].cert.as_der(), chain.ca.der().as_ref());

        let kit = Kit::new();
        let file = parse_certificates("s.p12", &bytes, &kit.password()).unwrap();
        assert_eq!(
            file.certificates,
            vec![chain.leaf.der().clone(), chain.ca.der().clone()]
        );
        assert_eq!(file.key.map(|k| k.origin), Some(KeyOrigin::Pkcs12));
    }

    #[test]
    fn pkcs12_with_empty_password_needs_no_password() {
        let kit = Kit::new();
        let chain = chain();
        let path = export_p12(&kit, &chain, "open.p12", &["-passout", "pass:"]);
        assert_p12_loads(&chain, &path, &no_password());
    }

    #[test]
    fn pkcs12_wrong_password() {
        let kit = Kit::new();
        let chain = chain();
        for args in [
            &["-passout", "env:TILI_PW"][..],
            &["-legacy", "-passout", "env:TILI_PW"],
        ] {
            let path = export_p12(&kit, &chain, "s.p12", args);
            let err = certs(&path, &kit.wrong_password()).unwrap_err();
            assert!(
                matches!(
                    err.problem,
                    LoadProblem::WrongPassword {
                        check: PasswordCheck::Pkcs12Mac
                    }
                ),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains("wrong password (the file's integrity check failed)")
            );
            let err = key(&path, &kit.wrong_password()).unwrap_err();
            assert!(matches!(err.problem, LoadProblem::WrongPassword { .. }));
        }
    }

    #[test]
    fn pkcs12_without_mac_wrong_password() {
        let kit = Kit::new();
        let chain = chain();
        let path = export_p12(
            &kit,
            &chain,
            "n.p12",
            &["-nomac", "-passout", "env:TILI_PW"],
        );
        assert_p12_loads(&chain, &path, &kit.password());
        let err = certs(&path, &kit.wrong_password()).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::WrongPassword {
                    check: PasswordCheck::Pkcs12Decryption
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("wrong password or corrupt file"));
    }

    #[test]
    fn pkcs12_without_password_source() {
        let kit = Kit::new();
        let chain = chain();
        let path = export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
        let err = certs(&path, &no_password()).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::Password(SecretError::EnvMissing(_))
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("TILICHECK_TEST_VARIABLE_THAT_IS_NEVER_SET")
        );
        // No source at all: without a terminal to prompt on, the message says how to give one.
        if !std::io::stdin().is_terminal() {
            let err = certs(&path, &PasswordSource::None).unwrap_err();
            assert!(matches!(
                err.problem,
                LoadProblem::Password(SecretError::NotConfigured)
            ));
            assert!(err.to_string().contains("--password-file"));
        }
    }

    #[test]
    fn pkcs12_is_found_by_content_not_name() {
        let kit = Kit::new();
        let chain = chain();
        export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
        let path = kit.write("looks-like.pem", kit.read("s.p12"));
        let file = certs(&path, &kit.password()).unwrap();
        assert_eq!(file.format, FileFormat::Pkcs12);
    }

    // --- private keys --------------------------------------------------------------------

    #[test]
    fn pkcs8_pem_and_der_load() {
        let kit = Kit::new();
        let pair = KeyPair::generate().unwrap();
        let key_pem = key(&kit.write("k.pem", pair.serialize_pem()), &no_password()).unwrap();
        assert_eq!(key_pem.origin, KeyOrigin::Pkcs8);
        assert!(matches!(key_pem.der, PrivateKeyDer::Pkcs8(_)));
        let key_der = key(&kit.write("k.der", pair.serialize_der()), &no_password()).unwrap();
        assert_eq!(key_der.origin, KeyOrigin::Pkcs8);
        assert_eq!(key_der.der.secret_der(), pair.serialized_der());
    }

    #[test]
    fn ed25519_and_p384_keys_load() {
        let kit = Kit::new();
        for alg in [&rcgen::PKCS_ED25519, &rcgen::PKCS_ECDSA_P384_SHA384] {
            let pair = KeyPair::generate_for(alg).unwrap();
            let loaded = key(&kit.write("k.pem", pair.serialize_pem()), &no_password()).unwrap();
            assert_eq!(loaded.origin, KeyOrigin::Pkcs8);
        }
    }

    #[test]
    fn encrypted_pkcs8_pem_and_der_load() {
        let kit = Kit::new();
        let pair = KeyPair::generate().unwrap();
        kit.write("k.pem", pair.serialize_pem());
        for (out, form) in [("enc.pem", "PEM"), ("enc.der", "DER")] {
            kit.openssl(&[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                "k.pem",
                "-outform",
                form,
                "-out",
                out,
                "-passout",
                "env:TILI_PW",
            ]);
            let loaded = key(&kit.path(out), &kit.password()).unwrap();
            assert_eq!(loaded.origin, KeyOrigin::EncryptedPkcs8);
            assert_eq!(loaded.der.secret_der(), pair.serialized_der());
        }
    }

    #[test]
    fn encrypted_pkcs8_wrong_password_and_no_password() {
        let kit = Kit::new();
        kit.write("k.pem", KeyPair::generate().unwrap().serialize_pem());
        kit.openssl(&[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "k.pem",
            "-out",
            "enc.pem",
            "-passout",
            "env:TILI_PW",
        ]);
        let err = key(&kit.path("enc.pem"), &kit.wrong_password()).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::WrongPassword {
                    check: PasswordCheck::EncryptedPkcs8
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("wrong password or corrupt encrypted key")
        );
        let err = key(&kit.path("enc.pem"), &no_password()).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::Password(_)));
        assert!(err.to_string().contains("is not set"));
    }

    #[test]
    fn encrypted_pkcs8_with_unsupported_scheme_says_how_to_convert() {
        let kit = Kit::new();
        kit.write("k.pem", KeyPair::generate().unwrap().serialize_pem());
        let cases: [&[&str]; 2] = [
            &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1"],
            &["-v1", "PBE-SHA1-3DES"],
        ];
        for scheme in cases {
            let mut args = vec!["pkcs8", "-topk8", "-in", "k.pem", "-out", "old.pem"];
            args.extend_from_slice(scheme);
            args.extend_from_slice(&["-passout", "env:TILI_PW"]);
            kit.openssl(&args);
            let err = key(&kit.path("old.pem"), &kit.password()).unwrap_err();
            assert!(
                matches!(err.problem, LoadProblem::UnsupportedKey { .. }),
                "{scheme:?}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains("openssl pkcs8 -topk8 -v2 aes-256-cbc")
            );
        }
    }

    #[test]
    fn pkcs1_rsa_pem_and_der_load() {
        let kit = Kit::new();
        let pair = rsa_key();
        kit.write("rsa.pem", pair.serialize_pem());
        kit.openssl(&["rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem"]);
        kit.openssl(&[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "rsa1.der",
        ]);
        assert!(
            String::from_utf8(kit.read("rsa1.pem"))
                .unwrap()
                .contains("BEGIN RSA PRIVATE KEY")
        );
        for name in ["rsa1.pem", "rsa1.der"] {
            let loaded = key(&kit.path(name), &no_password()).unwrap();
            assert_eq!(loaded.origin, KeyOrigin::Pkcs1Rsa, "{name}");
            assert!(matches!(loaded.der, PrivateKeyDer::Pkcs1(_)));
        }
    }

    #[test]
    fn sec1_ec_pem_with_parameters_and_der_load() {
        let kit = Kit::new();
        kit.write("ec.pem", KeyPair::generate().unwrap().serialize_pem());
        kit.openssl(&["ec", "-in", "ec.pem", "-out", "sec1.pem"]);
        kit.openssl(&["ec", "-in", "ec.pem", "-outform", "DER", "-out", "sec1.der"]);
        kit.openssl(&["ecparam", "-name", "prime256v1", "-out", "params.pem"]);
        let mut with_params = kit.read("params.pem");
        with_params.extend_from_slice(&kit.read("sec1.pem"));
        kit.write("with-params.pem", with_params);
        for name in ["sec1.pem", "sec1.der", "with-params.pem"] {
            let loaded = key(&kit.path(name), &no_password()).unwrap();
            assert_eq!(loaded.origin, KeyOrigin::Sec1Ec, "{name}");
            assert!(matches!(loaded.der, PrivateKeyDer::Sec1(_)));
        }
    }

    #[test]
    fn legacy_encrypted_pem_is_refused_with_a_conversion_hint() {
        let kit = Kit::new();
        kit.write("ec.pem", KeyPair::generate().unwrap().serialize_pem());
        kit.openssl(&[
            "ec",
            "-in",
            "ec.pem",
            "-aes256",
            "-passout",
            "env:TILI_PW",
            "-out",
            "legacy.pem",
        ]);
        assert!(
            String::from_utf8(kit.read("legacy.pem"))
                .unwrap()
                .contains("Proc-Type: 4,ENCRYPTED")
        );
        let err = key(&kit.path("legacy.pem"), &kit.password()).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::LegacyEncryptedPem),
            "{err:?}"
        );
        assert!(err.to_string().contains("openssl pkcs8 -topk8"));
    }

    #[test]
    fn unsupported_key_types_are_named() {
        let kit = Kit::new();
        kit.openssl(&["genpkey", "-algorithm", "ed448", "-out", "ed448.pem"]);
        kit.openssl(&[
            "ecparam",
            "-name",
            "secp256k1",
            "-genkey",
            "-noout",
            "-out",
            "k1.pem",
        ]);
        kit.openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "rsa1024.pem",
        ]);
        for (name, expected) in [
            ("ed448.pem", "Ed448 keys are not supported"),
            ("k1.pem", "secp256k1"),
            ("rsa1024.pem", "the RSA key is 1024 bits"),
        ] {
            let err = key(&kit.path(name), &no_password()).unwrap_err();
            assert!(
                matches!(err.problem, LoadProblem::UnsupportedKey { .. }),
                "{name}: {err:?}"
            );
            assert!(err.to_string().contains(expected), "{name}: {err}");
        }
        let dsa = "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n";
        let err = key(&kit.write("dsa.pem", dsa), &no_password()).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::UnsupportedKey { .. }));
        assert!(err.to_string().contains("DSA keys are not supported"));
    }

    #[test]
    fn corrupt_key_is_bad_key() {
        let pair = KeyPair::generate().unwrap();
        let mut der = pair.serialize_der();
        // Flip bits in the private scalar: still DER, no longer a key that matches its public half.
        let last = der.len() - 40;
        der[last] ^= 0xff;
        let err = parse_private_key("k.der", &der, &no_password()).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::BadKey { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("k.der: holds a corrupt private key")
        );
    }

    // --- damaged and wrong input ---------------------------------------------------------

    #[test]
    fn truncated_pem_says_so() {
        let key = KeyPair::generate().unwrap();
        let pem = self_signed(&key, "x.test").pem();
        let cut = &pem.as_bytes()[..pem.len() / 2];
        let err = parse_certificates("cut.pem", cut, &PasswordSource::None).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::BadPem {
                    line: 1,
                    defect: PemDefect::Truncated,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("PEM block 'CERTIFICATE' starting at line 1 is corrupt"),
            "{text}"
        );
        assert!(text.contains("truncated"), "{text}");
    }

    #[test]
    fn broken_base64_line_is_named() {
        let key = KeyPair::generate().unwrap();
        let pem = self_signed(&key, "x.test").pem();
        let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
        lines[4].replace_range(10..11, "*");
        let broken = lines.join("\n");
        let err =
            parse_certificates("b.pem", broken.as_bytes(), &PasswordSource::None).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::BadPem {
                    defect: PemDefect::BadCharacter {
                        line: 5,
                        column: 11,
                        ..
                    },
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("line 5 is not base64: '*' at column 11")
        );
    }

    #[test]
    fn shortened_base64_line_is_named() {
        let key = KeyPair::generate().unwrap();
        let pem = self_signed(&key, "x.test").pem();
        let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
        lines[3].remove(20);
        let broken = lines.join("\n");
        let err =
            parse_certificates("s.pem", broken.as_bytes(), &PasswordSource::None).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::BadPem {
                    defect: PemDefect::BadLength { line: 4 },
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("line 4 has the wrong number of base64 characters")
        );
    }

    #[test]
    fn mismatched_end_and_missing_end_before_begin() {
        let key = KeyPair::generate().unwrap();
        let pem = self_signed(&key, "x.test").pem();
        let wrong_end = pem.replace("END CERTIFICATE", "END PRIVATE KEY");
        let err =
            parse_certificates("e.pem", wrong_end.as_bytes(), &PasswordSource::None).unwrap_err();
        assert!(matches!(
            err.problem,
            LoadProblem::BadPem {
                defect: PemDefect::MismatchedEnd { .. },
                ..
            }
        ));
        assert!(err.to_string().contains("is for 'PRIVATE KEY'"));
        let no_end = format!("{}{pem}", pem.replace("-----END CERTIFICATE-----\n", ""));
        let err =
            parse_certificates("n.pem", no_end.as_bytes(), &PasswordSource::None).unwrap_err();
        assert!(matches!(
            err.problem,
            LoadProblem::BadPem {
                defect: PemDefect::NoEndBeforeBegin { .. },
                ..
            }
        ));
        assert!(
            err.to_string()
                .contains("no END line before the next BEGIN")
        );
    }

    #[test]
    fn corrupt_der_inside_pem_is_a_bad_certificate() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBAAAAAAAA\n-----END CERTIFICATE-----\n";
        let err = parse_certificates("c.pem", pem.as_bytes(), &PasswordSource::None).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::BadCertificate { index: 1, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("certificate #1 is not valid DER X.509")
        );
        assert!(err.to_string().contains("(PEM block at line 1)"));
    }

    #[test]
    fn truncated_der_certificate_is_a_bad_certificate() {
        let key = KeyPair::generate().unwrap();
        let der = self_signed(&key, "x.test").der().to_vec();
        let err =
            parse_certificates("t.der", &der[..der.len() - 30], &PasswordSource::None).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::BadCertificate { index: 1, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("certificate #1 is not valid DER X.509")
        );
    }

    #[test]
    fn garbage_is_unrecognised() {
        let kit = Kit::new();
        let path = kit.write("g.crt", "hello, this is not a certificate\n\x01\x02\x03");
        let err = certs(&path, &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::Unrecognised));
        assert!(
            err.to_string()
                .ends_with("is neither PEM nor DER: no certificate or key found")
        );
        let err = key(&path, &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::Unrecognised));
    }

    #[test]
    fn utf16_pem_gets_a_hint() {
        let key = KeyPair::generate().unwrap();
        let pem = self_signed(&key, "x.test").pem();
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(pem.encode_utf16().flat_map(u16::to_le_bytes));
        let err = parse_certificates("w.pem", &utf16, &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::Utf16), "{err:?}");
        assert!(err.to_string().contains("save it again as UTF-8 or ASCII"));
    }

    #[test]
    fn der_holding_begin_text_is_still_der() {
        // A certificate whose name contains "-----BEGIN" is one DER structure, not PEM.
        let key = KeyPair::generate().unwrap();
        let cert = self_signed(&key, "-----BEGIN.x.test");
        let file = parse_certificates("b.der", cert.der(), &PasswordSource::None).unwrap();
        assert_eq!(file.format, FileFormat::Der);
    }

    /// A fixed xorshift stream: random-looking and the same on every run.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn a_megabyte_of_random_bytes_is_unrecognised() {
        let kit = Kit::new();
        let mut bytes = noise(1024 * 1024);
        if bytes[0] == 0x30 {
            bytes[0] = 0x31;
        }
        let path = kit.write("random.bin", &bytes);
        for err in [
            certs(&path, &PasswordSource::None).unwrap_err(),
            key(&path, &PasswordSource::None).map(|_| ()).unwrap_err(),
        ] {
            assert!(matches!(err.problem, LoadProblem::Unrecognised), "{err:?}");
        }
        // Random bytes behind a DER SEQUENCE header go through every DER parser, and fail cleanly.
        bytes[..4].copy_from_slice(&[0x30, 0x83, 0x0f, 0xff]);
        let path = kit.write("random.der", &bytes);
        for err in [
            certs(&path, &PasswordSource::None).unwrap_err(),
            key(&path, &PasswordSource::None).map(|_| ()).unwrap_err(),
        ] {
            assert!(matches!(err.problem, LoadProblem::Unrecognised), "{err:?}");
        }
    }

    #[test]
    fn empty_and_blank_files_are_empty() {
        let kit = Kit::new();
        for (name, content) in [("empty.pem", ""), ("blank.pem", "\n  \r\n")] {
            let err = certs(&kit.write(name, content), &PasswordSource::None).unwrap_err();
            assert!(matches!(err.problem, LoadProblem::Empty), "{err:?}");
            assert!(err.to_string().ends_with(&format!("{name}: is empty")));
        }
    }

    #[test]
    fn directory_is_refused() {
        let kit = Kit::new();
        let err = certs(kit.dir.path(), &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::IsDirectory));
        assert!(err.to_string().ends_with("is a directory, not a file"));
        let err = key(kit.dir.path(), &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::IsDirectory));
    }

    #[test]
    fn missing_file_gives_the_os_reason() {
        let kit = Kit::new();
        let path = kit.path("nope.pem");
        let err = certs(&path, &PasswordSource::None).unwrap_err();
        let LoadProblem::Io(io) = &err.problem else {
            panic!("expected Io, got {err:?}");
        };
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}: cannot read: ", path.display())),
            "{text}"
        );
        #[cfg(unix)]
        assert!(text.contains("No such file or directory"), "{text}");
    }

    #[test]
    fn file_over_the_cap_is_refused_without_reading_it() {
        let kit = Kit::new();
        let path = kit.path("huge.bin");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(100 * 1024 * 1024).unwrap();
        drop(file);
        let started = std::time::Instant::now();
        let err = certs(&path, &PasswordSource::None).unwrap_err();
        // The exact size can only come from the metadata: nothing was read.
        assert!(
            matches!(
                err.problem,
                LoadProblem::TooLarge {
                    size: Some(104_857_600)
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(
            "is 104857600 bytes, larger than any certificate or key file (limit 16 MiB)"
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let err = key(&path, &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::TooLarge { .. }));
    }

    #[test]
    fn in_memory_input_over_the_cap_is_refused() {
        let bytes = vec![0u8; MAX_INPUT_BYTES as usize + 1];
        let err = parse_certificates("mem", &bytes, &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::TooLarge { .. }));
        assert_eq!(err.path, "mem");
    }

    #[test]
    fn key_given_as_certificate() {
        let kit = Kit::new();
        let pair = KeyPair::generate().unwrap();
        for (name, bytes) in [
            ("k.pem", pair.serialize_pem().into_bytes()),
            ("k.der", pair.serialize_der()),
        ] {
            let err = certs(&kit.write(name, bytes), &PasswordSource::None).unwrap_err();
            assert!(
                matches!(err.problem, LoadProblem::NotACertificate { .. }),
                "{name}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains("holds a private key, not a certificate")
            );
        }
    }

    #[test]
    fn csr_given_as_certificate() {
        let kit = Kit::new();
        kit.write("k.pem", KeyPair::generate().unwrap().serialize_pem());
        kit.openssl(&[
            "req",
            "-new",
            "-key",
            "k.pem",
            "-subj",
            "/CN=x.test",
            "-out",
            "r.csr",
        ]);
        let err = certs(&kit.path("r.csr"), &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::NotACertificate { .. }));
        assert!(
            err.to_string()
                .contains("holds a certificate signing request (CSR), not a certificate")
        );
    }

    #[test]
    fn certificate_given_as_key() {
        let kit = Kit::new();
        let chain = chain();
        let cases = [
            (
                "one.pem",
                chain.leaf.pem().into_bytes(),
                "holds a certificate but no private key",
            ),
            (
                "two.pem",
                format!("{}{}", chain.leaf.pem(), chain.ca.pem()).into_bytes(),
                "holds certificates but no private key",
            ),
            (
                "one.der",
                chain.leaf.der().to_vec(),
                "holds a certificate but no private key",
            ),
        ];
        for (name, bytes, expected) in cases {
            let err = key(&kit.write(name, bytes), &PasswordSource::None).unwrap_err();
            assert!(
                matches!(err.problem, LoadProblem::NoKey { .. }),
                "{name}: {err:?}"
            );
            assert!(err.to_string().contains(expected), "{name}: {err}");
        }
    }

    #[test]
    fn two_keys_are_refused() {
        let kit = Kit::new();
        let text = format!(
            "{}{}",
            KeyPair::generate().unwrap().serialize_pem(),
            KeyPair::generate().unwrap().serialize_pem()
        );
        let err = key(&kit.write("two.pem", text), &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::TwoKeys { count: 2 }));
        assert!(
            err.to_string()
                .contains("holds 2 private keys; give a file with exactly one")
        );
    }

    // --- secrets -------------------------------------------------------------------------

    #[test]
    fn debug_of_private_key_shows_origin_only() {
        let pair = KeyPair::generate().unwrap();
        let pem = pair.serialize_pem();
        let loaded = parse_private_key("k.pem", pem.as_bytes(), &PasswordSource::None).unwrap();
        let debug = format!("{loaded:?}");
        assert_eq!(debug, "PrivateKey { origin: Pkcs8, .. }");
        let file = parse_certificates(
            "b.pem",
            format!("{}{pem}", self_signed(&pair, "x.test").pem()).as_bytes(),
            &PasswordSource::None,
        )
        .unwrap();
        assert!(format!("{file:?}").contains("PrivateKey { origin: Pkcs8, .. }"));
    }

    #[test]
    fn messages_never_contain_the_password_or_key_material() {
        let kit = Kit::new();
        let chain = chain();
        let key_pem = chain.leaf_key.serialize_pem();
        kit.write("k.pem", &key_pem);
        kit.openssl(&[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "k.pem",
            "-out",
            "enc.pem",
            "-passout",
            "env:TILI_PW",
        ]);
        let p12 = export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
        // Passwords that are wrong but look like the real one, and sources that fail.
        let near = PasswordSource::File(kit.write("near.txt", format!("{PASSWORD}x\n")));
        let mut broken_key = key_pem.clone().into_bytes();
        let mid = broken_key.len() / 2;
        broken_key[mid] = b'#';
        let mut messages = Vec::new();
        for source in [&near, &kit.wrong_password(), &no_password()] {
            messages.push(certs(&p12, source).unwrap_err());
            messages.push(key(&p12, source).map(|_| ()).unwrap_err());
            messages.push(key(&kit.path("enc.pem"), source).map(|_| ()).unwrap_err());
        }
        messages.push(
            key(&kit.write("broken.pem", &broken_key), &near)
                .map(|_| ())
                .unwrap_err(),
        );
        messages.push(
            key(&kit.write("cut.pem", &key_pem[..key_pem.len() / 2]), &near)
                .map(|_| ())
                .unwrap_err(),
        );
        messages.push(certs(&kit.path("k.pem"), &near).unwrap_err());
        let secret_lines: Vec<&str> = key_pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .collect();
        assert!(!secret_lines.is_empty());
        for err in &messages {
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(PASSWORD), "password in: {text}");
                for line in &secret_lines {
                    assert!(!text.contains(&line[..16]), "key material in: {text}");
                }
            }
        }
    }
}
