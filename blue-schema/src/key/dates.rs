//! `KeyPart` for the date and time types of `chrono` and `time` (features
//! of the same names), spelled as `calendar.rs` describes: a date as
//! `YYYY-MM-DD`, a date and wall-clock time as
//! `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`, an instant in UTC with a final `Z`.

use super::calendar::{self, Civil, Form};
use super::{KeyDecodeError, KeyEncoding, KeyPart};

/// What a decode error says each spelling is.
const DATE: &str = "date (YYYY-MM-DD)";
const DATE_TIME: &str = "date and time (YYYY-MM-DDTHH:MM:SS.nnnnnnnnn)";
const INSTANT: &str = "UTC timestamp (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)";

fn invalid(encoded: &str, expected: &'static str) -> KeyDecodeError {
    KeyDecodeError::Invalid {
        component: encoded.to_owned(),
        expected,
    }
}

/// Decodes `encoded` as `form` into a value with `make`, and accepts it
/// only if it writes back as `encoded` (one spelling per value).
fn decode<T: KeyPart>(
    encoded: &str,
    form: Form,
    expected: &'static str,
    make: impl FnOnce(Civil) -> Option<T>,
) -> Result<T, KeyDecodeError> {
    let value = calendar::read(encoded, form)
        .and_then(make)
        .ok_or_else(|| invalid(encoded, expected))?;
    let mut again = String::with_capacity(encoded.len());
    value.encode_key_part(&mut again);
    if again == encoded {
        Ok(value)
    } else {
        Err(invalid(encoded, expected))
    }
}

#[cfg(feature = "chrono")]
mod chrono_types {
    use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

    use super::{calendar, decode, Civil, Form, KeyDecodeError, KeyEncoding, KeyPart};
    use super::{DATE, DATE_TIME, INSTANT};

    /// The fields of a chrono date and time; a leap second (nanoseconds
    /// `>= 1e9` of second 59) as second 60.
    fn civil(t: &NaiveDateTime) -> Civil {
        let (second, nano) = if t.nanosecond() >= 1_000_000_000 {
            (60, t.nanosecond() - 1_000_000_000)
        } else {
            (t.second(), t.nanosecond())
        };
        Civil {
            year: t.year(),
            month: t.month(),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second,
            nano,
        }
    }

    fn naive(c: Civil) -> Option<NaiveDateTime> {
        let (second, nano) = if c.second == 60 {
            (59, c.nano.checked_add(1_000_000_000)?)
        } else {
            (c.second, c.nano)
        };
        let date = NaiveDate::from_ymd_opt(c.year, c.month, c.day)?;
        let time = NaiveTime::from_hms_nano_opt(c.hour, c.minute, second, nano)?;
        Some(date.and_time(time))
    }

    impl KeyPart for NaiveDate {
        const ENCODING: KeyEncoding = KeyEncoding::Date;

        fn encode_key_part(&self, out: &mut String) {
            calendar::write(&civil(&self.and_time(NaiveTime::MIN)), Form::Date, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::Date, DATE, |c| {
                NaiveDate::from_ymd_opt(c.year, c.month, c.day)
            })
        }
    }

    impl KeyPart for NaiveDateTime {
        const ENCODING: KeyEncoding = KeyEncoding::DateTime;

        fn encode_key_part(&self, out: &mut String) {
            calendar::write(&civil(self), Form::DateTime, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::DateTime, DATE_TIME, naive)
        }
    }

    impl KeyPart for DateTime<Utc> {
        const ENCODING: KeyEncoding = KeyEncoding::Timestamp;

        fn encode_key_part(&self, out: &mut String) {
            calendar::write(&civil(&self.naive_utc()), Form::Instant, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::Instant, INSTANT, |c| {
                naive(c).map(|t| t.and_utc())
            })
        }
    }
}

#[cfg(feature = "time")]
mod time_types {
    use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

    use super::{calendar, decode, Civil, Form, KeyDecodeError, KeyEncoding, KeyPart};
    use super::{DATE, DATE_TIME, INSTANT};

    fn civil(date: Date, time: Time) -> Civil {
        Civil {
            year: date.year(),
            month: u32::from(u8::from(date.month())),
            day: u32::from(date.day()),
            hour: u32::from(time.hour()),
            minute: u32::from(time.minute()),
            second: u32::from(time.second()),
            nano: time.nanosecond(),
        }
    }

    fn date(c: &Civil) -> Option<Date> {
        let month = Month::try_from(u8::try_from(c.month).ok()?).ok()?;
        Date::from_calendar_date(c.year, month, u8::try_from(c.day).ok()?).ok()
    }

    fn time(c: &Civil) -> Option<Time> {
        let part = |v: u32| u8::try_from(v).ok();
        Time::from_hms_nano(part(c.hour)?, part(c.minute)?, part(c.second)?, c.nano).ok()
    }

    impl KeyPart for Date {
        const ENCODING: KeyEncoding = KeyEncoding::Date;

        fn encode_key_part(&self, out: &mut String) {
            calendar::write(&civil(*self, Time::MIDNIGHT), Form::Date, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::Date, DATE, |c| date(&c))
        }
    }

    impl KeyPart for PrimitiveDateTime {
        const ENCODING: KeyEncoding = KeyEncoding::DateTime;

        fn encode_key_part(&self, out: &mut String) {
            calendar::write(&civil(self.date(), self.time()), Form::DateTime, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::DateTime, DATE_TIME, |c| {
                Some(PrimitiveDateTime::new(date(&c)?, time(&c)?))
            })
        }
    }

    /// An instant, whatever its offset: written as the UTC date and time,
    /// so that keys sort by instant (as `OffsetDateTime`'s `Ord` does) and
    /// `12:00+02:00` and `10:00Z` are one key. It decodes with offset UTC.
    ///
    /// The UTC date is computed from the Unix time, so an instant within a
    /// day of the `time` crate's last year whose UTC date falls outside it
    /// is written (past 9999, behind `:`) but does not decode.
    impl KeyPart for OffsetDateTime {
        const ENCODING: KeyEncoding = KeyEncoding::Timestamp;

        fn encode_key_part(&self, out: &mut String) {
            let nanos = self.unix_timestamp_nanos();
            let seconds = nanos.div_euclid(1_000_000_000);
            let nano = nanos.rem_euclid(1_000_000_000) as u32;
            // `time`'s instants are within ±10 000 years: the days fit.
            let days = seconds.div_euclid(86_400) as i64;
            let of_day = seconds.rem_euclid(86_400) as u32;
            let (year, month, day) = calendar::civil_from_days(days);
            let civil = Civil {
                year: year as i32,
                month,
                day,
                hour: of_day / 3600,
                minute: of_day / 60 % 60,
                second: of_day % 60,
                nano,
            };
            calendar::write(&civil, Form::Instant, out);
        }

        fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
            decode(encoded, Form::Instant, INSTANT, |c| {
                Some(PrimitiveDateTime::new(date(&c)?, time(&c)?).assume_utc())
            })
        }
    }
}
