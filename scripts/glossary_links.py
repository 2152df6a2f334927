"""Link the first use of every glossary term in the book's text pages to the glossary.

    python scripts/glossary_links.py          # add the missing links
    python scripts/glossary_links.py --check  # exit 1 if a first use is not linked

Pages are read in the order of _toc.yml (text pages only: book/*.md). A use is the term as a
word (case-insensitive, a plural "s" allowed) in prose: not in code, math, headings, links,
roles or directive options. The first use becomes ``{term}`text <Term>```.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"book/glossary", "book/references", "book/workshop"}


def terms() -> list[str]:
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and not line.startswith(" ")]


def pages() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                (found.append(value) if key == "file" else walk(value))
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", []))
    return [ROOT / f"{f}.md" for f in found if f.startswith("book/") and f not in SKIP]


_PROTECTED = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\[[^\]]*\]\([^)]*\)|\{[a-z]+\}`[^`]*`|<[^>]+>", re.S)


def _prose_spans(line: str) -> list[tuple[int, int]]:
    """Parts of a line outside inline code, math, links and roles."""
    spans, start = [], 0
    for m in _PROTECTED.finditer(line):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(line)))
    return spans


def _uses(lines: list[str], term: str):
    """(line index, start, end) of each use of ``term`` in prose, in reading order; start = -1
    marks a use that is already a ``{term}`` link to it."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", re.I)
    linked = re.compile(rf"\{{term\}}`(?:[^`<]*<{re.escape(term)}>|{re.escape(term)})`", re.I)
    fence = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        mark = next((m for m in ("```", "~~~", ":::") if stripped.startswith(m)), None)
        if mark is not None:
            if fence is None:
                fence = mark
            elif mark == fence and stripped == mark:
                fence = None
            continue
        if fence is not None or stripped.startswith(("#", "|---", "$$")):
            continue
        hits = [(m.start(), -1, -1) for m in linked.finditer(line)]
        for a, b in _prose_spans(line):
            hits += [(m.start(), m.start(), m.end()) for m in pattern.finditer(line, a, b)]
        for _, start, end in sorted(hits):
            yield i, start, end


def first_uses() -> dict[str, tuple[Path, int, int, int] | None]:
    out = {}
    texts = {p: p.read_text().splitlines() for p in pages()}
    for term in terms():
        out[term] = None
        for page, lines in texts.items():
            hit = next(_uses(lines, term), None)
            if hit is not None:
                out[term] = (page, *hit)
                break
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    missing = []
    for term, where in first_uses().items():
        if where is None or where[2] == -1:
            continue  # never used in the text pages, or its first use is linked
        page, i, a, b = where
        missing.append(f"{page.relative_to(ROOT)}:{i + 1}: {term}")
        if not check:
            lines = page.read_text().splitlines()
            word = lines[i][a:b]
            lines[i] = lines[i][:a] + f"{{term}}`{word} <{term}>`" + lines[i][b:]
            page.write_text("\n".join(lines) + "\n")
    if check and missing:
        print("first uses not linked to the glossary:\n  " + "\n  ".join(missing))
        return 1
    if not check:
        print(f"linked {len(missing)} first use(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
