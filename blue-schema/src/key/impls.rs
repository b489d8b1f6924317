//! `KeyPart` for the standard types, and for `uuid` behind its feature
//! (dates and times are in `dates.rs`).

use std::fmt::Write as _;

use super::{escape_into, unescape, KeyDecodeError, KeyEncoding, KeyPart};

impl KeyPart for String {
    const ENCODING: KeyEncoding = KeyEncoding::String;

    fn encode_key_part(&self, out: &mut String) {
        escape_into(self, out);
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        unescape(encoded)
    }
}

impl KeyPart for char {
    const ENCODING: KeyEncoding = KeyEncoding::Char;

    fn encode_key_part(&self, out: &mut String) {
        escape_into(self.encode_utf8(&mut [0; 4]), out);
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        let text = unescape(encoded)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(KeyDecodeError::Invalid {
                component: encoded.to_owned(),
                expected: "char",
            }),
        }
    }
}

impl KeyPart for bool {
    const ENCODING: KeyEncoding = KeyEncoding::Bool;

    fn encode_key_part(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        match encoded {
            "false" => Ok(false),
            "true" => Ok(true),
            _ => Err(KeyDecodeError::Invalid {
                component: encoded.to_owned(),
                expected: "bool (`false` or `true`)",
            }),
        }
    }
}

/// Parses exactly `digits` ASCII digits into a u128.
fn parse_fixed(
    encoded: &str,
    digits: usize,
    expected: &'static str,
) -> Result<u128, KeyDecodeError> {
    let invalid = || KeyDecodeError::Invalid {
        component: encoded.to_owned(),
        expected,
    };
    if encoded.len() != digits {
        return Err(invalid());
    }
    // Checked and accumulated in one pass (`str::parse` would check them
    // again, in `u128` arithmetic). Nineteen digits fit a `u64`.
    if digits <= 19 {
        let mut n = 0u64;
        for b in encoded.bytes() {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(invalid());
            }
            n = n * 10 + u64::from(d);
        }
        return Ok(u128::from(n));
    }
    if !encoded.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let digit = |b: u8| b - b'0';
    encoded.bytes().try_fold(0u128, |n, b| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(digit(b))))
            .ok_or_else(invalid)
    })
}

/// Appends `value` zero-padded to `digits` (at most 20) decimal digits.
/// Hand-rolled because `format!("{:020}")` goes through the formatting
/// machinery and dominated the cost of a key.
fn push_padded_u64(out: &mut String, mut value: u64, digits: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while value > 0 {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    let digits = &buf[buf.len() - digits..];
    out.push_str(std::str::from_utf8(digits).expect("ASCII digits are UTF-8"));
}

fn push_padded_u128(out: &mut String, value: u128, digits: usize) {
    // Writing into a String cannot fail.
    let _ = write!(out, "{value:0digits$}");
}

macro_rules! unsigned_key_part {
    ($($t:ty => $digits:literal, $push:ident, $expected:literal;)+) => {$(
        impl KeyPart for $t {
            const ENCODING: KeyEncoding = KeyEncoding::Unsigned { digits: $digits };

            fn encode_key_part(&self, out: &mut String) {
                $push(out, (*self).into(), $digits);
            }

            fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
                let value = parse_fixed(encoded, $digits, $expected)?;
                <$t>::try_from(value).map_err(|_| KeyDecodeError::Invalid {
                    component: encoded.to_owned(),
                    expected: $expected,
                })
            }
        }
    )+};
}

unsigned_key_part! {
    u8 => 3, push_padded_u64, "u8 (3 digits)";
    u16 => 5, push_padded_u64, "u16 (5 digits)";
    u32 => 10, push_padded_u64, "u32 (10 digits)";
    u64 => 20, push_padded_u64, "u64 (20 digits)";
    u128 => 39, push_padded_u128, "u128 (39 digits)";
}

// usize is written like u64 whatever the platform, so keys do not depend on
// the machine that wrote them.
impl KeyPart for usize {
    const ENCODING: KeyEncoding = KeyEncoding::Unsigned { digits: 20 };

    fn encode_key_part(&self, out: &mut String) {
        (*self as u64).encode_key_part(out);
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        let value = u64::decode_key_part(encoded)?;
        usize::try_from(value).map_err(|_| KeyDecodeError::Invalid {
            component: encoded.to_owned(),
            expected: "usize (20 digits, within this platform's range)",
        })
    }
}

macro_rules! signed_key_part {
    ($($t:ty as $u:ty => $bits:literal, $digits:literal, $expected:literal;)+) => {$(
        impl KeyPart for $t {
            const ENCODING: KeyEncoding = KeyEncoding::Signed { bits: $bits, digits: $digits };

            fn encode_key_part(&self, out: &mut String) {
                // Flipping the sign bit maps MIN..=MAX onto 0..=UMAX in order.
                let biased = (*self as $u) ^ (1 << ($bits - 1));
                biased.encode_key_part(out);
            }

            fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
                let biased = <$u>::decode_key_part(encoded).map_err(|_| KeyDecodeError::Invalid {
                    component: encoded.to_owned(),
                    expected: $expected,
                })?;
                Ok((biased ^ (1 << ($bits - 1))) as $t)
            }
        }
    )+};
}

signed_key_part! {
    i8 as u8 => 8, 3, "i8 (3 digits, biased)";
    i16 as u16 => 16, 5, "i16 (5 digits, biased)";
    i32 as u32 => 32, 10, "i32 (10 digits, biased)";
    i64 as u64 => 64, 20, "i64 (20 digits, biased)";
    i128 as u128 => 128, 39, "i128 (39 digits, biased)";
}

impl KeyPart for isize {
    const ENCODING: KeyEncoding = KeyEncoding::Signed {
        bits: 64,
        digits: 20,
    };

    fn encode_key_part(&self, out: &mut String) {
        (*self as i64).encode_key_part(out);
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        let value = i64::decode_key_part(encoded)?;
        isize::try_from(value).map_err(|_| KeyDecodeError::Invalid {
            component: encoded.to_owned(),
            expected: "isize (20 digits, biased, within this platform's range)",
        })
    }
}

#[cfg(feature = "uuid")]
impl KeyPart for uuid::Uuid {
    const ENCODING: KeyEncoding = KeyEncoding::Uuid;

    fn encode_key_part(&self, out: &mut String) {
        out.push_str(
            self.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        );
    }

    fn decode_key_part(encoded: &str) -> Result<Self, KeyDecodeError> {
        let invalid = || KeyDecodeError::Invalid {
            component: encoded.to_owned(),
            expected: "UUID (hyphenated, lower-case)",
        };
        let value = uuid::Uuid::try_parse(encoded).map_err(|_| invalid())?;
        let canonical = encoded.len() == 36 && !encoded.bytes().any(|b| b.is_ascii_uppercase());
        if canonical {
            Ok(value)
        } else {
            Err(invalid())
        }
    }
}
