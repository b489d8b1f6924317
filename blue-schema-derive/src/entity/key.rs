//! The key of an entity: `Entity::key(..)` and `Entity::query(..)`, which
//! encode key fields, and the `Entity` impl's `key` and `decode_key`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::template;
use crate::ast::{Entity, Field};

/// `fn key(..)` and `fn query(..)` of the entity's inherent impl: the
/// item's key from its key fields, and the start of a query of its
/// partition.
pub(super) fn key_functions(
    entity: &Entity,
    pk: &[&Field],
    sk: &[&Field],
    pk_prefix: &TokenStream,
    query_ident: &syn::Ident,
) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let name = ident.to_string();
    let table = entity.table.as_ref().expect("checked: the table is named");
    let prefix = entity
        .prefix
        .as_ref()
        .expect("checked: the prefix is given")
        .value();
    // Key functions take every key field as `impl AsKeyPart<T>`.
    let params = |fields: &[&Field]| -> Vec<TokenStream> {
        fields
            .iter()
            .map(|f| {
                let arg = f.ident;
                let ty = f.ty;
                quote!(#arg: impl ::blue_schema::AsKeyPart<#ty>)
            })
            .collect()
    };
    let pushes = |writer: &syn::Ident, fields: &[&Field]| -> Vec<TokenStream> {
        fields
            .iter()
            .map(|f| {
                let arg = f.ident;
                let ty = f.ty;
                quote!(#writer.push::<#ty>(&#arg);)
            })
            .collect()
    };
    let pk_w = format_ident!("__blue_pk");
    let sk_w = format_ident!("__blue_sk");
    let all: Vec<&Field> = pk.iter().chain(sk).copied().collect();
    let key_params = params(&all);
    let pk_params = params(pk);
    let pk_pushes = pushes(&pk_w, pk);
    let sk_pushes = pushes(&sk_w, sk);
    // A nested entity's writer also writes its parents' prefixes; an
    // entity of its own needs only its prefix.
    let sk_writer = if entity.parent.is_some() {
        quote!(::blue_schema::__private::KeyWriter::path(
            <Self as ::blue_schema::__private::EntityFacts>::SK_PATH,
        ))
    } else {
        quote!(::blue_schema::__private::KeyWriter::new(::std::option::Option::Some(#prefix)))
    };
    let pk_template = template(entity.pk_prefix.as_ref().map(|l| l.value()), pk);
    let key_doc = match &entity.parent {
        None => {
            let sk_template = template(Some(prefix.clone()), sk);
            format!("The key of the `{name}` item with these key fields: `{pk_template} | {sk_template}`.")
        }
        Some(parent) => format!(
            "The key of the `{name}` item with these key fields: partition `{pk_template}`, sort \
             key the key of its parent `{}` (from the first `#[sk]` fields), then `{prefix}` and \
             the others.",
            quote::ToTokens::to_token_stream(parent)
        ),
    };
    let query_doc = format!(
        "Starts a query of the `{name}` items in partition `{pk_template}`; fix sort-key \
         components in order with the returned [`{query_ident}`]."
    );

    quote! {
            #[doc = #key_doc]
            #vis fn key(#(#key_params),*) -> ::blue_schema::Key<Self> {
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#pk_prefix);
                #(#pk_pushes)*
                let mut __blue_sk = #sk_writer;
                #(#sk_pushes)*
                ::blue_schema::__private::key_from_encoded(__blue_pk.finish(), __blue_sk.finish())
            }

            #[doc = #query_doc]
            #vis fn query(#(#pk_params),*) -> #query_ident<0> {
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#pk_prefix);
                #(#pk_pushes)*
                #query_ident {
                    state: ::blue_schema::__private::SortKeyQuery::new(
                        <#table as ::blue_schema::__private::TableName>::NAME,
                        <#table as ::blue_schema::__private::TableName>::TTL,
                        __blue_pk.finish(),
                        <Self as ::blue_schema::__private::EntityFacts>::SK_PATH,
                    ),
                }
            }
    }
}

/// The `Entity` impl's `key(&self)` and `decode_key`, which reads key
/// fields back from an encoded key.
pub(super) fn entity_key_methods(
    pk: &[&Field],
    sk: &[&Field],
    prefix: &str,
    pk_prefix: &TokenStream,
    nested: bool,
) -> TokenStream {
    let self_key_args = pk.iter().chain(sk).map(|f| {
        let member = f.ident;
        quote!(&self.#member)
    });
    let decode = match (nested, pk.len() == 1) {
        (false, true) => {
            quote!(::blue_schema::__private::decode_key(partition_key, #pk_prefix, sort_key, #prefix))
        }
        (false, false) => quote!(::blue_schema::__private::decode_composite_key(
            partition_key, #pk_prefix, sort_key, #prefix
        )),
        // A nested entity's sort key holds its parents' prefixes too.
        (true, single) => {
            let path = quote!(<Self as ::blue_schema::__private::EntityFacts>::SK_PATH);
            if single {
                quote!(::blue_schema::__private::decode_path_key(
                    partition_key, #pk_prefix, sort_key, #path
                ).map(|((pk,), sk)| (pk, sk)))
            } else {
                quote!(::blue_schema::__private::decode_path_key(
                    partition_key, #pk_prefix, sort_key, #path
                ))
            }
        }
    };

    quote! {
        fn key(&self) -> ::blue_schema::Key<Self> {
            Self::key(#(#self_key_args),*)
        }

        fn decode_key(
            partition_key: &str,
            sort_key: &str,
        ) -> ::std::result::Result<(Self::PartitionKey, Self::SortKey), ::blue_schema::key::KeyDecodeError> {
            #decode
        }
    }
}
