"""Figures of broker durability and exactly-once effects (chapter 5): what each ``acks``
setting costs and loses, what a slow follower does to ``acks="all"``, and which
duplicate deliveries apply their effect twice."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.durability import BrokerDurability, SlowFollower
from ..labs.idempotency import ExactlyOnce
from ._style import formula_marks, log_scale, panels, to_ms

__all__ = ["broker_durability", "slow_follower", "exactly_once"]

_ACKS = {"none": 'acks="none"', "leader": 'acks="leader"', "all": 'acks="all"'}


def broker_durability(data: BrokerDurability) -> Figure:
    """Per ``acks`` setting: what a producer waits for its acknowledgement (p50 and p99,
    before the crash), and the messages the leader's crash lost, with the formula as a
    black tick and the messages producers sent again."""
    rows = data.rows
    y = np.arange(len(rows))
    fig, (wait, lost) = panels(1, 6, 1.6 + 1.3 * len(rows), nrows=2, sharey=True)
    p50, p99 = to_ms([r.ack_p50 for r in rows]), to_ms([r.ack_p99 for r in rows])
    wait.barh(y - 0.2, p50, 0.4, color="tab:blue", label="p50")
    wait.barh(y + 0.2, p99, 0.4, color="tab:cyan", label="p99")
    longest = max([*p99, 1.0])
    for yi, r, top in zip(y, rows, p99, strict=True):
        text = "does not wait" if r.acks == "none" else f"{top:.1f} ms"
        wait.text(top + 0.02 * longest, yi + 0.2, text, va="center", fontsize="small")
    wait.set_xlim(0, 1.35 * longest)
    wait.set_xlabel("producer's wait for the acknowledgement (ms)")
    wait.legend(fontsize="small", loc="upper right")
    lost.barh(y, [r.lost for r in rows], 0.6, color="tab:red", label="lost (simulated)")
    formula_marks(lost, [r.lost_formula for r in rows], y)
    most = max([r.lost for r in rows] + [r.lost_formula for r in rows] + [1.0])
    for yi, r in zip(y, rows, strict=True):
        text = f"{r.lost} lost, {r.retries} sent again"
        if r.refused:
            text += f", {r.refused} refused"
        lost.text(
            max(r.lost, r.lost_formula) + 0.03 * most, yi, text, va="center", fontsize="small"
        )
    lost.set_xlim(0, 2.0 * most)
    lost.set_xlabel("messages lost when the leader crashed")
    lost.legend(fontsize="small", loc="lower right")
    wait.set_yticks(y, [_ACKS[r.acks] for r in rows])
    wait.invert_yaxis()
    crash = "no crash" if data.crash_at is None else f"leader crash at {data.crash_at:g} s"
    wait.set_title(
        f"{data.load:,.0f} messages/s, {data.replication} replicas, followers "
        f"{1000 * data.replication_delay:g} ms behind;\n{crash}",
        fontsize="medium",
    )
    return fig


def slow_follower(data: SlowFollower) -> Figure:
    """``acks="all"``: the producer's wait (p50, and the formula) against the slow
    follower's delay, one line per ``min_insync``, and the share of appends refused once
    the slow follower is out of sync."""
    fig, (wait, refused) = panels(1, 6, 6, nrows=2, sharex=True)
    x = to_ms(data.slow_delays)
    # Lines join points on the same side of max_lag only: the change there is a step.
    sides = [data.slow_delays <= data.max_lag, data.slow_delays > data.max_lag]
    styles = [("o", "-", "tab:blue"), ("s", "--", "tab:orange"), ("^", "-.", "tab:green")]
    for i, needed in enumerate(data.min_insync):
        marker, line, color = styles[i % len(styles)]
        style = {"marker": marker, "linestyle": line, "color": color}
        for k, side in enumerate(sides):
            ok = side & np.isfinite(data.ack_p50[i])
            label = f"min_insync={needed}" if k == 0 else None
            wait.plot(x[ok], to_ms(data.ack_p50[i, ok]), label=label, **style)
            refused.plot(x[side], 100 * data.refused[i, side], label=label, **style)
    for side in sides:
        wait.plot(x[side], to_ms(data.formula[side]), "k:")
    wait.plot([], [], "k:", label="formula: slowest in-sync follower")
    wait.axhline(1000 * data.leader_ack_p50, color="grey", label='acks="leader"')
    for ax in (wait, refused):
        ax.axvline(1000 * data.max_lag, color="tab:red", linestyle=":")
    log_scale(refused, "x")
    wait.text(
        1000 * data.max_lag,
        wait.get_ylim()[1] * 0.95,
        " out of sync",
        color="tab:red",
        va="top",
        fontsize="small",
    )
    wait.set_ylabel('acks="all" wait, p50 (ms)')
    wait.set_ylim(bottom=0)
    wait.legend(fontsize="small", loc="upper left")
    wait.set_title(
        f"{data.replication} replicas, the others {1000 * data.fast_delay:g} ms behind;\n"
        f"{data.load:,.0f} messages/s",
        fontsize="medium",
    )
    refused.set_ylabel("appends refused (%)")
    refused.set_ylim(-5, 105)
    refused.set_xlabel("slow follower's replication delay (ms, log scale)")
    refused.legend(fontsize="small", loc="center left")
    return fig


_SOURCES = {
    "producer_retries": "producer retries after a leader crash",
    "idempotent_producer": "the same, idempotent producer",
    "consumer_crash": "a consumer crash between commits",
}


def exactly_once(data: ExactlyOnce) -> Figure:
    """One panel per source of duplicates: per dedup window, the duplicate deliveries
    split into effects applied twice and deliveries the idempotent consumer skipped,
    with the formula for the duplicate effects as a black tick."""
    sources = list(dict.fromkeys(r.source for r in data.rows))
    fig, axes = panels(1, 6, 0.6 + 1.9 * len(sources), nrows=len(sources), sharex=True)
    for ax, source in zip(axes, sources, strict=True):
        rows = [r for r in data.rows if r.source == source]
        y = np.arange(len(rows))
        twice = [r.duplicate_effects for r in rows]
        ax.barh(y, twice, 0.6, color="tab:red", label="effect applied twice")
        ax.barh(
            y,
            [r.skipped for r in rows],
            0.6,
            left=twice,
            color="tab:green",
            label="skipped (id remembered)",
        )
        formula_marks(ax, [r.duplicate_effects_formula for r in rows], y, "formula: applied twice")
        ax.set_yticks(
            y, ["no dedup" if r.window is None else f"window {r.window:g} s" for r in rows]
        )
        for yi, r in zip(y, rows, strict=True):
            at = max(r.duplicate_deliveries, r.duplicate_effects_formula)
            ax.text(at, yi, f"  {r.duplicate_effects} twice", va="center", fontsize="small")
        ax.invert_yaxis()
        gaps = [r.gap_max for r in rows if r.gap_max]
        gap = f"; redelivered up to {gaps[0]:.2g} s later" if gaps else ""
        ax.set_title(_SOURCES[source] + gap, fontsize="medium")
    most = max([r.duplicate_deliveries for r in data.rows] + [1])
    axes[-1].set_xlim(0, 1.3 * most)
    axes[-1].set_xlabel("messages delivered twice")
    axes[0].legend(fontsize="small", loc="lower right")
    return fig
