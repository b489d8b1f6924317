//! Numbers as DynamoDB stores them: their significant digits and
//! magnitude, read from their decimal text written on the stack.

use std::fmt;
use std::fmt::Write as _;

use super::{NumberProblem, MAX_NUMBER_DIGITS};

/// A number, printed only to count its digits or report it.
#[derive(Clone, Copy)]
pub(super) enum NumberText {
    Int(i128),
    Uint(u128),
    F32(f32),
    F64(f64),
}

impl fmt::Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberText::Int(n) => write!(f, "{n}"),
            NumberText::Uint(n) => write!(f, "{n}"),
            NumberText::F32(n) => write!(f, "{n}"),
            NumberText::F64(n) => write!(f, "{n}"),
        }
    }
}

impl NumberText {
    /// DynamoDB's size of the number, or why it cannot be stored.
    ///
    /// DynamoDB pairs the significant digits on each side of the decimal
    /// point separately: 1 byte per two digits of the integer part, 1 per
    /// two of the fraction, 1 more, and 1 more when negative. So `12345` is
    /// 4 bytes, `1.5` is 3, `0.05` is 2 and `0` is 1. (AWS documents only
    /// "about 1 byte per two significant digits, plus 1"; this is the rule
    /// the dynoxide emulator captured from DynamoDB at the 400 KB edge.)
    pub(super) fn size(self) -> Result<usize, NumberProblem> {
        let (negative, int_digits, frac_digits) = match self {
            NumberText::Int(n) => (n < 0, integer_digits(n.unsigned_abs()), 0),
            NumberText::Uint(n) => (false, integer_digits(n), 0),
            NumberText::F32(n) if !n.is_finite() => return Err(NumberProblem::NotFinite),
            NumberText::F64(n) if !n.is_finite() => return Err(NumberProblem::NotFinite),
            NumberText::F32(n) => float_digits(format_args!("{n:e}"))?,
            NumberText::F64(n) => float_digits(format_args!("{n:e}"))?,
        };
        let digits = int_digits + frac_digits;
        if digits > MAX_NUMBER_DIGITS {
            return Err(NumberProblem::TooPrecise { digits });
        }
        Ok(int_digits.div_ceil(2)
            + frac_digits.div_ceil(2)
            + 1
            + usize::from(negative && digits > 0))
    }
}

/// Significant digits of an integer: trailing zeros do not count.
fn integer_digits(n: u128) -> usize {
    // Almost every stored integer fits a `u64`, whose division by ten is
    // a multiplication; a `u128`'s is a call into the runtime.
    if let Ok(mut n) = u64::try_from(n) {
        if n == 0 {
            return 0;
        }
        while n.is_multiple_of(10) {
            n /= 10;
        }
        return n.ilog10() as usize + 1;
    }
    let mut n = n;
    while n.is_multiple_of(10) {
        n /= 10;
    }
    n.ilog10() as usize + 1
}

/// Sign and significant digits before and after the decimal point of a
/// float's shortest round-trip text (`{:e}`, what serializers send),
/// checking DynamoDB's range.
fn float_digits(text: fmt::Arguments<'_>) -> Result<(bool, usize, usize), NumberProblem> {
    let mut buf = StackText::default();
    let _ = buf.write_fmt(text);
    let text = buf.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let negative = mantissa.starts_with('-');
    let digits: usize = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let significant = if mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        digits
    } else {
        0
    };
    if significant == 0 {
        return Ok((false, 0, 0));
    }
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-130..=125).contains(&exponent) {
        return Err(NumberProblem::OutOfRange);
    }
    // `d.ddde{exponent}` has `exponent + 1` digits before the point.
    let int_digits = usize::try_from(exponent + 1).unwrap_or(0).min(significant);
    Ok((negative, int_digits, significant - int_digits))
}

/// A small text buffer on the stack for formatting a float.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::integer_digits;

    /// The significant digits of `n`'s decimal text.
    fn counted(n: u128) -> usize {
        n.to_string().trim_end_matches('0').len()
    }

    #[test]
    fn integer_digits_count_the_text_with_and_without_u64() {
        let mut values = vec![0, 1, 9, 10, 12_300, 100_000_000_000_000_000_000];
        for p in 0..39 {
            let power = 10u128.pow(p);
            values.extend([power - 1, power, power + 1, power.saturating_mul(7)]);
        }
        values.extend([
            u128::from(u64::MAX) - 1,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ]);
        for n in values {
            assert_eq!(integer_digits(n), counted(n), "{n}");
        }
    }
}
