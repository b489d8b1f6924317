//! The query of each access pattern, and the `set_index` structs whose
//! fields an update changes together with the index keys made of them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};

use super::index::{from_self, index_key_closure, key_attributes, TableKey};
use super::query::query_builder;
use super::{fields_struct_name, key_part_type_bounds, key_type, pascal, Pattern};
use crate::ast::{Entity, Field};
use crate::attr::Projection;

/// The query method of each access pattern, and its builder.
pub(super) fn index_queries(
    entity: &Entity,
    patterns: &[Pattern],
    table: &syn::Path,
    prefix: &str,
) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let mut items = TokenStream::new();
    for p in patterns {
        let method = &p.name;
        let name = p.name.to_string();
        let camel = pascal(&name);
        let builder_ident = format_ident!("{}{}Query", ident, camel);
        let slot = &p.slot;
        let view = super::view::view_ident(entity, p);
        let (item, filter) = match (&p.decl.projection, &view) {
            (Projection::All, _) => (quote!(#ident), Some(quote!(#ident))),
            (Projection::Include(..), Some(view)) => (quote!(#view), Some(quote!(#view))),
            _ => (quote!(::blue_schema::Key<#ident>), None),
        };
        let sk_keyed: Vec<(&Field, &syn::Type)> = p.sk.iter().map(|f| (*f, key_type(f))).collect();
        let state = if p.native {
            quote!(::blue_schema::__private::AttributeKeyQuery)
        } else {
            quote!(::blue_schema::__private::SortKeyQuery)
        };
        let builder = query_builder(
            entity,
            &builder_ident,
            &sk_keyed,
            Some((item, filter)),
            false,
            &state,
            p.native,
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
        let field_types = p.fields().map(key_type).collect::<Vec<_>>();
        let bounds = if p.native {
            native_key_type_bounds(&field_types)
        } else {
            key_part_type_bounds(&field_types)
        };
        let pk_prefix = match &p.decl.pk_prefix {
            Some(lit) => quote!(::std::option::Option::Some(#lit)),
            None => quote!(::std::option::Option::None),
        };
        let total = p.sk.len() + 2;
        let pk_names: Vec<String> = p.pk.iter().map(|f| format!("`{}`", f.name)).collect();
        let returns = match (&p.decl.projection, &view) {
            (Projection::All, _) => format!("`{ident}` items"),
            (Projection::Include(..), Some(view)) => format!(
                "[`{view}`]s of `{ident}` items (the index holds the fields it projects; `.filter(..)` is written with `{view}::attr()`)"
            ),
            _ => format!(
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
        let start = if p.native {
            let values = p.pk.iter().map(|f| {
                let arg = f.ident;
                let ty = key_type(f);
                quote!(::blue_schema::__private::AttributeKeyQuery::value::<#ty>(&#arg))
            });
            let position = patterns
                .iter()
                .position(|q| std::ptr::eq(q, p))
                .expect("a pattern of the entity");
            quote! {
                #builder_ident {
                    state: ::blue_schema::__private::AttributeKeyQuery::index(
                        &<#table as ::blue_schema::Table>::SCHEMA,
                        #slot,
                        <Self as ::blue_schema::Entity>::SCHEMA.indexes[#position].attributes,
                        ::std::vec![#(#values),*],
                    ),
                }
            }
        } else {
            quote! {
                let mut __blue_pk = ::blue_schema::__private::KeyWriter::new(#pk_prefix);
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
        };
        // What a collection on this index reads of the pattern.
        let slot_marker = format_ident!("{}", pascal(slot));
        let pk_type =
            super::tuple_or_single_types(&p.pk.iter().map(|f| key_type(f)).collect::<Vec<_>>());
        let projected = matches!(p.decl.projection, Projection::All);
        // A collection reads composed index partitions only.
        let pattern_impl = (!p.native).then(|| {
            quote! {
                impl ::blue_schema::__private::IndexPattern<::blue_schema::__private::slot::#slot_marker>
                    for #ident
                {
                    type PartitionKey = #pk_type;
                    const PK_PREFIX: ::std::option::Option<&'static str> = #pk_prefix;
                    const WHOLE_ITEMS: bool = #projected;
                }
            }
        });
        items.extend(quote! {
            #pattern_impl

            impl #ident {
                #[doc = #doc]
                #vis fn #method(#(#params),*) -> #builder_ident<0> #bounds {
                    #start
                }
            }

            #builder
        });
    }
    items
}

/// The fields an update sets together: one struct per access pattern with
/// fields outside the table key, holding those of every pattern that
/// shares one of them.
pub(super) fn index_fields(
    entity: &Entity,
    patterns: &[Pattern],
    prefix: &str,
    key: &TableKey,
) -> TokenStream {
    let ident = entity.ident;
    let vis = &entity.original.vis;
    let mut items = TokenStream::new();
    let movable: Vec<&Pattern> = patterns
        .iter()
        .filter(|p| !p.is_fixed() && !p.native)
        .collect();
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
                ::blue_schema::__private::push_field(&mut __blue_out, #attribute, &self.#member)?;
            }
        });
        let keys = group.iter().map(|g| {
            let (pk_attribute, sk_attribute) = key_attributes(&g.slot);
            let closure = index_key_closure(g, prefix, |f: &Field| {
                if f.role.is_some() {
                    key.field(f)
                } else {
                    from_self(f)
                }
            });
            quote! {
                ::blue_schema::__private::push_index_keys(
                    &mut __blue_out,
                    #pk_attribute,
                    #sk_attribute,
                    #closure,
                );
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

            impl ::blue_schema::write::IndexFields<#ident> for #struct_ident #group_bounds {}

            impl ::blue_schema::__private::IndexChanges<#ident> for #struct_ident #group_bounds {
                fn __changes(
                    &self,
                    __blue_table_pk: &str,
                    __blue_table_sk: &str,
                ) -> ::std::result::Result<::blue_schema::__private::Changes, ::std::string::String> {
                    let (__blue_pkv, __blue_skv) =
                        ::blue_schema::__private::decode_changed_key::<#ident>(__blue_table_pk, __blue_table_sk)?;
                    let _ = (&__blue_pkv, &__blue_skv);
                    let mut __blue_out = ::std::vec::Vec::new();
                    #(#sets)*
                    #(#keys)*
                    ::std::result::Result::Ok(__blue_out)
                }
            }
        });
    }
    items
}

/// As [`key_part_type_bounds`], for the fields of a multi-attribute
/// index key: each type a [`NativeKey`](blue_schema::key::NativeKey).
pub(super) fn native_key_type_bounds(types: &[&syn::Type]) -> TokenStream {
    let mut seen = std::collections::HashSet::new();
    let types = types
        .iter()
        .filter(|ty| seen.insert(ty.to_token_stream().to_string()));
    quote!(where #(for<'__blue> #types: ::blue_schema::key::NativeKey,)*)
}
