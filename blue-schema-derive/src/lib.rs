//! The derive macros of [blue-schema](https://docs.rs/blue-schema); use them
//! through its re-exports (`blue_schema::{Entity, Table, KeyPart}`), which are
//! documented there.
//!
//! Every derive has the same stages, one module each: attributes into typed
//! values (`attr`), a typed description of the input (`ast`), the
//! portability rules over it (`check`), and code generation (`entity`,
//! `table`, `key_part`). Problems are collected in a `ctxt::Ctxt` so the user
//! sees all of them at once, each spanned at the token to change. A derive
//! that fails still emits a fallback impl (the facts other derives check,
//! an `Entity` whose key functions are never reached, or a `KeyPart` that
//! does nothing), so that one mistake gives one error: the derive fuzz
//! (`src/fuzz`, and the compiled batch `tests/derive_fuzz.rs`) holds every
//! derive to that, and to never panicking.

mod ast;
mod attr;
mod case;
mod check;
mod collection;
mod ctxt;
mod entity;
mod index_attr;
mod key_part;
mod reserved;
mod shape;
mod symbol;
mod table;
mod text;

#[cfg(test)]
mod fuzz;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// See `blue_schema::Entity`.
#[proc_macro_derive(Entity, attributes(entity, pk, sk, version, set, index, ttl, unique))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity::expand(&input).into()
}

/// See `blue_schema::Shape`.
#[proc_macro_derive(
    Shape,
    attributes(shape, pk, sk, version, set, index, ttl, unique, entity)
)]
pub fn derive_shape(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    shape::expand(&input).into()
}

/// See `blue_schema::Table`.
#[proc_macro_derive(Table, attributes(table))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    table::expand(&input).into()
}

/// See `blue_schema::Collection`.
#[proc_macro_derive(Collection, attributes(collection))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    collection::expand(&input).into()
}

/// See `blue_schema::KeyPart`.
#[proc_macro_derive(KeyPart, attributes(key_part, serde))]
pub fn derive_key_part(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    key_part::expand(&input).into()
}

/// The attribute names the library reserves, for the runtime's own checks;
/// not part of the public API.
#[doc(hidden)]
#[proc_macro]
pub fn __reserved_attributes(_input: TokenStream) -> TokenStream {
    reserved::expand().into()
}
