//! A CRL's signature against a public key.

use x509_parser::prelude::FromDer;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use super::list::Crl;

/// Why a signature did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The algorithm (by OID) is not one tilicheck verifies.
    Unsupported(String),
    /// It does not verify with the key.
    Mismatch,
}

/// Does `crl` verify with the key in `spki_der` (a SubjectPublicKeyInfo)?
pub fn crl_signature(crl: &Crl, spki_der: &[u8]) -> Result<(), SignatureError> {
    let (Ok((_, spki)), Ok((_, alg))) = (
        SubjectPublicKeyInfo::from_der(spki_der),
        AlgorithmIdentifier::from_der(&crl.signature_algorithm),
    ) else {
        return Err(SignatureError::Mismatch);
    };
    let value = x509_parser::der_parser::asn1_rs::BitString::new(0, &crl.signature);
    match x509_parser::verify::verify_signature(&spki, &alg, &value, crl.tbs()) {
        Ok(()) => Ok(()),
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
            Err(SignatureError::Unsupported(alg.algorithm.to_id_string()))
        }
        Err(_) => Err(SignatureError::Mismatch),
    }
}

pub fn crl_verifies(crl: &Crl, spki_der: &[u8]) -> bool {
    crl_signature(crl, spki_der).is_ok()
}
