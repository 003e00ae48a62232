//! Certificate signatures: the signed parts cut from the DER, verified with aws-lc-rs through
//! the algorithms rustls-webpki accepts (RSA PKCS #1 and PSS with SHA-2 and 2048-bit or bigger
//! keys, ECDSA P-256/P-384/P-521, Ed25519). SHA-1 and DSA are refused by name.

use x509_parser::der_parser::oid::Oid;

use crate::pki::tlv::read as tlv;

/// The signed parts of a certificate.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// The to-be-signed part, TLV included: what the signature covers.
    pub tbs: &'a [u8],
    /// The outer signatureAlgorithm's contents (inside the SEQUENCE).
    pub algorithm: &'a [u8],
    /// The signatureAlgorithm inside the to-be-signed part, its contents.
    pub inner_algorithm: Option<&'a [u8]>,
    pub signature: &'a [u8],
    /// The signature BIT STRING's unused bits: anything but 0 cannot be a valid signature.
    pub unused_bits: u8,
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("cannot be cut into its signed parts")]
    Malformed,
    #[error("has a signature algorithm ({0}) that differs from the one inside its signed part")]
    AlgorithmMismatch(String),
    #[error("is signed with {0}, which is not accepted")]
    Refused(String),
    #[error("is signed with an algorithm not accepted here ({0}), or with a key too small for it")]
    Unsupported(String),
    #[error("has a signature that does not verify with its issuer's key")]
    Invalid,
}

/// Cut a signed structure into its parts.
pub fn split(der: &[u8]) -> Option<Signed<'_>> {
    let (0x30, _, body, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, tbs_body, rest) = tlv(body)? else {
        return None;
    };
    let (0x30, _, algorithm, rest) = tlv(rest)? else {
        return None;
    };
    let (0x03, _, bits, rest) = tlv(rest)? else {
        return None;
    };
    let (&unused_bits, signature) = bits.split_first()?;
    if !rest.is_empty() || unused_bits > 7 {
        return None;
    }
    Some(Signed {
        tbs,
        algorithm,
        inner_algorithm: inner_algorithm(tbs_body),
        signature,
        unused_bits,
    })
}

/// A certificate's TBS: [0] version?, serial, signature AlgorithmIdentifier, …
fn inner_algorithm(tbs_body: &[u8]) -> Option<&[u8]> {
    let (tag, _, _, mut rest) = tlv(tbs_body)?;
    if tag == 0xa0 {
        rest = tlv(rest)?.3; // the serial number
    }
    match tlv(rest)? {
        (0x30, _, contents, _) => Some(contents),
        _ => None,
    }
}

/// The name of a signature algorithm from its AlgorithmIdentifier contents.
pub fn algorithm_name(contents: &[u8]) -> String {
    let Some((0x06, _, oid, _)) = tlv(contents) else {
        return "an unreadable algorithm".into();
    };
    let dotted = Oid::new(oid.into()).to_id_string();
    let known = match dotted.as_str() {
        "1.2.840.113549.1.1.4" => "MD5 with RSA",
        "1.2.840.113549.1.1.5" => "SHA-1 with RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.113549.1.1.11" => "SHA-256 with RSA",
        "1.2.840.113549.1.1.12" => "SHA-384 with RSA",
        "1.2.840.113549.1.1.13" => "SHA-512 with RSA",
        "1.2.840.10040.4.3" => "DSA with SHA-1",
        "2.16.840.1.101.3.4.3.2" => "DSA with SHA-256",
        "1.2.840.10045.4.1" => "ECDSA with SHA-1",
        "1.2.840.10045.4.3.2" => "ECDSA with SHA-256",
        "1.2.840.10045.4.3.3" => "ECDSA with SHA-384",
        "1.2.840.10045.4.3.4" => "ECDSA with SHA-512",
        "1.3.101.112" => "Ed25519",
        _ => return dotted,
    };
    known.to_owned()
}

/// Algorithms refused outright, whatever the key.
fn refused(name: &str) -> bool {
    name.contains("SHA-1") || name.contains("MD5") || name.starts_with("DSA")
}

/// Verify `signed` with the issuer's SubjectPublicKeyInfo (DER).
pub fn verify(signed: &Signed<'_>, issuer_spki: &[u8]) -> Result<(), SignatureError> {
    if let Some(inner) = signed.inner_algorithm
        && inner != signed.algorithm
    {
        return Err(SignatureError::AlgorithmMismatch(algorithm_name(
            signed.algorithm,
        )));
    }
    let name = algorithm_name(signed.algorithm);
    if refused(&name) {
        return Err(SignatureError::Refused(name));
    }
    let Some((0x30, _, spki, _)) = tlv(issuer_spki) else {
        return Err(SignatureError::Malformed);
    };
    let Some((0x30, _, key_alg, rest)) = tlv(spki) else {
        return Err(SignatureError::Malformed);
    };
    let Some((0x03, _, bits, _)) = tlv(rest) else {
        return Err(SignatureError::Malformed);
    };
    let Some((&0, key)) = bits.split_first() else {
        return Err(SignatureError::Malformed);
    };
    if signed.unused_bits != 0 {
        return Err(SignatureError::Invalid);
    }
    let mut fitting = webpki::ALL_VERIFICATION_ALGS.iter().filter(|alg| {
        alg.signature_alg_id().as_ref() == signed.algorithm
            && alg.public_key_alg_id().as_ref() == key_alg
    });
    let mut any = false;
    for alg in fitting.by_ref() {
        any = true;
        if alg
            .verify_signature(key, signed.tbs, signed.signature)
            .is_ok()
        {
            return Ok(());
        }
    }
    if any {
        Err(SignatureError::Invalid)
    } else {
        Err(SignatureError::Unsupported(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_splits_and_its_signature_verifies() {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["a.test".into()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let signed = split(cert.der()).expect("split");
        assert_eq!(signed.inner_algorithm, Some(signed.algorithm));
        assert_eq!(algorithm_name(signed.algorithm), "ECDSA with SHA-256");
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).expect("parse");
        let spki = parsed.public_key().raw.to_vec();
        assert_eq!(verify(&signed, &spki), Ok(()));

        let mut tampered = cert.der().to_vec();
        let at = tampered.len() - 3;
        tampered[at] ^= 1;
        let bad = split(&tampered).expect("split");
        assert_eq!(verify(&bad, &spki), Err(SignatureError::Invalid));
        assert!(split(&cert.der()[..40]).is_none());
    }
}
