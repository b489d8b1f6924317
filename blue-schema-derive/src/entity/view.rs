//! The view of a `project(..)` access pattern: the struct its query
//! returns (the item's key fields, its index-key fields and the fields the
//! index projects), how it decodes from an index entry, and the typed
//! attributes its query's filter is written with.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{pascal, Pattern};
use crate::ast::{Entity, Field};
use crate::attr::{KeyRole, Projection};

/// The generated view of pattern `p`, if it is a `project(..)` pattern.
pub(super) fn view_ident(entity: &Entity, p: &Pattern) -> Option<syn::Ident> {
    let Projection::Include(..) = p.decl.projection else {
        return None;
    };
    Some(match p.decl.view.as_ref().and_then(|v| v.name.clone()) {
        Some(name) => name,
        None => format_ident!("{}{}View", entity.ident, pascal(&p.name.to_string())),
    })
}

/// The fields an entry of pattern `p` holds as attributes (not as keys):
/// its index-key fields outside the table key, then the fields it names,
/// in the struct's order. Empty for a pattern of another projection.
pub(super) fn projected_fields<'e, 'a>(entity: &'e Entity<'a>, p: &Pattern) -> Vec<&'e Field<'a>> {
    let Projection::Include(named, _) = &p.decl.projection else {
        return Vec::new();
    };
    entity
        .fields
        .iter()
        .filter(|f| {
            f.role.is_none()
                && (p.fields().any(|g| g.name == f.name)
                    || named
                        .iter()
                        .any(|n| entity.field(n).is_some_and(|g| g.name == f.name)))
        })
        .collect()
}

/// The stored attributes of [`projected_fields`], sorted: the pattern's
/// `Projection::Include` list.
pub(super) fn projected_attributes(entity: &Entity, p: &Pattern) -> Vec<String> {
    let mut out: Vec<String> = projected_fields(entity, p)
        .iter()
        .map(|f| f.attribute.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every view of the entity's patterns; `indexed` says whether a data
/// field is part of an index key (for its attribute's type).
pub(super) fn views(
    entity: &Entity,
    patterns: &[Pattern],
    indexed: &dyn Fn(&Field) -> bool,
) -> TokenStream {
    patterns
        .iter()
        .filter_map(|p| view_ident(entity, p).map(|view| view_code(entity, p, &view, indexed)))
        .collect()
}

/// The view struct, its attributes and `key()`, and its decoding.
fn view_code(
    entity: &Entity,
    p: &Pattern,
    view: &syn::Ident,
    indexed: &dyn Fn(&Field) -> bool,
) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let projected = projected_fields(entity, p);
    let pk: Vec<&Field> = entity.key_fields(KeyRole::Partition).collect();
    let sk: Vec<&Field> = entity.key_fields(KeyRole::Sort).collect();
    // The view's fields: the table key's and the projected ones, in the
    // struct's order.
    let fields: Vec<&Field> = entity
        .fields
        .iter()
        .filter(|f| f.role.is_some() || projected.iter().any(|g| g.name == f.name))
        .collect();
    let members: Vec<&syn::Ident> = fields.iter().map(|f| f.ident).collect();
    let types = fields.iter().map(|f| f.ty);
    let field_docs = fields.iter().map(|f| {
        if f.doc.is_empty() {
            format!("The item's `{}`.", f.name)
        } else {
            f.doc.clone()
        }
    });
    let derives = p.decl.view.iter().flat_map(|v| &v.derives);
    let name = p.name.to_string();
    let named: Vec<String> = projected.iter().map(|f| format!("`{}`", f.name)).collect();
    let doc = format!(
        "What a query of `{ident}`'s access pattern `{name}` returns: the item's key fields and \
         {}, which its index `{}` projects (`project(..)`). Read-only; \
         [`key`]({view}::key) is the item's key, for `store.get` and writes.",
        named.join(", "),
        p.slot
    );
    let key_args = pk.iter().chain(&sk).map(|f| {
        let member = f.ident;
        quote!(&self.#member)
    });
    let attr_fields: Vec<&Field> = projected
        .iter()
        .copied()
        .filter(|f| f.skip.is_none() && f.flatten.is_none())
        .collect();
    let (attr_struct, attr_fn) = super::attrs::attr_struct(entity, view, &attr_fields, indexed);
    let key_doc = format!("The key of the `{ident}` item this view was read from.");
    let decoding = decoding(entity, view, &projected, &pk, &sk);
    quote! {
        #[doc = #doc]
        #[derive(#(#derives),*)]
        #vis struct #view {
            #(
                #[doc = #field_docs]
                pub #members: #types,
            )*
        }

        #attr_struct

        impl #view {
            #[doc = #key_doc]
            pub fn key(&self) -> ::blue_schema::Key<#ident> {
                #ident::key(#(#key_args),*)
            }

            #attr_fn
        }

        #decoding
    }
}

/// How a view decodes from an index entry: its projected attributes with
/// the entity's own serde attributes (a hidden struct), its key fields
/// from the entry's table key.
fn decoding(
    entity: &Entity,
    view: &syn::Ident,
    projected: &[&Field],
    pk: &[&Field],
    sk: &[&Field],
) -> TokenStream {
    let ident = entity.ident;
    let inner = format_ident!("__Blue{}Attributes", view);
    let originals = original_fields(entity);
    let mut defaults = TokenStream::new();
    let mut inner_fields = Vec::new();
    for (i, f) in projected.iter().enumerate() {
        let member = f.ident;
        let ty = f.ty;
        let original = originals.iter().find(|o| o.ident.as_ref() == Some(f.ident));
        let serde_attrs: Vec<&syn::Attribute> = original
            .map(|o| {
                o.attrs
                    .iter()
                    .filter(|a| a.path().is_ident("serde"))
                    .collect()
            })
            .unwrap_or_default();
        let own = original
            .map(|o| crate::attr::serde_field(&o.attrs))
            .unwrap_or_default();
        let rename = (own.rename.is_none() && f.attribute != f.name).then(|| {
            let attribute = &f.attribute;
            quote!(#[serde(rename = #attribute)])
        });
        // `#[serde(default)]` on the struct fills a missing field from
        // the struct's `Default`, as the entity's decoding does.
        let container_default = (f.default && !own.default).then(|| {
            let function = format_ident!("__blue_default_{}", i);
            let path = function.to_string();
            defaults.extend(quote! {
                fn #function() -> #ty {
                    <#ident as ::std::default::Default>::default().#member
                }
            });
            quote!(#[serde(default = #path)])
        });
        inner_fields.push(quote! {
            #(#serde_attrs)*
            #rename
            #container_default
            #member: #ty
        });
    }
    let inner_members: Vec<&syn::Ident> = projected.iter().map(|f| f.ident).collect();
    let key_binds = key_bindings(pk, sk);
    let key_members = pk.iter().chain(sk).map(|f| f.ident);
    let error = quote!(<D::Error as ::blue_schema::__private::serde::de::Error>::custom);
    quote! {
        const _: () = {
            #[derive(::blue_schema::__private::serde::Deserialize)]
            #[serde(crate = "::blue_schema::__private::serde")]
            struct #inner {
                #(#inner_fields,)*
            }

            #defaults

            impl ::blue_schema::FromItem for #view {
                fn from_item<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                    _sort_key: &str,
                    _item: D,
                ) -> ::std::result::Result<Self, D::Error> {
                    ::std::result::Result::Err(#error(
                        "a view is read with its keys, from a query of its index",
                    ))
                }
            }

            impl ::blue_schema::__private::ReadHooks for #view {
                const __USES_KEYS: bool = true;
                const __COUNTS_ALL: bool = <#ident as ::blue_schema::__private::ReadHooks>::__COUNTS_ALL;

                fn __from_stored<'de, D: ::blue_schema::__private::serde::Deserializer<'de>>(
                    partition_key: &str,
                    sort_key: &str,
                    item: D,
                ) -> ::std::result::Result<::std::option::Option<Self>, D::Error> {
                    use ::blue_schema::__private::serde::Deserialize as _;
                    if !<#ident as ::blue_schema::FromItem>::recognizes(sort_key) {
                        ::blue_schema::__private::serde::de::IgnoredAny::deserialize(item)?;
                        return ::std::result::Result::Ok(::std::option::Option::None);
                    }
                    let __blue_attributes = #inner::deserialize(item)?;
                    let (__blue_pkv, __blue_skv) =
                        <#ident as ::blue_schema::Entity>::decode_key(partition_key, sort_key)
                            .map_err(#error)?;
                    #key_binds
                    ::std::result::Result::Ok(::std::option::Option::Some(#view {
                        #(#key_members,)*
                        #(#inner_members: __blue_attributes.#inner_members,)*
                    }))
                }
            }
        };
    }
}

/// `let field = ..;` for each table-key field, from the decoded key
/// (`__blue_pkv`, a value or a tuple; `__blue_skv`, a tuple).
fn key_bindings(pk: &[&Field], sk: &[&Field]) -> TokenStream {
    let mut out = TokenStream::new();
    if pk.len() == 1 {
        let member = pk[0].ident;
        out.extend(quote!(let #member = __blue_pkv;));
    } else {
        let members = pk.iter().map(|f| f.ident);
        out.extend(quote!(let (#(#members,)*) = __blue_pkv;));
    }
    let members = sk.iter().map(|f| f.ident);
    out.extend(quote!(let (#(#members,)*) = __blue_skv;));
    out
}

/// The struct's fields as written, with their attributes.
fn original_fields<'a>(entity: &'a Entity) -> Vec<&'a syn::Field> {
    match &entity.original.data {
        syn::Data::Struct(data) => data.fields.iter().collect(),
        _ => Vec::new(),
    }
}
