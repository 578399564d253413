"""The thundering herd (chapter 10): hot keys filled together expire together under heavy
reads, and every reader of an expired key misses at once. Simulated with a keyed
:class:`~scalelab.Cache` for each defence: none, single-flight coalescing, a jittered TTL,
serving the expired value while one refresh runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_labels, check_positive, check_real
from ..distributions import Exponential
from ..run import simulate
from ..topology import AppTier, Cache, Database, LoadBalancer, RequestResponse
from ..workload import Poisson, Uniform

__all__ = ["DEFENCES", "HerdRow", "ThunderingHerd", "thundering_herd"]

DEFENCES = ("none", "coalescing", "jittered_ttl", "serve_stale")
"""Thundering-herd defences :func:`thundering_herd` compares: none, single-flight request
coalescing, a jittered TTL, and serving the expired value while one refresh runs."""


@dataclass(frozen=True)
class HerdRow:
    """One defence against the thundering herd.

    Attributes
    ----------
    defence : str
        One of ``DEFENCES``.
    peak_db_reads : float
        Highest database reads per second over the bins.
    db_reads : int
        Database reads in the run (every one caused by an expiry: the cache starts warm).
    expiries : int
        Entries found expired (each one refetched).
    db_reads_per_expiry : float
    coalesced : int
        Reads that waited for another reader's fetch.
    p99, max_latency : float
        Client latency of every request of the run, failures included, seconds.
    """

    defence: str
    peak_db_reads: float
    db_reads: int
    expiries: int
    db_reads_per_expiry: float
    coalesced: int
    p99: float
    max_latency: float


@dataclass(frozen=True)
class ThunderingHerd:
    """Hot keys expiring together under heavy reads, per defence.

    Attributes
    ----------
    rows : tuple of HerdRow
    t : numpy.ndarray
        Bin start times, seconds.
    db_reads : numpy.ndarray
        Database reads per second in each bin, shape (defences, bins).
    latency : numpy.ndarray
        Mean client latency of the requests answered in each bin, seconds, same shape.
    load, ttl, ttl_jitter, db_capacity_qps : float
    hot_keys : int
    """

    rows: tuple[HerdRow, ...]
    t: np.ndarray
    db_reads: np.ndarray
    latency: np.ndarray
    load: float
    ttl: float
    ttl_jitter: float
    db_capacity_qps: float
    hot_keys: int


def thundering_herd(
    defences: tuple[str, ...] | None = None,
    load: float = 10_000.0,
    hot_keys: int = 100,
    ttl: float = 1.0,
    ttl_jitter: float = 0.5,
    stale_window: float = 1.0,
    db_capacity_qps: float = 2000.0,
    duration: float = 1.6,
    bin_width: float = 0.1,
    seed: int = 1,
) -> ThunderingHerd:
    """Hot keys, all filled at time 0 (a warm-up, a deploy) with the same TTL, expire
    together at ``ttl`` under ``load`` reads per second spread evenly over them.

    Without a defence every read of an expired key misses until its fill lands, and each
    miss queries the database. ``"coalescing"``: one fetch per key, the other readers wait
    for it. ``"jittered_ttl"``: each entry lives ``ttl x (1 - ttl_jitter x u)``, so
    expiries spread over ``ttl_jitter x ttl``. ``"serve_stale"``: for ``stale_window``
    seconds after expiry a read gets the expired value at once while one refresh runs.

    Cost: ``len(defences) x load x duration`` requests, 64,000 at the defaults (about
    1.3 s).

    Parameters
    ----------
    defences : tuple of str, optional
        Labels from ``DEFENCES`` (default: all).
    load : float
        Reads per second (> 0).
    hot_keys : int
        Keys read, equally often, 1 to 100,000.
    ttl : float
        Seconds an entry lives (> 0).
    ttl_jitter : float
        The jittered TTL's spread, as a fraction of the TTL, in [0, 1).
    stale_window : float
        Seconds past expiry an expired value may be served (> 0).
    db_capacity_qps : float
        Database saturation throughput, queries per second (> 0).
    duration : float
        Seconds simulated per defence (> 0).
    bin_width : float
        Seconds per bin, in [0.01, 1].
    seed : int
        Seed (>= 0).
    """
    chosen = check_labels("defences", defences, DEFENCES)
    load = check_positive("load", load)
    check_int("hot_keys", hot_keys, low=1, high=100_000)
    ttl = check_positive("ttl", ttl)
    check_real("ttl_jitter", ttl_jitter, low=0.0, high=1.0, high_open=True)
    check_positive("stale_window", stale_window)
    check_positive("db_capacity_qps", db_capacity_qps)
    duration = check_positive("duration", duration)
    bin_width = check_real("bin_width", bin_width, low=0.01, high=1.0)
    if not bin_width <= duration <= 100_000 * bin_width:
        raise ValueError(
            f"duration={duration!r} is outside the allowed range [bin_width, 100,000 bins] "
            f"= [{bin_width:g}, {100_000 * bin_width:g}]"
        )
    check_int("seed", seed, low=0)
    options = {
        "none": {},
        "coalescing": {"coalesce": True},
        "jittered_ttl": {"ttl_jitter": ttl_jitter},
        "serve_stale": {"stale_while_revalidate": stale_window},
    }
    app = AppTier(servers=4, workers=64, service=Exponential(0.001))
    db = Database(capacity_qps=db_capacity_qps, concurrency=8)
    workload = Poisson(load, keys=Uniform(hot_keys))
    rows, series, latency = [], [], []
    for defence in chosen:
        cache = Cache(size=hot_keys, ttl=ttl, warm=True, **options[defence])
        system = RequestResponse(app=app, db=db, cache=cache, lb=LoadBalancer("least_connections"))
        result = simulate(system, workload, duration, seed, warmup=0.0)
        reads = result.timeseries("db.completions", bin_width)
        series.append(reads.values)
        latency.append(result.timeseries("latency", bin_width).values)
        c = result.counters
        waits = result.latencies()
        expiries = int(c["cache.expired"])
        rows.append(
            HerdRow(
                defence=defence,
                peak_db_reads=float(reads.values.max()) if reads.values.size else 0.0,
                db_reads=int(c["cache.db_reads"]),
                expiries=expiries,
                db_reads_per_expiry=c["cache.db_reads"] / expiries if expiries else 0.0,
                coalesced=int(c["cache.coalesced"]),
                p99=float(np.percentile(waits, 99)) if waits.size else 0.0,
                max_latency=float(waits.max()) if waits.size else 0.0,
            )
        )
    return ThunderingHerd(
        tuple(rows),
        reads.t,
        np.array(series),
        np.array(latency),
        load,
        ttl,
        float(ttl_jitter),
        float(db_capacity_qps),
        hot_keys,
    )
