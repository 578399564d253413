"""Figures of chapter 7: retries, metastable failure, a cold cache, the tail at scale,
coordinated omission and jitter."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.failures import (
    ColdCacheCollapse,
    JitterContention,
    MetastableFailure,
    RetryAmplification,
)
from ..labs.tail_latency import CoordinatedOmission, FanOutTail
from ._style import figure, panels

__all__ = [
    "retry_amplification",
    "metastable",
    "cold_cache",
    "fanout_tail",
    "coordinated_omission",
    "jitter",
]


def retry_amplification(data: RetryAmplification) -> Figure:
    """Goodput and calls per request against offered load, one line per retry count."""
    fig, (left, right) = panels(2, 10, 4)
    for i, r in enumerate(data.retries):
        left.plot(data.load, data.goodput[i], "o-", label=f"{r} retries")
        right.plot(data.load, data.attempts_per_request[i], "o-", label=f"{r} retries")
    left.set_xlabel("offered load (first attempts / capacity)")
    left.set_ylabel("goodput / capacity")
    right.set_xlabel("offered load (first attempts / capacity)")
    right.set_ylabel("calls sent per request")
    for ax in (left, right):
        ax.legend()
    return fig


def metastable(data: MetastableFailure) -> Figure:
    """Goodput over time, one panel per variant, with the trigger shaded."""
    names = list(data.goodput)
    fig, axes = panels(1, 9, 1.6 * len(names) + 0.6, nrows=len(names), sharex=True, sharey=True)
    for ax, name in zip(axes, names, strict=True):
        ax.axvspan(*data.spike, color="tab:red", alpha=0.15)
        ax.axhline(data.base_load, color="grey", linestyle=":")
        ax.fill_between(data.t, data.goodput[name], step="post", alpha=0.5)
        ax.step(data.t, data.goodput[name], where="post")
        ax.set_title(name, loc="left", fontsize="medium")
        ax.set_ylim(0, max(data.capacity * 1.2, float(data.goodput[name].max()) * 1.05))
    axes[-1].set_xlabel("time (s); shaded: load spike; dotted: offered load")
    fig.supylabel("goodput (successful requests/s)")
    return fig


def cold_cache(data: ColdCacheCollapse) -> Figure:
    """Goodput and database queries per second, with the cache loss marked."""
    fig, ax = figure(9, 4)
    ax.step(data.t, data.goodput, where="post", label="goodput (requests/s)")
    ax.step(data.t, data.db_qps, where="post", label="database queries completed/s")
    ax.axhline(data.db_capacity_qps, color="grey", linestyle=":", label="database capacity")
    ax.axvline(data.flush_at, color="tab:red", linestyle="--", label="cache lost")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("per second")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def fanout_tail(data: FanOutTail) -> Figure:
    """Fraction of slow requests against fan-out: simulated points, formula line."""
    fig, ax = figure()
    grid = np.unique(np.geomspace(1, data.fanout.max(), 200).round())
    ax.plot(grid, 1 - (1 - data.p_slow) ** grid, color="black", label="formula 1 - (1 - p)^N")
    ax.plot(data.fanout, data.simulated, "o", label="simulated")
    ax.set_xscale("log")
    ax.set_xlabel("fan-out N (backend calls per request)")
    ax.set_ylabel("fraction of requests that are slow")
    ax.set_title(f"each call slow with probability {data.p_slow:g}")
    ax.legend()
    return fig


def coordinated_omission(data: CoordinatedOmission) -> Figure:
    """Latency CDFs measured by an open-loop and a closed-loop generator."""
    fig, ax = figure()
    for name, values in (
        ("open loop (Poisson)", data.open_latency),
        ("closed loop", data.closed_latency),
    ):
        x = np.sort(values) * 1000
        ax.plot(x, np.arange(1, x.size + 1) / x.size, label=name)
    ax.axhline(0.99, color="grey", linestyle=":", label="p99")
    ax.set_xscale("log")
    ax.set_xlabel("response time (ms)")
    ax.set_ylabel("fraction of requests at most this slow")
    ax.set_title(f"same server, utilization {data.utilization:.2f}")
    ax.legend(loc="lower right")
    return fig


def jitter(data: JitterContention) -> Figure:
    """Calls made and time to finish, per jitter strategy."""
    fig, (left, right) = panels(2, 9, 3.5)
    left.bar(data.jitters, data.calls, color="tab:blue")
    left.set_ylabel("calls made (all clients)")
    right.bar(data.jitters, data.completion_time, color="tab:orange")
    right.set_ylabel("seconds until the last client succeeded")
    right.set_yscale("log")
    return fig
