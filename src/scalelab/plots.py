"""Plotting helpers: each takes a result and returns a matplotlib Figure.

Figures use an opaque white background so they stay readable in the site's dark mode.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ._validate import check_int, check_positive
from .comparisons import ChainAvailability, SyncAsync, chain_availability
from .distributions import Exponential
from .experiments import KneeCurve, Pooling
from .ladder import ARCHITECTURES, FIXES, Assumptions, NaiveRuns, Rung, utilizations
from .phenomena import (
    ColdCacheCollapse,
    CoordinatedOmission,
    FanOutTail,
    JitterContention,
    MetastableFailure,
    RetryAmplification,
)
from .results import TIMED_OUT, SimulationResult
from .simulate import simulate
from .theory import mmc
from .topology import Station
from .workload import Poisson

__all__ = [
    "plot_ladder_utilization",
    "plot_naive_runs",
    "plot_ladder_units",
    "plot_ladder_point",
    "plot_architectures",
    "plot_sync_vs_async",
    "plot_chain",
    "plot_chain_availability",
    "plot_knee",
    "plot_pooling",
    "plot_latency_histogram",
    "plot_operating_point",
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
    # Closed at once: the caller displays the returned figure, so notebooks never show a
    # figure twice (once as the value, once from pyplot's list of open figures).
    plt.close(fig)
    return fig, ax


def _panels(ncols: int, width: float, height: float, **kw: object) -> tuple[Figure, list]:
    fig, axes = plt.subplots(1 if "nrows" not in kw else kw.pop("nrows"), ncols,
                             figsize=(width, height), facecolor="white",
                             layout="constrained", **kw)
    plt.close(fig)
    axes = list(np.ravel(axes))
    for ax in axes:
        ax.set_facecolor("white")
        ax.grid(alpha=0.3)
    return fig, axes


def plot_knee(curve: KneeCurve) -> Figure:
    """Plot simulated mean and p99 response time (points with 95% intervals) over the
    exact mean (and, for one server, the exact p99) as lines.

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
    ax.errorbar(curve.utilization, curve.simulated_mean * ms, curve.mean_half_width * ms,
                fmt="o", color="tab:blue", capsize=3, label="simulated mean, 95% CI")
    if curve.formula_p99 is not None:
        ax.plot(curve.utilization, curve.formula_p99 * ms, color="tab:red", linewidth=1,
                label="M/M/1 formula, p99")
    ax.errorbar(curve.utilization, curve.simulated_p99 * ms, curve.p99_half_width * ms,
                fmt="s", color="tab:red", capsize=3, label="simulated p99, 95% CI")
    ax.set_xlabel("utilization (arrival rate / capacity)")
    ax.set_ylabel("response time (ms)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.set_title(f"{curve.servers} server(s), mean service {curve.mean_service * ms:g} ms, "
                 f"{curve.replications} runs of {curve.requests:,} requests per point")
    return fig


def plot_pooling(data: Pooling) -> Figure:
    """Mean and p99 response time of one shared queue against separate queues."""
    fig, ax = _figure()
    ms = 1000.0
    ax.plot(data.utilization, data.split_formula * ms, color="tab:orange", linewidth=1,
            label=f"{data.servers} separate queues, formula (M/M/1)")
    ax.plot(data.utilization, data.pooled_formula * ms, color="tab:blue", linewidth=1,
            label=f"one shared queue, formula (M/M/{data.servers})")
    ax.plot(data.utilization, data.split_mean * ms, "o", color="tab:orange",
            label="separate, simulated mean")
    ax.plot(data.utilization, data.pooled_mean * ms, "o", color="tab:blue",
            label="shared, simulated mean")
    ax.plot(data.utilization, data.split_p99 * ms, "s--", color="tab:orange", alpha=0.6,
            label="separate, simulated p99")
    ax.plot(data.utilization, data.pooled_p99 * ms, "s--", color="tab:blue", alpha=0.6,
            label="shared, simulated p99")
    ax.set_yscale("log")
    ax.set_xlabel("utilization of each server")
    ax.set_ylabel("response time (ms, log scale)")
    ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_latency_histogram(result: SimulationResult, bins: int = 60) -> Figure:
    """Histogram of a run's latencies with the mean, p50, p95 and p99 marked."""
    fig, ax = _figure()
    ms = 1000.0
    values = result.latencies() * ms
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.6)
    stats = result.latency
    for label, value, style in (("mean", stats.mean, "-"), ("p50", stats.p50, "--"),
                                ("p95", stats.p95, "-."), ("p99", stats.p99, ":")):
        ax.axvline(value * ms, color="black", linestyle=style,
                   label=f"{label} {value * ms:.0f} ms")
    ax.set_xlabel("response time (ms)")
    ax.set_ylabel("requests")
    ax.legend()
    return fig


def plot_operating_point(arrival_rate: float = 80.0, servers: int = 1,
                         mean_service: float = 0.01, seed: int = 1) -> Figure:
    """The latency curve of an M/M/c station and where ``arrival_rate`` puts it.

    The line is the exact M/M/c mean; the marked point is a fresh simulation of 20,000
    requests at the chosen rate (exact fast path, a few milliseconds). At or beyond
    capacity there is no steady state, and the figure says so instead of plotting a point.
    This is the callback of chapter 2's live widget.

    Parameters
    ----------
    arrival_rate : float
        Requests per second (> 0).
    servers : int
        Servers sharing one queue, 1 to 64.
    mean_service : float
        Mean service time, seconds (> 0).
    seed : int
        Seed (>= 0).
    """
    check_positive("arrival_rate", arrival_rate)
    check_int("servers", servers, low=1, high=64)
    check_positive("mean_service", mean_service)
    capacity = servers / mean_service
    fig, ax = _figure()
    ms = 1000.0
    rho = np.linspace(0.01, 0.97, 200)
    curve = [mmc(u * capacity, 1 / mean_service, servers).mean_response * ms for u in rho]
    ax.plot(rho * capacity, curve, color="black", label=f"M/M/{servers} mean (formula)")
    utilization = arrival_rate / capacity
    if utilization < 1:
        result = simulate(Station(servers=servers, service=Exponential(mean_service)),
                          Poisson(arrival_rate), 20_000 / arrival_rate, seed=seed)
        ax.plot([arrival_rate], [result.latency.mean * ms], "o", color="tab:blue",
                markersize=9, label=f"simulated mean {result.latency.mean * ms:.1f} ms")
        ax.plot([arrival_rate], [result.latency.p99 * ms], "s", color="tab:red",
                markersize=8, label=f"simulated p99 {result.latency.p99 * ms:.1f} ms")
        ax.set_title(f"{arrival_rate:g} requests/s on {servers} server(s): "
                     f"utilization {utilization:.0%}")
    else:
        ax.set_title(f"{arrival_rate:g} requests/s >= capacity {capacity:g}/s: "
                     "no steady state, the queue grows without bound", color="tab:red")
    ax.axvline(capacity, color="tab:red", linestyle=":", label=f"capacity {capacity:g}/s")
    ax.set_xlabel("arrival rate (requests/s)")
    ax.set_ylabel("response time (ms)")
    ax.set_ylim(0, max(curve) * 1.1)
    ax.set_xlim(0, capacity * 1.25)
    ax.legend(loc="upper left")
    return fig


def plot_retry_amplification(data: RetryAmplification) -> Figure:
    """Goodput and calls per request against offered load, one line per retry count."""
    fig, (left, right) = _panels(2, 10, 4)
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


def plot_metastable(data: MetastableFailure) -> Figure:
    """Goodput over time, one panel per variant, with the trigger shaded."""
    names = list(data.goodput)
    fig, axes = _panels(1, 9, 1.6 * len(names) + 0.6, nrows=len(names), sharex=True,
                        sharey=True)
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
    fig, (left, right) = _panels(2, 9, 3.5)
    left.bar(data.jitters, data.calls, color="tab:blue")
    left.set_ylabel("calls made (all clients)")
    right.bar(data.jitters, data.completion_time, color="tab:orange")
    right.set_ylabel("seconds until the last client succeeded")
    right.set_yscale("log")
    return fig


def _box(ax: plt.Axes, x: float, y: float, text: str, color: str) -> None:
    ax.add_patch(FancyBboxPatch((x - 0.55, y - 0.28), 1.1, 0.56,
                                boxstyle="round,pad=0.05", facecolor=color,
                                edgecolor="black"))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def _arrow(ax: plt.Axes, x0: float, x1: float, y: float, text: str, dy: float = 0.0) -> None:
    ax.annotate("", xy=(x1, y + dy), xytext=(x0, y + dy),
                arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.text((x0 + x1) / 2, y + dy + (0.12 if dy >= 0 else -0.16), text, ha="center",
            fontsize=8)


def plot_architectures() -> Figure:
    """Diagrams of a synchronous and an asynchronous version of the same write API."""
    fig, (top, bottom) = _panels(1, 10, 4.0, nrows=2)
    for ax in (top, bottom):
        ax.set_xlim(0, 10)
        ax.set_ylim(-0.75, 0.45)
        ax.axis("off")
    top.set_title("request-response: the client waits until the database has answered",
                  loc="left", fontsize=11)
    for x, label in ((1, "client"), (4, "API servers"), (7, "database")):
        _box(top, x, 0, label, "#dbe9f6")
    _arrow(top, 1.6, 3.4, 0, "request", 0.12)
    _arrow(top, 3.4, 1.6, 0, "200 OK (after the write)", -0.12)
    _arrow(top, 4.6, 6.4, 0, "query", 0.12)
    _arrow(top, 6.4, 4.6, 0, "result", -0.12)
    top.text(4, -0.6, "worker held for the whole call", ha="center", fontsize=8)
    bottom.set_title("event-driven: the client gets 202 Accepted; consumers do the work later",
                     loc="left", fontsize=11)
    for x, label, color in ((1, "client", "#dbe9f6"), (3.3, "API servers", "#dbe9f6"),
                            (5.6, "broker log\n(partitions)", "#fde2c8"),
                            (7.6, "consumers", "#e3f1dd"), (9.4, "database", "#dbe9f6")):
        _box(bottom, x, 0, label, color)
    _arrow(bottom, 1.6, 2.7, 0, "request", 0.12)
    _arrow(bottom, 2.7, 1.6, 0, "202", -0.12)
    _arrow(bottom, 3.9, 5.0, 0, "publish", 0.12)
    _arrow(bottom, 5.0, 3.9, 0, "ack", -0.12)
    _arrow(bottom, 6.2, 7.0, 0, "poll", 0.0)
    _arrow(bottom, 8.2, 8.8, 0, "", 0.0)
    bottom.text(5.6, -0.6, "durable, ordered per partition, replayable", ha="center",
                fontsize=8)
    return fig


def plot_sync_vs_async(data: SyncAsync) -> Figure:
    """Client latency, database load and backlog over time for both versions."""
    fig, axes = _panels(1, 9, 8, nrows=3, sharex=True)
    runs = (("request-response", data.sync, "tab:blue"),
            ("event-driven", data.async_, "tab:orange"))
    for ax in axes:
        ax.axvspan(*data.spike, color="tab:red", alpha=0.12)
    for name, result, color in runs:
        latency = result.timeseries("latency", bin_width=0.5)
        axes[0].step(latency.t, latency.values * 1000, where="post", color=color,
                     label=name)
        db = result.timeseries("db.completions", bin_width=0.5)
        axes[1].step(db.t, db.values, where="post", color=color, label=name)
    axes[1].axhline(data.db_capacity_qps, color="grey", linestyle=":",
                    label="database capacity")
    lag = data.async_.timeseries("lag", bin_width=0.5)
    waiting = data.sync.timeseries("in_flight", bin_width=0.5)
    axes[2].plot(waiting.t, waiting.values, color="tab:blue",
                 label="request-response: requests in flight")
    axes[2].plot(lag.t, lag.values, color="tab:orange",
                 label="event-driven: consumer lag (messages)")
    axes[0].set_ylabel("client latency (ms)")
    axes[0].set_yscale("log")
    axes[1].set_ylabel("database queries/s")
    axes[2].set_ylabel("backlog")
    axes[2].set_xlabel("time (s); shaded: load spike")
    for ax in axes:
        ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_chain(data: ChainAvailability) -> Figure:
    """Success rate and latency of a synchronous chain against its number of hops."""
    fig, (left, right) = _panels(2, 10, 4)
    every = np.arange(1, data.hops.max() + 1)
    left.plot(every, data.availability ** every * 100, color="black",
              label=f"formula {data.availability:g}^n")
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


def plot_chain_availability(max_hops: int = 8, availability: float = 0.99,
                            requests: int = 200, seed: int = 1) -> Figure:
    """Simulate a synchronous chain and plot it: chapter 1's live-widget callback.

    To answer a slider quickly it simulates three chain lengths (1, half, all of
    ``max_hops``) with ``requests`` requests each; the formula line covers every length.
    Parameters are those of :func:`scalelab.chain_availability`.
    """
    lengths = (1, max(1, max_hops // 2), max_hops)
    return plot_chain(chain_availability(max_hops=max_hops, availability=availability,
                                         requests=requests, seed=seed, lengths=lengths))


def plot_ladder_utilization(a: Assumptions | None = None) -> Figure:
    """Utilization of each component of both naive deployments against users (formula),
    log-log: the order in which components cross 1 is the order in which they break.
    ``a`` defaults to ``Assumptions()``."""
    a = Assumptions() if a is None else a
    users = np.geomspace(100, 1e8, 200)
    fig, axes = _panels(2, 11, 4.2, sharey=True)
    for ax, arch in zip(axes, ARCHITECTURES, strict=True):
        curves = [utilizations(u, arch, a) for u in users]
        for name in curves[0]:
            values = np.array([c[name] for c in curves])
            crossing = users[np.argmax(values >= 1)] if (values >= 1).any() else None
            label = f"{name} (saturates at {crossing:,.0f} users)" if crossing else \
                f"{name} (never saturates)"
            ax.plot(users, values, label=label)
        ax.axhline(1.0, color="tab:red", linestyle="--", linewidth=1)
        ax.axhline(a.target_utilization, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(arch, loc="left")
        ax.set_xlabel("users at peak")
        ax.legend(fontsize="small", loc="upper left")
    axes[0].set_ylabel("utilization (load / capacity)")
    return fig


def plot_naive_runs(data: NaiveRuns) -> Figure:
    """Both naive deployments over time at one user count: client latency and timeouts
    against consumer lag, and what the database carries in each."""
    fig, axes = _panels(3, 13, 3.8)
    sync, asyn = data.sync, data.async_
    latency = sync.timeseries("latency", bin_width=0.5)
    axes[0].step(latency.t, latency.values * 1000, where="post", label="request-response")
    done = asyn.timeseries("latency", bin_width=0.5)
    axes[0].step(done.t, done.values * 1000, where="post", label="event-driven (202)")
    axes[0].set_ylabel("client latency (ms)")
    axes[0].set_yscale("log")
    timeouts = sync.status == TIMED_OUT
    counts, edges = np.histogram(sync.arrival[timeouts], np.arange(0, sync.duration + 0.5, 0.5))
    axes[1].step(edges[:-1], counts / 0.5, where="post", label="request-response timeouts/s")
    lag = asyn.timeseries("lag", bin_width=0.5)
    axes[1].plot(lag.t, lag.values / 100, color="tab:orange",
                 label="event-driven lag (hundreds of messages)")
    for name, result in (("request-response", sync), ("event-driven", asyn)):
        db = result.timeseries("db.completions", bin_width=0.5)
        axes[2].step(db.t, db.values, where="post", label=name)
    axes[2].set_ylabel("database queries/s")
    for ax in axes:
        ax.set_xlabel("time (s)")
        ax.legend(fontsize="small", loc="upper left")
    fig.suptitle(f"{data.users:,} users, naive deployments (simulated)")
    return fig


def plot_ladder_units(rungs: list[Rung]) -> Figure:
    """Units of the bottleneck component each rung's fix needs (formula), per
    architecture, annotated with the simulated p99 of one unit at its share."""
    fig, ax = _figure(8, 4.2)
    for arch, marker in zip(ARCHITECTURES, ("o", "s"), strict=True):
        rows = [r for r in rungs if r.architecture == arch]
        ax.plot([r.users for r in rows], [r.units for r in rows], marker + "-", label=arch)
        for r in rows[1:]:
            ax.annotate(f"{r.units:,} x {r.bottleneck}\n(one: p99 {r.unit_p99 * 1000:.0f} ms)",
                        (r.users, r.units), textcoords="offset points",
                        xytext=(6, -16 if marker == "o" else 4), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("users at peak")
    ax.set_ylabel("units of the bottleneck needed at target utilization")
    ax.legend(loc="upper left")
    return fig


def plot_ladder_point(users: float = 10_000.0, architecture: str = "request-response",
                      rate_per_user: float = 0.1) -> Figure:
    """Utilization of each component at one user count (formula), bottleneck in red,
    with the fix in the title: chapter 3's live-widget callback."""
    a = Assumptions(rate_per_user=rate_per_user)
    util = utilizations(users, architecture, a)
    worst = max(util, key=util.get)
    fig, ax = _figure(7, 3.6)
    colors = ["tab:red" if name == worst else "tab:blue" for name in util]
    ax.barh(list(util), list(util.values()), color=colors)
    ax.axvline(1.0, color="tab:red", linestyle="--", linewidth=1)
    ax.axvline(a.target_utilization, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("utilization (load / capacity, formula); dashed: saturation")
    fix = FIXES[worst] if util[worst] > a.target_utilization else "nothing yet"
    ax.set_title(f"{users:,.0f} users ({users * rate_per_user:,.0f} req/s), {architecture}: "
                 f"first to give out: {worst} ({util[worst]:,.2f}x). Fix: {fix}",
                 fontsize=9, wrap=True)
    return fig
