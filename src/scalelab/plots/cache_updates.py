"""Figures of the cache update strategies and of the thundering herd (chapter 10)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..labs.cache_herd import ThunderingHerd
from ..labs.cache_updates import CacheStrategies
from ._style import formula_marks, panels, to_ms

__all__ = ["cache_strategies", "thundering_herd"]

_NAMES = {
    "invalidate": "cache-aside\n+ invalidate",
    "ttl_only": "cache-aside\n+ TTL only",
    "write_through": "write-through",
    "write_behind": "write-behind",
    "refresh_ahead": "refresh-ahead",
    "none": "no defence",
    "coalescing": "coalescing",
    "jittered_ttl": "jittered TTL",
    "serve_stale": "serve stale",
}


def _percent(values: list) -> list:
    return [None if v is None else 100 * v for v in values]


def cache_strategies(data: CacheStrategies) -> Figure:
    """Per strategy: database reads and writes per second, stale reads (with the mean age
    of the stale data), what a writer waits (p50 and p99) with the writes lost in the
    crash, and the hit ratio; black ticks are the formulas."""
    rows = data.rows
    y = np.arange(len(rows))
    fig, (load, stale, write, hits) = panels(2, 8, 2.6 + 1.1 * len(rows), nrows=2, sharey=True)
    load.barh(y - 0.2, [r.db_reads for r in rows], 0.4, label="database reads", color="tab:blue")
    load.barh(
        y + 0.2, [r.db_writes for r in rows], 0.4, label="database writes", color="tab:orange"
    )
    formula_marks(load, [r.db_reads_formula for r in rows], y - 0.2)
    formula_marks(load, [r.db_writes_formula for r in rows], y + 0.2, None)
    load.set_xlabel("database queries per second")
    stale.barh(y, [100 * r.stale_fraction for r in rows], 0.6, color="tab:red")
    formula_marks(stale, _percent([r.stale_fraction_formula for r in rows]), y, None)
    top = max([100 * r.stale_fraction for r in rows] + [1.0])
    for yi, r in zip(y, rows, strict=True):
        if r.stale_fraction > 0:
            after = "\nafter the crash" if r.stale_after_crash else ""
            text = f"age {r.stale_age_mean:.2g} s{after}"
            stale.text(100 * r.stale_fraction + 0.03 * top, yi, text, va="center", fontsize="small")
    stale.set_xlim(0, 1.5 * top)
    stale.set_xlabel("stale reads (% of reads)")
    write.barh(
        y - 0.2, to_ms([r.write_p50 for r in rows]), 0.4, label="writer p50", color="tab:green"
    )
    write.barh(
        y + 0.2, to_ms([r.write_p99 for r in rows]), 0.4, label="writer p99", color="tab:olive"
    )
    longest = max([1000 * r.write_p99 for r in rows if math.isfinite(r.write_p99)] + [1.0])
    for yi, r in zip(y, rows, strict=True):
        if r.lost_writes:
            at = 1000 * r.write_p99 if math.isfinite(r.write_p99) else 0.0
            text = f"{r.lost_writes} writes lost\nin the crash"
            write.text(at + 0.03 * longest, yi, text, va="center", fontsize="small")
    write.set_xlim(0, 1.5 * longest)
    write.set_xlabel("what a writer waits (ms)")
    hits.barh(y, [100 * r.hit_ratio for r in rows], 0.6, color="tab:purple")
    formula_marks(hits, _percent([r.hit_ratio_formula for r in rows]), y, None)
    hits.set_xlim(0, 100)
    hits.set_xlabel("cache hit ratio (%)")
    load.set_yticks(y, [_NAMES[r.strategy] for r in rows])
    load.invert_yaxis()
    fig.legend(
        *_handles(load, write), loc="outside lower center", ncols=3, fontsize="small", frameon=False
    )
    fig.suptitle(
        f"{data.load:,.0f} requests/s, {data.read_fraction:.0%} reads, {data.n_keys:,} Zipf keys "
        f"(s = {data.zipf_s:g}), TTL {data.ttl:g} s",
        fontsize="medium",
    )
    return fig


def _handles(*axes: object) -> tuple[list, list]:
    handles, labels = [], []
    for ax in axes:
        h, label = ax.get_legend_handles_labels()
        handles += h
        labels += label
    return handles, labels


def thundering_herd(data: ThunderingHerd) -> Figure:
    """Database reads per second and mean client latency around the moment the hot keys
    expire, one line per defence."""
    fig, (reads, latency) = panels(1, 7, 6, nrows=2, sharex=True)
    width = data.t[1] - data.t[0] if data.t.size > 1 else 1.0
    t = np.append(data.t, data.t[-1] + width) if data.t.size else data.t
    styles = ["-", "--", "-.", ":"]
    for i, row in enumerate(data.rows):
        label = (
            f"{_NAMES[row.defence]}: {row.db_reads_per_expiry:.2g} reads/expiry, "
            f"p99 {1000 * row.p99:.0f} ms"
        )
        style = {"linewidth": 2.5 - 0.3 * (i % 4), "linestyle": styles[i % 4]}
        reads.stairs(data.db_reads[i], t, label=label, **style)
        latency.stairs(to_ms(data.latency[i]), t, **style)
    for ax in (reads, latency):
        ax.axvline(data.ttl, color="grey", linestyle=":")
    reads.axhline(data.db_capacity_qps, color="tab:red", linestyle="--", label="database capacity")
    reads.set_ylabel("database reads per second")
    reads.set_ylim(bottom=0)
    reads.legend(fontsize="small", loc="upper left")
    reads.set_title(
        f"{data.hot_keys:,} hot keys filled at 0 s expire at {data.ttl:g} s "
        f"under {data.load:,.0f} reads/s",
        fontsize="medium",
    )
    latency.set_ylabel("mean client latency (ms)")
    latency.set_xlabel("time (s)")
    latency.set_ylim(bottom=0)
    return fig
