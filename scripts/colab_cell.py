"""Write (or refresh) the Colab set-up cell of every chapter notebook.

Colab does not read ``requirements.txt``, so each notebook's second cell installs the
package from the repository named in ``_config.yml`` (THE REPOSITORY SETTING), only when
running on Colab; everywhere else it does nothing, and the static site does not show it
(tag ``remove-cell``). Run after changing the repository setting:

    python scripts/colab_cell.py chapters/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Colab only:"


def cell_source() -> str:
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    requirement = f"scalelab @ git+{repo['url']}@{repo['branch']}"
    quiz = next(
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.lower().startswith("jupyterquiz==")
    )
    return (
        f"{MARKER} install scalelab from the repository (Binder and local installs "
        "already have it).\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    get_ipython().run_line_magic("pip", \'install --quiet "{requirement}" '
        f"{quiz}')\n"
    )


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell(cell_source())
    cell.metadata["tags"] = ["remove-cell"]
    cell["id"] = "colab-setup"
    existing = [i for i, c in enumerate(nb.cells) if c.source.startswith(MARKER)]
    if existing:
        nb.cells[existing[0]] = cell
    else:
        nb.cells.insert(1, cell)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        refresh(Path(name))
