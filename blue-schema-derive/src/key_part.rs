//! Code generation for `#[derive(KeyPart)]`: unit-only enums and newtypes.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::KeyPart;
use crate::attr::EnumOrder;
use crate::check;
use crate::ctxt::{self, Ctxt};

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let key_part = KeyPart::from_ast(&mut cx, input);
    check::check_key_part(&mut cx, &key_part);
    match cx.check() {
        Ok(()) => generate(&key_part),
        Err(errors) => {
            let errors = ctxt::to_compile_errors(errors);
            let fallback = fallback(input);
            quote!(#errors #fallback)
        }
    }
}

/// A `KeyPart` impl for a type whose derive failed, so that the entities
/// that use it as a key field do not report the same mistake again. It
/// encodes nothing and decodes nothing; the program does not compile anyway.
fn fallback(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let expected = format!("{ident} (whose #[derive(KeyPart)] failed)");
    quote! {
        impl ::blue_schema::KeyPart for #ident {
            const ENCODING: ::blue_schema::key::KeyEncoding = ::blue_schema::key::KeyEncoding::String;

            fn encode_key_part(&self, _out: &mut ::std::string::String) {}

            fn decode_key_part(encoded: &str) -> ::std::result::Result<Self, ::blue_schema::key::KeyDecodeError> {
                ::std::result::Result::Err(::blue_schema::key::KeyDecodeError::Invalid {
                    component: ::std::string::ToString::to_string(encoded),
                    expected: #expected,
                })
            }
        }
    }
}

fn generate(key_part: &KeyPart) -> TokenStream {
    match key_part {
        KeyPart::Enum {
            original,
            order,
            variants,
        } => {
            let order = match order {
                Some((EnumOrder::Declaration, _)) => quote!(Declaration),
                Some((EnumOrder::Name, _)) => quote!(NameByChoice),
                None => quote!(Name),
            };
            generate_enum(original, order, variants)
        }
        KeyPart::Newtype {
            original,
            member,
            ty,
            construct,
            ..
        } => generate_newtype(original, member, ty, construct),
        KeyPart::Other { .. } => TokenStream::new(),
    }
}

// A unit-only enum is written as its serde name (so a key reads like the JSON
// of the same value), after its position when its names do not sort in
// declaration order.
fn generate_enum(
    input: &DeriveInput,
    order: TokenStream,
    variants: &[(&syn::Variant, String)],
) -> TokenStream {
    let ident = &input.ident;
    let rust_name = ident.to_string();
    let expected = format!("{rust_name} (one of its variants)");
    let names: Vec<&String> = variants.iter().map(|(_, name)| name).collect();
    let encode_arms = variants.iter().enumerate().map(|(position, (v, name))| {
        let v = &v.ident;
        quote!(#ident::#v => (#position, #name))
    });
    let decode_arms = variants.iter().enumerate().map(|(position, (v, _))| {
        let v = &v.ident;
        quote!(#position => ::std::result::Result::Ok(#ident::#v))
    });
    quote! {
        impl ::blue_schema::KeyPart for #ident {
            const ENCODING: ::blue_schema::key::KeyEncoding = ::blue_schema::key::KeyEncoding::Enum {
                name: #rust_name,
                variants: &[#(#names),*],
                order: ::blue_schema::__private::EnumOrder::#order,
            };

            fn encode_key_part(&self, out: &mut ::std::string::String) {
                let (position, name) = match self {
                    #(#encode_arms,)*
                };
                ::blue_schema::__private::encode_enum_variant(
                    position,
                    name,
                    ::blue_schema::__private::EnumOrder::#order,
                    out,
                );
            }

            fn decode_key_part(encoded: &str) -> ::std::result::Result<Self, ::blue_schema::key::KeyDecodeError> {
                let position = ::blue_schema::__private::decode_enum_variant(
                    encoded,
                    &[#(#names),*],
                    ::blue_schema::__private::EnumOrder::#order,
                    #expected,
                )?;
                match position {
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
fn generate_newtype(
    input: &DeriveInput,
    member: &TokenStream,
    ty: &syn::Type,
    construct: &TokenStream,
) -> TokenStream {
    let ident = &input.ident;
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
