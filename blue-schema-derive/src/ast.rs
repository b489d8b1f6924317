//! The typed description of each derive's input. Every node keeps the
//! syntax it came from, so errors point at the user's code.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path, Type};

use crate::attr::{self, EnumOrder, KeyRole};
use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// A `#[derive(Entity)]` struct.
pub struct Entity<'a> {
    pub original: &'a DeriveInput,
    pub ident: &'a Ident,
    pub doc: String,
    /// `#[entity(table = Dialogue)]`
    pub table: Option<Path>,
    /// `#[entity(pk_prefix = "DLG")]`
    pub pk_prefix: Option<LitStr>,
    /// `#[entity(parent = Order)]`: the entity whose sort key begins this one's.
    pub parent: Option<Path>,
    /// `#[sk(prefix = "EXPERT")]`
    pub prefix: Option<LitStr>,
    pub transparent: Option<TokenStream>,
    /// serde container attributes that change the item's shape.
    pub reshaped: Vec<TokenStream>,
    /// `#[serde(deny_unknown_fields)]`
    pub deny_unknown: Option<TokenStream>,
    /// `#[index(...)]`: access patterns on secondary indexes.
    pub indexes: Vec<attr::Index>,
    /// `#[entity(shape = 2)]`
    pub shape: Option<syn::LitInt>,
    /// `#[entity(from = ExpertV1)]`
    pub from: Option<Path>,
    /// An `#[entity]` or `#[sk]` attribute was refused (`attr::Entity`).
    pub malformed: bool,
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
    /// serde `with` or `serialize_with`.
    pub custom: Option<TokenStream>,
    /// `#[version]`: the optimistic-locking counter.
    pub version: Option<&'a syn::Attribute>,
    /// `#[set]`: stored as a DynamoDB string or number set.
    pub set: Option<&'a syn::Attribute>,
    /// `#[ttl]`: when the item expires, in epoch seconds.
    pub ttl: Option<&'a syn::Attribute>,
    /// `#[unique]` or `#[unique(group = "..")]`: no two items of the entity
    /// hold the same value (of the field, or of the group's fields).
    pub unique: Option<&'a syn::Attribute>,
    /// `#[serde(default)]` on the field or the struct.
    pub default: bool,
}

impl<'a> Entity<'a> {
    pub fn key_fields(&self, role: KeyRole) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(move |f| f.role == Some(role))
    }

    /// The field named `ident`, if any.
    pub fn field(&self, ident: &Ident) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .find(|f| f.ident == ident || *ident == f.name)
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
        let attrs = attr::entity(cx, &input.attrs);
        let serde = attr::serde_container(cx, &input.attrs);
        let rule = serde.rename_all.unwrap_or(RenameRule::None);
        let fields = named
            .named
            .iter()
            .map(|field| Field::from_ast(cx, field, rule, serde.default))
            .collect();
        Some(Entity {
            original: input,
            ident: &input.ident,
            doc: attr::doc(&input.attrs),
            table: attrs.table,
            pk_prefix: attrs.pk_prefix,
            parent: attrs.parent,
            prefix: attrs.prefix,
            transparent: serde.transparent,
            reshaped: serde.reshaped,
            deny_unknown: serde.deny_unknown,
            indexes: attrs.indexes,
            shape: attrs.shape,
            from: attrs.from,
            malformed: attrs.malformed,
            fields,
        })
    }
}

impl<'a> Field<'a> {
    pub fn from_ast(
        cx: &mut Ctxt,
        field: &'a syn::Field,
        rule: RenameRule,
        container_default: bool,
    ) -> Field<'a> {
        let ident = field
            .ident
            .as_ref()
            .expect("named fields always have an identifier");
        let serde = attr::serde_field(&field.attrs);
        let name = ident.unraw().to_string();
        let attribute = serde.rename.unwrap_or_else(|| rule.apply_to_field(&name));
        Field {
            ident,
            name,
            ty: &field.ty,
            attribute,
            doc: attr::doc(&field.attrs),
            role: field_role(cx, &field.attrs),
            skip: serde.skip,
            partial: serde.partial,
            flatten: serde.flatten,
            custom: serde.custom,
            version: field.attrs.iter().find(|a| a.path().is_ident("version")),
            set: field.attrs.iter().find(|a| a.path().is_ident("set")),
            ttl: field.attrs.iter().find(|a| a.path().is_ident("ttl")),
            unique: field.attrs.iter().find(|a| a.path().is_ident("unique")),
            default: serde.default || container_default,
        }
    }
}

/// A `#[derive(Table)]` enum.
pub struct Table<'a> {
    pub original: &'a DeriveInput,
    pub doc: String,
    /// `#[table(name = "blue_dialogue")]`
    pub name: Option<LitStr>,
    /// `#[table(indexes(gsi1, gsi2))]`
    pub indexes: Vec<Ident>,
    /// `#[table(ttl = "expires_at")]`: the attribute DynamoDB's TTL reads.
    pub ttl: Option<LitStr>,
    /// `#[table(stream)]`: the table has a change feed.
    pub stream: bool,
    /// Whether the input is an enum at all.
    pub is_enum: bool,
    /// The variants that hold one entity each: `Expert(Expert)`.
    pub variants: Vec<(&'a Ident, &'a Type)>,
    /// Each variant's type as token text, written once (each one a round
    /// trip across the proc-macro bridge): what entity names and the
    /// check for an entity listed twice compare.
    pub type_names: Vec<String>,
    /// Variants of any other shape.
    pub malformed: Vec<&'a syn::Variant>,
}

impl<'a> Table<'a> {
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Table<'a> {
        let attrs = attr::table(cx, &input.attrs);
        let mut variants = Vec::new();
        let mut malformed = Vec::new();
        if let Data::Enum(data) = &input.data {
            for variant in &data.variants {
                match &variant.fields {
                    Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                        variants.push((&variant.ident, &fields.unnamed[0].ty));
                    }
                    _ => malformed.push(variant),
                }
            }
        }
        Table {
            original: input,
            doc: attr::doc(&input.attrs),
            name: attrs.name,
            indexes: attrs.indexes,
            ttl: attrs.ttl,
            stream: attrs.stream,
            is_enum: matches!(input.data, Data::Enum(_)),
            type_names: variants
                .iter()
                .map(|(_, ty)| ty.to_token_stream().to_string())
                .collect(),
            variants,
            malformed,
        }
    }

    /// For each variant, whether an earlier one lists the same entity.
    pub fn listed_before(&self) -> Vec<bool> {
        let mut seen = std::collections::HashSet::with_capacity(self.type_names.len());
        self.type_names
            .iter()
            .map(|name| !seen.insert(name))
            .collect()
    }
}

/// A `#[derive(KeyPart)]` type: a unit-only enum or a newtype.
pub enum KeyPart<'a> {
    Enum {
        original: &'a DeriveInput,
        /// `#[key_part(order = ...)]`
        order: Option<(EnumOrder, LitStr)>,
        /// Each variant with its stored (serde) name.
        variants: Vec<(&'a syn::Variant, String)>,
    },
    Newtype {
        original: &'a DeriveInput,
        /// How to reach the wrapped value (`0` or the field's name).
        member: TokenStream,
        ty: &'a Type,
        /// How to build the newtype from the wrapped value.
        construct: TokenStream,
        order: Option<(EnumOrder, LitStr)>,
    },
    /// Neither: the error is recorded.
    Other { original: &'a DeriveInput },
}

impl<'a> KeyPart<'a> {
    pub fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> KeyPart<'a> {
        let order = attr::key_part(cx, &input.attrs).order;
        let ident = &input.ident;
        match &input.data {
            Data::Enum(data) => {
                let rule = attr::serde_container(cx, &input.attrs)
                    .rename_all
                    .unwrap_or(RenameRule::None);
                let variants = data
                    .variants
                    .iter()
                    .map(|v| {
                        let name = attr::serde_field(&v.attrs)
                            .rename
                            .unwrap_or_else(|| rule.apply_to_variant(&v.ident.to_string()));
                        (v, name)
                    })
                    .collect();
                KeyPart::Enum {
                    original: input,
                    order,
                    variants,
                }
            }
            Data::Struct(data) => match &data.fields {
                Fields::Unnamed(f) if f.unnamed.len() == 1 => KeyPart::Newtype {
                    original: input,
                    member: quote!(0),
                    ty: &f.unnamed[0].ty,
                    construct: quote!(#ident),
                    order,
                },
                Fields::Named(f) if f.named.len() == 1 => {
                    let field = &f.named[0];
                    let name = field.ident.as_ref().expect("named fields have identifiers");
                    KeyPart::Newtype {
                        original: input,
                        member: name.to_token_stream(),
                        ty: &field.ty,
                        construct: quote!(|#name| #ident { #name }),
                        order,
                    }
                }
                _ => KeyPart::Other { original: input },
            },
            Data::Union(_) => KeyPart::Other { original: input },
        }
    }

    pub fn original(&self) -> &'a DeriveInput {
        match self {
            KeyPart::Enum { original, .. }
            | KeyPart::Newtype { original, .. }
            | KeyPart::Other { original } => original,
        }
    }
}

/// A type as the user wrote it, spaced as code is: `Vec<String>`.
pub fn type_string(ty: &Type) -> String {
    let text = ty.to_token_stream().to_string();
    // Token printing spaces everything out; `Vec < String >` reads better as `Vec<String>`.
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split(' ').enumerate() {
        let glue = matches!(part, "<" | ">" | "," | "::" | ")" | "]")
            || out.ends_with(['<', '(', '[', '&'])
            || out.ends_with("::");
        if i > 0 && !glue {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// `T` when `ty` is written `Option<T>` (or `std::option::Option<T>`).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// The key role a field's `#[pk]` or `#[sk]` gives it. A field given both,
/// or a key attribute with arguments, still gets a role (the partition
/// key's first), so that the entity is not also reported without one.
pub fn field_role(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> Option<KeyRole> {
    let mut role: Option<KeyRole> = None;
    for attr in attrs {
        let which = if attr.path() == crate::symbol::PK {
            KeyRole::Partition
        } else if attr.path() == crate::symbol::SK {
            KeyRole::Sort
        } else {
            continue;
        };
        match &attr.meta {
            // #[pk] / #[sk]
            syn::Meta::Path(_) => match role {
                Some(previous) => {
                    let message = if previous == which {
                        "duplicate key attribute: give it once"
                    } else {
                        "a field is either `#[pk]` or `#[sk]`, not both: a partition-key field \
                         already scopes every query, so repeating it in the sort key adds nothing"
                    };
                    cx.error_spanned_by(attr, message);
                    if which == KeyRole::Partition {
                        role = Some(which);
                    }
                }
                None => role = Some(which),
            },
            _ if which == KeyRole::Sort => {
                cx.error_spanned_by(
                    attr,
                    "on a field, write a bare `#[sk]`; the prefix belongs on the struct: `#[sk(prefix = \"EXPERT\")]`",
                );
                role.get_or_insert(which);
            }
            _ => {
                cx.error_spanned_by(attr, "write a bare `#[pk]`: it takes no arguments");
                role = Some(which);
            }
        }
    }
    role
}
