//! The password-based encryption a PKCS#12 file uses, read before its password is asked for,
//! so an algorithm tilicheck cannot decrypt is named as such (not called corrupt, and not
//! after the user typed a password), and key derivation settings over the limits are refused
//! before any work.
//!
//! Certificates usually sit in an `encryptedData` content whose algorithm is visible; keys in
//! shrouded key bags inside a plain `data` content, whose algorithms are visible too. What is
//! inside an encrypted content is only seen after decryption, by p12-keystore.

use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierRef;

use crate::profile::limits::{
    MAX_PBKDF2_ITERATIONS, MAX_SCRYPT_MEMORY_BYTES, MAX_SCRYPT_PARALLELISM,
};

use super::super::{KdfCost, LoadProblem};

#[derive(der::Sequence)]
struct Pfx<'a> {
    #[allow(dead_code)]
    version: AnyRef<'a>,
    auth_safe: ContentInfo<'a>,
    #[allow(dead_code)]
    mac_data: Option<AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct ContentInfo<'a> {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", optional = "true")]
    content: Option<AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct EncryptedData<'a> {
    #[allow(dead_code)]
    version: AnyRef<'a>,
    content: EncryptedContentInfo<'a>,
}

#[derive(der::Sequence)]
struct EncryptedContentInfo<'a> {
    #[allow(dead_code)]
    content_type: ObjectIdentifier,
    algorithm: AlgorithmIdentifierRef<'a>,
    #[allow(dead_code)]
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    encrypted: Option<OctetStringRef<'a>>,
}

#[derive(der::Sequence)]
struct SafeBag<'a> {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0")]
    value: AnyRef<'a>,
    #[allow(dead_code)]
    attributes: Option<AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct ShroudedKey<'a> {
    algorithm: AlgorithmIdentifierRef<'a>,
    #[allow(dead_code)]
    data: OctetStringRef<'a>,
}

#[derive(der::Sequence)]
struct Pbes2Params<'a> {
    kdf: AlgorithmIdentifierRef<'a>,
    cipher: AlgorithmIdentifierRef<'a>,
}

#[derive(der::Sequence)]
struct Pbkdf2Params<'a> {
    #[allow(dead_code)]
    salt: AnyRef<'a>,
    iterations: u64,
    #[allow(dead_code)]
    key_length: Option<u64>,
    prf: Option<AlgorithmIdentifierRef<'a>>,
}

#[derive(der::Sequence)]
struct ScryptParams<'a> {
    #[allow(dead_code)]
    salt: OctetStringRef<'a>,
    n: u64,
    r: u64,
    p: u64,
    #[allow(dead_code)]
    key_length: Option<u64>,
}

#[derive(der::Sequence)]
struct Pbes1Params<'a> {
    #[allow(dead_code)]
    salt: OctetStringRef<'a>,
    iterations: u64,
}

const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";
const SCRYPT: &str = "1.3.6.1.4.1.11591.4.11";
const SHA_3DES: &str = "1.2.840.113549.1.12.1.3";
const SHA_RC2_40: &str = "1.2.840.113549.1.12.1.6";

/// The first problem with the file's encryption: an algorithm we cannot decrypt, or a key
/// derivation over the limits. `None` when everything visible can be read (or the structure
/// is not what this walk expects: p12-keystore then says what is wrong).
pub(super) fn problem(bytes: &[u8]) -> Option<LoadProblem> {
    for (what, alg) in algorithms(bytes) {
        if let Some(problem) = judge(what, &alg) {
            return Some(problem);
        }
    }
    None
}

/// (what it protects, its algorithm identifier as DER) for every visible encryption.
fn algorithms(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(pfx) = Pfx::from_der(bytes) else {
        return found;
    };
    let Some(octets) = data_octets(&pfx.auth_safe) else {
        return found;
    };
    let Ok(safes) = Vec::<ContentInfo<'_>>::from_der(octets) else {
        return found;
    };
    for safe in &safes {
        match safe.content_type.to_string().as_str() {
            ENCRYPTED_DATA => {
                if let Some(alg) = safe
                    .content
                    .and_then(|c| c.decode_as::<EncryptedData<'_>>().ok())
                    .and_then(|d| d.content.algorithm.to_der().ok())
                {
                    found.push(("its certificates", alg));
                }
            }
            DATA => {
                let Some(bags) =
                    data_octets(safe).and_then(|o| Vec::<SafeBag<'_>>::from_der(o).ok())
                else {
                    continue;
                };
                for bag in bags {
                    if bag.bag_id.to_string() == SHROUDED_KEY_BAG
                        && let Some(alg) = bag
                            .value
                            .decode_as::<ShroudedKey<'_>>()
                            .ok()
                            .and_then(|k| k.algorithm.to_der().ok())
                    {
                        found.push(("its private key", alg));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

fn data_octets<'a>(info: &ContentInfo<'a>) -> Option<&'a [u8]> {
    (info.content_type.to_string() == DATA)
        .then_some(())
        .and(info.content)
        .and_then(|c| c.decode_as::<OctetStringRef<'a>>().ok())
        .map(|o| o.as_bytes())
}

fn judge(what: &str, alg_der: &[u8]) -> Option<LoadProblem> {
    let alg = AlgorithmIdentifierRef::from_der(alg_der).ok()?;
    let unsupported = |name: String| {
        Some(LoadProblem::UnsupportedPkcs12 {
            reason: format!(
                "it encrypts {what} with {name}, which tilicheck does not support; re-export it with OpenSSL 3's defaults (`openssl pkcs12 -export`, PBES2 with AES-256-CBC)"
            ),
        })
    };
    let oid = alg.oid.to_string();
    match oid.as_str() {
        PBES2 => {
            let params = alg.parameters?.decode_as::<Pbes2Params<'_>>().ok()?;
            let cipher = params.cipher.oid.to_string();
            let cipher_name = cipher_name(&cipher);
            match params.kdf.oid.to_string().as_str() {
                PBKDF2 => {
                    let kdf = params
                        .kdf
                        .parameters?
                        .decode_as::<Pbkdf2Params<'_>>()
                        .ok()?;
                    if kdf.iterations > MAX_PBKDF2_ITERATIONS {
                        return Some(LoadProblem::Pkcs12KdfTooCostly(KdfCost::Pbkdf2Iterations {
                            iterations: kdf.iterations,
                        }));
                    }
                    let prf = kdf
                        .prf
                        .map_or("1.2.840.113549.2.7".to_owned(), |p| p.oid.to_string());
                    let Some(prf_name) = prf_name(&prf) else {
                        return unsupported(format!("PBES2 with PBKDF2 and the PRF {prf}"));
                    };
                    match cipher_name {
                        Some(_) => None,
                        None => unsupported(format!(
                            "PBES2 (PBKDF2 with {prf_name}) and the cipher {}",
                            other_cipher_name(&cipher)
                        )),
                    }
                }
                SCRYPT => {
                    let s = params
                        .kdf
                        .parameters?
                        .decode_as::<ScryptParams<'_>>()
                        .ok()?;
                    let memory = 128u64
                        .checked_mul(s.n)
                        .and_then(|m| m.checked_mul(s.r))
                        .unwrap_or(u64::MAX);
                    if memory > MAX_SCRYPT_MEMORY_BYTES {
                        return Some(LoadProblem::Pkcs12KdfTooCostly(KdfCost::ScryptMemory {
                            n: s.n,
                            r: s.r,
                            bytes: memory,
                        }));
                    }
                    if s.p > MAX_SCRYPT_PARALLELISM {
                        return Some(LoadProblem::Pkcs12KdfTooCostly(
                            KdfCost::ScryptParallelism { p: s.p },
                        ));
                    }
                    match cipher_name {
                        Some(_) => None,
                        None => unsupported(format!(
                            "PBES2 (scrypt) and the cipher {}",
                            other_cipher_name(&cipher)
                        )),
                    }
                }
                other => unsupported(format!("PBES2 with the key derivation {other}")),
            }
        }
        SHA_3DES | SHA_RC2_40 => {
            let p = alg.parameters?.decode_as::<Pbes1Params<'_>>().ok()?;
            (p.iterations > MAX_PBKDF2_ITERATIONS).then_some(LoadProblem::Pkcs12KdfTooCostly(
                KdfCost::Pbkdf2Iterations {
                    iterations: p.iterations,
                },
            ))
        }
        other => unsupported(match legacy_name(other) {
            Some(name) => format!("{name} ({other})"),
            None => format!("the algorithm {other}"),
        }),
    }
}

fn cipher_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC",
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC",
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC",
        "2.16.840.1.101.3.4.1.6" => "AES-128-GCM",
        "2.16.840.1.101.3.4.1.46" => "AES-256-GCM",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        _ => return None,
    })
}

/// A cipher PBES2 may name that we do not decrypt, for the message.
fn other_cipher_name(oid: &str) -> String {
    match oid {
        "1.3.14.3.2.7" => format!("DES-CBC ({oid})"),
        "1.2.840.113549.3.2" => format!("RC2-CBC ({oid})"),
        "2.16.840.1.101.3.4.1.26" => format!("AES-192-GCM ({oid})"),
        _ => oid.to_owned(),
    }
}

fn prf_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.2.7" => "HMAC-SHA-1",
        "1.2.840.113549.2.8" => "HMAC-SHA-224",
        "1.2.840.113549.2.9" => "HMAC-SHA-256",
        "1.2.840.113549.2.10" => "HMAC-SHA-384",
        "1.2.840.113549.2.11" => "HMAC-SHA-512",
        _ => return None,
    })
}

fn legacy_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.12.1.1" => "pbeWithSHAAnd128BitRC4",
        "1.2.840.113549.1.12.1.2" => "pbeWithSHAAnd40BitRC4",
        "1.2.840.113549.1.12.1.4" => "pbeWithSHAAnd2-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.5" => "pbeWithSHAAnd128BitRC2-CBC",
        "1.2.840.113549.1.5.3" => "PBES1 pbeWithMD5AndDES-CBC",
        "1.2.840.113549.1.5.6" => "PBES1 pbeWithMD5AndRC2-CBC",
        "1.2.840.113549.1.5.10" => "PBES1 pbeWithSHA1AndDES-CBC",
        "1.2.840.113549.1.5.11" => "PBES1 pbeWithSHA1AndRC2-CBC",
        _ => return None,
    })
}
