//! Identifiers the schema takes as plain strings: the Finnish personal identity code (hetu),
//! IBAN, dates and UUIDv4.

use time::{Date, Month};

/// Why a personal identity code is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HetuError {
    #[error("must be 11 characters DDMMYYCZZZQ, has {0}")]
    Length(usize),
    #[error("date part DDMMYY must be digits")]
    DateDigits,
    #[error(
        "'{0}' is not a century sign (+ for 1800s; - Y X W V U for 1900s; A B C D E F for 2000s)"
    )]
    CenturySign(char),
    #[error("individual number ZZZ must be three digits")]
    IndividualDigits,
    #[error("individual number {0:03} is not issued (002–899, 900–999 for temporary codes)")]
    IndividualRange(u16),
    #[error("{0} is not a calendar date")]
    NoSuchDate(String),
    #[error("check character should be '{expected}', is '{found}'")]
    CheckCharacter { expected: char, found: char },
}

impl HetuError {
    /// The code has the right shape but its date, individual number or check character do not
    /// add up: a value that looks wrong rather than one written in the wrong form.
    pub fn is_implausible(&self) -> bool {
        matches!(
            self,
            HetuError::NoSuchDate(_)
                | HetuError::IndividualRange(_)
                | HetuError::CheckCharacter { .. }
        )
    }
}

const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// Validate a hetu; on success return the birth date it encodes.
pub fn check_hetu(s: &str) -> Result<Date, HetuError> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 11 {
        return Err(HetuError::Length(chars.len()));
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        chars[range]
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + c.to_digit(10)?))
    };
    let (day, month, yy) = match (digits(0..2), digits(2..4), digits(4..6)) {
        (Some(d), Some(m), Some(y)) => (d, m, y),
        _ => return Err(HetuError::DateDigits),
    };
    let century = match chars[6] {
        '+' => 1800,
        '-' | 'Y' | 'X' | 'W' | 'V' | 'U' => 1900,
        'A' | 'B' | 'C' | 'D' | 'E' | 'F' => 2000,
        c => return Err(HetuError::CenturySign(c)),
    };
    let individual = digits(7..10).ok_or(HetuError::IndividualDigits)?;
    if individual < 2 {
        return Err(HetuError::IndividualRange(individual as u16));
    }
    let year = century + yy as i32;
    let date = Month::try_from(month as u8)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, day as u8).ok())
        .ok_or_else(|| HetuError::NoSuchDate(format!("{year:04}-{month:02}-{day:02}")))?;
    let number = (day * 10_000 + month * 100 + yy) as u64 * 1000 + individual as u64;
    let expected = HETU_CHECK[(number % 31) as usize] as char;
    if chars[10] != expected {
        return Err(HetuError::CheckCharacter {
            expected,
            found: chars[10],
        });
    }
    Ok(date)
}

/// The check character for the first ten characters of a hetu (used by the generator).
pub fn hetu_check_character(day: u32, month: u32, yy: u32, individual: u32) -> char {
    let number = (day * 10_000 + month * 100 + yy) as u64 * 1000 + individual as u64;
    HETU_CHECK[(number % 31) as usize] as char
}

/// Why an IBAN is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("must be written without spaces, in capitals (electronic format)")]
    Format,
    #[error("must be 15–34 characters: two letters, two check digits, the account number")]
    Shape,
    #[error("a Finnish IBAN has 18 characters, this has {0}")]
    FinnishLength(usize),
    #[error("check digits do not match (mod-97 remainder {0}, must be 1)")]
    Checksum(u32),
}

impl IbanError {
    /// The IBAN is written correctly but its check digits do not add up.
    pub fn is_checksum(&self) -> bool {
        matches!(self, IbanError::Checksum(_))
    }
}

/// Validate an IBAN's structure and mod-97 check digits (ISO 13616).
pub fn check_iban(s: &str) -> Result<(), IbanError> {
    if !s
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(IbanError::Format);
    }
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
    {
        return Err(IbanError::Shape);
    }
    if &b[..2] == b"FI" && b.len() != 18 {
        return Err(IbanError::FinnishLength(b.len()));
    }
    let remainder = iban_remainder(b);
    if remainder != 1 {
        return Err(IbanError::Checksum(remainder));
    }
    Ok(())
}

/// mod 97 of the rearranged IBAN (letters as 10..35).
fn iban_remainder(b: &[u8]) -> u32 {
    b[4..].iter().chain(&b[..4]).fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            (acc * 10 + (c - b'0') as u32) % 97
        } else {
            (acc * 100 + (c - b'A' + 10) as u32) % 97
        }
    })
}

/// The two check digits for country code + BBAN (used by the generator).
pub fn iban_check_digits(country: &str, bban: &str) -> String {
    let probe = format!("{country}00{bban}");
    let r = iban_remainder(probe.as_bytes());
    format!("{:02}", 98 - r)
}

/// Parse a date written YYYY-MM-DD.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Date::from_calendar_date(y as i32, Month::try_from(m as u8).ok()?, d as u8).ok()
}

/// A creation time written YYYY-MM-DDThh:mm:ss with optional fraction (v3 `dateTime`).
pub fn is_date_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    if parse_date(date).is_none() {
        return false;
    }
    let (hms, fraction) = match time.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (time, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let ok_part = |p: &str, max: u32| {
        p.len() == 2
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    parts.len() == 3
        && ok_part(parts[0], 23)
        && ok_part(parts[1], 59)
        && ok_part(parts[2], 59)
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()))
}

/// Whether `s` is a UUID of version 4 (random), RFC 9562 variant, in the hyphenated form.
pub fn is_uuid_v4(s: &str) -> bool {
    s.len() == 36
        && uuid::Uuid::try_parse(s)
            .is_ok_and(|u| u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hetu_examples() {
        // From the official v3 examples (test-range individual numbers).
        assert!(check_hetu("010659-9744").is_ok());
        assert!(check_hetu("241100A948X").is_ok());
        assert_eq!(
            check_hetu("010659-9745"),
            Err(HetuError::CheckCharacter {
                expected: '4',
                found: '5'
            })
        );
        // 2023 century signs.
        let y = format!("010594Y903{}", hetu_check_character(1, 5, 94, 903));
        assert_eq!(check_hetu(&y).map(|d| d.year()), Ok(1994));
        let e = format!("020505E902{}", hetu_check_character(2, 5, 5, 902));
        assert_eq!(check_hetu(&e).map(|d| d.year()), Ok(2005));
        assert_eq!(check_hetu("010594Q9032"), Err(HetuError::CenturySign('Q')));
        assert!(matches!(
            check_hetu("310294-9032"),
            Err(HetuError::NoSuchDate(_))
        ));
    }

    #[test]
    fn iban_examples() {
        assert!(check_iban("FI8371356610003253").is_ok());
        assert!(matches!(
            check_iban("FI8371356610003254"),
            Err(IbanError::Checksum(_))
        ));
        assert_eq!(check_iban("FI83 7135 6610 0032 53"), Err(IbanError::Format));
        let bban = "71356610003253";
        let iban = format!("FI{}{bban}", iban_check_digits("FI", bban));
        assert!(check_iban(&iban).is_ok());
    }

    #[test]
    fn dates_and_uuids() {
        assert!(parse_date("2020-02-29").is_some());
        assert!(parse_date("2019-02-29").is_none());
        assert!(is_date_time("2020-03-06T12:50:12.374"));
        assert!(!is_date_time("2020-03-06"));
        assert!(is_uuid_v4("ebdee4c8-ab94-4926-8e71-83fd47bea3e6"));
        assert!(!is_uuid_v4("ebdee4c8-ab94-1926-8e71-83fd47bea3e6"));
    }
}
