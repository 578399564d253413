"""Figures of chapters 8 and 9: estimates, headroom, sensitivity and the 10x question."""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.figure import Figure

from ._validate import check_choice
from .estimate import Headroom, Scenario, envelope
from .interview import TenXRow
from .plots import _figure, _panels
from .plots_scaling import _log, _ms

__all__ = ["plot_envelope", "plot_headroom", "plot_sensitivity", "plot_ten_x"]

_UNITS = (("app servers", "app_servers"), ("database read nodes", "db_read_nodes"),
          ("database write shards", "db_write_shards"), ("partitions", "partitions"),
          ("broker clusters", "broker_clusters"))


def plot_envelope(users: float = 1_000_000.0, requests_per_user_per_day: float = 100.0,
                  read_fraction: float = 0.9, cache_hit_ratio: float = 0.8) -> Figure:
    """Chapter 8 widget: units each component needs at 70% utilization (formula), for a
    :class:`scalelab.Scenario` with the other assumptions at their defaults."""
    s = Scenario(users=users, requests_per_user_per_day=requests_per_user_per_day,
                 read_fraction=read_fraction, cache_hit_ratio=cache_hit_ratio)
    e = envelope(s)
    fig, ax = _figure(8, 3.6)
    counts = [getattr(e, attr) for _, attr in _UNITS]
    bars = ax.barh([label for label, _ in _UNITS], counts, color="tab:blue")
    ax.bar_label(bars, [f"{c:,}" for c in counts], padding=3)
    _log(ax, "x")
    ax.set_xlim(0.8, max(counts) * 4)
    ax.invert_yaxis()
    ax.set_xlabel("units at 70% utilization (formula; log scale)")
    ax.set_title(f"{users:,.0f} users x {requests_per_user_per_day:,.0f} requests/day: "
                 f"average {e.average_rps:,.0f}/s, peak {e.peak_rps:,.0f}/s\n"
                 f"{read_fraction:.0%} reads, {cache_hit_ratio:.0%} of them from cache; "
                 f"database {e.db_reads:,.0f} reads/s + {e.peak_writes:,.0f} writes/s",
                 fontsize="medium")
    return fig


def plot_headroom(data: Headroom) -> Figure:
    """p99 of one unit against the utilization it runs at."""
    fig, ax = _figure(8, 3.8)
    for i, slots in enumerate(data.slots):
        ax.plot(data.utilizations * 100, _ms(data.p99[i]), "o-",
                label=f"{slots} worker{'s' if slots > 1 else ''} per unit")
    ax.axvline(70, color="grey", linestyle=":", label="70% target")
    _log(ax)
    ax.set_xlabel("utilization the unit is sized for (%)")
    ax.set_ylabel("p99 of one unit (ms, log scale)")
    ax.set_title(f"one unit completing {data.capacity:,.0f} requests/s when saturated",
                 fontsize="medium")
    ax.legend(fontsize="small")
    return fig


def plot_sensitivity(s: Scenario, parameter: str, values: tuple[float, ...]) -> Figure:
    """Database read nodes and write shards as one assumption varies (formula)."""
    names = [f.name for f in dataclasses.fields(Scenario)]
    check_choice("parameter", parameter, names)
    estimates = [envelope(dataclasses.replace(s, **{parameter: v})) for v in values]
    fig, ax = _figure(8, 3.8)
    for label, attr in _UNITS[:3]:
        ax.plot(values, [getattr(e, attr) for e in estimates], "o-", label=label)
    ax.axvline(getattr(s, parameter), color="grey", linestyle=":", label="the scenario's value")
    _log(ax)
    _log(ax, "x")
    ax.set_xlabel(parameter.replace("_", " ") + " (log scale)")
    ax.set_ylabel("units at 70% (formula; log scale)")
    ax.legend(fontsize="small")
    return fig


def plot_ten_x(rows: list[TenXRow]) -> Figure:
    """Simulated p99 and busiest database node per option, one panel per read mix."""
    mixes = sorted({r.read_fraction for r in rows}, reverse=True)
    fig, axes = _panels(len(mixes), 6 * len(mixes), 4.6, sharey=True)
    for ax, mix in zip(axes, mixes, strict=True):
        mine = [r for r in rows if r.read_fraction == mix]
        labels = [r.option for r in mine]
        p99 = [min(r.p99, 10.0) * 1000 for r in mine]
        colors = ["tab:green" if r.holds else "tab:red" for r in mine]
        bars = ax.barh(labels, p99, color=colors)
        ax.bar_label(bars, ["no replies" if r.p99 == np.inf else
                            f"{r.p99 * 1000:,.0f} ms, db {r.busiest_node_load:,.0f}/s"
                            for r in mine], padding=3, fontsize="small")
        _log(ax, "x")
        ax.set_xlim(5, 2e5)
        ax.set_title(f"{mix:.0%} reads", fontsize="medium")
        ax.set_xlabel("client p99 (ms, log scale); green: holds")
    axes[0].invert_yaxis()
    return fig
