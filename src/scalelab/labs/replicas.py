"""Read replicas (chapter 4): latency, load per node and stale reads as replicas are
added, stale reads against replication lag (simulated and by formula), and a cache with
replicas in front of one primary (chapter 4's widget)."""

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
from ..distributions import Exponential
from ..results import LatencyStats, Status
from ..run import simulate
from ..theory import DatabaseLoad, database_load, stale_read_fraction
from ..topology import AppTier, Cache, Database, LoadBalancer, RequestResponse
from ..workload import Poisson, Uniform, Zipf
from ._units import p99_or_inf

__all__ = [
    "ReplicaScaling",
    "read_replicas",
    "StaleReads",
    "stale_reads",
    "CacheReplicasPoint",
    "cache_replicas_point",
]


@dataclass(frozen=True)
class ReplicaScaling:
    """Read replicas added to one database: latency, load per node and stale reads.

    Attributes
    ----------
    replicas : numpy.ndarray
    p99 : numpy.ndarray
        Client latency, failures included (see :attr:`scalelab.SimulationResult.latency`), seconds.
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
    db = Database(
        capacity_qps=db_capacity_qps,
        concurrency=8,
        read_replicas=replicas,
        replication_lag=Exponential(lag),
    )
    return RequestResponse(
        app=AppTier(servers=4, workers=64, service=Exponential(0.002)),
        db=db,
        lb=LoadBalancer("least_connections"),
    )


def read_replicas(
    replicas: tuple[int, ...] = (0, 1, 2, 3),
    load: float = 1500.0,
    read_fraction: float = 0.9,
    lag: float = 0.1,
    db_capacity_qps: float = 1000.0,
    n_keys: int = 10_000,
    zipf_s: float = 1.0,
    duration: float = 4.0,
    seed: int = 1,
) -> ReplicaScaling:
    """Reads go round robin to the replicas, writes to the primary, which replicates each
    write after an exponential lag (mean ``lag`` seconds).

    Cost: about 24,000 simulated requests (~0.9 s on a laptop core); at most 2e6.

    Parameters
    ----------
    replicas : tuple of int
        Replica counts, each 0 to 100.
    load : float
        Requests per second (> 0).
    read_fraction : float
        Share of reads, in [0, 1].
    lag : float
        Mean replication lag, seconds (> 0).
    db_capacity_qps : float
        Saturation throughput of each node (> 0).
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    zipf_s : float
        Key skew, in [0, 5].
    duration : float
    seed : int
    """
    counts = check_ints("replicas", replicas, 0)
    for i, n in enumerate(counts):
        check_int(f"replicas[{i}]", n, high=100)
    check_positive("load", load)
    check_probability("read_fraction", read_fraction)
    check_positive("lag", lag)
    rows = []
    for n in counts:
        r = simulate(
            _replicated(n, lag, db_capacity_qps),
            Poisson(load, keys=Zipf(n_keys, zipf_s), read_fraction=read_fraction),
            duration,
            seed=seed,
        )
        reps = [c.utilization for k, c in r.components.items() if k.startswith("db.replica")]
        reads = max(r.counters["db.reads"], 1.0)
        rows.append(
            (
                p99_or_inf(r.latency),
                r.components["db"].utilization,
                max(reps, default=0.0),
                r.counters["db.stale_reads"] / reads,
                r.overloaded,
            )
        )
    cols = list(zip(*rows, strict=True))
    return ReplicaScaling(
        np.array(counts),
        np.array(cols[0]),
        np.array(cols[1]),
        np.array(cols[2]),
        np.array(cols[3]),
        np.array(cols[4], dtype=bool),
        float(load),
        float(read_fraction),
        float(db_capacity_qps),
    )


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


def stale_reads(
    lags: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    load: float = 1000.0,
    read_fraction: float = 0.9,
    n_keys: int = 10_000,
    zipf_s: float = 1.0,
    duration: float = 3.0,
    seed: int = 1,
) -> StaleReads:
    """How often a read on a replica misses the latest write, for uniform and skewed keys:
    a hot key is written often, so it is often stale.

    Cost: about 36,000 simulated requests (~1 s on a laptop core); at most 2e6.

    Parameters
    ----------
    lags : tuple of float
        Mean replication lags to try, seconds, each in (0, 3600].
    load : float
        Requests per second (> 0); 2 replicas carry the reads.
    read_fraction : float
        Share of reads, in (0, 1).
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    zipf_s : float
        Skew of the "zipf" case, in [0, 5].
    duration : float
    seed : int
    """
    values = check_reals("lags", lags, low=0.0, high=3600.0, low_open=True)
    check_positive("load", load)
    check_real("read_fraction", read_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    popularity = {"uniform": Uniform(n_keys), "zipf": Zipf(n_keys, zipf_s)}
    write_rate = load * (1 - read_fraction)
    simulated, formula = {}, {}
    for label, keys in popularity.items():
        runs = [
            simulate(
                _replicated(2, lag, 4 * load),
                Poisson(load, keys=keys, read_fraction=read_fraction),
                duration,
                seed=seed,
            )
            for lag in values
        ]
        simulated[label] = np.array(
            [r.counters["db.stale_reads"] / max(r.counters["db.reads"], 1) for r in runs]
        )
        formula[label] = np.array(
            [stale_read_fraction(keys.probabilities(), write_rate, lag) for lag in values]
        )
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
    timeout : float
        Seconds a client waits before giving up.
    measured : int
        Requests sent in the first ``duration - timeout`` seconds: each has its answer or
        has given up by the end of the run, so none is still waiting.
    latencies : numpy.ndarray
        Their client latencies, a timed-out request counted at ``timeout``, sorted,
        seconds.
    p99 : float
        Their 99th percentile, seconds.
    timed_out : float
        Share of them that timed out, simulated.
    db_load : DatabaseLoad
        Queries/s the cache lets through (formula).
    """

    hit_ratio: float
    load: float
    read_fraction: float
    replicas: int
    nodes: tuple[str, ...]
    utilization: np.ndarray
    timeout: float
    measured: int
    latencies: np.ndarray
    p99: float
    timed_out: float
    db_load: DatabaseLoad


def cache_replicas_point(
    hit_ratio: float = 0.8,
    replicas: int = 1,
    load: float = 3000.0,
    read_fraction: float = 0.9,
    db_capacity_qps: float = 1000.0,
    duration: float = 1.0,
    timeout: float = 0.5,
    seed: int = 1,
) -> CacheReplicasPoint:
    """One run of the chapter 4 widget: a cache and read replicas in front of one primary.
    Latencies are those of the requests sent in the first ``duration - timeout`` seconds,
    so each has been answered or has given up by the end: an overloaded system shows as
    timeouts, not as requests still waiting. About 40 us per simulated visit, a replica
    replaying a write included (0.2 s at 5,000 requests/s, 4 replicas, no cache hits).

    Cost: about 3,000 simulated requests (~0.06 s on a laptop core); at most 2e6.

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
        Simulated seconds, more than ``timeout`` and at most 60.
    timeout : float
        Seconds a client waits (> 0).
    seed : int

    Returns
    -------
    CacheReplicasPoint
    """
    check_probability("hit_ratio", hit_ratio)
    check_int("replicas", replicas, low=0, high=8)
    check_real("load", load, low=0.0, high=20_000.0, low_open=True)
    check_positive("timeout", timeout)
    check_real("duration", duration, low=timeout, high=60.0, low_open=True)
    db = Database(capacity_qps=db_capacity_qps, concurrency=8, read_replicas=replicas)
    # One app server with 512 workers: never the bottleneck, and cheaper to simulate than
    # the same workers behind a balancer (the widget shows only the database).
    system_ = RequestResponse(
        app=AppTier(servers=1, workers=512, service=Exponential(0.001)),
        db=db,
        cache=Cache(hit_ratio=hit_ratio),
        timeout=timeout,
    )
    r = simulate(system_, Poisson(load, read_fraction=read_fraction), duration, seed=seed)
    nodes = tuple(n for n in r.components if n.startswith("db"))
    sent = r.arrival < duration - timeout
    waits = np.sort(r.finish[sent] - r.arrival[sent])
    return CacheReplicasPoint(
        float(hit_ratio),
        float(load),
        float(read_fraction),
        replicas,
        nodes,
        np.array([r.components[n].utilization for n in nodes]),
        float(timeout),
        int(sent.sum()),
        waits,
        p99_or_inf(LatencyStats.of(waits)),
        float(np.mean(r.status[sent] == Status.TIMED_OUT)) if waits.size else 0.0,
        database_load(load, read_fraction, hit_ratio),
    )
