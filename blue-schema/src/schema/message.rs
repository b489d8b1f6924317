//! Messages built in `const` evaluation: what the checks across entities
//! and collections panic with, naming values only the derives know.

/// A message of at most `N` bytes built in `const` context: what a table
/// check panics with, naming values only the entities' derives know. The
/// derive sizes `N` to its longest message.
pub struct ConstMessage<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> ConstMessage<N> {
    /// No message: the check passed.
    pub const EMPTY: Self = Self {
        bytes: [0; N],
        len: 0,
    };

    /// The message followed by `text`, cut at `N` bytes (at a character
    /// boundary).
    #[must_use]
    pub const fn push(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < N {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        if i < text.len() {
            // Cut: drop a character left in halves.
            while self.len > 0 && core::str::from_utf8(self.bytes.split_at(self.len).0).is_err() {
                self.len -= 1;
            }
        }
        self
    }

    /// The message followed by `n` in decimal.
    #[must_use]
    pub const fn push_number(self, n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut len = 0;
        let mut rest = n;
        loop {
            digits[digits.len() - 1 - len] = b'0' + (rest % 10) as u8;
            len += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        match core::str::from_utf8(digits.split_at(digits.len() - len).1) {
            Ok(text) => self.push(text),
            Err(_) => self,
        }
    }

    /// Whether there is no message.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            Err(_) => "",
        }
    }
}
