//! FFDHE key exchange as a rustls `SupportedKxGroup`.
//!
//! The arithmetic is crypto-bigint's `BoxedMontyForm::pow_bounded_exp`: a fixed-window
//! Montgomery ladder whose time depends only on the exponent's bit length, which is fixed per
//! group, never on its bits. (num-bigint's `modpow` branches on the exponent; that is how the
//! Marvin attack read RSA keys.) Public values (the prime, the peer's share) use variable-time
//! comparisons.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::ffdhe_groups::{self, FfdheGroup};
use rustls::{NamedGroup, ProtocolVersion};
use zeroize::Zeroize;

/// The RFC 7919 groups by size.
pub const RFC7919: [(u32, FfdheGroup<'static>); 5] = [
    (2048, ffdhe_groups::FFDHE2048),
    (3072, ffdhe_groups::FFDHE3072),
    (4096, ffdhe_groups::FFDHE4096),
    (6144, ffdhe_groups::FFDHE6144),
    (8192, ffdhe_groups::FFDHE8192),
];

/// The code point a server-chosen prime is listed under in our own supported_groups: the
/// first of RFC 7919's private-use range, which no server acts on.
pub const CUSTOM_GROUP: NamedGroup = NamedGroup::Unknown(0x01fc);

/// One FFDHE group rustls can use.
#[derive(Debug)]
pub struct FfdheKx {
    name: NamedGroup,
    group: FfdheGroup<'static>,
    /// Named groups serve TLS 1.2 and 1.3; a server's own prime exists only in TLS 1.2.
    tls13: bool,
}

pub static FFDHE2048: FfdheKx = FfdheKx::named(NamedGroup::FFDHE2048, ffdhe_groups::FFDHE2048);
pub static FFDHE3072: FfdheKx = FfdheKx::named(NamedGroup::FFDHE3072, ffdhe_groups::FFDHE3072);
pub static FFDHE4096: FfdheKx = FfdheKx::named(NamedGroup::FFDHE4096, ffdhe_groups::FFDHE4096);
pub static FFDHE6144: FfdheKx = FfdheKx::named(NamedGroup::FFDHE6144, ffdhe_groups::FFDHE6144);
pub static FFDHE8192: FfdheKx = FfdheKx::named(NamedGroup::FFDHE8192, ffdhe_groups::FFDHE8192);

/// Every named group, smallest first (a client offers them in this order after the curves).
pub static NAMED: [&FfdheKx; 5] = [&FFDHE2048, &FFDHE3072, &FFDHE4096, &FFDHE6144, &FFDHE8192];

impl FfdheKx {
    const fn named(name: NamedGroup, group: FfdheGroup<'static>) -> FfdheKx {
        FfdheKx {
            name,
            group,
            tls13: true,
        }
    }

    /// A TLS 1.2 group for a prime the server chose; the caller has validated it.
    pub(crate) fn custom(group: FfdheGroup<'static>) -> FfdheKx {
        FfdheKx {
            name: CUSTOM_GROUP,
            group,
            tls13: false,
        }
    }
}

/// Private exponent length in bits: RFC 7919 Appendix A's "minimum exponent" (twice the
/// group's estimated strength, as SP 800-56A §5.6.1.1.4 requires), by prime size.
pub fn exponent_bits(prime_bits: u32) -> u32 {
    match prime_bits {
        0..3072 => 225,
        3072..4096 => 275,
        4096..6144 => 325,
        6144..8192 => 375,
        _ => 400,
    }
}

impl SupportedKxGroup for FfdheKx {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        Ok(Box::new(Active::new(self.name, self.group)?))
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        Some(self.group)
    }

    fn name(&self) -> NamedGroup {
        self.name
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        self.tls13 || version == ProtocolVersion::TLSv1_2
    }
}

/// One key exchange in progress: our secret exponent and public share.
struct Active {
    name: NamedGroup,
    group: FfdheGroup<'static>,
    params: BoxedMontyParams,
    precision: u32,
    exponent: BoxedUint,
    exponent_bits: u32,
    /// g^x mod p, left-padded to the prime's length (RFC 8446 §4.2.8.1).
    public: Vec<u8>,
}

fn kx_error(what: &str) -> rustls::Error {
    rustls::Error::General(format!("FFDHE: {what}"))
}

impl Active {
    fn new(name: NamedGroup, group: FfdheGroup<'static>) -> Result<Active, rustls::Error> {
        let precision = (group.p.len() as u32) * 8;
        let p = BoxedUint::from_be_slice(group.p, precision)
            .map_err(|_| kx_error("the prime does not decode"))?;
        let p = Odd::new(p)
            .into_option()
            .ok_or_else(|| kx_error("the prime is even"))?;
        let params = BoxedMontyParams::new_vartime(p);
        let g = BoxedUint::from_be_slice(group.g, precision)
            .map_err(|_| kx_error("the generator does not decode"))?;
        let exponent_bits = exponent_bits(super::bit_len(group.p));
        let exponent = random_exponent(exponent_bits, precision)?;
        let public = BoxedMontyForm::new(g, &params)
            .pow_bounded_exp(&exponent, exponent_bits)
            .retrieve();
        Ok(Active {
            name,
            group,
            params,
            precision,
            exponent,
            exponent_bits,
            public: padded(&public, group.p.len()),
        })
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.exponent.zeroize();
    }
}

/// A uniformly random exponent in [2, 2^bits), from the system's CSPRNG.
fn random_exponent(bits: u32, precision: u32) -> Result<BoxedUint, rustls::Error> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
    // Bounded: the chance of drawing 0 or 1 is 2^-224 per try.
    for _ in 0..4 {
        aws_lc_rs::rand::SecureRandom::fill(&rng, &mut bytes)
            .map_err(|_| kx_error("the random source failed"))?;
        let excess = bytes.len() as u32 * 8 - bits;
        bytes[0] &= 0xff >> excess;
        let small = bytes[..bytes.len() - 1].iter().all(|b| *b == 0) && bytes[bytes.len() - 1] < 2;
        if !small {
            let x = BoxedUint::from_be_slice(&bytes, precision)
                .map_err(|_| kx_error("the exponent does not fit"));
            bytes.zeroize();
            return x;
        }
    }
    Err(kx_error("the random source returned zeros"))
}

fn padded(x: &BoxedUint, len: usize) -> Vec<u8> {
    let bytes = x.to_be_bytes();
    let skip = bytes.len().saturating_sub(len);
    let mut out = vec![0u8; len.saturating_sub(bytes.len() - skip)];
    out.extend_from_slice(&bytes[skip..]);
    out
}

impl ActiveKeyExchange for Active {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let len = self.group.p.len();
        let peer = super::trim(peer);
        if peer.len() > len {
            return Err(rustls::Error::PeerMisbehaved(
                rustls::PeerMisbehaved::InvalidKeyShare,
            ));
        }
        let y = BoxedUint::from_be_slice(peer, self.precision)
            .map_err(|_| kx_error("the peer's share does not decode"))?;
        // RFC 7919 §5.1: 1 < Y < p-1 keeps the peer out of the order-1 and order-2 subgroups.
        let one = BoxedUint::one_with_precision(self.precision);
        let p_minus_one = self.params.modulus().as_ref().wrapping_sub(&one);
        if y <= one || y >= p_minus_one {
            return Err(rustls::Error::PeerMisbehaved(
                rustls::PeerMisbehaved::InvalidKeyShare,
            ));
        }
        let z = BoxedMontyForm::new(y, &self.params)
            .pow_bounded_exp(&self.exponent, self.exponent_bits)
            .retrieve();
        // SP 800-56A §5.7.1.1: a shared secret of 1 means the share was degenerate.
        if z <= one {
            return Err(kx_error("degenerate shared secret"));
        }
        Ok(SharedSecret::from(padded(&z, len)))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn ffdhe_group(&self) -> Option<FfdheGroup<'static>> {
        Some(self.group)
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_parties_agree_and_degenerate_shares_are_refused() {
        for kx in [&FFDHE2048, &FFDHE3072] {
            let (a, b) = (kx.start().unwrap(), kx.start().unwrap());
            assert_eq!(a.pub_key().len(), kx.group.p.len());
            let (a_pub, b_pub) = (a.pub_key().to_vec(), b.pub_key().to_vec());
            let (za, zb) = (a.complete(&b_pub).unwrap(), b.complete(&a_pub).unwrap());
            assert_eq!(za.secret_bytes(), zb.secret_bytes());
            assert_eq!(za.secret_bytes().len(), kx.group.p.len());
        }
        for bad in [vec![0u8], vec![1u8], {
            let mut p_minus_1 = FFDHE2048.group.p.to_vec();
            *p_minus_1.last_mut().unwrap() -= 1;
            p_minus_1
        }] {
            assert!(FFDHE2048.start().unwrap().complete(&bad).is_err());
        }
        let mut too_long = vec![1u8];
        too_long.extend_from_slice(FFDHE2048.group.p);
        assert!(FFDHE2048.start().unwrap().complete(&too_long).is_err());
    }

    #[test]
    fn exponents_follow_rfc7919() {
        assert_eq!(exponent_bits(2048), 225);
        assert_eq!(exponent_bits(3072), 275);
        assert_eq!(exponent_bits(4096), 325);
        assert_eq!(exponent_bits(8192), 400);
    }
}
