"""The study tools built with the book: the PDF (``scripts/book_pdf.py``) and the printable
cheat sheet (printed in Chromium by ``tests/test_site.py``). The flashcards have their own
file.

The PDF tests read ``_build/html/downloads/scalelab.pdf`` (``make build-strict`` or
``make book`` writes it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SITE, load_script, toc_files

import scalelab as sl

PDF = SITE / "downloads" / "scalelab.pdf"
SINGLE_PAGE = ROOT / "_build" / "singlehtml" / "book.html"


def _normal(text: str) -> str:
    """Ligatures undone, curly quotes straightened, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text.replace("\u201c", '"').replace("\u201d", '"'))


@cache
def _pdf():
    from pypdf import PdfReader

    if not PDF.exists():
        pytest.fail(f"{PDF} is missing; run `make book` (or `make build-strict`)")
    reader = PdfReader(PDF)
    return reader, _normal(" ".join(page.extract_text() for page in reader.pages))


def _title(file: str) -> str:
    path = next(p for p in ROOT.glob(file + ".*") if p.suffix in (".md", ".ipynb"))
    if path.suffix == ".ipynb":
        text = nbformat.read(path, as_version=4).cells[0].source
    else:
        text = path.read_text()
    heading = next(line for line in text.splitlines() if line.startswith("# "))
    return _normal(re.sub(r"[`*]", "", heading[2:]))


@pytest.mark.built
def test_pdf_has_every_chapter_title():
    _, text = _pdf()
    titles = [_title(f) for f in toc_files()]
    assert len(titles) >= 20
    missing = [t for t in titles if t not in text]
    assert missing == [], f"chapter titles not in the PDF: {missing}"


@pytest.mark.built
def test_pdf_has_every_figure():
    reader, _ = _pdf()
    drawn = sum(len(page.images) for page in reader.pages)
    figures = SINGLE_PAGE.read_text(encoding="utf-8").count("<img ")
    assert figures >= 60, "the single-page book has too few figures; was it built?"
    assert drawn >= figures, f"{drawn} images in the PDF, {figures} in the book"


@pytest.mark.built
def test_pdf_has_typeset_math_and_no_source_syntax():
    _, text = _pdf()
    leftovers = ["\\(", "\\[", "$$", "\\frac", "\\lambda", "{glue", "{term}", "{ref}", "{cite"]
    leftovers += ["```", ":::", "(cheat-sheet)=", "{math}"]
    found = {s: text.count(s) for s in leftovers if s in text}
    assert found == {}, f"raw TeX or MyST in the PDF: {found}"
    # Typeset equations: MathJax draws lambda and rho as glyphs.
    assert text.count("\N{GREEK SMALL LETTER LAMDA}") >= 20
    assert text.count("\N{GREEK SMALL LETTER RHO}") >= 20


@pytest.mark.built
def test_pdf_has_no_widgets_and_no_colab_cell():
    _, text = _pdf()
    markers = ("google.colab", "run_line_magic", "interactive(children", "VBox(", "Slider(")
    for marker in markers:
        assert marker not in text, f"{marker!r} is in the PDF"
    assert "Solution to Exercise" in text, "solutions should be printed"


@pytest.mark.built
def test_pdf_links_the_downloads_on_the_published_site():
    reader, _ = _pdf()
    site = load_script(ROOT / "scripts" / "book_pdf.py").published_site()
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if "/URI" in annotation.get_object().get("/A", {})
    ]
    downloads = [u for u in uris if "downloads/" in u]
    assert len(downloads) >= 3, "the deck, the CSV and the PDF are linked from the intro"
    assert all(u.startswith(site + "downloads/") for u in downloads), downloads


@pytest.mark.built
def test_readme_states_the_pdf_size():
    stated = re.search(r"scalelab\.pdf[^\n]*?\(([\d.]+) MB", (ROOT / "README.md").read_text())
    assert stated, "README should state the PDF's size as 'scalelab.pdf ... (N MB'"
    actual = PDF.stat().st_size / 1e6
    assert abs(float(stated.group(1)) - actual) <= 0.25 * actual, f"the PDF is {actual:.1f} MB"


def test_cheat_sheet_names_every_formula_the_issue_lists():
    text = (ROOT / "chapters" / "cheat_sheet.md").read_text()
    for name in (
        "Little's law",
        "Utilization",
        "M/M/1",
        "Erlang C",
        "The knee",
        "Drain time",
        "Partitions needed",
        "Che's approximation",
        "Stale-read fraction",
        "Fan-out tail",
    ):
        assert f"| {name}" in text, f"{name} is not a row of the formulas table"


def test_cheat_sheet_numbers_are_what_the_formulas_give():
    """Every number the cheat sheet derives, recomputed (the package's formulas where it
    has them), beside the text that quotes it."""
    text = (ROOT / "chapters" / "cheat_sheet.md").read_text()
    year = 365.25 * 24  # hours
    quoted = [
        (
            "= 2, 3.3, 10, 20 at 50, 70, 90, 95%",
            [1 / (1 - u) for u in (0.5, 0.7, 0.9, 0.95)],
            [2, 3.3, 10, 20],
        ),
        ("M/M/16: $1.2\\,S$ at 85%", [sl.mmc(0.85 * 16, 1.0, 16).mean_response], [1.2]),
        ("$1.4\\,S$ at 90%", [sl.mmc(0.9 * 16, 1.0, 16).mean_response], [1.4]),
        ("R \\ln 100 \\approx 4.6\\,R$", [sl.mm1_response_quantile(0.5, 1.0, 0.99) / 2], [4.6]),
        (
            "99.9% = 8.8 h of downtime a year (44 min a month)",
            [1e-3 * year, 1e-3 * year * 5],
            [8.8, 44],
        ),
        ("99.99% = 53 min a year", [1e-4 * year * 60], [53]),
        ("99.999% = 5.3 min a year", [1e-5 * year * 60], [5.3]),
        ("1 million a day is ~12/s", [1e6 / 86_400], [12]),
        ("1 GB a day, 365 GB a year", [1e6 * 1e3 / 1e9, 1e6 * 1e3 * 365 / 1e9], [1, 365]),
        ("1.25 GB/s: 1.25 million 1 KB messages/s", [10e9 / 8 / 1e9, 10e9 / 8 / 1e9], [1.25, 1.25]),
        ("going from\n90% to 95% busy doubles the mean latency", [(1 / 0.05) / (1 / 0.1)], [2]),
    ]
    for phrase, computed, shown in quoted:
        assert phrase in text, f"the cheat sheet no longer says {phrase!r}"
        assert computed == pytest.approx(shown, rel=0.05), phrase


def test_book_pdf_refuses_a_missing_build(tmp_path: Path):
    book_pdf = load_script(ROOT / "scripts" / "book_pdf.py")
    with pytest.raises(SystemExit, match="singlehtml"):
        book_pdf.print_book(tmp_path, tmp_path / "out.pdf")
