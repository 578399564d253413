"""Shared fixtures and paths."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

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


def notebooks() -> list[Path]:
    """Every notebook of the book."""
    return sorted(CHAPTERS.glob("*.ipynb"))


@pytest.fixture(params=notebooks(), ids=lambda p: p.name)
def notebook(request: pytest.FixtureRequest) -> nbformat.NotebookNode:
    """Each chapter notebook, parsed (``nb.path`` holds its path)."""
    nb = nbformat.read(request.param, as_version=4)
    nb.path = request.param
    return nb
