//! Finding the format from the content: PEM or DER, and quick looks at DER headers that need
//! no full parse.

use super::LoadProblem;

pub(super) enum Encoding {
    Pem,
    Der,
}

pub(super) fn detect_encoding(bytes: &[u8]) -> Result<Encoding, LoadProblem> {
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

/// SEQUENCE { SEQUENCE { [0] version | INTEGER serial ... } }: a certificate, maybe damaged.
pub(super) fn looks_like_certificate(bytes: &[u8]) -> bool {
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
    match crate::pki::tlv::header(bytes)? {
        (t, header, length) if t == tag => Some((header, length)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
