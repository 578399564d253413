"""Scaling request-response: one lab per strategy, the data behind chapter 4.

Each function runs seeded simulations (or, where named, a formula) and returns the data
of one figure. Defaults run in about a second or two (see ``benchmarks/labs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._core import _shard_of
from ._validate import (
    check_int,
    check_ints,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from .distributions import Bimodal, Distribution, Exponential
from .simulate import simulate
from .theory import lru_hit_ratio, stale_read_fraction
from .topology import LB_POLICIES, AppTier, Cache, Database, LoadBalancer, RequestResponse
from .workload import Poisson, Uniform, Zipf

UNEVEN = Bimodal(0.005, 0.1, 0.05)
"""Requests of uneven cost: 95% take 5 ms, 5% take 100 ms."""

__all__ = [
    "UNEVEN",
    "BalancerComparison",
    "balancer_comparison",
    "HorizontalScaling",
    "horizontal_scaling",
    "PoolSizing",
    "pool_sizing",
    "ReplicaScaling",
    "read_replicas",
    "StaleReads",
    "stale_reads",
    "CacheLever",
    "cache_lever",
    "LruSizing",
    "lru_sizing",
    "CacheWarmup",
    "cache_warmup",
    "ShardLoad",
    "shard_load",
    "Resharding",
    "resharding",
    "cache_replicas_point",
]


def _p99(result) -> float:
    """Client p99 in seconds; inf when no request was answered."""
    return float(result.latency.p99) if result.latency.p99 is not None else float("inf")


def _tier_utilization(result, prefix: str) -> np.ndarray:
    return np.array([c.utilization for name, c in result.components.items()
                     if name == prefix or name.startswith(prefix + "[")])


@dataclass(frozen=True)
class BalancerComparison:
    """Load-balancing policies at several utilizations, same arrivals and request costs.

    Attributes
    ----------
    policies : tuple of str
    utilizations : numpy.ndarray
        Offered load as a fraction of the tier's capacity.
    p50, p99 : numpy.ndarray
        Client latency, seconds, shape (policies, utilizations).
    server_utilization : numpy.ndarray
        Per-server utilization, shape (policies, utilizations, servers).
    servers, workers : int
    service : Distribution
        Cost of one request.
    """

    policies: tuple[str, ...]
    utilizations: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    server_utilization: np.ndarray
    servers: int
    workers: int
    service: Distribution

    def highest_utilization(self, p99_target: float) -> dict[str, float]:
        """Per policy, the highest simulated utilization whose p99 meets ``p99_target``
        seconds (0 if none does)."""
        out = {}
        for i, policy in enumerate(self.policies):
            ok = self.utilizations[self.p99[i] <= p99_target]
            out[policy] = float(ok.max()) if ok.size else 0.0
        return out


def balancer_comparison(servers: int = 8, workers: int = 2,
                        utilizations: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9),
                        service: Distribution = UNEVEN,
                        policies: tuple[str, ...] = LB_POLICIES, duration: float = 3.0,
                        seed: int = 1) -> BalancerComparison:
    """Round robin, random, least connections and power of two choices when requests have
    uneven costs (by default 95% take 5 ms, 5% take 100 ms).

    Parameters
    ----------
    servers, workers : int
        App servers (>= 2) and workers per server (>= 1).
    utilizations : tuple of float
        Offered load as a fraction of capacity ``servers * workers / mean service``, each
        in (0, 1).
    service : Distribution
        Request cost, seconds.
    policies : tuple of str
        Policies from ``LB_POLICIES``.
    duration : float
        Simulated seconds per run (> 0).
    seed : int
        Seed; every run uses the same arrivals and costs.
    """
    check_int("servers", servers, low=2)
    check_int("workers", workers, low=1)
    utils = check_reals("utilizations", utilizations, low=0.0, high=1.0, low_open=True,
                        high_open=True)
    policies = tuple(policies)
    if not policies:
        raise ValueError("policies=() is empty; give at least one of " + ", ".join(LB_POLICIES))
    capacity = servers * workers / service.mean
    p50, p99, spread = [], [], []
    for policy in policies:
        system_ = RequestResponse(app=AppTier(servers=servers, workers=workers, service=service),
                                  lb=LoadBalancer(policy), network=0.0)
        rows = [simulate(system_, Poisson(u * capacity), duration, seed=seed) for u in utils]
        p50.append([r.latency.p50 for r in rows])
        p99.append([_p99(r) for r in rows])
        spread.append([_tier_utilization(r, "app") for r in rows])
    return BalancerComparison(policies, np.array(utils), np.array(p50), np.array(p99),
                              np.array(spread), servers, workers, service)


@dataclass(frozen=True)
class HorizontalScaling:
    """Throughput and latency as app servers are added in front of one database.

    Attributes
    ----------
    servers : numpy.ndarray
    throughput : numpy.ndarray
        Completed requests per second.
    p99 : numpy.ndarray
        Client latency of answered requests, seconds.
    app_utilization, db_utilization : numpy.ndarray
        Mean app server and database utilization.
    dropped : numpy.ndarray
        Fraction of requests turned away by full accept queues.
    load, app_capacity, db_capacity_qps : float
        Offered requests/s; what one app server can complete per second on its own
        (formula: workers / mean time a worker is held); the database's saturation QPS.
    """

    servers: np.ndarray
    throughput: np.ndarray
    p99: np.ndarray
    app_utilization: np.ndarray
    db_utilization: np.ndarray
    dropped: np.ndarray
    load: float
    app_capacity: float
    db_capacity_qps: float


def horizontal_scaling(servers: tuple[int, ...] = (1, 2, 3, 4, 6, 8), load: float = 1500.0,
                       db_capacity_qps: float = 1000.0, workers: int = 8,
                       app_time: float = 0.02, duration: float = 6.0,
                       seed: int = 1) -> HorizontalScaling:
    """Add app servers behind a least-connections balancer while every request makes one
    database query. Each server's accept queue holds ``workers`` requests and turns the
    rest away, so the measured throughput is what the tier can really complete.

    Parameters
    ----------
    servers : tuple of int
        App server counts to try (each >= 1).
    load : float
        Offered requests per second (> 0).
    db_capacity_qps : float
        Database saturation throughput (> 0).
    workers : int
        Worker threads per app server (>= 1).
    app_time : float
        Mean CPU time of the app's own work per request, seconds (> 0).
    duration : float
        Simulated seconds per run (> 0).
    seed : int
    """
    counts = check_ints("servers", servers, 1)
    check_positive("load", load)
    db = Database(capacity_qps=db_capacity_qps, concurrency=8)
    check_positive("app_time", app_time)
    rows = []
    for n in counts:
        app = AppTier(servers=n, workers=workers, service=Exponential(app_time),
                      queue_limit=workers)
        r = simulate(RequestResponse(app=app, db=db, lb=LoadBalancer("least_connections")),
                     Poisson(load), duration, seed=seed)
        rows.append((r.throughput, _p99(r), _tier_utilization(r, "app").mean(),
                     r.components["db"].utilization, r.counts.dropped / r.counts.generated))
    cols = np.array(rows).T
    held = app_time + db.mean_query_time + 4 * 0.0005
    return HorizontalScaling(np.array(counts), *cols, load=float(load),
                             app_capacity=workers / held, db_capacity_qps=float(db_capacity_qps))


@dataclass(frozen=True)
class PoolSizing:
    """Latency against the size of the connection pool to the database.

    Attributes
    ----------
    pools : numpy.ndarray
        Connections in the pool.
    p50, p99 : numpy.ndarray
        Client latency, seconds.
    pool_wait, db_wait : numpy.ndarray
        Mean time a request waited for a connection, and inside the database for a free
        execution slot, seconds.
    in_use : float
        Connections busy on average (Little's law: load x query time), a formula.
    db_concurrency : int
        Queries the database executes at once.
    load : float
    """

    pools: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    pool_wait: np.ndarray
    db_wait: np.ndarray
    in_use: float
    db_concurrency: int
    load: float


def pool_sizing(pools: tuple[int, ...] = (4, 5, 6, 8, 16, 64), load: float = 700.0,
                db_capacity_qps: float = 1000.0, db_concurrency: int = 8,
                duration: float = 6.0, seed: int = 1) -> PoolSizing:
    """Four app servers share one pool of connections to the database; each request holds
    a connection for one query.

    Parameters
    ----------
    pools : tuple of int
        Pool sizes to try (each >= 1).
    load : float
        Requests per second (> 0).
    db_capacity_qps : float
        Database saturation throughput (> 0).
    db_concurrency : int
        Queries the database executes at once (>= 1).
    duration : float
    seed : int
    """
    sizes = check_ints("pools", pools, 1)
    check_positive("load", load)
    rows = []
    for pool in sizes:
        db = Database(capacity_qps=db_capacity_qps, concurrency=db_concurrency, pool=pool)
        system_ = RequestResponse(app=AppTier(servers=4, workers=64, service=Exponential(0.005)),
                                  db=db, lb=LoadBalancer("least_connections"))
        r = simulate(system_, Poisson(load), duration, seed=seed)
        b = r.breakdown()
        rows.append((r.latency.p50, _p99(r), b["db.pool.wait"], b["db.wait"]))
    cols = np.array(rows).T
    query_time = db_concurrency / db_capacity_qps
    return PoolSizing(np.array(sizes), *cols, in_use=load * query_time,
                      db_concurrency=db_concurrency, load=float(load))


@dataclass(frozen=True)
class ReplicaScaling:
    """Read replicas added to one database: latency, load per node and stale reads.

    Attributes
    ----------
    replicas : numpy.ndarray
    p99 : numpy.ndarray
        Client latency, seconds (inf if nothing was answered).
    primary_utilization, replica_utilization : numpy.ndarray
        Primary's utilization and the busiest replica's (0 without replicas).
    stale : numpy.ndarray
        Fraction of reads that missed their key's latest write.
    overloaded : numpy.ndarray
        True where the run could not keep up with the load.
    load, read_fraction, db_capacity_qps : float
    """

    replicas: np.ndarray
    p99: np.ndarray
    primary_utilization: np.ndarray
    replica_utilization: np.ndarray
    stale: np.ndarray
    overloaded: np.ndarray
    load: float
    read_fraction: float
    db_capacity_qps: float


def _replicated(replicas: int, lag: float, db_capacity_qps: float) -> RequestResponse:
    db = Database(capacity_qps=db_capacity_qps, concurrency=8, read_replicas=replicas,
                  replication_lag=Exponential(lag))
    return RequestResponse(app=AppTier(servers=4, workers=64, service=Exponential(0.002)),
                           db=db, lb=LoadBalancer("least_connections"))


def read_replicas(replicas: tuple[int, ...] = (0, 1, 2, 3), load: float = 1500.0,
                  read_fraction: float = 0.9, lag: float = 0.1,
                  db_capacity_qps: float = 1000.0, n_keys: int = 10_000,
                  zipf_s: float = 1.0, duration: float = 4.0,
                  seed: int = 1) -> ReplicaScaling:
    """Reads go round robin to the replicas, writes to the primary, which replicates each
    write after an exponential lag (mean ``lag`` seconds).

    Parameters
    ----------
    replicas : tuple of int
        Replica counts (each >= 0).
    load : float
        Requests per second (> 0).
    read_fraction : float
        Share of reads, in [0, 1].
    lag : float
        Mean replication lag, seconds (> 0).
    db_capacity_qps : float
        Saturation throughput of each node (> 0).
    n_keys : int
        Distinct keys (>= 1).
    zipf_s : float
        Key skew, in [0, 5].
    duration : float
    seed : int
    """
    counts = check_ints("replicas", replicas, 0)
    check_positive("load", load)
    check_probability("read_fraction", read_fraction)
    check_positive("lag", lag)
    rows = []
    for n in counts:
        r = simulate(_replicated(n, lag, db_capacity_qps),
                     Poisson(load, keys=Zipf(n_keys, zipf_s), read_fraction=read_fraction),
                     duration, seed=seed)
        reps = [c.utilization for k, c in r.components.items() if k.startswith("db.replica")]
        reads = max(r.counters["db.reads"], 1.0)
        rows.append((_p99(r), r.components["db"].utilization, max(reps, default=0.0),
                     r.counters["db.stale_reads"] / reads, r.overloaded))
    cols = list(zip(*rows, strict=True))
    return ReplicaScaling(np.array(counts), np.array(cols[0]), np.array(cols[1]),
                          np.array(cols[2]), np.array(cols[3]), np.array(cols[4], dtype=bool),
                          float(load), float(read_fraction), float(db_capacity_qps))


@dataclass(frozen=True)
class StaleReads:
    """Stale reads against replication lag, simulated and by formula.

    Attributes
    ----------
    lags : numpy.ndarray
        Mean replication lag, seconds.
    simulated : dict of str to numpy.ndarray
        Per key popularity ("uniform", "zipf"), fraction of reads that were stale.
    formula : dict of str to numpy.ndarray
        The same from :func:`scalelab.stale_read_fraction`.
    write_rate : float
        Writes per second.
    """

    lags: np.ndarray
    simulated: dict[str, np.ndarray]
    formula: dict[str, np.ndarray]
    write_rate: float


def stale_reads(lags: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
                load: float = 1000.0, read_fraction: float = 0.9, n_keys: int = 10_000,
                zipf_s: float = 1.0, duration: float = 3.0, seed: int = 1) -> StaleReads:
    """How often a read on a replica misses the latest write, for uniform and skewed keys:
    a hot key is written often, so it is often stale.

    Parameters
    ----------
    lags : tuple of float
        Mean replication lags to try, seconds (each > 0).
    load : float
        Requests per second (> 0); 2 replicas carry the reads.
    read_fraction : float
        Share of reads, in (0, 1).
    n_keys : int
        Distinct keys (>= 1).
    zipf_s : float
        Skew of the "zipf" case, in [0, 5].
    duration : float
    seed : int
    """
    values = check_reals("lags", lags, low=0.0, high=3600.0)
    check_positive("load", load)
    check_real("read_fraction", read_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    popularity = {"uniform": Uniform(n_keys), "zipf": Zipf(n_keys, zipf_s)}
    write_rate = load * (1 - read_fraction)
    simulated, formula = {}, {}
    for label, keys in popularity.items():
        runs = [simulate(_replicated(2, lag, 4 * load), Poisson(load, keys=keys,
                                                              read_fraction=read_fraction),
                         duration, seed=seed) for lag in values]
        simulated[label] = np.array([r.counters["db.stale_reads"] / max(r.counters["db.reads"], 1)
                                     for r in runs])
        formula[label] = np.array([stale_read_fraction(keys.probabilities(), write_rate, lag)
                                   for lag in values])
    return StaleReads(np.array(values), simulated, formula, write_rate)


@dataclass(frozen=True)
class CacheLever:
    """Database load and latency against the cache hit ratio.

    Attributes
    ----------
    hit_ratios : numpy.ndarray
    db_qps : numpy.ndarray
        Database queries per second, simulated.
    db_qps_formula : numpy.ndarray
        ``reads * (1 - hit ratio) + writes``.
    p99 : numpy.ndarray
        Client latency, seconds (inf if nothing was answered).
    load, read_fraction, db_capacity_qps : float
    """

    hit_ratios: np.ndarray
    db_qps: np.ndarray
    db_qps_formula: np.ndarray
    p99: np.ndarray
    load: float
    read_fraction: float
    db_capacity_qps: float


def cache_lever(hit_ratios: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99),
                load: float = 5000.0, read_fraction: float = 0.95,
                db_capacity_qps: float = 1000.0, duration: float = 1.0,
                seed: int = 1) -> CacheLever:
    """A look-aside cache with a fixed hit ratio in front of one database.

    Parameters
    ----------
    hit_ratios : tuple of float
        Each in [0, 1].
    load : float
        Requests per second (> 0).
    read_fraction : float
        Share of reads, in [0, 1]; writes always reach the database.
    db_capacity_qps : float
        Database saturation throughput (> 0).
    duration : float
    seed : int
    """
    ratios = check_reals("hit_ratios", hit_ratios, low=0.0, high=1.0)
    check_positive("load", load)
    check_probability("read_fraction", read_fraction)
    db = Database(capacity_qps=db_capacity_qps, concurrency=8)
    rows = []
    for h in ratios:
        r = simulate(RequestResponse(app=AppTier(servers=8, workers=64,
                                                 service=Exponential(0.001)),
                                     db=db, cache=Cache(hit_ratio=h),
                                     lb=LoadBalancer("least_connections")),
                     Poisson(load, read_fraction=read_fraction), duration, seed=seed)
        rows.append((r.components["db"].visits / r.window, _p99(r)))
    cols = np.array(rows).T
    formula = load * (read_fraction * (1 - np.array(ratios)) + (1 - read_fraction))
    return CacheLever(np.array(ratios), cols[0], formula, cols[1], float(load),
                      float(read_fraction), float(db_capacity_qps))


@dataclass(frozen=True)
class LruSizing:
    """Hit ratio of an LRU cache against its size, for several key skews.

    Attributes
    ----------
    sizes : numpy.ndarray
        Cache capacity as a number of keys.
    skews : numpy.ndarray
        Zipf exponents.
    simulated, formula : numpy.ndarray
        Hit ratios, shape (skews, sizes): simulated LRU, and Che's approximation.
    n_keys : int
    """

    sizes: np.ndarray
    skews: np.ndarray
    simulated: np.ndarray
    formula: np.ndarray
    n_keys: int


def lru_sizing(sizes: tuple[int, ...] = (30, 100, 300, 1000),
               skews: tuple[float, ...] = (0.6, 0.9, 1.2), n_keys: int = 20_000,
               requests: int = 6_000, seed: int = 1) -> LruSizing:
    """Run an LRU cache of each size on Zipf keys and count hits after the first third of
    the run (the cache starts holding the most popular keys), next to Che's approximation
    (:func:`scalelab.lru_hit_ratio`).

    Parameters
    ----------
    sizes : tuple of int
        Cache sizes in keys (each >= 1).
    skews : tuple of float
        Zipf exponents, each in [0, 5].
    n_keys : int
        Distinct keys (>= 1).
    requests : int
        Requests per run (>= 100).
    seed : int
    """
    sizes_ = check_ints("sizes", sizes, 1)
    skews_ = check_reals("skews", skews, low=0.0, high=5.0)
    check_int("requests", requests, low=100)
    rate = 10_000.0
    db = Database(capacity_qps=1e6, concurrency=64)
    app = AppTier(servers=1, workers=256, service=Exponential(1e-5))
    simulated, formula = [], []
    for s in skews_:
        keys = Zipf(n_keys, s)
        probs = keys.probabilities()
        row = []
        for size in sizes_:
            r = simulate(RequestResponse(app=app, db=db, cache=Cache(size=size, latency=0.0,
                                                                     warm=True), network=0.0),
                         Poisson(rate, keys=keys), requests / rate, seed=seed,
                         warmup=requests / rate / 3)
            row.append(1.0 - r.components["db"].visits / (r.offered_rate * r.window))
        simulated.append(row)
        formula.append([lru_hit_ratio(probs, size) for size in sizes_])
    return LruSizing(np.array(sizes_), np.array(skews_), np.array(simulated),
                     np.array(formula), n_keys)


@dataclass(frozen=True)
class CacheWarmup:
    """A cache that starts empty: database load and latency while it fills.

    Attributes
    ----------
    t : numpy.ndarray
        Bin start times, seconds.
    db_qps, latency : numpy.ndarray
        Database queries completed per second, and mean client latency (s), per bin.
    load, db_capacity_qps, steady_hit_ratio : float
        Offered requests/s, database saturation QPS, and the hit ratio over the last
        quarter of the run.
    """

    t: np.ndarray
    db_qps: np.ndarray
    latency: np.ndarray
    load: float
    db_capacity_qps: float
    steady_hit_ratio: float


def cache_warmup(load: float = 2000.0, cache_size: int = 5_000, n_keys: int = 100_000,
                 zipf_s: float = 1.0, db_capacity_qps: float = 1000.0, duration: float = 8.0,
                 seed: int = 1, bin_width: float = 0.25) -> CacheWarmup:
    """Start with an empty LRU cache (a deploy, a new region) under constant load.

    Parameters
    ----------
    load : float
        Requests per second (> 0), all reads.
    cache_size, n_keys : int
        Cache capacity and distinct keys (>= 1).
    zipf_s : float
        Key skew, in [0, 5].
    db_capacity_qps : float
    duration : float
    seed : int
    bin_width : float
        Seconds per bin (> 0).
    """
    check_positive("load", load)
    system_ = RequestResponse(app=AppTier(servers=4, workers=128, service=Exponential(0.002)),
                              db=Database(capacity_qps=db_capacity_qps, concurrency=8),
                              cache=Cache(size=cache_size), lb=LoadBalancer("least_connections"))
    r = simulate(system_, Poisson(load, keys=Zipf(n_keys, zipf_s)), duration, seed=seed,
                 warmup=0.0)
    db = r.timeseries("db.completions", bin_width=bin_width)
    lat = r.timeseries("latency", bin_width=bin_width)
    tail = db.t >= 0.75 * duration
    return CacheWarmup(db.t, db.values, lat.values, float(load), float(db_capacity_qps),
                       float(1 - db.values[tail].mean() / load))


@dataclass(frozen=True)
class ShardLoad:
    """Per-shard load when keys are skewed.

    Attributes
    ----------
    skews : numpy.ndarray
        Zipf exponents (0: uniform).
    utilization : numpy.ndarray
        Shape (skews, shards): each shard's utilization, simulated.
    p99 : numpy.ndarray
        Client latency per skew, seconds (inf if nothing was answered).
    hottest_key_share : numpy.ndarray
        Share of all requests going to the single most popular key, formula.
    load, shard_capacity_qps : float
    """

    skews: np.ndarray
    utilization: np.ndarray
    p99: np.ndarray
    hottest_key_share: np.ndarray
    load: float
    shard_capacity_qps: float


def shard_load(shards: int = 8, skews: tuple[float, ...] = (0.0, 0.8, 1.1),
               load: float = 4000.0, shard_capacity_qps: float = 1000.0,
               n_keys: int = 10_000, duration: float = 3.0, seed: int = 1) -> ShardLoad:
    """Hash-sharded database: keys map to ``hash(key) % shards``; a hot key's shard
    carries that key's whole load.

    Parameters
    ----------
    shards : int
        Number of shards (>= 2).
    skews : tuple of float
        Zipf exponents, each in [0, 5].
    load : float
        Requests per second (> 0), all reads, no cache.
    shard_capacity_qps : float
        Saturation throughput of one shard (> 0).
    n_keys : int
        Distinct keys (>= 1).
    duration : float
    seed : int
    """
    check_int("shards", shards, low=2)
    skews_ = check_reals("skews", skews, low=0.0, high=5.0)
    check_positive("load", load)
    db = Database(capacity_qps=shard_capacity_qps, concurrency=8, shards=shards)
    system_ = RequestResponse(app=AppTier(servers=8, workers=64, service=Exponential(0.001)),
                              db=db, lb=LoadBalancer("least_connections"))
    util, p99, hottest = [], [], []
    for s in skews_:
        keys = Zipf(n_keys, s)
        r = simulate(system_, Poisson(load, keys=keys), duration, seed=seed)
        util.append([r.components[f"db[{i}]"].utilization for i in range(shards)])
        p99.append(_p99(r))
        hottest.append(keys.probabilities()[0])
    return ShardLoad(np.array(skews_), np.array(util), np.array(p99), np.array(hottest),
                     float(load), float(shard_capacity_qps))


def _ring_owner(keys: np.ndarray, shards: int, vnodes: int) -> np.ndarray:
    """Owner of each key on a consistent-hashing ring with ``vnodes`` points per shard."""
    points = np.array([_mix(s * 1_000_003 + v) for s in range(shards) for v in range(vnodes)])
    owners = np.repeat(np.arange(shards), vnodes)
    order = np.argsort(points)
    points, owners = points[order], owners[order]
    at = np.searchsorted(points, _mix(keys)) % points.size
    return owners[at]


def _mix(x: np.ndarray | int) -> np.ndarray:
    """A 64-bit integer hash (splitmix64 finalizer), vectorised."""
    z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass(frozen=True)
class Resharding:
    """Share of keys that move to another shard when shards are added (counted exactly
    over every key, not simulated).

    Attributes
    ----------
    old : int
        Shards before.
    new : numpy.ndarray
        Shards after.
    modulo, ring : numpy.ndarray
        Fraction of keys that move with ``hash % shards`` and with a consistent-hashing
        ring.
    ideal : numpy.ndarray
        The least possible, ``1 - old / new``.
    """

    old: int
    new: np.ndarray
    modulo: np.ndarray
    ring: np.ndarray
    ideal: np.ndarray


def resharding(old: int = 8, new: tuple[int, ...] = (9, 10, 12, 16), n_keys: int = 100_000,
               vnodes: int = 100) -> Resharding:
    """Grow from ``old`` shards and count the keys whose shard changes.

    Parameters
    ----------
    old : int
        Shards before (>= 1).
    new : tuple of int
        Shard counts after (each > old).
    n_keys : int
        Keys counted (>= 1).
    vnodes : int
        Points per shard on the ring (>= 1); more points spread load more evenly.
    """
    check_int("old", old, low=1)
    after = check_ints("new", new, old + 1)
    check_int("n_keys", n_keys, low=1)
    check_int("vnodes", vnodes, low=1)
    keys = np.arange(n_keys, dtype=np.int64)
    mod_before = _shard_of(keys, old)
    ring_before = _ring_owner(keys, old, vnodes)
    modulo, ring = [], []
    for n in after:
        modulo.append(np.mean(_shard_of(keys, n) != mod_before))
        ring.append(np.mean(_ring_owner(keys, n, vnodes) != ring_before))
    after_ = np.array(after)
    return Resharding(old, after_, np.array(modulo), np.array(ring), 1 - old / after_)


def cache_replicas_point(hit_ratio: float = 0.8, replicas: int = 1, load: float = 3000.0,
                         read_fraction: float = 0.9, db_capacity_qps: float = 1000.0,
                         duration: float = 1.0, seed: int = 1):
    """One run of the chapter 4 widget: a cache and read replicas in front of one primary.

    Parameters
    ----------
    hit_ratio : float
        Cache hit ratio, in [0, 1].
    replicas : int
        Read replicas, 0 to 8.
    load : float
        Requests per second, in (0, 20,000].
    read_fraction : float
        Share of reads, in [0, 1].
    db_capacity_qps : float
        Saturation throughput of each database node (> 0).
    duration : float
        Simulated seconds (> 0).
    seed : int

    Returns
    -------
    SimulationResult
    """
    check_probability("hit_ratio", hit_ratio)
    check_int("replicas", replicas, low=0, high=8)
    check_real("load", load, low=0.0, high=20_000.0, low_open=True)
    db = Database(capacity_qps=db_capacity_qps, concurrency=8, read_replicas=replicas)
    system_ = RequestResponse(app=AppTier(servers=8, workers=64, service=Exponential(0.001)),
                              db=db, cache=Cache(hit_ratio=hit_ratio),
                              lb=LoadBalancer("least_connections"), timeout=1.0)
    return simulate(system_, Poisson(load, read_fraction=read_fraction), duration, seed=seed)
