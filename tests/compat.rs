//! The compatibility check (`blue_schema::docs::compatibility`) on a dozen
//! realistic changes to the ADR's dialogue domain: each one the `Expert`
//! entity (or the table) as a later version of the program might write it,
//! compared with the committed snapshot of the domain as it is. The guide's
//! §4, "Shapes", lists the outcomes.

use blue_schema::docs::{compatibility, snapshot, Compatibility};
use blue_schema::{EntitySchema, Table, TableSchema};
use blue_schema_examples::dialogue::{Dialogue, DialogueMeta, Perspective, Tension, TensionEvent};

/// The dialogue table with `expert` (a later version's `Expert`) in place
/// of today's, and `extra` entities added.
fn dialogue_with(
    expert: Option<&'static EntitySchema>,
    extra: &[&'static EntitySchema],
) -> TableSchema {
    let mut entities: Vec<&'static EntitySchema> =
        vec![&<DialogueMeta as blue_schema::Entity>::SCHEMA];
    entities.extend(expert);
    entities.extend([
        &<Perspective as blue_schema::Entity>::SCHEMA,
        &<Tension as blue_schema::Entity>::SCHEMA,
        &<TensionEvent as blue_schema::Entity>::SCHEMA,
    ]);
    entities.extend(extra);
    TableSchema {
        entities: Vec::leak(entities),
        ..Dialogue::SCHEMA
    }
}

/// The check of `table` against the committed dialogue snapshot.
fn check(table: &TableSchema) -> Compatibility {
    let committed = include_str!("../docs/generated/blue_dialogue.schema.json");
    let found = compatibility(committed, table).expect("the committed snapshot reads");
    for lines in [&found.refused, &found.accepted] {
        let distinct: std::collections::BTreeSet<&String> = lines.iter().collect();
        assert_eq!(
            distinct.len(),
            lines.len(),
            "a change is told once: {lines:#?}"
        );
    }
    found
}

fn refused(found: &Compatibility, words: &[&str]) {
    assert!(!found.is_compatible(), "accepted: {:?}", found.accepted);
    assert!(
        found
            .refused
            .iter()
            .any(|r| words.iter().all(|w| r.contains(w))),
        "no refusal says {words:?}: {:?}",
        found.refused
    );
}

fn accepted(found: &Compatibility, words: &[&str]) {
    assert!(found.is_compatible(), "refused: {:?}", found.refused);
    assert!(
        found
            .accepted
            .iter()
            .any(|r| words.iter().all(|w| r.contains(w))),
        "no change says {words:?}: {:?}",
        found.accepted
    );
}

/// Declares `Expert` as a later version has it, in a table of its own
/// named like the dialogue's (an entity names one table).
macro_rules! expert {
    ($module:ident { $($field:tt)* } $(, $attr:meta)* $(; $($extra:item)*)?) => {
        mod $module {
            #![allow(dead_code)]
            #[allow(unused_imports)]
            use blue_schema::{Entity, Shape, Table};
            use serde::{Deserialize, Serialize};

            #[derive(Table)]
            #[table(name = "blue_dialogue", indexes(gsi1, gsi2))]
            pub enum Dialogue {
                Expert(Expert),
            }

            #[derive(Entity, Serialize, Deserialize)]
            $(#[$attr])*
            pub struct Expert {
                $($field)*
            }

            $($($extra)*)?
        }
    };
}

expert!(optional_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
    pub bio: Option<String>,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(defaulted_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
    #[serde(default)]
    pub rank: u32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(required_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
    pub rank: u32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(renamed_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub points: i32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(renamed_field_with_a_shape {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub points: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    pub struct ExpertV1 {
        pub dialogue_id: String,
        pub name: String,
        pub role: String,
        pub tier: u8,
        pub score: i32,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, name: v1.name, role: v1.role, tier: v1.tier, points: v1.score }
        }
    }
);

expert!(rust_field_renamed_stored_name_kept {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    #[serde(rename = "score")]
    pub points: i32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(widened_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i64,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(retyped_field {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: String,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(renamed_prefix {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue), sk(prefix = "EXP"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(sort_key_component_added {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    #[sk] pub seat: u32,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier))));

expert!(index_projection_changed {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)), project(score)));

expert!(index_key_changed {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(score))));

expert!(shape_bumped_with_the_wrong_frozen_type {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub points: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "EXPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    /// Not the struct as it was: `score` is missing.
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    pub struct ExpertV1 {
        pub dialogue_id: String,
        pub name: String,
        pub role: String,
        pub tier: u8,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, name: v1.name, role: v1.role, tier: v1.tier, points: 0 }
        }
    }
);

expert!(renamed_prefix_moved {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "EXP"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    /// Shape 1 with the key its items were written under.
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    #[sk(prefix = "EXPERT")]
    pub struct ExpertV1 {
        #[pk] pub dialogue_id: String,
        #[sk] pub name: String,
        pub role: String,
        pub tier: u8,
        pub score: i32,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, name: v1.name, role: v1.role, tier: v1.tier, score: v1.score }
        }
    }
);

expert!(role_moved_into_the_key {
    #[pk] pub dialogue_id: String,
    #[sk] pub role: String,
    #[sk] pub name: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "XPERT"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    #[sk(prefix = "EXPERT")]
    pub struct ExpertV1 {
        #[pk] pub dialogue_id: String,
        #[sk] pub name: String,
        pub role: String,
        pub tier: u8,
        pub score: i32,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, role: v1.role, name: v1.name, tier: v1.tier, score: v1.score }
        }
    }
);

expert!(move_declared_from_another_key {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "EXP"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    /// Declares a key the stored items never had.
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    #[sk(prefix = "SPEAKER")]
    pub struct ExpertV1 {
        #[pk] pub dialogue_id: String,
        #[sk] pub name: String,
        pub role: String,
        pub tier: u8,
        pub score: i32,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, name: v1.name, role: v1.role, tier: v1.tier, score: v1.score }
        }
    }
);

/// A new entity in the table (the dialogue's moderator).
mod moderator {
    use blue_schema::{Entity, Table};
    use serde::{Deserialize, Serialize};

    #[derive(Table)]
    #[table(name = "blue_dialogue", indexes(gsi1, gsi2))]
    pub enum Dialogue {
        Moderator(Moderator),
    }

    #[derive(Entity, Serialize, Deserialize)]
    #[entity(table = Dialogue)]
    #[sk(prefix = "MODERATOR")]
    pub struct Moderator {
        #[pk]
        pub dialogue_id: String,
        #[sk]
        pub name: String,
    }
}

fn with(expert: &'static EntitySchema) -> TableSchema {
    dialogue_with(Some(expert), &[])
}

macro_rules! schema {
    ($module:ident) => {
        &<$module::Expert as blue_schema::Entity>::SCHEMA
    };
}

#[test]
fn the_domain_as_it_is_matches_its_snapshot() {
    let found = check(&Dialogue::SCHEMA);
    assert_eq!(found, Compatibility::default());
    assert_eq!(
        snapshot(&Dialogue::SCHEMA),
        include_str!("../docs/generated/blue_dialogue.schema.json")
    );
}

#[test]
fn an_optional_or_defaulted_field_is_accepted() {
    accepted(&check(&with(schema!(optional_field))), &["`bio`", "added"]);
    accepted(
        &check(&with(schema!(defaulted_field))),
        &["`rank`", "added"],
    );
}

#[test]
fn a_required_field_is_refused_without_a_shape() {
    refused(
        &check(&with(schema!(required_field))),
        &["`rank`", "added as required", "declare shape 2"],
    );
}

#[test]
fn a_renamed_field_needs_a_shape() {
    let found = check(&with(schema!(renamed_field)));
    refused(&found, &["`score`", "removed"]);
    refused(&found, &["`points`", "added as required"]);
    accepted(
        &check(&with(schema!(renamed_field_with_a_shape))),
        &["moved from shape 1 to 2", "`ExpertV1`"],
    );
}

#[test]
fn a_rust_rename_that_keeps_the_stored_name_changes_nothing() {
    let found = check(&with(schema!(rust_field_renamed_stored_name_kept)));
    assert!(found.is_compatible(), "{:?}", found.refused);
}

#[test]
fn a_widened_integer_is_accepted_a_retyped_field_is_not() {
    accepted(
        &check(&with(schema!(widened_field))),
        &["`score`", "`i32` to `i64`"],
    );
    refused(
        &check(&with(schema!(retyped_field))),
        &["`score`", "changed type from `i32` to `String`"],
    );
}

#[test]
fn a_renamed_prefix_or_a_new_key_component_is_refused() {
    refused(
        &check(&with(schema!(renamed_prefix))),
        &[
            "prefix of `Expert` changed from `EXPERT` to `EXP`",
            "orphaned",
            "keep the old key on the frozen previous shape: `#[sk(prefix = \"EXPERT\")]`",
        ],
    );
    refused(
        &check(&with(schema!(sort_key_component_added))),
        &["key of `Expert` changed", "EXPERT#{name}#{seat}"],
    );
}

#[test]
fn a_changed_index_key_is_refused_without_a_shape() {
    refused(
        &check(&with(schema!(index_key_changed))),
        &["index pattern `by_role`", "reindex"],
    );
}

#[test]
fn a_changed_projection_is_accepted_with_the_index_to_recreate() {
    accepted(
        &check(&with(schema!(index_projection_changed))),
        &[
            "index pattern `by_role`",
            "now projects INCLUDE (role, score, tier) instead of ALL",
            "deleted",
        ],
    );
}

#[test]
fn a_frozen_shape_must_be_the_struct_as_it_was() {
    refused(
        &check(&with(schema!(shape_bumped_with_the_wrong_frozen_type))),
        &["frozen shape 1 `ExpertV1`", "`score`"],
    );
}

#[test]
fn a_removed_entity_is_refused_a_new_one_accepted() {
    refused(
        &check(&dialogue_with(None, &[])),
        &["entity `Expert`", "removed"],
    );
    let moderator = &<moderator::Moderator as blue_schema::Entity>::SCHEMA;
    let expert = Dialogue::SCHEMA.entities[1];
    accepted(
        &check(&dialogue_with(Some(expert), &[moderator])),
        &["entity `Moderator` added"],
    );
}

#[test]
fn a_renamed_table_is_refused() {
    let renamed = TableSchema {
        name: "blue_dialogues",
        ..Dialogue::SCHEMA
    };
    refused(&check(&renamed), &["table's name changed"]);
}

#[test]
fn a_declared_key_move_is_accepted_and_its_end_needs_evidence() {
    accepted(
        &check(&with(schema!(renamed_prefix_moved))),
        &[
            "key of `Expert` moves from `{dialogue_id} | EXPERT#{name}` to `{dialogue_id} | EXP#{name}`",
            "backfill",
        ],
    );
    accepted(
        &check(&with(schema!(role_moved_into_the_key))),
        &["moves from", "`{dialogue_id} | XPERT#{role}#{name}`"],
    );
    // A move from a key the snapshot does not have says what it found.
    refused(
        &check(&with(schema!(move_declared_from_another_key))),
        &[
            "declares the old key `{dialogue_id} | SPEAKER#{name}`, which is not the stored items' key",
            "`#[sk(prefix = \"EXPERT\")]`",
        ],
    );
    // Finalizing: the snapshot taken during the move, compared with the
    // entity at its new key without the declaration.
    let during = snapshot(&with(schema!(renamed_prefix_moved)));
    let after = TableSchema {
        entities: Vec::leak(vec![&<finalized::Expert as blue_schema::Entity>::SCHEMA]),
        ..with(schema!(renamed_prefix_moved))
    };
    let found = compatibility(&during, &after).unwrap();
    let during_table = with(schema!(renamed_prefix_moved));
    let kept = compatibility(&during, &during_table).unwrap();
    assert!(kept.is_compatible(), "{kept:?}");
    assert!(
        found
            .refused
            .iter()
            .any(|r| r.contains("key move of `Expert`") && r.contains("--accept-breaking")),
        "{found:?}"
    );
}

expert!(finalized {
    #[pk] pub dialogue_id: String,
    #[sk] pub name: String,
    pub role: String,
    pub tier: u8,
    pub score: i32,
}, entity(table = Dialogue, shape = 2, from = ExpertV1), sk(prefix = "EXP"),
   index(gsi1, name = by_role, pk(prefix = "ROLE", fields(role)), sk(fields(tier)));
    /// Shape 1 without its old key: the move is finished.
    #[derive(Shape, Deserialize)]
    #[shape(of = Expert, number = 1)]
    pub struct ExpertV1 {
        pub dialogue_id: String,
        pub name: String,
        pub role: String,
        pub tier: u8,
        pub score: i32,
    }
    impl From<ExpertV1> for Expert {
        fn from(v1: ExpertV1) -> Self {
            Expert { dialogue_id: v1.dialogue_id, name: v1.name, role: v1.role, tier: v1.tier, score: v1.score }
        }
    }
);
