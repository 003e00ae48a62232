//! CRLs from a file's bytes: one DER CRL, or PEM with one or more `X509 CRL` blocks.

use super::LoadProblem;
use super::pem::{BlockKind, classify, scan_pem};
use super::sniff::{Encoding, detect_encoding};

/// The DER of each CRL in `bytes`, in file order.
pub(super) fn crls_from_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, LoadProblem> {
    if bytes.trim_ascii().is_empty() {
        return Err(LoadProblem::Empty);
    }
    match detect_encoding(bytes)? {
        Encoding::Der => Ok(vec![bytes.to_vec()]),
        Encoding::Pem => {
            let blocks = scan_pem(bytes)?;
            let crls: Vec<Vec<u8>> = blocks
                .iter()
                .filter(|b| matches!(classify(b), BlockKind::Crl))
                .map(|b| b.der.to_vec())
                .collect();
            if crls.is_empty() {
                let labels: Vec<String> = blocks.iter().map(|b| format!("'{}'", b.label)).collect();
                return Err(LoadProblem::NotACrl {
                    what: if labels.is_empty() {
                        "no PEM data".to_owned()
                    } else {
                        format!("only {} PEM data", labels.join(", "))
                    },
                });
            }
            Ok(crls)
        }
    }
}
