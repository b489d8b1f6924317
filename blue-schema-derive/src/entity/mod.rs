//! Code generation for `#[derive(Entity)]`.

use index::{index_code, IndexCode};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{option_inner, Entity, Field};
use crate::attr::KeyRole;
use crate::check;
use crate::ctxt::{self, Ctxt};

mod asserts;
mod attrs;
mod fallback;
mod index;
mod index_query;
mod key;
mod query;
mod schema;
pub(crate) mod unique;
mod view;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let entity = Entity::from_ast(&mut cx, input);
    if let Some(entity) = &entity {
        check::check_entity(&mut cx, entity);
        let number = entity
            .shape
            .as_ref()
            .and_then(|lit| crate::shape::shape_number(&mut cx, lit));
        let shape_span = entity
            .shape
            .as_ref()
            .map_or(entity.ident.span(), Spanned::span);
        let at = syn::Ident::new(&entity.ident.to_string(), shape_span);
        crate::shape::check_from(
            &mut cx,
            Some(number.unwrap_or(1)),
            entity.from.as_ref(),
            &at,
        );
    }
    match (cx.check(), entity) {
        (Ok(()), Some(entity)) => generate(&entity),
        (Err(errors), entity) => {
            let errors = ctxt::to_compile_errors(errors);
            let fallback = fallback::fallback(input, entity.as_ref());
            quote!(#errors #fallback)
        }
        (Ok(()), None) => unreachable!("from_ast reports an error whenever it returns None"),
    }
}

fn generate(entity: &Entity) -> TokenStream {
    let ident = entity.ident;
    let table = entity.table.as_ref().expect("checked: the table is named");
    let prefix = entity
        .prefix
        .as_ref()
        .expect("checked: the prefix is given")
        .value();
    let pk_prefix = option_tokens(entity.pk_prefix.as_ref());
    let pk: Vec<&Field> = entity.key_fields(KeyRole::Partition).collect();
    let sk: Vec<&Field> = entity.key_fields(KeyRole::Sort).collect();
    let query_ident = format_ident!("{}Query", ident);

    let patterns = index_patterns(entity);
    let indexed = |f: &Field| is_indexed(&patterns, f);
    // Each field once, however many patterns it is in: one mistake, one error.
    let index_types: Vec<&syn::Type> = entity
        .fields
        .iter()
        .filter(|f| indexed(f))
        .map(key_type)
        .collect();
    let mut key_types: Vec<&syn::Type> = pk.iter().chain(&sk).map(|f| f.ty).collect();
    key_types.extend(index_types.iter().copied());
    let unique = unique::code(entity);
    // A unique field's value is written into its marker's key.
    key_types.extend(
        unique
            .fields
            .iter()
            .filter(|f| !indexed(f))
            .map(|f| key_type(f)),
    );

    let IndexCode {
        schemas: index_schemas,
        slots: index_slots,
        projections: index_projections,
        attribute_slots,
        keys_fn: index_keys_fn,
        items: index_items,
    } = index_code(entity, &patterns, table, &prefix, &pk, &sk);
    let pk_type = tuple_or_single(&pk);
    let pk_type_name = type_name(&pk_type);
    let sk_types = sk.iter().map(|f| f.ty);
    let sk_type = quote!((#(#sk_types,)*));
    let singleton = sk.is_empty();
    let asserts = asserts::key_parts_and_table(ident, table, &key_types);
    let schema = schema::entity_schema(
        entity,
        &pk,
        &sk,
        &pk_prefix,
        &index_schemas,
        &unique.schemas,
    );
    let version_fn = version_fn(entity);
    let Ttl {
        attribute: ttl_attribute,
        expiry_fn,
        stored_attributes,
    } = ttl(entity);
    let batch_writable = batch_writable(entity);

    let key_methods =
        key::entity_key_methods(&pk, &sk, &prefix, &pk_prefix, entity.parent.is_some());
    let sk_count = sk.len();
    let sk_path = match &entity.parent {
        None => quote!(&::blue_schema::__private::SortKeyPath::root(#prefix, #sk_count)),
        Some(parent) => quote!(&::blue_schema::__private::SortKeyPath::nested(
            <#parent as ::blue_schema::__private::EntityFacts>::SK_PATH,
            #prefix,
            #sk_count,
        )),
    };
    let nesting = nesting_checks(entity, &pk_type, &sk_type, &pk_prefix);
    let from_item = from_item_impl(ident, table, &entity_shape(entity));
    let read_hooks = read_hooks_impl(entity, table, expiry_fn);
    let bounds = key_part_type_bounds(&key_types);
    let (attrs, attr_fn) = attrs::attrs(entity, &indexed);
    let key_functions = key::key_functions(entity, &pk, &sk, &pk_prefix, &query_ident);
    let sk_keyed: Vec<(&Field, &syn::Type)> = sk.iter().map(|f| (*f, f.ty)).collect();
    let builder = query::table_query_builder(entity, &query_ident, &sk_keyed);

    let moved_from = moved_from_fact(entity);
    let unique_values_fn = &unique.values_fn;
    let unique_impls = &unique.impls;
    quote! {
        #asserts

        impl ::blue_schema::__private::EntityFacts for #ident {
            type PartitionKey = #pk_type;
            const PREFIX: &'static str = #prefix;
            const PK_PREFIX: ::std::option::Option<&'static str> = #pk_prefix;
            const PK_TYPE: &'static str = #pk_type_name;
            const SINGLETON: bool = #singleton;
            const VALID: bool = true;
            const INDEXES: &'static [&'static str] = &[#(#index_slots),*];
            const PROJECTIONS: &'static [::blue_schema::schema::Projection] = &[#(#index_projections),*];
            const ATTRIBUTE_INDEXES: &'static [&'static str] = &[#(#attribute_slots),*];
            const SK_PATH: &'static ::blue_schema::__private::SortKeyPath = #sk_path;
            const TTL: ::std::option::Option<&'static str> = #ttl_attribute;
            const ATTRIBUTES: &'static [&'static str] = &[#(#stored_attributes),*];
            #moved_from
        }

        #nesting

        impl ::blue_schema::Entity for #ident #bounds {
            type Table = #table;
            type PartitionKey = #pk_type;
            type SortKey = #sk_type;

            const SCHEMA: ::blue_schema::EntitySchema = #schema;

            #key_methods
        }

        impl ::blue_schema::__private::EntityHooks for #ident #bounds {
            #version_fn

            #index_keys_fn

            #unique_values_fn
        }

        #from_item

        #read_hooks

        #batch_writable

        #unique_impls

        #attrs

        impl #ident {
            #attr_fn

            #key_functions
        }

        #builder

        #index_items
    }
}

/// `BatchWritable` for an entity without a `#[version]` field.
fn batch_writable(entity: &Entity) -> Option<TokenStream> {
    let ident = entity.ident;
    entity
        .fields
        .iter()
        .all(|f| f.version.is_none())
        .then(|| quote!(impl ::blue_schema::__private::BatchWritable for #ident {}))
}

/// `Some(value)` or `None`, as tokens.
fn option_tokens(value: Option<&syn::LitStr>) -> TokenStream {
    match value {
        Some(lit) => quote!(::std::option::Option::Some(#lit)),
        None => quote!(::std::option::Option::None),
    }
}

/// `EntityHooks`' version accessors, for an entity with a `#[version]` field.
fn version_fn(entity: &Entity) -> Option<TokenStream> {
    entity.fields.iter().find(|f| f.version.is_some()).map(|f| {
        let member = f.ident;
        quote! {
            #[inline]
            fn __version(&self) -> u64 {
                self.#member
            }

            #[inline]
            fn __set_version(&mut self, version: u64) {
                self.#member = version;
            }
        }
    })
}

/// `FromItem`: the item deserialized as the entity (through its older
/// shapes, when it has some, whose links are checked here too). In a table with nested
/// entities a parent's range holds its children's items, which its own
/// queries skip by the shape of their sort keys.
fn from_item_impl(ident: &syn::Ident, table: &syn::Path, shape: &EntityShape) -> TokenStream {
    let decode = &shape.decode;
    let shape_checks = &shape.checks;
    quote! {
        #shape_checks

        impl ::blue_schema::FromItem for #ident {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                _sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                #decode
            }

            // An index read that needs no table keys passes none: its items
            // are all the entity's own.
            #[inline]
            fn recognizes(sort_key: &str) -> bool {
                !<#table as ::blue_schema::__private::TableName>::NESTED
                    || sort_key.is_empty()
                    || <Self as ::blue_schema::__private::EntityFacts>::SK_PATH.names(sort_key)
            }
        }
    }
}

/// `ReadHooks`: when the item expires, whether a count counts every item
/// its queries evaluate (no entity nests under it in its table), and, for
/// an entity with older shapes, that queries count its items per stored
/// shape.
fn read_hooks_impl(
    entity: &Entity,
    table: &syn::Path,
    expiry_fn: Option<TokenStream>,
) -> TokenStream {
    let ident = entity.ident;
    let shape_hooks = entity.from.as_ref().map(|_| {
        let name = entity.ident.to_string();
        quote! {
            const __SHAPED: bool = true;

            #[inline]
            fn __shape_owner(sort_key: &str) -> ::std::option::Option<&'static str> {
                let facts = <Self as ::blue_schema::__private::EntityFacts>::SK_PATH;
                (sort_key.is_empty() || facts.names(sort_key)).then_some(#name)
            }
        }
    });
    quote! {
        impl ::blue_schema::__private::ReadHooks for #ident {
            const __KNOWS_EXPIRY: bool = true;
            const __COUNTS_ALL: bool = !<#table as ::blue_schema::__private::TableName>::NESTED;

            #expiry_fn

            #shape_hooks
        }
    }
}

/// `EntityFacts::MOVED_FROM` of an entity with older shapes (which may
/// declare the key its items had): what its table's reads and checks use.
fn moved_from_fact(entity: &Entity) -> Option<TokenStream> {
    entity.from.as_ref().map(|_| {
        quote! {
            const MOVED_FROM: ::std::option::Option<&'static ::blue_schema::schema::ShapeKey> =
                <Self as ::blue_schema::Entity>::SCHEMA.moved_from();
        }
    })
}

/// What an entity's shape adds: its schema fields, how an item decodes,
/// and the checks of its link to the previous shape.
pub(super) struct EntityShape {
    /// `shape: N, previous_shape: ...` of its `EntitySchema`.
    pub(super) schema: TokenStream,
    decode: TokenStream,
    checks: TokenStream,
}

pub(super) fn entity_shape(entity: &Entity) -> EntityShape {
    let number = entity
        .shape
        .as_ref()
        .and_then(|lit| lit.base10_parse::<u32>().ok())
        .unwrap_or(1);
    match &entity.from {
        Some(from) => {
            let ident = entity.ident;
            EntityShape {
                schema: quote! {
                    shape: #number,
                    previous_shape: ::std::option::Option::Some(
                        &<#from as ::blue_schema::Shape>::SCHEMA
                    ),
                },
                // Only the path is spanned at `from` (a missing conversion
                // is reported there): the arguments are this expansion's
                // own variables, whatever macro wrote `from`.
                decode: {
                    let decode = quote_spanned! {from.span()=>
                        ::blue_schema::__private::decode_entity::<D, Self, #from>
                    };
                    quote!(#decode(#number, item))
                },
                checks: {
                    let links = crate::shape::link_checks(
                        from,
                        &quote!(#ident),
                        number,
                        &ident.to_string(),
                    );
                    // Spanned at `from`: the shapes declare the old key.
                    let problem = quote_spanned! {from.span()=>
                        const _: () = {
                            let problem = ::blue_schema::__private::key_move_problem(
                                &<#ident as ::blue_schema::Entity>::SCHEMA,
                            );
                            if !problem.is_empty() {
                                ::std::panic!("{}", problem.as_str());
                            }
                        };
                    };
                    quote!(#links #problem)
                },
            }
        }
        None => EntityShape {
            schema: quote!(shape: 1, previous_shape: ::std::option::Option::None,),
            decode: quote! {
                <Self as ::blue_schema::__private::serde::Deserialize>::deserialize(item)
            },
            checks: TokenStream::new(),
        },
    }
}

/// For an entity nested under a parent: that the parent is an entity of
/// the same table, with the same partition key and `pk_prefix`, and that
/// the entity's first `#[sk]` fields are the parent's, spanned at the
/// `parent = ...` path.
fn nesting_checks(
    entity: &Entity,
    pk_type: &TokenStream,
    sk_type: &TokenStream,
    pk_prefix: &TokenStream,
) -> TokenStream {
    let Some(parent) = &entity.parent else {
        return TokenStream::new();
    };
    let table = entity.table.as_ref().expect("checked: the table is named");
    let name = entity.ident.to_string();
    let parent_name = parent.to_token_stream().to_string();
    let sk_count = entity.key_fields(KeyRole::Sort).count();
    let message_len = 300 + name.len() + parent_name.len();
    let span = parent.span();
    let facts = quote_spanned!(span=> <#parent as ::blue_schema::__private::EntityFacts>);
    quote_spanned! {span=>
        const _: () = {
            let message = ::blue_schema::__private::nesting_check::<#message_len>(
                #name,
                #parent_name,
                #facts::VALID,
                #facts::SK_PATH,
                #facts::PK_PREFIX,
                #pk_prefix,
                #sk_count,
            );
            ::std::assert!(message.is_empty(), "{}", message.as_str());
        };

        const _: () = {
            #[allow(dead_code)]
            fn nested_under_its_parent() {
                fn in_table<E: ::blue_schema::__private::InCollectionTable<T>, T>() {}
                in_table::<#parent, #table>();
                fn same_partition_key<K: ::blue_schema::__private::SamePartitionKey<F>, F>() {}
                same_partition_key::<#pk_type, <#parent as ::blue_schema::Entity>::PartitionKey>();
                fn nested_sort_key<S: ::blue_schema::__private::NestedSortKey<P>, P>() {}
                nested_sort_key::<#sk_type, <#parent as ::blue_schema::Entity>::SortKey>();
            }
        };
    }
}

/// A type as a user wrote it, for messages and for comparing the partition
/// keys of entities: `(String, u16)`. (Key types are paths and tuples of
/// paths, whose tokens need no space between them.)
fn type_name(ty: &TokenStream) -> String {
    let text: String = ty.to_string().chars().filter(|c| *c != ' ').collect();
    text.replace(",)", ")").replace(',', ", ")
}

/// [`tuple_or_single`] of types.
pub(super) fn tuple_or_single_types(types: &[&syn::Type]) -> TokenStream {
    if types.len() == 1 {
        quote!(#(#types)*)
    } else {
        quote!((#(#types,)*))
    }
}

pub(super) fn tuple_or_single(fields: &[&Field]) -> TokenStream {
    let types = fields.iter().map(|f| f.ty);
    if fields.len() == 1 {
        quote!(#(#types)*)
    } else {
        quote!((#(#types,)*))
    }
}

/// `where for<'__blue> T: KeyPart, ...` for the key field types (and index field types): a bound the
/// compiler assumes inside the item and checks only where the item is used
/// (a bound without a higher-ranked lifetime would be checked here, once
/// per item). A key field that is not a key part is then reported once, by
/// the assertion the expansion makes about it.
pub(super) fn key_part_type_bounds(types: &[&syn::Type]) -> TokenStream {
    // Each type once: `String` for two fields is one bound.
    let mut seen = std::collections::HashSet::new();
    let types = types
        .iter()
        .filter(|ty| seen.insert(ty.to_token_stream().to_string()));
    quote!(where #(for<'__blue> #types: ::blue_schema::KeyPart,)*)
}

pub(super) fn template(prefix: Option<String>, fields: &[&Field]) -> String {
    let mut out = prefix.unwrap_or_default();
    for f in fields {
        if !out.is_empty() {
            out.push('#');
        }
        out.push('{');
        out.push_str(&f.name);
        out.push('}');
    }
    out
}

/// An access pattern with its fields found.
pub(super) struct Pattern<'e, 'a> {
    decl: &'e crate::attr::Index,
    slot: String,
    name: syn::Ident,
    pk: Vec<&'e Field<'a>>,
    sk: Vec<&'e Field<'a>>,
    /// `attributes`: the index's keys are the fields themselves.
    native: bool,
}

impl<'e, 'a> Pattern<'e, 'a> {
    fn fields(&self) -> impl Iterator<Item = &'e Field<'a>> + '_ {
        self.pk.iter().chain(&self.sk).copied()
    }

    /// Whether every field is a table-key field: the index key never changes.
    fn is_fixed(&self) -> bool {
        self.fields().all(|f| f.role.is_some())
    }
}

/// The entity's access patterns (its checks passed: every field exists).
pub(super) fn index_patterns<'e, 'a>(entity: &'e Entity<'a>) -> Vec<Pattern<'e, 'a>> {
    let find = |ident: &syn::Ident| entity.field(ident).expect("checked: the field exists");
    entity
        .indexes
        .iter()
        .map(|decl| Pattern {
            decl,
            slot: decl.slot.as_ref().expect("checked").to_string(),
            name: decl.name.clone().expect("checked"),
            pk: decl.pk_fields.iter().map(find).collect(),
            sk: decl.sk_fields.iter().map(find).collect(),
            native: decl.attributes.is_some(),
        })
        .collect()
}

/// Whether a data field is part of a composed index key (`set_index` alone
/// changes it; a multi-attribute key's fields are plain attributes).
pub(super) fn is_indexed(patterns: &[Pattern], f: &Field) -> bool {
    f.role.is_none()
        && patterns
            .iter()
            .filter(|p| !p.native)
            .any(|p| p.fields().any(|g| g.name == f.name))
}

/// The type a field is encoded as in a key: `T` for `Option<T>`.
pub(super) fn key_type<'a>(field: &Field<'a>) -> &'a syn::Type {
    option_inner(field.ty).unwrap_or(field.ty)
}

pub(super) fn pascal(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The struct `set_index` takes for a pattern: `ExpertByRole`.
pub(super) fn fields_struct_name(entity: &syn::Ident, pattern: &Pattern) -> syn::Ident {
    format_ident!("{}{}", entity, pascal(&pattern.name.to_string()))
}

/// What an entity's `#[ttl]` field adds: the attribute it is stored under,
/// and the hook that reads it (which checks its type).
struct Ttl {
    attribute: TokenStream,
    expiry_fn: Option<TokenStream>,
    /// The data fields' attributes, which the table checks against its
    /// TTL attribute.
    stored_attributes: Vec<String>,
}

fn ttl(entity: &Entity) -> Ttl {
    let ttl_field = entity.fields.iter().find(|f| f.ttl.is_some());
    // The hook reads the field as an `Expiry`: a type that is none is
    // reported once, where the user wrote it.
    let expiry_fn = ttl_field.map(|f| {
        let member = f.ident;
        let ty = f.ty;
        let read = quote_spanned! {ty.span()=>
            <#ty as ::blue_schema::ttl::Expiry>::epoch_seconds(&self.#member)
        };
        quote! {
            #[inline]
            fn __expiry(&self) -> ::std::option::Option<u64> {
                #read
            }
        }
    });
    let ttl_attribute = match ttl_field {
        Some(f) => {
            let a = &f.attribute;
            quote!(::std::option::Option::Some(#a))
        }
        None => quote!(::std::option::Option::None),
    };
    let stored_attributes = entity
        .fields
        .iter()
        .filter(|f| f.skip.is_none() && f.role.is_none())
        .map(|f| f.attribute.clone())
        .collect();
    Ttl {
        attribute: ttl_attribute,
        expiry_fn,
        stored_attributes,
    }
}
