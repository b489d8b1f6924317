#!/usr/bin/env python3
"""Prints each benchmark group's medians and their ratios.

Reads criterion's estimates under target/criterion after `cargo bench`:

    python3 benches/ratios.py [criterion dir] [group prefix]

`time ratio` is blue_schema / baseline (below 1.0: blue-schema is faster);
`throughput ratio` is its inverse, baseline / blue_schema (the issue's goal
is at least 0.95).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
prefix = sys.argv[2] if len(sys.argv) > 2 else ""


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


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
    base = next((v for k, v in medians.items() if k != "blue_schema"), None)
    if ours and base:
        print(f"| {group.name} | {fmt(ours)} | {fmt(base)} | {ours / base:.2f} | {base / ours:.2f} |")
