//! Finite-field Diffie-Hellman for the real handshake: the RFC 7919 named groups (TLS 1.2
//! and 1.3) and the safe primes a TLS 1.2 server may choose itself (RFC 5246 lets it send any
//! prime). aws-lc-rs has no FFDHE, so the arithmetic is crypto-bigint's ([`kx`]); a prime
//! the server chose is believed only after the checks of RFC 7919 §5.1 and SP 800-56A
//! ([`validate`]).

pub mod kx;
pub mod validate;

use rustls::NamedGroup;

/// What a DH prime is, for reports: an RFC 7919 group, an RFC 3526 (IKE) MODP group, or one
/// of the server's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhName {
    /// ffdhe2048 … ffdhe8192 (RFC 7919), by bit size.
    Ffdhe(u32),
    /// RFC 3526 MODP group number (5, 14 … 18).
    Rfc3526(u8),
    Custom,
}

impl DhName {
    /// The name testssl.sh and the RFCs use: "ffdhe3072", "RFC 3526 group 15", "custom".
    pub fn label(self) -> String {
        match self {
            DhName::Ffdhe(bits) => format!("ffdhe{bits}"),
            DhName::Rfc3526(n) => format!("RFC 3526 group {n}"),
            DhName::Custom => "custom".to_owned(),
        }
    }

    /// The TLS named group, for the RFC 7919 ones.
    pub fn named_group(self) -> Option<NamedGroup> {
        match self {
            DhName::Ffdhe(2048) => Some(NamedGroup::FFDHE2048),
            DhName::Ffdhe(3072) => Some(NamedGroup::FFDHE3072),
            DhName::Ffdhe(4096) => Some(NamedGroup::FFDHE4096),
            DhName::Ffdhe(6144) => Some(NamedGroup::FFDHE6144),
            DhName::Ffdhe(8192) => Some(NamedGroup::FFDHE8192),
            _ => None,
        }
    }
}

/// The server's DH parameters as sent in a ServerKeyExchange, leading zeros removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhParams {
    pub p: Vec<u8>,
    pub g: Vec<u8>,
}

impl DhParams {
    pub fn new(p: &[u8], g: &[u8]) -> DhParams {
        DhParams {
            p: trim(p).to_vec(),
            g: trim(g).to_vec(),
        }
    }

    /// The prime's size in bits.
    pub fn bits(&self) -> u32 {
        bit_len(&self.p)
    }

    pub fn name(&self) -> DhName {
        name_of(&self.p)
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[start..]
}

/// Bits of a big-endian number without leading zero bytes.
pub fn bit_len(p: &[u8]) -> u32 {
    match p.first() {
        Some(first) => (p.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
}

/// RFC 3526 primes by SHA-256 of their big-endian bytes: naming needs only equality, and the
/// digests keep 2.5 kB of hex per prime out of the source. The test regenerates them with
/// openssl (`group:modp_N`).
const RFC3526: [(u8, &str); 6] = [
    (
        5,
        "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b",
    ),
    (
        14,
        "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e",
    ),
    (
        15,
        "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c",
    ),
    (
        16,
        "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33",
    ),
    (
        17,
        "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd",
    ),
    (
        18,
        "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf",
    ),
];

/// Name a prime (big-endian, leading zeros allowed).
pub fn name_of(p: &[u8]) -> DhName {
    let p = trim(p);
    for (bits, group) in kx::RFC7919 {
        if group.p == p {
            return DhName::Ffdhe(bits);
        }
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, p);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    RFC3526
        .iter()
        .find(|(_, d)| *d == hex)
        .map_or(DhName::Custom, |(n, _)| DhName::Rfc3526(*n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7919_groups_are_named_by_size() {
        for (bits, group) in kx::RFC7919 {
            let params = DhParams::new(group.p, group.g);
            assert_eq!(params.bits(), bits);
            assert_eq!(params.name(), DhName::Ffdhe(bits));
            assert!(params.name().named_group().is_some());
        }
        let mut with_zero = vec![0u8];
        with_zero.extend_from_slice(kx::RFC7919[1].1.p);
        assert_eq!(name_of(&with_zero).label(), "ffdhe3072");
        assert_eq!(name_of(&[0xff, 0xfb]), DhName::Custom);
        assert_eq!(DhName::Rfc3526(15).label(), "RFC 3526 group 15");
    }
}
