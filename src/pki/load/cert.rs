//! Certificates: from PEM blocks, from DER (one certificate or several back to back) and,
//! through `pkcs12`, from PKCS#12 stores.

use rustls_pki_types::CertificateDer;

use crate::secret::PasswordSource;

use super::identify::{der_holds, truncated_der, x509_reason};
use super::key::{KeyEncoding, borrowed_key, key_from_block, looks_like_der_key, public_key_of};
use super::pem::{BlockKind, PemBlock, classify, scan_pem};
use super::pkcs12::{ber_pkcs12_problem, is_ber_pkcs12, open_pkcs12, pfx_outline};
use super::sniff::{Encoding, detect_encoding, looks_like_certificate};
use super::{FileFormat, KeyOrigin, LoadProblem, PrivateKey, check_size};

pub(super) type Loaded = (Vec<CertificateDer<'static>>, Option<PrivateKey>, FileFormat);

pub(super) fn certificates_from_bytes(
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
    if let Some(what) = der_holds(bytes) {
        return Err(LoadProblem::NotACertificate {
            what: what.to_owned(),
        });
    }
    if let Some((announced, present)) = truncated_der(bytes) {
        return Err(LoadProblem::TruncatedDer { announced, present });
    }
    if looks_like_certificate(bytes) {
        // Close enough to a certificate that its parse error is the useful message.
        split_certificate(1, bytes)?;
    }
    Err(LoadProblem::Unrecognised)
}

/// Parses one certificate at the start of `der`; returns its bytes and what follows it.
pub(super) fn split_certificate(index: usize, der: &[u8]) -> Result<(&[u8], &[u8]), LoadProblem> {
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

pub(super) fn trailing_data(index: usize, extra: usize) -> LoadProblem {
    LoadProblem::BadCertificate {
        index,
        reason: format!("{extra} bytes of unexpected data follow the certificate"),
    }
}

pub(super) fn describe_x509_error(
    err: &x509_parser::nom::Err<x509_parser::error::X509Error>,
) -> String {
    x509_reason(err)
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

#[cfg(test)]
mod tests;

pub(super) fn certificates_from_pkcs12(
    store: &p12_keystore::Pkcs12Archive,
) -> Result<Loaded, LoadProblem> {
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
