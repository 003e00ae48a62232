//! PKCS#12 files made with no password at all.
//!
//! RFC 7292 tells an empty password (the BMPString terminator, two zero bytes) from an absent
//! one (no bytes). p12-keystore only knows the first, but `openssl pkcs12 -export -passout
//! pass:` and libraries asked for "no encryption" write the second: OpenSSL tries both, and so
//! do we. The MAC is checked here with the absent password (RFC 7292 B.2 key derivation); when
//! it verifies, the MAC is taken off and the unencrypted contents are read as they are.

use aws_lc_rs::{digest, hmac};
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};

use crate::profile::limits::MAX_PBKDF2_ITERATIONS;

#[derive(der::Sequence)]
struct Pfx<'a> {
    version: AnyRef<'a>,
    auth_safe: AnyRef<'a>,
    mac_data: Option<MacData<'a>>,
}

/// The PFX without its MAC, for a store whose MAC was checked here.
#[derive(der::Sequence)]
struct PfxWithoutMac<'a> {
    version: AnyRef<'a>,
    auth_safe: AnyRef<'a>,
}

#[derive(der::Sequence)]
struct AuthSafe<'a> {
    #[allow(dead_code)]
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0")]
    content: OctetStringRef<'a>,
}

#[derive(der::Sequence)]
struct MacData<'a> {
    mac: DigestInfo<'a>,
    salt: OctetStringRef<'a>,
    iterations: Option<u64>,
}

#[derive(der::Sequence)]
struct DigestInfo<'a> {
    algorithm: spki::AlgorithmIdentifierRef<'a>,
    digest: OctetStringRef<'a>,
}

const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// `bytes` without its MAC when the MAC verifies with the absent password; `None` when it
/// does not, or cannot be checked here.
pub(super) fn opened_without_password(bytes: &[u8]) -> Option<Vec<u8>> {
    let pfx = Pfx::from_der(bytes).ok()?;
    let mac = pfx.mac_data.as_ref()?;
    let auth_safe = pfx.auth_safe.decode_as::<AuthSafe<'_>>().ok()?;
    let (digest_alg, hmac_alg, block) = match mac.mac.algorithm.oid {
        OID_SHA1 => (
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            64,
        ),
        OID_SHA256 => (&digest::SHA256, hmac::HMAC_SHA256, 64),
        OID_SHA384 => (&digest::SHA384, hmac::HMAC_SHA384, 128),
        OID_SHA512 => (&digest::SHA512, hmac::HMAC_SHA512, 128),
        _ => return None,
    };
    let iterations = mac.iterations.unwrap_or(1);
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return None;
    }
    let key = mac_key(digest_alg, block, mac.salt.as_bytes(), iterations);
    let key = hmac::Key::new(hmac_alg, &key);
    hmac::verify(
        &key,
        auth_safe.content.as_bytes(),
        mac.mac.digest.as_bytes(),
    )
    .ok()?;
    PfxWithoutMac {
        version: pfx.version,
        auth_safe: pfx.auth_safe,
    }
    .to_der()
    .ok()
}

/// RFC 7292 B.2 with ID 3 (MAC key) and a password of no bytes: the key is one hash output,
/// H^c(D || S), where D is the ID repeated over a block and S the salt repeated over whole
/// blocks.
fn mac_key(alg: &'static digest::Algorithm, block: usize, salt: &[u8], iterations: u64) -> Vec<u8> {
    let mut input = vec![3u8; block];
    if !salt.is_empty() {
        let len = block * salt.len().div_ceil(block);
        input.extend(salt.iter().cycle().take(len));
    }
    let mut a = digest::digest(alg, &input);
    for _ in 1..iterations {
        a = digest::digest(alg, a.as_ref());
    }
    a.as_ref().to_vec()
}
