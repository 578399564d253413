"""Shared fixtures and paths."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SITE = ROOT / "_build" / "html"


def load_script(path: Path) -> ModuleType:
    """Import a script of ``scripts/`` or ``benchmarks/`` by path (registered in
    ``sys.modules``, where dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def toc_files() -> list[str]:
    """Every entry of ``_toc.yml`` (``chapters/intro``, ...), in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part["chapters"]]
    return files


def glossary_terms() -> list[str]:
    """The first term of each entry of ``chapters/glossary.md``, parsed from the source."""
    body = (CHAPTERS / "glossary.md").read_text().split("```{glossary}\n")[1].split("\n```")[0]
    terms, previous = [], ""
    for line in body.split("\n"):
        is_term = bool(line.strip()) and not line[0].isspace()
        if is_term and not (previous.strip() and not previous[0].isspace()):
            terms.append(line.strip())  # the first of an entry's terms; aliases follow it
        previous = line
    return terms


def notebooks() -> list[Path]:
    """Every notebook of the book."""
    return sorted(CHAPTERS.glob("*.ipynb"))


@pytest.fixture(params=notebooks(), ids=lambda p: p.name)
def notebook(request: pytest.FixtureRequest) -> nbformat.NotebookNode:
    """Each chapter notebook, parsed (``nb.path`` holds its path)."""
    nb = nbformat.read(request.param, as_version=4)
    nb.path = request.param
    return nb
