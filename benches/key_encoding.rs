//! Key encoding against a hand-written `format!` baseline that produces the
//! same strings, in the same run. Report medians and their ratio:
//!
//! ```text
//! cargo bench -p blue-schema-benches --bench key_encoding
//! python3 benches/ratios.py
//! ```

use std::hint::black_box;

use blue_schema::IntoQuery;
use blue_schema_examples::dialogue::{Expert, Perspective};
use criterion::{criterion_group, criterion_main, Criterion};

/// What a hand-written schema would do: `format!` with the same padding.
/// (It cannot escape; the inputs below need no escaping, so the strings match.)
fn baseline_perspective_key(
    dialogue: &str,
    round: u32,
    expert: &str,
    seq: u32,
) -> (String, String) {
    (
        dialogue.to_owned(),
        format!("PERSP#{round:010}#{expert}#{seq:010}"),
    )
}

fn baseline_expert_key(dialogue: &str, name: &str) -> (String, String) {
    (dialogue.to_owned(), format!("EXPERT#{name}"))
}

fn baseline_round_expert_prefix(round: u32, expert: &str) -> String {
    format!("PERSP#{round:010}#{expert}#")
}

fn bench(c: &mut Criterion) {
    let (d, expert, round, seq) = ("nvidia-dec", "muffin-the-expert", 12_u32, 345_u32);
    assert_eq!(
        Perspective::key(d, round, expert, seq).into_parts(),
        baseline_perspective_key(d, round, expert, seq)
    );
    assert_eq!(
        Expert::key(d, expert).into_parts(),
        baseline_expert_key(d, expert)
    );
    let spec = Perspective::query(d)
        .round(round)
        .expert(expert)
        .into_query()
        .into_spec();
    assert_eq!(
        spec.sort_key,
        Some(blue_schema::query::SortKeyCondition::BeginsWith(
            baseline_round_expert_prefix(round, expert)
        ))
    );

    let mut group = c.benchmark_group("perspective_key");
    group.bench_function("blue_schema", |b| {
        b.iter(|| {
            Perspective::key(
                black_box(d),
                black_box(round),
                black_box(expert),
                black_box(seq),
            )
        })
    });
    group.bench_function("format_baseline", |b| {
        b.iter(|| {
            baseline_perspective_key(
                black_box(d),
                black_box(round),
                black_box(expert),
                black_box(seq),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("expert_key");
    group.bench_function("blue_schema", |b| {
        b.iter(|| Expert::key(black_box(d), black_box(expert)))
    });
    group.bench_function("format_baseline", |b| {
        b.iter(|| baseline_expert_key(black_box(d), black_box(expert)))
    });
    group.finish();

    let mut group = c.benchmark_group("query_prefix");
    group.bench_function("blue_schema", |b| {
        b.iter(|| {
            Perspective::query(black_box(d))
                .round(black_box(round))
                .expert(black_box(expert))
                .into_query()
                .into_spec()
        })
    });
    group.bench_function("format_baseline", |b| {
        b.iter(|| {
            (
                black_box(d).to_owned(),
                baseline_round_expert_prefix(black_box(round), black_box(expert)),
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(60)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
