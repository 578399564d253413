"""Shared fixtures and paths."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SITE = ROOT / "_build" / "html"


def notebooks() -> list[Path]:
    """Every notebook of the book."""
    return sorted(CHAPTERS.glob("*.ipynb"))


@pytest.fixture(params=notebooks(), ids=lambda p: p.name)
def notebook(request: pytest.FixtureRequest) -> nbformat.NotebookNode:
    """Each chapter notebook, parsed (``nb.path`` holds its path)."""
    nb = nbformat.read(request.param, as_version=4)
    nb.path = request.param
    return nb
