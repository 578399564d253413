"""The ``python`` code blocks of the README and of the book's Markdown pages run, in
order, each page in a fresh namespace (as SimPy runs its documentation examples)."""

from __future__ import annotations

import re

import matplotlib
import pytest
from conftest import CHAPTERS, ROOT

matplotlib.use("Agg")

PAGES = [ROOT / "README.md", *sorted(CHAPTERS.glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def test_there_are_examples():
    assert sum(len(BLOCK.findall(p.read_text())) for p in PAGES) >= 3


@pytest.mark.parametrize(
    "page", [p for p in PAGES if BLOCK.search(p.read_text())], ids=lambda p: p.name
)
def test_python_blocks_run(page):
    namespace: dict = {}
    for i, block in enumerate(BLOCK.findall(page.read_text())):
        exec(compile(block, f"{page.name}, python block {i + 1}", "exec"), namespace)
