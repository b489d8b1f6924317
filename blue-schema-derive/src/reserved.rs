//! The attribute names the library writes on every item itself. This is the
//! one list: the derive refuses fields stored under these names, and the
//! runtime (through `__reserved_attributes!()`) refuses them in items that a
//! hand-written `Serialize` produces.

use proc_macro2::TokenStream;
use quote::quote;

/// Bookkeeping attributes: the key, when the item was written, and the
/// shape it was written in (`blue_schema::schema::SHAPE_ATTRIBUTE`), and
/// the mark of a backfill's write (`BACKFILL_ATTRIBUTE`).
pub const ATTRIBUTES: &[&str] = &[
    "pk",
    "sk",
    "created_at",
    "updated_at",
    "_shape",
    "_backfill",
];

/// Secondary-index key attributes are `gsi<N>` followed by one of these.
pub const INDEX_PREFIX: &str = "gsi";
pub const INDEX_SUFFIXES: &[&str] = &["pk", "sk", "_pk", "_sk"];

/// Whether `name` is one of [`ATTRIBUTES`] or an index key name
/// (`gsi1pk`, `gsi2_sk`...).
pub fn is_reserved(name: &str) -> bool {
    if ATTRIBUTES.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix(INDEX_PREFIX) else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && INDEX_SUFFIXES.contains(&&rest[digits..])
}

/// `(attributes, index prefix, index suffixes)` as a constant expression.
pub fn expand() -> TokenStream {
    let (attributes, prefix, suffixes) = (ATTRIBUTES, INDEX_PREFIX, INDEX_SUFFIXES);
    quote! {
        (
            &[#(#attributes),*] as &[&str],
            #prefix,
            &[#(#suffixes),*] as &[&str],
        )
    }
}
