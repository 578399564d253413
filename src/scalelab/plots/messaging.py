"""Figures of queues against logs, consumer concurrency and events out of a database
(chapter 11)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.db_events import DbEvents
from ..labs.queues_logs import PartitionConcurrency, QueueVsLog, VisibilityTimeouts
from ._style import figure, formula_marks, log_scale, panels

__all__ = ["queue_vs_log", "visibility_timeouts", "partition_concurrency", "events_from_db"]

_DESIGNS = {
    "log": ("partitioned log", "o", "-", "tab:blue"),
    "queue": ("standard queue", "s", "--", "tab:orange"),
    "fifo_queue": ("FIFO queue (key groups)", "^", "-.", "tab:green"),
}


def queue_vs_log(data: QueueVsLog) -> Figure:
    """Per design: messages processed per second against consumers (formula dotted), and
    the share of messages that took effect after a newer message of their key."""
    fig, (rate, order) = panels(1, 6, 6.4, nrows=2, sharex=True)
    designs = list(dict.fromkeys(r.design for r in data.rows))
    for design in designs:
        rows = [r for r in data.rows if r.design == design]
        label, marker, line, color = _DESIGNS[design]
        x = [r.consumers for r in rows]
        rate.plot(x, [r.throughput for r in rows], marker=marker, ls=line, color=color, label=label)
        rate.plot(x, [r.throughput_formula for r in rows], ":", color=color)
        share = [100 * r.out_of_order_share for r in rows]
        order.plot(x, share, marker=marker, ls=line, color=color, label=label)
    rate.plot([], [], "k:", label="formula")
    rate.axhline(data.load, color="grey", lw=1)
    rate.text(min(r.consumers for r in data.rows), data.load, " offered", va="bottom")
    rate.set_ylabel("messages processed per second")
    rate.set_ylim(0, 1.15 * data.load)
    rate.legend(fontsize="small", loc="center right")
    rate.set_title(
        f"{data.load:,.0f} messages/s offered, {data.mean_processing * 1000:g} ms of work each, "
        f"{data.partitions} partitions;\n{data.n_keys:,} keys (Zipf)",
        fontsize="medium",
    )
    order.set_ylabel("processed out of key order (%)")
    order.set_xlabel("consumers")
    return fig


def visibility_timeouts(data: VisibilityTimeouts) -> Figure:
    """Duplicate processings per message against the visibility timeout (relative to the
    mean work), simulated and by the formula, with an idempotent consumer's duplicate
    effects written beside each point."""
    fig, ax = figure(6, 4.4)
    x = np.array([r.timeout / data.mean_processing for r in data.rows])
    sim = np.array([r.duplicates_per_message for r in data.rows])
    formula = np.array([r.duplicates_formula for r in data.rows])
    shown = sim > 0
    ax.plot(x[shown], sim[shown], "o", color="tab:red", label="simulated")
    ax.plot(x, formula, "k:", label="formula: p / (1 - p), p = exp(-timeout / mean)")
    for r, xi, yi in zip(data.rows, x, np.where(shown, sim, formula), strict=True):
        ax.annotate(
            f"idempotent: {r.duplicate_effects_idempotent}",
            (xi, yi),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize="small",
        )
    log_scale(ax, "y")
    ax.set_xlabel("visibility timeout / mean processing time")
    ax.set_ylabel("duplicate processings per message")
    ax.set_xlim(0, 1.25 * x.max())
    ax.legend(fontsize="small", loc="lower left")
    ax.set_title(
        f"Exponential work of mean {data.mean_processing:g} s, {data.consumers} consumers",
        fontsize="medium",
    )
    return fig


def partition_concurrency(data: PartitionConcurrency) -> Figure:
    """Per key spread: messages one partition's consumer processes per second against
    its threads (offered ``utilization`` of them), with the sustainable rate by the
    formula; hollow markers where the partition fell behind."""
    fig, ax = figure(6, 4.4)
    styles = {"uniform": ("o", "tab:blue", "10,000 uniform keys"), "zipf": ("s", "tab:red", "")}
    for spread in dict.fromkeys(r.keys for r in data.rows):
        rows = [r for r in data.rows if r.keys == spread]
        marker, color, label = styles[spread]
        label = label or "100 Zipf keys (hottest 19%)"
        x = [r.concurrency for r in rows]
        ax.plot(x, [r.throughput for r in rows], color=color, label=label)
        for r in rows:
            face = color if r.keeps_up else "white"
            ax.plot(r.concurrency, r.throughput, marker, color=color, mfc=face, ms=8)
        ax.plot(x, [r.sustainable_formula for r in rows], ":", color=color)
    ax.plot([], [], "k:", label="sustainable: min(threads x mu, mu / hottest share)")
    ax.plot([], [], "ko", mfc="white", label="fell behind (its lag grows)")
    log_scale(ax, "x")
    log_scale(ax, "y")
    threads = sorted({r.concurrency for r in data.rows})
    ax.set_xticks(threads, [str(c) for c in threads])
    ax.set_xlabel("messages in flight per partition (threads, key order kept)")
    ax.set_ylabel("messages processed per second")
    ax.legend(fontsize="small", loc="upper left")
    ax.set_title(
        f"One partition, {data.mean_processing * 1000:g} ms of work a message, offered "
        f"{100 * data.utilization:.0f}% of the threads",
        fontsize="medium",
    )
    return fig


_DB_DESIGNS = {
    "dual_write": "dual write\n(commit, publish)",
    "publish_first": "dual write\n(publish, commit)",
    "outbox": "transactional\noutbox",
    "cdc": "change data\ncapture",
}


def events_from_db(data: DbEvents) -> Figure:
    """Per design: events lost, phantom and published twice through one crash (formula
    as black ticks), and the commit-to-event window, steady and at its worst."""
    rows = data.rows
    y = np.arange(len(rows))
    fig, (counts, window) = panels(1, 6.4, 1.8 + 1.5 * len(rows), nrows=2, sharey=True)
    kinds = [
        ("lost", "lost_formula", "tab:red", "lost"),
        ("phantom", "phantom_formula", "tab:purple", "phantom"),
        ("duplicates", "duplicates_formula", "tab:orange", "published twice"),
    ]
    for k, (field, formula, color, label) in enumerate(kinds):
        offset = (k - 1) * 0.27
        values = [getattr(r, field) for r in rows]
        counts.barh(y + offset, values, 0.27, color=color, label=label)
        formula_marks(counts, [getattr(r, formula) for r in rows], y + offset, None)
    for yi, r in zip(y, rows, strict=True):
        said = [f"{v:,} {word}" for v, word in ((r.lost, "lost"), (r.phantom, "phantom")) if v]
        said += [f"{r.duplicates:,} twice"] if r.duplicates else []
        said += [f"{r.refused:,} writes refused"] if r.refused else []
        top = max(r.lost, r.phantom, r.duplicates, 1)
        counts.text(1.5 * top, yi, "; ".join(said) or "none", va="center", fontsize="small")
    counts.plot([], [], "k|", markersize=12, mew=2, label="formula")
    counts.set_xscale("symlog", linthresh=1)
    counts.set_xlim(0, 3000 * max(max(r.duplicates, r.lost, r.phantom, 1) for r in rows))
    counts.set_xlabel("events (symmetric log scale)")
    counts.legend(fontsize="small", loc="upper right")
    # A window nothing measured (no write before the crash, none published) has no bar.
    steady = [abs(r.window_steady) * 1000 if np.isfinite(r.window_steady) else 0 for r in rows]
    worst = [abs(r.window_max) * 1000 if np.isfinite(r.window_max) else 0 for r in rows]
    window.barh(y - 0.2, steady, 0.4, color="tab:blue", label="steady (median)")
    window.barh(y + 0.2, worst, 0.4, color="tab:cyan", label="worst, through the outage")
    log_scale(window, "x")
    window.set_xlim(right=30 * max([*worst, 1.0]))
    window.set_xlabel("commit to event published, either order (ms)")
    window.legend(fontsize="small", loc="lower right")
    counts.set_yticks(y, [_DB_DESIGNS[r.design] for r in rows])
    counts.invert_yaxis()
    counts.set_title(
        f"{data.write_rate:,.0f} writes/s; one crash after {data.crash_at:g} s, broker down "
        f"{data.outage_start:g}-{data.outage_end:g} s",
        fontsize="medium",
    )
    return fig
