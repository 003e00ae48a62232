//! The check time (`--at`): every time-dependent check takes it from here, so runs are
//! reproducible and a planned go-live date can be checked in advance.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// Parse `YYYY-MM-DD` (00:00 UTC that day) or an RFC 3339 timestamp.
pub fn parse_check_time(s: &str) -> Result<OffsetDateTime, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let day = format_description!("[year]-[month]-[day]");
    match Date::parse(s, &day) {
        Ok(d) => Ok(PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc()),
        Err(_) => Err(format!(
            "'{s}' is not a date: use YYYY-MM-DD (e.g. 2027-03-01) or RFC 3339 (2027-03-01T09:00:00+02:00)"
        )),
    }
}

/// RFC 3339 in UTC, whole seconds.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// `YYYY-MM-DD` in UTC.
pub fn format_date(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dates_and_timestamps() {
        let d = parse_check_time("2027-03-01").unwrap();
        assert_eq!(format_time(d), "2027-03-01T00:00:00Z");
        let t = parse_check_time("2027-03-01T09:00:00+02:00").unwrap();
        assert_eq!(format_time(t), "2027-03-01T07:00:00Z");
        assert_eq!(format_date(t), "2027-03-01");
    }

    #[test]
    fn rejects_other_text_with_an_example() {
        let err = parse_check_time("1.3.2027").unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
}
