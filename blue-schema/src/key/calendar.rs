//! Dates and times as key parts (features `chrono` and `time`): one
//! spelling for every calendar type, so that a `chrono::NaiveDate` and a
//! `time::Date` of the same day are the same key component.
//!
//! * a date is `YYYY-MM-DD`;
//! * a date and wall-clock time is `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`;
//! * an instant is the UTC date and time followed by `Z`.
//!
//! Years 0..=9999 are four digits, as in RFC 3339. The libraries reach
//! further; those years keep the order with a lead byte around six digits:
//! `-` (below `0`) then 1 000 000 + year for negative years, `:` (above `9`)
//! then the year for years past 9999. A leap second (chrono keeps one as
//! nanoseconds `>= 1e9` of second 59) is written as second 60, which still
//! sorts between `:59` and the next minute. Every byte is above `%`, so no
//! spelling needs escaping.
//!
//! Decoding is strict: a component decodes only if writing the value back
//! gives the same text, so each value has one spelling.

use std::fmt::Write as _;

/// A calendar date and a time of day, as written in a key. `second` may be
/// 60 (a leap second); `nano` is below 1e9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nano: u32,
}

/// The lengths of the spellings after the year.
const DATE_REST: usize = "-MM-DD".len();
const TIME: usize = "THH:MM:SS.nnnnnnnnn".len();

/// What a spelling holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`.
    DateTime,
    /// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
    Instant,
}

/// Appends `civil` spelled as `form` (a date ignores the time fields).
pub(crate) fn write(civil: &Civil, form: Form, out: &mut String) {
    let year = civil.year;
    let _ = match year {
        0..=9999 => write!(out, "{year:04}"),
        10000.. => write!(out, ":{year:06}"),
        _ => write!(out, "-{:06}", 1_000_000 + year),
    };
    let _ = write!(out, "-{:02}-{:02}", civil.month, civil.day);
    if form == Form::Date {
        return;
    }
    let _ = write!(
        out,
        "T{:02}:{:02}:{:02}.{:09}",
        civil.hour, civil.minute, civil.second, civil.nano
    );
    if form == Form::Instant {
        out.push('Z');
    }
}

/// Reads a spelling of `form`, checking its shape only (the caller checks
/// that the fields make a value and that the value writes back the same).
pub(crate) fn read(encoded: &str, form: Form) -> Option<Civil> {
    let (year, rest) = match encoded.as_bytes().first()? {
        b':' | b'-' => (encoded.get(1..7)?, encoded.get(7..)?),
        _ => (encoded.get(..4)?, encoded.get(4..)?),
    };
    let mut year = number(year)? as i32;
    if encoded.starts_with('-') {
        year -= 1_000_000;
    }
    let expected = match form {
        Form::Date => DATE_REST,
        Form::DateTime => DATE_REST + TIME,
        Form::Instant => DATE_REST + TIME + 1,
    };
    let b = rest.as_bytes();
    if b.len() != expected || b[0] != b'-' || b[3] != b'-' {
        return None;
    }
    let field = |range: std::ops::Range<usize>| number(rest.get(range)?);
    let mut civil = Civil {
        year,
        month: field(1..3)?,
        day: field(4..6)?,
        hour: 0,
        minute: 0,
        second: 0,
        nano: 0,
    };
    if form == Form::Date {
        return Some(civil);
    }
    if b[6] != b'T' || b[9] != b':' || b[12] != b':' || b[15] != b'.' {
        return None;
    }
    if form == Form::Instant && b[25] != b'Z' {
        return None;
    }
    civil.hour = field(7..9)?;
    civil.minute = field(10..12)?;
    civil.second = field(13..15)?;
    civil.nano = field(16..25)?;
    Some(civil)
}

/// ASCII digits only (no sign, no space), as a number.
fn number(s: &str) -> Option<u32> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// The civil date of a day counted from 1970-01-01 (proleptic Gregorian;
/// Howard Hinnant's `civil_from_days`).
#[cfg(feature = "time")]
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(year: i32) -> Civil {
        Civil {
            year,
            month: 2,
            day: 29,
            hour: 23,
            minute: 59,
            second: 60,
            nano: 5,
        }
    }

    #[test]
    fn spellings_read_back_and_sort_by_year() {
        let years = [-262_143, -1, 0, 1, 2024, 9999, 10_000, 262_142];
        let mut spelled = Vec::new();
        for year in years {
            for form in [Form::Date, Form::DateTime, Form::Instant] {
                let mut out = String::new();
                write(&civil(year), form, &mut out);
                let want = match form {
                    Form::Date => Civil {
                        hour: 0,
                        minute: 0,
                        second: 0,
                        nano: 0,
                        ..civil(year)
                    },
                    _ => civil(year),
                };
                assert_eq!(read(&out, form), Some(want), "{out}");
                assert!(out.bytes().all(|b| b > b'%'), "{out}");
            }
            let mut out = String::new();
            write(&civil(year), Form::Date, &mut out);
            spelled.push(out);
        }
        let mut sorted = spelled.clone();
        sorted.sort();
        assert_eq!(sorted, spelled);
        assert_eq!(spelled[1], "-999999-02-29");
        assert_eq!(spelled[6], ":010000-02-29");
    }

    #[test]
    fn shapes_other_than_the_form_do_not_read() {
        for (text, form) in [
            ("2024-02-29T00:00:00.000000000", Form::Date),
            ("2024-02-29", Form::DateTime),
            ("2024-02-29T00:00:00.000000000", Form::Instant),
            ("2024-02-29T00:00:00.000000000Z", Form::DateTime),
            ("2024-2-29", Form::Date),
            ("+024-02-29", Form::Date),
            ("2024-02-29T00:00:00,000000000", Form::DateTime),
            ("", Form::Date),
        ] {
            assert_eq!(read(text, form), None, "{text}");
        }
    }

    #[cfg(feature = "time")]
    #[test]
    fn days_and_civil_dates_agree() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // The `time` crate's calendar, over its whole range.
        for days in (-4_000_000..2_900_000).step_by(997) {
            let date = ::time::Date::from_julian_day(days as i32 + 2_440_588).unwrap();
            let expected = (
                i64::from(date.year()),
                u32::from(u8::from(date.month())),
                u32::from(date.day()),
            );
            assert_eq!(civil_from_days(days), expected);
        }
    }
}
