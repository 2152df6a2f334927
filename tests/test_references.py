"""The bibliography: every entry cited, no raw LaTeX, keys that match the author-year labels.

Fast and offline: parses ``references.bib`` with pybtex (installed with sphinxcontrib-bibtex) and
reads the book's markdown pages and the markdown cells of the notebooks.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

pybtex_database = pytest.importorskip("pybtex.database")

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "references.bib"

# Works the review cites and the book relies on (issue 17, "References").
REVIEW_WORKS = [
    "azodi2019",
    "montesinoslopez2021",
    "wang2020",
    "monir2018",
    "okut2016",
    "liu2020",
    "maldonado2020",
    "sandhu2021",
    "alkhudaydi2019",
    "perezenciso2019",
]

# {cite}`k`, {cite:p}`k1,k2`, {cite:t}`k`, {cite:ps}`k`, ...
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")

# Standard BibTeX accents and special letters; anything else would be printed literally.
ACCENT_SYMBOLS = set("'\"`^~=.")
ACCENT_LETTERS = {"c", "v", "u", "H", "k", "r", "d", "b", "t"}
SPECIAL_LETTERS = {"i", "j", "ss", "o", "O", "l", "L", "aa", "AA", "ae", "AE", "oe", "OE"}
COMMAND = re.compile(r"\\([A-Za-z]+|.)")


@pytest.fixture(scope="module")
def bib():
    return pybtex_database.parse_file(str(BIB), bib_format="bibtex")


def _cited_keys():
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book").glob("*.md"))]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    keys = set()
    for text in texts:
        for group in CITE_ROLE.findall(text):
            keys.update(k.strip() for k in group.split(",") if k.strip())
    return keys


def _entry_strings(entry):
    yield from entry.fields.values()
    for persons in entry.persons.values():
        for person in persons:
            yield str(person)


def _ascii_letters(latex):
    """'P{\\'e}rez-Enciso' -> 'perezenciso'; 'M{\\aa}l{\\o}y' -> 'maloy' (special letters by their base)."""
    text = re.sub(r"\\(aa|AA|o|O|l|L|i|j)\b", lambda m: m.group(1)[0], latex)
    text = COMMAND.sub("", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def test_cite_role_pattern_reads_several_keys():
    text = "see {cite:p}`a2001, b2002` and {cite:t}`c2003` and {cite}`d2004`"
    found = set()
    for group in CITE_ROLE.findall(text):
        found.update(k.strip() for k in group.split(","))
    assert found == {"a2001", "b2002", "c2003", "d2004"}


def test_every_entry_is_cited_in_the_text(bib):
    uncited = sorted(set(bib.entries) - _cited_keys())
    assert not uncited, f"entries never cited in book/*.md or the notebooks' markdown: {uncited}"


def test_every_citation_has_an_entry(bib):
    missing = sorted(_cited_keys() - set(bib.entries))
    assert not missing, f"cited keys missing from references.bib: {missing}"


def test_no_raw_latex_in_entries(bib):
    bad = []
    for key, entry in bib.entries.items():
        for value in _entry_strings(entry):
            if "$" in value:
                bad.append((key, "$"))
            for name in COMMAND.findall(value):
                if name in ACCENT_SYMBOLS or name in SPECIAL_LETTERS:
                    continue
                if name in ACCENT_LETTERS:
                    continue
                bad.append((key, "\\" + name))
    assert not bad, f"LaTeX commands that would render literally: {bad}"


def test_no_texttimes_anywhere_in_the_bib():
    text = BIB.read_text(encoding="utf-8")
    assert "\\texttimes" not in text and "\\times" not in text


def test_keys_are_first_author_and_year(bib):
    bad = []
    for key, entry in bib.entries.items():
        match = re.fullmatch(r"([a-z]+)(\d{4})[a-z]?", key)
        if not match:
            bad.append((key, "not lowercase ascii surname + year"))
            continue
        if entry.fields.get("year") != match.group(2):
            bad.append((key, f"year {entry.fields.get('year')}"))
        people = entry.persons.get("author") or entry.persons.get("editor")
        first = people[0]
        surname = _ascii_letters(" ".join(first.prelast_names + first.last_names))
        if surname != match.group(1):
            bad.append((key, f"first author {surname}"))
    assert not bad, bad


def test_the_review_has_its_journal_record(bib):
    entry = bib.entries["okut2021"]
    assert entry.type == "article"
    assert entry.fields["journal"] == "Journal of Animal Science and Products"
    assert entry.fields["volume"] == "4"
    assert entry.fields["number"] == "2"
    assert entry.fields["pages"] == "225--239"
    assert entry.fields["year"] == "2021"
    assert [str(p) for p in entry.persons["author"]] == ["Okut, Hayrettin"]


@pytest.mark.parametrize("key", REVIEW_WORKS)
def test_works_the_review_cites_are_in_the_bib(bib, key):
    entry = bib.entries[key]
    assert entry.fields.get("title")
    assert entry.fields.get("year") == key[-4:]


def test_no_duplicate_titles(bib):
    titles = [_ascii_letters(e.fields.get("title", "")) for e in bib.entries.values()]
    dupes = {t for t in titles if titles.count(t) > 1}
    assert not dupes
