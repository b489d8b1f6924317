//! `#[unique]` fields: the groups they form, the schema entries that name
//! them, and the hook that computes each group's value from an item.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::index::from_self;
use super::key_type;
use crate::ast::{Entity, Field};

/// One uniqueness constraint: a field alone (`#[unique]`, named after
/// it), or the fields that share `#[unique(group = "..")]`, in
/// declaration order.
pub(crate) struct Group<'a, 'f> {
    pub(crate) name: String,
    pub(crate) fields: Vec<&'f Field<'a>>,
}

/// The group a `#[unique]` attribute puts its field in: `Ok(None)` for a
/// bare `#[unique]`, `Ok(Some(name))` for `#[unique(group = "name")]`.
pub(crate) fn group_of(attr: &syn::Attribute) -> syn::Result<Option<syn::LitStr>> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(None),
        syn::Meta::List(_) => {
            let mut group = None;
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("group") {
                    if group.is_some() {
                        return Err(meta.error("`group` is given twice"));
                    }
                    group = Some(meta.value()?.parse::<syn::LitStr>()?);
                    Ok(())
                } else {
                    Err(meta.error(
                        "`#[unique]` takes `group = \"name\"` (fields with the same group are unique together), or nothing",
                    ))
                }
            })?;
            group.map(Some).ok_or_else(|| {
                syn::Error::new_spanned(
                    attr,
                    "write `#[unique(group = \"name\")]` or a bare `#[unique]`",
                )
            })
        }
        syn::Meta::NameValue(_) => Err(syn::Error::new_spanned(
            attr,
            "write `#[unique(group = \"name\")]` or a bare `#[unique]`",
        )),
    }
}

/// The entity's constraints, in the order their first field is declared.
pub(crate) fn groups<'a, 'f>(entity: &'f Entity<'a>) -> Vec<Group<'a, 'f>> {
    let mut groups: Vec<Group> = Vec::new();
    for field in &entity.fields {
        let Some(attr) = field.unique else { continue };
        let name = match group_of(attr) {
            Ok(Some(group)) => group.value(),
            _ => field.name.clone(),
        };
        match groups.iter_mut().find(|g| g.name == name) {
            Some(group) => group.fields.push(field),
            None => groups.push(Group {
                name,
                fields: vec![field],
            }),
        }
    }
    groups
}

/// `unique: &[UniqueSchema { .. }, ..]` of the entity's schema.
pub(super) fn schemas(groups: &[Group]) -> TokenStream {
    let each = groups.iter().map(|g| {
        let name = &g.name;
        let fields = g.fields.iter().map(|f| &f.name);
        let attributes = g.fields.iter().map(|f| &f.attribute);
        quote! {
            ::blue_schema::schema::UniqueSchema {
                name: #name,
                fields: &[#(#fields),*],
                attributes: &[#(#attributes),*],
            }
        }
    });
    quote!(&[#(#each),*])
}

/// `EntityHooks::__unique_values`: each group's value, encoded as a key
/// of its fields (`None` when one of them is a `None`).
pub(super) fn values_fn(groups: &[Group]) -> Option<TokenStream> {
    if groups.is_empty() {
        return None;
    }
    let each = groups.iter().map(|g| {
        let (binds, pushes): (Vec<TokenStream>, Vec<TokenStream>) = g
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let var = format_ident!("__blue_u{}", i);
                let ty = key_type(f);
                let get = from_self(f);
                (quote!(let #var: &#ty = #get;), quote!(push::<#ty>(&#var)))
            })
            .unzip();
        quote! {
            __blue_out.push((|| -> ::std::option::Option<::std::string::String> {
                #(#binds)*
                let mut __blue_w = ::blue_schema::__private::KeyWriter::new(::std::option::Option::None);
                #(__blue_w.#pushes;)*
                ::std::option::Option::Some(__blue_w.finish())
            })());
        }
    });
    Some(quote! {
        fn __unique_values(
            &self,
            __blue_out: &mut ::std::vec::Vec<::std::option::Option<::std::string::String>>,
        ) {
            #(#each)*
        }
    })
}

/// What `#[unique]` fields add to an entity's expansion.
pub(super) struct UniqueCode<'a, 'f> {
    /// The unique fields, whose types are key parts.
    pub(super) fields: Vec<&'f Field<'a>>,
    /// The schema's `unique` entries.
    pub(super) schemas: TokenStream,
    /// `EntityHooks::__unique_values`, if the entity has constraints.
    pub(super) values_fn: Option<TokenStream>,
    /// `WithoutUnique` for an entity without constraints; for one with
    /// older shapes, the check that its key does not move.
    pub(super) impls: TokenStream,
}

pub(super) fn code<'a, 'f>(entity: &'f Entity<'a>) -> UniqueCode<'a, 'f> {
    let ident = entity.ident;
    let groups = groups(entity);
    let impls = if groups.is_empty() {
        quote!(impl ::blue_schema::__private::WithoutUnique for #ident {})
    } else if entity.from.is_some() {
        // A key move changes the key that holds each marker.
        quote! {
            const _: () = ::std::assert!(
                <#ident as ::blue_schema::__private::EntityFacts>::MOVED_FROM.is_none(),
                "an entity whose key moves (an older shape declares another key) cannot have \
                 `#[unique]` fields yet: its markers name the key that holds each value"
            );
        }
    } else {
        TokenStream::new()
    };
    UniqueCode {
        fields: groups
            .iter()
            .flat_map(|g| g.fields.iter().copied())
            .collect(),
        schemas: schemas(&groups),
        values_fn: values_fn(&groups),
        impls,
    }
}
