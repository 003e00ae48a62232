//! Private keys: PKCS#8 (plain or encrypted), PKCS#1 RSA and SEC1 EC, in PEM or DER; the
//! check that the signing backend accepts a key, and the diagnosis when it does not.

use der::Decode;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

use crate::secret::{PasswordSource, SecretError};

use super::pem::{BlockKind, KeyBlock, PemBlock, classify, scan_pem};
use super::pkcs12::{ber_pkcs12_problem, is_ber_pkcs12, open_pkcs12, pfx_outline};
use super::sniff::{Encoding, detect_encoding};
use super::{KdfCost, KeyOrigin, LoadProblem, PasswordCheck, PrivateKey, check_size};
use crate::profile::limits::{
    MAX_PBKDF2_ITERATIONS, MAX_SCRYPT_MEMORY_BYTES, MAX_SCRYPT_PARALLELISM,
};

pub(super) fn private_key_from_bytes(
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
pub(super) fn key_from_block(
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
    if let Some(what) = super::identify::der_holds(bytes) {
        return Err(LoadProblem::NoKey {
            holds: Some(what.to_owned()),
        });
    }
    if let Some((announced, present)) = super::identify::truncated_der(bytes) {
        return Err(LoadProblem::TruncatedDer { announced, present });
    }
    Err(LoadProblem::Unrecognised)
}

pub(super) fn looks_like_der_key(bytes: &[u8]) -> bool {
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
    let cost = match &params.kdf {
        Kdf::Pbkdf2(p) => (u64::from(p.iteration_count) > MAX_PBKDF2_ITERATIONS).then_some(
            KdfCost::Pbkdf2Iterations {
                iterations: u64::from(p.iteration_count),
            },
        ),
        Kdf::Scrypt(p) => {
            // 128 · N · r bytes; an overflow is more than any limit.
            let memory = 128u64
                .checked_mul(p.cost_parameter)
                .and_then(|m| m.checked_mul(u64::from(p.block_size)))
                .unwrap_or(u64::MAX);
            if memory > MAX_SCRYPT_MEMORY_BYTES {
                Some(KdfCost::ScryptMemory {
                    n: p.cost_parameter,
                    r: u64::from(p.block_size),
                    bytes: memory,
                })
            } else if u64::from(p.parallelization) > MAX_SCRYPT_PARALLELISM {
                Some(KdfCost::ScryptParallelism {
                    p: u64::from(p.parallelization),
                })
            } else {
                None
            }
        }
        // A KDF pkcs5 adds later: its decrypt will say whether it is supported.
        _ => None,
    };
    match cost {
        Some(cost) => Err(LoadProblem::KdfTooCostly(cost)),
        None => Ok(()),
    }
}

#[derive(Clone, Copy)]
pub(super) enum KeyEncoding {
    Pkcs8,
    Pkcs1,
    Sec1,
}

pub(super) fn borrowed_key(der: &[u8], encoding: KeyEncoding) -> PrivateKeyDer<'_> {
    match encoding {
        KeyEncoding::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        KeyEncoding::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        KeyEncoding::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
    }
}

/// Checks the key with the signing backend before copying it out, so a rejected key never
/// leaves an unwiped copy behind.
pub(super) fn usable_key(
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
pub(super) fn public_key_of(key: &PrivateKeyDer<'_>) -> Result<Vec<u8>, LoadProblem> {
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

#[cfg(test)]
mod tests;

pub(super) fn key_from_pkcs12(
    store: &p12_keystore::Pkcs12Archive,
) -> Result<PrivateKey, LoadProblem> {
    match store.keys.as_slice() {
        [] => Err(LoadProblem::NoKey {
            holds: (!store.certs.is_empty()).then(|| "certificates".to_owned()),
        }),
        [bag] => usable_key(bag.key.as_der(), KeyEncoding::Pkcs8, KeyOrigin::Pkcs12),
        more => Err(LoadProblem::TwoKeys { count: more.len() }),
    }
}
