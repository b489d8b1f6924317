//! The typed description of a `#[derive(Entity)]` input. Every node keeps the
//! syntax it came from, so errors point at the user's code.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path, Type};

use crate::attr::{self, Attr};
use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::symbol::*;

#[derive(Clone, Copy, PartialEq)]
pub enum KeyRole {
    Partition,
    Sort,
}

pub struct Entity<'a> {
    pub original: &'a DeriveInput,
    pub ident: &'a Ident,
    pub doc: String,
    /// `#[entity(table = Dialogue)]`
    pub table: Option<Path>,
    /// `#[entity(pk_prefix = "DLG")]`
    pub pk_prefix: Option<LitStr>,
    /// `#[sk(prefix = "EXPERT")]`
    pub prefix: Option<LitStr>,
    pub transparent: Option<TokenStream>,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    /// The field name without `r#`.
    pub name: String,
    pub ty: &'a Type,
    /// The stored attribute name, after serde renames.
    pub attribute: String,
    pub doc: String,
    /// The role a `#[pk]` or `#[sk]` attribute gives the field.
    pub role: Option<KeyRole>,
    pub skip: Option<TokenStream>,
    pub partial: Option<TokenStream>,
    pub flatten: Option<TokenStream>,
}

impl<'a> Entity<'a> {
    pub fn key_fields(&self, role: KeyRole) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(move |f| f.role == Some(role))
    }

    /// Reads the input; `None` when it is not a struct with named fields (the
    /// error is recorded).
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Entity<'a>> {
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Some(named),
                _ => None,
            },
            _ => None,
        };
        let Some(named) = named else {
            cx.error_spanned_by(
                &input.ident,
                "`#[derive(Entity)]` needs a struct with named fields: each field is a stored attribute",
            );
            return None;
        };

        let mut table = Attr::none(TABLE);
        let mut pk_prefix = Attr::none(PK_PREFIX);
        let mut prefix = Attr::none(PREFIX);
        for attr in &input.attrs {
            if attr.path() == ENTITY {
                // #[entity(table = Dialogue, pk_prefix = "DLG")]
                let parsed = attr.parse_nested_meta(|meta| {
                    if meta.path == TABLE {
                        let path: Path = meta.value()?.parse()?;
                        table.set(cx, &meta.path, path);
                    } else if meta.path == PK_PREFIX {
                        let lit = attr::get_lit_str(&meta)?;
                        pk_prefix.set(cx, &meta.path, lit);
                    } else {
                        return Err(meta.error(format!(
                            "unknown `entity` attribute `{}`; expected `table = TableEnum` or `pk_prefix = \"PREFIX\"`",
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
                        let lit = attr::get_lit_str(&meta)?;
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

        let serde = attr::serde_container(cx, &input.attrs);
        let rule = serde.rename_all.unwrap_or(RenameRule::None);
        let fields = named
            .named
            .iter()
            .map(|field| Field::from_ast(cx, field, rule))
            .collect();

        Some(Entity {
            original: input,
            ident: &input.ident,
            doc: attr::doc(&input.attrs),
            table: table.get(),
            pk_prefix: pk_prefix.get(),
            prefix: prefix.get(),
            transparent: serde.transparent,
            fields,
        })
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field, rule: RenameRule) -> Field<'a> {
        let ident = field
            .ident
            .as_ref()
            .expect("named fields always have an identifier");
        let mut role = Attr::none(Symbol("key role"));
        for attr in &field.attrs {
            let which = if attr.path() == PK {
                KeyRole::Partition
            } else if attr.path() == SK {
                KeyRole::Sort
            } else {
                continue;
            };
            match &attr.meta {
                // #[pk] / #[sk]
                syn::Meta::Path(_) => {
                    if let Some(previous) = role.value_ref() {
                        let message = if *previous == which {
                            "duplicate key attribute: give it once"
                        } else {
                            "a field is either `#[pk]` or `#[sk]`, not both: a partition-key field \
                             already scopes every query, so repeating it in the sort key adds nothing"
                        };
                        cx.error_spanned_by(attr, message);
                    } else {
                        role.set(cx, attr, which);
                    }
                }
                _ if which == KeyRole::Sort => cx.error_spanned_by(
                    attr,
                    "on a field, write a bare `#[sk]`; the prefix belongs on the struct: `#[sk(prefix = \"EXPERT\")]`",
                ),
                _ => cx.error_spanned_by(attr, "write a bare `#[pk]`: it takes no arguments"),
            }
        }
        let serde = attr::serde_field(&field.attrs);
        let name = ident.unraw().to_string();
        let attribute = serde.rename.unwrap_or_else(|| rule.apply_to_field(&name));
        Field {
            ident,
            name,
            ty: &field.ty,
            attribute,
            doc: attr::doc(&field.attrs),
            role: role.get(),
            skip: serde.skip,
            partial: serde.partial,
            flatten: serde.flatten,
        }
    }
}
