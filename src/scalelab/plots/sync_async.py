"""Figures of chapters 1 and 6: the two architectures as diagrams, one API both ways
through a spike and over steady loads, and a call chain's availability."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..labs.sync_async import ChainAvailability, SyncAsync, SyncAsyncSweep
from ._style import figure, log_scale, panels, to_ms

__all__ = ["architectures", "sync_vs_async", "chain", "sync_async_sweep"]


def _box(ax: plt.Axes, x: float, y: float, text: str, color: str) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.55, y - 0.28),
            1.1,
            0.56,
            boxstyle="round,pad=0.05",
            facecolor=color,
            edgecolor="black",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax: plt.Axes, x0: float, x1: float, y: float, text: str, dy: float = 0.0) -> None:
    ax.annotate(
        "", xy=(x1, y + dy), xytext=(x0, y + dy), arrowprops={"arrowstyle": "->", "lw": 1.5}
    )
    ax.text((x0 + x1) / 2, y + dy + (0.12 if dy >= 0 else -0.16), text, ha="center", fontsize=8)


def architectures() -> Figure:
    """Diagrams of a synchronous and an asynchronous version of the same write API."""
    fig, (top, bottom) = panels(1, 10, 4.0, nrows=2)
    for ax in (top, bottom):
        ax.set_xlim(0, 10)
        ax.set_ylim(-0.75, 0.45)
        ax.axis("off")
    top.set_title(
        "request-response: the client waits until the database has answered",
        loc="left",
        fontsize=11,
    )
    for x, label in ((1, "client"), (4, "API servers"), (7, "database")):
        _box(top, x, 0, label, "#dbe9f6")
    _arrow(top, 1.6, 3.4, 0, "request", 0.12)
    _arrow(top, 3.4, 1.6, 0, "200 OK (after the write)", -0.12)
    _arrow(top, 4.6, 6.4, 0, "query", 0.12)
    _arrow(top, 6.4, 4.6, 0, "result", -0.12)
    top.text(4, -0.6, "worker held for the whole call", ha="center", fontsize=8)
    bottom.set_title(
        "event-driven: the client gets 202 Accepted; consumers do the work later",
        loc="left",
        fontsize=11,
    )
    for x, label, color in (
        (1, "client", "#dbe9f6"),
        (3.3, "API servers", "#dbe9f6"),
        (5.6, "broker log\n(partitions)", "#fde2c8"),
        (7.6, "consumers", "#e3f1dd"),
        (9.4, "database", "#dbe9f6"),
    ):
        _box(bottom, x, 0, label, color)
    _arrow(bottom, 1.6, 2.7, 0, "request", 0.12)
    _arrow(bottom, 2.7, 1.6, 0, "202", -0.12)
    _arrow(bottom, 3.9, 5.0, 0, "publish", 0.12)
    _arrow(bottom, 5.0, 3.9, 0, "ack", -0.12)
    _arrow(bottom, 6.2, 7.0, 0, "poll", 0.0)
    _arrow(bottom, 8.2, 8.8, 0, "", 0.0)
    bottom.text(5.6, -0.6, "durable, ordered per partition, replayable", ha="center", fontsize=8)
    return fig


def sync_vs_async(data: SyncAsync) -> Figure:
    """Client latency, database load and backlog over time for both versions."""
    fig, axes = panels(1, 9, 8, nrows=3, sharex=True)
    runs = (
        ("request-response", data.sync, "tab:blue"),
        ("event-driven", data.async_, "tab:orange"),
    )
    for ax in axes:
        ax.axvspan(*data.spike, color="tab:red", alpha=0.12)
    for name, result, color in runs:
        latency = result.timeseries("latency", bin_width=0.5)
        axes[0].step(latency.t, latency.values * 1000, where="post", color=color, label=name)
        db = result.timeseries("db.completions", bin_width=0.5)
        axes[1].step(db.t, db.values, where="post", color=color, label=name)
    axes[1].axhline(data.db_capacity_qps, color="grey", linestyle=":", label="database capacity")
    lag = data.async_.timeseries("lag", bin_width=0.5)
    waiting = data.sync.timeseries("in_flight", bin_width=0.5)
    axes[2].plot(
        waiting.t, waiting.values, color="tab:blue", label="request-response: requests in flight"
    )
    axes[2].plot(
        lag.t, lag.values, color="tab:orange", label="event-driven: consumer lag (messages)"
    )
    axes[0].set_ylabel("client latency, timeouts included (ms)")
    axes[0].set_yscale("log")
    axes[1].set_ylabel("database queries/s")
    axes[2].set_ylabel("backlog")
    axes[2].set_xlabel("time (s); shaded: load spike")
    for ax in axes:
        ax.legend(loc="upper right", fontsize="small")
    return fig


def chain(data: ChainAvailability) -> Figure:
    """Success rate and latency of a synchronous chain against its number of hops."""
    fig, (left, right) = panels(2, 10, 4)
    every = np.arange(1, data.hops.max() + 1)
    left.plot(
        every,
        data.availability**every * 100,
        color="black",
        label=f"formula {data.availability:g}^n",
    )
    left.plot(data.hops, data.simulated * 100, "o", label="simulated")
    left.set_xlabel("services in the chain (n)")
    left.set_ylabel("requests that succeed (%)")
    left.legend()
    right.plot(data.hops, data.p50 * 1000, "o-", label="p50")
    right.plot(data.hops, data.p99 * 1000, "s-", label="p99")
    right.set_xlabel("services in the chain (n)")
    right.set_ylabel("latency of successful requests (ms)")
    right.set_ylim(bottom=0)
    right.legend()
    return fig


def sync_async_sweep(data: SyncAsyncSweep) -> Figure:
    """What clients wait for, and when the write is done, in both styles against load."""
    fig, ax = figure(8, 4)
    x = data.utilizations * 100
    ax.plot(
        x,
        to_ms(data.client_p99["sync"]),
        "o-",
        color="tab:blue",
        label="sync: client p99 = write done p99",
    )
    ax.plot(
        x,
        to_ms(data.client_p99["async"]),
        "s-",
        color="tab:orange",
        label="async: client p99 (202 Accepted)",
    )
    ax.plot(
        x,
        to_ms(data.done_p99["async"]),
        "s--",
        color="tab:orange",
        label="async: write done p99 (staleness)",
    )
    log_scale(ax)
    ax.set_xlabel("load (% of database capacity)")
    ax.set_ylabel("p99 (ms, log scale)")
    ax.legend(fontsize="small")
    return fig
