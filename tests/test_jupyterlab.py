"""The live notebooks as a Binder reader meets them: JupyterLab from the project's
environment on 127.0.0.1, each notebook opened the way the Binder button opens it, Run
All, read, a control of every widget moved and every quiz question answered, in headless
Chromium with every request off 127.0.0.1 refused (so MathJax's CDN too).

The notebooks are copied to a temporary directory first, so JupyterLab's autosave never
writes outputs into ``notebooks/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
from conftest import ROOT
from test_site import browser, grade_every_question  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

LIVE = ROOT / "notebooks"
RUN_TIMEOUT = 180  # seconds for Run All of one notebook (each runs in under 20 s)

# What must never show in a rendered Markdown cell: MyST that JupyterLab cannot render.
MYST = {
    "label line": re.compile(r"^\([\w-]+\)=\s*$", re.M),
    "role": re.compile(r"\{[\w:-]+\}`"),
    "directive fence": re.compile(r"^(```|:::)\s*\{", re.M),
    "directive option": re.compile(r"^:(label|class|nonumber|name):", re.M),
    "glue placeholder": re.compile(r"\{glue"),
}
# The notebook on screen (JupyterLab keeps other documents in hidden tabs).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
# Quiz source: what a reader must not see above a quiz.
QUIZ_SOURCE = re.compile(r"quiz\.show|choice_question|numeric_question")

# JupyterLab settings for a reproducible, offline session: every cell rendered (no
# windowing, so off-screen Markdown is rendered too) and no news or update checks.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# The notebook's kernel is connected and idle (JupyterLab's API, exposed to the page).
KERNEL_IDLE = """() => {
    const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
    return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
# Run All, as the menu does, with a deadline (an evaluate has none of its own).
RUN_ALL = """async (ms) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    app.shell.activateById(panel.id);  // the command acts on the active notebook
    const deadline = new Promise((_, fail) => setTimeout(() => fail(new Error(
        `Run All did not finish within ${ms / 1000} s`)), ms));
    await Promise.race([app.commands.execute('notebook:run-all-cells'), deadline]);
    const cells = panel.content.model.cells;
    const counts = [];
    for (let i = 0; i < cells.length; i++) {
        if (cells.get(i).type === 'code') counts.push(cells.get(i).executionCount);
    }
    return counts;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 serving a copy of ``notebooks/``; yields its URL
    with the token."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(LIVE, home / "notebooks")
    settings = home / "settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    log = (home / "server.log").open("w")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    raise RuntimeError(
                        "JupyterLab did not start within 60 s:\n"
                        + (home / "server.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.5)
        # As the Binder button's urlpath, with ?reset: a fresh workspace, so the notebook
        # tested before is not restored in a hidden tab.
        yield f"{base}/lab/tree/notebooks/{{name}}?reset&token={token}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


class _Session:
    """One notebook open in JupyterLab, with the page errors and off-site requests seen."""

    def __init__(self, browser, url: str) -> None:  # noqa: F811
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.route("**/*", self._route)
        self.page.goto(url)
        self.page.wait_for_function(
            "() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')",
            timeout=60_000,
        )
        self.page.wait_for_function(KERNEL_IDLE, timeout=60_000)

    def _route(self, route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host == "127.0.0.1" or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.offsite.append(route.request.url)
            route.abort()

    def run_all(self) -> list:
        """Run > Run All Cells; returns each code cell's execution count once all ran."""
        return self.page.evaluate(RUN_ALL, RUN_TIMEOUT * 1000)

    def close(self) -> None:
        """Shut the notebook's kernel down (each notebook starts its own), then the page."""
        self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown()"
        )
        self.context.close()


def _live_notebooks() -> list[Path]:
    return sorted(LIVE.glob("*.ipynb"))


@pytest.mark.parametrize("notebook", _live_notebooks(), ids=lambda p: p.stem)
def test_live_notebook_runs_and_reads_cleanly(browser, lab, notebook):  # noqa: F811
    session = _Session(browser, lab.format(name=notebook.name))
    try:
        counts = session.run_all()
        assert counts and all(isinstance(n, int) for n in counts), f"not all ran: {counts}"
        page = session.page
        errors = page.eval_on_selector_all(
            f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "els => els.map(e => e.innerText.slice(0, 500))",
        )
        assert errors == [], f"error output: {errors}"
        markdown = page.eval_on_selector_all(
            f"{NOTEBOOK} .jp-MarkdownCell .jp-RenderedMarkdown", "els => els.map(e => e.innerText)"
        )
        cells = page.locator(f"{NOTEBOOK} .jp-MarkdownCell").count()
        assert len(markdown) == cells, "a Markdown cell was not rendered"
        for text in markdown:
            for what, pattern in MYST.items():
                assert not pattern.search(text), f"{what} shows: {pattern.search(text)[0]!r}"
        visible_code = page.eval_on_selector_all(
            f"{NOTEBOOK} .jp-CodeCell .jp-InputArea",
            "els => els.filter(e => e.offsetParent !== null).map(e => e.innerText)",
        )
        for code in visible_code:
            assert not QUIZ_SOURCE.search(code), f"quiz source visible: {code[:200]!r}"
        _every_widget_responds(page)
        quizzes = grade_every_question(page.locator(NOTEBOOK))
        assert quizzes >= (3 if "quiz.show(" in notebook.read_text() else 0)
        assert session.errors == [], f"uncaught page errors: {session.errors}"
    finally:
        session.close()


def _every_widget_responds(page) -> None:
    """Move one control of each interact widget (a slider, or a menu when it has none)
    and wait for its output to change."""
    widgets = page.locator(f"{NOTEBOOK} .widget-interact")
    for k in range(widgets.count()):
        widget = widgets.nth(k)
        output = widget.locator(".widget-output")
        output.locator("img, pre").first.wait_for(state="attached", timeout=30_000)
        widget.evaluate("el => el.scrollIntoView({block: 'center'})")
        before = output.inner_html()
        sliders = widget.locator(".noUi-handle")
        if sliders.count():
            _press_until_it_moves(page, sliders.first)
        else:
            menu = widget.locator("select").first
            current = menu.input_value()
            values = [o.get_attribute("value") for o in menu.locator("option").all()]
            menu.select_option(next(v for v in values if v != current))
        page.wait_for_function(
            "([el, before]) => el.innerHTML !== before && el.querySelector('img, pre')",
            arg=[output.element_handle(), before],
            timeout=30_000,
        )


def _press_until_it_moves(page, handle, attempts: int = 3) -> None:
    """Focus a slider handle and press the right arrow, as a keyboard user would; again
    if JupyterLab took the focus back first (it may, as a run finishes)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    value = handle.get_attribute("aria-valuetext")
    for attempt in range(attempts):
        handle.press("ArrowRight")
        try:
            page.wait_for_function(
                "([h, v]) => h.getAttribute('aria-valuetext') !== v",
                arg=[handle.element_handle(), value],
                timeout=3_000,
            )
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
