"""The live notebooks (``notebooks/``) that the Binder and Colab buttons open: one per
chapter notebook, plain Markdown (Colab renders nothing else), set-up and quiz code
hidden, solutions folded, and generated from the current chapters and build.

``tests/test_jupyterlab.py`` runs them in JupyterLab; this file checks what Colab would
show without running anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, load_script

LIVE = ROOT / "notebooks"
SCRIPT = ROOT / "scripts" / "live_notebooks.py"

# MyST that only Jupyter Book renders; each would show as source in JupyterLab or Colab.
MYST_ONLY = {
    "label line": re.compile(r"^\([\w-]+\)=\s*$", re.M),
    "role": re.compile(r"\{[\w:-]+\}`"),
    "directive fence": re.compile(r"^(```|:::)\s*\{", re.M),
    "directive option": re.compile(r"^:[\w-]+:", re.M),
    "glue placeholder": re.compile(r"\{glue"),
    "MyST comment": re.compile(r"^%", re.M),
}


def _generator():
    return load_script(SCRIPT)


def _live() -> list[Path]:
    return sorted(LIVE.glob("*.ipynb"))


@pytest.fixture(params=_live(), ids=lambda p: p.stem)
def pair(request) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(live notebook, its chapter)."""
    return (
        nbformat.read(request.param, as_version=4),
        nbformat.read(ROOT / "chapters" / request.param.name, as_version=4),
    )


def test_every_chapter_notebook_has_a_live_notebook():
    chapters = {p.name for p in _generator().chapter_paths()}
    assert chapters and chapters == {p.name for p in _live()}


def test_markdown_is_plain(pair):
    live, _ = pair
    for cell in live.cells:
        if cell.cell_type != "markdown":
            continue
        for what, pattern in MYST_ONLY.items():
            found = pattern.search(cell.source)
            assert not found, f"{what} in Markdown: {found[0]!r} in {cell.source[:200]!r}"
        assert cell.source.count("<details>") == cell.source.count("</details>")


def test_exercises_keep_their_numbers_and_fold_their_solutions(pair):
    live, chapter = pair
    text = "\n".join(c.source for c in live.cells if c.cell_type == "markdown")
    source = "\n".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    solutions = source.count("```{solution-start}")
    assert text.count("<details>\n<summary>Solution to Exercise") == solutions
    assert len(re.findall(r"^\*\*Exercise( \d+| \()", text, re.M)) == solutions


def test_set_up_and_quiz_code_is_hidden_in_jupyterlab_and_colab(pair):
    live, _ = pair
    hidden = [c for c in live.cells if "quiz.show(" in c.source or "google.colab" in c.source]
    assert hidden
    for cell in hidden:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert cell.metadata.get("cellView") == "form"
        assert cell.source.startswith("# @title ")


def test_no_glue_and_only_the_stored_tables_as_outputs(pair):
    live, chapter = pair
    kept = {c.get("id") for c in chapter.cells if "keep_output" in c.metadata.get("tags", [])}
    for cell in live.cells:
        if cell.cell_type == "code":
            assert "glue(" not in cell.source and "myst_nb" not in cell.source
            assert not cell.outputs or cell.get("id") in kept


def test_static_only_cells_are_left_out_and_widgets_say_how_to_start(pair):
    live, chapter = pair
    ids = {c.get("id") for c in live.cells}
    for cell in chapter.cells:
        if "static-only" in cell.metadata.get("tags", []):
            assert cell.get("id") not in ids
    for k, cell in enumerate(live.cells):
        if "widgets.interact(" in cell.source:
            assert "Run the cells above first" in live.cells[k - 1].source
            assert not cell.metadata.get("jupyter", {}).get("source_hidden")


def test_live_only_cells_are_left_out_of_the_book(pair):
    _, chapter = pair
    for cell in chapter.cells:
        tags = cell.metadata.get("tags", [])
        assert "live-only" not in tags or "remove-cell" in tags


def test_widget_defaults_match_the_static_figure(pair):
    """The static page shows a widget's default figure in a ``static-only`` cell right
    before the widget (chapter 1 shows it earlier), so the live widget starts where the
    page does."""
    _, chapter = pair
    for k, cell in enumerate(chapter.cells):
        before = chapter.cells[k - 1]
        if (
            "widgets.interact(" in cell.source
            and before.cell_type == "code"
            and "static-only" in before.metadata.get("tags", [])
        ):
            call = before.source
            assert re.match(r"live\.\w+\(", call), call
            callback = call.split("(")[0]
            assert f"{callback}," in cell.source


@pytest.mark.built
def test_live_notebooks_are_generated_from_the_current_chapters_and_build():
    """Run ``python scripts/live_notebooks.py`` after ``make book`` if this fails."""
    stale = [
        path.name
        for path, text in _generator().generate().items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], f"out of date: {stale}; run python scripts/live_notebooks.py"


def test_glue_calls_go_and_every_other_line_stays():
    gen = _generator()
    source = (
        "from myst_nb import glue\n"
        "x = run()  # keep this comment\n"
        "for k in (1, 2):\n"
        "    glue(f'k{k}', k, display=False)\n"
        "glue('x', x, display=False)\n"
        "if x:\n"
        "    print(x)\n"
        "    glue('y', x)"
    )
    assert gen.without_glue(source) == "x = run()  # keep this comment\nif x:\n    print(x)"


def test_directives_are_split_from_text_with_their_options():
    gen = _generator()
    parts = gen.segments("Intro\n\n```{exercise} Title\n:label: ex-a\n:nonumber:\n\nBody\n```\n")
    assert parts[0].strip() == "Intro"
    ex = parts[1]
    assert (ex.name, ex.argument, ex.options) == (
        "exercise",
        "Title",
        {"label": "ex-a", "nonumber": ""},
    )
    assert ex.body.strip() == "Body"
    plain = gen.segments("```python\n{term}`x`\n```")
    assert plain == ["```python\n{term}`x`\n```"]  # a code fence stays verbatim


def test_cells_that_only_fed_glue_are_dropped_and_results_are_kept():
    gen = _generator()
    cells = [
        nbformat.v4.new_code_cell("knee = labs.knee_curve()"),  # a result: kept
        nbformat.v4.new_code_cell("at = {u: i for i, u in enumerate(knee.utilization)}"),
        nbformat.v4.new_code_cell("used = 1"),
        nbformat.v4.new_code_cell("print(used)"),
    ]
    kept = [c.source for c in gen.without_dead_cells(cells)]
    assert kept == ["knee = labs.knee_curve()", "used = 1", "print(used)"]
