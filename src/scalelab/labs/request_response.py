"""Scaling request-response (chapter 4): load balancing, app servers, connection pools,
read replicas and stale reads, and a cache with replicas in front of one primary.

Each function runs seeded simulations (or, where named, a formula) and returns the data
of one figure. Defaults run in about a second or two (see ``benchmarks/labs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_int,
    check_ints,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from ..distributions import Bimodal, Distribution, Exponential
from ..results import SimulationResult
from ..run import simulate
from ..theory import DatabaseLoad, database_load, stale_read_fraction
from ..topology import LB_POLICIES, AppTier, Cache, Database, LoadBalancer, RequestResponse
from ..workload import Poisson, Uniform, Zipf
from ._units import p99_or_inf

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
    "CacheReplicasPoint",
    "cache_replicas_point",
]


def tier_utilization(result: SimulationResult, prefix: str) -> np.ndarray:
    """Utilization of each component of a tier (``prefix`` or ``prefix[i]``)."""
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
        p99.append([p99_or_inf(r.latency) for r in rows])
        spread.append([tier_utilization(r, "app") for r in rows])
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
        rows.append((r.throughput, p99_or_inf(r.latency), tier_utilization(r, "app").mean(),
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
        rows.append((r.latency.p50, p99_or_inf(r.latency), b["db.pool.wait"], b["db.wait"]))
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
        rows.append((p99_or_inf(r.latency), r.components["db"].utilization, max(reps, default=0.0),
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
class CacheReplicasPoint:
    """One run of a cache and read replicas in front of one primary.

    Attributes
    ----------
    hit_ratio, load, read_fraction : float
    replicas : int
    nodes : tuple of str
        Database nodes: ``"db"`` (the primary) and ``"db.replica[i]"``.
    utilization : numpy.ndarray
        Each node's simulated utilization.
    latencies : numpy.ndarray
        Client latencies of answered requests, sorted, seconds.
    p99 : float
        Their 99th percentile, seconds (inf if nothing was answered).
    timed_out : float
        Share of requests that timed out (1 s), simulated.
    db_load : DatabaseLoad
        Queries/s the cache lets through (formula).
    """

    hit_ratio: float
    load: float
    read_fraction: float
    replicas: int
    nodes: tuple[str, ...]
    utilization: np.ndarray
    latencies: np.ndarray
    p99: float
    timed_out: float
    db_load: DatabaseLoad


def cache_replicas_point(hit_ratio: float = 0.8, replicas: int = 1, load: float = 3000.0,
                         read_fraction: float = 0.9, db_capacity_qps: float = 1000.0,
                         duration: float = 1.0, seed: int = 1) -> CacheReplicasPoint:
    """One run of the chapter 4 widget: a cache and read replicas in front of one primary;
    clients time out after 1 s.

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
    CacheReplicasPoint
    """
    check_probability("hit_ratio", hit_ratio)
    check_int("replicas", replicas, low=0, high=8)
    check_real("load", load, low=0.0, high=20_000.0, low_open=True)
    db = Database(capacity_qps=db_capacity_qps, concurrency=8, read_replicas=replicas)
    system_ = RequestResponse(app=AppTier(servers=8, workers=64, service=Exponential(0.001)),
                              db=db, cache=Cache(hit_ratio=hit_ratio),
                              lb=LoadBalancer("least_connections"), timeout=1.0)
    r = simulate(system_, Poisson(load, read_fraction=read_fraction), duration, seed=seed)
    nodes = tuple(n for n in r.components if n.startswith("db"))
    return CacheReplicasPoint(
        float(hit_ratio), float(load), float(read_fraction), replicas, nodes,
        np.array([r.components[n].utilization for n in nodes]), np.sort(r.latencies()),
        p99_or_inf(r.latency), r.counts.timed_out / max(r.counts.generated, 1),
        database_load(load, read_fraction, hit_ratio))
