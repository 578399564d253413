"""Caches in front of a database (chapter 4): the hit ratio as a lever on database load,
LRU sizing against key skew (Che's approximation), and a cold start."""

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
from ..run import simulate
from ..theory import database_load, lru_hit_ratio
from ..topology import AppTier, Cache, Database, LoadBalancer, RequestResponse
from ..workload import Poisson, Zipf
from ._units import WARM_CACHE_KEYS, p99_or_inf

__all__ = ["CacheLever", "cache_lever", "LruSizing", "lru_sizing", "CacheWarmup", "cache_warmup"]

FORMULA_KEYS = 20_000_000
"""Most keys one :func:`lru_sizing` call puts through Che's formula (about 0.5 s a
million)."""


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
        Client latency, failures included (see :attr:`scalelab.SimulationResult.latency`), seconds.
    load, read_fraction, db_capacity_qps : float
    """

    hit_ratios: np.ndarray
    db_qps: np.ndarray
    db_qps_formula: np.ndarray
    p99: np.ndarray
    load: float
    read_fraction: float
    db_capacity_qps: float


def cache_lever(
    hit_ratios: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99),
    load: float = 5000.0,
    read_fraction: float = 0.95,
    db_capacity_qps: float = 1000.0,
    duration: float = 1.0,
    seed: int = 1,
) -> CacheLever:
    """A look-aside cache with a fixed hit ratio in front of one database.

    Cost: about 30,000 simulated requests (~0.7 s on a laptop core); at most 2e6.

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
        r = simulate(
            RequestResponse(
                app=AppTier(servers=8, workers=64, service=Exponential(0.001)),
                db=db,
                cache=Cache(hit_ratio=h),
                lb=LoadBalancer("least_connections"),
            ),
            Poisson(load, read_fraction=read_fraction),
            duration,
            seed=seed,
        )
        rows.append((r.components["db"].visits / r.window, p99_or_inf(r.latency)))
    cols = np.array(rows).T
    formula = np.array([database_load(load, read_fraction, h).total for h in ratios])
    return CacheLever(
        np.array(ratios),
        cols[0],
        formula,
        cols[1],
        float(load),
        float(read_fraction),
        float(db_capacity_qps),
    )


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


def lru_sizing(
    sizes: tuple[int, ...] = (30, 100, 300, 1000),
    skews: tuple[float, ...] = (0.6, 0.9, 1.2),
    n_keys: int = 20_000,
    requests: int = 6_000,
    seed: int = 1,
) -> LruSizing:
    """Run an LRU cache of each size on Zipf keys and count hits after the first third of
    the run (the cache starts holding the most popular keys), next to Che's approximation
    (:func:`scalelab.lru_hit_ratio`).

    Cost: about 72,000 simulated requests (~1.2 s on a laptop core); at most 2e6. Che's
    formula takes about 0.5 s a million keys, sizes and skews: ``n_keys * len(sizes) *
    len(skews)`` may be at most 20,000,000.

    Parameters
    ----------
    sizes : tuple of int
        Cache sizes in keys, each 1 to 1,000,000 (a warm cache is filled key by key).
    skews : tuple of float
        Zipf exponents, each in [0, 5].
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    requests : int
        Requests per run (>= 100).
    seed : int
    """
    sizes_ = check_ints("sizes", sizes, 1)
    for i, size in enumerate(sizes_):
        check_int(f"sizes[{i}]", size, low=1, high=WARM_CACHE_KEYS)
    skews_ = check_reals("skews", skews, low=0.0, high=5.0)
    work = check_int("n_keys", n_keys, low=1) * len(sizes_) * len(skews_)
    if work > FORMULA_KEYS:
        raise ValueError(
            f"n_keys={n_keys:,} for {len(sizes_)} sizes and {len(skews_)} skews is {work:,} "
            f"keys through Che's formula, above {FORMULA_KEYS:,} (about 0.5 s a million); "
            "use fewer keys, sizes or skews"
        )
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
            r = simulate(
                RequestResponse(
                    app=app, db=db, cache=Cache(size=size, latency=0.0, warm=True), network=0.0
                ),
                Poisson(rate, keys=keys),
                requests / rate,
                seed=seed,
                warmup=requests / rate / 3,
            )
            row.append(1.0 - r.components["db"].visits / (r.offered_rate * r.window))
        simulated.append(row)
        formula.append([lru_hit_ratio(probs, size) for size in sizes_])
    return LruSizing(
        np.array(sizes_), np.array(skews_), np.array(simulated), np.array(formula), n_keys
    )


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


def cache_warmup(
    load: float = 2000.0,
    cache_size: int = 5_000,
    n_keys: int = 100_000,
    zipf_s: float = 1.0,
    db_capacity_qps: float = 1000.0,
    duration: float = 8.0,
    seed: int = 1,
    bin_width: float = 0.25,
) -> CacheWarmup:
    """Start with an empty LRU cache (a deploy, a new region) under constant load.

    Cost: about 16,000 simulated requests (~0.4 s on a laptop core); at most 2e6.

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
        Seconds per bin, in (0, duration / 4] (the steady hit ratio is measured over the
        last quarter of the run).
    """
    check_positive("load", load)
    quarter = check_positive("duration", duration) / 4
    check_real("bin_width", bin_width, low=0.0, high=quarter, low_open=True)
    system_ = RequestResponse(
        app=AppTier(servers=4, workers=128, service=Exponential(0.002)),
        db=Database(capacity_qps=db_capacity_qps, concurrency=8),
        cache=Cache(size=cache_size),
        lb=LoadBalancer("least_connections"),
    )
    r = simulate(system_, Poisson(load, keys=Zipf(n_keys, zipf_s)), duration, seed=seed, warmup=0.0)
    db = r.timeseries("db.completions", bin_width=bin_width)
    lat = r.timeseries("latency", bin_width=bin_width)
    tail = db.t >= 0.75 * duration
    return CacheWarmup(
        db.t,
        db.values,
        lat.values,
        float(load),
        float(db_capacity_qps),
        float(1 - db.values[tail].mean() / load),
    )
