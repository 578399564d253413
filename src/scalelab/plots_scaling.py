"""Figures of the scaling labs (chapters 4 and 5); each takes a lab's data and returns a
matplotlib Figure with an opaque white background."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, ScalarFormatter

from .plots import _figure, _panels
from .scaling_async import (
    Backpressure,
    DeadLetters,
    HotPartitions,
    LagSpike,
    PartitionGrid,
    ReplayWindow,
    Staleness,
    lag_spike,
)
from .scaling_sync import (
    BalancerComparison,
    CacheLever,
    CacheWarmup,
    HorizontalScaling,
    LruSizing,
    PoolSizing,
    ReplicaScaling,
    Resharding,
    ShardLoad,
    StaleReads,
    cache_replicas_point,
)

__all__ = [
    "plot_balancers",
    "plot_horizontal",
    "plot_pool",
    "plot_replicas",
    "plot_stale_reads",
    "plot_cache_lever",
    "plot_lru",
    "plot_cache_warmup",
    "plot_shards",
    "plot_resharding",
    "plot_cache_replicas",
    "plot_partition_grid",
    "plot_lag_spike",
    "plot_hot_partitions",
    "plot_replay_window",
    "plot_backpressure",
    "plot_dead_letters",
    "plot_staleness",
    "plot_lag_point",
]


def _ms(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=float) * 1000


def _log(ax, axis: str = "y") -> None:
    """Log scale labelled with plain numbers (10, 100, 1,000) rather than powers."""
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,g}"))
    target.set_minor_formatter(NullFormatter())


def plot_balancers(data: BalancerComparison) -> Figure:
    """p99 against utilization per policy, and how unevenly each spreads load."""
    fig, (left, right) = _panels(2, 10, 4)
    for i, policy in enumerate(data.policies):
        left.plot(data.utilizations * 100, _ms(data.p99[i]), marker="o", label=policy)
        spread = data.server_utilization[i]
        right.plot(data.utilizations * 100, spread.max(axis=1) / spread.mean(axis=1),
                   marker="o", label=policy)
    _log(left)
    left.set_xlabel("offered load (% of tier capacity)")
    left.set_ylabel("p99 latency (ms, log scale)")
    left.legend(fontsize="small")
    right.axhline(1.0, color="grey", linestyle=":")
    right.set_xlabel("offered load (% of tier capacity)")
    right.set_ylabel("busiest server / average utilization")
    return fig


def plot_horizontal(data: HorizontalScaling) -> Figure:
    """Throughput and utilization as app servers are added in front of one database."""
    fig, (left, right) = _panels(2, 10, 4)
    n = data.servers
    grid = np.linspace(n.min(), n.max(), 200)
    left.plot(n, data.throughput, marker="o", label="simulated throughput")
    left.plot(grid, np.minimum(grid * data.app_capacity, data.db_capacity_qps), "--",
              color="grey", label="formula: min(servers x app capacity, database)")
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


def plot_pool(data: PoolSizing) -> Figure:
    """Latency and waits against the connection pool size."""
    fig, ax = _figure(8, 4)
    ax.plot(data.pools, _ms(data.p99), marker="o", label="p99 latency")
    ax.plot(data.pools, _ms(data.pool_wait), marker="s", label="mean wait for a connection")
    ax.plot(data.pools, _ms(data.db_wait), marker="^", label="mean wait inside the database")
    ax.axvline(data.in_use, color="grey", linestyle=":",
               label=f"connections busy on average ({data.in_use:.1f}, Little's law)")
    ax.axvline(data.db_concurrency, color="tab:green", linestyle="--",
               label=f"database executes {data.db_concurrency} at once")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("pool size (connections, log scale)")
    ax.set_ylabel("ms (log scale above 1)")
    ax.legend(fontsize="small")
    return fig


def plot_replicas(data: ReplicaScaling) -> Figure:
    """p99, node utilization and stale reads as read replicas are added."""
    fig, (left, mid, right) = _panels(3, 12, 3.8)
    left.plot(data.replicas, _ms(data.p99), marker="o")
    _log(left)
    left.set_ylabel("p99 latency (ms, log scale)")
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


def plot_stale_reads(data: StaleReads) -> Figure:
    """Stale reads against replication lag: simulated points, formula lines."""
    fig, ax = _figure(7, 4)
    grid = np.geomspace(data.lags.min(), data.lags.max(), 100)
    colors = ("tab:blue", "tab:orange")
    for (label, sim), color in zip(data.simulated.items(), colors, strict=False):
        ax.plot(data.lags * 1000, sim * 100, "o", color=color, label=f"{label} keys, simulated")
        ax.plot(data.lags * 1000, data.formula[label] * 100, "--", color=color,
                label=f"{label} keys, formula")
    _log(ax, "x")
    _log(ax)
    ax.set_xlim(grid[0] * 1000 * 0.8, grid[-1] * 1000 * 1.25)
    ax.set_xlabel("mean replication lag (ms, log scale)")
    ax.set_ylabel("stale reads (%, log scale)")
    ax.legend(fontsize="small")
    return fig


def plot_cache_lever(data: CacheLever) -> Figure:
    """Database demand and completions, and p99, against the cache hit ratio."""
    fig, (left, right) = _panels(2, 10, 4)
    x = data.hit_ratios * 100
    left.plot(x, data.db_qps_formula, "--", marker="x", color="grey",
              label="queries sent (formula: reads x (1 - hit) + writes)")
    left.plot(x, data.db_qps, marker="o", label="queries completed (simulated)")
    left.axhline(data.db_capacity_qps, color="tab:red", linestyle=":",
                 label="database capacity")
    _log(left)
    left.set_xlabel("cache hit ratio (%)")
    left.set_ylabel("database queries/s (log scale)")
    left.legend(fontsize="small")
    right.plot(x, _ms(data.p99), marker="o")
    _log(right)
    right.set_xlabel("cache hit ratio (%)")
    right.set_ylabel("p99 latency (ms, log scale)")
    return fig


def plot_lru(data: LruSizing) -> Figure:
    """LRU hit ratio against cache size for several key skews."""
    fig, ax = _figure(7, 4)
    for i, s in enumerate(data.skews):
        line, = ax.plot(data.sizes, data.formula[i] * 100, "--")
        ax.plot(data.sizes, data.simulated[i] * 100, "o", color=line.get_color(),
                label=f"Zipf s = {s:g}")
    ax.plot([], [], "k--", label="Che's approximation (formula)")
    ax.plot([], [], "ko", label="simulated LRU")
    _log(ax, "x")
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"cache size (keys, of {data.n_keys:,}; log scale)")
    ax.set_ylabel("hit ratio (%)")
    ax.legend(fontsize="small")
    return fig


def plot_cache_warmup(data: CacheWarmup) -> Figure:
    """Database load and mean latency over time after a cold start."""
    fig, (left, right) = _panels(2, 10, 3.8)
    left.step(data.t, data.db_qps, where="post", label="database queries/s")
    left.axhline(data.db_capacity_qps, color="tab:red", linestyle=":", label="capacity")
    left.set_ylabel("queries completed per second")
    left.set_ylim(bottom=0)
    left.legend(fontsize="small")
    right.step(data.t, _ms(data.latency), where="post", color="tab:purple")
    right.set_ylabel("mean latency (ms)")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.set_xlabel("seconds since the empty cache started")
    return fig


def plot_shards(data: ShardLoad) -> Figure:
    """Each shard's utilization for several key skews."""
    fig, ax = _figure(8, 4)
    shards = data.utilization.shape[1]
    width = 0.8 / len(data.skews)
    for i, s in enumerate(data.skews):
        ax.bar(np.arange(shards) + (i - (len(data.skews) - 1) / 2) * width,
               data.utilization[i] * 100, width,
               label=f"Zipf s = {s:g} (hottest key {data.hottest_key_share[i]:.1%})")
    ax.axhline(data.load / shards / data.shard_capacity_qps * 100, color="grey", linestyle=":",
               label="even share")
    ax.set_xticks(np.arange(shards))
    ax.set_xlabel("shard")
    ax.set_ylabel("utilization (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize="small", loc="upper right")
    return fig


def plot_resharding(data: Resharding) -> Figure:
    """Share of keys moved when shards are added: modulo hashing against a ring."""
    fig, ax = _figure(7, 4)
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


def plot_cache_replicas(hit_ratio: float = 0.8, replicas: int = 1, load: float = 3000.0,
                        read_fraction: float = 0.9) -> Figure:
    """Chapter 4 widget: one run of :func:`scalelab.cache_replicas_point`, showing each
    database node's utilization and the client latency distribution."""
    r = cache_replicas_point(hit_ratio=hit_ratio, replicas=replicas, load=load,
                             read_fraction=read_fraction)
    fig, (left, right) = _panels(2, 10, 3.8)
    nodes = [n for n in r.components if n.startswith("db")]
    util = [r.components[n].utilization * 100 for n in nodes]
    left.barh(nodes, util, color=["tab:red" if u > 95 else "tab:blue" for u in util])
    left.axvline(70, color="grey", linestyle=":", label="70% target")
    left.set_xlim(0, 105)
    left.set_xlabel("utilization (%)")
    left.invert_yaxis()
    left.legend(fontsize="small", loc="lower right")
    lat = np.sort(r.latencies()) * 1000
    timed_out = r.counts.timed_out / max(r.counts.generated, 1)
    if lat.size:
        right.plot(lat, np.arange(1, lat.size + 1) / lat.size)
        right.axvline(r.latency.p99 * 1000, color="tab:red", linestyle="--",
                      label=f"p99 {r.latency.p99 * 1000:,.0f} ms")
        _log(right, "x")
        right.legend(fontsize="small", loc="lower right")
    right.set_xlabel("client latency (ms, log scale)")
    right.set_ylabel("fraction of requests")
    right.set_title(f"timed out (1 s): {timed_out:.0%}", fontsize="medium")
    fig.suptitle(f"{load:,.0f} req/s, {read_fraction:.0%} reads, hit ratio {hit_ratio:.0%}, "
                 f"{replicas} replica(s): database gets "
                 f"{load * (read_fraction * (1 - hit_ratio) + 1 - read_fraction):,.0f} queries/s")
    return fig


def plot_partition_grid(data: PartitionGrid) -> Figure:
    """Throughput against consumers, one line per partition count."""
    fig, ax = _figure(8, 4)
    for i, p in enumerate(data.partitions):
        line, = ax.plot(data.consumers, data.throughput[i], marker="o", label=f"{p} partitions")
        ax.plot(data.consumers, data.formula[i], ":", color=line.get_color())
    ax.plot([], [], "k:", label="formula: min(partitions, consumers) x per consumer")
    ax.set_xlabel("consumers in the group")
    ax.set_ylabel("messages processed per second")
    ax.set_xticks(data.consumers)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def plot_lag_spike(data: LagSpike) -> Figure:
    """Lag through a spike, with the formula's rise and drain drawn over it."""
    fig, ax = _figure(9, 4)
    ax.axvspan(data.start, data.end, color="tab:red", alpha=0.1, label="spike")
    ax.plot(data.t, data.lag, label="lag, simulated (messages)")
    if np.isfinite(data.drain_formula):
        ax.plot([data.start, data.end, data.end + data.drain_formula],
                [0, data.peak_formula, 0], "k--",
                label=f"formula: +{max(data.spike - data.capacity, 0):,.0f}/s, then "
                      f"-{data.capacity - data.base:,.0f}/s")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("messages waiting")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def plot_hot_partitions(data: HotPartitions) -> Figure:
    """Share of messages per partition, and each partition's lag under skew."""
    fig, (left, right) = _panels(2, 10, 3.8)
    parts = np.arange(data.share.shape[1])
    width = 0.8 / len(data.skews)
    for i, s in enumerate(data.skews):
        left.bar(parts + (i - (len(data.skews) - 1) / 2) * width, data.share[i] * 100, width,
                 label=f"Zipf s = {s:g}")
    left.axhline(data.per_consumer / data.load * 100, color="tab:red", linestyle=":",
                 label="what one consumer can take")
    left.set_xticks(parts)
    left.set_xlabel("partition")
    left.set_ylabel("share of messages (%)")
    left.legend(fontsize="small")
    for lag in data.lag[-1]:
        right.plot(data.t, lag)
    right.set_xlabel("time (s)")
    right.set_ylabel(f"lag per partition (Zipf s = {data.skews[-1]:g})")
    return fig


def plot_replay_window(data: ReplayWindow) -> Figure:
    """Lag while a replay catches up, and what each retention lets a rebuild recover."""
    fig, (left, right) = _panels(2, 10, 3.8)
    left.plot(data.t, data.lag)
    left.axvline(data.replay_at, color="tab:red", linestyle="--", label="rewind to offset 0")
    left.set_xlabel("time (s)")
    left.set_ylabel("messages to (re)process")
    left.legend(fontsize="small")
    labels = ["keep all" if r is None else f"{r:g} s" for r in data.retentions]
    right.bar(labels, data.recoverable * 100, color="tab:green")
    right.set_xlabel("retention")
    right.set_ylabel("read-model keys a rebuild recovers (%)")
    right.set_ylim(0, 105)
    return fig


def plot_backpressure(data: Backpressure) -> Figure:
    """Mean publish latency over time for each producer setting."""
    fig, ax = _figure(9, 4)
    ax.axvspan(*data.spike, color="tab:red", alpha=0.1, label="more than the broker takes")
    styles = ("-", "--", "-")
    for label, lat, style in zip(data.labels, data.latency, styles, strict=False):
        ax.plot(data.t, _ms(lat), style, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean publish latency (ms)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return fig


def plot_dead_letters(data: DeadLetters) -> Figure:
    """Final lag and p99 processing delay against attempts per poison message."""
    fig, (left, right) = _panels(2, 10, 3.8)
    left.bar([str(n) for n in data.max_attempts], data.final_lag, color="tab:orange")
    left.set_ylabel("lag at the end (messages)")
    right.plot([str(n) for n in data.max_attempts], _ms(data.p99_completion), marker="o")
    _log(right)
    right.set_ylabel("p99 produce-to-processed (ms, log scale)")
    for ax in (left, right):
        ax.set_xlabel("attempts before the dead-letter queue")
    return fig


def plot_staleness(data: Staleness) -> Figure:
    """Share of writes a reader misses, against how long after the write it reads."""
    fig, ax = _figure(8, 4)
    for i, u in enumerate(data.utilizations):
        line, = ax.plot(_ms(data.delays), data.stale[i] * 100, "o-",
                        label=f"consumer at {u:.0%}")
        ax.plot(_ms(data.delays), data.formula[i] * 100, ":", color=line.get_color())
    ax.plot([], [], "k:", label="formula (M/M/1): exp(-(mu - lambda) d)")
    _log(ax, "x")
    ax.set_xlabel("read this long after the write (ms, log scale)")
    ax.set_ylabel("reads that miss the write (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize="small")
    return fig


def plot_lag_point(partitions: int = 4, consumers: int = 4, spike: float = 400.0) -> Figure:
    """Chapter 5 widget: lag through a 4-second spike (base 100 messages/s, 40 per
    consumer), one run of :func:`scalelab.lag_spike` at a small scale."""
    data = lag_spike(partitions=partitions, consumers=consumers, per_consumer=40.0,
                     base=100.0, spike=spike, start=2.0, end=6.0, duration=25.0)
    fig = plot_lag_spike(data)
    ax = fig.axes[0]
    active = min(partitions, consumers)
    ax.set_title(f"{partitions} partitions, {consumers} consumers ({active} active, "
                 f"{max(consumers - partitions, 0)} idle): capacity {data.capacity:,.0f}/s, "
                 f"spike {spike:,.0f}/s", fontsize="medium")
    return fig
