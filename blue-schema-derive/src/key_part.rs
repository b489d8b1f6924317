//! `#[derive(KeyPart)]` for unit-only enums and newtype structs.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::attr;
use crate::case::RenameRule;
use crate::ctxt::Ctxt;

pub fn expand(input: &DeriveInput) -> Result<TokenStream, Vec<syn::Error>> {
    let mut cx = Ctxt::new();
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "a key part cannot be generic: its encoding is fixed per type",
        );
    }
    let expanded = match &input.data {
        Data::Enum(data) => expand_enum(&mut cx, input, data),
        Data::Struct(data) => expand_newtype(&mut cx, input, &data.fields),
        Data::Union(_) => {
            cx.error_spanned_by(
                &input.ident,
                "`#[derive(KeyPart)]` works on unit-only enums and newtype structs",
            );
            TokenStream::new()
        }
    };
    cx.check()?;
    Ok(expanded)
}

// A unit-only enum is written as its serde name, so a key reads like the JSON
// of the same value. Variants with data have no single order-preserving string.
fn expand_enum(cx: &mut Ctxt, input: &DeriveInput, data: &syn::DataEnum) -> TokenStream {
    let ident = &input.ident;
    let rule = attr::serde_container(cx, &input.attrs)
        .rename_all
        .unwrap_or(RenameRule::None);
    if data.variants.is_empty() {
        cx.error_spanned_by(
            ident,
            "an enum without variants has no values to put in a key",
        );
    }
    let mut names: Vec<(String, &syn::Ident)> = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` holds data: only unit-only enums can be key parts; make the data its own `#[sk]` field",
                    variant.ident
                ),
            );
            continue;
        }
        let name = attr::serde_field(&variant.attrs)
            .rename
            .unwrap_or_else(|| rule.apply_to_variant(&variant.ident.to_string()));
        if name.is_empty() {
            cx.error_spanned_by(variant, "a key-part variant needs a non-empty name");
        }
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == name) {
            cx.error_spanned_by(
                variant,
                format!(
                    "`{}` and `{other}` are both named `{name}`: key parts must be injective",
                    variant.ident
                ),
            );
        }
        names.push((name, &variant.ident));
    }
    let rust_name = ident.to_string();
    let expected = format!("{rust_name} (one of its variant names)");
    let variant_names = names.iter().map(|(n, _)| n);
    let encode_arms = names.iter().map(|(n, v)| quote!(#ident::#v => #n));
    let decode_arms = names
        .iter()
        .map(|(n, v)| quote!(#n => ::std::result::Result::Ok(#ident::#v)));
    quote! {
        impl ::blue_schema::KeyPart for #ident {
            const ENCODING: ::blue_schema::key::KeyEncoding = ::blue_schema::key::KeyEncoding::Enum {
                name: #rust_name,
                variants: &[#(#variant_names),*],
            };

            fn encode_key_part(&self, out: &mut ::std::string::String) {
                ::blue_schema::key::escape_into(
                    match self {
                        #(#encode_arms,)*
                    },
                    out,
                );
            }

            fn decode_key_part(encoded: &str) -> ::std::result::Result<Self, ::blue_schema::key::KeyDecodeError> {
                match ::blue_schema::key::unescape(encoded)?.as_str() {
                    #(#decode_arms,)*
                    _ => ::std::result::Result::Err(::blue_schema::key::KeyDecodeError::Invalid {
                        component: ::std::string::ToString::to_string(encoded),
                        expected: #expected,
                    }),
                }
            }
        }
    }
}

// A newtype is written exactly as the value it wraps.
fn expand_newtype(cx: &mut Ctxt, input: &DeriveInput, fields: &Fields) -> TokenStream {
    let ident = &input.ident;
    let (member, ty, construct) = match fields {
        Fields::Unnamed(f) if f.unnamed.len() == 1 => {
            let ty = &f.unnamed[0].ty;
            (quote!(0), ty, quote!(#ident))
        }
        Fields::Named(f) if f.named.len() == 1 => {
            let field = &f.named[0];
            let name = field.ident.as_ref().expect("named fields have identifiers");
            (quote!(#name), &field.ty, quote!(|#name| #ident { #name }))
        }
        _ => {
            cx.error_spanned_by(
                ident,
                "`#[derive(KeyPart)]` on a struct needs exactly one field (a newtype such as `struct ExpertName(String)`)",
            );
            return TokenStream::new();
        }
    };
    let rust_name = ident.to_string();
    quote! {
        impl ::blue_schema::KeyPart for #ident {
            const ENCODING: ::blue_schema::key::KeyEncoding = ::blue_schema::key::KeyEncoding::Newtype {
                name: #rust_name,
                inner: &<#ty as ::blue_schema::KeyPart>::ENCODING,
            };

            fn encode_key_part(&self, out: &mut ::std::string::String) {
                ::blue_schema::KeyPart::encode_key_part(&self.#member, out);
            }

            fn decode_key_part(encoded: &str) -> ::std::result::Result<Self, ::blue_schema::key::KeyDecodeError> {
                <#ty as ::blue_schema::KeyPart>::decode_key_part(encoded).map(#construct)
            }
        }
    }
}
