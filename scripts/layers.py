#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a circle.

A node is a top-level module's own file (src/engine.rs) or one of the files under it
(engine/stats, http/files, ...). An edge is a `crate::a[::b]` path, a `super::b` path from a
file under a module, or a module's `mod b;` (it is made of, and re-exports, its files). A
file's use of its own parent (the module's interface, e.g. `super::HttpState`) is allowed;
any other circle is reported with the files that make it.
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
        # A module depends on the files it is made of (what it declares and re-exports).
        if "/" not in node:
            targets += [resolve([top, m.group(1)]) for m in re.finditer(r"(?m)^\s*(?:pub(?:\([^)]*\))? )?mod (\w+);", src)]
        for t in targets:
            if t and t != node and not node.startswith(t + "/"):
                edges[node].add(t)
                where[(node, t)].add(os.path.relpath(p, root))


def circles_of(edges, nodes):
    def reach(a):
        seen, todo = set(), [a]
        while todo:
            for b in edges[todo.pop()]:
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen

    found = set()
    for a in sorted(nodes):
        r = reach(a)
        if a in r:
            found.add(tuple(sorted(b for b in r if a in reach(b))))
    return found


# Twice: between the files, and between the top-level modules (each with all its files).
tops = collections.defaultdict(set)
for a, bs in list(edges.items()):
    for b in bs:
        ta, tb = a.split("/")[0], b.split("/")[0]
        if ta != tb:
            tops[ta].add(tb)
            where[(ta, tb)] |= where[(a, b)]
bad = 0
for level, es, ns in (("files", edges, nodes), ("modules", tops, {n.split("/")[0] for n in nodes})):
    for c in sorted(circles_of(es, ns)):
        bad += 1
        print(f"import circle between {level}: " + " ".join(c))
        for a in c:
            for b in sorted(es[a] & set(c)):
                print(f"  {a} -> {b} ({', '.join(sorted(where[(a, b)]))})")
print(f"{len(nodes)} files, {sum(len(e) for e in edges.values())} imports, {bad} circles")
sys.exit(1 if bad else 0)
