"""Figures of chapter 3: utilization against users, both naive deployments over time,
units of the fix per rung, and one rung's bottleneck."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..labs.bottlenecks import ARCHITECTURES, LadderPoint, NaiveRuns, Rung, UtilizationCurves
from ..results import Status
from ._style import figure, panels

__all__ = ["naive_runs", "ladder_units", "ladder_utilization", "ladder_point"]


def naive_runs(data: NaiveRuns) -> Figure:
    """Both naive deployments over time at one user count: client latency and timeouts
    against consumer lag, and what the database carries in each."""
    fig, axes = panels(3, 13, 3.8)
    sync, asyn = data.sync, data.async_
    latency = sync.timeseries("latency", bin_width=0.5)
    axes[0].step(latency.t, latency.values * 1000, where="post", label="request-response")
    done = asyn.timeseries("latency", bin_width=0.5)
    axes[0].step(done.t, done.values * 1000, where="post", label="event-driven (202)")
    axes[0].set_ylabel("client latency, timeouts included (ms)")
    axes[0].set_yscale("log")
    timeouts = sync.status == Status.TIMED_OUT
    counts, edges = np.histogram(sync.arrival[timeouts], np.arange(0, sync.duration + 0.5, 0.5))
    axes[1].step(edges[:-1], counts / 0.5, where="post", label="request-response timeouts/s")
    lag = asyn.timeseries("lag", bin_width=0.5)
    axes[1].plot(
        lag.t, lag.values / 100, color="tab:orange", label="event-driven lag (hundreds of messages)"
    )
    for name, result in (("request-response", sync), ("event-driven", asyn)):
        db = result.timeseries("db.completions", bin_width=0.5)
        axes[2].step(db.t, db.values, where="post", label=name)
    axes[2].set_ylabel("database queries/s")
    for ax in axes:
        ax.set_xlabel("time (s)")
        ax.legend(fontsize="small", loc="upper left")
    fig.suptitle(f"{data.users:,} users, naive deployments (simulated)")
    return fig


def ladder_units(rungs: list[Rung]) -> Figure:
    """Units of the bottleneck component each rung's fix needs (formula), per
    architecture, annotated with the simulated p99 of one unit at its share."""
    fig, ax = figure(8, 4.2)
    for arch, marker in zip(ARCHITECTURES, ("o", "s"), strict=True):
        rows = [r for r in rungs if r.architecture == arch]
        ax.plot([r.users for r in rows], [r.units for r in rows], marker + "-", label=arch)
        for r in rows[1:]:
            ax.annotate(
                f"{r.units:,} x {r.bottleneck}\n(one: p99 {r.unit_p99 * 1000:.0f} ms)",
                (r.users, r.units),
                textcoords="offset points",
                xytext=(6, -16 if marker == "o" else 4),
                fontsize=7,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("users at peak")
    ax.set_ylabel("units of the bottleneck needed at target utilization")
    ax.legend(loc="upper left")
    return fig


def ladder_utilization(data: UtilizationCurves) -> Figure:
    """Utilization of each component of both naive deployments against users (formula),
    log-log: the order in which components cross 1 is the order in which they break."""
    fig, axes = panels(2, 11, 4.2, sharey=True)
    for ax, (arch, curves) in zip(axes, data.utilization.items(), strict=True):
        for name, values in curves.items():
            crossing = data.saturates_at[arch][name]
            label = (
                f"{name} (saturates at {crossing:,.0f} users)"
                if crossing
                else f"{name} (never saturates)"
            )
            ax.plot(data.users, values, label=label)
        ax.axhline(1.0, color="tab:red", linestyle="--", linewidth=1)
        ax.axhline(data.target_utilization, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(arch, loc="left")
        ax.set_xlabel("users at peak")
        ax.legend(fontsize="small", loc="upper left")
    axes[0].set_ylabel("utilization (load / capacity)")
    return fig


def ladder_point(data: LadderPoint) -> Figure:
    """Utilization of each component at one user count (formula), bottleneck in red,
    with the fix in the title."""
    util, worst = data.utilization, data.bottleneck
    fig, ax = figure(7, 3.6)
    colors = ["tab:red" if name == worst else "tab:blue" for name in util]
    ax.barh(list(util), list(util.values()), color=colors)
    ax.axvline(1.0, color="tab:red", linestyle="--", linewidth=1)
    ax.axvline(data.target_utilization, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("utilization (load / capacity, formula); dashed: saturation")
    ax.set_title(
        f"{data.users:,.0f} users ({data.load:,.0f} req/s), {data.architecture}: "
        f"first to give out: {worst} ({util[worst]:,.2f}x). Fix: {data.fix}",
        fontsize=9,
        wrap=True,
    )
    return fig
