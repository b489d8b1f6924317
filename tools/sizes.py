#!/usr/bin/env python3
"""Checks the size of the runtime's and the derive's source files: no file
over 600 lines, no function over 150 (doc comments and attributes not
counted, tests included). Run from the repository root:
`python3 tools/sizes.py` prints each file or function over its limit and
exits 1 if there is one; `--top N` lists the N longest functions.
"""
import re
import sys
from pathlib import Path

ROOTS = [Path("blue-schema/src"), Path("blue-schema-derive/src")]
MAX_FILE_LINES = 600
MAX_FN_LINES = 150

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def block_end(text, i):
    """The index just after the block that starts at text[i] == '{'."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return n
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2
            continue
        m = re.match(r'r(#*)"', text[i:i + 8])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            i = text.find('"' + m.group(1), i + len(m.group(0))) + 1 + len(m.group(1))
            continue
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", text[i:i + 12])
            i += len(m.group(0)) if m else 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def functions(text):
    """(name, first line, lines) of every function with a body."""
    out = []
    offsets = [0]
    for line in text.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    for number, line in enumerate(text.split("\n")):
        m = FN.match(line)
        if not m:
            continue
        start = offsets[number]
        # The body starts at the first `{` outside the signature's parens
        # and generics; a `;` first means a declaration without a body.
        i, depth = start, 0
        while i < len(text):
            c = text[i]
            if c in "([<":
                depth += 1
            elif c in ")]>" and not text.startswith("->", i - 1):
                depth -= 1
            elif c == ";" and depth <= 0:
                i = -1
                break
            elif c == "{" and depth <= 0:
                break
            i += 1
        if i < 0:
            continue
        end = block_end(text, i)
        lines = text.count("\n", start, end) + 1
        out.append((m.group(1), number + 1, lines))
    return out


def main():
    bad = []
    every = []
    for root in ROOTS:
        for path in sorted(root.rglob("*.rs")):
            text = path.read_text()
            n = text.count("\n")
            if n > MAX_FILE_LINES:
                bad.append(f"{path}: {n} lines (at most {MAX_FILE_LINES})")
            for name, line, lines in functions(text):
                every.append((lines, f"{path}:{line} {name}"))
                if lines > MAX_FN_LINES:
                    bad.append(f"{path}:{line}: fn {name} is {lines} lines (at most {MAX_FN_LINES})")
    if "--top" in sys.argv:
        count = int(sys.argv[sys.argv.index("--top") + 1])
        for lines, where in sorted(every, reverse=True)[:count]:
            print(f"{lines:5} {where}")
    for b in bad:
        print(b)
    if bad:
        sys.exit(1)
    print(f"sizes: every file at most {MAX_FILE_LINES} lines, every function at most {MAX_FN_LINES}")


if __name__ == "__main__":
    main()
