#!/usr/bin/env python3
"""The benchmarks' ratios, store against hand-written code, both backends.

Two ways to measure, two tables:

    python3 benches/ratios.py --instructions [--traced] [--backend sqlite|dynamodb] [--ops get,put]
    python3 benches/ratios.py [criterion dir] [group prefix]

`--instructions` (the issue's measure: identical from run to run on this
noisy machine) builds the `sqlite` and `dynamodb` benchmarks, runs each side
of each operation in a process of its own under callgrind (`valgrind` must
be installed), one call and `n` + 1, and prints the instructions per call of
each side once warm (the difference over `n`) and their ratio. On SQLite the baseline is raw rusqlite doing
the same work in the same file, and the store runs in both layouts (the
single table, and a table per entity: `blue_schema_tables`); on DynamoDB it is raw aws-sdk-dynamodb,
both clients answered from memory by a replaying HTTP client
(`benches/replay.rs`) after one recorded call of each side against the
emulator, so the count is the client side's work only (the library, the
SDK, the stub's copy of the answer) and the table also shows the requests
each side sent and their body bytes. Takes about 15 minutes (both backends, one core).

The store is built as a user builds it by default, without `tracing`;
`--traced` also builds it with `tracing` (spans, no subscriber) and adds
a column: the traced store's instructions over the untraced one's.

Without it, the script reads criterion's wall-clock estimates under
target/criterion after a `cargo bench` and prints medians and ratios.

`ratio` is always baseline / blue_schema: at least 0.95 is the goal,
above 1.0 the store does less work than the baseline.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

SQLITE_OPS = [
    "get", "put", "query_entity", "index_query", "filtered_query", "partition",
    "query_entity_paged", "index_query_paged", "partition_paged",
    "update", "put_when", "transaction_10", "put_card", "get_metered", "put_metered",
    "put_ttl", "get_ttl", "query_ttl",
    "put_feed", "update_feed", "delete_feed", "transaction_feed", "put_all_feed",
    "put_moving", "update_moving", "get_moving", "get_unmoved",
    "put_unique", "rename_unique", "query_view", "query_view_paged", "attr_query", "attr_query_paged",
    "attr_put", "get_many_10", "put_all_100",
]
SQLITE_NOTES = {
    "query_entity_paged": "baseline: rusqlite with DynamoDB's page rules (each row's size for the 1 MB cut, its key for the cursor)",
    "index_query_paged": "baseline: rusqlite with DynamoDB's page rules (each row's size for the 1 MB cut, its key for the cursor)",
    "partition_paged": "baseline: rusqlite with DynamoDB's page rules (each row's size for the 1 MB cut, its key for the cursor)",
    "put_card": "baseline: the same card into a table without indexes",
    "get_metered": "baseline: the same store unmetered",
    "put_metered": "baseline: the same store unmetered",
    "put_ttl": "baseline: the same card into a table without TTL",
    "get_ttl": "baseline: the same card from a table without TTL",
    "query_ttl": "baseline: 20 such cards from a table without TTL",
    "query_view": "baseline: rusqlite reading the same index rows' JSON into the view's fields",
    "query_view_paged": "baseline: as query_view's, with DynamoDB's page rules (each entry sized from its keys and projected attributes, the last key for the cursor)",
    "attr_query": "baseline: rusqlite reading the same multi-attribute index's rows (its typed columns)",
    "attr_query_paged": "baseline: as attr_query's, with DynamoDB's page rules (each row's size, the last row's sort values and key for the cursor)",
    "attr_put": "baseline: rusqlite upserting the same card, its rank changed (the index follows)",
    "put_feed": "baseline: the same card into a table without a change feed",
    "update_feed": "baseline: the same update in a table without a change feed",
    "delete_feed": "baseline: the same put and delete without a change feed",
    "transaction_feed": "baseline: the same 10 updates without a change feed",
    "put_all_feed": "baseline: the same 10 cards without a change feed",
    "put_moving": "baseline: the same shape-2 card in a table whose key does not move",
    "update_moving": "baseline: the same update where the key does not move",
    "get_moving": "baseline: the same get of a moved card where the key does not move",
    "get_unmoved": "baseline: a get of a card under the key it has, against one under its old key",
    "put_unique": "baseline: the same card whose handle is not #[unique]",
    "rename_unique": "baseline: the same update of a handle that is not #[unique]",
}
DYNAMODB_NOTES = {
    "put_ttl": "baseline: the store, the same card into a table without TTL",
    "put_moving": "baseline: the store, the same shape-2 card where the key does not move",
    "get_unmoved": "baseline: the store, a card under its key, against one under its old key",
    "query_ttl": "baseline: the store, 20 such cards from a table without TTL",
    "put_unique": "baseline: the store, the same card whose handle is not #[unique]",
    "query_view": "baseline: aws-sdk-dynamodb querying the same INCLUDE index, serde_dynamo into the view's fields",
    "attr_query": "baseline: aws-sdk-dynamodb querying the same multi-attribute index (owner = :o AND rank >= :r)",
    "attr_put": "baseline: aws-sdk-dynamodb writing the same card, its rank changed, as put does (one UpdateItem)",
}
DYNAMODB_OPS = [
    "get", "put", "query_entity", "index_query", "filtered_query", "partition",
    "update", "put_when", "transaction_10", "create", "bulk_100", "put_ttl", "query_ttl",
    "put_moving", "get_unmoved", "put_unique", "query_view", "attr_query", "attr_put",
    "get_many_10",
]


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def criterion_table(root, prefix):
    print("| group | blue_schema median | baseline median | time ratio | throughput ratio |")
    print("|---|---|---|---|---|")
    for group in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "report"):
        if not group.name.startswith(prefix):
            continue
        medians = {}
        for bench in group.iterdir():
            est = bench / "new" / "estimates.json"
            if est.exists():
                medians[bench.name] = json.loads(est.read_text())["median"]["point_estimate"]
        ours = medians.get("blue_schema")
        tables = medians.get("blue_schema_tables")
        base = next((v for k, v in medians.items() if not k.startswith("blue_schema")), None)
        if ours and base:
            print(f"| {group.name} | {fmt(ours)} | {fmt(base)} | {ours / base:.2f} | {base / ours:.2f} |")
        if tables and base:
            print(f"| {group.name}, tables layout | {fmt(tables)} | {fmt(base)} | {tables / base:.2f} | {base / tables:.2f} |")


def build(bench, traced=False):
    """The path of the `bench` benchmark's executable, built in release."""
    features = ["--features", "tracing"] if traced else []
    out = subprocess.run(
        ["cargo", "bench", "-p", "blue-schema-benches", "--bench", bench, "--no-run",
         "--message-format=json", *features],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == bench:
            return msg["executable"]
    sys.exit(f"no executable for the {bench} benchmark")


def instructions(exe, env):
    """Instructions callgrind counts for one run of `exe` with `env` added."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", exe],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode != 0 or not found:
        sys.exit(f"{exe} with {env} failed:\n{run.stdout}\n{run.stderr}")
    return int(found.group(1).replace(",", ""))


def per_call(exe, op, side, calls, extra=None):
    """A call's instructions once the side is warm: a run of `calls` + 1
    calls less a run of one. The first call of a side does work no later
    call repeats (preparing its statements, loading the schema into a
    connection, reading pages into a cold cache; on DynamoDB, the client's
    first request), which a run of none would have counted against every
    call: the hand-written reader of a projected view, on a connection of
    its own, came out 34 000 instructions a call slower than it is."""
    env = dict(extra or {})
    first = instructions(exe, {**env, "BLUE_BENCH_COUNT": f"{op} {side} 1"})
    total = instructions(exe, {**env, "BLUE_BENCH_COUNT": f"{op} {side} {calls + 1}"})
    return (total - first) / calls


def sqlite_table(ops, traced):
    exe = build("sqlite")
    if traced:
        traced_exe = build("sqlite", traced=True)
    print("SQLite: instructions per call (callgrind), store against raw rusqlite,"
          " in the single-table layout and in the tables layout\n")
    print("| operation | blue_schema | baseline | ratio | tables layout | ratio |"
          + (" traced / untraced |" if traced else ""))
    print("|---|---|---|---|---|---|" + ("---|" if traced else ""))
    for op in ops:
        calls = 20 if op == "transaction_10" else 200
        ours = per_call(exe, op, "blue_schema", calls)
        base = per_call(exe, op, "rusqlite", calls)
        tables = per_call(exe, op, "blue_schema_tables", calls)
        note = f" ({SQLITE_NOTES[op]})" if op in SQLITE_NOTES else ""
        extra = ""
        if traced:
            with_spans = per_call(traced_exe, op, "blue_schema", calls)
            extra = f" {with_spans / ours:.3f} |"
        print(f"| {op}{note} | {ours:,.0f} | {base:,.0f} | {base / ours:.2f} | {tables:,.0f} | {base / tables:.2f} |{extra}")


def dynamodb_table(ops, traced):
    exe = build("dynamodb")
    traced_exe = build("dynamodb", traced=True) if traced else None
    recording = ROOT / "target" / "bench-dynamodb-replay.json"
    subprocess.run([exe], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "BLUE_BENCH_RECORD": str(recording)})
    recorded = json.loads(recording.read_text())
    env = {"BLUE_BENCH_REPLAY": str(recording)}
    print("DynamoDB: client-side instructions per call (callgrind, answers replayed),"
          " requests and request bytes per call, store against raw aws-sdk-dynamodb\n")
    print("| operation | blue_schema | baseline | ratio | requests (ours / theirs) | request bytes (ours / theirs) |"
          + (" traced / untraced |" if traced else ""))
    print("|---|---|---|---|---|---|" + ("---|" if traced else ""))
    for op in ops:
        calls = 5 if op == "bulk_100" else 20
        ours = per_call(exe, op, "blue_schema", calls, env)
        base = per_call(exe, op, "aws_sdk", calls, env)
        sent = {side: recorded[op][side] for side in ("blue_schema", "aws_sdk")}
        requests = " / ".join(
            "+".join(f"{n} {o}" for o, n in count_ops(sent[s]).items()) for s in sent
        )
        size = " / ".join(str(sum(e["request_bytes"] for e in sent[s])) for s in sent)
        extra = ""
        if traced_exe:
            with_spans = per_call(traced_exe, op, "blue_schema", calls, env)
            extra = f" {with_spans / ours:.3f} |"
        note = f" ({DYNAMODB_NOTES[op]})" if op in DYNAMODB_NOTES else ""
        print(f"| {op}{note} | {ours:,.0f} | {base:,.0f} | {base / ours:.2f} | {requests} | {size} |{extra}")


def count_ops(exchanges):
    counts = {}
    for e in exchanges:
        counts[e["operation"]] = counts.get(e["operation"], 0) + 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--traced", action="store_true",
                        help="also count the store built with tracing")
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"])
    parser.add_argument("--ops", help="comma-separated operations (default: all)")
    parser.add_argument("criterion", nargs="?", default="target/criterion")
    parser.add_argument("prefix", nargs="?", default="")
    args = parser.parse_args()
    if not args.instructions:
        return criterion_table(pathlib.Path(args.criterion), args.prefix)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"commit {head}{' (with changes)' if dirty else ''}\n")
    wanted = args.ops.split(",") if args.ops else None
    if args.backend in (None, "sqlite"):
        sqlite_table([o for o in SQLITE_OPS if not wanted or o in wanted], args.traced)
        print()
    if args.backend in (None, "dynamodb"):
        dynamodb_table([o for o in DYNAMODB_OPS if not wanted or o in wanted], args.traced)


if __name__ == "__main__":
    main()
