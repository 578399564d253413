"""The flashcards (``_ext/flashcards.py``): cards from small fixture doctrees, stable ids
and the writers, then (marked ``built``) the deck and CSV of the built site, checked
against the book's sources read independently."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import zipfile
from itertools import takewhile
from pathlib import Path
from textwrap import indent
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import genanki
import nbformat
import pytest
import yaml
from conftest import CHAPTERS, ROOT, SITE, glossary_terms, load_script
from docutils import nodes
from docutils.core import publish_doctree
from sphinx import addnodes

import scalelab as sl

fc = load_script(ROOT / "_ext" / "flashcards.py")

URL = "https://example.org/book/chapters/"
BASEURL = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
CHAPTER = fc.Chapter.from_docname("chapters/02_queues_and_utilization", URL + "02.html")


def _chapter_notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def _rst(text: str) -> nodes.document:
    return publish_doctree(text, settings_overrides={"report_level": 5, "doctitle_xform": False})


def _quiz_script(questions: list[dict]) -> str:
    """A quiz cell's script output, as JupyterQuiz writes it."""
    return f"var questionsAbC12={json.dumps(questions)};\nfunction try_show() {{}}"


QUESTIONS = [
    sl.quiz.numeric_question(
        "Rate 2,000/s at 50 ms: requests in flight?", 100.0, explanation="L = 2,000 x 0.05."
    ),
    sl.quiz.choice_question(
        "Which grows faster near saturation?",
        [("The mean.", False, "It grows too, but slower."), ("The p99.", True, "The tail.")],
    ),
    sl.quiz.numeric_question("Partitions for 120 consumers?", 120, rel_tol=0.0),
]


def chapter_doctree(lead: str = "**Little's law.** ") -> nodes.document:
    """A chapter with a quiz and two takeaways, the first opening with ``lead``."""
    script = _quiz_script(QUESTIONS).replace("\n", "\n   ")
    return _rst(
        f"""
Queues
======

Check yourself
--------------

.. raw:: html

   <script type="application/javascript">{script}</script>

Key takeaways
-------------

- {lead}It holds: :math:`L = \\lambda W`, for pools *and* ``threads``.
- **Tail versus mean.** The tail grows faster than the mean.

  A second paragraph.

Review them as flashcards.
"""
    )


def glossary_doctree() -> nodes.document:
    doc = _rst("Glossary\n========\n")
    items = []
    for terms, text in ((["Lag", "Consumer lag"], "How far behind"), (["Offset"], "A position")):
        term_nodes = [nodes.term(t, t, ids=[f"term-{t.replace(' ', '-')}"]) for t in terms]
        definition = nodes.definition("", nodes.paragraph("", text, nodes.math("", "a < b")))
        items.append(nodes.definition_list_item("", *term_nodes, definition))
    doc[0] += addnodes.glossary("", nodes.definition_list("", *items))
    return doc


TABLE = """
============  =====================  ===========================================
What          Formula                Where
============  =====================  ===========================================
Little's law  :math:`L = \\lambda W`   `Queues <02_queues.html#littles-law>`_
Availability  :math:`a^n`            Chapter 1
============  =====================  ===========================================

====  =
What  x
====  =
Not   a
====  =
"""
# The formulas under a section heading, or under a rubric (a heading inside a div).
FORMULAS = _rst(f"Cheat sheet\n===========\n\nFormulas\n--------\n{TABLE}")
FORMULAS_IN_A_DIV = _rst(
    ".. container::\n\n   .. rubric:: Formulas\n      :name: formulas\n" + indent(TABLE, "   ")
)


def cards() -> list:
    return (
        fc.glossary_cards(glossary_doctree(), URL + "glossary.html")
        + fc.takeaway_cards(chapter_doctree(), CHAPTER)
        + fc.question_cards(chapter_doctree(), CHAPTER)
        + fc.formula_cards(FORMULAS, "formulas", URL + "cheat_sheet.html")
    )


# --- cards from fixture doctrees -----------------------------------------------------------


def test_a_glossary_entry_is_its_terms_to_its_definition():
    lag, offset = fc.glossary_cards(glossary_doctree(), URL + "glossary.html")
    assert (lag.front, lag.key, lag.deck) == ("Lag / Consumer lag", "Lag", "Glossary")
    assert lag.back == r"<p>How far behind\(a &lt; b\)</p>"
    assert lag.link == URL + "glossary.html#term-Lag"
    assert offset.csv_row() == ("Offset", r"A position\(a < b\)", "Glossary", offset.link)


def test_a_takeaway_is_its_lead_to_the_rest():
    doctree = chapter_doctree()
    doctree.next_node(nodes.list_item)[0].insert(0, nodes.Text(""))  # as MyST writes it
    little, tail = fc.takeaway_cards(doctree, CHAPTER)
    assert CHAPTER.deck == "02 Queues and utilization"
    assert little.front == "Chapter 2, Queues and utilization: Little's law"
    assert little.key == "Little's law"
    assert little.back == (
        r"<p>It holds: \(L = \lambda W\), for pools <i>and</i> <code>threads</code>.</p>"
    )
    assert tail.back == "<p>The tail grows faster than the mean.</p><p>A second paragraph.</p>"
    assert tail.link == URL + "02.html#key-takeaways"


def test_a_takeaway_without_a_bold_lead_stops_the_build():
    with pytest.raises(ValueError, match="no bold lead"):
        fc.takeaway_cards(chapter_doctree(lead=""), CHAPTER)


def test_questions_become_cards_with_their_computed_answers():
    numeric, choice, exact = fc.question_cards(chapter_doctree(), CHAPTER)
    assert [c.key for c in (numeric, choice, exact)] == ["1", "2", "3"]
    assert numeric.front == "<p>Rate 2,000/s at 50 ms: requests in flight?</p>"
    assert numeric.back == "<p>100. L = 2,000 x 0.05.</p>"
    assert choice.csv_row()[:2] == (
        "Which grows faster near saturation?\nA. The mean.\nB. The p99.",
        "B. The p99.\nThe tail.",
    )
    assert exact.back == "<p>120.</p>"
    assert numeric.link == URL + "02.html#check-yourself"


def test_a_chapter_without_a_quiz_has_no_question_cards():
    assert fc.question_cards(_rst("Title\n=====\n\nText.\n"), CHAPTER) == []
    assert fc.quiz_questions("var questionsX; fetch(url)") == []


@pytest.mark.parametrize("doctree", [FORMULAS, FORMULAS_IN_A_DIV], ids=["section", "rubric"])
def test_a_formula_row_is_its_name_to_the_formula_and_where(doctree):
    little, availability = fc.formula_cards(doctree, "formulas", URL + "cheat_sheet.html")
    assert (little.front, little.back) == ("Formula: Little's law", r"<p>\(L = \lambda W\)</p>")
    assert little.source == "Chapter 2, Queues"  # the linked chapter, named as elsewhere
    assert little.link == URL + "02_queues.html#littles-law"
    assert availability.link == URL + "cheat_sheet.html#formulas"
    assert availability.source == "Cheat sheet"


# --- ids -----------------------------------------------------------------------------------


def test_ids_follow_keys_not_wording_or_typography():
    card = cards()[0]
    reworded = fc.Card(**{**vars(card), "front": "New", "back": "<p>new words</p>"})
    retyped = fc.Card(**{**vars(card), "key": "LAG!"})
    renamed = fc.Card(**{**vars(card), "key": "Another"})
    assert reworded.guid == retyped.guid == card.guid
    assert renamed.guid != card.guid
    assert fc.slug("Little\u2019s law") == fc.slug("Little's law") == "little-s-law"


def test_the_id_scheme_is_pinned():
    """Changing these values makes every reader's next import duplicate their cards."""
    lag = cards()[0]
    assert (lag.deck, lag.kind, lag.key) == ("Glossary", "glossary", "Lag")
    assert lag.guid == genanki.guid_for("scalelab", "Glossary", "glossary", "lag") == "EE)JUthk6c"
    assert fc.stable_id("deck", "Glossary") == 1661730888
    assert fc.MODEL.model_id == 1119911047


def test_every_card_has_its_own_id():
    guids = [c.guid for c in cards()]
    assert len(set(guids)) == len(guids) == 2 + 2 + 3 + 2


def read_apkg(path: Path, tmp_path: Path) -> tuple[list[dict], dict[str, int]]:
    """The notes of a package (guid, fields, tags, deck name) and its decks' ids."""
    with zipfile.ZipFile(path) as z:
        z.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    names = {int(i): d["name"] for i, d in decks.items()}
    rows = db.execute(
        "SELECT n.guid, n.flds, n.tags, c.did FROM notes n JOIN cards c ON c.nid = n.id"
        " ORDER BY n.id"
    )
    notes = [
        {"guid": g, "fields": f.split("\x1f"), "tags": t.split(), "deck": names[did]}
        for g, f, t, did in rows
    ]
    db.close()
    return notes, {d["name"]: d["id"] for d in decks.values()}


def test_two_writes_give_the_same_ids(tmp_path):
    ids = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        fc.write_apkg(cards(), tmp_path / run / "deck.apkg")
        notes, decks = read_apkg(tmp_path / run / "deck.apkg", tmp_path / run)
        ids.append(([n["guid"] for n in notes], decks))
    assert ids[0] == ids[1]
    guids, decks = ids[0]
    assert guids == [c.guid for c in cards()]
    assert decks["scalelab::02 Queues and utilization"] == fc.stable_id(
        "deck", "02 Queues and utilization"
    )
    assert {"scalelab::Glossary", "scalelab::Formulas"} < set(decks)


def test_the_csv_reads_back_as_the_cards(tmp_path):
    fc.write_csv(cards(), tmp_path / "cards.csv")
    with (tmp_path / "cards.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["term", "answer", "chapter", "link"]
    assert [tuple(r) for r in rows[1:]] == [c.csv_row() for c in cards()]


def test_only_a_successful_html_build_writes_cards(tmp_path):
    for name, exception in (("singlehtml", None), ("latex", None), ("html", RuntimeError())):
        app = SimpleNamespace(builder=SimpleNamespace(name=name), outdir=str(tmp_path))
        fc.build_finished(app, exception)
    assert list(tmp_path.iterdir()) == []


def _markdown(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return "".join(c.source for c in cells if c.cell_type == "markdown")


def test_every_chapter_and_its_live_notebook_link_to_the_deck_and_csv():
    """The chapter relative to the site, its live notebook to the published site."""
    for path in _chapter_notebooks():
        chapter, live = _markdown(path), _markdown(ROOT / "notebooks" / path.name)
        for text, prefix in ((chapter, "../"), (live, BASEURL)):
            for suffix in ("apkg", "csv"):
                assert f'href="{prefix}downloads/scalelab-flashcards.{suffix}"' in text, path.name
        assert "<study-tools>`" in chapter, f"{path.name}: no link to the study-tools page"


# --- the built deck and CSV ----------------------------------------------------------------

BUILT_APKG = SITE / "downloads" / "scalelab-flashcards.apkg"
BUILT_CSV = SITE / "downloads" / "scalelab-flashcards.csv"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "chapters"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> SimpleNamespace:
    if not BUILT_APKG.exists():
        pytest.fail(f"{BUILT_APKG} is missing; build the book first (make book)")
    notes, decks = read_apkg(BUILT_APKG, tmp_path_factory.mktemp("apkg"))
    with BUILT_CSV.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    return SimpleNamespace(notes=notes, decks=decks, header=header, rows=rows)


def test_deck_names_keep_the_chapters_hyphens():
    names = {fc.Chapter.from_docname(f"chapters/{p.stem}", "").deck for p in CHAPTERS.glob("0*")}
    assert {"04 Scaling request-response", "05 Scaling event-driven", "06 Trade-offs"} <= names


def _deck(path: Path) -> str:
    return fc.Chapter.from_docname(f"chapters/{path.stem}", "").deck


def executed_questions() -> dict[Path, list[dict]]:
    """Each chapter's self-check questions, from the notebooks the build executed."""
    found = {}
    for path in _chapter_notebooks():
        questions = []
        for cell in nbformat.read(EXECUTED / path.name, as_version=4).cells:
            for output in cell.get("outputs", []):
                script = output.get("data", {}).get("application/javascript", "")
                start = re.search(r"var questions\w+=", script)
                if start:
                    questions += json.JSONDecoder().raw_decode(script, start.end())[0]
        found[path] = questions
    return found


def takeaway_leads() -> dict[Path, list[str]]:
    leads = {}
    for path in _chapter_notebooks():
        cell = next(
            c.source
            for c in nbformat.read(path, as_version=4).cells
            if "## Key takeaways\n" in c.source
        )
        section = cell.split("## Key takeaways\n")[1].split("\n## ")[0]
        leads[path] = re.findall(r"^- \*\*(.+?)\.\*\*", section, flags=re.M)
        assert len(leads[path]) == len(re.findall(r"^- ", section, flags=re.M)), path.name
    return leads


def formula_names() -> list[str]:
    """The What column of the formulas table of the cheat sheet, if the book has one."""
    sheet = CHAPTERS / "cheat_sheet.md"
    if not sheet.exists():
        return []
    lines = sheet.read_text().split("(cheat-formulas)=")[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = list(takewhile(lambda line: line.startswith("|"), lines[start:]))
    return [row.split("|")[1].strip() for row in table[2:]]  # after the header and |---|


@pytest.mark.built
def test_the_package_is_a_zipped_collection_with_one_note_per_csv_row(built):
    assert zipfile.is_zipfile(BUILT_APKG)
    assert built.header == ["term", "answer", "chapter", "link"]
    assert len(built.notes) == len(built.rows) > 0


@pytest.mark.built
def test_every_glossary_term_is_a_card(built):
    terms = glossary_terms()
    fronts = {n["fields"][0].split(" / ")[0] for n in built.notes if "glossary" in n["tags"]}
    assert len(terms) > 50
    assert sorted(map(fc.slug, fronts)) == sorted(map(fc.slug, terms))


@pytest.mark.built
def test_every_self_check_question_is_a_card(built):
    questions = executed_questions()
    assert sum(map(len, questions.values())) > 50
    for path, chapter_questions in questions.items():
        fronts = [
            fc.plain(n["fields"][0])
            for n in built.notes
            if "question" in n["tags"] and n["deck"] == f"scalelab::{_deck(path)}"
        ]
        assert [f.split("\n")[0] for f in fronts] == [q["question"] for q in chapter_questions]


@pytest.mark.built
def test_every_takeaway_and_formula_is_a_card(built):
    for path, leads in takeaway_leads().items():
        fronts = [
            n["fields"][0]
            for n in built.notes
            if "takeaway" in n["tags"] and n["deck"] == f"scalelab::{_deck(path)}"
        ]
        in_deck = [fc.slug(fc.plain(f).split(": ", 1)[1]) for f in fronts]
        assert in_deck == [fc.slug(lead) for lead in leads], path.name
    fronts = [fc.plain(n["fields"][0]) for n in built.notes if "formula" in n["tags"]]
    expected = [f"Formula: {name}" for name in formula_names()]
    assert list(map(fc.slug, fronts)) == list(map(fc.slug, expected))  # curly quotes
    assert all(front.startswith("Formula: ") for front in fronts)


@pytest.mark.built
def test_ids_are_the_keys_so_every_build_gives_the_same(built):
    def guid(deck: str, kind: str, key: str) -> str:
        return genanki.guid_for("scalelab", deck, kind, fc.slug(key))

    expected = {guid("Glossary", "glossary", term) for term in glossary_terms()}
    for path, leads in takeaway_leads().items():
        expected |= {guid(_deck(path), "takeaway", lead) for lead in leads}
    for path, questions in executed_questions().items():
        expected |= {guid(_deck(path), "question", str(k)) for k in range(1, len(questions) + 1)}
    expected |= {guid("Formulas", "formula", name) for name in formula_names()}
    assert sorted(n["guid"] for n in built.notes) == sorted(expected)
    for name, deck_id in built.decks.items():
        if name.startswith("scalelab::"):
            assert deck_id == fc.stable_id("deck", name.removeprefix("scalelab::")), name


@pytest.mark.built
def test_the_csv_holds_the_cards_of_the_deck(built):
    from_deck = [
        [fc.plain(n["fields"][0]), fc.plain(n["fields"][1]), n["fields"][2], n["fields"][3]]
        for n in built.notes
    ]
    assert built.rows == from_deck


@pytest.mark.built
def test_every_link_is_a_section_of_the_built_site(built):
    pages: dict[Path, str] = {}
    missing = []
    for _, _, _, link in built.rows:
        assert link.startswith(BASEURL), link
        url = urlparse(link.removeprefix(BASEURL))
        page = SITE / unquote(url.path)
        if page not in pages:
            pages[page] = page.read_text(encoding="utf-8") if page.exists() else ""
        if f'id="{unquote(url.fragment)}"' not in pages[page] or not url.fragment:
            missing.append(link)
    assert missing == []
