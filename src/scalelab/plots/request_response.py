"""Figures of chapter 4: load balancing, app servers, pools, replicas and stale reads,
caches, and shards."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from ..labs.caching import CacheLever, CacheWarmup, LruSizing
from ..labs.replicas import CacheReplicasPoint, ReplicaScaling, StaleReads
from ..labs.request_response import BalancerComparison, HorizontalScaling, PoolSizing
from ..labs.sharding import Resharding, ShardLoad
from ..labs.vertical import ScaleUp
from ._style import figure, log_scale, panels, to_ms

__all__ = [
    "scale_up",
    "balancers",
    "horizontal",
    "pool",
    "replicas",
    "stale_reads",
    "cache_lever",
    "lru",
    "cache_warmup",
    "shards",
    "resharding",
    "cache_replicas",
]


def balancers(data: BalancerComparison) -> Figure:
    """p99 against utilization per policy, and how unevenly each spreads load."""
    fig, (left, right) = panels(2, 10, 4)
    for i, policy in enumerate(data.policies):
        left.plot(data.utilizations * 100, to_ms(data.p99[i]), marker="o", label=policy)
        spread = data.server_utilization[i]
        right.plot(
            data.utilizations * 100,
            spread.max(axis=1) / spread.mean(axis=1),
            marker="o",
            label=policy,
        )
    log_scale(left)
    left.set_xlabel("offered load (% of tier capacity)")
    left.set_ylabel("client p99 (ms, log scale)")
    left.legend(fontsize="small")
    right.axhline(1.0, color="grey", linestyle=":")
    right.set_xlabel("offered load (% of tier capacity)")
    right.set_ylabel("busiest server / average utilization")
    return fig


def horizontal(data: HorizontalScaling) -> Figure:
    """Throughput and utilization as app servers are added in front of one database."""
    fig, (left, right) = panels(2, 10, 4)
    n = data.servers
    grid = np.linspace(n.min(), n.max(), 200)
    left.plot(n, data.throughput, marker="o", label="simulated throughput")
    left.plot(
        grid,
        np.minimum(grid * data.app_capacity, data.db_capacity_qps),
        "--",
        color="grey",
        label="formula: min(servers x app capacity, database)",
    )
    left.axhline(data.load, color="tab:red", linestyle=":", label="offered load")
    left.set_xlabel("app servers")
    left.set_ylabel("requests completed per second")
    left.set_ylim(bottom=0)
    left.legend(fontsize="small")
    right.plot(n, data.app_utilization * 100, marker="o", label="app servers")
    right.plot(n, data.db_utilization * 100, marker="s", label="database")
    right.set_xlabel("app servers")
    right.set_ylabel("utilization (%)")
    right.set_ylim(0, 105)
    right.legend(fontsize="small")
    return fig


def pool(data: PoolSizing) -> Figure:
    """Latency and waits against the connection pool size."""
    fig, ax = figure(8, 4)
    ax.plot(data.pools, to_ms(data.p99), marker="o", label="client p99")
    ax.plot(data.pools, to_ms(data.pool_wait), marker="s", label="mean wait for a connection")
    ax.plot(data.pools, to_ms(data.db_wait), marker="^", label="mean wait inside the database")
    ax.axvline(
        data.in_use,
        color="grey",
        linestyle=":",
        label=f"connections busy on average ({data.in_use:.1f}, Little's law)",
    )
    ax.axvline(
        data.db_concurrency,
        color="tab:green",
        linestyle="--",
        label=f"database executes {data.db_concurrency} at once",
    )
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("pool size (connections, log scale)")
    ax.set_ylabel("ms (log scale above 1)")
    ax.legend(fontsize="small")
    return fig


def replicas(data: ReplicaScaling) -> Figure:
    """p99, node utilization and stale reads as read replicas are added."""
    fig, (left, mid, right) = panels(3, 12, 3.8)
    left.plot(data.replicas, to_ms(data.p99), marker="o")
    log_scale(left)
    left.set_ylabel("client p99 (ms, log scale)")
    mid.plot(data.replicas, data.primary_utilization * 100, marker="o", label="primary")
    mid.plot(data.replicas, data.replica_utilization * 100, marker="s", label="busiest replica")
    mid.set_ylabel("utilization (%)")
    mid.set_ylim(0, 105)
    mid.legend(fontsize="small")
    right.bar(data.replicas, data.stale * 100, color="tab:orange")
    right.set_ylabel("reads that were stale (%)")
    for ax in (left, mid, right):
        ax.set_xlabel("read replicas")
        ax.set_xticks(data.replicas)
    return fig


def stale_reads(data: StaleReads) -> Figure:
    """Stale reads against replication lag: simulated points, formula lines."""
    fig, ax = figure(7, 4)
    grid = np.geomspace(data.lags.min(), data.lags.max(), 100)
    colors = ("tab:blue", "tab:orange")
    for (label, sim), color in zip(data.simulated.items(), colors, strict=False):
        ax.plot(data.lags * 1000, sim * 100, "o", color=color, label=f"{label} keys, simulated")
        ax.plot(
            data.lags * 1000,
            data.formula[label] * 100,
            "--",
            color=color,
            label=f"{label} keys, formula",
        )
    log_scale(ax, "x")
    log_scale(ax)
    ax.set_xlim(grid[0] * 1000 * 0.8, grid[-1] * 1000 * 1.25)
    ax.set_xlabel("mean replication lag (ms, log scale)")
    ax.set_ylabel("stale reads (%, log scale)")
    ax.legend(fontsize="small")
    return fig


def cache_lever(data: CacheLever) -> Figure:
    """Database demand and completions, and p99, against the cache hit ratio."""
    fig, (left, right) = panels(2, 10, 4)
    x = data.hit_ratios * 100
    left.plot(
        x,
        data.db_qps_formula,
        "--",
        marker="x",
        color="grey",
        label="queries sent (formula: reads x (1 - hit) + writes)",
    )
    left.plot(x, data.db_qps, marker="o", label="queries completed (simulated)")
    left.axhline(data.db_capacity_qps, color="tab:red", linestyle=":", label="database capacity")
    log_scale(left)
    left.set_xlabel("cache hit ratio (%)")
    left.set_ylabel("database queries/s (log scale)")
    left.legend(fontsize="small")
    right.plot(x, to_ms(data.p99), marker="o")
    log_scale(right)
    right.set_xlabel("cache hit ratio (%)")
    right.set_ylabel("client p99 (ms, log scale)")
    return fig


def lru(data: LruSizing) -> Figure:
    """LRU hit ratio against cache size for several key skews."""
    fig, ax = figure(7, 4)
    for i, s in enumerate(data.skews):
        (line,) = ax.plot(data.sizes, data.formula[i] * 100, "--")
        ax.plot(
            data.sizes,
            data.simulated[i] * 100,
            "o",
            color=line.get_color(),
            label=f"Zipf s = {s:g}",
        )
    ax.plot([], [], "k--", label="Che's approximation (formula)")
    ax.plot([], [], "ko", label="simulated LRU")
    log_scale(ax, "x")
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"cache size (keys, of {data.n_keys:,}; log scale)")
    ax.set_ylabel("hit ratio (%)")
    ax.legend(fontsize="small")
    return fig


def cache_warmup(data: CacheWarmup) -> Figure:
    """Database load and mean latency over time after a cold start."""
    fig, (left, right) = panels(2, 10, 3.8)
    left.step(data.t, data.db_qps, where="post", label="database queries/s")
    left.axhline(data.db_capacity_qps, color="tab:red", linestyle=":", label="capacity")
    left.set_ylabel("queries completed per second")
    left.set_ylim(bottom=0)
    left.legend(fontsize="small")
    right.step(data.t, to_ms(data.latency), where="post", color="tab:purple")
    right.set_ylabel("mean client latency (ms)")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.set_xlabel("seconds since the empty cache started")
    return fig


def shards(data: ShardLoad) -> Figure:
    """Each shard's utilization for several key skews."""
    fig, ax = figure(8, 4)
    shards = data.utilization.shape[1]
    width = 0.8 / len(data.skews)
    for i, s in enumerate(data.skews):
        ax.bar(
            np.arange(shards) + (i - (len(data.skews) - 1) / 2) * width,
            data.utilization[i] * 100,
            width,
            label=f"Zipf s = {s:g} (hottest key {data.hottest_key_share[i]:.1%})",
        )
    ax.axhline(
        data.load / shards / data.shard_capacity_qps * 100,
        color="grey",
        linestyle=":",
        label="even share",
    )
    ax.set_xticks(np.arange(shards))
    ax.set_xlabel("shard")
    ax.set_ylabel("utilization (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize="small", loc="upper right")
    return fig


def resharding(data: Resharding) -> Figure:
    """Share of keys moved when shards are added: modulo hashing against a ring."""
    fig, ax = figure(7, 4)
    x = np.arange(len(data.new))
    ax.bar(x - 0.2, data.modulo * 100, 0.4, label="hash % shards")
    ax.bar(x + 0.2, data.ring * 100, 0.4, label="consistent-hashing ring")
    ax.plot(x, data.ideal * 100, "k_", markersize=30, mew=2, label="least possible: 1 - old/new")
    ax.set_xticks(x, [f"{data.old} -> {n}" for n in data.new])
    ax.set_xlabel("shards before -> after")
    ax.set_ylabel("keys that move (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize="small")
    return fig


def cache_replicas(data: CacheReplicasPoint) -> Figure:
    """Each database node's utilization and the client latency distribution of one run
    of a cache and read replicas in front of one primary."""
    fig, (left, right) = panels(2, 10, 3.8)
    util = data.utilization * 100
    left.barh(list(data.nodes), util, color=["tab:red" if u > 95 else "tab:blue" for u in util])
    left.axvline(70, color="grey", linestyle=":", label="70% target")
    left.set_xlim(0, 105)
    left.set_xlabel("utilization (%)")
    left.invert_yaxis()
    left.legend(fontsize="small", loc="lower right")
    lat = to_ms(data.latencies)
    if lat.size:
        right.plot(lat, np.arange(1, lat.size + 1) / lat.size)
        right.axvline(
            data.p99 * 1000, color="tab:red", linestyle="--", label=f"p99 {data.p99 * 1000:,.0f} ms"
        )
        log_scale(right, "x")
        right.legend(fontsize="small", loc="lower right")
    right.set_xlabel(f"client latency, timeouts at {data.timeout:g} s (ms, log scale)")
    right.set_ylabel("fraction of requests")
    right.set_title(
        f"{data.measured:,} requests sent in the first {data.timeout:g} s: "
        f"{data.timed_out:.0%} timed out",
        fontsize="medium",
    )
    fig.suptitle(
        f"{data.load:,.0f} req/s, {data.read_fraction:.0%} reads, hit ratio "
        f"{data.hit_ratio:.0%}, {data.replicas} replica(s): database gets "
        f"{data.db_load.total:,.0f} queries/s"
    )
    return fig


def scale_up(data: ScaleUp) -> Figure:
    """Left: one node's capacity against its cores (universal scalability law) beside
    linear scaling, with the load at the target and the largest size on offer. Right:
    monthly dollars per 1,000 requests/s of capacity (formulas)."""
    fig, (left, right) = panels(2, 10, 3.8)
    left.plot(data.cores, data.linear, "--", color="grey", label="linear (nothing shared)")
    left.plot(data.cores, data.capacity, "o-", color="tab:blue", label="capacity (USL)")
    left.axhline(
        data.load / data.target_utilization,
        color="tab:orange",
        linestyle=":",
        label=f"needed for {data.load:,.0f}/s at {data.target_utilization:.0%}",
    )
    left.axvline(data.largest, color="tab:red", linestyle="-.", label="largest size on offer")
    left.set_ylim(0, data.capacity.max() * 1.6)
    left.set_xlabel("cores in the node")
    left.set_ylabel("requests/s one node sustains")
    left.legend(fontsize="small")
    right.plot(data.cores, data.cost_per_capacity, "o-", color="tab:purple")
    right.set_xlabel("cores in the node")
    right.set_ylabel("dollars a month per 1,000 requests/s")
    right.set_ylim(bottom=0)
    return fig
