//! Reading attributes: ours (`entity`, `pk`, `sk`, `table`) and the parts of
//! serde's that decide stored attribute names.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::symbol::*;

/// A slot for one attribute value that reports a second one at its span.
pub struct Attr<T> {
    name: Symbol,
    value: Option<T>,
}

impl<T> Attr<T> {
    pub fn none(name: Symbol) -> Self {
        Attr { name, value: None }
    }

    pub fn set<A: ToTokens>(&mut self, cx: &mut Ctxt, obj: A, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(obj, format!("duplicate `{}`: give it once", self.name));
        } else {
            self.value = Some(value);
        }
    }

    pub fn value_ref(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn get(self) -> Option<T> {
        self.value
    }
}

/// The `///` comments of an item, joined and trimmed.
pub fn doc(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                lines.push(s.value().trim().to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

/// Reads a string literal after `=`.
pub fn get_lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            "expected a string literal, e.g. \"EXPERT\"",
        )),
    }
}

/// Consumes whatever follows an attribute key we do not care about.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// serde's container attributes that matter for names.
#[derive(Default)]
pub struct SerdeContainer {
    pub rename_all: Option<RenameRule>,
    /// `#[serde(transparent)]`, which would make the item not a map.
    pub transparent: Option<TokenStream>,
}

// Malformed serde attributes are left for serde_derive to report, so parse
// errors here are ignored rather than reported twice.
pub fn serde_container(cx: &mut Ctxt, attrs: &[Attribute]) -> SerdeContainer {
    let mut out = SerdeContainer::default();
    for attr in attrs.iter().filter(|a| a.path() == SERDE) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path == RENAME_ALL {
                // #[serde(rename_all = "camelCase")]
                // #[serde(rename_all(serialize = "camelCase"))]
                if meta.input.peek(syn::Token![=]) {
                    let lit = get_lit_str(&meta)?;
                    out.rename_all = Some(RenameRule::parse(cx, &lit));
                } else {
                    meta.parse_nested_meta(|inner| {
                        if inner.path == SERIALIZE {
                            let lit = get_lit_str(&inner)?;
                            out.rename_all = Some(RenameRule::parse(cx, &lit));
                        } else {
                            skip_value(&inner)?;
                        }
                        Ok(())
                    })?;
                }
            } else if meta.path == TRANSPARENT {
                out.transparent = Some(meta.path.to_token_stream());
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    out
}

/// serde's field or variant attributes that matter for names.
#[derive(Default)]
pub struct SerdeField {
    pub rename: Option<String>,
    /// `skip` or `skip_serializing`: the field is not stored.
    pub skip: Option<TokenStream>,
    /// `skip_serializing_if` or `skip_deserializing`: stored only sometimes,
    /// or not read back.
    pub partial: Option<TokenStream>,
    pub flatten: Option<TokenStream>,
}

pub fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in attrs.iter().filter(|a| a.path() == SERDE) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path == RENAME {
                // #[serde(rename = "name")] or #[serde(rename(serialize = "name"))]
                if meta.input.peek(syn::Token![=]) {
                    out.rename = Some(get_lit_str(&meta)?.value());
                } else {
                    meta.parse_nested_meta(|inner| {
                        if inner.path == SERIALIZE {
                            out.rename = Some(get_lit_str(&inner)?.value());
                        } else {
                            skip_value(&inner)?;
                        }
                        Ok(())
                    })?;
                }
            } else if meta.path == SKIP || meta.path == SKIP_SERIALIZING {
                out.skip = Some(meta.path.to_token_stream());
            } else if meta.path == SKIP_SERIALIZING_IF || meta.path == SKIP_DESERIALIZING {
                out.partial = Some(meta.path.to_token_stream());
                skip_value(&meta)?;
            } else if meta.path == FLATTEN {
                out.flatten = Some(meta.path.to_token_stream());
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    out
}
