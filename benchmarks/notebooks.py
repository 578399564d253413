"""Execution time: each notebook from a fresh kernel, the whole book from an empty
``_build`` with execution forced, and the PDF after it (the single-page build from the
same doctrees, printed by Chromium).

Budgets (exit status 1 if missed): each notebook <= 20 s, the whole book <= 150 s, the PDF
<= 60 s.

Usage: python benchmarks/notebooks.py [--json] [--skip-book]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_BUDGET, BOOK_BUDGET, PDF_BUDGET = 20.0, 150.0, 60.0


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def time_notebook(path: Path) -> float:
    """Seconds to execute ``path`` in a fresh kernel, kernel start-up included."""
    start = time.perf_counter()
    subprocess.run(
        [_tool("jupyter"), "nbconvert", "--to", "notebook", "--execute", "--stdout", str(path)],
        check=True,
        capture_output=True,
        cwd=path.parent,
    )
    return time.perf_counter() - start


def _jupyter_book(*options: str) -> None:
    subprocess.run(
        [_tool("jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going", "-q", *options],
        check=True,
        capture_output=True,
    )


def time_book() -> float:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    start = time.perf_counter()
    _jupyter_book()
    return time.perf_counter() - start


def time_pdf() -> float:
    """Seconds for the PDF after :func:`time_book` (what ``make book`` runs after the site)."""
    start = time.perf_counter()
    _jupyter_book("--builder", "singlehtml")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "book_pdf.py")], check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--skip-book", action="store_true", help="time notebooks only")
    args = parser.parse_args()
    notebooks = {p.name: time_notebook(p) for p in sorted((ROOT / "chapters").glob("*.ipynb"))}
    book = None if args.skip_book else time_book()
    pdf = None if args.skip_book else time_pdf()
    print(f"{'notebook':40}{'seconds':>9}  budget {NOTEBOOK_BUDGET:g} s")
    for name, seconds in notebooks.items():
        print(f"{name:40}{seconds:9.1f}  {'ok' if seconds <= NOTEBOOK_BUDGET else 'OVER'}")
    if book is not None:
        print(
            f"{'whole book, forced, from empty _build':40}{book:9.1f}  budget "
            f"{BOOK_BUDGET:g} s  {'ok' if book <= BOOK_BUDGET else 'OVER'}"
        )
        print(
            f"{'the PDF, after the book':40}{pdf:9.1f}  budget "
            f"{PDF_BUDGET:g} s  {'ok' if pdf <= PDF_BUDGET else 'OVER'}"
        )
    ok = all(t <= NOTEBOOK_BUDGET for t in notebooks.values()) and (
        book is None or (book <= BOOK_BUDGET and pdf <= PDF_BUDGET)
    )
    if args.json:
        print(json.dumps({"notebooks_s": notebooks, "book_s": book, "pdf_s": pdf, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
