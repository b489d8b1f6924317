//! The committed access-pattern docs under `docs/generated/` are exactly what
//! the schemas render to now.

use std::path::Path;

#[test]
fn committed_access_pattern_docs_match_a_fresh_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, schema) in blue_schema_examples::GENERATED_DOCS {
        let fresh = blue_schema::docs::markdown(schema);
        let committed = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        assert!(
            committed == fresh,
            "{path} is stale: it differs from what the `{}` schema renders to now. \
             Regenerate it with `cargo run --example generate_docs` and commit the result.",
            schema.rust_name
        );
    }
}

/// The committed schema snapshots are what the schemas are now: a schema
/// change comes with its snapshot, which `docs` writes only when the
/// stored items survive the change (`tests/compat.rs`).
#[test]
fn committed_schema_snapshots_match_the_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, schema) in blue_schema_examples::GENERATED_DOCS {
        let path = root.join(path).with_extension("schema.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let found = blue_schema::docs::compatibility(&committed, schema)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(found.refused.is_empty(), "{:?}", found.refused);
        assert!(
            committed == blue_schema::docs::snapshot(schema),
            "{} is stale: regenerate it with `cargo run --example generate_docs` ({:?})",
            path.display(),
            found.accepted
        );
    }
}

#[test]
fn rendered_docs_use_the_adr_notation_and_list_every_access_pattern() {
    let md = blue_schema::docs::markdown(
        &<blue_schema_examples::dialogue::Dialogue as blue_schema::Table>::SCHEMA,
    );
    for line in [
        "{dialogue_id} | META                         → {title, status}",
        "{dialogue_id} | EXPERT#{name}                → {role, tier, score}",
        "{dialogue_id} | PERSP#{round}#{expert}#{seq} → {label, content, status}",
        "{dialogue_id} | TENSION#{tension_id}         → {description, status}",
        "{dialogue_id} | TEVENT#{tension_id}#{at}     → {event_type, actor, reason}",
        "| `Perspective::query(dialogue_id).round(round).expert_starts_with(p)` | `pk = {dialogue_id} AND begins_with(sk, \"PERSP#{round}#{p}\")` |",
        "| `Perspective::query(dialogue_id).round(round).expert(expert).seq(seq)` | `pk = {dialogue_id} AND sk = \"PERSP#{round}#{expert}#{seq}\"` |",
        "| `DialogueMeta::query(dialogue_id)` | `pk = {dialogue_id} AND sk = \"META\"` |",
        "`Dialogue::partition(dialogue_id)` → `pk = {dialogue_id}`",
        "| `{round}` | `u32` | unsigned integer, zero-padded to 10 digits |",
        "| `tier` | `u8` |  | Seniority tier, 1 (highest) to 3. |",
        "| `tier` | `eq` `ne` `lt` `le` `gt` `ge` `between` `is_in` | only with the other fields of its index key: `set_index(ExpertByRole { .. })`, or `modify` |",
        "| `score` | `eq` `ne` `lt` `le` `gt` `ge` `between` `is_in` | `set` `set_if_absent` `add` `subtract` (within its type) |",
        // The secondary indexes: what each holds and each access pattern.
        "| `gsi1` | ALL | `Expert::by_role` | `ROLE#{role} \\| EXPERT#{tier}#{pk}#{sk}` |",
        "| `gsi2` | ALL | `Tension::by_status` | `TENSION#{status} \\| TENSION#{pk}#{sk}` |",
        "### Index access pattern `by_role` (index `gsi1`)",
        "| `Expert::by_role(role).tier(tier)` | `gsi1pk = ROLE#{role} AND begins_with(gsi1sk, \"EXPERT#{tier}#\")` |",
        "CREATE INDEX IF NOT EXISTS \"blue_dialogue#gsi1\" ON \"blue_dialogue\" (gsi1_pk, gsi1_sk) WHERE gsi1_pk IS NOT NULL AND gsi1_sk IS NOT NULL;",
        "\"IndexName\":\"gsi2\"",
        "| `name` | `eq` `ne` `lt` `le` `gt` `ge` `between` `is_in` `begins_with` `contains` `size` | none: a key field (`store.rekey` moves an item) |",
    ] {
        assert!(md.contains(line), "missing from the rendered docs: {line}\n\n{md}");
    }
    // Numbers have no starts_with; strings do.
    assert!(!md.contains("round_starts_with"));
    assert!(md.contains("name_starts_with"));
}
