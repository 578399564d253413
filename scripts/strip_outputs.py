"""Strip notebook outputs for commit, keeping those of cells tagged ``keep_output``.

nbstripout does the stripping. nbval only compares a stored output when its cell has an
execution count, so kept cells get one back (1, 2, ... in order).

Usage: python scripts/strip_outputs.py chapters/*.ipynb
"""

from __future__ import annotations

import sys

import nbformat
from nbstripout import strip_output


def strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb = strip_output(
        nb,
        keep_output=False,
        keep_count=False,
        keep_id=True,
        extra_keys=["cell.metadata.execution"],
        drop_empty_cells=False,
    )
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.outputs:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
    nbformat.write(nb, path)


if __name__ == "__main__":
    for notebook in sys.argv[1:]:
        strip(notebook)
