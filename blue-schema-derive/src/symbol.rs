//! The attribute keywords the derives understand.

use std::fmt::{self, Display};

use syn::{Ident, Path};

#[derive(Copy, Clone)]
pub struct Symbol(pub &'static str);

// Attribute names.
pub const ENTITY: Symbol = Symbol("entity");
pub const PK: Symbol = Symbol("pk");
pub const SK: Symbol = Symbol("sk");
pub const TABLE: Symbol = Symbol("table");
pub const KEY_PART: Symbol = Symbol("key_part");
pub const SERDE: Symbol = Symbol("serde");
pub const INDEX: Symbol = Symbol("index");

// Keys inside them.
pub const PREFIX: Symbol = Symbol("prefix");
pub const PK_PREFIX: Symbol = Symbol("pk_prefix");
pub const PARENT: Symbol = Symbol("parent");
pub const NAME: Symbol = Symbol("name");
pub const ORDER: Symbol = Symbol("order");
pub const RENAME: Symbol = Symbol("rename");
pub const RENAME_ALL: Symbol = Symbol("rename_all");
pub const SERIALIZE: Symbol = Symbol("serialize");
pub const SKIP: Symbol = Symbol("skip");
pub const SKIP_SERIALIZING: Symbol = Symbol("skip_serializing");
pub const SKIP_SERIALIZING_IF: Symbol = Symbol("skip_serializing_if");
pub const SKIP_DESERIALIZING: Symbol = Symbol("skip_deserializing");
pub const FLATTEN: Symbol = Symbol("flatten");
pub const WITH: Symbol = Symbol("with");
pub const SERIALIZE_WITH: Symbol = Symbol("serialize_with");
pub const DEFAULT: Symbol = Symbol("default");
pub const TRANSPARENT: Symbol = Symbol("transparent");
pub const DENY_UNKNOWN_FIELDS: Symbol = Symbol("deny_unknown_fields");
pub const INDEXES: Symbol = Symbol("indexes");
pub const TTL: Symbol = Symbol("ttl");
pub const STREAM: Symbol = Symbol("stream");
pub const FIELDS: Symbol = Symbol("fields");
pub const PROJECT: Symbol = Symbol("project");
pub const VIEW: Symbol = Symbol("view");
pub const ATTRIBUTES: Symbol = Symbol("attributes");
pub const DERIVE: Symbol = Symbol("derive");
pub const SHAPE: Symbol = Symbol("shape");
pub const FROM: Symbol = Symbol("from");
pub const NUMBER: Symbol = Symbol("number");
pub const OF: Symbol = Symbol("of");

/// serde container attributes after which the item is no longer the
/// struct's own fields.
pub const RESHAPING: &[Symbol] = &[
    Symbol("into"),
    Symbol("from"),
    Symbol("try_from"),
    Symbol("tag"),
    Symbol("untagged"),
    Symbol("content"),
    Symbol("remote"),
];

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(self.0)
    }
}
