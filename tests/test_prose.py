"""What the reader reads: numbers in prose come from the computation, exercises hide their
answers, the Keras is in the open, code fits the page, chapter pages state objectives and a
reading time.

Numbers. Every number written in the prose of a book page or of a notebook's markdown cells,
outside math, code, links and citations, must be one of:

* produced by the computation: a notebook states computed numbers in a generated cell (a code
  cell whose output is the sentence, e.g. ``Markdown(f"...")``), which this scan does not read;
* listed in ``tests/prose-numbers.toml`` for its file under a reason: ``setting`` (a parameter
  the text sets), ``data`` (the size of a BGLR data set), ``published`` (a published value:
  its paragraph must carry its citation), ``asserted`` (the number must appear in a hidden assert
  cell of the same notebook, or of the chapter's notebooks for a book page), ``math``, or
  ``structure`` (numbering);
* one of the forms the scan skips, each for the reason given in ``_SKIPPED``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
CHAPTER_PAGES = [p for p in PAGES if re.match(r"\d\d-|your-data", p.name)]
ALLOWED = tomllib.loads((ROOT / "tests" / "prose-numbers.toml").read_text())
DEEP_LEARNING = ["03-deep-nets", "04-cnn", "05-rnn", "06-lstm"]
MAX_CODE_LINE = 88

_SKIPPED = {
    "year": "a four-digit year (19xx, 20xx): dates of cited works",
    "reference": "a number after chapter, figure, table, fold(s), exercise, step, section, "
                 "equation, environment, chromosome(s), Python or gslib: a name, not a quantity",
    "list": "a numbered-list marker or a numbered heading",
    "reading time": "the page's reading time, checked by test_chapter_pages_state_objectives_and_reading_time",
}
_NUMBER = re.compile(r"(?<![\w.\-/^])(\d+(?:,\d{3})*(?:\.\d+)?)(?![\w\-/^]|\.\d)")
_REFERENCE = re.compile(
    r"\b(chapters?|figures?|tables?|folds?|exercises?|steps?|sections?|equations?|environments?|"
    r"chromosomes?|python|gslib|part|item|eq\.)\s*$", re.I)


def _strip(text: str) -> str:
    """The prose of a MyST markdown text: no front matter, code, math, roles, links, comments."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"^(```+|~~~+|:::+)([^\n]*)\n(.*?)^\1[ \t]*$", _fence, text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$[^$\n]+\$", " ", text)
    text = re.sub(r"\{cite(:\w+)?\}`[^`]*`", " [cite] ", text)  # a citation, kept as a mark
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)  # other roles: {math}`...`, {term}`...`
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)  # link targets
    text = re.sub(r"https?://\S+", " ", text)
    return text


_CODE_DIRECTIVES = ("code", "code-cell", "code-block", "math", "bibliography", "raw", "mermaid")


def _fence(m: re.Match) -> str:
    """A fenced block: code and math go; a directive's prose body stays (options and their
    YAML block go)."""
    info, body = m.group(2).strip(), m.group(3)
    name = re.match(r"\{([\w-]+)\}", info)
    if not name or name.group(1) in _CODE_DIRECTIVES:
        return ""
    body = re.sub(r"\A---\n.*?\n---\n", "", body, flags=re.S)
    body = re.sub(r"^:[\w-]+:.*$", "", body, flags=re.M)
    return re.sub(r"^(```+|~~~+|:::+)([^\n]*)\n(.*?)^\1[ \t]*$", _fence, body, flags=re.S | re.M)


def _prose(path: Path) -> list[tuple[str, str]]:
    """(where, text) for each markdown text of ``path``: the page, or each markdown cell."""
    if path.suffix == ".md":
        return [(path.name, path.read_text())]
    nb = nbformat.read(path, as_version=4)
    return [(f"{path.name} cell {i}", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def _numbers(text: str):
    """(paragraph, number, context) for every number of ``text``'s prose the scan does not skip."""
    for paragraph in re.split(r"\n\s*\n", _strip(text)):
        yield from _paragraph_numbers(paragraph)


def _paragraph_numbers(paragraph: str):
    for line in paragraph.splitlines():
        if re.match(r"\s*\**reading time", line, re.I):
            continue
        for m in _NUMBER.finditer(line):
            value, before = m.group(1), line[: m.start()]
            if re.fullmatch(r"(19|20)\d\d", value):
                continue
            if re.fullmatch(r"\s*(#+\s*)?", before) and line[m.end():].startswith("."):
                continue  # "1. item", "# 3. Title"
            head = _list_head(before)  # "folds 1, 2 and " -> "folds"
            listed = value.isdigit() and not line[m.end():].startswith("%")
            if _REFERENCE.search(head) and (head == before or listed):
                continue  # "chapter 3", "Python 3.11"; whole numbers listed after it: "chapters 4 to 6"
            yield paragraph, value, line[max(0, m.start() - 50): m.end() + 30].strip()


def _list_head(before: str) -> str:
    """The text before a list of numbers ("folds 1, 2 and" -> "folds")."""
    return re.sub(r"(\s*(\d+(\.\d+)?|,|and|to|or)\s*)+$", "", before)


def _chapter_notebooks(path: Path) -> list[Path]:
    if path.suffix == ".ipynb":
        return [path]
    prefix = path.name[:2]
    return [nb for nb in NOTEBOOKS if nb.name.startswith(prefix)]


def _hidden_asserts(notebooks: list[Path]) -> str:
    out = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        out += [c.source for c in nb.cells if c.cell_type == "code"
                and "remove-cell" in c.metadata.get("tags", []) and "assert" in c.source]
    return "\n".join(out)


def _allowed(path: Path) -> dict[str, set[str]]:
    key = str(path.relative_to(ROOT))
    entry = ALLOWED.get(key, {})
    unknown = set(entry) - set(ALLOWED["reasons"])
    assert not unknown, f"{key}: reasons {unknown} are not among [reasons] of prose-numbers.toml"
    return {reason: set(numbers.split()) for reason, numbers in entry.items()}


@pytest.mark.parametrize("path", PAGES + NOTEBOOKS, ids=lambda p: p.name)
def test_numbers_in_prose_come_from_the_computation_or_are_listed(path):
    allowed = _allowed(path)
    asserts = _hidden_asserts(_chapter_notebooks(path))
    problems, used = [], set()
    for where, text in _prose(path):
        for paragraph, value, context in _numbers(text):
            plain = value.replace(",", "")
            hits = [(r, n) for r, numbers in allowed.items() for n in (value, plain) if n in numbers]
            if not hits:
                problems.append(f"{where}: {value!r} in ...{context}...")
                continue
            used.update(hits)
            reason = hits[0][0]
            if reason == "published" and not re.search(r"\[cite\]|et al\.|\(\d{4}|\b(19|20)\d\d\b", paragraph):
                problems.append(f"{where}: published value {value!r} without its citation in the paragraph: {context}")
            if reason == "asserted" and not re.search(rf"(?<![\d.]){re.escape(plain)}(?![\d])", asserts):
                problems.append(f"{where}: {value!r} is listed as asserted but no hidden assert cell has it")
    assert not problems, (
        "numbers in prose that are neither computed nor listed in tests/prose-numbers.toml "
        "(state them in a generated cell, check them with a hidden assert, or list them with a reason):\n"
        + "\n".join(problems))
    stale = {(r, n) for r, numbers in allowed.items() for n in numbers} - used
    assert not stale, f"{path.name}: listed in prose-numbers.toml but no longer in the text: {sorted(stale)}"


def test_the_scan_finds_what_it_should():
    text = ("With 540 lines (Okut 2021; chapter 3, folds 1, 2 and 3), r = 0.616 and $p = 1279$ in\n"
            "`epochs=100` and {cite:p}`okut2011`; see [E2](a/2.html).\n1. An item, E1, BRNN-5.\n"
            "Chromosomes 1 to 19 and 10% of 1,000 lines.\n```{note}\n:class: dropdown\nA note of 0.5.\n```\n"
            "```python\nx = 0.25\n```")
    assert [v for _, v, _ in _numbers(text)] == ["540", "0.616", "10", "1,000", "0.5"]


def _solution_cells(nb) -> list:
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if re.search(r"^#+\s+Solutions?\b", cell.source, re.M):
                inside = True
            elif re.search(r"^#{1,2}\s", cell.source, re.M):
                inside = False
        elif inside:
            cells.append(cell)
    return cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_hide_their_code_and_output_until_opened(path):
    nb = nbformat.read(path, as_version=4)
    solutions = _solution_cells(nb)
    assert solutions, "a notebook's exercises have executed solutions"
    for cell in solutions:
        tags = cell.metadata.get("tags", [])
        assert "hide-cell" in tags or "remove-cell" in tags, f"solution cell without hide-cell:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_chapter_has_an_exercise_where_the_learner_writes_code(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises = text.split("## Exercises", 1)[1]
    assert re.search(r"\(code\)|\bwrite\b", exercises, re.I), \
        "at least one exercise asks the learner to write code (marked '(code)' or 'Write ...')"


@pytest.mark.parametrize("name", DEEP_LEARNING)
def test_deep_learning_notebooks_show_their_keras_in_the_open(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    shown = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                      and not {"remove-cell", "remove-input"} & set(c.metadata.get("tags", [])))
    for call in (".compile(", ".summary()", ".fit(", "keras.callbacks.EarlyStopping", ".predict("):
        assert call in shown, f"{name}: no visible {call} (build and train the chapter's network in plain Keras)"
    assert "KerasRegressor(" in shown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_name_models_by_their_constructors(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "MODELS[" not in code, "fit models built by their constructors (or zoo functions), not registry keys"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, line) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, f"code lines over {MAX_CODE_LINE} characters: {long}"
    assert not any("noqa: E402" in c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", CHAPTER_PAGES, ids=lambda p: p.name)
def test_chapter_pages_state_objectives_and_reading_time(path):
    text = path.read_text()
    head = text[: text.find("\n## ")] if "\n## " in text else text
    assert re.search(r"learning objectives", head, re.I), "learning objectives at the top of the page"
    sys.path.insert(0, str(ROOT / "scripts"))
    import reading_time

    stated = reading_time.stated_minutes(head)
    assert stated is not None, "a reading time at the top of the page ('**Reading time:** about N minutes')"
    assert stated == reading_time.reading_minutes(text), "run: python scripts/reading_time.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_mice_result_tables_carry_the_genomic_part(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "mice-BMI" in code and any(k in code for k in ("load_results", "cross_validate", "zoo.run")):
        assert "accuracy_table(" in code or "r_genomic" in code, \
            "mice results are shown with their genomic part (evaluation.accuracy_table or r_genomic)"


def _title(file: str) -> str:
    path = ROOT / file
    if (ROOT / f"{file}.ipynb").is_file():
        nb = nbformat.read(ROOT / f"{file}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = (path.with_suffix(".md")).read_text()
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def test_the_sidebar_names_each_entry_once():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc["parts"]:
        names = [part["caption"]]
        for chapter in part["chapters"]:
            names.append(_title(chapter["file"]))
            names += [_title(s["file"]) for s in chapter.get("sections", [])]
        plain = [n.lower() for n in names]
        assert len(set(plain)) == len(plain), f"the sidebar repeats a name in {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solution_toggles_say_solution(path):
    nb = nbformat.read(path, as_version=4)
    for cell in _solution_cells(nb):
        if "hide-cell" in cell.metadata.get("tags", []):
            assert "solution" in cell.metadata.get("mystnb", {}).get("code_prompt_show", ""), \
                "label the solution toggle: cell metadata mystnb.code_prompt_show"
