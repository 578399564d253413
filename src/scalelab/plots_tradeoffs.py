"""Figures of the trade-off and failure chapters (6 and 7), with the widgets' callbacks."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._streams import stream
from ._validate import check_int, check_real
from .batching import BatchingCurve, batch_capacity, batch_finish_times
from .comparisons import SyncAsyncSweep
from .phenomena import retry_storm
from .plots import _figure, _panels, plot_metastable
from .plots_scaling import _log, _ms
from .scaling_async import CrashDuplicates
from .workload import Poisson

__all__ = ["plot_batching", "plot_batching_point", "plot_retry_storm", "plot_sync_async_sweep",
           "plot_crash_duplicates"]


def plot_batching(data: BatchingCurve) -> Figure:
    """Capacity against batch size, and p99 against batch size at each load."""
    fig, (left, right) = _panels(2, 10, 4)
    left.plot(data.batch_sizes, data.capacity, "k--", label="capacity (formula)")
    left.plot(data.batch_sizes, data.throughput.max(axis=1), "o",
              label=f"most completed (simulated, {data.loads.max():,.0f}/s offered at most)")
    left.axhline(1 / data.per_item, color="grey", linestyle=":", label="limit: 1 / per-item cost")
    _log(left, "x")
    left.set_xlabel("batch size (log scale)")
    left.set_ylabel("requests per second")
    left.set_ylim(bottom=0)
    left.legend(fontsize="small")
    for j, load in enumerate(data.loads):
        ok = ~data.overloaded[:, j]
        right.plot(data.batch_sizes[ok], _ms(data.p99[ok, j]), "o-", label=f"{load:,.0f}/s")
    _log(right, "x")
    _log(right)
    right.set_xlabel("batch size (log scale; overloaded runs left out)")
    right.set_ylabel("p99 latency (ms, log scale)")
    right.legend(fontsize="small", title="load")
    return fig


def plot_batching_point(batch_size: int = 10, load: float = 1000.0,
                        linger_ms: float = 10.0) -> Figure:
    """Chapter 6 widget: one 5-second run of a batching server (batch overhead 2 ms,
    0.2 ms per request): latency distribution, throughput and capacity."""
    check_int("batch_size", batch_size, low=1, high=1000)
    check_real("load", load, low=0.0, high=10_000.0, low_open=True)
    check_real("linger_ms", linger_ms, low=0.0, high=1000.0)
    duration, overhead, per_item = 5.0, 0.002, 0.0002
    arrival = Poisson(load).arrival_times(stream(1, "arrivals"), duration)
    finish = batch_finish_times(arrival, batch_size, linger_ms / 1000, overhead, per_item)
    latency = np.sort(finish - arrival)[: max(int(arrival.size * 0.999), 1)]
    capacity = batch_capacity(batch_size, overhead, per_item)
    fig, ax = _figure(8, 3.8)
    ax.hist(_ms(latency), bins=60, color="tab:blue")
    p99 = float(np.percentile(finish - arrival, 99))
    ax.axvline(p99 * 1000, color="tab:red", linestyle="--", label=f"p99 {p99 * 1000:,.1f} ms")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("requests")
    ax.legend(fontsize="small")
    state = "overloaded: the queue grows" if load >= capacity else f"{load / capacity:.0%} busy"
    ax.set_title(f"batch {batch_size}, linger {linger_ms:g} ms, {load:,.0f}/s offered; capacity "
                 f"{capacity:,.0f}/s ({state})", fontsize="medium")
    return fig


def plot_retry_storm(retries: int = 3, spike_length: float = 5.0,
                     budget: float = 0.0) -> Figure:
    """Chapter 7 widget: goodput over time through a load spike for one retry policy
    (one run of :func:`scalelab.retry_storm`)."""
    fig = plot_metastable(retry_storm(retries=retries, spike_length=spike_length,
                                      budget=budget))
    fig.set_size_inches(9, 3)
    return fig


def plot_sync_async_sweep(data: SyncAsyncSweep) -> Figure:
    """What clients wait for, and when the write is done, in both styles against load."""
    fig, ax = _figure(8, 4)
    x = data.utilizations * 100
    ax.plot(x, _ms(data.client_p99["sync"]), "o-", color="tab:blue",
            label="sync: client p99 = write done p99")
    ax.plot(x, _ms(data.client_p99["async"]), "s-", color="tab:orange",
            label="async: client p99 (202 Accepted)")
    ax.plot(x, _ms(data.done_p99["async"]), "s--", color="tab:orange",
            label="async: write done p99 (staleness)")
    _log(ax)
    ax.set_xlabel("load (% of database capacity)")
    ax.set_ylabel("p99 (ms, log scale)")
    ax.legend(fontsize="small")
    return fig


def plot_crash_duplicates(data: CrashDuplicates) -> Figure:
    """Duplicates after a crash against the commit interval: simulated and formula."""
    fig, ax = _figure(7, 3.8)
    ax.bar([f"{c:g}" for c in data.commit_intervals], data.duplicates,
           label="messages processed twice (simulated)")
    ax.plot([f"{c:g}" for c in data.commit_intervals], data.formula, "k_", markersize=28,
            mew=2, label="formula: rate x commit interval")
    ax.set_xlabel("commit interval (s; 0 = after every message)")
    ax.set_ylabel("duplicates after one crash")
    ax.legend(fontsize="small")
    return fig
