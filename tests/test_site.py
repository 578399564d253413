"""Browser tests: headless Chromium (Debian's, driven by Playwright) on the built site.

Run after the book is built (``make test`` builds first). When Chromium is missing the
tests skip with instructions, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import ROOT, SITE

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# MathJax is served by the site itself (_static/mathjax); a page contacts no other host.
LOCAL_MATHJAX = "/_static/mathjax/"

# Console messages the theme prints that are not errors of ours, matched by exact text.
HARMLESS_CONSOLE = frozenset(
    {
        # pydata-sphinx-theme, on a first visit with nothing in localStorage; it then uses "auto".
        "Got invalid theme mode: . Resetting to auto.",
    }
)


def _pages() -> list[Path]:
    pages = sorted(SITE.glob("chapters/*.html"))
    return pages


def _notebook_pages() -> list[Path]:
    sources = {p.stem for p in (SITE.parent.parent / "chapters").glob("*.ipynb")}
    return [p for p in _pages() if p.stem in sources]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} is not built; run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site the way static hosts do: text assets gzip-compressed when the
    browser accepts it (page weights below are what a reader transfers)."""

    COMPRESS = (".html", ".js", ".css", ".svg", ".json", ".txt")

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if (
            path.suffix not in self.COMPRESS
            or not path.is_file()
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        body = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        message = f"{CHROMIUM} not found; install it with `apt-get install -y chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Visit:
    """A page load with everything it logged and requested."""

    def __init__(self, browser, url: str, mathjax: bool = True) -> None:
        self.mathjax = mathjax
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.blocked: list[str] = []
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.route("**/*", self._route)
        response = self.page.goto(url, wait_until="load")
        self.status = response.status if response else None
        self.page.wait_for_load_state("networkidle")

    def _console(self, msg) -> None:
        if msg.type == "error" and msg.text not in HARMLESS_CONSOLE:
            self.errors.append(msg.text)

    def _route(self, route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if LOCAL_MATHJAX in route.request.url and not self.mathjax:
            self.blocked.append(route.request.url)
            route.abort()
        elif host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.offsite.append(route.request.url)
            route.abort()

    def typeset(self) -> int:
        """Waits until MathJax has typeset the page; returns how many equations it drew."""
        return self.page.evaluate(
            "() => MathJax.startup.promise.then("
            "() => document.querySelectorAll('main mjx-container').length)"
        )

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> _Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture(scope="module", params=_pages(), ids=lambda p: p.stem)
def visit(request, browser, base_url):
    """One load of each page, shared by the read-only checks below (pytest groups the
    tests by page): each load typesets the page's equations, so loading once per check
    would cost minutes."""
    page = request.param.relative_to(SITE).as_posix()
    with _Visit(browser, f"{base_url}/{page}") as v:
        yield v


def test_site_has_pages():
    assert _pages(), f"no pages under {SITE}/chapters; build the book first"


def test_page_loads_cleanly(visit):
    assert visit.status == 200
    assert visit.errors == [], f"console errors: {visit.errors}"
    assert visit.offsite == [], f"requests left 127.0.0.1 to hosts not allowed: {visit.offsite}"


def test_images_have_alt_text_and_load(visit):
    images = visit.page.eval_on_selector_all(
        "main img, article img",
        "els => els.map(e => ({src: e.src, alt: e.getAttribute('alt'), w: e.naturalWidth}))",
    )
    for img in images:
        assert img["alt"] and img["alt"].strip(), f"image without alt text: {img['src']}"
        assert img["w"] > 0, f"image did not load: {img['src']}"


def test_root_redirects_to_the_introduction(browser, base_url):
    with _Visit(browser, f"{base_url}/index.html") as v:
        v.page.wait_for_url("**/chapters/intro.html")
        assert "100 to 100 million users" in v.page.title()


@pytest.mark.parametrize("page", _notebook_pages(), ids=lambda p: p.stem)
def test_notebook_pages_have_launch_links(browser, base_url, page):
    """Binder and Colab open the chapter's live notebook (notebooks/, plain Markdown),
    not its MyST source in chapters/; the download button serves the live one too."""
    with _Visit(browser, f"{base_url}/{page.relative_to(SITE).as_posix()}") as v:
        hrefs = v.page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        notebook = f"notebooks/{page.stem}.ipynb"
        assert (ROOT / notebook).exists()
        binder = [h for h in hrefs if h.startswith("https://mybinder.org/") and notebook in h]
        colab = [
            h for h in hrefs if h.startswith("https://colab.research.google.com/") and notebook in h
        ]
        assert binder, f"no Binder link to {notebook}"
        assert f"urlpath=lab/tree/{notebook}" in binder[0], "Binder should open JupyterLab"
        assert colab, f"no Colab link to {notebook}"
        download = [h for h in hrefs if h.endswith(f"chapters/{page.stem}.ipynb")]
        assert [urlparse(h).path for h in download] == [f"/_sources/chapters/{page.stem}.ipynb"]
        served = SITE / "_sources" / "chapters" / f"{page.stem}.ipynb"
        assert served.read_bytes() == (ROOT / notebook).read_bytes(), "download the live one"


def test_first_chapter_shows_its_figure_and_glued_numbers(browser, base_url):
    with _Visit(browser, f"{base_url}/chapters/00_first_simulation.html") as v:
        figure = v.page.locator("figure#fig-first-knee")
        assert figure.count() == 1
        assert "M/M/1 formula" in figure.inner_text()
        text = v.page.inner_text("main")
        assert "{glue" not in text, "a glue reference was not substituted"
        assert "simulated" in text and "formula" in text


def _chapter_pages() -> list[Path]:
    return [p for p in _notebook_pages() if p.stem[:2].isdigit() and p.stem[:2] != "00"]


def _has_class(locator, name: str) -> bool:
    return name in (locator.get_attribute("class") or "").split()


@pytest.mark.parametrize("page", _chapter_pages(), ids=lambda p: p.stem)
def test_self_grading_questions_grade_in_the_browser(browser, base_url, page):
    with _Visit(browser, f"{base_url}/{page.relative_to(SITE).as_posix()}") as v:
        assert grade_every_question(v.page.locator("body")) >= 3
        assert v.errors == []


@pytest.mark.parametrize("page", _chapter_pages()[:2], ids=lambda p: p.stem)
def test_questions_work_when_mathjax_never_loads(browser, base_url, page):
    """MathJax slower than JupyterQuiz's 500 ms wait (or missing): the page holds only
    MathJax's configuration, and the questions must still render and grade."""
    with _Visit(browser, f"{base_url}/{page.relative_to(SITE).as_posix()}", mathjax=False) as v:
        v.page.wait_for_timeout(800)
        assert v.blocked, "the page did not ask for MathJax"
        assert v.page.evaluate("typeof window.MathJax.typeset") == "undefined", "MathJax loaded"
        assert grade_every_question(v.page.locator("body")) >= 3
        failed = "Failed to load resource: net::ERR_FAILED"
        assert [e for e in v.errors if e != failed] == []


@pytest.mark.parametrize("name", ["02_queues_and_utilization", "05_scaling_event_driven"])
def test_math_renders_with_no_network(browser, base_url, name):
    """Every request outside 127.0.0.1 is refused: the page's equations are still typeset
    (MathJax from the site), none is left as TeX source."""
    with _Visit(browser, f"{base_url}/chapters/{name}.html") as v:
        typeset = v.typeset()
        sources = v.page.locator("main span.math, main div.math").count()
        text = v.page.inner_text("main")
        assert v.offsite == []
        assert sources > 0, "no math on the page; pick another"
        assert typeset >= sources, f"{typeset} of {sources} equations typeset"
        assert "\\(" not in text and "\\[" not in text and "$$" not in text
        assert v.errors == []


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_cheat_sheet_prints_on_two_pages_unclipped(browser, base_url, paper):
    from pypdf import PdfReader

    with _Visit(browser, f"{base_url}/chapters/cheat_sheet.html") as v:
        v.typeset()
        v.page.emulate_media(media="print")
        clipped = v.page.evaluate(
            """() => {
              const main = document.querySelector('main').getBoundingClientRect();
              const out = [];
              for (const el of document.querySelectorAll(
                  '.cheat-sheet table, .cheat-sheet img, .cheat-sheet mjx-container')) {
                const box = el.getBoundingClientRect();
                if (box.right > main.right + 1 || box.left < main.left - 1) {
                  out.push(el.tagName + ': ' + el.textContent.slice(0, 40));
                }
              }
              for (const el of document.querySelectorAll('.cheat-sheet *')) {
                const style = getComputedStyle(el);
                if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
                    && style.overflowX !== 'visible') {
                  out.push('scrolls: ' + el.className + ' ' + el.textContent.slice(0, 40));
                }
              }
              return out;
            }"""
        )
        pdf = v.page.pdf(format=paper)
        assert v.offsite == [] and v.errors == []
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"cheat sheet on {paper}: {pages} pages")
    assert pages <= 2, f"the cheat sheet prints on {pages} pages of {paper}"
    assert clipped == [], f"clipped in print: {clipped}"


def grade_every_question(root) -> int:
    """Answer every JupyterQuiz question under ``root`` wrongly, then rightly, checking the
    feedback each time; returns how many there were."""
    quizzes = root.locator("div.Quiz")
    for i in range(quizzes.count()):
        quiz = quizzes.nth(i)
        feedback = quiz.locator(".Feedback")
        box = quiz.locator("input.Input-text")
        if box.count():
            answers = json.loads(box.get_attribute("data-answers"))
            right = next(a for a in answers if a.get("correct"))
            low, high = right.get("range") or (right["value"], right["value"])
            box.fill(f"{abs(high) * 10 + 1000:g}")
            box.press("Enter")
            assert _has_class(feedback, "incorrect"), f"question {i}: wrong not flagged"
            box.fill(f"{(low + high) / 2:.6g}")
            box.press("Enter")
            assert _has_class(feedback, "correct"), f"question {i}: right not accepted"
        else:
            quiz.locator(".MCButton[data-correct='false']").first.click()
            assert _has_class(feedback, "incorrect"), f"question {i}: wrong not flagged"
            quiz.locator(".MCButton[data-correct='true']").first.click()
            assert _has_class(feedback, "correct"), f"question {i}: right not accepted"
    return quizzes.count()


@pytest.mark.parametrize("page", _chapter_pages(), ids=lambda p: p.stem)
def test_solutions_are_collapsed_until_clicked(browser, base_url, page):
    with _Visit(browser, f"{base_url}/{page.relative_to(SITE).as_posix()}") as v:
        solutions = v.page.locator("div.solution.dropdown")
        assert solutions.count() >= 3
        for i in range(solutions.count()):
            assert _has_class(solutions.nth(i), "toggle-hidden"), f"solution {i} open on load"
        first = solutions.first
        first.locator("button.toggle-button").first.click()
        v.page.wait_for_timeout(300)
        assert not _has_class(first, "toggle-hidden")
        assert first.locator("pre").first.is_visible()


def test_no_dead_controls(visit):
    # Quiz inputs and buttons work without a kernel; anything else interactive in the
    # article would be a widget or form that does nothing on a static page.
    dead = visit.page.eval_on_selector_all(
        "article input, article select, article textarea, article .jupyter-widgets, "
        "article .widget-slider",
        "els => els.filter(e => !e.closest('.Quiz')).map(e => e.outerHTML.slice(0, 80))",
    )
    assert dead == []


# MyST that failed to render shows as its source: a role, a directive fence, a label line.
RAW_MYST = re.compile(
    r"\{(?:glue:text|glue|term|ref|cite:p|cite|numref|doc)\}`|```\{|^\([\w-]+\)=$", re.M
)


def test_no_myst_syntax_shows_as_text(visit):
    # Prose and tables only: code cells may quote MyST on purpose.
    text = visit.page.eval_on_selector_all(
        "article p, article li, article td, article th, article h1, article h2, article h3",
        "els => els.map(e => e.innerText).join('\\n')",
    )
    assert RAW_MYST.findall(text) == []


def test_every_internal_link_resolves():
    # Crawl the built HTML: every href inside the site must name an existing file.
    from html.parser import HTMLParser
    from urllib.parse import unquote, urljoin

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("href", "src") and value:
                    self.hrefs.append(value)

    checked, anchors, missing = 0, 0, []
    pages = [p for p in SITE.rglob("*.html") if "_static" not in p.parts]  # theme templates
    ids: dict[Path, str] = {}
    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        base = "file://" + page.as_posix()
        for href in parser.hrefs:
            url = urlparse(urljoin(base, href))
            if url.scheme != "file":
                continue
            target = Path(unquote(url.path))
            checked += 1
            if not target.exists():
                missing.append(f"{page.relative_to(SITE)} -> {href}")
            elif url.fragment and target.suffix == ".html":
                anchors += 1
                if target not in ids:
                    ids[target] = target.read_text(encoding="utf-8")
                if f'id="{unquote(url.fragment)}"' not in ids[target]:
                    missing.append(f"{page.relative_to(SITE)} -> {href} (no such anchor)")
    print(f"link crawl: {len(pages)} pages, {checked} internal links, {anchors} anchors checked")
    assert checked > 100
    assert missing == []


def test_search_finds_a_chapter_term(browser, base_url):
    with _Visit(browser, f"{base_url}/search.html?q=partition") as v:
        v.page.wait_for_selector("#search-results li a", timeout=15_000)
        links = v.page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
        assert any("03_bottlenecks" in h or "01_sync" in h for h in links), links


def test_narrow_screen_has_no_horizontal_scroll(browser, base_url):
    for page in _chapter_pages():
        context = browser.new_context(viewport={"width": 390, "height": 844})
        try:
            tab = context.new_page()
            tab.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if "127.0.0.1" in r.request.url
                    else r.fulfill(status=200, body="")
                ),
            )
            tab.goto(f"{base_url}/{page.relative_to(SITE).as_posix()}")
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{page.name}: {overflow}px of horizontal scrolling"
        finally:
            context.close()


def test_figures_have_opaque_light_backgrounds():
    # Dark mode: a transparent figure would show dark text on a dark page.
    from PIL import Image

    images = list((SITE / "_images").glob("*.png"))
    assert images
    for path in images:
        with Image.open(path) as img:
            rgba = img.convert("RGBA")
            corner = rgba.getpixel((0, 0))
        assert corner[3] == 255 and min(corner[:3]) >= 240, f"{path.name}: corner {corner}"


def test_pages_are_light(visit):
    weight = visit.page.evaluate(
        "performance.getEntriesByType('resource').reduce((s, e) => s + e.transferSize, 0)"
        " + performance.getEntriesByType('navigation')[0].transferSize"
    )
    print(f"{visit.page.url}: {weight / 1e6:.2f} MB transferred")
    assert weight < 3e6


def test_figures_are_compressed():
    # The build re-encodes figures as palette PNGs (_ext/scalelab_book.py).
    from PIL import Image

    for path in (SITE / "_images").glob("*.png"):
        with Image.open(path) as img:
            assert img.mode == "P" or path.stat().st_size < 20_000, f"{path.name}: {img.mode}"
        assert path.stat().st_size < 150_000, f"{path.name}: {path.stat().st_size:,} bytes"


AXE = SITE.parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_DISABLED: dict[str, str] = {}
"""axe rules switched off, each with the reason (empty: every rule runs)."""


def test_accessibility_has_no_serious_violations(visit):
    assert AXE.exists(), f"{AXE} missing; run `npm ci` (make browser does)"
    visit.page.add_script_tag(path=str(AXE))
    result = visit.page.evaluate(
        "rules => axe.run(document, {resultTypes: ['violations'], rules})",
        {rule: {"enabled": False} for rule in AXE_DISABLED},
    )
    found = [
        (v["impact"], v["id"], len(v["nodes"]), v["nodes"][0]["target"])
        for v in result["violations"]
    ]
    print(f"{visit.page.url}: axe violations {found}")
    serious = [f for f in found if f[0] in ("serious", "critical")]
    assert serious == [], f"serious or critical accessibility violations: {serious}"
