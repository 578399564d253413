"""Generate the live notebooks that Binder and Colab open (``notebooks/``) from the chapters.

The chapters (``chapters/*.ipynb``) are written for Jupyter Book: MyST roles and
directives, glued numbers, tags that hide cells. JupyterLab and Colab render plain
Markdown, so each chapter becomes a notebook that reads like its page:

- labels are dropped; ``{term}``, ``{ref}``, ``{cite:p}``/``{cite:t}`` and Python roles
  (``{py:func}`` ...) become links to the published pages (``html.baseurl`` in
  ``_config.yml``; anchors and titles from the built site's ``objects.inv``);
- ``{glue:text}`` becomes the value the published page shows (from the build);
- HTML links to the site's downloads (``href="../downloads/..."``, the flashcards) point
  to the published site;
- an exercise becomes a bold title (its number as on the page) and its text; a gated
  solution, prose and code with its output from the build, goes into a folded
  ``<details>`` block;
- glue calls are removed; the Colab set-up, quiz and other hidden code cells keep running
  but their source is hidden (``jupyter.source_hidden`` for JupyterLab, a ``# @title``
  form for Colab); cells tagged ``static-only`` are dropped, cells tagged ``live-only``
  (removed from the book) are kept; each widget runs, after a line saying to run the
  cells above first.

It needs the built site (``make book``): run ``python scripts/live_notebooks.py`` after
changing a chapter, and commit ``notebooks/``. ``--check`` exits 1 if a committed
notebook differs from what the chapters and the build give (the test suite runs it).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from bs4 import BeautifulSoup
from myst_nb.core.variables import format_plain_text
from pybtex.database import parse_file
from sphinx.util.inventory import InventoryFile

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
OUT = ROOT / "notebooks"
BUILD = ROOT / "_build"

RUN_ALL = "**Run > Run All Cells** in JupyterLab, **Runtime > Run all** in Colab"
NOTE = (
    "> **The live notebook of [{title}]({url}).** Run it from the top ({run_all}). The "
    "numbers in the text are those of the published page, for the parameters and seeds "
    "the cells show; when you change a parameter, read the new values in the cells' "
    "output, not in the text."
)
NOTE_SOLUTIONS = " Exercise solutions are folded: open *Solution* once you have an answer."
NOTE_QUIZ = " The quiz code is hidden, so its answers stay out of sight until you answer."
RUN_FIRST = f"*Run the cells above first ({RUN_ALL}), then move the controls below.*"
HIDDEN_TITLES = {
    "colab-setup": "Set-up: installs scalelab on Colab, does nothing elsewhere",
    "remove-input": "Check yourself: run this cell to show the questions",
    "remove-cell": "Computes numbers that the text quotes",
}

LABEL_LINE = re.compile(r"^\([\w-]+\)=[ \t]*\n?", re.M)
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]+)`")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})[ \t]*(?:\{(?P<directive>[\w:-]+)\})?(?P<rest>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
DOWNLOADS = 'href="../downloads/'


PY_ROLES = ("py:func", "py:class", "py:data", "py:meth", "py:attr", "py:mod")
"""Cross-references to the API reference; the live notebook links to the page."""


@dataclass
class Site:
    """What the built site knows: where labels and terms live, exercise titles, citations."""

    baseurl: str
    labels: dict[str, tuple[str, str]]
    terms: dict[str, str]
    citations: dict[str, tuple[str, str]]
    objects: dict[str, str]  # documented Python names -> their place in the API reference

    @classmethod
    def load(cls, root: Path = ROOT) -> Site:
        config = yaml.safe_load((root / "_config.yml").read_text())
        baseurl = config["html"]["baseurl"]
        inventory = root / "_build" / "html" / "objects.inv"
        if not inventory.exists():
            raise SystemExit(f"{inventory} is missing: build the book first (make book)")
        with inventory.open("rb") as f:
            inv = InventoryFile.load(f, "", posixpath.join)
        labels = {name: (item[2], item[3]) for name, item in inv["std:label"].items()}
        terms = {name.lower(): item[2] for name, item in inv["std:term"].items()}
        objects = {
            name: item[2]
            for kind, items in inv.items()
            if kind.startswith("py:")
            for name, item in items.items()
        }
        return cls(baseurl, labels, terms, _citations(root / "references.bib"), objects)

    def url(self, uri: str) -> str:
        return self.baseurl + uri


def _citations(bib: Path) -> dict[str, tuple[str, str]]:
    """``key -> (authors as the page cites them, year)``: one or two surnames, else
    the first and "et al.", as sphinxcontrib-bibtex's author-year style."""
    out = {}
    for key, entry in parse_file(str(bib)).entries.items():
        names = [" ".join(p.last_names).strip("{}") for p in entry.persons.get("author", [])]
        authors = " and ".join(names) if len(names) <= 2 else f"{names[0]} et al."
        out[key] = (authors, entry.fields["year"])
    return out


class Code(str):
    """A plain code fence (```python ... ```), kept verbatim."""


@dataclass
class Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: str


def segments(text: str) -> list[str | Code | Directive]:
    """Split Markdown into text, plain code fences (:class:`Code`) and directives."""
    lines = text.split("\n")
    out: list[str | Code | Directive] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            out.append("\n".join(plain))
            plain.clear()

    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            plain.append(lines[i])
            i += 1
            continue
        fence = m["fence"]
        close = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        flush()
        if m["directive"] is None:
            out.append(Code("\n".join(lines[i : j + 1])))
        else:
            body = lines[i + 1 : j]
            options = {}
            while body and OPTION.match(body[0]):
                option = OPTION.match(body.pop(0))
                options[option["key"]] = option["value"]
            out.append(Directive(m["directive"], m["rest"].strip(), options, "\n".join(body)))
        i = j + 1
    flush()
    return out


class Chapter:
    """One chapter's conversion: its glue values, exercise titles and executed outputs."""

    def __init__(self, path: Path, site: Site, build: Path = BUILD):
        self.name = path.stem
        self.site = site
        self.source = nbformat.read(path, as_version=4)
        executed = build / "jupyter_execute" / "chapters"
        self.glue = _read_json(executed / f"{self.name}.glue.json")
        self.outputs = {
            c.get("id"): c.get("outputs", [])
            for c in nbformat.read(executed / f"{path.stem}.ipynb", as_version=4).cells
        }
        html = (build / "html" / "chapters" / f"{self.name}.html").read_text()
        self.exercise_titles = {
            div["id"]: div.select_one(".admonition-title").get_text(" ", strip=True)
            for div in BeautifulSoup(html, "html.parser").select("div.exercise[id]")
        }
        self.page = site.url(f"chapters/{self.name}.html")

    # --- inline Markdown ----------------------------------------------------------------

    def inline(self, text: str) -> str:
        """Markdown with labels dropped, roles resolved and download links absolute; code
        fences left as they are."""
        downloads = f'href="{self.site.url("downloads/")}'
        return "\n".join(
            part
            if isinstance(part, Code)
            else ROLE.sub(self._role, LABEL_LINE.sub("", part)).replace(DOWNLOADS, downloads)
            for part in segments(text)
        )

    def _role(self, m: re.Match) -> str:
        role, content = m["role"], m["content"]
        explicit = EXPLICIT.match(content)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, content)
        target = " ".join(target.split())  # a role may wrap over lines, as Sphinx allows
        if role == "term":
            return f"[{text or target}]({self.site.url(self.site.terms[target.lower()])})"
        if role == "ref":
            uri, title = self.site.labels[target]
            return f"[{text or title}]({self.site.url(uri)})"
        if role in ("cite:p", "cite:t"):
            refs = self.site.url("chapters/references.html")
            cited = [self.site.citations[key.strip()] for key in content.split(",")]
            if role == "cite:t":
                return ", ".join(f"[{who} ({year})]({refs})" for who, year in cited)
            return r"\[" + ", ".join(f"[{who}, {year}]({refs})" for who, year in cited) + r"\]"
        if role in PY_ROLES:
            name = target.lstrip("~")
            shown = text or (name.rpartition(".")[2] if target.startswith("~") else name)
            return f"[`{shown}`]({self.site.url(self.site.objects[name])})"
        if role == "glue:text":
            key, _, spec = content.partition(":")
            return format_plain_text(self.glue[key]["data"]["text/plain"], spec)
        raise ValueError(f"{self.name}: role {{{role}}} has no live rendering; add one here")

    # --- cells --------------------------------------------------------------------------

    def notebook(self) -> nbformat.NotebookNode:
        """The live notebook."""
        cells: list = []
        pending: list[str] = []
        solution: list[str] | None = None
        exercise = ""

        def flush(after: str) -> None:
            text = "\n\n".join(p.strip("\n") for p in pending if p.strip())
            pending.clear()
            if text:
                cells.append(_markdown(text, f"{after}-md{len(cells)}"))

        for cell in self.source.cells:
            tags = set(cell.metadata.get("tags", []))
            if "static-only" in tags:
                continue
            if cell.cell_type == "markdown":
                for part in segments(cell.source):
                    if isinstance(part, str):
                        text = part if isinstance(part, Code) else self.inline(part)
                        (pending if solution is None else solution).append(text)
                    elif part.name == "exercise":
                        exercise = self.exercise_titles[part.options["label"]]
                        pending.append(f"**{exercise}**\n\n{self.inline(part.body).strip()}")
                    elif part.name == "solution-start":
                        solution = []
                    elif part.name == "solution-end":
                        pending.append(_details(f"Solution to {exercise}", solution))
                        solution = None
                    else:
                        raise ValueError(f"{self.name}: directive {{{part.name}}} not handled")
                if len(cells) == 0 and pending:
                    flush(cell.get("id"))
                    cells.append(_markdown(self._note(cells[0]), "live-note"))
                continue
            if solution is not None:
                solution.append(self._listing(cell))
                continue
            code = self._code(cell, tags)
            if code is None:
                continue
            flush(cell.get("id"))
            if "skip-execution" in tags:
                cells.append(_markdown(RUN_FIRST, f"{cell.get('id')}-run-first"))
            cells.append(code)
        flush(self.source.cells[-1].get("id"))
        cells = without_dead_cells(cells)
        nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(self.source.metadata))
        nbformat.validate(nb)
        return nb

    def _note(self, title_cell) -> str:
        """What the reader of this live notebook needs to know, said once under its title."""
        title = next(line[2:] for line in title_cell.source.splitlines() if line.startswith("# "))
        text = NOTE.format(title=title, url=self.page, run_all=RUN_ALL)
        sources = [c.source for c in self.source.cells]
        if any("{solution-start}" in src for src in sources):
            text += NOTE_SOLUTIONS
        if any("quiz.show(" in src for src in sources):
            text += NOTE_QUIZ
        return text

    def _code(self, cell, tags: set[str]):
        source = without_glue(cell.source)
        if not source.strip():
            return None
        hidden = None
        if cell.get("id") == "colab-setup":
            hidden = HIDDEN_TITLES["colab-setup"]
        elif "remove-input" in tags:
            hidden = HIDDEN_TITLES["remove-input"]
        elif "remove-cell" in tags and "skip-execution" not in tags:
            hidden = HIDDEN_TITLES["remove-cell"]
        if hidden:
            source = f"# @title {hidden}\n{source}"
        new = nbformat.v4.new_code_cell(source)
        new["id"] = cell.get("id")
        if hidden:
            new.metadata["jupyter"] = {"source_hidden": True}
            new.metadata["cellView"] = "form"
        if "keep_output" in tags:
            new.outputs = copy.deepcopy(cell.get("outputs", []))
            for output in new.outputs:
                if "execution_count" in output:
                    output["execution_count"] = None
        return new

    def _listing(self, cell) -> str:
        """A solution's code cell as a listing, with the output the build gave it."""
        text = f"```python\n{without_glue(cell.source).strip()}\n```"
        shown = []
        for output in self.outputs.get(cell.get("id"), []):
            if output.get("output_type") == "stream":
                shown.append(output["text"])
            elif "text/plain" in output.get("data", {}) and len(output["data"]) == 1:
                shown.append(output["data"]["text/plain"])
            else:
                raise ValueError(f"{self.name}: a solution cell shows a figure; not handled")
        if shown:
            text += "\n\nOutput:\n\n```text\n" + "".join(shown).rstrip("\n") + "\n```"
        return text


def _markdown(text: str, cell_id: str):
    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = cell_id
    return cell


def _details(summary: str, parts: list[str]) -> str:
    body = "\n\n".join(p.strip("\n") for p in parts if p.strip())
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _glue_only(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return getattr(node.value.func, "id", None) == "glue"
    if isinstance(node, ast.ImportFrom):
        return node.module == "myst_nb"
    if isinstance(node, (ast.For, ast.If, ast.With)) and not getattr(node, "orelse", []):
        return all(_glue_only(child) for child in node.body)
    return False


def without_glue(source: str) -> str:
    """``source`` without its glue calls and the import of ``glue`` (a loop or block of
    only glue calls goes too); other lines are kept exactly."""
    drop: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", [])
        for child in body if isinstance(body, list) else []:
            if isinstance(child, ast.stmt) and _glue_only(child):
                drop.update(range(child.lineno, child.end_lineno + 1))
    kept = [line for n, line in enumerate(source.split("\n"), 1) if n not in drop]
    result = "\n".join(kept).strip("\n")
    compile(result, "<live cell>", "exec")
    return result


def _assigned_only(source: str) -> set[str] | None:
    """The names a cell only assigns from plain expressions, or None if it does anything
    else (a call into scalelab computes a result the reader may want to inspect)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            return None
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        if any(ast.unparse(c.func).split(".")[0] in ("sl", "labs", "plots") for c in calls):
            return None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _code_words(cell) -> set[str]:
    """Words of a cell's code: a code cell's source, a Markdown cell's Python listings."""
    if cell.cell_type == "code":
        return set(re.findall(r"\w+", cell.source))
    listings = re.findall(r"^```python\n(.*?)^```", cell.source, flags=re.M | re.S)
    return set(re.findall(r"\w+", "\n".join(listings)))


def without_dead_cells(cells: list) -> list:
    """Drop code cells left with nothing to do once their glue calls are gone: cells that
    only assign names that no other cell or solution listing uses."""
    while True:
        words = [_code_words(c) for c in cells]
        for k, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            names = _assigned_only(cell.source)
            if names is not None and not names & set().union(*words[:k], *words[k + 1 :]):
                del cells[k]
                break
        else:
            return cells


def chapter_paths() -> list[Path]:
    """Every notebook the book's table of contents lists, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def generate() -> dict[Path, str]:
    """``live notebook path -> its JSON text`` for every chapter notebook."""
    site = Site.load()
    return {
        OUT / path.name: nbformat.writes(Chapter(path, site).notebook()) + "\n"
        for path in chapter_paths()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print("out of date (run: python scripts/live_notebooks.py):", *stale, sep="\n  ")
        return 1
    print(f"{'checked' if args.check else 'wrote'}: {len(stale)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
