//! `#[derive(Collection)]`: an enum of entities read together in one
//! query, ElectroDB's collections. Without `parent`, the collection is a
//! whole partition of its members' template; with `parent = Order`, it is
//! one `Order` item and the items nested under its sort key.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::ctxt::{self, Ctxt};

/// A parsed `#[derive(Collection)]` enum.
struct Collection<'a> {
    original: &'a DeriveInput,
    /// `#[collection(table = Shop)]`
    table: Option<syn::Path>,
    /// `#[collection(parent = Order)]`
    parent: Option<syn::Path>,
    /// `#[collection(index = gsi1)]`
    index: Option<Ident>,
    variants: Vec<(&'a Ident, &'a Type)>,
}

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let collection = parse(&mut cx, input);
    match cx.check() {
        Ok(()) => generate(&collection),
        Err(errors) => ctxt::to_compile_errors(errors),
    }
}

fn parse<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Collection<'a> {
    let mut table = None;
    let mut parent = None;
    let mut index: Option<Ident> = None;
    for a in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("collection"))
    {
        let parsed = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                table = Some(meta.value()?.parse::<syn::Path>()?);
                Ok(())
            } else if meta.path.is_ident("parent") {
                parent = Some(meta.value()?.parse::<syn::Path>()?);
                Ok(())
            } else if meta.path.is_ident("index") {
                index = Some(meta.value()?.parse::<Ident>()?);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `collection` attribute `{}`; expected `table = TableEnum`, \
                     `parent = Entity` or `index = gsiN`",
                    meta.path.to_token_stream()
                )))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    if let (Some(_), Some(index)) = (&parent, &index) {
        cx.error_spanned_by(
            index,
            "a collection reads a parent's range of the table or one partition of an index, \
             not both: drop `parent` or `index`",
        );
    }
    if let Some(slot) = &index {
        let name = slot.to_string();
        let valid = name
            .strip_prefix("gsi")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=20).contains(&n) && name == format!("gsi{n}"));
        if !valid {
            cx.error_spanned_by(
                slot,
                "an index is `gsi1` to `gsi20`, as the table declares it",
            );
        }
    }
    if table.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "name the collection's table: `#[collection(table = TableEnum)]`",
        );
    }
    let mut variants = Vec::new();
    match &input.data {
        Data::Enum(data) => {
            for variant in &data.variants {
                match &variant.fields {
                    Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                        variants.push((&variant.ident, &fields.unnamed[0].ty));
                    }
                    _ => cx.error_spanned_by(
                        variant,
                        format!(
                            "each variant of a collection holds exactly one entity: write `{0}({0})`",
                            variant.ident
                        ),
                    ),
                }
            }
            if data.variants.is_empty() {
                cx.error_spanned_by(
                    &input.ident,
                    "a collection needs at least one entity: add a variant `Entity(Entity)` per entity type",
                );
            }
        }
        _ => cx.error_spanned_by(
            &input.ident,
            "`#[derive(Collection)]` needs an enum with one variant per entity, e.g. \
             `enum CustomerItems { Customer(Customer), Order(Order) }`",
        ),
    }
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "a collection cannot be generic: it lists a fixed set of entity types",
        );
    }
    Collection {
        original: input,
        table,
        parent,
        index,
        variants,
    }
}

fn generate(collection: &Collection) -> TokenStream {
    let ident = &collection.original.ident;
    let rust_name = ident.to_string();
    let table = collection
        .table
        .as_ref()
        .expect("checked: the table is named");
    let variants = &collection.variants;
    let Some((_, first)) = variants.first() else {
        return TokenStream::new();
    };
    let facts =
        |ty: &Type| quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::EntityFacts>);
    let first_facts = facts(first);

    let names: Vec<String> = variants
        .iter()
        .map(|(_, ty)| ty.to_token_stream().to_string())
        .collect();
    let members = variants.iter().zip(&names).map(|((_, ty), name)| {
        quote_spanned!(ty.span()=> ::blue_schema::__private::member::<#ty>(#name))
    });
    let belongs = variants.iter().map(|(_, ty)| {
        let ty_facts = facts(ty);
        quote_spanned! {ty.span()=>
            {
                fn in_collection_table<E: ::blue_schema::__private::InCollectionTable<T>, T>() {}
                in_collection_table::<#ty, #table>();
                fn same_partition_key<K: ::blue_schema::__private::SamePartitionKey<F>, F>() {}
                same_partition_key::<#ty_facts::PartitionKey, #first_facts::PartitionKey>();
            }
        }
    });
    let longest = names.iter().map(String::len).max().unwrap_or(0);
    let message_len = 400 + 2 * longest + rust_name.len();
    let parent_path = match &collection.parent {
        Some(parent) => {
            let parent_name = parent.to_token_stream().to_string();
            quote!(::std::option::Option::Some((
                #parent_name,
                <#parent as ::blue_schema::__private::EntityFacts>::SK_PATH,
            )))
        }
        None => quote!(::std::option::Option::None),
    };
    let checks = variants.iter().enumerate().map(|(i, (_, ty))| {
        quote_spanned! {ty.span()=>
            const _: () = {
                let message = ::blue_schema::__private::collection_check::<#message_len>(
                    #rust_name,
                    #ident::__BLUE_MEMBERS,
                    #parent_path,
                    #i,
                );
                ::std::assert!(message.is_empty(), "{}", message.as_str());
            };
        }
    });
    let member_of = quote! {
        ::blue_schema::__private::member_of(
            #ident::__BLUE_MEMBERS,
            <#table as ::blue_schema::__private::TableName>::NESTED,
            sort_key,
        )
    };
    let what = format!("collection `{rust_name}`");
    let from_item = crate::table::enum_from_item(ident, variants, &member_of, &what);
    let query = query_fn(collection, &first_facts, first);
    let index_checks = index_checks(collection, &rust_name);
    let expiry = crate::table::enum_expiry(ident, variants);
    let uses_keys = collection.index.as_ref().map(|_| {
        quote!(
            const __USES_KEYS: bool = true;
        )
    });

    quote! {
        impl #ident {
            #[doc(hidden)]
            const __BLUE_MEMBERS: &'static [::blue_schema::__private::Member] = &[#(#members),*];

            #query
        }

        const _: () = {
            #[allow(dead_code)]
            fn entities_belong_here() {
                #(#belongs)*
            }
        };

        #(#checks)*

        #index_checks

        #from_item

        // An index collection tells its items apart by their table keys.
        impl ::blue_schema::__private::ReadHooks for #ident {
            #uses_keys

            #expiry
        }
    }
}

/// The marker type of index `gsiN`: `slot::GsiN`.
fn slot_marker(slot: &Ident) -> TokenStream {
    let name = slot.to_string();
    let marker = quote::format_ident!("Gsi{}", name.trim_start_matches("gsi"));
    quote!(::blue_schema::__private::slot::#marker)
}

/// For a collection on an index: every member has a pattern on it, with
/// the first's partition-key type and prefix, holding whole items.
fn index_checks(collection: &Collection, rust_name: &str) -> TokenStream {
    let Some(slot) = &collection.index else {
        return TokenStream::new();
    };
    let Some((_, first)) = collection.variants.first() else {
        return TokenStream::new();
    };
    let marker = slot_marker(slot);
    let index = slot.to_string();
    let first_name = first.to_token_stream().to_string();
    let pattern = |ty: &Type| quote_spanned!(ty.span()=> <#ty as ::blue_schema::__private::IndexPattern<#marker>>);
    let first_pattern = pattern(first);
    let each = collection.variants.iter().map(|(_, ty)| {
        let of = pattern(ty);
        let name = ty.to_token_stream().to_string();
        let message_len = 400 + 2 * name.len().max(first_name.len()) + rust_name.len();
        quote_spanned! {ty.span()=>
            const _: () = {
                #[allow(dead_code)]
                fn same_index_partition_key() {
                    fn same<K: ::blue_schema::__private::SameIndexPartitionKey<F>, F>() {}
                    same::<#of::PartitionKey, #first_pattern::PartitionKey>();
                }
                let message = ::blue_schema::__private::index_collection_check::<#message_len>(
                    #rust_name,
                    #index,
                    #name,
                    #first_name,
                    #of::PK_PREFIX,
                    #first_pattern::PK_PREFIX,
                    #of::WHOLE_ITEMS,
                );
                ::std::assert!(message.is_empty(), "{}", message.as_str());
            };
        }
    });
    quote!(#(#each)*)
}

/// `query(..)`: the whole partition, one parent item and what is nested
/// under it, or one partition of an index.
fn query_fn(collection: &Collection, first_facts: &TokenStream, first: &Type) -> TokenStream {
    let vis = &collection.original.vis;
    let rust_name = collection.original.ident.to_string();
    let table = collection
        .table
        .as_ref()
        .expect("checked: the table is named");
    if let Some(slot) = &collection.index {
        let marker = slot_marker(slot);
        let index = slot.to_string();
        let pattern = quote!(<#first as ::blue_schema::__private::IndexPattern<#marker>>);
        let doc = format!(
            "The query of one partition of index `{index}`: the `{rust_name}` entities' entries \
             with this index partition key, in index sort-key order (each entity's entries \
             together, by its prefix). Eventually consistent, as every index read."
        );
        return quote! {
            #[doc = #doc]
            #vis fn query(
                partition_key: impl ::blue_schema::AsKeyPart<#pattern::PartitionKey>,
            ) -> ::blue_schema::Query<Self> {
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#pattern::PK_PREFIX);
                __blue_pk.push::<#pattern::PartitionKey>(&partition_key);
                ::blue_schema::__private::index_partition_query(
                    &<#table as ::blue_schema::Table>::SCHEMA,
                    #index,
                    __blue_pk.finish(),
                )
            }
        };
    }
    match &collection.parent {
        None => {
            let doc = format!(
                "The query of a whole partition of the `{rust_name}` entities' template: every \
                 item of theirs, in sort-key order (items of other entities in the partition are \
                 skipped and counted in `Page::unknown`)."
            );
            quote! {
                #[doc = #doc]
                #vis fn query(
                    partition_key: impl ::blue_schema::AsKeyPart<#first_facts::PartitionKey>,
                ) -> ::blue_schema::Query<Self> {
                    let mut __blue_pk =
                        ::blue_schema::__private::KeyWriter::new(#first_facts::PK_PREFIX);
                    __blue_pk.push::<#first_facts::PartitionKey>(&partition_key);
                    ::blue_schema::__private::partition_query(
                        <#table as ::blue_schema::__private::TableName>::NAME,
                        <#table as ::blue_schema::__private::TableName>::TTL,
                        __blue_pk.finish(),
                    )
                }
            }
        }
        Some(parent) => {
            let doc = format!(
                "The query of one `{}` item and the `{rust_name}` items nested under its sort \
                 key, in sort-key order (the parent first), in one request per page.",
                parent.to_token_stream()
            );
            quote! {
                #[doc = #doc]
                #vis fn query(parent: ::blue_schema::Key<#parent>) -> ::blue_schema::Query<Self> {
                    ::blue_schema::__private::subtree_query(
                        <#table as ::blue_schema::__private::TableName>::NAME,
                        <#table as ::blue_schema::__private::TableName>::TTL,
                        parent,
                    )
                }
            }
        }
    }
}
