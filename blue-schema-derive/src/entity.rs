//! Code generation for `#[derive(Entity)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{option_inner, type_string, Entity, Field};
use crate::attr::{KeyRole, Projection};
use crate::check;
use crate::ctxt::{self, Ctxt};

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

/// The type-state query builder: `{Entity}Query<N>` has `N` sort-key
/// components fixed and offers methods only for component `N`.
fn query_builder(
    entity: &Entity,
    query_ident: &syn::Ident,
    sk: &[(&Field, &syn::Type)],
    item: &TokenStream,
    filterable: bool,
    table_query: bool,
) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let builder_doc = if table_query {
        format!(
            "A typed query of `{ident}` items in one partition, with `N` sort-key components fixed. \
             Made by [`{ident}::query`]; each step offers only the next component, in declared order."
        )
    } else {
        format!(
            "A typed query of an index access pattern of `{ident}`, with `N` sort-key components fixed; \
             each step offers only the next component, in declared order. Index reads are eventually \
             consistent: there is no consistent read of an index."
        )
    };
    let levels = sk.iter().enumerate().map(|(n, (field, ty))| {
        let next = n + 1;
        let method = field.ident;
        let name = &field.name;
        let eq_doc = format!("Fixes `{name}`: the items whose `{name}` equals `{name}`.");
        let bound = key_part_type_bounds(&[ty]);
        let range = |suffix: &str, op: &str, doc: &str| {
            let m = format_ident!("{}_{}", field.name, suffix);
            let d = format!("The items whose `{name}` is {doc} `{name}`; nothing can follow a range.");
            let op = format_ident!("{}", op);
            quote! {
                #[doc = #d]
                #[inline]
                pub fn #m(self, #method: impl ::blue_schema::AsKeyPart<#ty>) -> ::blue_schema::Query<#item>
                #bound
                {
                    self.state.#op::<#ty, #item>(&#method)
                }
            }
        };
        let lt = range("lt", "lt", "less than");
        let le = range("le", "le", "at most");
        let gt = range("gt", "gt", "greater than");
        let ge = range("ge", "ge", "at least");
        let between = format_ident!("{}_between", field.name);
        let starts_with = format_ident!("{}_starts_with", field.name);
        let between_doc = format!("The items whose `{name}` is between `low` and `high`, both included.");
        let starts_doc = format!("The items whose `{name}` starts with `prefix` (a string component).");
        quote! {
            impl #query_ident<#n> {
                #[doc = #eq_doc]
                #[inline]
                pub fn #method(self, #method: impl ::blue_schema::AsKeyPart<#ty>) -> #query_ident<#next> {
                    #query_ident { state: self.state.component::<#ty>(&#method) }
                }
                #lt
                #le
                #gt
                #ge
                #[doc = #between_doc]
                #[inline]
                pub fn #between(
                    self,
                    low: impl ::blue_schema::AsKeyPart<#ty>,
                    high: impl ::blue_schema::AsKeyPart<#ty>,
                ) -> ::blue_schema::Query<#item> {
                    self.state.between::<#ty, #item>(&low, &high)
                }
                #[doc = #starts_doc]
                #[inline]
                pub fn #starts_with(self, prefix: impl ::blue_schema::key::AsKeyPrefix<#ty>) -> ::blue_schema::Query<#item> {
                    self.state.starts_with::<#ty, #item>(&prefix)
                }
            }
        }
    });

    let consistency = table_query.then(|| {
        quote! {
            /// Reads with DynamoDB's cheaper eventually consistent reads.
            #[inline]
            pub fn eventually_consistent(self) -> Self {
                #query_ident { state: self.state.eventually_consistent() }
            }
        }
    });
    let filter = if filterable {
        quote! {
            /// Returns only the items that satisfy `condition`; the page size
            /// and the 1 MB cut still count the items evaluated (see
            /// [`Query::filter`](::blue_schema::Query::filter)).
            #[inline]
            pub fn filter(self, condition: ::blue_schema::Condition<#ident>) -> Self {
                #query_ident { state: self.state.filter(condition) }
            }
        }
    } else {
        quote! {
            /// Not available: the index holds keys only, no attribute to filter on.
            #[doc(hidden)]
            pub fn filter(self, condition: ::blue_schema::Condition<#ident>) -> Self
            where
                Self: ::blue_schema::__private::FilterableIndex,
            {
                #query_ident { state: self.state.filter(condition) }
            }
        }
    };
    quote! {
        #[doc = #builder_doc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone)]
        #[must_use = "a query does nothing until a store runs it"]
        #vis struct #query_ident<const N: usize> {
            state: ::blue_schema::__private::SortKeyQuery,
        }

        impl<const N: usize> #query_ident<N> {
            /// Evaluates at most `n` items per page (at least 1), DynamoDB's `Limit`.
            #[inline]
            pub fn page_size(self, n: u32) -> Self {
                #query_ident { state: self.state.page_size(n) }
            }

            /// Returns at most `n` items from a whole read (`all`, `pages`, `items`).
            #[inline]
            pub fn take(self, n: usize) -> Self {
                #query_ident { state: self.state.take(n) }
            }

            /// Reads in descending sort-key order.
            #[inline]
            pub fn reverse(self) -> Self {
                #query_ident { state: self.state.reverse() }
            }

            /// Resumes after the last item of the page that returned `cursor`.
            #[inline]
            pub fn after(self, cursor: ::blue_schema::Cursor) -> Self {
                #query_ident { state: self.state.after(cursor) }
            }

            #consistency

            /// Reads at most `n` pages (at least 1) in a whole read: the bound a
            /// filtered read needs.
            #[inline]
            pub fn max_pages(self, n: u32) -> Self {
                #query_ident { state: self.state.max_pages(n) }
            }

            #filter

            /// The SQL statement and the DynamoDB request of the first page,
            /// without running it.
            pub fn explain(&self) -> ::blue_schema::query::Explain {
                ::blue_schema::IntoQuery::into_query(::std::clone::Clone::clone(self)).explain()
            }

            /// The backend-neutral query.
            pub fn spec(&self) -> ::blue_schema::query::QuerySpec {
                ::blue_schema::IntoQuery::into_query(::std::clone::Clone::clone(self)).into_spec()
            }
        }

        impl<const N: usize> ::blue_schema::IntoQuery for #query_ident<N> {
            type Item = #item;

            #[inline]
            fn into_query(self) -> ::blue_schema::Query<#item> {
                self.state.finish()
            }
        }

        impl<const N: usize> ::std::convert::From<#query_ident<N>> for ::blue_schema::Query<#item> {
            #[inline]
            fn from(builder: #query_ident<N>) -> Self {
                builder.state.finish()
            }
        }

        #(#levels)*
    }
}

fn tuple_or_single(fields: &[&Field]) -> TokenStream {
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
fn key_part_type_bounds(types: &[&syn::Type]) -> TokenStream {
    quote!(where #(for<'__blue> #types: ::blue_schema::KeyPart,)*)
}

fn template(prefix: Option<String>, fields: &[&Field]) -> String {
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
struct Pattern<'e, 'a> {
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
fn index_patterns<'e, 'a>(entity: &'e Entity<'a>) -> Vec<Pattern<'e, 'a>> {
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
fn key_type<'a>(field: &Field<'a>) -> &'a syn::Type {
    option_inner(field.ty).unwrap_or(field.ty)
}

fn pascal(name: &str) -> String {
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
fn fields_struct_name(entity: &syn::Ident, pattern: &Pattern) -> syn::Ident {
    format_ident!("{}{}", entity, pascal(&pattern.name.to_string()))
}

struct IndexCode {
    schemas: Vec<TokenStream>,
    slots: Vec<String>,
    keys_fn: TokenStream,
    items: TokenStream,
}

/// How a pattern's index key is computed: statements binding one variable
/// per field (`None` from the closure when an `Option` field is `None`),
/// given how to reach each field's value.
fn index_key_closure(
    pattern: &Pattern,
    prefix: &str,
    value: impl Fn(&Field) -> TokenStream,
) -> TokenStream {
    let pk_prefix = match &pattern.decl.pk_prefix {
        Some(lit) => quote!(::std::option::Option::Some(#lit)),
        None => quote!(::std::option::Option::None),
    };
    let bind = |fields: &[&Field], tag: &str| -> (Vec<TokenStream>, Vec<TokenStream>) {
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let var = format_ident!("__blue_{}{}", tag, i);
                let ty = key_type(f);
                let get = value(f);
                (quote!(let #var: &#ty = #get;), quote!(push::<#ty>(&#var)))
            })
            .unzip()
    };
    let (pk_binds, pk_pushes) = bind(&pattern.pk, "p");
    let (sk_binds, sk_pushes) = bind(&pattern.sk, "s");
    quote! {
        (|| -> ::std::option::Option<(::std::string::String, ::std::string::String)> {
            #(#pk_binds)*
            #(#sk_binds)*
            let mut __blue_w = ::blue_schema::key::KeyWriter::new(#pk_prefix);
            #(__blue_w.#pk_pushes;)*
            let mut __blue_s = ::blue_schema::key::KeyWriter::new(::std::option::Option::Some(#prefix));
            #(__blue_s.#sk_pushes;)*
            __blue_s.push_escaped(__blue_table_pk).push_escaped(__blue_table_sk);
            ::std::option::Option::Some((__blue_w.finish(), __blue_s.finish()))
        })()
    }
}

fn index_code(
    entity: &Entity,
    patterns: &[Pattern],
    table: &syn::Path,
    prefix: &str,
    pk: &[&Field],
    sk: &[&Field],
) -> IndexCode {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let attrs = |slot: &str| (format!("{slot}pk"), format!("{slot}sk"));
    // Reaching a field from the entity, or from the decoded table key.
    let from_self = |f: &Field| {
        let member = f.ident;
        if option_inner(f.ty).is_some() {
            quote!(self.#member.as_ref()?)
        } else {
            quote!(&self.#member)
        }
    };
    let from_key = |f: &Field| {
        if let Some(i) = pk.iter().position(|k| k.name == f.name) {
            if pk.len() == 1 {
                quote!(&__blue_pkv)
            } else {
                let i = syn::Index::from(i);
                quote!(&__blue_pkv.#i)
            }
        } else {
            let j = sk
                .iter()
                .position(|k| k.name == f.name)
                .expect("a key field is in the key");
            let j = syn::Index::from(j);
            quote!(&__blue_skv.#j)
        }
    };

    let schemas = patterns
        .iter()
        .map(|p| {
            let slot = &p.slot;
            let (pk_attribute, sk_attribute) = attrs(slot);
            let (pk_column, sk_column) = (format!("{slot}_pk"), format!("{slot}_sk"));
            let name = p.name.to_string();
            let pk_prefix = match &p.decl.pk_prefix {
                Some(lit) => quote!(::std::option::Option::Some(#lit)),
                None => quote!(::std::option::Option::None),
            };
            let field_schema = |fields: &[&Field]| {
                let items = fields.iter().map(|f| {
                    let field = &f.name;
                    let attribute = &f.attribute;
                    let ty = key_type(f);
                    let rust_type = type_string(f.ty);
                    let optional = option_inner(f.ty).is_some();
                    let key = match f.role {
                        Some(KeyRole::Partition) => quote!(::std::option::Option::Some(
                            ::blue_schema::schema::KeyRole::PartitionKey
                        )),
                        Some(KeyRole::Sort) => quote!(::std::option::Option::Some(
                            ::blue_schema::schema::KeyRole::SortKey
                        )),
                        None => quote!(::std::option::Option::None),
                    };
                    quote! {
                        ::blue_schema::schema::IndexFieldSchema {
                            field: #field,
                            name: #attribute,
                            rust_type: #rust_type,
                            encoding: &<#ty as ::blue_schema::KeyPart>::ENCODING,
                            optional: #optional,
                            key: #key,
                        }
                    }
                });
                quote!(&[#(#items),*])
            };
            let pk_fields = field_schema(&p.pk);
            let sk_fields = field_schema(&p.sk);
            let projection = match p.decl.projection {
                Projection::All => quote!(::blue_schema::schema::Projection::All),
                Projection::KeysOnly => quote!(::blue_schema::schema::Projection::KeysOnly),
            };
            let fields_struct = if p.is_fixed() {
                quote!(::std::option::Option::None)
            } else {
                let name = fields_struct_name(ident, p).to_string();
                quote!(::std::option::Option::Some(#name))
            };
            quote! {
                ::blue_schema::schema::IndexSchema {
                    slot: ::blue_schema::schema::IndexSlot {
                        name: #slot,
                        pk_attribute: #pk_attribute,
                        sk_attribute: #sk_attribute,
                        pk_column: #pk_column,
                        sk_column: #sk_column,
                    },
                    name: #name,
                    pk_prefix: #pk_prefix,
                    partition_key: #pk_fields,
                    sort_key: #sk_fields,
                    projection: #projection,
                    fields_struct: #fields_struct,
                }
            }
        })
        .collect();
    let slots = patterns.iter().map(|p| p.slot.clone()).collect();

    // Every write of the whole item computes every index key.
    let keys_fn = if patterns.is_empty() {
        TokenStream::new()
    } else {
        let each = patterns.iter().map(|p| {
            let (pk_attribute, sk_attribute) = attrs(&p.slot);
            let closure = index_key_closure(p, prefix, from_self);
            quote! {
                if let ::std::option::Option::Some((__blue_ipk, __blue_isk)) = #closure {
                    __blue_out.push((#pk_attribute, __blue_ipk));
                    __blue_out.push((#sk_attribute, __blue_isk));
                }
            }
        });
        let fixed: Vec<&Pattern> = patterns.iter().filter(|p| p.is_fixed()).collect();
        let fixed_fn = (!fixed.is_empty()).then(|| {
            let each = fixed.iter().map(|p| {
                let (pk_attribute, sk_attribute) = attrs(&p.slot);
                let closure = index_key_closure(p, prefix, from_key);
                quote! {
                    if let ::std::option::Option::Some((__blue_ipk, __blue_isk)) = #closure {
                        __blue_out.push((#pk_attribute, __blue_ipk));
                        __blue_out.push((#sk_attribute, __blue_isk));
                    }
                }
            });
            quote! {
                fn __fixed_index_keys(
                    __blue_table_pk: &str,
                    __blue_table_sk: &str,
                    __blue_out: &mut ::std::vec::Vec<(&'static str, ::std::string::String)>,
                ) -> ::std::result::Result<(), ::blue_schema::key::KeyDecodeError> {
                    let (__blue_pkv, __blue_skv) =
                        <Self as ::blue_schema::Entity>::decode_key(__blue_table_pk, __blue_table_sk)?;
                    let _ = (&__blue_pkv, &__blue_skv);
                    #(#each)*
                    ::std::result::Result::Ok(())
                }
            }
        });
        quote! {
            fn __index_keys(
                &self,
                __blue_table_pk: &str,
                __blue_table_sk: &str,
                __blue_out: &mut ::std::vec::Vec<(&'static str, ::std::string::String)>,
            ) {
                #(#each)*
            }

            #fixed_fn
        }
    };

    // The query of each access pattern, and its builder.
    let mut items = TokenStream::new();
    for p in patterns {
        let method = &p.name;
        let name = p.name.to_string();
        let camel = pascal(&name);
        let builder_ident = format_ident!("{}{}Query", ident, camel);
        let slot = &p.slot;
        let item = match p.decl.projection {
            Projection::All => quote!(#ident),
            Projection::KeysOnly => quote!(::blue_schema::Key<#ident>),
        };
        let sk_keyed: Vec<(&Field, &syn::Type)> = p.sk.iter().map(|f| (*f, key_type(f))).collect();
        let builder = query_builder(
            entity,
            &builder_ident,
            &sk_keyed,
            &item,
            p.decl.projection == Projection::All,
            false,
        );
        let params = p.pk.iter().map(|f| {
            let arg = f.ident;
            let ty = key_type(f);
            quote!(#arg: impl ::blue_schema::AsKeyPart<#ty>)
        });
        let pushes = p.pk.iter().map(|f| {
            let arg = f.ident;
            let ty = key_type(f);
            quote!(__blue_pk.push::<#ty>(&#arg);)
        });
        let bounds = key_part_type_bounds(&p.fields().map(key_type).collect::<Vec<_>>());
        let pk_prefix = match &p.decl.pk_prefix {
            Some(lit) => quote!(::std::option::Option::Some(#lit)),
            None => quote!(::std::option::Option::None),
        };
        let total = p.sk.len() + 2;
        let pk_names: Vec<String> = p.pk.iter().map(|f| format!("`{}`", f.name)).collect();
        let returns = match p.decl.projection {
            Projection::All => format!("`{ident}` items"),
            Projection::KeysOnly => format!(
                "the keys of `{ident}` items (the index holds keys only; `store.get_many(keys)` reads the items)"
            ),
        };
        let doc = format!(
            "Starts a query of access pattern `{name}` on index `{slot}`: {returns} whose {} equal these, \
             in order of {}then table key. Eventually consistent, as DynamoDB's indexes are: a write of \
             the last seconds may be missing.",
            pk_names.join(", "),
            p.sk.iter().map(|f| format!("`{}`, ", f.name)).collect::<String>(),
        );
        items.extend(quote! {
            impl #ident {
                #[doc = #doc]
                #[inline]
                #vis fn #method(#(#params),*) -> #builder_ident<0> #bounds {
                    let mut __blue_pk = ::blue_schema::key::KeyWriter::new(#pk_prefix);
                    #(#pushes)*
                    #builder_ident {
                        state: ::blue_schema::__private::SortKeyQuery::index(
                            &<#table as ::blue_schema::Table>::SCHEMA,
                            #slot,
                            __blue_pk.finish(),
                            #prefix,
                            #total,
                        ),
                    }
                }
            }

            #builder
        });
    }

    // The fields an update sets together: one struct per access pattern
    // with fields outside the table key, holding those of every pattern
    // that shares one of them.
    let movable: Vec<&Pattern> = patterns.iter().filter(|p| !p.is_fixed()).collect();
    for p in &movable {
        let mut group: Vec<&Pattern> = vec![p];
        loop {
            let more: Vec<&Pattern> = movable
                .iter()
                .copied()
                .filter(|q| !group.iter().any(|g| std::ptr::eq(*g, *q)))
                .filter(|q| {
                    q.fields().any(|f| {
                        f.role.is_none()
                            && group.iter().any(|g| g.fields().any(|h| h.name == f.name))
                    })
                })
                .collect();
            if more.is_empty() {
                break;
            }
            group.extend(more);
        }
        let fields: Vec<&Field> = entity
            .fields
            .iter()
            .filter(|f| {
                f.role.is_none() && group.iter().any(|g| g.fields().any(|h| h.name == f.name))
            })
            .collect();
        let struct_ident = fields_struct_name(ident, p);
        let members: Vec<&syn::Ident> = fields.iter().map(|f| f.ident).collect();
        let types = fields.iter().map(|f| f.ty);
        let field_docs = fields.iter().map(|f| format!("The new `{}`.", f.name));
        let sets = fields.iter().map(|f| {
            let member = f.ident;
            let attribute = &f.attribute;
            quote! {
                __blue_out.push((
                    #attribute,
                    match ::blue_schema::__private::serde_json::to_value(&self.#member) {
                        ::std::result::Result::Ok(::blue_schema::__private::serde_json::Value::Null) => ::std::option::Option::None,
                        ::std::result::Result::Ok(v) => ::std::option::Option::Some(v),
                        ::std::result::Result::Err(e) => return ::std::result::Result::Err(
                            ::std::format!("`{}` does not serialize: {}", #attribute, e),
                        ),
                    },
                ));
            }
        });
        let keys = group.iter().map(|g| {
            let (pk_attribute, sk_attribute) = attrs(&g.slot);
            let closure = index_key_closure(g, prefix, |f: &Field| {
                if f.role.is_some() {
                    from_key(f)
                } else {
                    from_self(f)
                }
            });
            quote! {
                match #closure {
                    ::std::option::Option::Some((__blue_ipk, __blue_isk)) => {
                        __blue_out.push((#pk_attribute, ::std::option::Option::Some(
                            ::blue_schema::__private::serde_json::Value::String(__blue_ipk),
                        )));
                        __blue_out.push((#sk_attribute, ::std::option::Option::Some(
                            ::blue_schema::__private::serde_json::Value::String(__blue_isk),
                        )));
                    }
                    ::std::option::Option::None => {
                        __blue_out.push((#pk_attribute, ::std::option::Option::None));
                        __blue_out.push((#sk_attribute, ::std::option::Option::None));
                    }
                }
            }
        });
        let group_bounds = key_part_type_bounds(
            &group
                .iter()
                .flat_map(|g| g.fields())
                .map(key_type)
                .collect::<Vec<_>>(),
        );
        let names: Vec<String> = group.iter().map(|g| format!("`{}`", g.name)).collect();
        let doc = format!(
            "The fields of `{ident}`'s index access pattern{} {}, which an update changes together: \
             `store.update(key).set_index({struct_ident} {{ .. }})` sets them and rewrites the index \
             keys made of them in the same request.",
            if names.len() > 1 { "s" } else { "" },
            names.join(", ")
        );
        items.extend(quote! {
            #[doc = #doc]
            #vis struct #struct_ident {
                #(
                    #[doc = #field_docs]
                    pub #members: #types,
                )*
            }

            impl ::blue_schema::write::IndexFields<#ident> for #struct_ident #group_bounds {
                fn __changes(
                    &self,
                    __blue_table_pk: &str,
                    __blue_table_sk: &str,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<(&'static str, ::std::option::Option<::blue_schema::__private::serde_json::Value>)>,
                    ::std::string::String,
                > {
                    let (__blue_pkv, __blue_skv) =
                        <#ident as ::blue_schema::Entity>::decode_key(__blue_table_pk, __blue_table_sk)
                            .map_err(|e| ::std::format!("the key does not decode: {}", e))?;
                    let _ = (&__blue_pkv, &__blue_skv);
                    let mut __blue_out = ::std::vec::Vec::new();
                    #(#sets)*
                    #(#keys)*
                    ::std::result::Result::Ok(__blue_out)
                }
            }
        });
    }
    IndexCode {
        schemas,
        slots,
        keys_fn,
        items,
    }
}
