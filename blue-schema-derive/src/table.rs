//! Code generation for `#[derive(Table)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
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
    // An entity listed twice (one of the mistakes reported) is listed
    // once here, so that the report is that mistake and not a conflict
    // between two of these impls.
    let once: Vec<(&Ident, &Type)> = table
        .variants
        .iter()
        .zip(table.listed_before())
        .filter(|(_, again)| !again)
        .map(|(variant, _)| *variant)
        .collect();
    let lists = lists(ident, &once);
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
    let ttl = match &table.ttl {
        Some(lit) => quote!(::std::option::Option::Some(#lit)),
        None => quote!(::std::option::Option::None),
    };
    let stream = table.stream;
    let streamed = stream.then(|| {
        quote! {
            impl ::blue_schema::feed::Streamed for #ident where #(#entity_bounds)* {}
        }
    });
    let member_of = member_of(ident);
    let backfill = backfill_impl(ident, variants, &entity_bounds);
    // The read of an item, and its write back by a backfill.
    let from_item = from_item_impl(ident, name, variants);
    let from_item = quote!(#from_item #backfill);
    let index_arms = variants.iter().enumerate().map(|(i, (_, ty))| {
        quote! {
            ::std::option::Option::Some(#i) => ::std::option::Option::Some(
                ::blue_schema::__private::index_keys_of::<#ty>(partition_key, sort_key, item),
            ),
        }
    });
    let slots = table.indexes.iter().map(index_slot);

    let partition_doc = format!(
        "The query of a whole `{}` partition: every item, in sort-key order, as `{rust_name}` \
         values.\n\nFor a table whose entities share one partition template (one \
         `pk_prefix`); a table with several is read one template at a time, with a \
         `#[derive(Collection)]` enum of the entities that live there: calling this on \
         it is a compile error.",
        name.value()
    );
    let several_templates = format!(
        "table `{rust_name}` has several partition templates (`pk_prefix`es), so \
         `{rust_name}::partition` cannot know which one a key is for: read a partition with \
         a `#[derive(Collection)]` enum of the entities that live there"
    );

    quote! {
        impl ::blue_schema::__private::TableName for #ident {
            const NAME: &'static str = #name;
            const TTL: ::std::option::Option<&'static str> = #ttl;
            const STREAM: bool = #stream;
            const NESTED: bool = ::blue_schema::__private::any_nested(
                <#ident as ::blue_schema::__private::TableMembers>::MEMBERS,
            );
        }

        #streamed

        impl ::blue_schema::Table for #ident where #(#entity_bounds)* {
            type PartitionKey = #first_facts::PartitionKey;
            const NAME: &'static str = #name;
            const SCHEMA: ::blue_schema::TableSchema = ::blue_schema::TableSchema {
                name: #name,
                rust_name: #rust_name,
                doc: #doc,
                entities: &[#(#schemas),*],
                indexes: &[#(#slots),*],
                ttl: #ttl,
                stream: #stream,
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
                match #member_of {
                    #(#index_arms)*
                    _ => ::std::option::Option::None,
                }
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
                const {
                    ::std::assert!(
                        ::blue_schema::__private::one_partition_template(
                            <#ident as ::blue_schema::__private::TableMembers>::MEMBERS,
                        ),
                        #several_templates,
                    )
                };
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#first_facts::PK_PREFIX);
                __blue_pk.push::<#first_facts::PartitionKey>(&partition_key);
                ::blue_schema::__private::partition_query(#name, #ttl, __blue_pk.finish())
            }
        }
    }
}

/// The position of the entity that `sort_key` belongs to among the
/// table's members, an `Option<usize>`.
fn member_of(ident: &Ident) -> TokenStream {
    quote! {
        ::blue_schema::__private::member_of(
            <#ident as ::blue_schema::__private::TableMembers>::MEMBERS,
            <#ident as ::blue_schema::__private::TableName>::NESTED,
            sort_key,
        )
    }
}

/// `FromItem` of the table enum: the variant whose entity the sort key
/// names, or `None` for an item of no entity of the table.
fn from_item_impl(ident: &Ident, name: &syn::LitStr, variants: &[(&Ident, &Type)]) -> TokenStream {
    let expiry = enum_expiry(ident, variants);
    let from_item = enum_from_item(
        ident,
        variants,
        &member_of(ident),
        &format!("table `{}`", name.value()),
    );
    quote! {
        #from_item

        impl ::blue_schema::__private::ReadHooks for #ident {
            #expiry
        }
    }
}

/// The read hooks of an enum of entities: its variant's expiry, and its
/// members' shapes.
pub(crate) fn enum_expiry(ident: &Ident, variants: &[(&Ident, &Type)]) -> TokenStream {
    let arms = variants.iter().map(|(variant, ty)| {
        quote! {
            #ident::#variant(item) => <#ty as ::blue_schema::__private::ReadHooks>::__expiry(item),
        }
    });
    let types = variants.iter().map(|(_, ty)| ty);
    let owners = types.clone();
    quote! {
        const __KNOWS_EXPIRY: bool = true;

        #[inline]
        fn __expiry(&self) -> ::std::option::Option<u64> {
            match self {
                #(#arms)*
            }
        }

        const __SHAPED: bool = false #(|| <#types as ::blue_schema::__private::ReadHooks>::__SHAPED)*;

        fn __shape_owner(sort_key: &str) -> ::std::option::Option<&'static str> {
            #(
                if let ::std::option::Option::Some(owner) =
                    <#owners as ::blue_schema::__private::ReadHooks>::__shape_owner(sort_key)
                {
                    return ::std::option::Option::Some(owner);
                }
            )*
            ::std::option::Option::None
        }
    }
}

/// `FromItem` of an enum of entities (a table's, or a collection's): the
/// variant of the entity at the position `member_of` (an
/// `Option<usize>` expression of `sort_key`) gives, or `None`; `what`
/// names the enum in the error for an item of none of them.
pub(crate) fn enum_from_item(
    ident: &Ident,
    variants: &[(&Ident, &Type)],
    member_of: &TokenStream,
    what: &str,
) -> TokenStream {
    let known_arms = variants.iter().enumerate().map(|(i, (variant, ty))| {
        quote! {
            ::std::option::Option::Some(#i) => {
                // Through the entity's own decoder, which upgrades an item
                // of an older shape.
                <#ty as ::blue_schema::FromItem>::from_item(sort_key, item)
                    .map(|value| ::std::option::Option::Some(#ident::#variant(value)))
            }
        }
    });
    // An item still under the old key of a moving entity is that entity's.
    let moved = variants
        .iter()
        .map(|(_, ty)| quote!(<#ty as ::blue_schema::__private::EntityFacts>::MOVED_FROM));
    let member_of = quote! {
        #member_of.or_else(|| ::blue_schema::__private::moved_member(&[#(#moved),*], sort_key))
    };
    quote! {
        impl ::blue_schema::FromItem for #ident {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // One match, shared with the reads that skip unknown items.
                <Self as ::blue_schema::FromItem>::from_known_item(sort_key, item)?.ok_or_else(|| {
                    <D::Error as ::blue_schema::__private::serde::de::Error>::custom(
                        ::std::format_args!("sort key `{}` belongs to no entity of {}", sort_key, #what),
                    )
                })
            }

            fn recognizes(sort_key: &str) -> bool {
                #member_of.is_some()
            }

            fn from_known_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                sort_key: &str,
                item: D,
            ) -> ::std::result::Result<::std::option::Option<Self>, D::Error> {
                match #member_of {
                    #(#known_arms)*
                    _ => ::std::result::Result::Ok(::std::option::Option::None),
                }
            }
        }
    }
}

/// That every entity names this table and shares its partition key, and
/// that the table declares every index its entities use: assertions
/// spanned at each variant.
fn membership_checks(table: &Table, rust_name: &str) -> TokenStream {
    let ident = &table.original.ident;
    let variants = &table.variants;
    if variants.is_empty() {
        return TokenStream::new();
    }
    let in_table = variants.iter().map(|(_, ty)| {
        quote_spanned! {ty.span()=>
            {
                fn in_table<E: ::blue_schema::__private::InTable<#ident>>() {}
                in_table::<#ty>();
            }
        }
    });
    // The rules across entities (distinct prefixes, prefixed partition
    // templates, declared indexes): one `const` assertion per entity, spanned at its
    // variant, over the members the table lists; the pairs are compared in
    // `const` evaluation, so the expansion grows linearly.
    let slot_names: Vec<String> = table.indexes.iter().map(|s| s.to_string()).collect();
    let ttl = match &table.ttl {
        Some(lit) => quote!(::std::option::Option::Some(#lit)),
        None => quote!(::std::option::Option::None),
    };
    let names = &table.type_names;
    let members = variants.iter().zip(names).map(|((_, ty), name)| {
        quote_spanned!(ty.span()=> ::blue_schema::__private::member::<#ty>(#name))
    });
    // The longest message: fixed text, two entity names, the table's name
    // and the declared indexes.
    let longest = names.iter().map(String::len).max().unwrap_or(0);
    let message_len =
        500 + 2 * longest + rust_name.len() + slot_names.iter().map(|s| s.len() + 2).sum::<usize>();
    let member_checks = variants.iter().enumerate().map(|(i, (_, ty))| {
        quote_spanned! {ty.span()=>
            const _: () = {
                let message = ::blue_schema::__private::member_check::<#message_len>(
                    #rust_name,
                    <#ident as ::blue_schema::__private::TableMembers>::MEMBERS,
                    <#ident as ::blue_schema::__private::TableMembers>::DECLARED,
                    <#ident as ::blue_schema::__private::TableMembers>::TTL,
                    #i,
                );
                ::std::assert!(message.is_empty(), "{}", message.as_str());
            };
        }
    });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn entities_belong_here() {
                #(#in_table)*
            }
        };

        impl ::blue_schema::__private::TableMembers for #ident {
            const MEMBERS: &'static [::blue_schema::__private::Member] = &[#(#members),*];
            const DECLARED: &'static [&'static str] = &[#(#slot_names),*];
            const TTL: ::std::option::Option<&'static str> = #ttl;
        }

        #(#member_checks)*
    }
}

/// `Backfill`: a decoded item written back by its entity's own rewrite.
fn backfill_impl(
    ident: &Ident,
    variants: &[(&Ident, &Type)],
    entity_bounds: &[TokenStream],
) -> TokenStream {
    let rewrite_arms = variants.iter().map(|(variant, _)| {
        quote! {
            Self::#variant(item) => ::blue_schema::migrate::rewrite(store, item, image),
        }
    });
    let move_arms = variants.iter().map(|(_, ty)| {
        quote! {
            if prefix == <#ty as ::blue_schema::Entity>::SCHEMA.prefix {
                return ::blue_schema::migrate::move_item::<#ty>(
                    store, partition_key, sort_key, image, stamps,
                );
            }
        }
    });
    quote! {
        impl ::blue_schema::migrate::Backfill for #ident where #(#entity_bounds)* {
            fn __move<'a>(
                store: &'a ::blue_schema::Store,
                prefix: &'static str,
                partition_key: ::std::string::String,
                sort_key: ::std::string::String,
                image: ::blue_schema::__private::serde_json::Map<
                    ::std::string::String,
                    ::blue_schema::__private::serde_json::Value,
                >,
                stamps: (::std::string::String, ::std::string::String),
            ) -> ::blue_schema::store::BoxFuture<
                'a,
                ::std::result::Result<::blue_schema::migrate::Rewritten, ::blue_schema::Error>,
            > {
                #(#move_arms)*
                ::std::unreachable!("a backfill moves the items of the table's own entities")
            }

            fn __rewrite<'a>(
                self,
                store: &'a ::blue_schema::Store,
                image: ::blue_schema::__private::serde_json::Map<
                    ::std::string::String,
                    ::blue_schema::__private::serde_json::Value,
                >,
            ) -> ::blue_schema::store::BoxFuture<
                'a,
                ::std::result::Result<::blue_schema::migrate::Rewritten, ::blue_schema::Error>,
            > {
                match self {
                    #(#rewrite_arms)*
                }
            }
        }

    }
}

/// The `IndexSlot` of a physical index the table declares.
fn index_slot(slot: &Ident) -> TokenStream {
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
}
