//! The certificate's raw TLVs, walked by hand with BER lengths tolerated: a certificate that
//! is not DER can still have its two signature algorithms and its times compared.

use der::{Decode, Tagged};

use crate::pki::tlv;

/// Raw pieces of the certificate DER, found by walking its TLVs (BER lengths tolerated, so
/// that a certificate that is not DER can still be compared).
pub(super) struct RawParts<'a> {
    pub(super) inner_algorithm: &'a [u8],
    pub(super) outer_algorithm: &'a [u8],
    pub(super) not_before: &'a [u8],
    pub(super) not_after: &'a [u8],
    pub(super) extensions_present: bool,
}

impl<'a> RawParts<'a> {
    pub(super) fn of(der: &'a [u8]) -> Option<Self> {
        let (_, cert, _) = tlv(der)?;
        let (tbs_tag, tbs, rest) = tlv(cert)?;
        if tbs_tag != 0x30 {
            return None;
        }
        let (_, outer_algorithm, _) = whole_tlv(rest)?;
        let mut fields = tbs;
        let mut next = || -> Option<(u8, &'a [u8], &'a [u8])> {
            let (tag, content, rest) = tlv(fields)?;
            let whole = &fields[..fields.len() - rest.len()];
            fields = rest;
            Some((tag, content, whole))
        };
        let (mut tag, _, _) = next()?;
        if tag == 0xa0 {
            (tag, _, _) = next()?; // the serial number
        }
        if tag != 0x02 {
            return None;
        }
        let (_, _, inner_algorithm) = next()?;
        let _issuer = next()?;
        let (_, validity, _) = next()?;
        let (_, not_before, rest) = whole_tlv(validity)?;
        let (_, not_after, _) = whole_tlv(rest)?;
        let mut extensions_present = false;
        while let Some((tag, _, _)) = next() {
            extensions_present |= tag == 0xa3;
        }
        Some(RawParts {
            inner_algorithm,
            outer_algorithm,
            not_before,
            not_after,
            extensions_present,
        })
    }
}

/// One TLV: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (tag, _, contents, rest) = tlv::read(input)?;
    Some((tag, contents, rest))
}

/// One TLV with its header: (tag, whole encoding, rest).
fn whole_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (tag, whole, _, rest) = tlv::read(input)?;
    Some((tag, whole, rest))
}

/// The year of a UTCTime or GeneralizedTime TLV, and whether it is a GeneralizedTime.
pub(super) fn time_year(time: &[u8]) -> Option<(i32, bool)> {
    let (tag, content, _) = tlv(time)?;
    let digits =
        |n: usize| -> Option<i32> { std::str::from_utf8(content.get(..n)?).ok()?.parse().ok() };
    match tag {
        0x17 => {
            let yy = digits(2)?;
            Some((if yy >= 50 { 1900 + yy } else { 2000 + yy }, false))
        }
        0x18 => Some((digits(4)?, true)),
        _ => None,
    }
}

/// An AlgorithmIdentifier by its OID's name (its parameters too with `params`), or in hex
/// when it cannot be read.
fn algorithm_name(encoded: &[u8], params: bool) -> String {
    let Ok(alg) = spki::AlgorithmIdentifierOwned::from_der(encoded) else {
        return encoded.iter().map(|b| format!("{b:02X}")).collect();
    };
    let oid = alg.oid.to_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        _ => oid.as_str(),
    };
    if !params {
        return name.to_owned();
    }
    let with = match &alg.parameters {
        None => "without parameters",
        Some(p) if p.tag() == der::Tag::Null => "with NULL parameters",
        Some(_) => "with parameters",
    };
    format!("{name} {with}")
}

/// The two algorithm identifiers by name; by name and parameters when the names are the same.
pub(super) fn algorithm_names(inner: &[u8], outer: &[u8]) -> (String, String) {
    let (a, b) = (algorithm_name(inner, false), algorithm_name(outer, false));
    if a == b {
        (algorithm_name(inner, true), algorithm_name(outer, true))
    } else {
        (a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_years() {
        assert_eq!(time_year(b"\x17\x0d491231235959Z"), Some((2049, false)));
        assert_eq!(time_year(b"\x17\x0d500101000000Z"), Some((1950, false)));
        assert_eq!(time_year(b"\x18\x0f20991231235959Z"), Some((2099, true)));
    }

    #[test]
    fn algorithm_names_show_parameters_only_when_they_differ() {
        let with_null = [
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
            0x00,
        ];
        let without = [
            0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ];
        assert_eq!(
            algorithm_names(&with_null, &without),
            (
                "sha256WithRSAEncryption with NULL parameters".to_owned(),
                "sha256WithRSAEncryption without parameters".to_owned()
            )
        );
        let mut sha512 = with_null;
        sha512[12] = 0x0d;
        assert_eq!(
            algorithm_names(&with_null, &sha512),
            (
                "sha256WithRSAEncryption".to_owned(),
                "sha512WithRSAEncryption".to_owned()
            )
        );
    }
}
