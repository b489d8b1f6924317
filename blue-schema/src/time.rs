//! `created_at` timestamps without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current UTC time as RFC 3339 with milliseconds,
/// `2026-11-28T07:54:56.123Z`: fixed width, so text order is time order.
pub(crate) fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_rfc3339(since.as_secs(), since.subsec_millis())
}

pub(crate) fn format_rfc3339(secs: u64, millis: u32) -> String {
    let days = secs / 86_400;
    let rem = (secs % 86_400) as u32;
    let (year, month, day) = civil_from_days(days as i64);
    // Written digit by digit: `format!` costs more than the rest of a put.
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut value: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year.clamp(0, 9999) as u32);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, rem / 3600);
    put(14, 2, rem % 3600 / 60);
    put(17, 2, rem % 60);
    put(20, 3, millis.min(999));
    std::str::from_utf8(&out)
        .expect("digits and ASCII punctuation")
        .to_owned()
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339(1_706_900_000, 7), "2024-02-02T18:53:20.007Z");
        assert_eq!(format_rfc3339(951_782_400, 0), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(4_102_444_799, 999),
            "2099-12-31T23:59:59.999Z"
        );
    }
}
