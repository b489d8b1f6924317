//! The secondary indexes of an entity: each access pattern's schema, the
//! index keys every write computes, and the hidden functions that compute
//! them from the item or from its table key.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{fields_struct_name, key_type, Pattern};
use crate::ast::{option_inner, type_string, Entity, Field};
use crate::attr::{KeyRole, Projection};

/// What the indexes add to an entity's expansion.
pub(super) struct IndexCode {
    pub(super) schemas: Vec<TokenStream>,
    pub(super) slots: Vec<String>,
    pub(super) projections: Vec<TokenStream>,
    /// The indexes of its multi-attribute patterns.
    pub(super) attribute_slots: Vec<String>,
    pub(super) keys_fn: TokenStream,
    pub(super) items: TokenStream,
}

pub(super) fn index_code(
    entity: &Entity,
    patterns: &[Pattern],
    table: &syn::Path,
    prefix: &str,
    pk: &[&Field],
    sk: &[&Field],
) -> IndexCode {
    let key = TableKey { pk, sk };
    let mut items = super::index_query::index_queries(entity, patterns, table, prefix);
    items.extend(super::index_query::index_fields(
        entity, patterns, prefix, &key,
    ));
    items.extend(super::view::views(entity, patterns, &|f| {
        super::is_indexed(patterns, f)
    }));
    IndexCode {
        schemas: index_schemas(entity, patterns),
        slots: patterns.iter().map(|p| p.slot.clone()).collect(),
        projections: patterns.iter().map(|p| projection(entity, p)).collect(),
        attribute_slots: patterns
            .iter()
            .filter(|p| p.native)
            .map(|p| p.slot.clone())
            .collect(),
        keys_fn: {
            let mut keys_fn = index_keys_fn(patterns, prefix, &key);
            keys_fn.extend(attribute_key_strings_fn(patterns));
            keys_fn
        },
        items,
    }
}

/// The attributes of an index's keys: `gsi1pk`, `gsi1sk`.
pub(super) fn key_attributes(slot: &str) -> (String, String) {
    (format!("{slot}pk"), format!("{slot}sk"))
}

/// Reaches a field from the entity (`None` from the closure for an `Option`
/// that is `None`).
pub(super) fn from_self(f: &Field) -> TokenStream {
    let member = f.ident;
    if option_inner(f.ty).is_some() {
        quote!(self.#member.as_ref()?)
    } else {
        quote!(&self.#member)
    }
}

/// The entity's table key fields, to reach a key field from the decoded
/// table key (`__blue_pkv`, `__blue_skv`).
pub(super) struct TableKey<'a> {
    pk: &'a [&'a Field<'a>],
    sk: &'a [&'a Field<'a>],
}

impl TableKey<'_> {
    pub(super) fn field(&self, f: &Field) -> TokenStream {
        if let Some(i) = self.pk.iter().position(|k| k.name == f.name) {
            if self.pk.len() == 1 {
                quote!(&__blue_pkv)
            } else {
                let i = syn::Index::from(i);
                quote!(&__blue_pkv.#i)
            }
        } else {
            let j = self
                .sk
                .iter()
                .position(|k| k.name == f.name)
                .expect("a key field is in the key");
            let j = syn::Index::from(j);
            quote!(&__blue_skv.#j)
        }
    }
}

/// A pattern's `Projection`.
fn projection(entity: &Entity, p: &Pattern) -> TokenStream {
    match p.decl.projection {
        Projection::All => quote!(::blue_schema::schema::Projection::All),
        Projection::KeysOnly => quote!(::blue_schema::schema::Projection::KeysOnly),
        Projection::Include(..) => {
            let attributes = super::view::projected_attributes(entity, p);
            quote!(::blue_schema::schema::Projection::Include(&[#(#attributes),*]))
        }
    }
}

/// The `IndexSchema` of each access pattern.
fn index_schemas(entity: &Entity, patterns: &[Pattern]) -> Vec<TokenStream> {
    let ident = entity.ident;
    patterns
        .iter()
        .map(|p| {
            let slot = &p.slot;
            let (pk_attribute, sk_attribute) = key_attributes(slot);
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
            let projection = projection(entity, p);
            let view = match super::view::view_ident(entity, p) {
                Some(view) => {
                    let view = view.to_string();
                    quote!(::std::option::Option::Some(#view))
                }
                None => quote!(::std::option::Option::None),
            };
            let attributes = key_attribute_schemas(p);
            let fields_struct = if p.is_fixed() || p.native {
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
                    view: #view,
                    attributes: #attributes,
                }
            }
        })
        .collect()
}

/// The key attributes of a multi-attribute pattern
/// ([`IndexSchema::attributes`](blue_schema::schema::IndexSchema)): its
/// fields, then the table's `pk` and `sk`; `&[]` for a composed one.
fn key_attribute_schemas(p: &Pattern) -> TokenStream {
    if !p.native {
        return quote!(&[]);
    }
    let fields =
        p.pk.iter()
            .map(|f| (f, true))
            .chain(p.sk.iter().map(|f| (f, false)));
    let items = fields.map(|(f, hash)| {
        let attribute = &f.attribute;
        let ty = key_type(f);
        quote! {
            ::blue_schema::schema::KeyAttribute {
                name: #attribute,
                scalar: <#ty as ::blue_schema::key::NativeKey>::SCALAR,
                hash: #hash,
            }
        }
    });
    quote! {
        &[
            #(#items,)*
            ::blue_schema::schema::KeyAttribute {
                name: "pk",
                scalar: ::blue_schema::key::ScalarType::S,
                hash: false,
            },
            ::blue_schema::schema::KeyAttribute {
                name: "sk",
                scalar: ::blue_schema::key::ScalarType::S,
                hash: false,
            },
        ]
    }
}

/// `__attribute_key_strings`: the strings of the item's multi-attribute
/// index keys, which every write checks as DynamoDB would.
fn attribute_key_strings_fn(patterns: &[Pattern]) -> TokenStream {
    let is_string = |ty: &syn::Type| matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"));
    let mut seen = Vec::new();
    let mut pushes = Vec::new();
    for p in patterns.iter().filter(|p| p.native) {
        let fields =
            p.pk.iter()
                .map(|f| (f, true))
                .chain(p.sk.iter().map(|f| (f, false)));
        for (f, hash) in fields {
            if !is_string(key_type(f)) || seen.contains(&f.name) {
                continue;
            }
            seen.push(f.name.clone());
            let member = f.ident;
            let attribute = &f.attribute;
            pushes.push(if option_inner(f.ty).is_some() {
                quote! {
                    if let ::std::option::Option::Some(__blue_v) = &self.#member {
                        __blue_out.push((#attribute, __blue_v.as_str(), #hash));
                    }
                }
            } else {
                quote!(__blue_out.push((#attribute, self.#member.as_str(), #hash));)
            });
        }
    }
    if pushes.is_empty() {
        return TokenStream::new();
    }
    quote! {
        fn __attribute_key_strings<'__blue>(
            &'__blue self,
            __blue_out: &mut ::std::vec::Vec<(&'static str, &'__blue str, bool)>,
        ) {
            #(#pushes)*
        }
    }
}

/// `__index_keys` (every write of the whole item computes every index key)
/// and, for patterns keyed by table-key fields only, `__fixed_index_keys`.
fn index_keys_fn(patterns: &[Pattern], prefix: &str, key: &TableKey) -> TokenStream {
    let patterns: Vec<&Pattern> = patterns.iter().filter(|p| !p.native).collect();
    if patterns.is_empty() {
        TokenStream::new()
    } else {
        let each = patterns.iter().map(|p| {
            let (pk_attribute, sk_attribute) = key_attributes(&p.slot);
            let closure = index_key_closure(p, prefix, from_self);
            quote! {
                if let ::std::option::Option::Some((__blue_ipk, __blue_isk)) = #closure {
                    __blue_out.push((#pk_attribute, __blue_ipk));
                    __blue_out.push((#sk_attribute, __blue_isk));
                }
            }
        });
        let fixed: Vec<&Pattern> = patterns.iter().copied().filter(|p| p.is_fixed()).collect();
        let fixed_fn = (!fixed.is_empty()).then(|| {
            let each = fixed.iter().map(|p| {
                let (pk_attribute, sk_attribute) = key_attributes(&p.slot);
                let closure = index_key_closure(p, prefix, |f| key.field(f));
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
    }
}

/// How a pattern's index key is computed: statements binding one variable
/// per field (`None` from the closure when an `Option` field is `None`),
/// given how to reach each field's value.
pub(super) fn index_key_closure(
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
            let mut __blue_w = ::blue_schema::__private::KeyWriter::new(#pk_prefix);
            #(__blue_w.#pk_pushes;)*
            let mut __blue_s = ::blue_schema::__private::KeyWriter::new(::std::option::Option::Some(#prefix));
            #(__blue_s.#sk_pushes;)*
            __blue_s.push_escaped(__blue_table_pk).push_escaped(__blue_table_sk);
            ::std::option::Option::Some((__blue_w.finish(), __blue_s.finish()))
        })()
    }
}
