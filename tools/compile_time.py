#!/usr/bin/env python3
"""Compile time of the derives against serde's alone (issue 22, point 5).

Generates two crates under target/compile-time/ with the same 50 structs:

* `serde_only`: `#[derive(Serialize, Deserialize)]` on each struct;
* `blue`: the same, plus `#[derive(Entity)]` on each and `#[derive(Table)]`
  on the table enums, laid out as one table of 50 entities (`--layout one`)
  or five tables of 10 (`--layout five`).

Both build against this checkout's `blue-schema` with the workspace's
Cargo.lock, in one target directory. After a first build of the
dependencies, each round touches each crate's `src/lib.rs` and times
`cargo check` on it, the two crates alternating (paired runs, the order
swapped every round); the script prints each side's median and the ratio,
of wall-clock seconds and of CPU seconds (user + system, cargo's and
rustc's): the CPU time moves less on a noisy machine.

    python3 tools/compile_time.py                 # both layouts, 5 rounds
    python3 tools/compile_time.py --layout one --rounds 9
    python3 tools/compile_time.py --expand        # lines of expanded code too
    python3 tools/compile_time.py --full          # without incremental reuse
    python3 tools/compile_time.py --instructions  # rustc's instructions (valgrind), not time
    python3 tools/compile_time.py --by-item --layout one  # what each kind of generated item costs

Every fifth entity has a secondary-index access pattern, every third an
optional attribute and every fourth a list, so the expansion is that of
a realistic schema rather than of the smallest entity.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "compile-time"
ENTITIES = 50


def struct(i, table, blue):
    derives = "Serialize, Deserialize, Debug, Clone, PartialEq"
    lines = []
    if blue:
        lines.append(f"#[derive(Entity, {derives})]")
        lines.append(f"#[entity(table = {table})]")
        lines.append(f'#[sk(prefix = "ENTITY{i:02}")]')
        if i % 5 == 0:
            lines.append(
                f'#[index(gsi1, name = by_owner, pk(prefix = "OWNER{i:02}", fields(owner)), sk(fields(rank)))]'
            )
    else:
        lines.append(f"#[derive({derives})]")
    pk = "#[pk] " if blue else ""
    sk = "#[sk] " if blue else ""
    lines.append(f"pub struct Entity{i:02} {{")
    lines.append(f"    {pk}pub tenant: String,")
    lines.append(f"    {sk}pub id: String,")
    lines.append(f"    {sk}pub seq: u32,")
    lines.append("    pub owner: String,")
    lines.append("    pub rank: u8,")
    lines.append("    pub amount: i64,")
    if i % 3 == 0:
        lines.append("    pub note: Option<String>,")
    if i % 4 == 0:
        lines.append("    pub tags: Vec<String>,")
    lines.append("}")
    return "\n".join(lines)


def library(layout, blue):
    per_table = ENTITIES if layout == "one" else ENTITIES // 5
    out = ["#![allow(dead_code)]"]
    if blue:
        out.append("use blue_schema::{Entity, Table};")
    out.append("use serde::{Deserialize, Serialize};\n")
    for t in range(ENTITIES // per_table):
        table = f"Table{t}"
        members = range(t * per_table, (t + 1) * per_table)
        if blue:
            out.append("#[derive(Table, Debug, Clone, PartialEq)]")
            out.append(f'#[table(name = "compile_time_{t}", indexes(gsi1))]')
        else:
            out.append("#[derive(Debug, Clone, PartialEq)]")
        out.append(f"pub enum {table} {{")
        out.extend(f"    E{i:02}(Entity{i:02})," for i in members)
        out.append("}\n")
        out.extend(struct(i, table, blue) + "\n" for i in members)
    return "\n".join(out)


def manifest(name, blue, opt_macros=False):
    deps = 'serde = { version = "1.0.200", features = ["derive"] }\n'
    if blue:
        deps += f'blue-schema = {{ path = "{ROOT / "blue-schema"}" }}\n'
    return (
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
        f"[workspace]\n\n[dependencies]\n{deps}"
        + ("\n[profile.dev.build-override]\nopt-level = 3\n" if opt_macros else "")
    )


def generate(layout, opt_macros=False):
    crates = {}
    for name, blue in (("serde_only", False), ("blue", True)):
        crate = OUT / f"{name}_{layout}"
        (crate / "src").mkdir(parents=True, exist_ok=True)
        (crate / "Cargo.toml").write_text(manifest(f"{name}_{layout}", blue, opt_macros))
        shutil.copy(ROOT / "Cargo.lock", crate / "Cargo.lock")
        (crate / "src" / "lib.rs").write_text(library(layout, blue))
        crates[name] = crate
    return crates


INCREMENTAL = "1"
WRAPPER = """#!/bin/sh
# rustc under callgrind for the measured crate only (its dependencies are
# built as usual): what `--instructions` counts.
if [ -n "$CARGO_PRIMARY_PACKAGE" ] && [ -n "$BLUE_CT_OUT" ]; then
  exec valgrind --tool=callgrind --cache-sim=no --branch-sim=no \\
    --callgrind-out-file="$BLUE_CT_OUT" -q "$@"
fi
exec "$@"
"""


def cargo(crate, *args):
    env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target"), CARGO_INCREMENTAL=INCREMENTAL)
    return subprocess.run(
        ["cargo", *args, "--quiet"], cwd=crate, env=env, capture_output=True, text=True
    )


def check(crate):
    """Wall-clock and CPU seconds (cargo's and rustc's, user + system) of
    one `cargo check` after a touch."""
    (crate / "src" / "lib.rs").touch()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = cargo(crate, "check")
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"cargo check failed in {crate}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def instructions(crate):
    """Instructions rustc executes for one `cargo check` after a touch,
    counted by callgrind: the same figure on every run, however busy the
    machine is."""
    wrapper = OUT / "rustc-under-callgrind.sh"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    env = dict(
        os.environ,
        CARGO_TARGET_DIR=str(OUT / "target-instructions"),
        CARGO_INCREMENTAL=INCREMENTAL,
        RUSTC_WRAPPER=str(wrapper),
    )
    run = lambda extra: subprocess.run(  # noqa: E731
        ["cargo", "check", "--quiet"], cwd=crate, env=dict(env, **extra), capture_output=True, text=True
    )
    run({})  # dependencies, and the incremental state to start from
    (crate / "src" / "lib.rs").touch()
    out = OUT / f"{crate.name}.callgrind"
    done = run({"BLUE_CT_OUT": str(out)})
    if done.returncode != 0:
        sys.exit(f"cargo check failed in {crate}:\n{done.stderr}")
    for line in out.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    sys.exit(f"no summary line in {out}")


def expansion(crate):
    """The crate after macro expansion (rustc's -Zunpretty through
    RUSTC_BOOTSTRAP), or None."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target"), RUSTC_BOOTSTRAP="1")
    done = subprocess.run(
        ["cargo", "rustc", "--quiet", "--lib", "--profile=check", "--", "-Zunpretty=expanded"],
        cwd=crate,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.stdout if done.returncode == 0 else None


# The kinds of generated item `--by-item` removes, one at a time, from the
# expansion (patterns on rustc's pretty-printed output: each matches the
# first line of an item whose braces are removed with it).
ITEM_KINDS = {
    "range methods (six per sort-key component)": r"^impl Entity\d\dQuery<\d+usize> \{",
    "query builder options (page_size, take, ...)": r"^impl<const N : usize> Entity\d\dQuery<N> \{\n    /// Evaluates at most",
    "component methods (id(..), seq(..))": r'^impl<const N : usize> Entity\d\dQuery<N> \{\n    #\[doc = "Fixes',
    "key-part checks": r"^        #\[allow\(dead_code\)\]\n        fn key_parts_are_key_parts\(\)",
    "the Attr struct's Debug": r"^#\[automatically_derived\]\n#\[allow\(missing_docs\)\]\nimpl ::core::fmt::Debug for Entity\d\dAttr",
}

# What the expansion needs to compile as a crate of its own: the features
# of the paths the standard derives expand to.
EXPANDED_FEATURES = (
    "#![feature(prelude_import, fmt_internals, panic_internals, structural_match, "
    "coverage_attribute, rustc_attrs, core_intrinsics, fmt_helpers_for_derive)]\n"
    "#![allow(internal_features)]"
)


def without_helpers(text):
    """The expansion without the derives' helper attributes (`#[pk]`,
    `#[sk(...)]`, `#[table(...)]`, ...), which mean nothing without the
    derives."""
    out, skipping = [], False
    for line in text.split("\n"):
        bare = line.strip()
        if skipping:
            skipping = not bare.endswith("]")
            continue
        if re.match(r"#\[(table|entity|sk|index|pk)\b", bare):
            skipping = not bare.endswith("]")
            continue
        out.append(line)
    return "\n".join(out).replace("#![feature(prelude_import)]", EXPANDED_FEATURES, 1)


def remove_items(text, pattern):
    """`text` without the items whose first line `pattern` matches: from
    the match to its closing brace (and a `;` after it)."""
    out, at = [], 0
    for m in re.finditer(pattern, text, flags=re.M):
        if m.start() < at:
            continue
        depth, k = 0, text.index("{", m.start())
        while True:
            c = text[k]
            if c == '"':
                k += 1
                while text[k] != '"':
                    k += 2 if text[k] == "\\" else 1
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        end = k + 1 + (text[k + 1 : k + 2] == ";")
        out.append(text[at : m.start()])
        at = end
    out.append(text[at:])
    return "".join(out)


def by_item(layout):
    """Instructions of a touch check of the expansion as a crate, whole and
    without each kind of generated item: what each kind costs after macro
    expansion."""
    crates = generate(layout)
    text = expansion(crates["blue"])
    if text is None:
        sys.exit("the expansion failed (rustc -Zunpretty=expanded)")
    crate = OUT / f"expanded_{layout}"
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(manifest(f"expanded_{layout}", True))
    shutil.copy(ROOT / "Cargo.lock", crate / "Cargo.lock")
    base = without_helpers(text)
    serde_i = instructions(crates["serde_only"])
    os.environ["RUSTC_BOOTSTRAP"] = "1"
    (crate / "src" / "lib.rs").write_text(base)
    whole = instructions(crate)
    print(f"serde alone {serde_i / 1e6:7.0f} M; the expansion checked as a crate {whole / 1e6:7.0f} M")
    for kind, pattern in ITEM_KINDS.items():
        (crate / "src" / "lib.rs").write_text(remove_items(base, pattern))
        cost = whole - instructions(crate)
        print(f"  {kind:48} {cost / 1e6:6.0f} M  ({cost / serde_i:4.2f} of the ratio)")


def expanded_lines(crate):
    """Lines of the crate after macro expansion, or None."""
    text = expansion(crate)
    return text.count("\n") if text is not None else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", choices=["one", "five", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--expand", action="store_true")
    parser.add_argument(
        "--opt-macros",
        action="store_true",
        help="build the derive crates (serde's and ours) optimized: [profile.dev.build-override]",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count rustc's instructions under valgrind (one run each, about 30 s) instead of timing",
    )
    parser.add_argument(
        "--by-item",
        action="store_true",
        help="what each kind of generated item costs after expansion (rustc's instructions, valgrind)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="check without incremental compilation: every item type-checked again, not reused",
    )
    args = parser.parse_args()
    global INCREMENTAL
    INCREMENTAL = "0" if args.full else "1"
    layouts = ["one", "five"] if args.layout == "both" else [args.layout]
    for layout in layouts:
        if args.by_item:
            by_item(layout)
            continue
        crates = generate(layout, args.opt_macros)
        label = "one table of 50" if layout == "one" else "five tables of 10"
        if args.instructions:
            counts = {name: instructions(crate) for name, crate in crates.items()}
            serde_i, blue_i = counts["serde_only"], counts["blue"]
            print(
                f"{label:18} instr serde alone {serde_i / 1e9:6.3f} G  with the derives {blue_i / 1e9:6.3f} G"
                f"  ratio {blue_i / serde_i:4.2f}  (rustc's instructions, callgrind)"
            )
            continue
        for crate in crates.values():
            check(crate)  # dependencies, once
        times = {name: [] for name in crates}
        for r in range(args.rounds):
            order = list(crates) if r % 2 == 0 else list(reversed(crates))
            for name in order:
                times[name].append(check(crates[name]))
        for kind, index in (("wall", 0), ("cpu", 1)):
            serde_s = statistics.median(t[index] for t in times["serde_only"])
            blue_s = statistics.median(t[index] for t in times["blue"])
            print(
                f"{label:18} {kind:4}  serde alone {serde_s:6.2f} s  with the derives {blue_s:6.2f} s"
                f"  ratio {blue_s / serde_s:4.2f}  (medians of {args.rounds} paired `cargo check`s)"
            )
        if args.expand:
            for name, crate in crates.items():
                lines = expanded_lines(crate)
                print(f"    {name}: {lines} lines expanded" if lines else f"    {name}: expansion failed")


if __name__ == "__main__":
    main()
