//! Whether a prime a TLS 1.2 server chose may be used, and the groups made for the ones that
//! may. Named primes (RFC 7919, RFC 3526) are known safe primes; any other is tested: odd,
//! within size, generator in range, p and (p-1)/2 both prime (Miller-Rabin base 2 plus the
//! strengthened Lucas test of Baillie-PSW, crypto-primes). A verdict is kept for the process,
//! so the test runs once per prime.

use std::sync::Mutex;

use crypto_bigint::BoxedUint;
use rustls::ffdhe_groups::FfdheGroup;

use super::kx::FfdheKx;
use super::{DhName, DhParams};

/// Largest prime tilicheck computes with: beyond it each handshake would take seconds.
pub const MAX_PRIME_BITS: u32 = 8192;
/// Server primes remembered per process; a run meets one or two.
const MAX_REMEMBERED: usize = 16;

/// Why a server's DH group was not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DhRefusal {
    #[error("its {bits}-bit prime is below the {min}-bit minimum (tls_min_dh_bits)")]
    BelowMinimum { bits: u32, min: u32 },
    #[error(
        "its {bits}-bit prime is larger than the {MAX_PRIME_BITS} bits tilicheck computes with"
    )]
    TooLarge { bits: u32 },
    #[error("its modulus is even, so not a prime")]
    Even,
    #[error("its generator is not between 2 and p-2")]
    BadGenerator,
    #[error("its {bits}-bit modulus is not a safe prime (p and (p-1)/2 prime, SP 800-56A §5.5.2)")]
    NotSafePrime { bits: u32 },
    #[error("tilicheck already holds {MAX_REMEMBERED} other server primes in this run")]
    TooMany,
}

impl DhRefusal {
    /// The refusal comes from tilicheck's own limits, not from a weakness of the server.
    pub fn is_own_limit(&self) -> bool {
        matches!(self, DhRefusal::TooLarge { .. } | DhRefusal::TooMany)
    }
}

type Remembered = Vec<(DhParams, Result<&'static FfdheKx, DhRefusal>)>;

static REMEMBERED: Mutex<Remembered> = Mutex::new(Vec::new());

/// The group to offer for the server's parameters. Named RFC 7919 groups come back as the
/// static ones; any other prime, once validated, as a group of its own (kept for the process:
/// rustls needs `'static` groups, so each distinct prime costs one small allocation, bounded
/// by `MAX_REMEMBERED`).
pub fn group_for(params: &DhParams, min_bits: u32) -> Result<&'static FfdheKx, DhRefusal> {
    let bits = params.bits();
    if bits < min_bits {
        return Err(DhRefusal::BelowMinimum {
            bits,
            min: min_bits,
        });
    }
    if let DhName::Ffdhe(size) = params.name()
        && params.g == [2]
        && let Some(kx) = super::kx::NAMED
            .iter()
            .find(|k| k.ffdhe_group().is_some_and(|g| super::bit_len(g.p) == size))
    {
        return Ok(kx);
    }
    let mut remembered = REMEMBERED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, verdict)) = remembered.iter().find(|(p, _)| p == params) {
        return verdict.clone();
    }
    if remembered.len() >= MAX_REMEMBERED {
        return Err(DhRefusal::TooMany);
    }
    let verdict = check(params).map(|()| {
        let p: &'static [u8] = Box::leak(params.p.clone().into_boxed_slice());
        let g: &'static [u8] = Box::leak(params.g.clone().into_boxed_slice());
        let kx: &'static FfdheKx = Box::leak(Box::new(FfdheKx::custom(FfdheGroup { p, g })));
        kx
    });
    remembered.push((params.clone(), verdict.clone()));
    verdict
}

use rustls::crypto::SupportedKxGroup;

/// SP 800-56A §5.5.2 domain-parameter checks for a safe-prime group, as far as a client can
/// make them: p odd and a safe prime, 1 < g < p-1.
pub fn check(params: &DhParams) -> Result<(), DhRefusal> {
    let bits = params.bits();
    if bits > MAX_PRIME_BITS {
        return Err(DhRefusal::TooLarge { bits });
    }
    if params.p.last().is_none_or(|b| b & 1 == 0) {
        return Err(DhRefusal::Even);
    }
    let precision = (params.p.len() as u32) * 8;
    let (Ok(p), Ok(g)) = (
        BoxedUint::from_be_slice(&params.p, precision),
        BoxedUint::from_be_slice(&params.g, precision),
    ) else {
        return Err(DhRefusal::BadGenerator);
    };
    let one = BoxedUint::one_with_precision(precision);
    let p_minus_one = p.wrapping_sub(&one);
    if params.g.len() > params.p.len() || g <= one || g >= p_minus_one {
        return Err(DhRefusal::BadGenerator);
    }
    if matches!(params.name(), DhName::Rfc3526(_)) {
        return Ok(());
    }
    if !crypto_primes::is_prime(crypto_primes::Flavor::Safe, &p) {
        return Err(DhRefusal::NotSafePrime { bits });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::dh::kx::RFC7919;

    #[test]
    fn named_groups_pass_and_bad_primes_are_refused() {
        let ffdhe3072 = DhParams::new(RFC7919[1].1.p, &[2]);
        assert!(group_for(&ffdhe3072, 3072).is_ok());
        assert_eq!(
            group_for(&DhParams::new(RFC7919[0].1.p, &[2]), 3072).unwrap_err(),
            DhRefusal::BelowMinimum {
                bits: 2048,
                min: 3072
            }
        );
        // The safe-prime test itself, on a known safe prime and on p+2 (even: refused early)
        // and p-2 (odd, not a safe prime).
        assert_eq!(check(&ffdhe3072), Ok(()));
        let mut minus_two = ffdhe3072.p.clone();
        *minus_two.last_mut().unwrap() -= 2;
        assert_eq!(
            check(&DhParams::new(&minus_two, &[2])),
            Err(DhRefusal::NotSafePrime { bits: 3072 })
        );
        let mut even = ffdhe3072.p.clone();
        *even.last_mut().unwrap() -= 1;
        assert_eq!(check(&DhParams::new(&even, &[2])), Err(DhRefusal::Even));
        assert_eq!(
            check(&DhParams::new(&ffdhe3072.p, &[1])),
            Err(DhRefusal::BadGenerator)
        );
        let big = vec![0xffu8; 1025];
        assert!(
            check(&DhParams::new(&big, &[2]))
                .unwrap_err()
                .is_own_limit()
        );
    }
}
