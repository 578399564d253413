"""The live widgets' cells run (outside a kernel) with each notebook's set-up cell.

Widget cells are removed from the static site and not executed by the book build
(tagged ``remove-cell`` and ``skip-execution``); nbval runs them in a kernel, this test
runs them in-process, and ``benchmarks/widgets.py`` drives each callback over its
sliders' ranges.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest
from conftest import notebooks

WIDGET_NOTEBOOKS = [
    p
    for p in notebooks()
    if any("widgets.interact" in c.source for c in nbformat.read(p, as_version=4).cells)
]


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=lambda p: p.name)
def test_widget_cells_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    widget_cells = [c for c in code if "widgets.interact" in c.source]
    for cell in widget_cells:
        tags = cell.metadata.get("tags", [])
        assert {"remove-cell", "skip-execution"} <= set(tags), tags
    setup = next(c for c in code if not c.source.startswith("# Colab only:"))
    namespace: dict = {}
    exec(compile(setup.source, f"{path.name}: set-up cell", "exec"), namespace)
    for cell in widget_cells:
        exec(compile(cell.source, f"{path.name}: widget cell", "exec"), namespace)
