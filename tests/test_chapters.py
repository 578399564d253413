"""What every chapter notebook (01_, 02_, ...) must contain (see CHAPTERS.md)."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import CHAPTERS, glossary_terms, load_script
from conftest import notebooks as all_notebooks

from scalelab import live

CHAPTER_NOTEBOOKS = [p for p in all_notebooks() if re.match(r"0[1-9]_|[1-9]\d_", p.name)]


def _load(path):
    return nbformat.read(path, as_version=4)


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(params=CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def chapter(request):
    return _load(request.param)


def test_there_are_chapters():
    assert CHAPTER_NOTEBOOKS, f"no chapter notebooks in {CHAPTERS}"


def test_header_sections(chapter):
    text = _markdown(chapter)
    for heading in (
        "**What you'll do.**",
        "**What you'll learn.**",
        "**What you'll need.**",
        "## Key takeaways",
        "## In an interview",
    ):
        assert heading in text, heading
    assert re.match(r"\([\w-]+\)=\n# ", chapter.cells[0].source), "label, then # Title"


def test_substantive_prose(chapter):
    words = len(re.findall(r"[A-Za-z]+", _markdown(chapter)))
    assert words >= 1500, f"{words} words of prose"


def test_at_least_three_figures_with_caption_and_alt_text(chapter):
    figures = [c for c in _code(chapter) if "figure" in c.metadata.get("mystnb", {})]
    assert len(figures) >= 3
    for cell in figures:
        meta = cell.metadata["mystnb"]
        assert len(meta["figure"]["caption"]) > 30 and meta["figure"]["name"]
        assert len(meta["image"]["alt"]) > 40


def test_three_exercises_with_hidden_solutions(chapter):
    text = _markdown(chapter)
    labels = re.findall(r"```\{exercise\}[^\n]*\n:label: ([\w-]+)", text)
    assert len(labels) >= 3
    for label in labels:
        assert re.search(r"```\{solution-start\} " + label + r"\n:class: dropdown", text), label


def test_three_self_grading_questions(chapter):
    quiz = [c for c in _code(chapter) if "sl.quiz.show(" in c.source]
    assert len(quiz) >= 1
    count = sum(len(re.findall(r"quiz\.(?:numeric|choice)_question\(", c.source)) for c in quiz)
    assert count >= 3
    assert all("remove-input" in c.metadata.get("tags", []) for c in quiz), "answers visible"


def test_live_widget_is_hidden_on_the_static_page(chapter):
    live = [c for c in _code(chapter) if "widgets.interact" in c.source]
    assert live, "no live widget"
    for cell in live:
        assert "remove-cell" in cell.metadata.get("tags", [])
        assert re.search(r"widgets\.interact\(\s*live\.\w+", cell.source), "call scalelab.live"
    assert "launch buttons" in _markdown(chapter)


def test_a_key_result_is_checked_by_nbval(chapter):
    checked = [c for c in _code(chapter) if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked and all(c.outputs for c in checked)


def test_numbers_in_prose_come_from_glue(chapter):
    assert "{glue:text}" in _markdown(chapter)


def _benchmarked_widgets() -> set[tuple[str, str]]:
    module = load_script(CHAPTERS.parent / "benchmarks" / "widgets.py")
    return {(chapter, name) for chapter, name, _ in module.WIDGETS}


def test_every_widget_callback_is_benchmarked():
    listed = _benchmarked_widgets()
    for path in all_notebooks():
        for cell in _code(_load(path)):
            for fn in re.findall(r"widgets\.interact\(\s*live\.(\w+)", cell.source):
                assert (path.stem, fn) in listed, f"{path.name}: widget {fn} not benchmarked"
    assert {name for _, name in listed} == set(live.__all__), "every live callback is timed"


def test_chapter_links_terms_to_the_glossary(chapter):
    terms = re.findall(r"\{term\}`[^`]+`", _markdown(chapter))
    assert len(terms) >= 5, f"only {len(terms)} glossary links"


def test_every_glossary_term_is_used_by_a_chapter():
    terms = glossary_terms()
    used = set()
    for path in CHAPTER_NOTEBOOKS:
        for m in re.finditer(r"\{term\}`([^`<]*?)(?:\s*<([^>]*)>)?`", _markdown(_load(path))):
            used.add((m.group(2) or m.group(1)).strip().lower())
    assert len(terms) > 40
    assert [t for t in terms if t.lower() not in used] == []


def test_no_markdown_line_starts_a_myst_comment(notebook):
    """MyST drops a line that starts with ``%`` (a comment): a sentence wrapped so that a
    line begins "% of requests" silently loses the rest of its line on the page."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^%.*$", cell.source, re.M)
            assert not found, f"{notebook.path.name}: {found[0]!r}"
