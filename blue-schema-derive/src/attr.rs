//! Reading attributes into typed values: ours (`entity`, `pk`, `sk`,
//! `table`, `key_part`) and the parts of serde's that decide stored names and
//! shapes. Nothing here judges the values; `check` does.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::symbol::*;

use crate::index_attr::index;
pub use crate::index_attr::{Index, Projection};

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
pub(crate) fn get_lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
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

/// What part a field plays in the key.
#[derive(Clone, Copy, PartialEq)]
pub enum KeyRole {
    Partition,
    Sort,
}

/// The attributes of a `#[derive(Entity)]` struct.
pub struct Entity {
    /// `#[entity(table = Dialogue)]`
    pub table: Option<Path>,
    /// `#[entity(pk_prefix = "DLG")]`
    pub pk_prefix: Option<LitStr>,
    /// `#[entity(parent = Order)]`
    pub parent: Option<Path>,
    /// `#[sk(prefix = "EXPERT")]`
    pub prefix: Option<LitStr>,
    /// `#[index(gsi1, name = by_role, pk(...), sk(...), project = ...)]`
    pub indexes: Vec<Index>,
    /// `#[entity(shape = 2)]`
    pub shape: Option<syn::LitInt>,
    /// `#[entity(from = ExpertV1)]`: the previous shape.
    pub from: Option<Path>,
    /// An `#[entity]` or `#[sk]` attribute of the struct was refused: what
    /// it should have given (the table, the prefix) is not reported missing
    /// as well, so that one mistake is one error.
    pub malformed: bool,
}

pub fn entity(cx: &mut Ctxt, attrs: &[Attribute]) -> Entity {
    let mut table = Attr::none(TABLE);
    let mut pk_prefix = Attr::none(PK_PREFIX);
    let mut parent = Attr::none(PARENT);
    let mut prefix = Attr::none(PREFIX);
    let mut shape = Attr::none(SHAPE);
    let mut from = Attr::none(FROM);
    let mut indexes = Vec::new();
    let errors_before = cx.count();
    for attr in attrs {
        if attr.path() == INDEX {
            indexes.push(index(cx, attr));
        } else if attr.path() == ENTITY {
            // #[entity(table = Dialogue, pk_prefix = "DLG")]
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path == TABLE {
                    let path: Path = meta.value()?.parse()?;
                    table.set(cx, &meta.path, path);
                } else if meta.path == PK_PREFIX {
                    let lit = get_lit_str(&meta)?;
                    pk_prefix.set(cx, &meta.path, lit);
                } else if meta.path == PARENT {
                    let path: Path = meta.value()?.parse()?;
                    parent.set(cx, &meta.path, path);
                } else if meta.path == SHAPE {
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    shape.set(cx, &meta.path, lit);
                } else if meta.path == FROM {
                    let path: Path = meta.value()?.parse()?;
                    from.set(cx, &meta.path, path);
                } else {
                    return Err(meta.error(format!(
                        "unknown `entity` attribute `{}`; expected `table = TableEnum`, \
                         `pk_prefix = \"PREFIX\"`, `parent = Entity`, `shape = N` or \
                         `from = PreviousShape`",
                        meta.path.to_token_stream()
                    )));
                }
                Ok(())
            });
            if let Err(e) = parsed {
                cx.syn_error(e);
            }
        } else if attr.path() == SK {
            // #[sk(prefix = "EXPERT")]
            if let syn::Meta::Path(path) = &attr.meta {
                cx.error_spanned_by(
                    path,
                    "on the struct, `sk` names the item type: write `#[sk(prefix = \"EXPERT\")]`; \
                     a bare `#[sk]` goes on the fields that make up the sort key",
                );
                continue;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path == PREFIX {
                    let lit = get_lit_str(&meta)?;
                    prefix.set(cx, &meta.path, lit);
                    Ok(())
                } else {
                    Err(meta.error(format!(
                        "unknown `sk` attribute `{}`; expected `prefix = \"PREFIX\"`",
                        meta.path.to_token_stream()
                    )))
                }
            });
            if let Err(e) = parsed {
                cx.syn_error(e);
            }
        } else if attr.path() == PK {
            cx.error_spanned_by(
                attr,
                "`#[pk]` goes on the fields that make up the partition key, not on the struct \
                 (a partition-key prefix is `#[entity(pk_prefix = \"PREFIX\")]`)",
            );
        }
    }
    Entity {
        table: table.get(),
        pk_prefix: pk_prefix.get(),
        parent: parent.get(),
        prefix: prefix.get(),
        indexes,
        shape: shape.get(),
        from: from.get(),
        malformed: cx.count() > errors_before,
    }
}

/// The attributes of a `#[derive(Table)]` enum.
pub struct Table {
    /// `#[table(name = "blue_dialogue")]`
    pub name: Option<LitStr>,
    /// `#[table(indexes(gsi1, gsi2))]`
    pub indexes: Vec<syn::Ident>,
    /// `#[table(ttl = "expires_at")]`: the table's one TTL attribute.
    pub ttl: Option<LitStr>,
    /// `#[table(stream)]`: the table has a change feed.
    pub stream: bool,
}

pub fn table(cx: &mut Ctxt, attrs: &[Attribute]) -> Table {
    let mut name = Attr::none(NAME);
    let mut ttl = Attr::none(TTL);
    let mut indexes = Vec::new();
    let mut stream = false;
    for attr in attrs.iter().filter(|a| a.path() == TABLE) {
        // #[table(name = "blue_dialogue", indexes(gsi1, gsi2))]
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path == NAME {
                let lit = get_lit_str(&meta)?;
                name.set(cx, &meta.path, lit);
                Ok(())
            } else if meta.path == TTL {
                let lit = get_lit_str(&meta)?;
                ttl.set(cx, &meta.path, lit);
                Ok(())
            } else if meta.path == STREAM {
                if stream {
                    return Err(meta.error("duplicate `table` attribute `stream`"));
                }
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(meta.error(
                        "write a bare `stream`: the change feed always carries old and new images",
                    ));
                }
                stream = true;
                Ok(())
            } else if meta.path == INDEXES {
                let content;
                syn::parenthesized!(content in meta.input);
                let list = content.parse_terminated(syn::Ident::parse_any, syn::Token![,])?;
                indexes.extend(list);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `table` attribute `{}`; expected `name = \"blue_domain\"`, `indexes(gsi1, gsi2)`, `ttl = \"expires_at\"` or `stream`",
                    meta.path.to_token_stream()
                )))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    Table {
        name: name.get(),
        indexes,
        ttl: ttl.get(),
        stream,
    }
}

/// How a key-part enum's variants are ordered in keys.
#[derive(Clone, Copy, PartialEq)]
pub enum EnumOrder {
    /// `#[key_part(order = "name")]`
    Name,
    /// `#[key_part(order = "declaration")]`
    Declaration,
}

/// The attributes of a `#[derive(KeyPart)]` type.
pub struct KeyPart {
    /// `#[key_part(order = "declaration")]`, with the literal for errors.
    pub order: Option<(EnumOrder, LitStr)>,
}

pub fn key_part(cx: &mut Ctxt, attrs: &[Attribute]) -> KeyPart {
    let mut order = Attr::none(ORDER);
    for attr in attrs.iter().filter(|a| a.path() == KEY_PART) {
        // #[key_part(order = "declaration")]
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path == ORDER {
                let lit = get_lit_str(&meta)?;
                let value = match lit.value().as_str() {
                    "name" => EnumOrder::Name,
                    "declaration" => EnumOrder::Declaration,
                    other => {
                        return Err(syn::Error::new_spanned(
                            &lit,
                            format!(
                                "unknown order {other:?}: write `order = \"declaration\"` (by position) \
                                 or `order = \"name\"` (by serde name)"
                            ),
                        ))
                    }
                };
                order.set(cx, &meta.path, (value, lit));
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `key_part` attribute `{}`; expected `order = \"declaration\"` or `order = \"name\"`",
                    meta.path.to_token_stream()
                )))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    KeyPart { order: order.get() }
}

/// serde's container attributes that matter for names and shapes.
#[derive(Default)]
pub struct SerdeContainer {
    pub rename_all: Option<RenameRule>,
    /// `#[serde(transparent)]`, which would make the item not a map.
    pub transparent: Option<TokenStream>,
    /// `#[serde(default)]`: every missing attribute reads as its default.
    pub default: bool,
    /// `into`, `from`, `try_from`, `tag`, `untagged`, `content`, `remote`:
    /// the item is not the struct's own fields.
    pub reshaped: Vec<TokenStream>,
    /// `#[serde(deny_unknown_fields)]`
    pub deny_unknown: Option<TokenStream>,
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
            } else if meta.path == DENY_UNKNOWN_FIELDS {
                out.deny_unknown = Some(meta.path.to_token_stream());
            } else if meta.path == DEFAULT {
                out.default = true;
                skip_value(&meta)?;
            } else {
                if RESHAPING.iter().any(|s| meta.path == *s) {
                    out.reshaped.push(meta.path.to_token_stream());
                }
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
    /// `with` or `serialize_with`: stored by a function, not the type's
    /// own `Serialize`.
    pub custom: Option<TokenStream>,
    /// `skip` or `skip_serializing`: the field is not stored.
    pub skip: Option<TokenStream>,
    /// `skip_serializing_if` or `skip_deserializing`: stored only sometimes,
    /// or not read back.
    pub partial: Option<TokenStream>,
    pub flatten: Option<TokenStream>,
    /// `default`: a missing attribute reads as the field's default.
    pub default: bool,
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
            } else if meta.path == WITH || meta.path == SERIALIZE_WITH {
                out.custom = Some(meta.path.to_token_stream());
                skip_value(&meta)?;
            } else if meta.path == FLATTEN {
                out.flatten = Some(meta.path.to_token_stream());
            } else if meta.path == DEFAULT {
                out.default = true;
                skip_value(&meta)?;
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    out
}
