//! Random table and entity definitions for the derive fuzz: valid ones
//! drawn from the forms the derives accept (key and value types,
//! prefixes, indexes, versions, sets, TTL, serde attributes, visibility,
//! doc comments, raw identifiers), and invalid ones made from a valid one
//! by exactly one mistake of a known kind.
//!
//! Shared by the in-process fuzz (`super`, which runs the derives on the
//! text) and the compiled batch (`tests/derive_fuzz.rs` of the root
//! package, which compiles valid definitions and round-trips an item of
//! each on SQLite): plain `std`, no dependency.

#![allow(dead_code)]

use std::fmt::Write;

// The cases' text; beside this file for both of its users (the derive's
// unit test and `tests/derive_fuzz.rs`, which includes it by path).
#[path = "gen_index.rs"]
mod index;
#[path = "gen_text.rs"]
mod text;

/// A deterministic xorshift generator: a failure names its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

/// A field type: its Rust text, whether it may be a key component, and an
/// expression of a random value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    Str,
    U8,
    U16,
    U32,
    U64,
    I8,
    I32,
    I64,
    Bool,
    Char,
    F64,
    OptStr,
    OptU64,
    VecStr,
    SetStr,
}

const KEY_TYPES: [Ty; 10] = [
    Ty::Str,
    Ty::U8,
    Ty::U16,
    Ty::U32,
    Ty::U64,
    Ty::I8,
    Ty::I32,
    Ty::I64,
    Ty::Bool,
    Ty::Char,
];

const VALUE_TYPES: [Ty; 13] = [
    Ty::Str,
    Ty::U32,
    Ty::U64,
    Ty::I64,
    Ty::Bool,
    Ty::Char,
    Ty::F64,
    Ty::OptStr,
    Ty::OptU64,
    Ty::VecStr,
    Ty::SetStr,
    Ty::U8,
    Ty::I8,
];

impl Ty {
    pub fn rust(self) -> &'static str {
        match self {
            Ty::Str => "String",
            Ty::U8 => "u8",
            Ty::U16 => "u16",
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::I8 => "i8",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::Bool => "bool",
            Ty::Char => "char",
            Ty::F64 => "f64",
            Ty::OptStr => "Option<String>",
            Ty::OptU64 => "Option<u64>",
            Ty::VecStr => "Vec<String>",
            Ty::SetStr => "std::collections::BTreeSet<String>",
        }
    }

    /// A random value of the type, as an expression: strings hold the key
    /// delimiter, escapes and non-ASCII now and then.
    pub fn value(self, rng: &mut Rng) -> String {
        const TEXT: [&str; 6] = ["a", "b#c", "%25", "ümlaut", "", "x y"];
        let text = |rng: &mut Rng| format!("{:?}.to_owned()", rng.pick(&TEXT));
        match self {
            Ty::Str => text(rng),
            Ty::U8 => format!("{}u8", rng.next() as u8),
            Ty::U16 => format!("{}u16", rng.next() as u16),
            Ty::U32 => format!("{}u32", rng.next() as u32),
            Ty::U64 => format!("{}u64", rng.next() >> rng.below(64)),
            Ty::I8 => format!("{}i8", rng.next() as i8),
            Ty::I32 => format!("{}i32", rng.next() as i32),
            Ty::I64 => format!("{}i64", (rng.next() as i64) >> rng.below(63)),
            Ty::Bool => format!("{}", rng.chance(50)),
            Ty::Char => format!("{:?}", *rng.pick(&['a', '#', 'é', '0', '~'])),
            Ty::F64 => format!("{:?}f64", (rng.next() % 10_000) as f64 / 8.0),
            Ty::OptStr => {
                if rng.chance(50) {
                    format!("Some({})", text(rng))
                } else {
                    "None".to_owned()
                }
            }
            Ty::OptU64 => {
                if rng.chance(50) {
                    format!("Some({}u64)", rng.next() % 1000)
                } else {
                    "None".to_owned()
                }
            }
            Ty::VecStr => format!("vec![{}, {}]", text(rng), text(rng)),
            Ty::SetStr => format!("[{}].into_iter().collect()", text(rng)),
        }
    }

    /// Whether a string of this type may be empty, which a key refuses.
    fn may_be_empty(self) -> bool {
        matches!(self, Ty::Str)
    }
}

/// What a field is.
#[derive(Clone, Debug, PartialEq)]
pub enum Role {
    Pk,
    Sk,
    Value,
    Version,
    Ttl,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    pub role: Role,
    /// Extra attribute lines (serde, docs), before the field.
    pub attrs: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Entity {
    pub name: String,
    pub vis: &'static str,
    pub pk_prefix: Option<String>,
    pub sk_prefix: String,
    pub fields: Vec<Field>,
    /// `#[index(...)]` lines.
    pub indexes: Vec<String>,
    /// The fields of its multi-attribute index key, if it has one (their
    /// strings are never empty: DynamoDB refuses an empty key attribute).
    pub native: Vec<String>,
    pub doc: Option<String>,
    /// Replaces the `#[sk(prefix = ..)]` line.
    pub sk_attr: Option<String>,
}

/// One case: a table and its entities, whether the derives must accept it,
/// and the mistake made when not.
#[derive(Clone, Debug)]
pub struct Case {
    pub table: String,
    pub table_name: String,
    pub indexes: usize,
    pub ttl: bool,
    pub entities: Vec<Entity>,
    /// `None` for a valid case; otherwise what was broken.
    pub mistake: Option<&'static str>,
    /// Replaces the whole text when a mistake cannot be made on the parts.
    pub text_override: Option<String>,
}

const WORDS: [&str; 8] = [
    "name", "total", "kind", "note", "at", "owner", "count", "label",
];
const RAW: [&str; 4] = ["r#type", "r#match", "r#loop", "r#ref"];

fn prefix(rng: &mut Rng, taken: &mut Vec<String>) -> String {
    loop {
        let len = 1 + rng.below(8);
        let mut p = String::new();
        for i in 0..len {
            let alphabet: &[u8] = if i == 0 {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            } else {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
            };
            p.push(alphabet[rng.below(alphabet.len())] as char);
        }
        if !taken.contains(&p) {
            taken.push(p.clone());
            return p;
        }
    }
}

/// A valid case: `n` names it uniquely (types and table names).
pub fn valid(rng: &mut Rng, n: usize) -> Case {
    let indexes = rng.below(3);
    let ttl = rng.chance(30);
    let entity_count = 1 + rng.below(3);
    let mut prefixes = Vec::new();
    let mut pk_prefixes = Vec::new();
    let mut entities = Vec::new();
    // One visibility for the table and its entities: each names the other
    // in an associated type (`Table::PartitionKey`, `Entity::Table`), where
    // Rust refuses a type less visible than the trait's implementor.
    let vis = ["", "pub ", "pub(crate) "][rng.below(3)];
    for e in 0..entity_count {
        let mut fields = Vec::new();
        let mut used = 0;
        let mut name = |rng: &mut Rng| {
            used += 1;
            if rng.chance(10) {
                // A raw identifier, once per entity at most.
                let raw = RAW[used % RAW.len()];
                if used <= RAW.len() {
                    return raw.to_owned();
                }
            }
            format!("{}_{used}", rng.pick(&WORDS))
        };
        for _ in 0..1 + rng.below(2) {
            fields.push(Field {
                name: name(rng),
                ty: *rng.pick(&KEY_TYPES),
                role: Role::Pk,
                attrs: vec![],
            });
        }
        for _ in 0..rng.below(4) {
            fields.push(Field {
                name: name(rng),
                ty: *rng.pick(&KEY_TYPES),
                role: Role::Sk,
                attrs: vec![],
            });
        }
        for _ in 0..rng.below(6) {
            let ty = *rng.pick(&VALUE_TYPES);
            let mut attrs = Vec::new();
            if ty == Ty::SetStr {
                attrs.push("#[set]".to_owned());
                attrs.push("#[serde(default)]".to_owned());
            } else if rng.chance(15) {
                attrs.push("#[serde(default)]".to_owned());
            }
            if rng.chance(15) {
                attrs.push(format!("#[serde(rename = \"renamed{}\")]", fields.len()));
            }
            if rng.chance(20) {
                attrs.push("/// A field's documentation.".to_owned());
            }
            fields.push(Field {
                name: name(rng),
                ty,
                role: Role::Value,
                attrs,
            });
        }
        if rng.chance(25) {
            fields.push(Field {
                name: "version".to_owned(),
                ty: Ty::U64,
                role: Role::Version,
                attrs: vec![],
            });
        }
        if ttl && rng.chance(60) {
            fields.push(Field {
                name: "expires_at".to_owned(),
                ty: Ty::OptU64,
                role: Role::Ttl,
                attrs: vec!["#[serde(default)]".to_owned()],
            });
        }
        // Unique values, in an entity whose items do not expire: fields of
        // key-part types, alone or two in a group.
        if !fields.iter().any(|f| f.role == Role::Ttl) {
            let mut grouped = 0;
            for f in &mut fields {
                let keyable = matches!(f.ty, Ty::Str | Ty::U32 | Ty::U64 | Ty::OptStr | Ty::OptU64);
                if f.role == Role::Value && keyable && rng.chance(12) {
                    if rng.chance(30) && grouped < 2 {
                        grouped += 1;
                        f.attrs.push("#[unique(group = \"pair\")]".to_owned());
                    } else {
                        f.attrs.push("#[unique]".to_owned());
                    }
                }
            }
        }
        // Fields in a random order.
        for i in (1..fields.len()).rev() {
            let j = rng.below(i + 1);
            fields.swap(i, j);
        }
        let index_lines = index::index_lines(rng, &fields, indexes, n, e);
        entities.push(Entity {
            name: format!("Fz{n}E{e}"),
            vis,
            pk_prefix: if entity_count > 1 || rng.chance(40) {
                Some(prefix(rng, &mut pk_prefixes))
            } else {
                None
            },
            sk_prefix: prefix(rng, &mut prefixes),
            fields,
            indexes: index_lines,
            native: Vec::new(),
            doc: rng.chance(40).then(|| format!("Entity {e} of case {n}.")),
            sk_attr: None,
        });
    }
    let declared = index::native_patterns(rng, &mut entities, indexes);
    Case {
        table: format!("Fz{n}"),
        table_name: format!("fz{n}_t{}", rng.below(1000)),
        indexes: declared,
        ttl,
        entities,
        mistake: None,
        text_override: None,
    }
}

impl Entity {
    /// An expression of a random item of the entity (key strings never
    /// empty: an empty key is a runtime error, not a schema's).
    pub fn value(&self, rng: &mut Rng) -> String {
        let mut out = format!("{} {{ ", self.name);
        for f in &self.fields {
            let mut v = f.ty.value(rng);
            let keyed = matches!(f.role, Role::Pk | Role::Sk) || self.native.contains(&f.name);
            if keyed && f.ty.may_be_empty() && v == "\"\".to_owned()" {
                v = "\"k\".to_owned()".to_owned();
            }
            if self.native.contains(&f.name) && v == "Some(\"\".to_owned())" {
                v = "Some(\"k\".to_owned())".to_owned();
            }
            if f.role == Role::Version {
                v = "0".to_owned();
            }
            if f.role == Role::Ttl {
                v = "None".to_owned();
            }
            let _ = write!(out, "{}: {v}, ", f.name);
        }
        out.push('}');
        out
    }
}

/// How many of [`MISTAKES`] the derives report themselves; the others
/// (from `MISTAKES[DERIVE_REPORTED]` on) are a table's rules, checked in
/// constant evaluation when the crate compiles.
pub const DERIVE_REPORTED: usize = 16;

/// The mistakes [`invalid`] makes, one per case.
pub const MISTAKES: [&str; 18] = [
    "no #[pk]",
    "f64 key field",
    "Option key field",
    "Vec key field",
    "lowercase sort-key prefix",
    "delimiter in a prefix",
    "empty prefix",
    "unknown entity argument",
    "#[pk] and #[sk] on one field",
    "reserved field name",
    "version not u64",
    "tuple struct",
    "generic entity",
    "an attribute argument of the wrong type",
    "#[unique] on a key field",
    "a table-key field in project(..)",
    "an index on a gsi the table lacks",
    "ttl field without the table's ttl",
];

/// An invalid case: a valid one with the mistake `MISTAKES[m]`.
pub fn invalid(rng: &mut Rng, n: usize, m: usize) -> Case {
    let mut case = valid(rng, n);
    case.mistake = Some(MISTAKES[m]);
    let e = rng.below(case.entities.len());
    let entity = &mut case.entities[e];
    let first = |role: Role, entity: &Entity| entity.fields.iter().position(|f| f.role == role);
    let pk = first(Role::Pk, entity).expect("every valid entity has a #[pk]");
    match m {
        0 => {
            for f in &mut entity.fields {
                if f.role == Role::Pk {
                    f.role = Role::Value;
                }
            }
        }
        1 => entity.fields[pk].ty = Ty::F64,
        2 => entity.fields[pk].ty = Ty::OptStr,
        3 => entity.fields[pk].ty = Ty::VecStr,
        4 => entity.sk_prefix = entity.sk_prefix.to_lowercase() + "x",
        5 => entity.sk_prefix.push_str("#A"),
        6 => entity.sk_prefix.clear(),
        7 => entity.indexes.push("#[entity(tabel = X)]".to_owned()),
        8 => entity.fields[pk].attrs.push("#[sk]".to_owned()),
        9 => entity.fields.push(Field {
            name: "created_at".to_owned(),
            ty: Ty::Str,
            role: Role::Value,
            attrs: vec![],
        }),
        10 => match first(Role::Version, entity) {
            Some(v) => entity.fields[v].ty = Ty::Str,
            None => entity.fields.push(Field {
                name: "version".to_owned(),
                ty: Ty::I32,
                role: Role::Version,
                attrs: vec![],
            }),
        },
        11 | 12 => {
            let text = case.text();
            let name = case.entities[e].name.clone();
            let needle = format!("struct {name} {{");
            let replaced = if m == 11 {
                // A tuple struct: the whole body replaced.
                let start = text.find(&needle).unwrap();
                let end = start + text[start..].find("\n}\n").unwrap() + 3;
                format!("{}struct {name}(String);\n{}", &text[..start], &text[end..])
            } else {
                // The table lists it with an argument: Rust itself is
                // satisfied, the derive is not.
                text.replace(
                    &needle,
                    &format!("struct {name}<T> {{\n    phantom: std::marker::PhantomData<T>,"),
                )
                .replace(&format!("({name}),"), &format!("({name}<u8>),"))
            };
            case.text_override = Some(replaced);
        }
        14 => entity.fields[pk].attrs.push("#[unique]".to_owned()),
        15 => {
            // On an index of its own, so that the pattern is the only
            // mistake: the derive refuses it, and the table then leaves
            // the entity's other rules alone.
            let name = entity.fields[pk].name.clone();
            entity.indexes.push(format!(
                "#[index(gsi{}, name = by_projected, pk(prefix = \"PROJ\", fields({name})), project({name}))]",
                case.indexes + 1,
            ));
        }
        16 => entity.indexes.push(format!(
            "#[index(gsi{}, name = by_missing, pk(prefix = \"MISSING\", fields({})))]",
            case.indexes + 1,
            entity.fields[pk].name
        )),
        17 => {
            case.ttl = false;
            // Only this entity keeps a TTL field.
            for other in &mut case.entities {
                for f in &mut other.fields {
                    if f.role == Role::Ttl {
                        f.role = Role::Value;
                    }
                }
            }
            let entity = &mut case.entities[e];
            // An expiring entity has no unique fields (a rule of its own).
            for f in &mut entity.fields {
                f.attrs.retain(|a| !a.starts_with("#[unique"));
            }
            if let Some(t) = entity.fields.iter().position(|f| f.name == "expires_at") {
                entity.fields[t].role = Role::Ttl;
            } else {
                entity.fields.push(Field {
                    name: "expires_at".to_owned(),
                    ty: Ty::OptU64,
                    role: Role::Ttl,
                    attrs: vec![],
                });
            }
        }
        13 => entity.sk_attr = Some("#[sk(prefix = 7)]".to_owned()),
        _ => unreachable!("one of MISTAKES"),
    }
    case
}
