//! What the type system checks for the derive: every key field's type is a
//! key part, and the table the entity names lists it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// A `const _` block of assertions, each spanned at the type or table it
/// is about, so a failure points at the user's code.
pub(super) fn key_parts_and_table(
    ident: &syn::Ident,
    table: &syn::Path,
    key_types: &[&syn::Type],
) -> TokenStream {
    let key_part_asserts = key_types.iter().map(|ty| {
        quote_spanned! {ty.span()=>
            {
                fn key_part<T: ::blue_schema::KeyPart>() {}
                key_part::<#ty>();
            }
        }
    });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn key_parts_are_key_parts() {
                #(#key_part_asserts)*
            }
            impl ::blue_schema::__private::InTable<#table> for #ident {}
            fn table_lists_entity<T: ::blue_schema::__private::ListsEntity<#ident>>() {}
            #[allow(dead_code)]
            fn entity_is_listed() {
                table_lists_entity::<#table>();
            }
        };
    }
}
