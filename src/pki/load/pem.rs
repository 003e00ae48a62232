//! The strict PEM scanner (RFC 7468, plus RFC 1421 headers for legacy keys), its base64
//! decoder, and the sorting of PEM blocks by their labels; `write` is the PEM writer.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::LoadProblem;

pub use write::{ToPem, encode};

mod write;

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

/// One decoded PEM block. The data may be a key, so it is wiped on drop and never printed.
pub(super) struct PemBlock {
    pub(super) label: String,
    /// Line of the BEGIN line.
    pub(super) line: usize,
    /// `Proc-Type: 4,ENCRYPTED` header (legacy OpenSSL encryption); `der` is then empty.
    legacy_encrypted: bool,
    pub(super) der: Zeroizing<Vec<u8>>,
}

#[derive(Clone, Copy)]
pub(super) enum KeyBlock {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1,
    Sec1,
    LegacyEncrypted,
    Unsupported(&'static str),
}

#[derive(Clone, Copy)]
pub(super) enum BlockKind {
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

pub(super) fn classify(block: &PemBlock) -> BlockKind {
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
pub(super) fn scan_pem(bytes: &[u8]) -> Result<Vec<PemBlock>, LoadProblem> {
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
            } else if !in_alphabet(c) {
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

/// The standard base64 alphabet (RFC 4648 §4), without padding.
fn in_alphabet(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// Decodes base64 already checked by `OpenBlock` (alphabet, length a multiple of 4, at most two
/// '=' at the very end), so the crate cannot refuse it; the line-level diagnostics above are
/// what the crate does not give.
fn decode_base64(text: &[u8]) -> Zeroizing<Vec<u8>> {
    // Sized up front so the decoder never reallocates and leaves an unwiped copy behind.
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3 + 3));
    if crate::pki::base64::decode_into(text, &mut out).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests;
