"""gslib's module map: lines per module and the imports between modules (for docs/architecture.md).

    python scripts/module_map.py [ROOT]       # a Markdown table, then the import cycles if any

An import edge counts every ``from .x import``/``from gslib.x import``/``from . import x`` in a
module, at the top or inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "gslib").glob("*.py")) if p.stem != "__init__"} | \
        {"__init__": root / "gslib" / "__init__.py"}


def edges(root: Path) -> dict[str, set[str]]:
    mods = modules(root)
    out: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    deps.add(node.module.split(".")[0])
                elif node.level == 1:
                    deps.update(a.name for a in node.names if a.name in mods)
                elif node.module and node.module.startswith("gslib."):
                    deps.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                deps.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gslib."))
        out[name] = {d for d in deps if d in mods and d != name}
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle through the smallest-named module of it (small graphs only)."""
    found = []

    def walk(start, node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.append(path + [start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def table(root: Path) -> str:
    mods, graph = modules(root), edges(root)
    lines = ["| module | lines | imports (gslib) |", "|---|---|---|"]
    for name, path in sorted(mods.items()):
        n = len(path.read_text().splitlines())
        lines.append(f"| {name} | {n} | {', '.join(sorted(graph[name])) or '-'} |")
    total = sum(len(p.read_text().splitlines()) for p in mods.values())
    n_edges = sum(len(v) for v in graph.values())
    lines.append(f"| **{len(mods)} modules** | **{total}** | **{n_edges} edges** |")
    return "\n".join(lines)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    print(table(root))
    cyc = cycles(edges(root))
    print("\ncycles:", "; ".join(" -> ".join(c) for c in cyc) if cyc else "none")
