"""Print the book to one PDF, offline: Sphinx's single-page HTML, printed by Chromium.

Run after ``jupyter-book build . --builder singlehtml`` (``make book`` runs both). The page
is served from 127.0.0.1 and every other request is refused, so the PDF is exactly what
the book holds: MathJax comes from the site (``_static/mathjax``), figures from
``_images``. Solutions are printed open after their exercise, as in a textbook; the
theme's buttons and sidebars are left out; the self-check questions print as they look
(their answers are in the flashcards); links to the downloads (the deck, this PDF) point
to the published site (``html.baseurl``). Writes ``_build/html/downloads/scalelab.pdf``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "html" / "downloads" / "scalelab.pdf"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]

# What the printed book leaves out or opens, on top of the theme's print stylesheet.
PRINT_CSS = """
@page { size: A4; margin: 15mm 14mm 16mm 14mm; }
html { font-size: 12.5px !important; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article,
.bd-footer, .bd-footer-article, .prev-next-area, .header-article-items,
.toggle-button, .headerlink, .skip-link { display: none !important; }
.bd-page-width, .bd-container, .bd-container__inner, .bd-main, .bd-content,
.bd-article-container, .bd-article {
  max-width: none !important; width: 100% !important; margin: 0 !important;
  padding: 0 !important; }
pre { white-space: pre-wrap !important; overflow: visible !important; }
.dropdown .toggle-details__container, .toggle-hidden, details > * {
  display: block !important; visibility: visible !important; }
span[id^="document-"] + section { break-before: page; }
h1, h2, h3 { break-after: avoid; }
figure, img, table, .cell_output, mjx-container[display="true"] { break-inside: avoid; }
img { max-width: 100% !important; height: auto !important; }
"""

_WAIT_FOR_MATH = """
() => (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)
    ? window.MathJax.startup.promise.then(() => document.querySelectorAll('mjx-container').length)
    : 0
"""


# The site links its downloads (the deck, this PDF) relatively; in the PDF they point to
# the published site.
_PUBLISHED_DOWNLOADS = """
base => document.querySelectorAll('a[href^="../downloads/"]').forEach(
    a => { a.href = base + a.getAttribute('href').slice(3); })
"""


def published_site() -> str:
    """``html.baseurl`` of ``_config.yml``: where the site is published."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _refuse_offsite(route) -> None:
    host = urlparse(route.request.url).hostname or ""
    if host == "127.0.0.1" or route.request.url.startswith("data:"):
        route.continue_()
    else:
        route.abort()


def print_book(single: Path = SINGLE, pdf: Path = PDF) -> dict:
    """Print ``single`` (a singlehtml build) to ``pdf``; returns what was printed."""
    page_file = single / "chapters" / "intro.html"
    if not page_file.exists():
        raise SystemExit(
            f"{page_file} is missing; build it first: jupyter-book build . --builder singlehtml"
        )
    from playwright.sync_api import sync_playwright

    # Sphinx writes the single page's links relative to the build's root, where the page
    # is served from.
    shutil.copyfile(page_file, single / "book.html")
    handler = functools.partial(_Quiet, directory=str(single))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.perf_counter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.route("**/*", _refuse_offsite)
            port = server.server_address[1]
            page.goto(f"http://127.0.0.1:{port}/book.html", wait_until="load")
            page.wait_for_load_state("networkidle")
            equations = page.evaluate(_WAIT_FOR_MATH)
            page.evaluate(_PUBLISHED_DOWNLOADS, published_site())
            page.add_style_tag(content=PRINT_CSS)
            page.emulate_media(media="print")
            pdf.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(pdf),
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
                ),
            )
            browser.close()
    finally:
        server.shutdown()
    return {
        "pdf": pdf,
        "bytes": pdf.stat().st_size,
        "equations": equations,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=Path, default=SINGLE, help="the singlehtml build")
    parser.add_argument("--out", type=Path, default=PDF, help="where to write the PDF")
    args = parser.parse_args(argv)
    done = print_book(args.single, args.out)
    print(
        f"{done['pdf']}: {done['bytes'] / 1e6:.1f} MB, {done['equations']} equations "
        f"typeset, {done['seconds']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
