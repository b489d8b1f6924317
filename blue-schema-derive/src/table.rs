//! `#[derive(Table)]`: reading the enum, its rules, and code generation.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Type};

use crate::attr::{self, Attr};
use crate::ctxt::Ctxt;
use crate::symbol::*;

struct Table<'a> {
    original: &'a DeriveInput,
    name: LitStr,
    variants: Vec<(&'a syn::Ident, &'a Type)>,
}

pub fn expand(input: &DeriveInput) -> Result<TokenStream, Vec<syn::Error>> {
    let mut cx = Ctxt::new();
    let table = from_ast(&mut cx, input);
    cx.check()?;
    let table = table.expect("from_ast reports an error whenever it returns None");
    Ok(generate(&table))
}

fn from_ast<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Table<'a>> {
    let mut name = Attr::none(NAME);
    for attr in input.attrs.iter().filter(|a| a.path() == TABLE) {
        // #[table(name = "blue_dialogue")]
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path == NAME {
                let lit = attr::get_lit_str(&meta)?;
                name.set(cx, &meta.path, lit);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `table` attribute `{}`; expected `name = \"blue_domain\"`",
                    meta.path.to_token_stream()
                )))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "a table cannot be generic: it lists a fixed set of entity types",
        );
    }

    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "`#[derive(Table)]` needs an enum with one variant per entity, e.g. `enum Dialogue { Meta(DialogueMeta), Expert(Expert) }`",
        );
        return None;
    };
    if data.variants.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            "a table needs at least one entity: add a variant `Entity(Entity)` per entity type",
        );
    }
    let mut variants = Vec::new();
    for variant in &data.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let ty = &fields.unnamed[0].ty;
                let same = |(_, other): &(&syn::Ident, &Type)| {
                    other.to_token_stream().to_string() == ty.to_token_stream().to_string()
                };
                if variants.iter().any(same) {
                    cx.error_spanned_by(
                        ty,
                        "this entity is already listed: each entity appears in its table once",
                    );
                } else {
                    variants.push((&variant.ident, ty));
                }
            }
            _ => cx.error_spanned_by(
                variant,
                format!(
                    "each variant of a table holds exactly one entity: write `{0}({0})`",
                    variant.ident
                ),
            ),
        }
    }

    let Some(name) = name.get() else {
        cx.error_spanned_by(
            &input.ident,
            format!(
                "`{}` does not name its table: add `#[table(name = \"blue_{}\")]`",
                input.ident,
                input.ident.to_string().to_lowercase()
            ),
        );
        return None;
    };
    if let Some(problem) = table_name_problem(&name.value()) {
        cx.error_spanned_by(&name, problem);
    }
    Some(Table {
        original: input,
        name,
        variants,
    })
}

// DynamoDB table names are 3 to 255 characters of [A-Za-z0-9_.-]; the same
// name is the SQLite table, so it must be valid for both.
fn table_name_problem(name: &str) -> Option<String> {
    if name.len() < 3 || name.len() > 255 {
        return Some(format!(
            "the table name {name:?} is {} characters long; DynamoDB table names have 3 to 255",
            name.len()
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map(|c| {
            format!(
                "`{c}` cannot appear in the table name {name:?}: DynamoDB table names use A-Z, a-z, 0-9, `_`, `.` and `-`"
            )
        })
}

fn generate(table: &Table) -> TokenStream {
    let ident = &table.original.ident;
    let vis = &table.original.vis;
    let name = &table.name;
    let rust_name = ident.to_string();
    let doc = attr::doc(&table.original.attrs);
    let Some((_, first)) = table.variants.first() else {
        return TokenStream::new();
    };

    let schemas = table
        .variants
        .iter()
        .map(|(_, ty)| quote!(&<#ty as ::blue_schema::Entity>::SCHEMA));
    let lists = table
        .variants
        .iter()
        .map(|(_, ty)| quote!(impl ::blue_schema::__private::ListsEntity<#ty> for #ident {}));
    let in_table = table.variants.iter().map(|(_, ty)| {
        quote_spanned! {ty.span()=>
            {
                fn in_table<E: ::blue_schema::__private::InTable<#ident>>() {}
                in_table::<#ty>();
            }
        }
    });
    let same_pk = table.variants.iter().skip(1).map(|(_, ty)| {
        quote_spanned! {ty.span()=>
            {
                fn same_partition_key<K: ::blue_schema::__private::SamePartitionKey<F>, F>() {}
                same_partition_key::<
                    <#ty as ::blue_schema::Entity>::PartitionKey,
                    <#first as ::blue_schema::Entity>::PartitionKey,
                >();
            }
        }
    });
    let mut const_checks = Vec::new();
    for (i, (_, a)) in table.variants.iter().enumerate() {
        let a_name = a.to_token_stream().to_string();
        for (_, b) in &table.variants[i + 1..] {
            let b_name = b.to_token_stream().to_string();
            let message = format!(
                "entities `{a_name}` and `{b_name}` of table `{rust_name}` have the same sort-key prefix: \
                 the prefix names the item type, so each entity of a table needs its own `#[sk(prefix = \"...\")]`"
            );
            const_checks.push(quote_spanned! {b.span()=>
                const _: () = ::std::assert!(
                    !::blue_schema::__private::str_eq(
                        <#a as ::blue_schema::Entity>::SCHEMA.prefix,
                        <#b as ::blue_schema::Entity>::SCHEMA.prefix,
                    ),
                    #message
                );
            });
        }
        if i > 0 {
            let first_name = first.to_token_stream().to_string();
            let message = format!(
                "entities `{first_name}` and `{a_name}` of table `{rust_name}` have different `pk_prefix`es: \
                 a whole-partition query reads every entity under one partition key, so they must agree"
            );
            const_checks.push(quote_spanned! {a.span()=>
                const _: () = ::std::assert!(
                    ::blue_schema::__private::opt_str_eq(
                        <#first as ::blue_schema::Entity>::SCHEMA.pk_prefix,
                        <#a as ::blue_schema::Entity>::SCHEMA.pk_prefix,
                    ),
                    #message
                );
            });
        }
    }
    let decode_arms = table.variants.iter().map(|(variant, ty)| {
        quote! {
            if <#ty as ::blue_schema::Entity>::SCHEMA.names_sort_key(sort_key) {
                return <#ty as ::blue_schema::__private::serde::Deserialize>::deserialize(item)
                    .map(#ident::#variant);
            }
        }
    });
    let partition_doc = format!(
        "The query of a whole `{}` partition: every item, in sort-key order, as `{rust_name}` values.",
        name.value()
    );

    quote! {
        impl ::blue_schema::Table for #ident {
            type PartitionKey = <#first as ::blue_schema::Entity>::PartitionKey;
            const NAME: &'static str = #name;
            const SCHEMA: ::blue_schema::TableSchema = ::blue_schema::TableSchema {
                name: #name,
                rust_name: #rust_name,
                doc: #doc,
                entities: &[#(#schemas),*],
            };

            fn decode_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                #(#decode_arms)*
                ::std::result::Result::Err(<D::Error as ::blue_schema::__private::serde::de::Error>::custom(
                    ::std::format_args!("sort key `{}` belongs to no entity of table `{}`", sort_key, #name),
                ))
            }
        }

        impl ::blue_schema::FromItem for #ident {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <Self as ::blue_schema::Table>::decode_item(sort_key, item)
            }
        }

        #(#lists)*

        const _: () = {
            #[allow(dead_code)]
            fn entities_belong_here() {
                #(#in_table)*
                #(#same_pk)*
            }
        };

        #(#const_checks)*

        impl #ident {
            #[doc = #partition_doc]
            #vis fn partition(
                partition_key: impl ::blue_schema::AsKeyPart<<Self as ::blue_schema::Table>::PartitionKey>,
            ) -> ::blue_schema::Query<Self> {
                let mut __blue_pk = ::blue_schema::key::KeyWriter::new(
                    <#first as ::blue_schema::Entity>::SCHEMA.pk_prefix,
                );
                __blue_pk.push::<<Self as ::blue_schema::Table>::PartitionKey>(&partition_key);
                ::blue_schema::__private::partition_query(#name, __blue_pk.finish())
            }
        }
    }
}
