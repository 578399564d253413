"""Figures of the case studies: one case's components tier by tier in both styles, and
one tier's arriving design with what breaks first."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from ..labs.case_designs import STYLES, TIERS
from ..labs.cases import CaseLadder, CaseTier
from ._style import panels
from .diagrams import diagram

__all__ = ["case_ladder", "case_tier"]


def case_ladder(data: CaseLadder) -> Figure:
    """Simulated utilization of one unit of each component at each tier, one panel per
    style (log scale; dotted: the target, dashed: saturation), the first to break at each
    tier (the largest overload by the formula, confirmed by its simulated unit) ringed in
    red and named."""
    fig, axes = panels(2, 13, 4.6, sharey=True)
    x = np.arange(len(TIERS))
    for ax, style in zip(axes, STYLES, strict=True):
        rows = [data.at(style, u) for u in TIERS]
        for k, comp in enumerate(rows[0].components):
            values = [max(r.components[k].simulated, 1e-4) for r in rows]
            ax.plot(x, values, marker="o", label=comp.name)
        for i, r in enumerate(rows):
            if r.breaks_first != "nothing":
                value = r.component(r.breaks_first).simulated
                ax.plot(i, value, "o", ms=14, mfc="none", mec="tab:red", mew=2)
                ax.annotate(
                    r.breaks_first,
                    (i, value),
                    xytext=(0, 12),
                    textcoords="offset points",
                    ha="center" if 0 < i < len(TIERS) - 1 else ("left" if i == 0 else "right"),
                    fontsize=9,
                    color="tab:red",
                )
        target = rows[0].target_utilization
        ax.axhline(target, color="grey", linestyle=":", linewidth=1)
        ax.axhline(1.0, color="tab:red", linestyle="--", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 300)
        ax.set_xticks(x, [f"{u:,}" for u in TIERS])
        ax.set_xlabel("users at peak")
        ax.set_title(f"{data.case.title}: {style}", fontsize=11)
        ax.legend(fontsize="x-small", loc="lower right")
    axes[0].set_ylabel("utilization of one unit (simulated)")
    return fig


def case_tier(data: CaseTier) -> Figure:
    """The arriving design of one tier as one declared cell (:func:`diagram`), titled
    with what breaks first there (its overload by the formula, and as one simulated unit
    measured it) and its fix."""
    where = "" if data.cells == 1 else f" (one of {data.cells:,} cells)"
    if data.breaks_first == "nothing":
        verdict = "nothing breaks"
    else:
        comp = data.component(data.breaks_first)
        verdict = (
            f"breaks first: {data.breaks_first} ({comp.utilization:.2f}x what its units "
            f"complete; one simulated unit {comp.simulated:.2f}x). Fix: {data.fix}"
        )
    fig = diagram(data.system, title=f"{data.users:,} users, {data.style}{where}")
    lines = textwrap.wrap(verdict, 56)
    width, height = fig.get_size_inches()
    extra = 0.1 + 0.2 * len(lines)
    fig.set_size_inches(width, height + extra)
    fig.axes[0].set_position((0, 0, 1, height / (height + extra)))
    fig.text(
        0.1 / width,
        1 - 0.1 / (height + extra),
        "\n".join(lines),
        va="top",
        fontsize=11,
        color="tab:red" if data.breaks_first != "nothing" else "tab:green",
    )
    return fig
