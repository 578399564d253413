"""The book's structure: toc <-> files, notebook hygiene, configuration."""

from __future__ import annotations

import ast
import re
import sys

import yaml
from conftest import CHAPTERS, ROOT, notebooks, toc_files

TITLE = re.compile(r"^(\([\w-]+\)=\s*\n)?# \S.*", re.MULTILINE)


def test_every_toc_entry_exists():
    for entry in toc_files():
        matches = [p for p in ROOT.glob(entry + ".*") if p.suffix in (".md", ".ipynb")]
        assert len(matches) == 1, f"toc entry {entry} matches {matches}"


def test_every_chapter_file_is_in_the_toc():
    listed = set(toc_files())
    for path in sorted(CHAPTERS.glob("*")):
        if path.suffix in (".md", ".ipynb"):
            assert f"chapters/{path.stem}" in listed, f"{path.name} is not in _toc.yml"


def test_there_are_notebooks():
    assert notebooks(), "chapters/ holds no notebook"


def test_first_cell_is_a_title(notebook):
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert TITLE.match(first.source), f"{notebook.path.name}: first cell is not '# Title'"


def test_kernelspec_is_python3(notebook):
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_no_stored_outputs_except_keep_output(notebook):
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "keep_output" not in tags:
            assert not cell.outputs, f"{notebook.path.name} cell {i} has stored outputs"
            assert cell.execution_count is None, f"{notebook.path.name} cell {i} has a count"


def test_checked_cells_keep_their_output(notebook):
    for i, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        if "nbval-check-output" in tags:
            assert "keep_output" in tags, f"{notebook.path.name} cell {i}: add keep_output"
            assert cell.outputs, f"{notebook.path.name} cell {i}: no stored output to compare"
            # nbval skips the comparison for a cell without an execution count.
            assert cell.execution_count, f"{notebook.path.name} cell {i}: no execution count"


def test_no_pip_installs(notebook):
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not re.search(r"^\s*[!%]\s*pip\b", cell.source, re.MULTILINE), (
                f"{notebook.path.name} cell {i} installs packages"
            )
            if i != 1:  # the guarded Colab set-up cell is the only exception
                assert "run_line_magic" not in cell.source, f"{notebook.path.name} cell {i}"


def test_colab_set_up_cell_matches_the_repository_setting(notebook):
    sys.path.insert(0, str(ROOT / "scripts"))
    from colab_cell import MARKER, cell_source

    cells = [c for c in notebook.cells if c.source.startswith(MARKER)]
    assert len(cells) == 1 and notebook.cells[1] is cells[0], "one Colab cell, second"
    assert cells[0].source.rstrip() == cell_source().rstrip(), (
        "run `python scripts/colab_cell.py chapters/*.ipynb` after changing _config.yml"
    )
    assert cells[0].metadata.get("tags") == ["remove-cell"]
    assert 'if "google.colab" in sys.modules:' in cells[0].source


def test_no_function_or_class_definitions(notebook):
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        ]
        assert not defs, f"{notebook.path.name} cell {i} defines code; move it to scalelab"


def test_config_is_strict_and_executes():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] in ("force", "cache")
    assert config["execute"]["allow_errors"] is False
    assert config["only_build_toc_files"] is True
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    extensions = config["sphinx"]["extra_extensions"]
    assert "sphinx_exercise" in extensions
    assert (ROOT / config["bibtex_bibfiles"][0]).exists()
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]
    assert config["repository"]["url"].startswith("https://")


def test_pins_are_exact():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r", "-e")):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+]+", line), f"{name}: {line}"
    assert "jupyter-book==1.0.4.post1" in (ROOT / "requirements-dev.txt").read_text()
    assert (ROOT / "requirements.txt").read_text().rstrip().endswith("-e .")
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"


def test_nbval_collects_each_notebook_once():
    # Built copies of notebooks must never be collected next to the sources.
    assert not list((ROOT / "chapters").rglob("_build")), "a _build folder inside chapters/"
