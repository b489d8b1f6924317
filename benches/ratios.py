#!/usr/bin/env python3
"""Prints each benchmark group's medians and the ratio blue_schema / baseline.

Reads criterion's estimates under target/criterion after `cargo bench`.
A ratio below 1.0 means blue-schema is faster than the hand-written baseline.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
print(f"| group | blue_schema median | baseline median | ratio (ours / baseline) |")
print(f"|---|---|---|---|")
for group in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "report"):
    medians = {}
    for bench in group.iterdir():
        est = bench / "new" / "estimates.json"
        if est.exists():
            medians[bench.name] = json.loads(est.read_text())["median"]["point_estimate"]
    ours = medians.get("blue_schema")
    base = next((v for k, v in medians.items() if k != "blue_schema"), None)
    if ours and base:
        print(f"| {group.name} | {ours:.1f} ns | {base:.1f} ns | {ours / base:.2f} |")
