//! DynamoDB's expression language: conditions, filters and update clauses
//! written with placeholder names and values only, as every request of the
//! DynamoDB backend and every `explain()` prints them.

use std::fmt;

use serde_json::Value;

use crate::ops::cond::Cond;
use crate::schema::{SetKind, PARTITION_KEY};

/// A condition as DynamoDB's expression language writes it, with the
/// names and values in place: `(#n0 >= :v0)` becomes `score >= 3`.
pub(crate) fn describe(cond: &Cond) -> String {
    let mut expr = Expression::default();
    let mut text = expr.condition(cond);
    // Later placeholders first, so that `#n1` does not eat into `#n10`.
    for (placeholder, name) in expr.names.iter().rev() {
        text = text.replace(placeholder.as_str(), name);
    }
    for (placeholder, value) in expr.values.iter().rev() {
        let shown = match value {
            ExprValue::Json(v) => v.to_string(),
            ExprValue::Set(_, elements) => Value::Array(elements.clone()).to_string(),
        };
        text = text.replace(placeholder.as_str(), &shown);
    }
    text
}

/// A condition compiled for DynamoDB: the expression and its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expression {
    pub(crate) names: Vec<(String, String)>,
    pub(crate) values: Vec<(String, ExprValue)>,
}

impl Default for Expression {
    /// Room for what a write's expression usually holds (its attributes,
    /// the stamps, a check or two): growing from empty reallocated each
    /// list three times.
    fn default() -> Self {
        Expression {
            names: Vec::with_capacity(8),
            values: Vec::with_capacity(8),
        }
    }
}

/// A value of an expression: any JSON value, or a DynamoDB set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprValue {
    Json(Value),
    Set(SetKind, Vec<Value>),
}

/// `sigil` followed by `i` in decimal (`#n12`, `:a3`): a placeholder of an
/// expression, written without the formatting machinery (a request has a
/// few of them per attribute).
pub(crate) fn placeholder(sigil: &str, i: usize) -> String {
    let mut out = String::with_capacity(sigil.len() + 4);
    out.push_str(sigil);
    push_decimal(&mut out, i);
    out
}

fn push_decimal(out: &mut String, i: usize) {
    if i >= 10 {
        push_decimal(out, i / 10);
    }
    out.push(char::from(b'0' + (i % 10) as u8));
}

/// `i` in decimal, to a formatter (as [`push_decimal`] to a string).
fn write_decimal(f: &mut fmt::Formatter<'_>, i: usize) -> fmt::Result {
    use fmt::Write as _;
    if i >= 10 {
        write_decimal(f, i / 10)?;
    }
    f.write_char(char::from(b'0' + (i % 10) as u8))
}

/// A placeholder of an [`Expression`]: `#n3` for a name, `:v3` for a
/// value. Written with `Display`, without an allocation of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placeholder {
    sigil: &'static str,
    index: usize,
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sigil)?;
        // Digit by digit: `usize`'s own `Display` pads and signs, a third
        // of an update's formatting.
        write_decimal(f, self.index)
    }
}

impl Placeholder {
    /// Appends the placeholder to `out`, without the formatting machinery.
    pub(crate) fn push_to(self, out: &mut String) {
        out.push_str(self.sigil);
        push_decimal(out, self.index);
    }
}

/// A piece of an expression's text: words, or a placeholder.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Placeholder(Placeholder),
}

impl<'a> From<&'a str> for Piece<'a> {
    fn from(text: &'a str) -> Self {
        Piece::Text(text)
    }
}

impl From<Placeholder> for Piece<'_> {
    fn from(p: Placeholder) -> Self {
        Piece::Placeholder(p)
    }
}

/// Appends `pieces` to `out`: what `write!` would, at a fraction of the
/// cost (a request writes a few pieces per attribute and check).
pub(crate) fn push_pieces(out: &mut String, pieces: &[Piece<'_>]) {
    for piece in pieces {
        match *piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(p) => p.push_to(out),
        }
    }
}

/// `push_pieces(out, &[a, b, …])` with each piece converted.
macro_rules! push {
    ($out:expr, $($piece:expr),+ $(,)?) => {
        $crate::layout::expression::push_pieces($out, &[$($crate::layout::expression::Piece::from($piece)),+])
    };
}
// Named outside this module by the DynamoDB backend's update clauses.
#[cfg_attr(not(feature = "dynamodb"), allow(unused_imports))]
pub(crate) use push;

/// How tightly a condition binds, loosest first: DynamoDB reads `NOT`
/// before `AND` before `OR`, so a part needs parentheses only when it
/// binds more loosely than where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Binding {
    Or,
    And,
    Not,
    Atom,
}

fn binding(cond: &Cond) -> Binding {
    match cond {
        Cond::Or(..) => Binding::Or,
        Cond::And(..) => Binding::And,
        Cond::Not(_) => Binding::Not,
        Cond::Within {
            or_missing: true, ..
        } => Binding::Or,
        Cond::Within { .. } => Binding::And,
        _ => Binding::Atom,
    }
}

impl Expression {
    /// A placeholder for an attribute name, reused when the name repeats.
    pub(crate) fn name(&mut self, name: &str) -> Placeholder {
        let index = match self.names.iter().position(|(_, n)| n == name) {
            Some(index) => index,
            None => {
                let index = self.names.len();
                self.names.push((placeholder("#n", index), name.to_owned()));
                index
            }
        };
        Placeholder { sigil: "#n", index }
    }

    /// A placeholder for a value.
    pub(crate) fn value(&mut self, value: Value) -> Placeholder {
        self.push_value(ExprValue::Json(value))
    }

    /// A placeholder for a set of `kind` holding `elements` (not empty).
    pub(crate) fn set(&mut self, kind: SetKind, elements: Vec<Value>) -> Placeholder {
        self.push_value(ExprValue::Set(kind, elements))
    }

    fn push_value(&mut self, value: ExprValue) -> Placeholder {
        let p = Placeholder {
            sigil: ":v",
            index: self.values.len(),
        };
        self.values.push((placeholder(p.sigil, p.index), value));
        p
    }

    /// The condition as DynamoDB's condition expression.
    pub(crate) fn condition(&mut self, cond: &Cond) -> String {
        let mut out = String::with_capacity(128);
        self.write_condition(&mut out, cond);
        out
    }

    /// `parts` joined by `AND` (`None` when there are none): the
    /// DynamoDB backend's transactions.
    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn all_of<'c>(
        &mut self,
        parts: impl IntoIterator<Item = &'c Cond>,
    ) -> Option<String> {
        let mut parts = parts.into_iter();
        let first = parts.next()?;
        let mut out = String::with_capacity(128);
        self.write_part(&mut out, first, Binding::And);
        for part in parts {
            out.push_str(" AND ");
            self.write_part(&mut out, part, Binding::And);
        }
        Some(out)
    }

    /// Writes `cond` in parentheses when it binds more loosely than `at`.
    fn write_part(&mut self, out: &mut String, cond: &Cond, at: Binding) {
        if binding(cond) < at {
            out.push('(');
            self.write_condition(out, cond);
            out.push(')');
        } else {
            self.write_condition(out, cond);
        }
    }

    fn write_condition(&mut self, out: &mut String, cond: &Cond) {
        match cond {
            // The key attribute by its name, without a placeholder (`pk`
            // is no DynamoDB reserved word): one name fewer to send, hash
            // and parse in nearly every write.
            Cond::ItemExists(true) => push!(out, "attribute_exists(", PARTITION_KEY, ")"),
            Cond::ItemExists(false) => push!(out, "attribute_not_exists(", PARTITION_KEY, ")"),
            Cond::Exists(n, true) => push!(out, "attribute_exists(", self.name(n), ")"),
            Cond::Exists(n, false) => push!(out, "attribute_not_exists(", self.name(n), ")"),
            Cond::Cmp(n, op, v) => {
                let n = self.name(n);
                let v = self.value(v.clone());
                push!(out, n, " ", op.symbol(), " ", v);
            }
            Cond::Between(n, lo, hi) => {
                let n = self.name(n);
                let lo = self.value(lo.clone());
                let hi = self.value(hi.clone());
                push!(out, n, " BETWEEN ", lo, " AND ", hi);
            }
            Cond::In(n, values) => {
                let n = self.name(n);
                push!(out, n, " IN (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.value(v.clone()).push_to(out);
                }
                out.push(')');
            }
            Cond::BeginsWith(n, p) => {
                let n = self.name(n);
                let p = self.value(Value::String(p.clone()));
                push!(out, "begins_with(", n, ", ", p, ")");
            }
            Cond::Contains(n, v) => {
                let n = self.name(n);
                let v = self.value(v.clone());
                push!(out, "contains(", n, ", ", v, ")");
            }
            Cond::Size(n, op, s) => {
                let n = self.name(n);
                let s = self.value(Value::from(*s));
                push!(out, "size(", n, ") ", op.symbol(), " ", s);
            }
            // Two comparisons rather than `BETWEEN`: the same on DynamoDB,
            // and moto (whose `BETWEEN` is false for every item) then runs
            // updates too.
            Cond::Within {
                name,
                lo,
                hi,
                or_missing,
            } => {
                let n = self.name(name);
                let lo = self.value(lo.clone());
                let hi = self.value(hi.clone());
                if *or_missing {
                    push!(out, "attribute_not_exists(", n, ") OR ");
                }
                push!(out, n, " >= ", lo, " AND ", n, " <= ", hi);
            }
            Cond::SetEq(n, kind, elements) => {
                let n = self.name(n);
                let v = self.set(*kind, elements.clone());
                push!(out, n, " = ", v);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                let (word, at) = match cond {
                    Cond::And(..) => (" AND ", Binding::And),
                    _ => (" OR ", Binding::Or),
                };
                self.write_part(out, a, at);
                out.push_str(word);
                self.write_part(out, b, at);
            }
            Cond::Not(a) => {
                out.push_str("NOT ");
                // `NOT NOT a` and `NOT a AND b` read badly: only an atom
                // goes without parentheses.
                self.write_part(out, a, Binding::Atom);
            }
            // Refused before any request is made.
            Cond::Invalid(_) => out.push_str("attribute_not_exists(invalid)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::ops::cond::CmpOp;

    fn cmp(name: &'static str) -> Cond {
        Cond::Cmp(Cow::Borrowed(name), CmpOp::Eq, Value::from(1))
    }

    fn text(cond: &Cond) -> String {
        Expression::default().condition(cond)
    }

    fn and(a: Cond, b: Cond) -> Cond {
        Cond::And(Box::new(a), Box::new(b))
    }

    fn or(a: Cond, b: Cond) -> Cond {
        Cond::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Cond) -> Cond {
        Cond::Not(Box::new(a))
    }

    #[test]
    fn only_the_parentheses_precedence_needs() {
        assert_eq!(
            text(&and(or(cmp("a"), cmp("b")), cmp("c"))),
            "(#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"
        );
        assert_eq!(
            text(&or(and(cmp("a"), cmp("b")), cmp("c"))),
            "#n0 = :v0 AND #n1 = :v1 OR #n2 = :v2"
        );
        assert_eq!(
            text(&and(cmp("a"), and(cmp("b"), cmp("c")))),
            "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2"
        );
        assert_eq!(
            text(&not(and(cmp("a"), cmp("b")))),
            "NOT (#n0 = :v0 AND #n1 = :v1)"
        );
        assert_eq!(text(&not(not(cmp("a")))), "NOT (NOT #n0 = :v0)");
        assert_eq!(
            text(&and(not(cmp("a")), or(cmp("a"), Cond::ItemExists(true)))),
            "NOT #n0 = :v0 AND (#n0 = :v1 OR attribute_exists(pk))"
        );
    }

    #[test]
    fn all_of_joins_parts_with_and() {
        let mut expr = Expression::default();
        let parts = [Cond::ItemExists(true), or(cmp("a"), cmp("b"))];
        assert_eq!(
            expr.all_of(&parts).as_deref(),
            Some("attribute_exists(pk) AND (#n0 = :v0 OR #n1 = :v1)")
        );
        assert_eq!(expr.all_of(&[]), None);
        // The key attribute goes without a placeholder.
        assert_eq!(expr.names[0], ("#n0".to_owned(), "a".to_owned()));
    }

    #[test]
    fn placeholders_count_in_decimal() {
        for index in [0, 7, 10, 15, 16, 99, 1234, usize::MAX] {
            for sigil in ["#n", ":v", "#a"] {
                let p = Placeholder { sigil, index };
                assert_eq!(p.to_string(), format!("{sigil}{index}"));
                let mut pushed = String::new();
                p.push_to(&mut pushed);
                assert_eq!(pushed, format!("{sigil}{index}"));
                assert_eq!(placeholder(sigil, index), format!("{sigil}{index}"));
            }
        }
        assert_eq!(placeholder("#n", 0), "#n0");
        assert_eq!(placeholder(":v", 9), ":v9");
        assert_eq!(placeholder("#a", 10), "#a10");
        assert_eq!(placeholder("#r", 1234), "#r1234");
    }
}
