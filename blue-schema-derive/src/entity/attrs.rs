//! `{Entity}Attr`, the typed attributes that conditions and updates are
//! written with, and `Entity::attr()`.

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens as _};

use crate::ast::{option_inner, Entity, Field};

/// The attribute struct, and the `attr()` function for the entity's
/// inherent impl; `indexed` says whether a data field is part of an index
/// key.
pub(super) fn attrs(
    entity: &Entity,
    indexed: &dyn Fn(&Field) -> bool,
) -> (TokenStream, TokenStream) {
    let attr_fields: Vec<&Field> = entity
        .fields
        .iter()
        .filter(|f| f.skip.is_none() && f.flatten.is_none())
        .collect();
    attr_struct(entity, entity.ident, &attr_fields, indexed)
}

/// The attribute struct `{owner}Attr` of `attr_fields`, and the `attr()`
/// function for `owner`'s inherent impl: an entity's, or a view's (its
/// projected attributes, which its query's filter is written with).
pub(super) fn attr_struct(
    entity: &Entity,
    ident: &syn::Ident,
    attr_fields: &[&Field],
    indexed: &dyn Fn(&Field) -> bool,
) -> (TokenStream, TokenStream) {
    let vis = &entity.original.vis;
    let name = ident.to_string();
    let attrs_ident = format_ident!("{}Attr", ident);
    // The fields and their initializers, one per stored attribute, are
    // written as text the compiler lexes once (`crate::text`): the
    // struct's bulk, and nothing in it carries a span of the user's code
    // that a message would show.
    let mut defs = String::with_capacity(160 * attr_fields.len());
    let mut inits = String::with_capacity(64 * attr_fields.len());
    for f in attr_fields {
        let member = f.ident.to_string();
        let (value, presence) = match (f.role, f.version.is_some(), option_inner(f.ty)) {
            (Some(_), _, _) => (f.ty, "KeyField"),
            (None, true, _) => (f.ty, "VersionField"),
            (None, false, _) if f.set.is_some() => (f.ty, "SetField"),
            (None, false, Some(inner)) if indexed(f) => (inner, "OptionalIndexKey"),
            (None, false, None) if indexed(f) => (f.ty, "IndexKey"),
            (None, false, Some(inner)) => (inner, "Optional"),
            (None, false, None) => (f.ty, "Required"),
        };
        let value = value.to_token_stream().to_string();
        let attribute = &f.attribute;
        let doc = format!("The stored attribute `{attribute}`.");
        let _ = writeln!(
            defs,
            "#[doc = {doc:?}] pub {member}: ::blue_schema::write::Attr<{name}, {value}, ::blue_schema::write::{presence}>,"
        );
        let _ = writeln!(
            inits,
            "{member}: ::blue_schema::__private::attr({attribute:?}),"
        );
    }
    let attr_defs = crate::text::tokens(&defs);
    let attr_inits = crate::text::tokens(&inits);
    let attrs_doc = format!(
        "The stored attributes of `{name}`, typed: what conditions and updates are written with. Made by [`{name}::attr`]."
    );
    let attr_fn_doc = format!(
        "The stored attributes of `{name}`, for conditions (`{name}::attr().field.eq(..)`) and updates."
    );

    let definition = quote! {
        #[doc = #attrs_doc]
        #[derive(::std::fmt::Debug, ::std::marker::Copy)]
        #[allow(missing_docs)]
        #vis struct #attrs_ident {
            #attr_defs
        }

        // A copy: derived, `Clone` would assert each field's type.
        impl ::std::clone::Clone for #attrs_ident {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }
    };
    let function = quote! {
        #[doc = #attr_fn_doc]
        #[inline]
        #vis const fn attr() -> #attrs_ident {
            #attrs_ident { #attr_inits }
        }
    };
    (definition, function)
}
