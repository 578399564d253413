"""Diagrams of declared systems: :func:`diagram` draws any system
:func:`scalelab.simulate` runs as boxes and arrows, with the figures a reader needs
written on the boxes, and :func:`diagram_alt` says the same in words. Both read the
declaration only: nothing is simulated, so a diagram cannot disagree with its system."""

from __future__ import annotations

import math
import textwrap

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .._validate import check_instance
from ._boxes import Plan, plan_of
from ._style import figure

__all__ = ["diagram", "diagram_alt"]

NAME_PT, LINE_PT, NOTE_PT = 12, 11, 10  # font sizes, points
BOX_W, GAP_X, GAP_Y, MARGIN, STACK = 2.55, 0.95, 0.6, 0.1, 0.05  # inches
WRAP = 28  # characters per line of a box at LINE_PT


def _cells(plan: Plan) -> dict[str, tuple[int, int]]:
    """Each box's (row, column): reading order in rows of two, every other row right to
    left (a snake, so consecutive boxes are neighbours), then the plan's own cells."""
    keys = [k for k in plan.nodes if k not in dict(plan.cells)]
    cells = {}
    for i, key in enumerate(keys):
        row, col = divmod(i, 2)
        cells[key] = (row, col if row % 2 == 0 else 1 - col)
    return cells | dict(plan.cells)


def _height(lines: int) -> float:
    """A box's height (inches) for its name and ``lines`` wrapped lines."""
    return (NAME_PT * 1.5 + lines * LINE_PT * 1.25 + 12) / 72


def _border(box: tuple[float, ...], dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from the centre of ``box`` (x, y, width, height, stack offset) along
    (dx, dy) leaves it, its stack included."""
    x, y, w, h, stack = box
    hx = w / 2 + (stack if dx > 0 else 0.0)
    hy = h / 2 + (stack if dy > 0 else 0.0)
    t = min(hx / abs(dx) if dx else math.inf, hy / abs(dy) if dy else math.inf)
    return x + t * dx, y + t * dy


def diagram(system: object, *, title: str | None = None) -> Figure:
    """Draw a declared system as boxes and arrows.

    One box per component with its count and figures (servers x workers, mean service
    times, capacity, cache size and TTL, pool, partitions and their throughput,
    replication and acks, consumers and the idle ones), drawn as a stack when it stands
    for several units, and one arrow per call the declaration makes. A capacity is a
    formula from the declaration, ``servers x workers / mean service time`` for a tier,
    marked as an upper bound (``≤``) when the workers also wait on the next hop. Boxes
    read in rows of two, every other row right to left, so a phone shows them legibly.

    Parameters
    ----------
    system : Station or Chain or RequestResponse or FanOut or EventDriven or BatchServer
        What to draw; any system :func:`scalelab.simulate` runs.
    title : str, optional
        Heading; None: the kind of system.

    Returns
    -------
    matplotlib.figure.Figure
        Closed, with an opaque white background; :func:`diagram_alt` describes it.
    """
    plan = plan_of(system)
    if title is not None:
        check_instance("title", title, str, "a string")
    cells = _cells(plan)
    lines = {
        key: [p for line in n.lines for part in line.split("\n") for p in textwrap.wrap(part, WRAP)]
        for key, n in plan.nodes.items()
    }
    heights = {key: _height(len(lines[key])) for key in plan.nodes}
    rows = max(r for r, _ in cells.values()) + 1
    row_h = [max(heights[k] for k, (r, _) in cells.items() if r == row) for row in range(rows)]
    notes = [part for note in plan.notes for part in textwrap.wrap(note, 72)]
    head, foot = 0.45, 0.3 + len(notes) * NOTE_PT * 1.3 / 72
    width = 2 * MARGIN + 2 * BOX_W + GAP_X + 2 * STACK
    height = head + 2 * STACK + sum(row_h) + (rows - 1) * GAP_Y + foot
    fig, ax = figure(width, height)
    fig.set_layout_engine("none")
    ax.set_position((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    ax.text(MARGIN, height - MARGIN, title or plan.title, fontsize=NAME_PT, weight="bold", va="top")
    boxes = {}
    for key, (row, col) in cells.items():
        node, h = plan.nodes[key], heights[key]
        middle = height - head - 2 * STACK - sum(row_h[:row]) - row * GAP_Y - row_h[row] / 2
        x, y = MARGIN + col * (BOX_W + GAP_X), middle - h / 2
        stack = STACK if node.count > 1 else 0.0
        for k in (2, 1) if stack else ():
            ax.add_patch(_rounded(x + k * stack, y + k * stack, h, node.color, None))
        ax.add_patch(_rounded(x, y, h, node.color, f"box:{key}"))
        top = y + h - 0.08
        ax.text(
            x + BOX_W / 2,
            top if lines[key] else middle,
            node.name,
            ha="center",
            va="top" if lines[key] else "center",
            fontsize=NAME_PT,
            weight="bold",
        )
        if lines[key]:
            ax.text(
                x + BOX_W / 2,
                top - NAME_PT * 1.45 / 72,
                "\n".join(lines[key]),
                ha="center",
                va="top",
                fontsize=LINE_PT,
                linespacing=1.25,
            )
        boxes[key] = (x + BOX_W / 2, middle, BOX_W, h, stack)
    for src, dst, label in plan.edges:
        _arrow(ax, boxes[src], boxes[dst], label, f"arrow:{src}->{dst}")
    if notes:
        ax.text(MARGIN, MARGIN, "\n".join(notes), fontsize=NOTE_PT, color="#444444", va="bottom")
    return fig


def _rounded(x: float, y: float, h: float, color: str, gid: str | None) -> FancyBboxPatch:
    pad = 0.06
    return FancyBboxPatch(
        (x + pad, y + pad),
        BOX_W - 2 * pad,
        h - 2 * pad,
        boxstyle=f"round,pad={pad}",
        facecolor=color,
        edgecolor="#333333",
        linewidth=1.0,
        gid=gid,
    )


def _arrow(ax: Axes, a: tuple, b: tuple, label: str, gid: str) -> None:
    """An arrow between two boxes' borders, its label above it if it is horizontal,
    else to its right."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    start, end = _border(a, dx, dy), _border(b, -dx, -dy)
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            lw=1.4,
            color="#333333",
            shrinkA=2,
            shrinkB=2,
            gid=gid,
        )
    )
    if not label:
        return
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    if abs(dy) < 1e-9:
        ax.text(
            mx,
            my + 0.06,
            "\n".join(textwrap.wrap(label, 12)),
            ha="center",
            va="bottom",
            fontsize=NOTE_PT,
        )
        return
    # Right of the midpoint; above a line that falls to the right, below one that rises.
    va = "center" if not dx else "bottom" if dx * dy < 0 else "top"
    ax.text(mx + 0.08, my, label, ha="left", va=va, fontsize=NOTE_PT)


def diagram_alt(system: object) -> str:
    """Alt text for :func:`diagram` of the same system: every component with its count
    and figures, in the order of the declared calls, an arrow's label in brackets.

    Parameters
    ----------
    system : Station or Chain or RequestResponse or FanOut or EventDriven or BatchServer
        What :func:`diagram` draws.

    Returns
    -------
    str
        E.g. ``"Diagram (request-response): clients -> load balancer (round robin) ->
        app servers (8 servers x 8 workers; ...) -[reads]-> cache (...); app servers
        -[misses, writes]-> database (...). Network 0.5 ms each way per hop."``
    """
    plan = plan_of(system)
    said: set[str] = set()

    def name(key: str) -> str:
        node = plan.nodes[key]
        first = key not in said
        said.add(key)
        return node.alt if first else node.name

    text, last = "", None
    for src, dst, label in plan.edges:
        if src != last:
            text += ("; " if text else "") + name(src)
        text += (f" -[{label}]-> " if label else " -> ") + name(dst)
        last = dst
    notes = "".join(f" {note[0].upper()}{note[1:]}." for note in plan.notes)
    return f"Diagram ({plan.title.lower()}): {text}.{notes}"
