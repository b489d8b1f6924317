//! The ADR's dialogue domain: the keys the derive produces for the ADR's
//! example rows, and what each typed access pattern asks for.
//!
//! ```text
//! cargo run --example dialogue
//! ```
//!
//! The rows are kept in memory as (pk, sk, JSON) triples, the shape of the
//! ADR's SQLite table, and every query is answered with
//! `QuerySpec::selects`, the reference semantics the backends implement.

use blue_schema::query::QuerySpec;
use blue_schema::{Entity, IntoQuery, Table};
use blue_schema_examples::dialogue::*;
use serde::Serialize;

/// One stored row: partition key, sort key, the entity's JSON.
struct Row {
    pk: String,
    sk: String,
    data: serde_json::Value,
}

fn row<E: Entity + Serialize>(item: &E) -> Row {
    let (pk, sk) = item.key().into_parts();
    let data = serde_json::to_value(item).expect("entities serialize to JSON");
    Row { pk, sk, data }
}

/// The rows a query selects, in its order, as the backends will return them.
fn run<'a>(rows: &'a [Row], spec: &QuerySpec) -> Vec<&'a Row> {
    let mut hits: Vec<&Row> = rows
        .iter()
        .filter(|r| r.pk == spec.partition_key && spec.selects(&r.sk))
        .collect();
    hits.sort_by(|a, b| a.sk.cmp(&b.sk));
    if spec.order == blue_schema::query::Order::Descending {
        hits.reverse();
    }
    hits.truncate(spec.limit.map_or(usize::MAX, |l| l as usize));
    hits
}

/// `{role, tier, score}`: the attributes that are not part of the key.
fn attributes(schema: &blue_schema::TableSchema, row: &Row) -> String {
    let entity = schema
        .entity_for_sort_key(&row.sk)
        .expect("every row belongs to an entity of the table");
    let values: Vec<String> = entity
        .data_attributes()
        .map(|a| format!("{}: {}", a.name, row.data[a.name]))
        .collect();
    format!("{{{}}}", values.join(", "))
}

fn show(title: &str, rows: &[Row], query: impl IntoQuery) {
    let query = query.into_query();
    println!("\n{title}\n  {}", query.explain());
    for hit in run(rows, query.spec()) {
        println!("  → {} | {}", hit.pk, hit.sk);
    }
}

fn main() {
    let d = "nvidia-dec";
    let rows = vec![
        row(&DialogueMeta {
            dialogue_id: d.into(),
            title: "NVIDIA in December".into(),
            status: Status::Open,
        }),
        row(&Expert {
            dialogue_id: d.into(),
            name: "muffin".into(),
            role: "skeptic".into(),
            tier: 1,
            score: 42,
        }),
        row(&Expert {
            dialogue_id: d.into(),
            name: "muf".into(),
            role: "optimist".into(),
            tier: 2,
            score: 7,
        }),
        row(&Perspective {
            dialogue_id: d.into(),
            round: 0,
            expert: "muffin".into(),
            seq: 1,
            label: "supply".into(),
            content: "Lead times are shrinking.".into(),
            status: Status::Open,
        }),
        row(&Perspective {
            dialogue_id: d.into(),
            round: 0,
            expert: "muffin".into(),
            seq: 2,
            label: "margins".into(),
            content: "Margins peak this quarter.".into(),
            status: Status::Converging,
        }),
        row(&Perspective {
            dialogue_id: d.into(),
            round: 1,
            expert: "muf".into(),
            seq: 1,
            label: "demand".into(),
            content: "Demand outruns supply.".into(),
            status: Status::Open,
        }),
        row(&Tension {
            dialogue_id: d.into(),
            tension_id: "T01".into(),
            description: "supply vs demand".into(),
            status: Status::Open,
        }),
        row(&TensionEvent {
            dialogue_id: d.into(),
            tension_id: "T01".into(),
            at: 1_706_900_000,
            event_type: "raised".into(),
            actor: "muffin".into(),
            reason: "perspectives disagree".into(),
        }),
    ];

    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
    println!(
        "Table {} (pk | sk → attributes), in key order:",
        Dialogue::NAME
    );
    for r in sorted {
        println!(
            "  {} | {} → {}",
            r.pk,
            r.sk,
            attributes(&Dialogue::SCHEMA, r)
        );
    }

    show("The experts:", &rows, Expert::query(d));
    show(
        "Expert \"muf\" only (a component never matches a longer value):",
        &rows,
        Expert::query(d).name("muf"),
    );
    show(
        "Experts whose name starts with \"muf\":",
        &rows,
        Expert::query(d).name_starts_with("muf"),
    );
    show(
        "Round 0's perspectives:",
        &rows,
        Perspective::query(d).round(0),
    );
    show(
        "muffin's perspectives in round 0, newest first:",
        &rows,
        Perspective::query(d).round(0).expert("muffin").reverse(),
    );
    show(
        "Perspectives from round 1 on:",
        &rows,
        Perspective::query(d).round_ge(1),
    );
    show(
        "T01's events before 2024-02-03:",
        &rows,
        TensionEvent::query(d)
            .tension_id("T01")
            .at_lt(1_706_918_400u64),
    );

    let partition = Dialogue::partition(d).limit(3);
    println!(
        "\nThe first page of the whole partition, as `Dialogue` values:\n  {}",
        partition.explain()
    );
    for hit in run(&rows, partition.spec()) {
        let item =
            Dialogue::decode_item(&hit.sk, &hit.data).expect("rows decode into their variant");
        println!("  → {item:?}");
    }
}
