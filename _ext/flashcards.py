"""Flashcards of the book, written at the end of each HTML build: one Anki package
(``downloads/scalelab-flashcards.apkg``) and the same cards as a CSV
(``downloads/scalelab-flashcards.csv``, columns ``term, answer, chapter, link``).

Sources, read from the resolved doctrees (glued numbers filled in) of every document, not
only the pages this run wrote, so an incremental build writes the same files:

- **Glossary**: each term of a ``{glossary}`` -> its definition.
- **Key takeaways**: each bullet of a chapter's *Key takeaways* section opens with a bold
  lead (``**Little's law.** ...``): "Chapter N, <name>: <lead>" -> the rest of the bullet.
  A bullet without a lead stops the build.
- **Formulas**: each row of the table in the section labelled ``cheat-formulas``
  (columns What | Formula | Where): the name -> the formula and the chapter it links to.
- **Self-check questions**: the JupyterQuiz data that each chapter's quiz cell outputs
  (``var questions<id>=[...]``, with the answers the chapter computed): the question and
  its options -> the correct answer and its explanation.

A chapter is a document ``chapters/NN_<slug>``: its deck is "NN <Slug>" under the parent
deck ``scalelab`` (``scalelab::02 Queues and utilization``); glossary and formula cards go
to ``scalelab::Glossary`` and ``scalelab::Formulas``. Every card's back ends with a link to
its page and section on the published site (``html_baseurl``). Math becomes ``\\(...\\)``
and ``\\[...\\]``, which Anki typesets.

Ids. Anki recognises a note by its GUID and a deck or note type by its id, so a newer
package re-imported over an older one updates cards in place. None of them hashes the
wording: a note's GUID is ``guid_for("scalelab", deck, kind, slug(key))``, where the key
is the glossary term, the takeaway's lead, the formula's name or the question's position
in its chapter (1, 2, ...), and the slug drops case, punctuation and typography (curly
or straight quotes); deck and model ids hash their names. Rewording a definition, a
takeaway, a formula or a question (or the numbers a simulation computes) updates its
card; renaming a term, a lead or a formula, or inserting a question before others, makes
new cards (add questions at the end of a quiz to keep the others' ids).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase
from urllib.parse import urljoin, urlparse

import genanki
from docutils import nodes
from sphinx import addnodes

NAME = "scalelab"
FILES = "downloads/scalelab-flashcards"
CSV_COLUMNS = ("term", "answer", "chapter", "link")
CHAPTER = re.compile(r"^chapters/(?P<number>\d+)_(?P<slug>\w+)$")
QUIZ = re.compile(r"var questions\w*\s*=\s*(?=\[)")
FORMULAS_LABEL = "cheat-formulas"
TAKEAWAYS = "Key takeaways"
# File names cannot hold the hyphens of the chapters' words; deck names put them back.
HYPHENATED = {
    "trade offs": "trade-offs",
    "request response": "request-response",
    "event driven": "event-driven",
}


def slug(key: str) -> str:
    """``key`` without case, punctuation or typography (curly or straight quotes):
    "Little's law" -> "little-s-law"."""
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def stable_id(*parts: str) -> int:
    """An Anki id (deck, note type) from names: the same names give the same id."""
    digest = hashlib.sha256("\x1f".join((NAME, *parts)).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


@dataclass(frozen=True)
class Card:
    deck: str  # subdeck of "scalelab": "02 Queues and utilization", "Glossary", "Formulas"
    kind: str  # glossary, takeaway, formula or question
    key: str  # what names the card whatever its wording (see the module docstring)
    front: str  # HTML
    back: str  # HTML
    source: str  # where it comes from, the text of the link on its back
    link: str  # absolute URL of its page and section

    @property
    def guid(self) -> str:
        return genanki.guid_for(NAME, self.deck, self.kind, slug(self.key))

    def csv_row(self) -> tuple[str, str, str, str]:
        return (plain(self.front), plain(self.back), self.source, self.link)


@dataclass(frozen=True)
class Chapter:
    number: int
    name: str  # from the file name: "06_trade_offs" -> "Trade-offs"
    url: str  # of its page

    @classmethod
    def from_docname(cls, docname: str, url: str) -> Chapter:
        m = CHAPTER.match(docname)
        name = m["slug"].replace("_", " ")
        for words, written in HYPHENATED.items():
            name = name.replace(words, written)
        return cls(int(m["number"]), name.capitalize(), url)

    @property
    def deck(self) -> str:
        return f"{self.number:02d} {self.name}"

    @property
    def title(self) -> str:
        return f"Chapter {self.number}, {self.name}"


# --- doctree -> HTML -----------------------------------------------------------------------

TAGS = {
    nodes.strong: "b",
    nodes.emphasis: "i",
    nodes.literal: "code",
    nodes.paragraph: "p",
    nodes.bullet_list: "ul",
    nodes.enumerated_list: "ol",
    nodes.list_item: "li",
}


def to_html(*parts: nodes.Node) -> str:
    """Anki HTML for doctree nodes: text, emphasis, code, lists and math; links become
    their text."""
    return " ".join("".join(_html(part) for part in parts).split())


def _html(node: nodes.Node) -> str:
    if isinstance(node, nodes.Text):
        return html.escape(node.astext(), quote=False)
    if isinstance(node, nodes.math):
        return html.escape(rf"\({node.astext()}\)", quote=False)
    if isinstance(node, nodes.math_block):
        return html.escape(rf"\[{node.astext()}\]", quote=False)
    if isinstance(node, nodes.Invisible | nodes.raw):
        return ""
    inner = "".join(_html(child) for child in node.children)
    tag = TAGS.get(type(node))
    return f"<{tag}>{inner}</{tag}>" if tag else inner


def plain(fragment: str) -> str:
    """The text of a card's HTML, for the CSV: paragraphs and list items on their own
    lines, math left as ``\\(...\\)``."""
    text = re.sub(r"</?(?:p|ul|ol)>|<br>", "\n", fragment.replace("<li>", "\n- "))
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _section(node: nodes.Node) -> nodes.section:
    while not isinstance(node, nodes.section):
        node = node.parent
    return node


# --- the four sources ----------------------------------------------------------------------


def glossary_cards(doctree: nodes.document, url: str) -> list[Card]:
    """One card per glossary entry: its term (and aliases) -> its definition."""
    cards = []
    for glossary in doctree.findall(addnodes.glossary):
        for item in glossary.findall(nodes.definition_list_item):
            terms = [child for child in item.children if isinstance(child, nodes.term)]
            definition = item.next_node(nodes.definition)
            names = [term.astext() for term in terms]
            cards.append(
                Card(
                    deck="Glossary",
                    kind="glossary",
                    key=names[0],
                    front=html.escape(" / ".join(names), quote=False),
                    back=to_html(*definition.children),
                    source="Glossary",
                    link=f"{url}#{terms[0]['ids'][0]}",
                )
            )
    return cards


def takeaway_cards(doctree: nodes.document, chapter: Chapter) -> list[Card]:
    """One card per bullet of the chapter's Key takeaways: its bold lead -> the rest."""
    sections = [s for s in doctree.findall(nodes.section) if s[0].astext() == TAKEAWAYS]
    if not sections:
        raise ValueError(f"{chapter.title} has no '{TAKEAWAYS}' section")
    section = sections[0]
    cards = []
    for item in section.next_node(nodes.bullet_list).children:
        paragraph = item[0]
        # MyST starts a paragraph with an empty text node.
        lead, *rest = [c for c in paragraph.children if c.astext() or not isinstance(c, nodes.Text)]
        if not isinstance(lead, nodes.strong):
            raise ValueError(
                f"{chapter.title}: a {TAKEAWAYS} bullet has no bold lead "
                f"(write '- **Lead.** ...'): {item.astext()[:70]!r}"
            )
        name = lead.astext().rstrip(".")
        cards.append(
            Card(
                deck=chapter.deck,
                kind="takeaway",
                key=name,
                front=html.escape(f"{chapter.title}: {name}", quote=False),
                back=f"<p>{to_html(*rest)}</p>{to_html(*item[1:])}",
                source=chapter.title,
                link=f"{chapter.url}#{section['ids'][0]}",
            )
        )
    return cards


def quiz_questions(script: str) -> list[dict]:
    """The JupyterQuiz questions in a quiz cell's script output (none if it has none)."""
    m = QUIZ.search(script)
    return json.JSONDecoder().raw_decode(script, m.end())[0] if m else []


def question_card(question: dict, position: int, chapter: Chapter, anchor: str) -> Card:
    """A self-check question -> its correct answer, with the explanation."""
    front = f"<p>{html.escape(question['question'], quote=False)}</p>"
    correct = next(a for a in question["answers"] if a.get("correct"))
    feedback = html.escape(correct["feedback"], quote=False)
    if question["type"] == "multiple_choice":
        options = [
            f"{ascii_uppercase[i]}. {html.escape(a['answer'], quote=False)}"
            for i, a in enumerate(question["answers"])
        ]
        front += f"<p>{'<br>'.join(options)}</p>"
        back = f"<p><b>{options[question['answers'].index(correct)]}</b></p><p>{feedback}</p>"
    elif question["type"] == "numeric":
        back = f"<p>{feedback.removeprefix('Correct: ')}</p>"
    else:
        raise ValueError(f"{chapter.title}: question type {question['type']!r} not handled")
    return Card(
        deck=chapter.deck,
        kind="question",
        key=str(position),
        front=front,
        back=back,
        source=chapter.title,
        link=f"{chapter.url}#{anchor}",
    )


def question_cards(doctree: nodes.document, chapter: Chapter) -> list[Card]:
    """One card per self-check question of the chapter, numbered in page order."""
    found = [
        (question, _section(raw)["ids"][0])
        for raw in doctree.findall(nodes.raw)
        for question in quiz_questions(raw.astext())
    ]
    return [
        question_card(question, position, chapter, anchor)
        for position, (question, anchor) in enumerate(found, 1)
    ]


def formula_cards(doctree: nodes.document, label_id: str, url: str) -> list[Card]:
    """One card per row of the formulas table, the first after the label (a heading is a
    section, or a rubric inside a container): its name -> the formula and where."""
    heading = next(n for n in doctree.findall(nodes.Element) if label_id in n["ids"])
    table = heading.next_node(nodes.table, siblings=True)
    header = [entry.astext().strip() for entry in table.next_node(nodes.thead).findall(nodes.entry)]
    what, formula, where = (header.index(column) for column in ("What", "Formula", "Where"))
    cards = []
    for row in table.next_node(nodes.tbody).children:
        name = row[what].astext().strip()
        # "Ch. 2" in the table; the chapter's full name on the card, as on the others. A
        # row that links no chapter ("arithmetic") is from the cheat sheet.
        link, source = f"{url}#{label_id}", "Cheat sheet"
        reference = row[where].next_node(nodes.reference)
        if reference:
            link = urljoin(url, reference["refuri"])
            page = "chapters/" + urlparse(link).path.rpartition("/")[2].removesuffix(".html")
            if CHAPTER.match(page):
                source = Chapter.from_docname(page, link).title
        cards.append(
            Card(
                deck="Formulas",
                kind="formula",
                key=name,
                front=f"Formula: {html.escape(name, quote=False)}",
                back=to_html(*row[formula].children),
                source=source,
                link=link,
            )
        )
    return cards


def collect(app) -> list[Card]:
    """Every card of the book: glossary, then each chapter's takeaways and questions,
    then the formulas."""
    env, builder = app.env, app.builder

    def url(docname: str) -> str:
        return app.config.html_baseurl + builder.get_target_uri(docname)

    std = env.get_domain("std")
    cards = []
    for docname in sorted({doc for (kind, _), (doc, _) in std.objects.items() if kind == "term"}):
        cards += glossary_cards(env.get_and_resolve_doctree(docname, builder), url(docname))
    for docname in sorted(d for d in env.found_docs if CHAPTER.match(d)):
        doctree = env.get_and_resolve_doctree(docname, builder)
        chapter = Chapter.from_docname(docname, url(docname))
        cards += takeaway_cards(doctree, chapter) + question_cards(doctree, chapter)
    if FORMULAS_LABEL in std.labels:
        docname, label_id, _ = std.labels[FORMULAS_LABEL]
        doctree = env.get_and_resolve_doctree(docname, builder)
        cards += formula_cards(doctree, label_id, url(docname))
    duplicates = [guid for guid, n in Counter(c.guid for c in cards).items() if n > 1]
    if duplicates:
        keys = [(c.deck, c.kind, c.key) for c in cards if c.guid in duplicates]
        raise ValueError(f"two cards share an id (same deck, kind and key): {keys}")
    return cards


# --- writers -------------------------------------------------------------------------------

MODEL = genanki.Model(
    stable_id("model", "card"),
    "scalelab card",
    fields=[{"name": name} for name in ("Front", "Back", "Source", "Link")],
    templates=[
        {
            "name": "Card",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'
            '<p class="source"><a href="{{Link}}">{{Source}}</a></p>',
        }
    ],
    css=".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
    ".source { font-size: 14px; }\n",
)


def write_apkg(cards: list[Card], path: Path) -> None:
    """One package: a subdeck of "scalelab" per deck, one note per card."""
    decks: dict[str, genanki.Deck] = {}
    for card in cards:
        if card.deck not in decks:
            decks[card.deck] = genanki.Deck(stable_id("deck", card.deck), f"{NAME}::{card.deck}")
        fields = [card.front, card.back, card.source, card.link]
        decks[card.deck].add_note(genanki.Note(MODEL, fields, guid=card.guid, tags=[card.kind]))
    genanki.Package(list(decks.values())).write_to_file(path)


def write_csv(cards: list[Card], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(card.csv_row() for card in cards)


def build_finished(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    cards = collect(app)
    out = Path(app.outdir, FILES)
    out.parent.mkdir(exist_ok=True)
    write_apkg(cards, out.with_suffix(".apkg"))
    write_csv(cards, out.with_suffix(".csv"))


def setup(app):
    app.connect("build-finished", build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
