#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a circle.

A node is a top-level module (src/engine.rs with src/engine/) and each of its files
(engine/stats, http/files, ...). An edge is a `crate::a[::b]` path, or a `super::b` path
from a file under a module. A file's use of its own parent (the module's interface, e.g.
`super::HttpState`) is allowed; any other circle is reported with the files that make it.
Tests (`#[cfg(test)] mod tests`) are left out. Usage: scripts/layers.py [src]
"""
import collections
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
files = {}
for d, _, names in os.walk(root):
    for f in names:
        if f.endswith(".rs") and f not in ("lib.rs", "main.rs"):
            p = os.path.join(d, f)
            parts = os.path.relpath(p, root)[:-3].split(os.sep)
            files.setdefault("/".join(parts[:2]), []).append(p)
nodes = set(files)


def resolve(segs):
    for k in (2, 1):
        cand = "/".join(segs[:k])
        if cand in nodes:
            return cand
    return None


edges = collections.defaultdict(set)
where = collections.defaultdict(set)
for node, paths in files.items():
    top = node.split("/")[0]
    for p in paths:
        src = re.split(r"#\[cfg\(test\)\]\s*mod tests", open(p, encoding="utf-8").read())[0]
        targets = [resolve([a for a in m.groups() if a]) for m in re.finditer(r"crate::(\w+)(?:::(\w+))?", src)]
        if "/" in node:
            targets += [resolve([top, m.group(1)]) for m in re.finditer(r"super::(\w+)", src)]
        for t in targets:
            if t and t != node and not node.startswith(t + "/"):
                edges[node].add(t)
                where[(node, t)].add(os.path.relpath(p, root))


def reach(a):
    seen, todo = set(), [a]
    while todo:
        for b in edges[todo.pop()]:
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


circles = set()
for a in sorted(nodes):
    r = reach(a)
    if a in r:
        circles.add(tuple(sorted(b for b in r if a in reach(b))))
for c in sorted(circles):
    print("import circle: " + " ".join(c))
    for a in c:
        for b in sorted(edges[a] & set(c)):
            print(f"  {a} -> {b} ({', '.join(sorted(where[(a, b)]))})")
print(f"{len(nodes)} modules, {sum(len(e) for e in edges.values())} imports, {len(circles)} circles")
sys.exit(1 if circles else 0)
