"""Figures of chapter 10: the edge's offload and latency, what a failover loses, and what
active-active writes collide on."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..labs.edge import EdgeLatency, EdgeOffload
from ..labs.regions import Conflicts, FailoverLoss
from ._style import figure, log_scale, panels, to_ms

__all__ = ["edge_offload", "edge_latency", "failover_loss", "conflicts"]


def edge_offload(data: EdgeOffload) -> Figure:
    """Share of requests the edge answers against the objects it holds, one line per skew
    (Che's approximation)."""
    fig, ax = figure(8, 3.8)
    for k, s in enumerate(data.skews):
        ax.plot(data.edge_objects, data.offload[k] * 100, "o-", label=f"Zipf skew {s:g}")
    log_scale(ax, "x")
    ax.set_ylim(0, 100)
    ax.set_xlabel("objects one edge location holds (log scale)")
    ax.set_ylabel("requests kept from the origin (%)")
    ax.set_title(
        f"a catalogue of {data.catalogue:,} objects"
        + (f"; {data.personalised:.0%} of requests personalised" if data.personalised else ""),
        fontsize="medium",
    )
    ax.legend(fontsize="small")
    return fig


def edge_latency(data: EdgeLatency) -> Figure:
    """Time to first byte against distance to the origin: direct, and through an edge
    that has the object or fetches it (formula)."""
    fig, ax = figure(8, 3.8)
    ax.plot(
        data.distances_km, to_ms(data.direct), "o-", color="tab:red", label="direct to the origin"
    )
    ax.plot(data.distances_km, to_ms(data.edge_miss), "o-", color="tab:orange", label="edge, miss")
    ax.plot(data.distances_km, to_ms(data.edge_hit), "o-", color="tab:green", label="edge, hit")
    ax.set_xlabel("user to origin, great-circle km")
    ax.set_ylabel("time to first byte (ms)")
    ax.set_title(
        f"a new HTTPS connection ({data.round_trips} round trips); edge {data.edge_km:g} km away",
        fontsize="medium",
    )
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def failover_loss(data: FailoverLoss) -> Figure:
    """Acknowledged writes lost at a primary's crash against the replication delay:
    simulated crashes (mean and range) and the formula ``rate x delay``."""
    fig, ax = figure(8, 3.8)
    mean = data.lost.mean(axis=1)
    ax.errorbar(
        to_ms(data.lags),
        mean,
        yerr=[mean - data.lost.min(axis=1), data.lost.max(axis=1) - mean],
        fmt="o",
        capsize=3,
        label=f"simulated ({data.lost.shape[1]} crashes each: mean and range)",
    )
    ax.plot(to_ms(data.lags), data.formula, "k--", label="formula: write rate x delay")
    log_scale(ax)
    log_scale(ax, "x")
    ax.set_xlabel("mean replication delay (ms, log scale)")
    ax.set_ylabel("writes lost at the crash (log scale)")
    ax.set_title(f"{data.write_rate:,.0f} writes/s, asynchronous replication", fontsize="medium")
    ax.legend(fontsize="small")
    return fig


def conflicts(data: Conflicts) -> Figure:
    """Writes a concurrent write from the other region overwrites under last-writer-wins
    (each a lost update if it was a read-modify-write), and writes with any concurrent
    write elsewhere, against the replication delay (simulated; dashed: the formula)."""
    fig, (left, right) = panels(2, 10, 3.8)
    share = 100 / data.writes
    left.plot(to_ms(data.lags), data.lost_lww * share, "o", label="simulated")
    left.plot(to_ms(data.lags), data.formula_lost * share, "k--", label="formula")
    left.set_ylabel("writes overwritten by a concurrent one (%)")
    right.plot(to_ms(data.lags), data.concurrent * share, "o-", color="tab:purple")
    right.set_ylabel("writes with a concurrent write elsewhere (%)")
    for ax in (left, right):
        ax.set_xlabel("replication delay between the regions (ms)")
        ax.set_ylim(bottom=0)
    left.legend(fontsize="small")
    left.set_title(f"hottest key: {data.hottest_share:.1%} of writes", fontsize="medium")
    return fig
