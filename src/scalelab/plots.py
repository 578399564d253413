"""Plotting helpers: each takes a result and returns a matplotlib Figure.

Figures use an opaque white background so they stay readable in the site's dark mode.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .experiments import KneeCurve
from .phenomena import (
    ColdCacheCollapse,
    CoordinatedOmission,
    FanOutTail,
    JitterContention,
    MetastableFailure,
    RetryAmplification,
)

__all__ = [
    "plot_knee",
    "plot_retry_amplification",
    "plot_metastable",
    "plot_cold_cache",
    "plot_fanout_tail",
    "plot_coordinated_omission",
    "plot_jitter",
]


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height), facecolor="white", layout="constrained")
    ax.set_facecolor("white")
    ax.grid(alpha=0.3)
    return fig, ax


def plot_knee(curve: KneeCurve) -> Figure:
    """Plot simulated mean and p99 response time (points) over the exact mean (line).

    Parameters
    ----------
    curve : KneeCurve
        From :func:`scalelab.knee_curve`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure()
    ms = 1000.0
    ax.plot(curve.utilization, curve.formula_mean * ms, color="black",
            label=f"M/M/{curve.servers} formula, mean")
    ax.plot(curve.utilization, curve.simulated_mean * ms, "o", color="tab:blue",
            label="simulated, mean")
    ax.plot(curve.utilization, curve.simulated_p99 * ms, "s--", color="tab:red",
            label="simulated, p99")
    ax.set_xlabel("utilization (arrival rate / capacity)")
    ax.set_ylabel("response time (ms)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.set_title(f"{curve.servers} server(s), mean service {curve.mean_service * ms:g} ms, "
                 f"seed {curve.seed}")
    return fig


def plot_retry_amplification(data: RetryAmplification) -> Figure:
    """Goodput and calls per request against offered load, one line per retry count."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), facecolor="white",
                                      layout="constrained")
    for i, r in enumerate(data.retries):
        left.plot(data.load, data.goodput[i], "o-", label=f"{r} retries")
        right.plot(data.load, data.attempts_per_request[i], "o-", label=f"{r} retries")
    left.set_xlabel("offered load (first attempts / capacity)")
    left.set_ylabel("goodput / capacity")
    right.set_xlabel("offered load (first attempts / capacity)")
    right.set_ylabel("calls sent per request")
    for ax in (left, right):
        ax.set_facecolor("white")
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def plot_metastable(data: MetastableFailure) -> Figure:
    """Goodput over time, one panel per variant, with the trigger shaded."""
    names = list(data.goodput)
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 1.6 * len(names) + 0.6),
                             sharex=True, sharey=True, facecolor="white",
                             layout="constrained")
    for ax, name in zip(axes, names, strict=True):
        ax.set_facecolor("white")
        ax.grid(alpha=0.3)
        ax.axvspan(*data.spike, color="tab:red", alpha=0.15)
        ax.axhline(data.base_load, color="grey", linestyle=":")
        ax.fill_between(data.t, data.goodput[name], step="post", alpha=0.5)
        ax.step(data.t, data.goodput[name], where="post")
        ax.set_title(name, loc="left", fontsize="medium")
        ax.set_ylim(0, data.capacity * 1.2)
    axes[-1].set_xlabel("time (s); shaded: load spike; dotted: offered load")
    fig.supylabel("goodput (successful requests/s)")
    return fig


def plot_cold_cache(data: ColdCacheCollapse) -> Figure:
    """Goodput and database queries per second, with the cache loss marked."""
    fig, ax = _figure(9, 4)
    ax.step(data.t, data.goodput, where="post", label="goodput (requests/s)")
    ax.step(data.t, data.db_qps, where="post", label="database queries completed/s")
    ax.axhline(data.db_capacity_qps, color="grey", linestyle=":", label="database capacity")
    ax.axvline(data.flush_at, color="tab:red", linestyle="--", label="cache lost")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("per second")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_fanout_tail(data: FanOutTail) -> Figure:
    """Fraction of slow requests against fan-out: simulated points, formula line."""
    fig, ax = _figure()
    grid = np.unique(np.geomspace(1, data.fanout.max(), 200).round())
    ax.plot(grid, 1 - (1 - data.p_slow) ** grid, color="black", label="formula 1 - (1 - p)^N")
    ax.plot(data.fanout, data.simulated, "o", label="simulated")
    ax.set_xscale("log")
    ax.set_xlabel("fan-out N (backend calls per request)")
    ax.set_ylabel("fraction of requests that are slow")
    ax.set_title(f"each call slow with probability {data.p_slow:g}")
    ax.legend()
    return fig


def plot_coordinated_omission(data: CoordinatedOmission) -> Figure:
    """Latency CDFs measured by an open-loop and a closed-loop generator."""
    fig, ax = _figure()
    for name, values in (("open loop (Poisson)", data.open_latency),
                         ("closed loop", data.closed_latency)):
        x = np.sort(values) * 1000
        ax.plot(x, np.arange(1, x.size + 1) / x.size, label=name)
    ax.axhline(0.99, color="grey", linestyle=":", label="p99")
    ax.set_xscale("log")
    ax.set_xlabel("response time (ms)")
    ax.set_ylabel("fraction of requests at most this slow")
    ax.set_title(f"same server, utilization {data.utilization:.2f}")
    ax.legend(loc="lower right")
    return fig


def plot_jitter(data: JitterContention) -> Figure:
    """Calls made and time to finish, per jitter strategy."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), facecolor="white",
                                      layout="constrained")
    left.bar(data.jitters, data.calls, color="tab:blue")
    left.set_ylabel("calls made (all clients)")
    right.bar(data.jitters, data.completion_time, color="tab:orange")
    right.set_ylabel("seconds until the last client succeeded")
    right.set_yscale("log")
    for ax in (left, right):
        ax.set_facecolor("white")
        ax.grid(alpha=0.3, axis="y")
    return fig
