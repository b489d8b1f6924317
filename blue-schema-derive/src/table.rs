//! Code generation for `#[derive(Table)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Type};

use crate::ast::Table;
use crate::check;
use crate::ctxt::{self, Ctxt};

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let table = Table::from_ast(&mut cx, input);
    check::check_table(&mut cx, &table);
    match cx.check() {
        Ok(()) => generate(&table),
        Err(errors) => {
            let errors = ctxt::to_compile_errors(errors);
            let fallback = fallback(&table);
            quote!(#errors #fallback)
        }
    }
}

/// What the entities of a table whose derive failed need, so that its
/// mistakes are reported once: its name, and that it lists them.
fn fallback(table: &Table) -> TokenStream {
    let ident = &table.original.ident;
    if !table.is_enum || !table.original.generics.params.is_empty() {
        return TokenStream::new();
    }
    let name = table
        .name
        .as_ref()
        .map_or_else(String::new, |name| name.value());
    let lists = lists(ident, &table.variants);
    quote! {
        impl ::blue_schema::__private::TableName for #ident {
            const NAME: &'static str = #name;
        }
        #(#lists)*
    }
}

fn lists<'a>(
    ident: &'a Ident,
    variants: &'a [(&Ident, &Type)],
) -> impl Iterator<Item = TokenStream> + 'a {
    variants
        .iter()
        .map(move |(_, ty)| quote!(impl ::blue_schema::__private::ListsEntity<#ty> for #ident {}))
}

fn generate(table: &Table) -> TokenStream {
    let ident = &table.original.ident;
    let vis = &table.original.vis;
    let name = table.name.as_ref().expect("checked: the table is named");
    let rust_name = ident.to_string();
    let doc = &table.doc;
    let variants = &table.variants;
    let Some((_, first)) = variants.first() else {
        return TokenStream::new();
    };
    // Spanned at the variant, so that an error about an entity points at it.
    let facts =
        |ty: &Type| quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::EntityFacts>);

    let schemas = variants
        .iter()
        .map(|(_, ty)| quote!(&<#ty as ::blue_schema::Entity>::SCHEMA));
    // Assumed inside the impl, checked where it is used: an entity whose
    // own derive failed is reported there, not again here.
    let entity_bounds: Vec<TokenStream> = variants
        .iter()
        .map(|(_, ty)| quote!(for<'__blue> #ty: ::blue_schema::Entity,))
        .collect();
    let lists = lists(ident, variants);
    let first_facts = facts(first);
    let checks = membership_checks(table, &rust_name);
    let from_item = from_item_impl(ident, name, variants);
    let index_arms = variants.iter().map(|(_, ty)| {
        let test = names_sort_key(ty);
        quote! {
            if #test {
                return ::std::option::Option::Some(
                    ::blue_schema::__private::index_keys_of::<#ty>(partition_key, sort_key, item),
                );
            }
        }
    });
    let slots = table.indexes.iter().map(|slot| {
        let name = slot.to_string();
        let (pk_attribute, sk_attribute) = (format!("{name}pk"), format!("{name}sk"));
        let (pk_column, sk_column) = (format!("{name}_pk"), format!("{name}_sk"));
        quote! {
            ::blue_schema::schema::IndexSlot {
                name: #name,
                pk_attribute: #pk_attribute,
                sk_attribute: #sk_attribute,
                pk_column: #pk_column,
                sk_column: #sk_column,
            }
        }
    });

    let partition_doc = format!(
        "The query of a whole `{}` partition: every item, in sort-key order, as `{rust_name}` values.",
        name.value()
    );

    quote! {
        impl ::blue_schema::__private::TableName for #ident {
            const NAME: &'static str = #name;
        }

        impl ::blue_schema::Table for #ident where #(#entity_bounds)* {
            type PartitionKey = #first_facts::PartitionKey;
            const NAME: &'static str = #name;
            const SCHEMA: ::blue_schema::TableSchema = ::blue_schema::TableSchema {
                name: #name,
                rust_name: #rust_name,
                doc: #doc,
                entities: &[#(#schemas),*],
                indexes: &[#(#slots),*],
            };

            fn decode_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <Self as ::blue_schema::FromItem>::from_item(sort_key, item)
            }
        }

        impl ::blue_schema::__private::TableHooks for #ident where #(#entity_bounds)* {
            fn __index_keys_of(
                partition_key: &str,
                sort_key: &str,
                item: &::blue_schema::__private::serde_json::Value,
            ) -> ::std::option::Option<::std::result::Result<
                ::blue_schema::__private::KeysOfItem,
                ::blue_schema::__private::serde_json::Error,
            >> {
                let _ = (partition_key, item);
                #(#index_arms)*
                ::std::option::Option::None
            }
        }

        #from_item

        #(#lists)*

        #checks

        impl #ident {
            #[doc = #partition_doc]
            #vis fn partition(
                partition_key: impl ::blue_schema::AsKeyPart<#first_facts::PartitionKey>,
            ) -> ::blue_schema::Query<Self> {
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#first_facts::PK_PREFIX);
                __blue_pk.push::<#first_facts::PartitionKey>(&partition_key);
                ::blue_schema::__private::partition_query(#name, __blue_pk.finish())
            }
        }
    }
}

/// Rules across the entities that only their derives know the values of:
/// checked at compile time by `const` assertions, skipped for an entity
/// whose own derive failed.
fn const_checks(rust_name: &str, variants: &[(&Ident, &Type)]) -> Vec<TokenStream> {
    let Some((_, first)) = variants.first() else {
        return Vec::new();
    };
    let facts =
        |ty: &Type| quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::EntityFacts>);
    let mut checks = Vec::new();
    for (i, (_, a)) in variants.iter().enumerate() {
        let a_name = a.to_token_stream().to_string();
        let a_facts = facts(a);
        // The prefix names the item type in the sort key.
        for (_, b) in &variants[i + 1..] {
            let b_name = b.to_token_stream().to_string();
            let b_facts = facts(b);
            let message = format!(
                "entities `{a_name}` and `{b_name}` of table `{rust_name}` have the same sort-key prefix: \
                 the prefix names the item type, so each entity of a table needs its own `#[sk(prefix = \"...\")]`"
            );
            checks.push(quote_spanned! {b.span()=>
                const _: () = ::std::assert!(
                    !(#a_facts::VALID && #b_facts::VALID)
                        || !::blue_schema::__private::str_eq(#a_facts::PREFIX, #b_facts::PREFIX),
                    #message
                );
            });
        }
        // A whole-partition query reads every entity under one partition key.
        if i > 0 {
            let first_name = first.to_token_stream().to_string();
            let first_facts = facts(first);
            let message = format!(
                "entities `{first_name}` and `{a_name}` of table `{rust_name}` have different `pk_prefix`es: \
                 a whole-partition query reads every entity under one partition key, so they must agree"
            );
            checks.push(quote_spanned! {a.span()=>
                const _: () = ::std::assert!(
                    !(#first_facts::VALID && #a_facts::VALID)
                        || ::blue_schema::__private::opt_str_eq(#first_facts::PK_PREFIX, #a_facts::PK_PREFIX),
                    #message
                );
            });
        }
    }
    checks
}

/// The test of whether `sort_key` belongs to the entity `ty`.
fn names_sort_key(ty: &Type) -> TokenStream {
    let ty_facts = quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::EntityFacts>);
    quote! {
        ::blue_schema::__private::names_sort_key(#ty_facts::PREFIX, #ty_facts::SINGLETON, sort_key)
    }
}

/// `FromItem` of the table enum: the variant whose entity the sort key
/// names, or `None` for an item of no entity of the table.
fn from_item_impl(ident: &Ident, name: &syn::LitStr, variants: &[(&Ident, &Type)]) -> TokenStream {
    let known_arms = variants.iter().map(|(variant, ty)| {
        let test = names_sort_key(ty);
        quote! {
            if #test {
                return <#ty as ::blue_schema::__private::serde::Deserialize>::deserialize(item)
                    .map(|value| ::std::option::Option::Some(#ident::#variant(value)));
            }
        }
    });
    let recognized = variants.iter().map(|(_, ty)| names_sort_key(ty));
    quote! {
        impl ::blue_schema::FromItem for #ident {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // One prefix match, shared with the reads that skip unknown items.
                <Self as ::blue_schema::FromItem>::from_known_item(sort_key, item)?.ok_or_else(|| {
                    <D::Error as ::blue_schema::__private::serde::de::Error>::custom(
                        ::std::format_args!("sort key `{}` belongs to no entity of table `{}`", sort_key, #name),
                    )
                })
            }

            fn recognizes(sort_key: &str) -> bool {
                #(#recognized)||*
            }

            fn from_known_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<::std::option::Option<Self>, D::Error> {
                #(#known_arms)*
                ::std::result::Result::Ok(::std::option::Option::None)
            }
        }

        impl ::blue_schema::__private::ReadHooks for #ident {}
    }
}

/// That every entity names this table and shares its partition key, and
/// that the table declares every index its entities use: assertions
/// spanned at each variant.
fn membership_checks(table: &Table, rust_name: &str) -> TokenStream {
    let ident = &table.original.ident;
    let variants = &table.variants;
    let Some((_, first)) = variants.first() else {
        return TokenStream::new();
    };
    let facts =
        |ty: &Type| quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::EntityFacts>);
    let in_table = variants.iter().map(|(_, ty)| {
        quote_spanned! {ty.span()=>
            {
                fn in_table<E: ::blue_schema::__private::InTable<#ident>>() {}
                in_table::<#ty>();
            }
        }
    });
    let first_facts = facts(first);
    let same_pk = variants.iter().skip(1).map(|(_, ty)| {
        let ty_facts = facts(ty);
        quote_spanned! {ty.span()=>
            {
                fn same_partition_key<K: ::blue_schema::__private::SamePartitionKey<F>, F>() {}
                same_partition_key::<
                    #ty_facts::PartitionKey,
                    #first_facts::PartitionKey,
                >();
            }
        }
    });
    let slot_names: Vec<String> = table.indexes.iter().map(|s| s.to_string()).collect();
    let mut const_checks = const_checks(rust_name, variants);
    for (_, ty) in variants.iter() {
        let ty_facts = facts(ty);
        let entity = ty.to_token_stream().to_string();
        let message = format!(
            "`{entity}` has an access pattern on a secondary index that table `{rust_name}` does not declare: \
             list every index its entities use in `#[table(indexes(gsi1, ...))]` (declared: {})",
            if slot_names.is_empty() { "none".to_owned() } else { slot_names.join(", ") }
        );
        const_checks.push(quote_spanned! {ty.span()=>
            const _: () = ::std::assert!(
                !#ty_facts::VALID
                    || ::blue_schema::__private::all_declared(#ty_facts::INDEXES, &[#(#slot_names),*]),
                #message
            );
        });
    }
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn entities_belong_here() {
                #(#in_table)*
                #(#same_pk)*
            }
        };

        #(#const_checks)*
    }
}
