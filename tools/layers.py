#!/usr/bin/env python3
"""Checks that the modules of `blue-schema/src` import only from below.

Every file belongs to one module of the list `LAYERS` (the longest prefix of
its path wins); each module has a rank, and a file may name, through
`crate::` paths (in `use` lines or inline, doc comments and comments
excluded), only its own module or modules of a lower rank. Modules of one
rank are independent of each other. A file's own folder is free to be
read by its children (`super::`), since it is the same module.

Run from the repository root: `python3 tools/layers.py` prints each upward or
sideways import with its line and exits 1 if there is one; `--graph` prints
the module graph that was found; `--tree` prints the layers as a tree, one
line per file with the first line of its module documentation; `--check
FILE` also fails when the tree in FILE (between `<!-- layers:begin -->` and
`<!-- layers:end -->`) is not the one the code gives.
"""
import re
import sys
from pathlib import Path

SRC = Path("blue-schema/src")

# Bottom to top. A module is a path under src/ without `.rs`; `a/b` also
# covers everything under `a/b/`.
LAYERS = [
    # DynamoDB's numbers and what breaking one is: facts with no dependencies.
    ["limits"],
    ["error"],
    ["key"],
    ["schema"],
    ["time", "ttl", "feed", "capacity", "backoff", "exec"],
    ["trace"],
    # The checks of keys and items against those numbers: an item's size,
    # then the checks that use it.
    ["limits/measure"],
    ["limits/check"],
    ["ops"],
    ["layout"],
    ["write"],
    ["query"],
    ["backend/engine"],
    ["backend/sqlite", "backend/dynamodb"],
    ["backend"],
    ["store"],
    ["blocking", "migrate", "docs", "lambda"],
    ["export"],
    ["cli", "private"],
    ["lib"],
]

RANK = {m: r for r, ms in enumerate(LAYERS) for m in ms}


def module_of_file(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("").as_posix()
    if rel.endswith("/mod"):
        rel = rel[: -len("/mod")]
    return module_of_path(rel.split("/"))


def module_of_path(parts) -> str:
    best = None
    for i in range(len(parts), 0, -1):
        cand = "/".join(parts[:i])
        if cand in RANK:
            best = cand
            break
    return best


def strip_comments(text: str) -> str:
    # Line comments (and doc comments) hold intra-doc links, not imports.
    out = []
    for line in text.splitlines():
        s = line.lstrip()
        if s.startswith("//"):
            out.append("")
            continue
        idx = line.find("//")
        # Keep `//` inside string literals such as URLs.
        if idx >= 0 and line[:idx].count('"') % 2 == 0:
            line = line[:idx]
        out.append(line)
    return "\n".join(out)


def expand_use(tree: str, prefix):
    """Expands `a::{b, c::{d}}` into lists of path segments."""
    paths = []
    depth = 0
    start = 0
    items = []
    for i, ch in enumerate(tree):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(tree[start:i])
            start = i + 1
    items.append(tree[start:])
    for item in items:
        item = item.strip()
        if not item:
            continue
        if "{" in item:
            head, rest = item.split("{", 1)
            rest = rest.rsplit("}", 1)[0]
            head_parts = [p for p in head.strip().rstrip(":").split("::") if p]
            paths += expand_use(rest, prefix + head_parts)
        else:
            item = item.split(" as ")[0].strip()
            paths.append(prefix + [p for p in item.split("::") if p])
    return paths


USE_GROUP = re.compile(r"crate::\{")
INLINE = re.compile(r"crate::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)")


def imports(text: str, here=()):
    """(line number, path segments after `crate::`) for every crate path;
    `super::` paths count as `crate::` paths from the file's parent module
    `here` (the segments of the file's own module path)."""
    if here:
        def up(m):
            n = m.group(0).count("super::")
            base = list(here[: max(len(here) - n, 0)])
            return "crate::" + "".join(s + "::" for s in base)
        text = re.sub(r"\b(?:super::)+", up, text)
    found = []
    i = 0
    while True:
        m = re.search(r"\bcrate::", text[i:])
        if not m:
            break
        at = i + m.start()
        line = text.count("\n", 0, at) + 1
        rest = text[at + len("crate::"):]
        if rest.startswith("{"):
            depth = 0
            for j, ch in enumerate(rest):
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        break
            for p in expand_use(rest[1:j], []):
                found.append((line, p))
            i = at + len("crate::") + j
        else:
            m2 = INLINE.match(text, at)
            if m2 is None:  # `crate::*`
                i = at + len("crate::")
                continue
            segs = m2.group(1).split("::")
            # `crate::a::{b, c}` groups below the first segments.
            after = text[m2.end():]
            if after.startswith("::{"):
                depth = 0
                for j, ch in enumerate(after[2:]):
                    if ch == "{":
                        depth += 1
                    elif ch == "}":
                        depth -= 1
                        if depth == 0:
                            break
                for p in expand_use(after[3:2 + j], segs):
                    found.append((line, p))
            else:
                found.append((line, segs))
            i = m2.end()
    return found


def target_module(segs, root_items):
    # `crate::Error`, `crate::Store`: items re-exported by lib.rs resolve to
    # the module that defines them.
    if segs and segs[0] in root_items:
        return root_items[segs[0]]
    mod = module_of_path(segs)
    return mod


def root_reexports():
    """Maps each name that lib.rs re-exports to the module it comes from."""
    text = strip_comments((SRC / "lib.rs").read_text())
    names = {}
    for line, segs in imports(text):
        pass
    for m in re.finditer(r"pub use ([a-z_]+)::(\{[^;]*\}|[A-Za-z_]+);", text):
        mod, rest = m.group(1), m.group(2)
        for p in expand_use(rest.strip("{}"), []):
            target = module_of_path([mod] + p[:-1]) or module_of_path([mod])
            names[p[-1]] = target
    return names


def first_doc_line(path: Path) -> str:
    """The first sentence of the file's module documentation."""
    words = []
    for line in path.read_text().splitlines():
        if not line.startswith("//!") or not line[3:].strip():
            break
        words.append(line[3:].strip())
    text = " ".join(words)
    end = text.find(". ")
    text = text if end < 0 else text[: end + 1]
    return text if len(text) <= 100 else text[:97].rsplit(" ", 1)[0] + " ..."


def tree() -> str:
    """The layers, bottom first, each with its files."""
    files = {}
    for path in sorted(SRC.rglob("*.rs")):
        files.setdefault(module_of_file(path), []).append(path)
    out = []
    for rank, modules in enumerate(LAYERS):
        out.append(f"{rank:2}  " + " | ".join(modules))
        for module in modules:
            for path in files.get(module, []):
                rel = path.relative_to(SRC).as_posix()
                doc = first_doc_line(path)
                out.append(f"      {rel:32} {doc}".rstrip())
    return "\n".join(out) + "\n"


def check_doc(doc_path: str) -> list:
    text = Path(doc_path).read_text()
    begin, end = "<!-- layers:begin -->", "<!-- layers:end -->"
    if begin not in text or end not in text:
        return [f"{doc_path}: no {begin} ... {end} block"]
    block = text.split(begin, 1)[1].split(end, 1)[0]
    block = block.strip().removeprefix("```text").removesuffix("```").strip("\n") + "\n"
    if block != tree():
        return [f"{doc_path}: the layer tree is stale; print it with `python3 tools/layers.py --tree`"]
    return []


def main():
    if "--tree" in sys.argv:
        print(tree(), end="")
        return
    root_items = root_reexports()
    bad = []
    graph = {}
    for path in sorted(SRC.rglob("*.rs")):
        me = module_of_file(path)
        if me is None:
            bad.append(f"{path}: belongs to no module of tools/layers.py")
            continue
        text = strip_comments(path.read_text())
        rel = path.relative_to(SRC).with_suffix("").as_posix().split("/")
        if rel[-1] == "mod":
            rel = rel[:-1]
        for line, segs in imports(text, tuple(rel)):
            if segs and segs[0] == "self":
                continue
            dep = target_module(segs, root_items)
            if dep is None or dep == me:
                continue
            graph.setdefault(me, set()).add(dep)
            if RANK[dep] >= RANK[me]:
                bad.append(
                    f"{path}:{line}: {me} (rank {RANK[me]}) imports "
                    f"crate::{'::'.join(segs)} from {dep} (rank {RANK[dep]})"
                )
    if "--graph" in sys.argv:
        for m in sorted(graph, key=lambda m: RANK[m]):
            print(f"{m:18} -> {', '.join(sorted(graph[m], key=lambda d: RANK[d]))}")
    if "--check" in sys.argv:
        bad += check_doc(sys.argv[sys.argv.index("--check") + 1])
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} problems: imports against the layers, or a stale tree")
        sys.exit(1)
    print(f"layers: {len(graph)} modules, every import points down")


if __name__ == "__main__":
    main()
