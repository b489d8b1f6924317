//! The type-state query builders: `{Entity}Query<N>` for the table, one per
//! access pattern for its index.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens as _};

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
///
/// The six range methods per component are most of an entity's expanded
/// methods, and they are written as text that the compiler lexes once
/// ([`crate::text`]) rather than built with `quote!`, a token at a time
/// across the proc-macro bridge. They carry no span of the user's code
/// (every token was at the call site already; the field's type and name
/// mean the same there), so the compiler's messages about them are the
/// same. The method that fixes a component stays in `quote!`: its name
/// keeps the field's span, which the note for a component fixed out of
/// order shows ("required by a bound in this associated function").
/// Measured in docs/guide.md ("Compile time of the derives").
fn component_methods(
    query_ident: &syn::Ident,
    sk: &[(&Field, &syn::Type)],
    item: &TokenStream,
    native: bool,
) -> TokenStream {
    use std::fmt::Write as _;

    let query = query_ident.to_string();
    let item_text = item.to_string();
    let mut ranges = String::with_capacity(2048 * sk.len());
    let mut fixing = TokenStream::new();
    for (n, (field, ty)) in sk.iter().enumerate() {
        let next = n + 1;
        let method = field.ident;
        let name = &field.name;
        // A multi-attribute key's field is a native key type: a bound
        // checked where the method is called (the entity's assertion says
        // it once, at the field), so a wrong type is one error, not one
        // per method.
        let native_bound = native.then(|| quote!(for<'__blue> #ty: ::blue_schema::key::NativeKey,));
        // The method that fixes the component exists at every step; its
        // bound says which step may call it, with a message when another
        // does (the mistake users make). The range methods stay on their
        // step alone: each generic method costs compile time.
        let eq_doc = format!("Fixes `{name}`: the items whose `{name}` equals `{name}`.");
        fixing.extend(quote! {
            impl<const N: usize> #query_ident<N> {
                #[doc = #eq_doc]
                pub fn #method(self, #method: impl ::blue_schema::AsKeyPart<#ty>) -> #query_ident<#next>
                where
                    ::blue_schema::__private::FixedComponents<N>: ::blue_schema::__private::NextComponent<#n>,
                    #native_bound
                {
                    #query_ident { state: self.state.component::<#ty>(&#method) }
                }
            }
        });

        let bound = if native {
            super::index_query::native_key_type_bounds(&[ty])
        } else {
            super::key_part_type_bounds(&[ty])
        }
        .to_string();
        let native_bound = if native { bound.as_str() } else { "" };
        let method = method.to_string();
        let ty = ty.to_token_stream().to_string();
        let item = &item_text;
        let _ = write!(ranges, "impl {query}<{n}> {{");
        // Only `lt` needs the component's encoding (for the key just below
        // the value): the bound that says so, and no other.
        for (op, doc) in [
            ("lt", "less than"),
            ("le", "at most"),
            ("gt", "greater than"),
            ("ge", "at least"),
        ] {
            let bound = if op == "lt" || native {
                bound.as_str()
            } else {
                ""
            };
            let doc =
                format!("The items whose `{name}` is {doc} `{name}`; nothing can follow a range.");
            let _ = write!(
                ranges,
                "
    #[doc = {doc:?}]
    pub fn {name}_{op}(self, {method}: impl ::blue_schema::AsKeyPart<{ty}>) -> ::blue_schema::Query<{item}>
    {bound}
    {{
        self.state.{op}::<{ty}, {item}>(&{method})
    }}"
            );
        }
        let between_doc =
            format!("The items whose `{name}` is between `low` and `high`, both included.");
        let starts_doc =
            format!("The items whose `{name}` starts with `prefix` (a string component).");
        let _ = write!(
            ranges,
            "
    #[doc = {between_doc:?}]
    pub fn {name}_between(
        self,
        low: impl ::blue_schema::AsKeyPart<{ty}>,
        high: impl ::blue_schema::AsKeyPart<{ty}>,
    ) -> ::blue_schema::Query<{item}>
    {native_bound}
    {{
        self.state.between::<{ty}, {item}>(&low, &high)
    }}
    #[doc = {starts_doc:?}]
    pub fn {name}_starts_with(self, prefix: impl ::blue_schema::key::AsKeyPrefix<{ty}>) -> ::blue_schema::Query<{item}>
    {native_bound}
    {{
        self.state.starts_with::<{ty}, {item}>(&prefix)
    }}
}}
"
        );
    }
    fixing.extend(crate::text::tokens(&ranges));
    fixing
}
