//! What the code of the derives names, behind one hidden path, as
//! `serde::__private`: marker traits whose diagnostics explain a schema
//! mistake, `const` helpers for the table checks, the key writer and reader,
//! and the constructors of values whose fields stay private elsewhere.

/// An entity whose items a batch write (`put_all`) may write: one
/// without a `#[version]` field. Implemented by `#[derive(Entity)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has a `#[version]` field: a batch write cannot check versions",
    label = "`put_all` would overwrite newer versions without noticing",
    note = "write the items in a `store.transaction()` (each put checks its version), or opt out with `put_all_unversioned`"
)]
pub trait BatchWritable {}

/// An entity without `#[unique]` fields, whose items a batch write may
/// write: a batch cannot write the marker items that keep the values
/// unique. Implemented by `#[derive(Entity)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[unique]` fields: a batch write cannot keep them unique",
    label = "`put_all` would write the items without the markers that hold their unique values",
    note = "write the items with `create` or `put`, or in a `store.transaction()`: each keeps its markers in the same transaction"
)]
pub trait WithoutUnique {}

pub use crate::key::codec::{
    decode_composite_key, decode_enum_variant, decode_key, decode_path_key, encode_enum_variant,
    key_from_encoded, KeyTuple, KeyWriter,
};
pub use crate::key::{EnumOrder, SortKeyPath};
pub use crate::query::attributes::AttributeKeyQuery;
pub use crate::query::builder::{
    index_partition_query, partition_query, subtree_query, SortKeyQuery,
};
pub use crate::schema::hooks::{EntityHooks, ReadHooks, TableHooks};
pub use crate::schema::item_keys::KeysOfItem;
pub use crate::schema::key_move::key_move_problem;
pub use crate::schema::members::{
    any_nested, collection_check, member_check, member_of, nesting_check, one_partition_template,
    ConstMessage, Member, TableMembers,
};
pub use crate::schema::shape::{decode_entity, decode_first, decode_link, UpgradeFrom};
pub use crate::write::attr::{
    attr, decode_changed_key, push_field, push_index_keys, Changes, IndexChanges,
};
pub use serde;
pub use serde_json;

/// The schema of an entity whose derive failed (with an error): what its
/// fallback `Entity` impl holds, so that the table and the code that use
/// the entity compile on, and the derive's error is the only one.
pub const fn failed_entity_schema(name: &'static str) -> crate::EntitySchema {
    crate::EntitySchema::bare(name)
}

/// An entity's index keys, from its item read as JSON: what a copy and
/// a reindex write.
///
/// # Errors
///
/// When the item does not decode as `E`.
pub fn index_keys_of<E: crate::Entity>(
    partition_key: &str,
    sort_key: &str,
    item: &serde_json::Value,
) -> Result<KeysOfItem, serde_json::Error> {
    // Through the entity's decoder: an item of an older shape upgrades.
    let entity = E::from_item(sort_key, item)?;
    let mut out = Vec::new();
    entity.__index_keys(partition_key, sort_key, &mut out);
    let mut values = Vec::new();
    entity.__unique_values(&mut values);
    let unique = E::SCHEMA
        .unique
        .iter()
        .zip(values)
        .filter_map(|(constraint, value)| {
            value.map(|v| {
                crate::schema::unique::marker_partition_key(E::SCHEMA.name, constraint, &v)
            })
        })
        .collect();
    Ok(KeysOfItem {
        entity: &E::SCHEMA,
        table_key: entity.key().into_parts(),
        index_keys: out,
        unique,
    })
}

/// An attribute's schema as `#[derive(Entity)]` writes it, in few tokens
/// (the expansion of every field): `key` is 0 for a data field, 1 for a
/// `#[pk]` and 2 for a `#[sk]` field.
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub const fn attribute(
    field: &'static str,
    name: &'static str,
    rust_type: &'static str,
    doc: &'static str,
    key: u8,
    optional: bool,
    defaulted: bool,
    version: bool,
) -> crate::schema::AttributeSchema {
    use crate::schema::KeyRole;
    crate::schema::AttributeSchema {
        field,
        name,
        rust_type,
        doc,
        key: match key {
            1 => Some(KeyRole::PartitionKey),
            2 => Some(KeyRole::SortKey),
            _ => None,
        },
        optional,
        defaulted,
        version,
        set: None,
    }
}

/// [`attribute`] of a `#[set]` field holding `kind`.
pub const fn set_attribute(
    attribute: crate::schema::AttributeSchema,
    kind: crate::schema::SetKind,
) -> crate::schema::AttributeSchema {
    crate::schema::AttributeSchema {
        set: Some(kind),
        ..attribute
    }
}

/// A key field's schema as `#[derive(Entity)]` writes it.
pub const fn key_field(
    field: &'static str,
    rust_type: &'static str,
    encoding: &'static crate::key::KeyEncoding,
) -> crate::schema::KeyFieldSchema {
    crate::schema::KeyFieldSchema {
        field,
        rust_type,
        encoding,
    }
}

/// Never satisfied: the query of a `keys_only` access pattern has no
/// filter.
#[diagnostic::on_unimplemented(
    message = "a `keys_only` access pattern cannot be filtered: its index holds no attributes",
    label = "the index entries are keys only",
    note = "filter the items after `store.get_many(keys)`, or declare the pattern `project = all`"
)]
pub trait FilterableIndex {}

/// Satisfied when the table enum `Self` has a variant holding `E`.
#[diagnostic::on_unimplemented(
    message = "`{E}` names `{Self}` as its table, but `{Self}` does not list it",
    label = "`{Self}` has no variant holding `{E}`",
    note = "add a variant `{E}({E})` to the `#[derive(Table)]` enum `{Self}`, or name the right table in `#[entity(table = ...)]`"
)]
pub trait ListsEntity<E> {}

/// Satisfied when an entity's `#[entity(table = ...)]` is `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is listed in table `{T}` but its `#[entity(table = ...)]` names another table",
    label = "this entity belongs to another table",
    note = "an entity is stored in exactly one table: make `#[entity(table = {T})]` and the enum agree"
)]
pub trait InTable<T: ?Sized> {}

/// What a table's derive checks about an entity, implemented by the
/// entity's derive whether or not its other checks passed (`VALID` says).
pub trait EntityFacts {
    /// The partition key's type.
    type PartitionKey;
    /// The sort-key prefix.
    const PREFIX: &'static str;
    /// The partition-key prefix.
    const PK_PREFIX: Option<&'static str>;
    /// The partition key's type as written.
    const PK_TYPE: &'static str;
    /// Whether the entity has no sort-key fields.
    const SINGLETON: bool;
    /// Whether the entity's derive succeeded.
    const VALID: bool;
    /// The physical indexes its access patterns use.
    const INDEXES: &'static [&'static str] = &[];
    /// What each of those patterns projects, in the same order.
    const PROJECTIONS: &'static [crate::schema::Projection] = &[];
    /// The indexes of its multi-attribute patterns.
    const ATTRIBUTE_INDEXES: &'static [&'static str] = &[];
    /// The sort key's shape: its prefix, and its parents' for a nested
    /// entity.
    const SK_PATH: &'static SortKeyPath;
    /// The attribute its `#[ttl]` field is stored under, if it has one.
    const TTL: Option<&'static str> = None;
    /// The attributes its data fields are stored under.
    const ATTRIBUTES: &'static [&'static str] = &[];
    /// The old key of its key move, if it is moving.
    const MOVED_FROM: Option<&'static crate::schema::ShapeKey> = None;
}

/// The position of the moving entity among `moved` (each member's
/// [`EntityFacts::MOVED_FROM`]) whose old key `sort_key` has: an item a
/// table's reads decode as that entity although it is not moved yet.
#[inline]
pub fn moved_member(
    moved: &[Option<&'static crate::schema::ShapeKey>],
    sort_key: &str,
) -> Option<usize> {
    moved
        .iter()
        .position(|k| k.is_some_and(|k| k.names_sort_key(sort_key)))
}

/// A table's name, implemented by its derive whether or not its other
/// checks passed.
pub trait TableName {
    /// The table name.
    const NAME: &'static str;
    /// Whether an entity of the table is nested under another, so that a
    /// parent's range holds its children's keys: reads then tell items
    /// apart by the whole shape of their sort keys, not by the prefix.
    const NESTED: bool = false;
    /// The table's TTL attribute (`#[table(ttl = "...")]`).
    const TTL: Option<&'static str> = None;
    /// Whether the table has a change feed (`#[table(stream)]`).
    const STREAM: bool = false;
}

/// Satisfied when two entities read from one partition have the same
/// partition-key type.
#[diagnostic::on_unimplemented(
    message = "entities read from one partition must share a partition-key type, but `{Self}` differs from `{K}`",
    label = "this entity's `#[pk]` fields have a different type than the first entity's",
    note = "a collection, and a child with its parent, live in one partition under one partition key: give them `#[pk]` fields of the same types, in the same order, and the same `pk_prefix`"
)]
pub trait SamePartitionKey<K> {}

impl<K> SamePartitionKey<K> for K {}

/// Satisfied when two access patterns on one index have the same index
/// partition-key type: what the members of a collection on an index need.
#[diagnostic::on_unimplemented(
    message = "a collection on an index reads one index partition, but this entity's index partition key is `{Self}` where the first member's is `{K}`",
    label = "this entity's `#[index(.., pk(fields(..)))]` fields have other types",
    note = "give the members' patterns on this index `pk(fields(..))` of the same types, in the same order, and the same `prefix`"
)]
pub trait SameIndexPartitionKey<K> {}

impl<K> SameIndexPartitionKey<K> for K {}

/// Satisfied when entity `Self` is stored in table `T`: what a collection
/// of `T` and a parent of an entity of `T` must be.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity of table `{T}`",
    label = "stored in another table",
    note = "a collection, and a child with its parent, are read from one partition of one table: list only entities whose `#[entity(table = ...)]` is `{T}`"
)]
pub trait InCollectionTable<T: ?Sized> {}

impl<T: ?Sized, E: crate::Entity<Table = T>> InCollectionTable<T> for E {}

/// The physical secondary indexes, as types: what [`IndexPattern`] is
/// implemented for.
pub mod slot {
    macro_rules! slots {
        ($($name:ident)*) => {
            $(
                #[doc = concat!("The index `", stringify!($name), "`.")]
                pub struct $name;
            )*
        };
    }
    slots!(Gsi1 Gsi2 Gsi3 Gsi4 Gsi5 Gsi6 Gsi7 Gsi8 Gsi9 Gsi10 Gsi11 Gsi12 Gsi13 Gsi14 Gsi15 Gsi16 Gsi17 Gsi18 Gsi19 Gsi20);
}

/// An entity's access pattern on index `S` (at most one per index), as a
/// collection on that index reads it: the index partition key's type and
/// prefix, and whether its entries hold whole items.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no composed access pattern on this index",
    label = "no `#[index(..)]` of this entity with composed keys names this index",
    note = "a collection on an index reads one index partition: each member needs an `#[index(gsiN, ..)]` pattern on that index, with the same `pk(prefix = .., fields(..))` types as the others (a multi-attribute pattern, `attributes`, is read by its own query method only)"
)]
pub trait IndexPattern<S> {
    /// The index partition key's type (a tuple for several fields).
    type PartitionKey;
    /// The index partition key's prefix.
    const PK_PREFIX: Option<&'static str>;
    /// Whether the entries hold whole items (`project = all`), not keys
    /// or a view's attributes.
    const WHOLE_ITEMS: bool;
}

/// Whether an index collection's member at `index` reads as the first
/// one: the same index partition prefix, and whole items. A message, or
/// none.
pub const fn index_collection_check<const N: usize>(
    collection: &str,
    index: &str,
    member: &str,
    first: &str,
    pk_prefix: Option<&str>,
    first_pk_prefix: Option<&str>,
    whole_items: bool,
) -> ConstMessage<N> {
    if !whole_items {
        return ConstMessage::EMPTY
            .push("`")
            .push(member)
            .push("`'s access pattern on `")
            .push(index)
            .push("` projects keys only or some attributes (`project = keys_only` or `project(..)`), so its entries hold no whole item for collection `")
            .push(collection)
            .push("` to decode: make it `project = all`, or read it with its own query");
    }
    let same = match (pk_prefix, first_pk_prefix) {
        (Some(a), Some(b)) => crate::key::const_str_eq(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        return ConstMessage::EMPTY
            .push("`")
            .push(member)
            .push("` and `")
            .push(first)
            .push("` have different index partition prefixes on `")
            .push(index)
            .push("`: collection `")
            .push(collection)
            .push("` reads one index partition, so their `pk(prefix = ..)` must agree");
    }
    ConstMessage::EMPTY
}

/// How many sort-key components a type-state query builder has fixed.
pub struct FixedComponents<const N: usize>;

/// Satisfied when a query builder with `Self` components fixed may fix
/// component `K` next: the derived builders' component methods exist at
/// every step, so that one called out of order says what to do.
#[diagnostic::on_unimplemented(
    message = "sort-key components are fixed in declared order: this method is for component {K} (counting from 0), but the query is at `{Self}`",
    label = "not the next sort-key component of this query",
    note = "fix every earlier `#[sk]` field first, each with the method named after it, in declared order (a range method, `_lt` to `_starts_with`, ends the query)"
)]
pub trait NextComponent<const K: usize> {}

impl<const K: usize> NextComponent<K> for FixedComponents<K> {}

/// Satisfied when the tuple `Self` begins with the types of `P`: a nested
/// entity's `#[sk]` fields begin with its parent's.
#[diagnostic::on_unimplemented(
    message = "the `#[sk]` fields of a child must begin with its parent's sort-key fields `{P}`, but they are `{Self}`",
    label = "the child's sort key does not begin with its parent's",
    note = "a child's sort key is its parent's whole sort key and then its own: declare the parent's `#[sk]` fields first, of the same types and in the same order, then the child's own"
)]
pub trait NestedSortKey<P> {}

macro_rules! nested_sort_keys {
    ($($all:ident)*) => {
        nested_sort_keys!(@ [$($all)*] [] [$($all)*]);
    };
    (@ [$($all:ident)*] [$($p:ident)*] []) => {
        impl<$($all),*> NestedSortKey<($($p,)*)> for ($($all,)*) {}
    };
    (@ [$($all:ident)*] [$($p:ident)*] [$next:ident $($rest:ident)*]) => {
        impl<$($all),*> NestedSortKey<($($p,)*)> for ($($all,)*) {}
        nested_sort_keys!(@ [$($all)*] [$($p)* $next] [$($rest)*]);
    };
}

nested_sort_keys!();
nested_sort_keys!(A);
nested_sort_keys!(A B);
nested_sort_keys!(A B C);
nested_sort_keys!(A B C D);
nested_sort_keys!(A B C D E);
nested_sort_keys!(A B C D E F);
nested_sort_keys!(A B C D E F G);
nested_sort_keys!(A B C D E F G H);
nested_sort_keys!(A B C D E F G H I);
nested_sort_keys!(A B C D E F G H I J);
nested_sort_keys!(A B C D E F G H I J K);
nested_sort_keys!(A B C D E F G H I J K L);

/// The [`Member`] of a table that entity `E`, named `name`, is: what
/// `#[derive(Table)]` lists, read from `E`'s facts.
pub const fn member<E: EntityFacts>(name: &'static str) -> Member {
    Member {
        name,
        valid: E::VALID,
        prefix: E::PREFIX,
        singleton: E::SINGLETON,
        pk_prefix: E::PK_PREFIX,
        pk_type: E::PK_TYPE,
        indexes: E::INDEXES,
        projections: E::PROJECTIONS,
        attribute_indexes: E::ATTRIBUTE_INDEXES,
        path: E::SK_PATH,
        ttl: E::TTL,
        attributes: E::ATTRIBUTES,
        moved_prefix: match E::MOVED_FROM {
            Some(key) => Some(key.prefix),
            None => None,
        },
    }
}

/// The options every generated query builder has (page size, order,
/// cursor, filter, …), written once here and expanded by `macro_rules`
/// where the derive names it: a proc macro's every token costs compile
/// time, a `macro_rules` expansion far less.
///
/// `consistency` is `yes` for a table's query (which may read eventually
/// consistent) and `no` for an index's; `filter` is `by(Type)`, the type
/// whose attributes a filter names, or `keys_only(Entity)`, a pattern
/// whose index holds keys only (the method exists, hidden, behind a bound
/// whose message says why it cannot be called).
#[doc(hidden)]
#[macro_export]
macro_rules! __query_builder {
    (
        #[doc = $doc:expr]
        $vis:vis struct $name:ident($state:ty) -> $item:ty;
        consistency = $consistency:ident;
        filter = $filter:ident($owner:ty);
    ) => {
        #[doc = $doc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone)]
        #[must_use = "a query does nothing until a store runs it"]
        $vis struct $name<const N: usize> {
            state: $state,
        }

        impl<const N: usize> $name<N> {
            /// Evaluates at most `n` items per page (at least 1), DynamoDB's `Limit`.
            pub fn page_size(self, n: u32) -> Self {
                $name { state: self.state.page_size(n) }
            }

            /// Returns at most `n` items from a whole read (`all`, `pages`, `items`).
            pub fn take(self, n: usize) -> Self {
                $name { state: self.state.take(n) }
            }

            /// Reads in descending sort-key order.
            pub fn reverse(self) -> Self {
                $name { state: self.state.reverse() }
            }

            /// Resumes after the last item of the page that returned `cursor`.
            pub fn after(self, cursor: $crate::Cursor) -> Self {
                $name { state: self.state.after(cursor) }
            }

            $crate::__query_builder!(@consistency $consistency $name);

            /// Reads at most `n` pages (at least 1) in a whole read: the bound a
            /// filtered read needs.
            pub fn max_pages(self, n: u32) -> Self {
                $name { state: self.state.max_pages(n) }
            }

            $crate::__query_builder!(@filter $filter $name $owner);

            /// The SQL statement and the DynamoDB request of the first page,
            /// without running it.
            pub fn explain(&self) -> $crate::query::Explain {
                $crate::IntoQuery::into_query(::std::clone::Clone::clone(self)).explain()
            }

            /// The backend-neutral query.
            pub fn spec(&self) -> $crate::query::QuerySpec {
                $crate::IntoQuery::into_query(::std::clone::Clone::clone(self)).into_spec()
            }
        }

        impl<const N: usize> $crate::IntoQuery for $name<N> {
            type Item = $item;

            fn into_query(self) -> $crate::Query<$item> {
                self.state.finish()
            }
        }

        impl<const N: usize> ::std::convert::From<$name<N>> for $crate::Query<$item> {
            fn from(builder: $name<N>) -> Self {
                builder.state.finish()
            }
        }
    };
    (@consistency yes $name:ident) => {
        /// Reads with DynamoDB's cheaper eventually consistent reads.
        pub fn eventually_consistent(self) -> Self {
            $name { state: self.state.eventually_consistent() }
        }
    };
    (@consistency no $name:ident) => {};
    (@filter by $name:ident $owner:ty) => {
        /// Returns only the items that satisfy `condition`; the page size
        /// and the 1 MB cut still count the items evaluated (see
        /// [`Query::filter`](::blue_schema::Query::filter)).
        pub fn filter(self, condition: $crate::Condition<$owner>) -> Self {
            $name { state: self.state.filter(condition) }
        }
    };
    (@filter keys_only $name:ident $owner:ty) => {
        /// Not available: the index holds keys only, no attribute to filter on.
        #[doc(hidden)]
        pub fn filter(self, condition: $crate::Condition<$owner>) -> Self
        where
            Self: $crate::__private::FilterableIndex,
        {
            $name { state: self.state.filter(condition) }
        }
    };
}
