//! Finnish business identifiers: the business ID (Y-tunnus, `1234567-8`), the VAT number
//! (`FI12345678`) and the ETSI EN 319 412-1 `organizationIdentifier` forms that carry them
//! (`VATFI-12345678`, `NTRFI-1234567-8`).

use std::fmt;
use std::str::FromStr;

/// Weights of the business ID check digit, for digits 1..=7.
const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

/// A Finnish business ID with a correct check digit. The seven digits plus check digit are
/// the whole identity: the hyphenated and the VAT forms of one ID compare equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BusinessId {
    digits: [u8; 7],
    check: u8,
}

/// The written form an identifier was found in. Customs compares `sub` with the
/// certificate's serialNumber character for character, so the form matters there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdForm {
    /// `1234567-8`
    BusinessId,
    /// `FI12345678`
    Vat,
    /// `VATFI-12345678` (organizationIdentifier, VAT scheme)
    OrgIdVat,
    /// `NTRFI-1234567-8` or `NTRFI-12345678` (organizationIdentifier, national trade register)
    OrgIdNtr,
}

impl IdForm {
    pub fn describe(self) -> &'static str {
        match self {
            IdForm::BusinessId => "business ID form",
            IdForm::Vat => "VAT number form",
            IdForm::OrgIdVat => "organizationIdentifier VAT form",
            IdForm::OrgIdNtr => "organizationIdentifier NTR form",
        }
    }
}

/// An identifier as written, with the business ID it denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenId {
    pub id: BusinessId,
    pub form: IdForm,
    pub text: String,
}

/// Why a string is not a valid Finnish business identifier.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is empty")]
    Empty,
    #[error("has whitespace around it; write the identifier without spaces")]
    Whitespace,
    #[error("has {found} digits before the check digit; a business ID has 7 (1234567-8)")]
    WrongLength { found: usize },
    #[error("contains '{0}', which is not a digit")]
    NotADigit(char),
    #[error("has no hyphen before the check digit (expected 1234567-8)")]
    MissingHyphen,
    #[error("check digit should be {expected}, is {found}")]
    WrongCheckDigit { expected: u8, found: u8 },
    #[error("can never be valid: its weighted sum leaves remainder 1 (such IDs are not issued)")]
    RemainderOne,
    #[error("a VAT number must be FI followed by 8 digits (FI12345678)")]
    BadVat,
    #[error(
        "is not a Finnish organizationIdentifier (expected VATFI-12345678 or NTRFI-1234567-8); found scheme '{0}'"
    )]
    ForeignOrgId(String),
}

impl IdError {
    /// The ID is written correctly but its check digit does not add up: a value that looks
    /// wrong, as opposed to one written in the wrong form.
    pub fn is_check_digit(&self) -> bool {
        matches!(
            self,
            IdError::WrongCheckDigit { .. } | IdError::RemainderOne
        )
    }
}

impl BusinessId {
    /// The check digit for seven digits, or `None` when no check digit can make them valid.
    pub fn check_digit_for(digits: &[u8; 7]) -> Option<u8> {
        let sum: u32 = digits
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        match sum % 11 {
            0 => Some(0),
            1 => None,
            r => Some((11 - r) as u8),
        }
    }

    fn from_parts(digits: [u8; 7], check: u8) -> Result<Self, IdError> {
        match Self::check_digit_for(&digits) {
            None => Err(IdError::RemainderOne),
            Some(expected) if expected != check => Err(IdError::WrongCheckDigit {
                expected,
                found: check,
            }),
            Some(_) => Ok(BusinessId { digits, check }),
        }
    }

    /// Parse the hyphenated form `1234567-8` exactly as written in a certificate or a
    /// message: seven digits, a hyphen, the check digit, nothing around them. (A six-digit
    /// ID from before 1991 is written today with its leading zero.)
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.trim() != s {
            return Err(IdError::Whitespace);
        }
        let (body, check) = s.rsplit_once('-').ok_or_else(|| {
            if s.chars().all(|c| c.is_ascii_digit()) && s.len() == 8 {
                IdError::MissingHyphen
            } else if let Some(c) = s.chars().find(|c| !c.is_ascii_digit()) {
                IdError::NotADigit(c)
            } else {
                IdError::MissingHyphen
            }
        })?;
        let mut check_chars = check.chars();
        let check = match (check_chars.next(), check_chars.next()) {
            (Some(c), None) => c.to_digit(10).ok_or(IdError::NotADigit(c))? as u8,
            (None, _) => return Err(IdError::MissingHyphen),
            (Some(_), Some(_)) => {
                let bad = check.chars().find(|c| !c.is_ascii_digit());
                return Err(match bad {
                    Some(c) => IdError::NotADigit(c),
                    None => IdError::WrongLength {
                        found: body.len() + check.len() - 1,
                    },
                });
            }
        };
        let digits = parse_digits(body, 7..=7)?;
        Self::from_parts(digits, check)
    }

    /// Parse the VAT form `FI12345678` exactly: FI and eight digits, nothing around them.
    pub fn parse_vat(s: &str) -> Result<Self, IdError> {
        if s.trim() != s {
            return Err(IdError::Whitespace);
        }
        let rest = s.strip_prefix("FI").ok_or(IdError::BadVat)?;
        if rest.len() != 8 {
            return Err(IdError::BadVat);
        }
        let (body, check) = rest.split_at(7);
        let digits = parse_digits(body, 7..=7)?;
        let check = check
            .chars()
            .next()
            .and_then(|c| c.to_digit(10))
            .ok_or(IdError::BadVat)? as u8;
        Self::from_parts(digits, check)
    }

    /// `1234567-8`
    pub fn business_id_form(&self) -> String {
        format!("{}-{}", self.digit_string(), self.check)
    }

    /// `FI12345678`
    pub fn vat_form(&self) -> String {
        format!("FI{}{}", self.digit_string(), self.check)
    }

    fn digit_string(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

fn parse_digits(body: &str, len: std::ops::RangeInclusive<usize>) -> Result<[u8; 7], IdError> {
    if let Some(c) = body.chars().find(|c| !c.is_ascii_digit()) {
        return Err(IdError::NotADigit(c));
    }
    if !len.contains(&body.len()) {
        return Err(IdError::WrongLength { found: body.len() });
    }
    let mut digits = [0u8; 7];
    let offset = 7 - body.len();
    for (slot, b) in digits[offset..].iter_mut().zip(body.bytes()) {
        *slot = b - b'0';
    }
    Ok(digits)
}

impl fmt::Display for BusinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.business_id_form())
    }
}

impl fmt::Debug for BusinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessId({self})")
    }
}

impl FromStr for BusinessId {
    type Err = IdError;

    /// An ID a user types (an option, a config file): either written form, forgiving what
    /// a person types but a file must not contain: surrounding spaces, a space after FI, and
    /// the six digits of an ID from before 1991 (`123456-7` is `0123456-7`).
    fn from_str(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let typed = match s.strip_prefix("FI") {
            Some(rest) => format!("FI{}", rest.trim_start()),
            None => match s.split_once('-') {
                Some((body, _)) if body.len() == 6 && body.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("0{s}")
                }
                _ => s.to_owned(),
            },
        };
        parse_written(&typed).map(|w| w.id)
    }
}

/// Parse any written form exactly as a certificate or message holds it: business ID, VAT
/// number, or an organizationIdentifier (`VATFI-…`, `NTRFI-…`).
pub fn parse_written(s: &str) -> Result<WrittenId, IdError> {
    let text = s;
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.trim() != text {
        return Err(IdError::Whitespace);
    }
    let (id, form) = if let Some(rest) = text.strip_prefix("VATFI-") {
        (
            BusinessId::parse_vat(&format!("FI{rest}"))?,
            IdForm::OrgIdVat,
        )
    } else if let Some(rest) = text.strip_prefix("NTRFI-") {
        let id = if rest.contains('-') {
            BusinessId::parse(rest)?
        } else if rest.len() == 8 {
            BusinessId::parse_vat(&format!("FI{rest}"))?
        } else {
            BusinessId::parse(rest)?
        };
        (id, IdForm::OrgIdNtr)
    } else if text.starts_with("FI") {
        (BusinessId::parse_vat(text)?, IdForm::Vat)
    } else if looks_like_foreign_org_id(text) {
        return Err(IdError::ForeignOrgId(text.chars().take(5).collect()));
    } else {
        (BusinessId::parse(text)?, IdForm::BusinessId)
    };
    Ok(WrittenId {
        id,
        form,
        text: text.to_owned(),
    })
}

/// `VATSE-…`, `PSDFI-…`, `LEIXG-…`: an EN 319 412-1 identifier of another scheme or country.
fn looks_like_foreign_org_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 6 && b[..5].iter().all(u8::is_ascii_alphabetic) && b[5] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customs_and_tax_administration_ids_are_valid() {
        let customs = BusinessId::parse("0245442-8").unwrap();
        assert_eq!(customs.vat_form(), "FI02454428");
        assert_eq!(BusinessId::parse_vat("FI02454428").unwrap(), customs);
        assert_eq!(
            BusinessId::parse("0201256-6").unwrap().to_string(),
            "0201256-6"
        );
    }

    #[test]
    fn wrong_check_digit_says_what_it_should_be() {
        let err = BusinessId::parse("0245442-7").unwrap_err();
        assert_eq!(
            err,
            IdError::WrongCheckDigit {
                expected: 8,
                found: 7
            }
        );
        assert_eq!(err.to_string(), "check digit should be 8, is 7");
    }

    #[test]
    fn remainder_one_is_never_valid() {
        // 1000000: 7*1 = 7 → remainder 7; search for a body with remainder 1.
        let body = (0..10_000_000u32)
            .map(|n| {
                let s = format!("{n:07}");
                let mut d = [0u8; 7];
                for (slot, b) in d.iter_mut().zip(s.bytes()) {
                    *slot = b - b'0';
                }
                (s, d)
            })
            .find(|(_, d)| BusinessId::check_digit_for(d).is_none())
            .unwrap()
            .0;
        for check in 0..=9 {
            assert_eq!(
                BusinessId::parse(&format!("{body}-{check}")),
                Err(IdError::RemainderOne)
            );
        }
    }

    #[test]
    fn six_digit_ids_get_the_leading_zero_only_when_typed() {
        let id: BusinessId = "245442-8".parse().unwrap();
        assert_eq!(id.business_id_form(), "0245442-8");
        assert_eq!(" FI 02454428 ".parse::<BusinessId>().unwrap(), id);
        // Written in a certificate or a message, an ID is exact.
        assert_eq!(
            BusinessId::parse("245442-8"),
            Err(IdError::WrongLength { found: 6 })
        );
        assert_eq!(
            BusinessId::parse("690765-8"),
            Err(IdError::WrongLength { found: 6 })
        );
        for spaced in [" 0245442-8", "0245442-8 ", "0245442-8\n", "\t0245442-8"] {
            assert_eq!(
                BusinessId::parse(spaced),
                Err(IdError::Whitespace),
                "{spaced:?}"
            );
            assert_eq!(
                parse_written(spaced),
                Err(IdError::Whitespace),
                "{spaced:?}"
            );
        }
        assert_eq!(parse_written(" FI02454428"), Err(IdError::Whitespace));
        assert_eq!(parse_written("FI 02454428"), Err(IdError::BadVat));
    }

    #[test]
    fn malformed_ids_get_precise_errors() {
        assert_eq!(BusinessId::parse(""), Err(IdError::Empty));
        assert_eq!(BusinessId::parse("02454428"), Err(IdError::MissingHyphen));
        assert_eq!(BusinessId::parse("0245x42-8"), Err(IdError::NotADigit('x')));
        assert_eq!(
            BusinessId::parse("12345-1"),
            Err(IdError::WrongLength { found: 5 })
        );
        assert_eq!(
            BusinessId::parse("12345678-1"),
            Err(IdError::WrongLength { found: 8 })
        );
        assert_eq!(BusinessId::parse("0245442-X"), Err(IdError::NotADigit('X')));
        assert_eq!(BusinessId::parse_vat("FI0245442"), Err(IdError::BadVat));
        assert_eq!(BusinessId::parse_vat("SE02454428"), Err(IdError::BadVat));
    }

    #[test]
    fn every_written_form_denotes_the_same_id() {
        let id = BusinessId::parse("0245442-8").unwrap();
        for (text, form) in [
            ("0245442-8", IdForm::BusinessId),
            ("FI02454428", IdForm::Vat),
            ("VATFI-02454428", IdForm::OrgIdVat),
            ("NTRFI-0245442-8", IdForm::OrgIdNtr),
            ("NTRFI-02454428", IdForm::OrgIdNtr),
        ] {
            let w = parse_written(text).unwrap();
            assert_eq!(w.id, id, "{text}");
            assert_eq!(w.form, form, "{text}");
        }
        assert_eq!("FI02454428".parse::<BusinessId>().unwrap(), id);
    }

    #[test]
    fn foreign_org_ids_are_named() {
        assert_eq!(
            parse_written("VATSE-556677889901"),
            Err(IdError::ForeignOrgId("VATSE".into()))
        );
        assert!(matches!(
            parse_written("PSDFI-FINFSA-123"),
            Err(IdError::ForeignOrgId(_))
        ));
    }

    #[test]
    fn org_id_with_bad_check_digit_reports_it() {
        assert_eq!(
            parse_written("NTRFI-0245442-1"),
            Err(IdError::WrongCheckDigit {
                expected: 8,
                found: 1
            })
        );
    }
}
