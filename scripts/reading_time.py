"""The reading time stated at the top of each chapter page, computed from the page's words.

    python scripts/reading_time.py          # rewrite the "Reading time: about N minutes" lines
    python scripts/reading_time.py --check  # exit 1 if a page states another time

A page's reading time is its words (prose, math and code alike, front matter excluded) at
:data:`WORDS_PER_MINUTE`, rounded up. The stated line counts itself; it
has the same number of words whatever its figure.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE = 200
LINE = re.compile(r"(\*\*Reading time:\*\* about )(\d+)( minutes?)")


def chapter_pages() -> list[Path]:
    return sorted(p for p in (ROOT / "book").glob("*.md") if re.match(r"\d\d-|your-data", p.name))


def reading_minutes(text: str) -> int:
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    return max(1, math.ceil(len(re.findall(r"\S+", body)) / WORDS_PER_MINUTE))


def stated_minutes(text: str) -> int | None:
    m = LINE.search(text)
    return int(m.group(2)) if m else None


def with_reading_time(text: str) -> str:
    minutes = reading_minutes(text)  # the stated line is three words whatever its figure
    unit = "minute" if minutes == 1 else "minutes"
    return LINE.sub(f"\\g<1>{minutes} {unit}", text, count=1)


def main(argv: list[str]) -> int:
    bad = []
    for path in chapter_pages():
        text = path.read_text()
        if stated_minutes(text) is None:
            bad.append(f"{path.name}: no '**Reading time:** about N minutes' line")
            continue
        new = with_reading_time(text)
        if new != text:
            if "--check" in argv:
                bad.append(f"{path.name}: states {stated_minutes(text)}, reads in {reading_minutes(new)}")
            else:
                path.write_text(new)
                print(f"{path.name}: {stated_minutes(new)} minutes")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
