//! The rules of `#[derive(KeyPart)]` on enums and newtypes.

use crate::ast::KeyPart;
use crate::attr::EnumOrder;
use crate::ctxt::Ctxt;

/// Variants a key-part enum encodes by position: two digits.
pub(super) const MAX_POSITIONED_VARIANTS: usize = 100;

pub fn check_key_part(cx: &mut Ctxt, key_part: &KeyPart) {
    let input = key_part.original();
    // A key part's encoding is fixed per type.
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "a key part cannot be generic: its encoding is fixed per type",
        );
    }
    match key_part {
        KeyPart::Other { original } => cx.error_spanned_by(
            &original.ident,
            match &original.data {
                syn::Data::Struct(_) => {
                    "`#[derive(KeyPart)]` on a struct needs exactly one field (a newtype such as `struct ExpertName(String)`)"
                }
                _ => "`#[derive(KeyPart)]` works on unit-only enums and newtype structs",
            },
        ),
        KeyPart::Newtype {
            order: Some((_, lit)),
            ..
        } => cx.error_spanned_by(
            lit,
            "`order` applies to enums: a newtype is written, and ordered, as the value it wraps",
        ),
        KeyPart::Newtype { .. } => {}
        KeyPart::Enum {
            original,
            order,
            variants,
        } => {
            check_unit_variants(cx, original, variants);
            check_variant_names(cx, variants);
            check_variant_order(cx, order, variants);
        }
    }
}

// Variants with data have no single order-preserving string.
pub(super) fn check_unit_variants(
    cx: &mut Ctxt,
    original: &syn::DeriveInput,
    variants: &[(&syn::Variant, String)],
) {
    if variants.is_empty() {
        cx.error_spanned_by(
            &original.ident,
            "an enum without variants has no values to put in a key",
        );
    }
    for (variant, _) in variants {
        if !matches!(variant.fields, syn::Fields::Unit) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` holds data: only unit-only enums can be key parts; make the data its own `#[sk]` field",
                    variant.ident
                ),
            );
        }
    }
}

// Decoding a key must give back exactly one variant.
pub(super) fn check_variant_names(cx: &mut Ctxt, variants: &[(&syn::Variant, String)]) {
    for (i, (variant, name)) in variants.iter().enumerate() {
        if name.is_empty() {
            cx.error_spanned_by(variant, "a key-part variant needs a non-empty name");
        }
        if let Some((other, _)) = variants[..i].iter().find(|(_, n)| n == name) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` and `{}` are both named `{name}`: key parts must be injective",
                    variant.ident, other.ident
                ),
            );
        }
    }
}

// Keys sort byte by byte, and a range query on the enum (`priority_ge(..)`)
// selects by that order: it must be the order the variants are declared in,
// which is the order a derived `Ord` gives.
pub(super) fn check_variant_order(
    cx: &mut Ctxt,
    order: &Option<(EnumOrder, syn::LitStr)>,
    variants: &[(&syn::Variant, String)],
) {
    match order {
        Some((EnumOrder::Name, _)) => {}
        Some((EnumOrder::Declaration, lit)) => {
            if variants.len() > MAX_POSITIONED_VARIANTS {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`order = \"declaration\"` writes a two-digit position, so it takes at most \
                         {MAX_POSITIONED_VARIANTS} variants"
                    ),
                );
            }
        }
        None => {
            let stored = |name: &str| escaped(name);
            for pair in variants.windows(2) {
                let ((before, a), (after, b)) = (&pair[0], &pair[1]);
                if stored(a) >= stored(b) {
                    cx.error_spanned_by(
                        &after.ident,
                        format!(
                            "`{}` is declared after `{}`, but keys store variants by name and `{b}` sorts before `{a}`: \
                             range queries on this enum (`_lt`, `_ge`, ...) would follow the names, not the order \
                             you declared. Declare the variants in the order of their names, or add \
                             `#[key_part(order = \"declaration\")]` to store each variant's position before its \
                             name (`00-{}`, `01-{}`, ...), or `#[key_part(order = \"name\")]` to keep ordering by name",
                            after.ident,
                            before.ident,
                            variants[0].1,
                            variants.get(1).map_or("", |v| v.1.as_str())
                        ),
                    );
                    return;
                }
            }
        }
    }
}

/// A name as the key codec writes it: bytes up to `%` escaped as `%XX`.
pub(super) fn escaped(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for b in name.bytes() {
        if b <= b'%' {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}
