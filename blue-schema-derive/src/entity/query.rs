//! The type-state query builders: `{Entity}Query<N>` for the table, one per
//! access pattern for its index.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::key_part_type_bounds;
use crate::ast::{Entity, Field};

/// The table's query builder, `{Entity}Query<N>`.
pub(super) fn table_query_builder(
    entity: &Entity,
    query_ident: &syn::Ident,
    sk: &[(&Field, &syn::Type)],
) -> TokenStream {
    let state = quote!(::blue_schema::__private::SortKeyQuery);
    query_builder(entity, query_ident, sk, None, true, &state, false)
}

/// The type-state query builder: `{Entity}Query<N>` has `N` sort-key
/// components fixed and offers methods only for component `N`.
pub(super) fn query_builder(
    entity: &Entity,
    query_ident: &syn::Ident,
    sk: &[(&Field, &syn::Type)],
    item: Option<(TokenStream, Option<TokenStream>)>,
    table_query: bool,
    state: &TokenStream,
    native: bool,
) -> TokenStream {
    let ident = entity.ident;
    // What the query returns and what its filter is written with: the
    // entity itself unless told.
    let (item, filter_by) = item.unwrap_or_else(|| (quote!(#ident), Some(quote!(#ident))));
    let item = &item;
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
    let levels = component_methods(query_ident, sk, item, native);
    let consistency = if table_query { quote!(yes) } else { quote!(no) };
    let filter = match filter_by {
        Some(owner) => quote!(by(#owner)),
        None => quote!(keys_only(#ident)),
    };
    // The options every builder has are written once, in the library's
    // `macro_rules!` (a proc macro's tokens cost compile time). No
    // `#[inline]` on the methods here: every one is generic (over `N` or an
    // `impl AsKeyPart`), so it is compiled in the calling crate anyway.
    quote! {
        ::blue_schema::__query_builder! {
            #[doc = #builder_doc]
            #vis struct #query_ident(#state) -> #item;
            consistency = #consistency;
            filter = #filter;
        }

    #levels
    }
}

/// The methods of `{Query}<N>` for sort-key component `N`: fix it, or end
/// the query with a range on it.
fn component_methods(
    query_ident: &syn::Ident,
    sk: &[(&Field, &syn::Type)],
    item: &TokenStream,
    native: bool,
) -> TokenStream {
    let levels = sk.iter().enumerate().map(|(n, (field, ty))| {
        let next = n + 1;
        let method = field.ident;
        let name = &field.name;
        let eq_doc = format!("Fixes `{name}`: the items whose `{name}` equals `{name}`.");
        // A multi-attribute key's field is a native key type: a bound
        // checked where the method is called (the entity's assertion says
        // it once, at the field), so a wrong type is one error, not one
        // per method.
        let bound = if native {
            super::index_query::native_key_type_bounds(&[ty])
        } else {
            key_part_type_bounds(&[ty])
        };
        let native_bound = native.then(|| quote!(for<'__blue> #ty: ::blue_schema::key::NativeKey,));
        // The method that fixes the component exists at every step; its
        // bound says which step may call it, with a message when another
        // does (the mistake users make). The range methods stay on their
        // step alone: each generic method costs compile time.
        let next_component = quote! {
            ::blue_schema::__private::FixedComponents<N>: ::blue_schema::__private::NextComponent<#n>
        };
        // Only `lt` needs the component's encoding (for the key just below
        // the value): the bound that says so, and no other.
        let range = |suffix: &str, op: &str, doc: &str| {
            let bound = (op == "lt" || native).then_some(&bound);
            let m = format_ident!("{}_{}", field.name, suffix);
            let d = format!("The items whose `{name}` is {doc} `{name}`; nothing can follow a range.");
            let op = format_ident!("{}", op);
            quote! {
                #[doc = #d]
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
            impl<const N: usize> #query_ident<N> {
                #[doc = #eq_doc]
                pub fn #method(self, #method: impl ::blue_schema::AsKeyPart<#ty>) -> #query_ident<#next>
                where
                    #next_component,
                    #native_bound
                {
                    #query_ident { state: self.state.component::<#ty>(&#method) }
                }
            }

            impl #query_ident<#n> {
                #lt
                #le
                #gt
                #ge
                #[doc = #between_doc]
                pub fn #between(
                    self,
                    low: impl ::blue_schema::AsKeyPart<#ty>,
                    high: impl ::blue_schema::AsKeyPart<#ty>,
                ) -> ::blue_schema::Query<#item>
                where
                    #native_bound
                {
                    self.state.between::<#ty, #item>(&low, &high)
                }
                #[doc = #starts_doc]
                pub fn #starts_with(self, prefix: impl ::blue_schema::key::AsKeyPrefix<#ty>) -> ::blue_schema::Query<#item>
                where
                    #native_bound
                {
                    self.state.starts_with::<#ty, #item>(&prefix)
                }
            }
        }
    });
    quote!(#(#levels)*)
}
