"""Figures of chapter 6's batching lab."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.tradeoffs import BatchingCurve, BatchRun
from ._style import figure, log_scale, panels, to_ms

__all__ = ["batching", "batching_point"]


def batching(data: BatchingCurve) -> Figure:
    """Capacity against batch size, and p99 against batch size at each load."""
    fig, (left, right) = panels(2, 10, 4)
    left.plot(data.batch_sizes, data.capacity, "k--", label="capacity (formula)")
    left.plot(
        data.batch_sizes,
        data.throughput.max(axis=1),
        "o",
        label=f"most completed (simulated, {data.loads.max():,.0f}/s offered at most)",
    )
    left.axhline(1 / data.per_item, color="grey", linestyle=":", label="limit: 1 / per-item cost")
    log_scale(left, "x")
    left.set_xlabel("batch size (log scale)")
    left.set_ylabel("requests per second")
    left.set_ylim(bottom=0)
    left.legend(fontsize="small")
    for j, load in enumerate(data.loads):
        ok = ~data.overloaded[:, j]
        right.plot(data.batch_sizes[ok], to_ms(data.p99[ok, j]), "o-", label=f"{load:,.0f}/s")
    log_scale(right, "x")
    log_scale(right)
    right.set_xlabel("batch size (log scale; overloaded runs left out)")
    right.set_ylabel("client p99 (ms, log scale)")
    right.legend(fontsize="small", title="load")
    return fig


def batching_point(data: BatchRun) -> Figure:
    """Latency distribution of one run of a batching server, with its p99, throughput
    and capacity."""
    server = data.server
    fig, ax = figure(8, 3.8)
    lat = np.sort(data.latencies)
    ax.hist(to_ms(lat[: max(int(lat.size * 0.999), 1)]), bins=60, color="tab:blue")
    if np.isfinite(data.p99):
        ax.axvline(
            data.p99 * 1000, color="tab:red", linestyle="--", label=f"p99 {data.p99 * 1000:,.1f} ms"
        )
        ax.legend(fontsize="small")
    ax.set_xlabel("latency (ms; slowest 0.1% left out)")
    ax.set_ylabel("requests")
    capacity = server.capacity
    state = (
        "overloaded: the queue grows"
        if data.load >= capacity
        else f"{data.load / capacity:.0%} busy"
    )
    ax.set_title(
        f"batch {server.batch_size}, linger {server.linger * 1000:g} ms, "
        f"{data.load:,.0f}/s offered; capacity {capacity:,.0f}/s ({state})",
        fontsize="medium",
    )
    return fig
