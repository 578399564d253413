"""Figures of chapters 8 and 9: the estimate, headroom, sensitivity and the 10x
question."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..labs.estimation import Envelope, Headroom, Sensitivity
from ..labs.interview import TenXRow
from ._style import figure, log_scale, panels, to_ms

__all__ = ["headroom", "ten_x", "envelope", "sensitivity"]

_UNITS = (
    ("app servers", "app_servers"),
    ("database read nodes", "db_read_nodes"),
    ("database write shards", "db_write_shards"),
    ("partitions", "partitions"),
    ("broker clusters", "broker_clusters"),
)


def headroom(data: Headroom) -> Figure:
    """p99 of one unit against the utilization it runs at: simulated points over the
    exact M/M/c steady state (dashed)."""
    fig, ax = figure(8, 3.8)
    for i, slots in enumerate(data.slots):
        (line,) = ax.plot(
            data.utilizations * 100,
            to_ms(data.p99[i]),
            "o",
            label=f"{slots} worker{'s' if slots > 1 else ''} per unit, simulated",
        )
        ax.plot(data.utilizations * 100, to_ms(data.formula_p99[i]), "--", color=line.get_color())
    ax.plot([], [], "k--", label="formula (M/M/c, steady state)")
    ax.axvline(70, color="grey", linestyle=":", label="70% target")
    log_scale(ax)
    ax.set_xlabel("utilization the unit is sized for (%)")
    ax.set_ylabel("p99 of one unit (ms, log scale)")
    ax.set_title(
        f"one unit completing {data.capacity:,.0f} requests/s when saturated", fontsize="medium"
    )
    ax.legend(fontsize="small")
    return fig


def ten_x(rows: list[TenXRow]) -> Figure:
    """Simulated p99 and busiest database node per option, one panel per read mix."""
    mixes = sorted({r.read_fraction for r in rows}, reverse=True)
    fig, axes = panels(len(mixes), 6 * len(mixes), 4.6, sharey=True)
    for ax, mix in zip(axes, mixes, strict=True):
        mine = [r for r in rows if r.read_fraction == mix]
        labels = [r.option for r in mine]
        p99 = [min(r.p99, 10.0) * 1000 for r in mine]
        colors = ["tab:green" if r.holds else "tab:red" for r in mine]
        bars = ax.barh(labels, p99, color=colors)
        ax.bar_label(
            bars,
            [
                f"{r.p99 * 1000:,.0f} ms, {r.timed_out:.0%} timed out, "
                f"db {r.busiest_node_load:,.0f}/s"
                for r in mine
            ],
            padding=3,
            fontsize="small",
        )
        log_scale(ax, "x")
        ax.set_xlim(5, 2e5)
        ax.set_title(f"{mix:.0%} reads", fontsize="medium")
        ax.set_xlabel("client p99, timeouts at 0.5 s (ms, log scale); green: holds")
    axes[0].invert_yaxis()
    return fig


def envelope(data: Envelope) -> Figure:
    """Units each component needs at the scenario's target utilization (formula)."""
    s = data.scenario
    fig, ax = figure(8, 3.6)
    counts = [getattr(data, attr) for _, attr in _UNITS]
    bars = ax.barh([label for label, _ in _UNITS], counts, color="tab:blue")
    ax.bar_label(bars, [f"{c:,}" for c in counts], padding=3)
    log_scale(ax, "x")
    ax.set_xlim(0.8, max(counts) * 4)
    ax.invert_yaxis()
    ax.set_xlabel(f"units at {s.target_utilization:.0%} utilization (formula; log scale)")
    ax.set_title(
        f"{s.users:,.0f} users x {s.requests_per_user_per_day:,.0f} requests/day: "
        f"average {data.average_rps:,.0f}/s, peak {data.peak_rps:,.0f}/s\n"
        f"{s.read_fraction:.0%} reads, {s.hit_ratio:.0%} of them from cache; "
        f"database {data.db_reads:,.0f} reads/s + {data.peak_writes:,.0f} writes/s",
        fontsize="medium",
    )
    return fig


def sensitivity(data: Sensitivity) -> Figure:
    """Database read nodes, write shards and app servers as one assumption varies
    (formula)."""
    fig, ax = figure(8, 3.8)
    for label, values in (
        ("app servers", data.app_servers),
        ("database read nodes", data.db_read_nodes),
        ("database write shards", data.db_write_shards),
    ):
        ax.plot(data.values, values, "o-", label=label)
    ax.axvline(data.baseline, color="grey", linestyle=":", label="the scenario's value")
    log_scale(ax)
    log_scale(ax, "x")
    ax.set_xlabel(data.parameter.replace("_", " ") + " (log scale)")
    ax.set_ylabel("units at 70% (formula; log scale)")
    ax.legend(fontsize="small")
    return fig
