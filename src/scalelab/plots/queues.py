"""Figures of chapter 2: the latency knee, pooling, a latency histogram, the operating
point."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.queues import KneeCurve, OperatingPoint, Pooling
from ..results import SimulationResult
from ._style import figure

__all__ = ["knee", "pooling", "latency_histogram", "operating_point"]


def knee(curve: KneeCurve) -> Figure:
    """Plot simulated mean and p99 response time (points with 95% intervals) over the
    exact mean (and, for one server, the exact p99) as lines.

    Parameters
    ----------
    curve : KneeCurve
        From :func:`scalelab.labs.knee_curve`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure()
    ms = 1000.0
    ax.plot(
        curve.utilization,
        curve.formula_mean * ms,
        color="black",
        label=f"M/M/{curve.servers} formula, mean",
    )
    ax.errorbar(
        curve.utilization,
        curve.simulated_mean * ms,
        curve.mean_half_width * ms,
        fmt="o",
        color="tab:blue",
        capsize=3,
        label="simulated mean, 95% CI",
    )
    if curve.formula_p99 is not None:
        ax.plot(
            curve.utilization,
            curve.formula_p99 * ms,
            color="tab:red",
            linewidth=1,
            label="M/M/1 formula, p99",
        )
    ax.errorbar(
        curve.utilization,
        curve.simulated_p99 * ms,
        curve.p99_half_width * ms,
        fmt="s",
        color="tab:red",
        capsize=3,
        label="simulated p99, 95% CI",
    )
    ax.set_xlabel("utilization (arrival rate / capacity)")
    ax.set_ylabel("response time (ms)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.set_title(
        f"{curve.servers} server(s), mean service {curve.mean_service * ms:g} ms, "
        f"{curve.replications} runs of {curve.requests:,} requests per point"
    )
    return fig


def pooling(data: Pooling) -> Figure:
    """Mean and p99 response time of one shared queue against separate queues."""
    fig, ax = figure()
    ms = 1000.0
    ax.plot(
        data.utilization,
        data.split_formula * ms,
        color="tab:orange",
        linewidth=1,
        label=f"{data.servers} separate queues, formula (M/M/1)",
    )
    ax.plot(
        data.utilization,
        data.pooled_formula * ms,
        color="tab:blue",
        linewidth=1,
        label=f"one shared queue, formula (M/M/{data.servers})",
    )
    ax.plot(
        data.utilization,
        data.split_mean * ms,
        "o",
        color="tab:orange",
        label="separate, simulated mean",
    )
    ax.plot(
        data.utilization,
        data.pooled_mean * ms,
        "o",
        color="tab:blue",
        label="shared, simulated mean",
    )
    ax.plot(
        data.utilization,
        data.split_p99 * ms,
        "s--",
        color="tab:orange",
        alpha=0.6,
        label="separate, simulated p99",
    )
    ax.plot(
        data.utilization,
        data.pooled_p99 * ms,
        "s--",
        color="tab:blue",
        alpha=0.6,
        label="shared, simulated p99",
    )
    ax.set_yscale("log")
    ax.set_xlabel("utilization of each server")
    ax.set_ylabel("response time (ms, log scale)")
    ax.legend(fontsize="small", loc="upper left")
    return fig


def latency_histogram(result: SimulationResult, bins: int = 60) -> Figure:
    """Histogram of a run's latencies with the mean, p50, p95 and p99 marked."""
    fig, ax = figure()
    ms = 1000.0
    values = result.latencies() * ms
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.6)
    stats = result.latency
    for label, value, style in (
        ("mean", stats.mean, "-"),
        ("p50", stats.p50, "--"),
        ("p95", stats.p95, "-."),
        ("p99", stats.p99, ":"),
    ):
        ax.axvline(value * ms, color="black", linestyle=style, label=f"{label} {value * ms:.0f} ms")
    ax.set_xlabel("response time (ms)")
    ax.set_ylabel("requests")
    ax.legend()
    return fig


def operating_point(data: OperatingPoint) -> Figure:
    """The exact M/M/c latency curve and where one arrival rate puts the station: the
    simulated mean and p99 at that rate, or, at or beyond capacity, a title saying there
    is no steady state."""
    fig, ax = figure()
    ms = 1000.0
    ax.plot(
        data.curve_rates,
        data.curve_mean * ms,
        color="black",
        label=f"M/M/{data.servers} mean (formula)",
    )
    rate, capacity = data.arrival_rate, data.capacity
    if np.isfinite(data.mean):
        ax.plot(
            [rate],
            [data.mean * ms],
            "o",
            color="tab:blue",
            markersize=9,
            label=f"simulated mean {data.mean * ms:.1f} ms",
        )
        ax.plot(
            [rate],
            [data.p99 * ms],
            "s",
            color="tab:red",
            markersize=8,
            label=f"simulated p99 {data.p99 * ms:.1f} ms",
        )
        ax.set_title(
            f"{rate:g} requests/s on {data.servers} server(s): utilization {data.utilization:.0%}"
        )
    elif data.utilization >= 1:
        ax.set_title(
            f"{rate:g} requests/s >= capacity {capacity:g}/s: "
            "no steady state, the queue grows without bound",
            color="tab:red",
        )
    else:
        ax.set_title(
            f"{rate:g} requests/s, utilization {data.utilization:.1%}: the run "
            "did not keep up (too close to capacity to measure)",
            color="tab:red",
        )
    ax.axvline(capacity, color="tab:red", linestyle=":", label=f"capacity {capacity:g}/s")
    ax.set_xlabel("arrival rate (requests/s)")
    ax.set_ylabel("response time (ms)")
    ax.set_ylim(0, float(data.curve_mean.max()) * ms * 1.1)
    ax.set_xlim(0, capacity * 1.25)
    ax.legend(loc="upper left")
    return fig
