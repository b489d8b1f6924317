//! Reading `#[index(...)]`: an access pattern on a secondary index, its
//! keys, what its entries hold (`project`) and its view (`view`).

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::attr::get_lit_str;
use crate::ctxt::Ctxt;
use crate::symbol::*;

/// What an index's entries hold besides their keys.
#[derive(Clone)]
pub enum Projection {
    /// `project = all` (the default): the whole item.
    All,
    /// `project = keys_only`: the table's and the index's keys.
    KeysOnly,
    /// `project(name, tier)`: the keys and these fields, read as the
    /// pattern's generated view. The span is the `project` keyword's.
    Include(Vec<syn::Ident>, proc_macro2::Span),
}

/// `view(name = ExpertCard, derive(Debug, Clone))`: the generated view of
/// a `project(..)` pattern.
pub struct ViewDecl {
    /// The `view` keyword, for errors.
    pub span: proc_macro2::Span,
    /// `name = ExpertCard`
    pub name: Option<syn::Ident>,
    /// `derive(Debug, Clone)`
    pub derives: Vec<Path>,
}

/// One `#[index(...)]` attribute: an access pattern on a secondary index.
pub struct Index {
    /// The attribute, for errors about the whole pattern.
    pub span: proc_macro2::Span,
    /// `gsi1`: the table's physical index it lives in.
    pub slot: Option<syn::Ident>,
    /// `name = by_role`: the query method.
    pub name: Option<syn::Ident>,
    /// `pk(prefix = "ROLE", ...)`
    pub pk_prefix: Option<LitStr>,
    /// `pk(fields(role))`
    pub pk_fields: Vec<syn::Ident>,
    /// `sk(fields(joined))`; `None` without `sk(...)`.
    pub sk_fields: Vec<syn::Ident>,
    /// `project = keys_only`, `project(name, tier)`
    pub projection: Projection,
    /// `view(name = .., derive(..))`
    pub view: Option<ViewDecl>,
    /// `attributes`: the keys are the fields themselves (a
    /// multi-attribute index), not strings the codec composes.
    pub attributes: Option<proc_macro2::Span>,
}

/// `fields(a, b)` inside `pk(...)` or `sk(...)`.
fn index_key(
    meta: &ParseNestedMeta,
    prefix: Option<&mut Option<LitStr>>,
    fields: &mut Vec<syn::Ident>,
    which: &str,
) -> syn::Result<()> {
    let mut prefix = prefix;
    meta.parse_nested_meta(|inner| {
        if inner.path == FIELDS {
            let content;
            syn::parenthesized!(content in inner.input);
            let list = content.parse_terminated(syn::Ident::parse_any, syn::Token![,])?;
            fields.extend(list);
            Ok(())
        } else if inner.path == PREFIX {
            match prefix.as_deref_mut() {
                Some(slot) => {
                    *slot = Some(get_lit_str(&inner)?);
                    Ok(())
                }
                None => Err(inner.error(
                    "an index sort key always starts with the entity's own prefix (its `#[sk(prefix)]`), \
                     so that entities sharing an index never mix: remove `prefix` here",
                )),
            }
        } else {
            Err(inner.error(format!(
                "unknown `{which}` attribute `{}`; expected {}",
                inner.path.to_token_stream(),
                if which == "pk" {
                    "`prefix = \"PREFIX\"` or `fields(a, b)`"
                } else {
                    "`fields(a, b)`"
                }
            )))
        }
    })
}

/// `view(name = ExpertCard, derive(Debug, Clone))`
fn view(meta: &ParseNestedMeta) -> syn::Result<ViewDecl> {
    let mut out = ViewDecl {
        span: syn::spanned::Spanned::span(&meta.path),
        name: None,
        derives: Vec::new(),
    };
    meta.parse_nested_meta(|inner| {
        if inner.path == NAME {
            let ident: syn::Ident = inner.value()?.parse()?;
            out.name = Some(ident);
            Ok(())
        } else if inner.path == DERIVE {
            let content;
            syn::parenthesized!(content in inner.input);
            let list = content.parse_terminated(Path::parse_mod_style, syn::Token![,])?;
            out.derives.extend(list);
            Ok(())
        } else {
            Err(inner.error(format!(
                "unknown `view` attribute `{}`; expected `name = ExpertCard` or `derive(Debug, Clone)`",
                inner.path.to_token_stream()
            )))
        }
    })?;
    Ok(out)
}

pub(crate) fn index(cx: &mut Ctxt, attr: &Attribute) -> Index {
    use syn::spanned::Spanned;
    let mut out = Index {
        span: attr.span(),
        slot: None,
        name: None,
        pk_prefix: None,
        pk_fields: Vec::new(),
        sk_fields: Vec::new(),
        projection: Projection::All,
        view: None,
        attributes: None,
    };
    let parsed = attr.parse_nested_meta(|meta| {
        if meta.path == NAME {
            let expr: syn::Expr = meta.value()?.parse()?;
            match expr {
                syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                    out.name = p.path.get_ident().cloned();
                    Ok(())
                }
                other => Err(syn::Error::new_spanned(
                    other,
                    "the access pattern's name is the query method: write `name = by_role`",
                )),
            }
        } else if meta.path == PK {
            index_key(&meta, Some(&mut out.pk_prefix), &mut out.pk_fields, "pk")
        } else if meta.path == SK {
            index_key(&meta, None, &mut out.sk_fields, "sk")
        } else if meta.path == PROJECT && meta.input.peek(syn::token::Paren) {
            // `project(name, tier)`
            let content;
            syn::parenthesized!(content in meta.input);
            let list = content.parse_terminated(syn::Ident::parse_any, syn::Token![,])?;
            out.projection = Projection::Include(list.into_iter().collect(), meta.path.span());
            Ok(())
        } else if meta.path == VIEW {
            out.view = Some(view(&meta)?);
            Ok(())
        } else if meta.path == ATTRIBUTES && (meta.input.is_empty() || meta.input.peek(syn::Token![,])) {
            out.attributes = Some(meta.path.span());
            Ok(())
        } else if meta.path == PROJECT {
            let expr: syn::Expr = meta.value()?.parse()?;
            let word = match &expr {
                syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
                _ => None,
            };
            out.projection = match word.as_deref() {
                Some("all") => Projection::All,
                Some("keys_only") => Projection::KeysOnly,
                _ => {
                    return Err(syn::Error::new_spanned(
                        expr,
                        "unknown projection: write `project = all` (the whole item, the default), \
                         `project = keys_only` (the keys; fetch the items with `store.get_many`) \
                         or `project(field, ..)` (the keys and these fields, read as a view)",
                    ))
                }
            };
            Ok(())
        } else if let Some(ident) = meta.path.get_ident().filter(|_| {
            meta.input.is_empty() || meta.input.peek(syn::Token![,])
        }) {
            // The physical index: `gsi1`.
            if out.slot.is_some() {
                return Err(meta.error(
                    "an access pattern lives in one index: give the index (`gsi1`) once",
                ));
            }
            out.slot = Some(ident.clone());
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown `index` attribute `{}`; expected the index (`gsi1`), `name = by_role`, \
                 `pk(prefix = \"ROLE\", fields(role))`, `sk(fields(joined))`, `project = keys_only`, \
                 `project(field, ..)`, `view(name = Card, derive(Debug))` or `attributes`",
                meta.path.to_token_stream()
            )))
        }
    });
    if let Err(e) = parsed {
        cx.syn_error(e);
    }
    out
}
