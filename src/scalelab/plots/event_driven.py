"""Figures of chapter 5: partitions and consumers, lag through a spike, hot partitions,
replay, backpressure, dead letters, staleness and duplicates after a crash."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.delivery import CrashDuplicates, DeadLetters, Staleness
from ..labs.event_driven import (
    Backpressure,
    HotPartitions,
    LagSpike,
    PartitionGrid,
    ReplayWindow,
)
from ._style import figure, log_scale, panels, to_ms

__all__ = [
    "partition_grid",
    "lag_spike",
    "hot_partitions",
    "replay_window",
    "backpressure",
    "dead_letters",
    "staleness",
    "crash_duplicates",
    "lag_point",
]


def partition_grid(data: PartitionGrid) -> Figure:
    """Throughput against consumers, one line per partition count."""
    fig, ax = figure(8, 4)
    for i, p in enumerate(data.partitions):
        (line,) = ax.plot(data.consumers, data.throughput[i], marker="o", label=f"{p} partitions")
        ax.plot(data.consumers, data.formula[i], ":", color=line.get_color())
    ax.plot([], [], "k:", label="formula: min(partitions, consumers) x per consumer")
    ax.set_xlabel("consumers in the group")
    ax.set_ylabel("messages processed per second")
    ax.set_xticks(data.consumers)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def lag_spike(data: LagSpike) -> Figure:
    """Lag through a spike, with the formula's rise and drain drawn over it."""
    fig, ax = figure(9, 4)
    ax.axvspan(data.start, data.end, color="tab:red", alpha=0.1, label="spike")
    ax.plot(data.t, data.lag, label="lag, simulated (messages)")
    if np.isfinite(data.drain_formula):
        ax.plot(
            [data.start, data.end, data.end + data.drain_formula],
            [0, data.peak_formula, 0],
            "k--",
            label=f"formula: +{max(data.spike - data.capacity, 0):,.0f}/s, then "
            f"-{data.capacity - data.base:,.0f}/s",
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("messages waiting")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def hot_partitions(data: HotPartitions) -> Figure:
    """Share of messages per partition, and each partition's lag under skew."""
    fig, (left, right) = panels(2, 10, 3.8)
    parts = np.arange(data.share.shape[1])
    width = 0.8 / len(data.skews)
    for i, s in enumerate(data.skews):
        left.bar(
            parts + (i - (len(data.skews) - 1) / 2) * width,
            data.share[i] * 100,
            width,
            label=f"Zipf s = {s:g}",
        )
    left.axhline(
        data.consumer_rate / data.load * 100,
        color="tab:red",
        linestyle=":",
        label="what one consumer can take",
    )
    left.set_xticks(parts)
    left.set_xlabel("partition")
    left.set_ylabel("share of messages (%)")
    left.legend(fontsize="small")
    for lag in data.lag[-1]:
        right.plot(data.t, lag)
    right.set_xlabel("time (s)")
    right.set_ylabel(f"lag per partition (Zipf s = {data.skews[-1]:g})")
    return fig


def replay_window(data: ReplayWindow) -> Figure:
    """Lag while a replay catches up, and what each retention lets a rebuild recover."""
    fig, (left, right) = panels(2, 10, 3.8)
    left.plot(data.t, data.lag)
    left.axvline(data.replay_at, color="tab:red", linestyle="--", label="rewind to offset 0")
    left.set_xlabel("time (s)")
    left.set_ylabel("messages to (re)process")
    left.legend(fontsize="small")
    labels = ["keep all" if r is None else f"{r:g} s" for r in data.retentions]
    right.bar(labels, data.recoverable * 100, color="tab:green")
    right.set_xlabel("retention")
    right.set_ylabel("read-model keys a rebuild recovers (%)")
    right.set_ylim(0, 105)
    return fig


def backpressure(data: Backpressure) -> Figure:
    """Mean publish latency over time for each producer setting."""
    fig, ax = figure(9, 4)
    ax.axvspan(*data.spike, color="tab:red", alpha=0.1, label="more than the broker takes")
    styles = ("-", "--", "-")
    for label, lat, style in zip(data.labels, data.latency, styles, strict=False):
        ax.plot(data.t, to_ms(lat), style, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean publish latency (ms)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def dead_letters(data: DeadLetters) -> Figure:
    """Final lag and p99 processing delay against attempts per poison message."""
    fig, (left, right) = panels(2, 10, 3.8)
    left.bar([str(n) for n in data.max_attempts], data.final_lag, color="tab:orange")
    left.set_ylabel("lag at the end (messages)")
    right.plot([str(n) for n in data.max_attempts], to_ms(data.p99_completion), marker="o")
    log_scale(right)
    right.set_ylabel("p99 produce-to-processed (ms, log scale)")
    for ax in (left, right):
        ax.set_xlabel("attempts before the dead-letter queue")
    return fig


def staleness(data: Staleness) -> Figure:
    """Share of writes a reader misses, against how long after the write it reads."""
    fig, ax = figure(8, 4)
    for i, u in enumerate(data.utilizations):
        (line,) = ax.plot(
            to_ms(data.delays), data.stale[i] * 100, "o-", label=f"consumer at {u:.0%}"
        )
        ax.plot(to_ms(data.delays), data.formula[i] * 100, ":", color=line.get_color())
    ax.plot([], [], "k:", label="formula (M/M/1): exp(-(mu - lambda) d)")
    log_scale(ax, "x")
    ax.set_xlabel("read this long after the write (ms, log scale)")
    ax.set_ylabel("reads that miss the write (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize="small")
    return fig


def crash_duplicates(data: CrashDuplicates) -> Figure:
    """Duplicates after a crash against the commit interval: simulated and formula."""
    fig, ax = figure(7, 3.8)
    ax.bar(
        [f"{c:g}" for c in data.commit_intervals],
        data.duplicates,
        label="messages processed twice (simulated)",
    )
    ax.plot(
        [f"{c:g}" for c in data.commit_intervals],
        data.formula,
        "k_",
        markersize=28,
        mew=2,
        label="formula: rate x commit interval",
    )
    ax.set_xlabel("commit interval (s; 0 = after every message)")
    ax.set_ylabel("duplicates after one crash")
    ax.legend(fontsize="small")
    return fig


def lag_point(data: LagSpike) -> Figure:
    """:func:`lag_spike` titled with the group's shape: active and idle consumers and
    the capacity they give."""
    fig = lag_spike(data)
    active = min(data.partitions, data.consumers)
    fig.axes[0].set_title(
        f"{data.partitions} partitions, {data.consumers} consumers ({active} active, "
        f"{max(data.consumers - data.partitions, 0)} idle): capacity {data.capacity:,.0f}/s, "
        f"spike {data.spike:,.0f}/s",
        fontsize="medium",
    )
    return fig
