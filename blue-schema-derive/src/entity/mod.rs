//! Code generation for `#[derive(Entity)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{option_inner, type_string, Entity, Field};
use crate::attr::KeyRole;
use crate::check;
use crate::ctxt::{self, Ctxt};
use index::{index_code, IndexCode};
use query::query_builder;

mod index;
mod index_query;
mod query;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let entity = Entity::from_ast(&mut cx, input);
    if let Some(entity) = &entity {
        check::check_entity(&mut cx, entity);
    }
    match (cx.check(), entity) {
        (Ok(()), Some(entity)) => generate(&entity),
        (Err(errors), entity) => {
            let errors = ctxt::to_compile_errors(errors);
            let fallback = entity.as_ref().map(fallback);
            quote!(#errors #fallback)
        }
        (Ok(()), None) => unreachable!("from_ast reports an error whenever it returns None"),
    }
}

/// What the rest of the program needs of an entity whose derive failed, so
/// that its mistakes are reported once: the facts a table checks, with
/// `VALID = false` to turn those checks off, membership of any table, and no
/// `Entity` impl.
fn fallback(entity: &Entity) -> TokenStream {
    let ident = entity.ident;
    let pk: Vec<&Field> = entity.key_fields(KeyRole::Partition).collect();
    let pk_type = tuple_or_single(&pk);
    // Whatever table names the entity (even one that does not exist): the
    // table's own check of it must not fail on this entity's account.
    quote! {
        impl<T: ?::std::marker::Sized> ::blue_schema::__private::InTable<T> for #ident {}
        impl ::blue_schema::__private::EntityFacts for #ident {
            type PartitionKey = #pk_type;
            const PREFIX: &'static str = "";
            const PK_PREFIX: ::std::option::Option<&'static str> = ::std::option::Option::None;
            const SINGLETON: bool = false;
            const VALID: bool = false;
        }
    }
}

fn generate(entity: &Entity) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let table = entity.table.as_ref().expect("checked: the table is named");
    let prefix = entity
        .prefix
        .as_ref()
        .expect("checked: the prefix is given")
        .value();
    let pk_prefix = match &entity.pk_prefix {
        Some(lit) => quote!(::std::option::Option::Some(#lit)),
        None => quote!(::std::option::Option::None),
    };
    let pk: Vec<&Field> = entity.key_fields(KeyRole::Partition).collect();
    let sk: Vec<&Field> = entity.key_fields(KeyRole::Sort).collect();
    let doc = &entity.doc;
    let name = ident.to_string();
    let query_ident = format_ident!("{}Query", ident);

    let patterns = index_patterns(entity);
    // The index fields are key parts too (the inner type of an `Option`).
    // Whether a data field is part of an index key.
    let indexed = |f: &Field| {
        f.role.is_none()
            && patterns
                .iter()
                .any(|p| p.fields().any(|g| g.name == f.name))
    };
    // Each field once, however many patterns it is in: one mistake, one error.
    let index_types: Vec<&syn::Type> = entity
        .fields
        .iter()
        .filter(|f| indexed(f))
        .map(key_type)
        .collect();
    let key_part_asserts = pk
        .iter()
        .chain(&sk)
        .map(|field| field.ty)
        .chain(index_types.iter().copied())
        .map(|ty| {
            quote_spanned! {ty.span()=>
                {
                    fn key_part<T: ::blue_schema::KeyPart>() {}
                    key_part::<#ty>();
                }
            }
        });

    let pk_type = tuple_or_single(&pk);
    let sk_types = sk.iter().map(|f| f.ty);
    let sk_type = quote!((#(#sk_types,)*));

    let key_field_schema = |fields: &[&Field]| {
        let items = fields.iter().map(|f| {
            let field = &f.name;
            let ty = f.ty;
            let rust_type = type_string(ty);
            quote! {
                ::blue_schema::schema::KeyFieldSchema {
                    field: #field,
                    rust_type: #rust_type,
                    encoding: &<#ty as ::blue_schema::KeyPart>::ENCODING,
                }
            }
        });
        quote!(&[#(#items),*])
    };
    let pk_schema = key_field_schema(&pk);
    let sk_schema = key_field_schema(&sk);
    let attributes = entity.fields.iter().filter(|f| f.skip.is_none()).map(|f| {
        let field = &f.name;
        let attribute = &f.attribute;
        let rust_type = type_string(f.ty);
        let doc = &f.doc;
        let role = match f.role {
            Some(KeyRole::Partition) => {
                quote!(::std::option::Option::Some(
                    ::blue_schema::schema::KeyRole::PartitionKey
                ))
            }
            Some(KeyRole::Sort) => {
                quote!(::std::option::Option::Some(
                    ::blue_schema::schema::KeyRole::SortKey
                ))
            }
            None => quote!(::std::option::Option::None),
        };
        let optional = option_inner(f.ty).is_some();
        let defaulted = f.default;
        let version = f.version.is_some();
        let ty = f.ty;
        let set = if f.set.is_some() {
            quote!(::std::option::Option::Some(
                <#ty as ::blue_schema::write::SetValue>::KIND
            ))
        } else {
            quote!(::std::option::Option::None)
        };
        quote! {
            ::blue_schema::schema::AttributeSchema {
                field: #field,
                name: #attribute,
                rust_type: #rust_type,
                doc: #doc,
                key: #role,
                optional: #optional,
                defaulted: #defaulted,
                version: #version,
                set: #set,
            }
        }
    });
    let sets = entity
        .fields
        .iter()
        .filter(|f| f.set.is_some() && f.skip.is_none())
        .map(|f| {
            let attribute = &f.attribute;
            let ty = f.ty;
            quote_spanned! {ty.span()=>
                (#attribute, <#ty as ::blue_schema::write::SetValue>::KIND)
            }
        });
    let version_field = entity.fields.iter().find(|f| f.version.is_some());
    let version_schema = match version_field {
        Some(f) => {
            let a = &f.attribute;
            quote!(::std::option::Option::Some(#a))
        }
        None => quote!(::std::option::Option::None),
    };
    let version_fn = version_field.map(|f| {
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
    });
    let batch_writable = version_field
        .is_none()
        .then(|| quote!(impl ::blue_schema::__private::BatchWritable for #ident {}));
    let attrs_ident = format_ident!("{}Attr", ident);
    let attr_fields: Vec<&Field> = entity
        .fields
        .iter()
        .filter(|f| f.skip.is_none() && f.flatten.is_none())
        .collect();
    let attr_defs = attr_fields.iter().map(|f| {
        let member = f.ident;
        let (value, presence) = match (f.role, f.version.is_some(), option_inner(f.ty)) {
            (Some(_), _, _) => (f.ty, quote!(KeyField)),
            (None, true, _) => (f.ty, quote!(VersionField)),
            (None, false, _) if f.set.is_some() => (f.ty, quote!(SetField)),
            (None, false, Some(inner)) if indexed(f) => (inner, quote!(OptionalIndexKey)),
            (None, false, None) if indexed(f) => (f.ty, quote!(IndexKey)),
            (None, false, Some(inner)) => (inner, quote!(Optional)),
            (None, false, None) => (f.ty, quote!(Required)),
        };
        let doc = format!("The stored attribute `{}`.", f.attribute);
        quote! {
            #[doc = #doc]
            pub #member: ::blue_schema::write::Attr<#ident, #value, ::blue_schema::write::#presence>
        }
    });
    let attr_inits = attr_fields.iter().map(|f| {
        let member = f.ident;
        let attribute = &f.attribute;
        quote!(#member: ::blue_schema::write::Attr::__new(#attribute))
    });
    let attrs_doc = format!(
        "The stored attributes of `{name}`, typed: what conditions and updates are written with. Made by [`{name}::attr`]."
    );
    let attr_fn_doc = format!(
        "The stored attributes of `{name}`, for conditions (`{name}::attr().field.eq(..)`) and updates."
    );

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
    let all: Vec<&Field> = pk.iter().chain(&sk).copied().collect();
    let key_params = params(&all);
    let pk_params = params(&pk);
    let pk_pushes = pushes(&pk_w, &pk);
    let sk_pushes = pushes(&sk_w, &sk);
    let self_key_args = all.iter().map(|f| {
        let member = f.ident;
        quote!(&self.#member)
    });
    let pk_template = template(entity.pk_prefix.as_ref().map(|l| l.value()), &pk);
    let sk_template = template(Some(prefix.clone()), &sk);
    let key_doc = format!(
        "The key of the `{name}` item with these key fields: `{pk_template} | {sk_template}`."
    );
    let query_doc = format!(
        "Starts a query of the `{name}` items in partition `{pk_template}`; fix sort-key \
         components in order with the returned [`{query_ident}`]."
    );

    let decode_pk = pk.iter().map(|f| {
        let ty = f.ty;
        quote!(pk.read::<#ty>()?)
    });
    let decode_pk = if pk.len() == 1 {
        quote!(#(#decode_pk)*)
    } else {
        quote!((#(#decode_pk,)*))
    };
    let decode_sk = sk.iter().map(|f| {
        let ty = f.ty;
        quote!(sk.read::<#ty>()?)
    });
    let (pk_count, sk_count) = (pk.len(), sk.len());

    let sk_keyed: Vec<(&Field, &syn::Type)> = sk.iter().map(|f| (*f, f.ty)).collect();
    let builder = query_builder(entity, &query_ident, &sk_keyed, &quote!(#ident), true, true);
    let index_parts = index_code(entity, &patterns, table, &prefix, &pk, &sk);
    let IndexCode {
        schemas: index_schemas,
        slots: index_slots,
        keys_fn: index_keys_fn,
        items: index_items,
    } = index_parts;
    let all_keys: Vec<&Field> = pk.iter().chain(&sk).copied().collect();
    let mut bound_types: Vec<&syn::Type> = all_keys.iter().map(|f| f.ty).collect();
    bound_types.extend(index_types.iter().copied());
    let bounds = key_part_type_bounds(&bound_types);
    let singleton = sk.is_empty();

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

        impl ::blue_schema::__private::EntityFacts for #ident {
            type PartitionKey = #pk_type;
            const PREFIX: &'static str = #prefix;
            const PK_PREFIX: ::std::option::Option<&'static str> = #pk_prefix;
            const SINGLETON: bool = #singleton;
            const VALID: bool = true;
            const INDEXES: &'static [&'static str] = &[#(#index_slots),*];
        }

        impl ::blue_schema::Entity for #ident #bounds {
            type Table = #table;
            type PartitionKey = #pk_type;
            type SortKey = #sk_type;

            const SCHEMA: ::blue_schema::EntitySchema = ::blue_schema::EntitySchema {
                name: #name,
                doc: #doc,
                table: <#table as ::blue_schema::__private::TableName>::NAME,
                prefix: #prefix,
                pk_prefix: #pk_prefix,
                partition_key: #pk_schema,
                sort_key: #sk_schema,
                attributes: &[#(#attributes),*],
                version: #version_schema,
                sets: &[#(#sets),*],
                indexes: &[#(#index_schemas),*],
            };

            #version_fn

            #index_keys_fn

            fn key(&self) -> ::blue_schema::Key<Self> {
                Self::key(#(#self_key_args),*)
            }

            fn decode_key(
                partition_key: &str,
                sort_key: &str,
            ) -> ::std::result::Result<(Self::PartitionKey, Self::SortKey), ::blue_schema::key::KeyDecodeError> {
                let mut pk = ::blue_schema::key::KeyReader::new(partition_key, #pk_prefix, #pk_count)?;
                let mut sk = ::blue_schema::key::KeyReader::new(sort_key, ::std::option::Option::Some(#prefix), #sk_count)?;
                let _ = &mut sk;
                ::std::result::Result::Ok((#decode_pk, (#(#decode_sk,)*)))
            }
        }

        impl ::blue_schema::FromItem for #ident {
            fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                _sort_key: &str,
                item: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <Self as ::blue_schema::__private::serde::Deserialize>::deserialize(item)
            }
        }

        #batch_writable

        #[doc = #attrs_doc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::marker::Copy)]
        #[allow(missing_docs)]
        #vis struct #attrs_ident {
            #(#attr_defs,)*
        }

        impl #ident {
            #[doc = #attr_fn_doc]
            #[inline]
            #vis const fn attr() -> #attrs_ident {
                #attrs_ident { #(#attr_inits,)* }
            }

            #[doc = #key_doc]
            #[inline]
            #vis fn key(#(#key_params),*) -> ::blue_schema::Key<Self> {
                let mut __blue_pk = ::blue_schema::key::KeyWriter::new(#pk_prefix);
                #(#pk_pushes)*
                let mut __blue_sk = ::blue_schema::key::KeyWriter::new(::std::option::Option::Some(#prefix));
                #(#sk_pushes)*
                ::blue_schema::Key::__from_encoded(__blue_pk.finish(), __blue_sk.finish())
            }

            #[doc = #query_doc]
            #[inline]
            #vis fn query(#(#pk_params),*) -> #query_ident<0> {
                let mut __blue_pk = ::blue_schema::key::KeyWriter::new(#pk_prefix);
                #(#pk_pushes)*
                #query_ident {
                    state: ::blue_schema::__private::SortKeyQuery::new(
                        <#table as ::blue_schema::__private::TableName>::NAME,
                        __blue_pk.finish(),
                        #prefix,
                        #sk_count,
                    ),
                }
            }
        }

        #builder

        #index_items
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
        })
        .collect()
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
