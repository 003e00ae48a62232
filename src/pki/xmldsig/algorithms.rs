//! The digest and signature algorithms XML-DSig names by URI (RFC 6931, XML-DSig 1.1), and
//! what aws-lc-rs does with them.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::pki::facts::KeyFacts;

/// A digest method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
/// Known and refused: SHA-1 no longer protects a signature.
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

impl DigestAlgorithm {
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            SHA256 => Some(Self::Sha256),
            SHA384 => Some(Self::Sha384),
            SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha256 => SHA256,
            Self::Sha384 => SHA384,
            Self::Sha512 => SHA512,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// The padding or scheme of a signature method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1,
    /// RSASSA-PSS with MGF1 of the same hash and a salt as long as the hash (RFC 6931 §2.3.10).
    RsaPss,
    /// ECDSA; XML-DSig writes the value as r || s, each as long as the curve's order.
    Ecdsa,
}

/// A signature method: a scheme and its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureAlgorithm {
    pub scheme: Scheme,
    pub hash: DigestAlgorithm,
}

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
pub const RSA_PSS_SHA256: &str = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1";
pub const RSA_PSS_SHA384: &str = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1";
pub const RSA_PSS_SHA512: &str = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
pub const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";

const ALL: &[(&str, Scheme, DigestAlgorithm)] = &[
    (RSA_SHA256, Scheme::RsaPkcs1, DigestAlgorithm::Sha256),
    (RSA_SHA384, Scheme::RsaPkcs1, DigestAlgorithm::Sha384),
    (RSA_SHA512, Scheme::RsaPkcs1, DigestAlgorithm::Sha512),
    (RSA_PSS_SHA256, Scheme::RsaPss, DigestAlgorithm::Sha256),
    (RSA_PSS_SHA384, Scheme::RsaPss, DigestAlgorithm::Sha384),
    (RSA_PSS_SHA512, Scheme::RsaPss, DigestAlgorithm::Sha512),
    (ECDSA_SHA256, Scheme::Ecdsa, DigestAlgorithm::Sha256),
    (ECDSA_SHA384, Scheme::Ecdsa, DigestAlgorithm::Sha384),
    (ECDSA_SHA512, Scheme::Ecdsa, DigestAlgorithm::Sha512),
];

/// Why a signature value does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// The key does not fit the method (an EC key for an RSA method, an unknown curve).
    KeyMismatch(String),
    /// The value is not one this key made over these bytes.
    Invalid,
}

impl SignatureAlgorithm {
    pub const RSA_SHA256: Self = SignatureAlgorithm {
        scheme: Scheme::RsaPkcs1,
        hash: DigestAlgorithm::Sha256,
    };

    pub fn from_uri(uri: &str) -> Option<Self> {
        ALL.iter()
            .find(|(u, _, _)| *u == uri)
            .map(|(_, scheme, hash)| SignatureAlgorithm {
                scheme: *scheme,
                hash: *hash,
            })
    }

    pub fn uri(self) -> &'static str {
        ALL.iter()
            .find(|(_, s, h)| *s == self.scheme && *h == self.hash)
            .map(|(u, _, _)| *u)
            .unwrap_or(RSA_SHA256)
    }

    pub fn name(self) -> String {
        let scheme = match self.scheme {
            Scheme::RsaPkcs1 => "RSA (PKCS#1 v1.5)",
            Scheme::RsaPss => "RSA-PSS",
            Scheme::Ecdsa => "ECDSA",
        };
        format!("{scheme} with {}", self.hash.name())
    }

    /// Verify `value` over `message` with the certificate key described by `key`, whose
    /// subjectPublicKey bytes are `raw`.
    pub fn verify(
        self,
        key: &KeyFacts,
        raw: &[u8],
        message: &[u8],
        value: &[u8],
    ) -> Result<(), ValueError> {
        use DigestAlgorithm::*;
        let mismatch = || {
            ValueError::KeyMismatch(format!(
                "the signer's key ({}) cannot make {} signatures",
                key,
                self.name()
            ))
        };
        let (alg, value): (&dyn VerificationAlgorithm, Vec<u8>) = match (self.scheme, key) {
            (Scheme::RsaPkcs1, KeyFacts::Rsa { .. }) => (
                match self.hash {
                    Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                },
                value.to_vec(),
            ),
            (Scheme::RsaPss, KeyFacts::Rsa { .. }) => (
                match self.hash {
                    Sha256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Sha384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Sha512 => &signature::RSA_PSS_2048_8192_SHA512,
                },
                value.to_vec(),
            ),
            (Scheme::Ecdsa, KeyFacts::Ec { curve, .. }) => {
                let (alg, field): (&dyn VerificationAlgorithm, usize) = match (*curve, self.hash) {
                    ("P-256", Sha256) => (&signature::ECDSA_P256_SHA256_ASN1, 32),
                    ("P-256", Sha384) => (&signature::ECDSA_P256_SHA384_ASN1, 32),
                    ("P-256", Sha512) => (&signature::ECDSA_P256_SHA512_ASN1, 32),
                    ("P-384", Sha256) => (&signature::ECDSA_P384_SHA256_ASN1, 48),
                    ("P-384", Sha384) => (&signature::ECDSA_P384_SHA384_ASN1, 48),
                    ("P-384", Sha512) => (&signature::ECDSA_P384_SHA512_ASN1, 48),
                    ("P-521", Sha256) => (&signature::ECDSA_P521_SHA256_ASN1, 66),
                    ("P-521", Sha384) => (&signature::ECDSA_P521_SHA384_ASN1, 66),
                    ("P-521", Sha512) => (&signature::ECDSA_P521_SHA512_ASN1, 66),
                    _ => return Err(mismatch()),
                };
                if value.len() != 2 * field {
                    return Err(ValueError::Invalid);
                }
                (alg, fixed_to_der(&value[..field], &value[field..]))
            }
            _ => return Err(mismatch()),
        };
        UnparsedPublicKey::new(alg, raw)
            .verify(message, &value)
            .map_err(|_| ValueError::Invalid)
    }
}

/// An ECDSA r || s value as the DER SEQUENCE { INTEGER r, INTEGER s } aws-lc-rs reads for
/// every curve and hash pairing (its fixed-width forms cover only the matching pairs).
fn fixed_to_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let trimmed: &[u8] = {
            let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
            &bytes[first..]
        };
        let mut body = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
            body.push(0);
        }
        body.extend_from_slice(trimmed);
        let mut out = vec![0x02];
        push_len(&mut out, body.len());
        out.extend(body);
        out
    }
    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
    }
    let mut body = integer(r);
    body.extend(integer(s));
    let mut out = vec![0x30];
    push_len(&mut out, body.len());
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        for (uri, _, _) in ALL {
            let alg = SignatureAlgorithm::from_uri(uri).expect("known");
            assert_eq!(alg.uri(), *uri);
        }
        for d in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            assert_eq!(DigestAlgorithm::from_uri(d.uri()), Some(d));
        }
        assert_eq!(DigestAlgorithm::from_uri(SHA1), None);
    }

    #[test]
    fn fixed_ecdsa_values_become_der() {
        assert_eq!(
            fixed_to_der(&[0, 0x7f], &[0x80, 1]),
            [0x30, 0x08, 0x02, 0x01, 0x7f, 0x02, 0x03, 0x00, 0x80, 0x01]
        );
        // Zero is one zero octet.
        assert_eq!(fixed_to_der(&[0, 0], &[1]), [0x30, 6, 2, 1, 0, 2, 1, 1]);
    }
}
