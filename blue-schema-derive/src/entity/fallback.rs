//! What an entity whose derive failed still gives the rest of the program.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::tuple_or_single;
use crate::ast::Entity;
use crate::attr::KeyRole;

/// What the rest of the program needs of an entity whose derive failed, so
/// that its mistakes are reported once: the facts a table checks, with
/// `VALID = false` to turn those checks off, membership of any table, the
/// read hooks of the enums that list it, and an `Entity` impl whose key
/// functions are never reached (the crate does not compile), so that the
/// table's impls and the code that uses the entity raise nothing more.
/// Made from the input alone when it is not even a struct with named
/// fields; generic when the struct is (itself a mistake).
pub(super) fn fallback(input: &DeriveInput, entity: Option<&Entity>) -> TokenStream {
    let ident = &input.ident;
    let pk_type = match entity {
        Some(entity) => tuple_or_single(&entity.key_fields(KeyRole::Partition).collect::<Vec<_>>()),
        None => quote!(()),
    };
    let table = match entity.and_then(|e| e.table.as_ref()) {
        Some(table) => quote!(#table),
        None => quote!(()),
    };
    let name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut in_table = input.generics.clone();
    in_table
        .params
        .push(syn::parse_quote!(__BlueTable: ?::std::marker::Sized));
    let (in_table_generics, _, _) = in_table.split_for_impl();
    // A generic struct is an entity where its serde impls hold; a plain one
    // needs them anyway (a successful derive's impl does too).
    let entity_bounds = if input.generics.params.is_empty() {
        quote!(#where_clause)
    } else {
        let mut clause = input
            .generics
            .where_clause
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(where));
        clause.predicates.push(syn::parse_quote!(
            Self: ::blue_schema::__private::serde::Serialize
                + ::blue_schema::__private::serde::de::DeserializeOwned
                + ::std::marker::Send
                + 'static
        ));
        quote!(#clause)
    };
    quote! {
        impl #in_table_generics ::blue_schema::__private::InTable<__BlueTable> for #ident #ty_generics #where_clause {}
        impl #impl_generics ::blue_schema::__private::EntityFacts for #ident #ty_generics #where_clause {
            type PartitionKey = #pk_type;
            const PREFIX: &'static str = "";
            const PK_PREFIX: ::std::option::Option<&'static str> = ::std::option::Option::None;
            const PK_TYPE: &'static str = "";
            const SINGLETON: bool = false;
            const VALID: bool = false;
            const SK_PATH: &'static ::blue_schema::__private::SortKeyPath =
                &::blue_schema::__private::SortKeyPath::root("", 0);
        }
        // What a table's or collection's reads ask of their members.
        impl #impl_generics ::blue_schema::__private::ReadHooks for #ident #ty_generics #where_clause {}
        impl #impl_generics ::blue_schema::__private::EntityHooks for #ident #ty_generics #where_clause {}
        impl #impl_generics ::blue_schema::FromItem for #ident #ty_generics #where_clause {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                _sort_key: &str,
                _item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                ::std::result::Result::Err(
                    <D::Error as ::blue_schema::__private::serde::de::Error>::custom(
                        "the entity's derive failed",
                    ),
                )
            }
        }
        impl #impl_generics ::blue_schema::Entity for #ident #ty_generics #entity_bounds {
            type Table = #table;
            type PartitionKey = #pk_type;
            type SortKey = ();
            const SCHEMA: ::blue_schema::EntitySchema =
                ::blue_schema::__private::failed_entity_schema(#name);
            fn key(&self) -> ::blue_schema::Key<Self> {
                ::std::unreachable!("the derive of this entity failed")
            }
            fn decode_key(
                _partition_key: &str,
                _sort_key: &str,
            ) -> ::std::result::Result<(Self::PartitionKey, Self::SortKey), ::blue_schema::key::KeyDecodeError> {
                ::std::unreachable!("the derive of this entity failed")
            }
        }
    }
}
