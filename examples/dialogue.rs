//! The ADR's dialogue domain on embedded SQLite: writes the ADR's example
//! rows, prints them as the ADR shows them, then runs each access pattern.
//!
//! ```text
//! cargo run --example dialogue                 # database under target/debug/examples/
//! cargo run --example dialogue -- /tmp/blue.db # or a file of your choice
//! sqlite3 target/debug/examples/dialogue.db "select pk, sk, data from blue_dialogue"
//! sqlite3 -header target/debug/examples/dialogue.db "select * from blue_dialogue_expert"
//! ```
//!
//! No async runtime is needed: the SQLite backend completes its work when
//! called, and `blue_schema::block_on` drives the futures.

use blue_schema::{block_on, Error, Store, Table};
use blue_schema_examples::dialogue::*;
use blue_schema_examples::show::{database_path, print_query, print_rows};

fn main() -> Result<(), Error> {
    block_on(run())
}

async fn run() -> Result<(), Error> {
    let path = database_path("dialogue");
    let store = Store::open(&format!("sqlite://{}", path.display())).await?;
    store.create_table::<Dialogue>().await?;
    println!("Store: sqlite://{}", path.display());

    let d = "nvidia-dec";
    store
        .put(&DialogueMeta {
            dialogue_id: d.into(),
            title: "NVIDIA in December".into(),
            status: Status::Open,
        })
        .await?;
    let experts = [
        Expert {
            dialogue_id: d.into(),
            name: "muffin".into(),
            role: "skeptic".into(),
            tier: 1,
            score: 42,
        },
        Expert {
            dialogue_id: d.into(),
            name: "muf".into(),
            role: "optimist".into(),
            tier: 2,
            score: 7,
        },
    ];
    store.put_all(&experts).await?;
    let perspectives = [
        (
            0,
            "muffin",
            1,
            "supply",
            "Lead times are shrinking.",
            Status::Open,
        ),
        (
            0,
            "muffin",
            2,
            "margins",
            "Margins peak this quarter.",
            Status::Converging,
        ),
        (
            1,
            "muf",
            1,
            "demand",
            "Demand outruns supply.",
            Status::Open,
        ),
        (
            10,
            "muf",
            1,
            "late",
            "Round 10 sorts after round 1.",
            Status::Open,
        ),
    ];
    for (round, expert, seq, label, content, status) in perspectives {
        store
            .create(&Perspective {
                dialogue_id: d.into(),
                round,
                expert: expert.into(),
                seq,
                label: label.into(),
                content: content.into(),
                status,
            })
            .await?;
    }
    store
        .put(&Tension {
            dialogue_id: d.into(),
            tension_id: "T01".into(),
            description: "supply vs demand".into(),
            status: Status::Open,
        })
        .await?;
    for (at, event_type, reason) in [
        (1_706_900_000, "raised", "perspectives disagree"),
        (1_706_990_000, "converging", "margins explain both"),
    ] {
        store
            .put(&TensionEvent {
                dialogue_id: d.into(),
                tension_id: "T01".into(),
                at,
                event_type: event_type.into(),
                actor: "muffin".into(),
                reason: reason.into(),
            })
            .await?;
    }

    println!(
        "\nTable {} (pk | sk → attributes), as stored:",
        Dialogue::NAME
    );
    print_rows(&store, &Dialogue::SCHEMA, Dialogue::partition(d)).await?;

    print_query(&store, "The experts:", Expert::query(d)).await?;
    print_query(
        &store,
        "Expert \"muf\" only (a component never matches a longer value):",
        Expert::query(d).name("muf"),
    )
    .await?;
    print_query(
        &store,
        "Experts whose name starts with \"muf\":",
        Expert::query(d).name_starts_with("muf"),
    )
    .await?;
    print_query(
        &store,
        "Round 0's perspectives:",
        Perspective::query(d).round(0),
    )
    .await?;
    print_query(
        &store,
        "muffin's perspectives in round 0, newest first:",
        Perspective::query(d).round(0).expert("muffin").reverse(),
    )
    .await?;
    print_query(
        &store,
        "Perspectives from round 1 on (10 sorts after 1):",
        Perspective::query(d).round_ge(1),
    )
    .await?;
    print_query(
        &store,
        "T01's events before 2024-02-03:",
        TensionEvent::query(d)
            .tension_id("T01")
            .at_lt(1_706_918_400u64),
    )
    .await?;

    // The questions across dialogues: secondary indexes. A second dialogue
    // brings another skeptic.
    store
        .put(&Expert {
            dialogue_id: "amd-jan".into(),
            name: "kiwi".into(),
            role: "skeptic".into(),
            tier: 1,
            score: 3,
        })
        .await?;
    store
        .put(&Tension {
            dialogue_id: "amd-jan".into(),
            tension_id: "T07".into(),
            description: "price vs volume".into(),
            status: Status::Open,
        })
        .await?;
    print_query(
        &store,
        "Skeptics in every dialogue, by tier (index gsi1, eventually consistent):",
        Expert::by_role("skeptic"),
    )
    .await?;
    print_query(
        &store,
        "Open tensions in every dialogue (index gsi2):",
        Tension::by_status(Status::Open),
    )
    .await?;
    print_query(
        &store,
        "Tier-1 skeptics scoring over 10 (a filter: the page still counts every item read):",
        Expert::by_role("skeptic")
            .tier(1u8)
            .filter(Expert::attr().score.gt(10)),
    )
    .await?;
    // A field of an index key changes only with the rest of that key, so
    // the index key is rewritten in the same request.
    store
        .update(Tension::key("amd-jan", "T07"))
        .set_index(TensionByStatus {
            status: Status::Resolved,
        })
        .await?;
    let open = store.query(Tension::by_status(Status::Open)).all().await?;
    println!(
        "
T07 resolved with `set_index`; open tensions now: {:?}",
        open.iter()
            .map(|t| format!("{}/{}", t.dialogue_id, t.tension_id))
            .collect::<Vec<_>>()
    );

    let muffin = store.get(Expert::key(d, "muffin")).await?;
    println!("\nget {}:\n  → {muffin:?}", Expert::key(d, "muffin"));

    let again = store.create(&experts[0]).await.unwrap_err();
    println!("\ncreate the same expert again:\n  → error: {again}");

    let huge = Perspective {
        dialogue_id: d.into(),
        round: 2,
        expert: "muffin".into(),
        seq: 1,
        label: "essay".into(),
        content: "x".repeat(500_000),
        status: Status::Open,
    };
    let too_big = store.put(&huge).await.unwrap_err();
    println!(
        "\nput a 500 KB perspective (refused on SQLite as DynamoDB would):\n  → error: {too_big}"
    );

    let first = store
        .query(Dialogue::partition(d).page_size(3))
        .page()
        .await?;
    println!("\nThe whole partition, 3 items per page, as `Dialogue` values:");
    for item in &first.items {
        println!("  → {item:?}");
    }
    if let Some(cursor) = first.cursor {
        println!("  … next page after cursor {cursor}");
        let next = store
            .query(Dialogue::partition(d).page_size(3).after(cursor))
            .page()
            .await?;
        for item in &next.items {
            println!("  → {item:?}");
        }
    }

    // What these operations would cost on DynamoDB: a metered handle counts
    // the capacity units, computed on SQLite with DynamoDB's rules.
    let metered = store.metered();
    metered.query(Dialogue::partition(d)).all().await?;
    let read = metered.consumed().unwrap_or_default();
    if let Some(expert) = metered.get(Expert::key(d, "muffin")).await? {
        metered.put(&expert).await?;
    }
    let all = metered.consumed().unwrap_or_default();
    println!(
        "\nCapacity on DynamoDB: reading the whole partition costs {read}; with a get and a \
         put of one expert (its by_role index entry rewritten too), {all}"
    );
    Ok(())
}
