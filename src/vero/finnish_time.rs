//! Finnish time (Europe/Helsinki) and working days, for the certificate service's office hours
//! and Vero API's daily pick-up of new certificates.
//!
//! The offset comes from the IANA time-zone database (Europe/Helsinki: the EU rule of
//! Directive 2000/84/EC today, UTC+2 and UTC+3 from 01:00 UTC on the last Sunday of March to
//! 01:00 UTC on the last Sunday of October), bundled into the binary.
//!
//! Working days skip weekends and the Finnish public holidays that fall on weekdays (fixed
//! dates, the Easter-based ones) plus Midsummer Eve and Christmas Eve, on which offices are
//! closed. Local exceptions (e.g. a shortened day before a holiday) are not accounted for.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::{self, TimeZone};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use crate::profile::vero::{LocalTime, OfficeHours};

/// The zone's rules come from the IANA time-zone database bundled into the binary (jiff's
/// copy), so a future change to Finnish or EU summer time arrives with a dependency update
/// instead of an edit here, and the answer does not depend on the host's /usr/share/zoneinfo.
fn helsinki() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    // The bundled database always holds Europe/Helsinki; a fixed UTC+2 (Finnish standard time)
    // is only a fallback so that no input can make this panic.
    ZONE.get_or_init(|| {
        TimeZone::get("Europe/Helsinki").unwrap_or_else(|_| TimeZone::fixed(tz::offset(2)))
    })
}

/// Finnish local offset at `t`: UTC+3 in summer, UTC+2 otherwise (as the database says).
pub fn helsinki_offset(t: OffsetDateTime) -> UtcOffset {
    let seconds = Timestamp::from_second(t.unix_timestamp())
        .map(|ts| helsinki().to_offset(ts).seconds())
        .unwrap_or(2 * 3600);
    UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
}

/// `t` as Finnish local time.
pub fn to_helsinki(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(helsinki_offset(t))
}

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// The name of the Finnish holiday on `d`, if offices are closed that day for one.
pub fn holiday(d: Date) -> Option<&'static str> {
    use Month::*;
    let fixed = match (d.month(), d.day()) {
        (January, 1) => Some("New Year's Day"),
        (January, 6) => Some("Epiphany"),
        (May, 1) => Some("May Day"),
        (December, 6) => Some("Independence Day"),
        (December, 24) => Some("Christmas Eve"),
        (December, 25) => Some("Christmas Day"),
        (December, 26) => Some("Boxing Day"),
        // Midsummer Eve: the Friday between 19 and 25 June.
        (June, 19..=25) if d.weekday() == Weekday::Friday => Some("Midsummer Eve"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(d.year())?;
    let from_easter = (d - easter).whole_days();
    match from_easter {
        -2 => Some("Good Friday"),
        1 => Some("Easter Monday"),
        39 => Some("Ascension Day"),
        _ => None,
    }
}

/// Monday to Friday and not a holiday.
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && holiday(d).is_none()
}

/// The first working day strictly after `d`.
pub fn next_working_day(d: Date) -> Date {
    let mut next = d;
    // Bounded: no stretch of Finnish non-working days is longer than a week.
    for _ in 0..14 {
        next = match next.next_day() {
            Some(n) => n,
            None => return next,
        };
        if is_working_day(next) {
            return next;
        }
    }
    next
}

/// `d` itself if it is a working day, otherwise the next one.
pub fn this_or_next_working_day(d: Date) -> Date {
    if is_working_day(d) {
        d
    } else {
        next_working_day(d)
    }
}

fn minutes(t: LocalTime) -> u32 {
    u32::from(t.hour) * 60 + u32::from(t.minute)
}

/// When a new production certificate is expected to work at Vero API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activation {
    /// When the certificate was formed, Finnish time.
    pub formed_local: OffsetDateTime,
    /// Whether that was inside office hours on a working day.
    pub in_office_hours: bool,
    /// The first day Vero API is expected to accept it.
    pub first_day: Date,
}

impl Activation {
    /// The start of the first working day, Finnish time, as an instant.
    pub fn first_instant(&self) -> OffsetDateTime {
        let midnight = PrimitiveDateTime::new(self.first_day, Time::MIDNIGHT);
        // The offset at local midnight: take the offset at noon UTC that day, which is the
        // same as at local midnight except on the two switch Sundays (never working days).
        let noon = PrimitiveDateTime::new(
            self.first_day,
            Time::from_hms(12, 0, 0).unwrap_or(Time::MIDNIGHT),
        )
        .assume_utc();
        midnight.assume_offset(helsinki_offset(noon))
    }
}

/// Office-hours rule of the seed: formed in office hours on a working day → the next working
/// day. Formed outside them → as if formed at the next opening (an assumption).
pub fn activation(formed: OffsetDateTime, hours: OfficeHours) -> Activation {
    let local = to_helsinki(formed);
    let day = local.date();
    let now = u32::from(local.hour()) * 60 + u32::from(local.minute());
    let open = is_working_day(day) && now >= minutes(hours.start) && now < minutes(hours.end);
    let counted_day = if open || (is_working_day(day) && now < minutes(hours.start)) {
        day
    } else {
        next_working_day(day)
    };
    Activation {
        formed_local: local,
        in_office_hours: open,
        first_day: next_working_day(counted_day),
    }
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: OffsetDateTime, b: OffsetDateTime) -> i64 {
    (b - a).whole_days()
}

/// `t` plus whole years, keeping the month and day (29 February becomes 28 February).
pub fn add_years(t: OffsetDateTime, years: i32) -> OffsetDateTime {
    let d = t.date();
    let year = d.year() + years;
    let date = Date::from_calendar_date(year, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(year, d.month(), d.day().saturating_sub(1)))
        .unwrap_or(d);
    t.replace_date(date)
}

/// `t` minus whole days.
pub fn minus_days(t: OffsetDateTime, days: i64) -> OffsetDateTime {
    t - Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const HOURS: OfficeHours = OfficeHours {
        start: LocalTime { hour: 8, minute: 0 },
        end: LocalTime {
            hour: 16,
            minute: 15,
        },
    };

    #[test]
    fn summer_time_switches_at_one_utc_on_the_last_sundays() {
        // 2026: last Sunday of March is 29.3, of October 25.10.
        assert_eq!(
            helsinki_offset(datetime!(2026-03-29 00:59:59 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            helsinki_offset(datetime!(2026-03-29 01:00:00 UTC)).whole_hours(),
            3
        );
        assert_eq!(
            helsinki_offset(datetime!(2026-10-25 00:59:59 UTC)).whole_hours(),
            3
        );
        assert_eq!(
            helsinki_offset(datetime!(2026-10-25 01:00:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            helsinki_offset(datetime!(2027-01-15 12:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            helsinki_offset(datetime!(2027-07-15 12:00 UTC)).whole_hours(),
            3
        );
    }

    #[test]
    fn history_comes_from_the_database() {
        // Finland kept UTC+2 all year until 1981 (as Python's zoneinfo also says): a hand-written
        // EU rule would have answered UTC+3 here.
        assert_eq!(
            helsinki_offset(datetime!(1980-07-01 12:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            helsinki_offset(datetime!(1981-07-01 12:00 UTC)).whole_hours(),
            3
        );
    }

    #[test]
    fn easter_and_holidays() {
        assert_eq!(easter_sunday(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter_sunday(2027), Some(date!(2027 - 03 - 28)));
        assert_eq!(easter_sunday(2030), Some(date!(2030 - 04 - 21)));
        assert_eq!(holiday(date!(2026 - 04 - 03)), Some("Good Friday"));
        assert_eq!(holiday(date!(2026 - 04 - 06)), Some("Easter Monday"));
        assert_eq!(holiday(date!(2026 - 05 - 14)), Some("Ascension Day"));
        assert_eq!(holiday(date!(2026 - 06 - 19)), Some("Midsummer Eve"));
        assert_eq!(holiday(date!(2026 - 06 - 18)), None);
        assert_eq!(holiday(date!(2026 - 12 - 24)), Some("Christmas Eve"));
        assert!(!is_working_day(date!(2026 - 11 - 21)), "a Saturday");
        assert!(is_working_day(date!(2026 - 11 - 23)));
    }

    #[test]
    fn formed_in_office_hours_works_the_next_working_day() {
        // Wednesday 15:00 Finnish time (13:00 UTC in winter) → Thursday.
        let a = activation(datetime!(2026-11-18 13:00 UTC), HOURS);
        assert!(a.in_office_hours);
        assert_eq!(a.first_day, date!(2026 - 11 - 19));
        // Friday 10:00 → Monday.
        let a = activation(datetime!(2026-11-20 08:00 UTC), HOURS);
        assert_eq!(a.first_day, date!(2026 - 11 - 23));
        // Wednesday before Christmas Eve → Christmas Eve, Christmas Day and the weekend skipped.
        let a = activation(datetime!(2026-12-23 10:00 UTC), HOURS);
        assert_eq!(a.first_day, date!(2026 - 12 - 28));
    }

    #[test]
    fn formed_outside_office_hours_counts_from_the_next_opening() {
        // Wednesday 16:15 Finnish time exactly is closed → counted Thursday → Friday.
        let a = activation(datetime!(2026-11-18 14:15 UTC), HOURS);
        assert!(!a.in_office_hours);
        assert_eq!(a.first_day, date!(2026 - 11 - 20));
        // Wednesday 07:00 Finnish time → counted Wednesday → Thursday.
        let a = activation(datetime!(2026-11-18 05:00 UTC), HOURS);
        assert!(!a.in_office_hours);
        assert_eq!(a.first_day, date!(2026 - 11 - 19));
        // Saturday → counted Monday → Tuesday.
        let a = activation(datetime!(2026-11-21 10:00 UTC), HOURS);
        assert_eq!(a.first_day, date!(2026 - 11 - 24));
        // Summer: 16:10 local is 13:10 UTC → still open.
        let a = activation(datetime!(2026-06-10 13:10 UTC), HOURS);
        assert!(a.in_office_hours);
        assert_eq!(a.first_day, date!(2026 - 06 - 11));
        assert_eq!(
            a.first_instant(),
            datetime!(2026-06-11 00:00 +03:00),
            "local midnight"
        );
    }

    #[test]
    fn years_keep_the_day() {
        assert_eq!(
            add_years(datetime!(2024-02-29 10:00 UTC), 2),
            datetime!(2026-02-28 10:00 UTC)
        );
        assert_eq!(
            add_years(datetime!(2026-11-18 10:00 UTC), 2),
            datetime!(2028-11-18 10:00 UTC)
        );
    }
}
