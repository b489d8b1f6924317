//! Code generation for `#[derive(Shape)]`: a frozen older shape of an
//! entity, decoded and upgraded along its chain.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Path};

use crate::ast::Field;
use crate::attr::{self, Attr, KeyRole};
use crate::case::RenameRule;
use crate::ctxt::{self, Ctxt};
use crate::symbol::{FROM, NUMBER, OF, SHAPE};
use quote::ToTokens;
use syn::Attribute;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::new();
    let attrs = attrs(&mut cx, &input.attrs);
    let serde = attr::serde_container(&mut cx, &input.attrs);
    let rule = serde.rename_all.unwrap_or(RenameRule::None);
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            _ => None,
        },
        _ => None,
    };
    if named.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "`#[derive(Shape)]` needs a struct with named fields: a frozen copy of the entity \
             as it was",
        );
    }
    let fields: Vec<Field> = named
        .map(|n| {
            n.named
                .iter()
                .map(|f| Field::from_ast(&mut cx, f, rule, serde.default))
                .collect()
        })
        .unwrap_or_default();
    let number = attrs
        .number
        .as_ref()
        .and_then(|lit| shape_number(&mut cx, lit));
    if attrs.number.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "a shape needs its number: `#[shape(of = Entity, number = 1)]`",
        );
    }
    if attrs.of.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "a shape names its entity: `#[shape(of = Entity, number = 1)]`",
        );
    }
    check_from(&mut cx, number, attrs.from.as_ref(), &input.ident);
    // A mistake in the declared key is reported beside a shape without
    // one, so that the entity naming the shape reports nothing more.
    let mut key_cx = Ctxt::new();
    let key = shape_key(&mut key_cx, &input.attrs, &fields);
    let (key, key_errors) = match key_cx.check() {
        Ok(()) => (key, TokenStream::new()),
        Err(errors) => (
            quote!(::std::option::Option::None),
            ctxt::to_compile_errors(errors),
        ),
    };
    if let Err(errors) = cx.check() {
        return ctxt::to_compile_errors(errors);
    }
    let (Some(of), Some(number)) = (attrs.of, number) else {
        unreachable!("checked: both are given");
    };
    let ident = &input.ident;
    let name = ident.to_string();
    let attributes = fields
        .iter()
        .filter(|f| f.skip.is_none() && f.flatten.is_none())
        .map(|f| f.attribute.clone());
    let (previous, decode, link) = match &attrs.from {
        None => (
            quote!(::std::option::Option::None),
            quote!(::blue_schema::__private::decode_first::<Self>(shape, item)),
            TokenStream::new(),
        ),
        Some(from) => (
            quote!(::std::option::Option::Some(
                &<#from as ::blue_schema::Shape>::SCHEMA
            )),
            {
                // The path spanned at `from`, the arguments this expansion's.
                let decode = quote_spanned!(from.span()=>
                    ::blue_schema::__private::decode_link::<Self, #from>
                );
                quote!(#decode(#number, shape, item))
            },
            link_checks(from, &quote!(#of), number, &name),
        ),
    };
    quote! {
        impl ::blue_schema::Shape for #ident {
            type Of = #of;
            const SCHEMA: ::blue_schema::schema::ShapeSchema = ::blue_schema::schema::ShapeSchema {
                number: #number,
                name: #name,
                attributes: &[#(#attributes),*],
                previous: #previous,
                key: #key,
            };

            fn __decode(
                shape: u64,
                item: ::blue_schema::__private::serde_json::Value,
            ) -> ::std::result::Result<Self, ::blue_schema::BoxError> {
                #decode
            }
        }

        #link
        #key_errors
    }
}

/// The key a shape's items were written under, when the frozen type
/// declares one with `#[sk(prefix = ..)]`: `Some(&ShapeKey {..})`, else
/// `None` (the key of the shape after it).
fn shape_key(cx: &mut Ctxt, attrs: &[Attribute], fields: &[Field]) -> TokenStream {
    let declared = attr::entity(cx, attrs);
    let Some(prefix) = declared.prefix else {
        return quote!(::std::option::Option::None);
    };
    if let Some(parent) = &declared.parent {
        cx.error_spanned_by(
            parent,
            "the key of an entity nested under a parent cannot move: a shape declares its key \
             without `parent`",
        );
    }
    let keyed = |role: KeyRole| {
        let items: Vec<TokenStream> = fields
            .iter()
            .filter(|f| f.role == Some(role))
            .map(|f| {
                let field = &f.name;
                let ty = f.ty;
                let rust_type = crate::ast::type_string(ty);
                quote! {
                    ::blue_schema::__private::key_field(
                        #field,
                        #rust_type,
                        &<#ty as ::blue_schema::KeyPart>::ENCODING,
                    )
                }
            })
            .collect();
        items
    };
    let pk = keyed(KeyRole::Partition);
    let sk = keyed(KeyRole::Sort);
    if pk.is_empty() {
        cx.error_spanned_by(
            &prefix,
            "a shape that declares the key its items were written under (`#[sk(prefix = ..)]`) \
             marks that key's fields too: `#[pk]` on the partition-key fields, `#[sk]` on the \
             sort-key fields",
        );
    }
    let pk_prefix = match &declared.pk_prefix {
        Some(p) => quote!(::std::option::Option::Some(#p)),
        None => quote!(::std::option::Option::None),
    };
    quote! {
        ::std::option::Option::Some(&::blue_schema::schema::ShapeKey {
            pk_prefix: #pk_prefix,
            prefix: #prefix,
            partition_key: &[#(#pk),*],
            sort_key: &[#(#sk),*],
        })
    }
}

/// The attributes of a `#[derive(Shape)]` struct: `#[shape(of = Expert,
/// number = 1, from = ...)]`.
pub struct ShapeAttrs {
    pub of: Option<Path>,
    pub number: Option<syn::LitInt>,
    pub from: Option<Path>,
}

fn attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ShapeAttrs {
    let mut of = Attr::none(OF);
    let mut number = Attr::none(NUMBER);
    let mut from = Attr::none(FROM);
    for attr in attrs.iter().filter(|a| a.path() == SHAPE) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path == OF {
                let path: Path = meta.value()?.parse()?;
                of.set(cx, &meta.path, path);
            } else if meta.path == NUMBER {
                let lit: syn::LitInt = meta.value()?.parse()?;
                number.set(cx, &meta.path, lit);
            } else if meta.path == FROM {
                let path: Path = meta.value()?.parse()?;
                from.set(cx, &meta.path, path);
            } else {
                return Err(meta.error(format!(
                    "unknown `shape` attribute `{}`; expected `of = Entity`, `number = N` or \
                     `from = PreviousShape`",
                    meta.path.to_token_stream()
                )));
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    ShapeAttrs {
        of: of.get(),
        number: number.get(),
        from: from.get(),
    }
}

/// A shape number: a positive integer.
pub fn shape_number(cx: &mut Ctxt, lit: &syn::LitInt) -> Option<u32> {
    match lit.base10_parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            cx.error_spanned_by(lit, "a shape number is a whole number from 1 up");
            None
        }
    }
}

/// Shape 1 upgrades from nothing; every later one from the one before.
pub fn check_from(cx: &mut Ctxt, number: Option<u32>, from: Option<&Path>, at: &syn::Ident) {
    match (number, from) {
        (Some(1), Some(from)) => cx.error_spanned_by(
            from,
            "shape 1 is the first: it upgrades from nothing, so remove `from`",
        ),
        (Some(n), None) if n > 1 => cx.error_spanned_by(
            at,
            format!(
                "shape {n} must say which shape it upgrades from: add `from = ...` naming the \
                 frozen type of shape {} (`#[derive(Shape)]`)",
                n - 1
            ),
        ),
        _ => {}
    }
}

/// That `from` is shape `number - 1` of the same entity `of`, spanned at
/// `from`.
pub fn link_checks(from: &Path, of: &TokenStream, number: u32, name: &str) -> TokenStream {
    let before = number - 1;
    let message = format!(
        "`{name}` is shape {number}, so `from` must name shape {before} of the chain: \
         the chain of shapes has no gaps"
    );
    quote_spanned! {from.span()=>
        const _: () = ::std::assert!(
            <#from as ::blue_schema::Shape>::SCHEMA.number == #before,
            #message,
        );
        const _: () = {
            #[allow(dead_code)]
            fn same_entity<P: ::blue_schema::Shape<Of = #of>>() {}
            #[allow(dead_code)]
            fn check() {
                same_entity::<#from>();
            }
        };
    }
}
