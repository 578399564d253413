"""Sharding (chapter 4): per-shard load when keys are skewed, and how many keys move when
shards are added, with modulo hashing and with a consistent-hashing ring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._keys import ring_owner, shard_of
from .._validate import check_int, check_ints, check_positive, check_reals
from ..distributions import Exponential
from ..run import simulate
from ..topology import MAX_SERVERS, AppTier, Database, LoadBalancer, RequestResponse
from ..workload import MAX_KEYS, Poisson, Zipf
from ._units import p99_or_inf

__all__ = ["ShardLoad", "shard_load", "Resharding", "resharding"]

RING_PLACEMENTS = 10_000_000
"""Most keys and ring points one :func:`resharding` call places (about 0.2 s and 20 MB a
million)."""


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
        Client latency per skew, failures included, seconds.
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


def shard_load(
    shards: int = 8,
    skews: tuple[float, ...] = (0.0, 0.8, 1.1),
    load: float = 4000.0,
    shard_capacity_qps: float = 1000.0,
    n_keys: int = 10_000,
    duration: float = 3.0,
    seed: int = 1,
) -> ShardLoad:
    """Hash-sharded database: keys map to ``hash(key) % shards``; a hot key's shard
    carries that key's whole load.

    Cost: about 36,000 simulated requests (~1.0 s on a laptop core); at most 2e6.

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
        Distinct keys, 1 to ``MAX_KEYS``.
    duration : float
    seed : int
    """
    check_int("shards", shards, low=2)
    skews_ = check_reals("skews", skews, low=0.0, high=5.0)
    check_positive("load", load)
    db = Database(capacity_qps=shard_capacity_qps, concurrency=8, shards=shards)
    system_ = RequestResponse(
        app=AppTier(servers=8, workers=64, service=Exponential(0.001)),
        db=db,
        lb=LoadBalancer("least_connections"),
    )
    util, p99, hottest = [], [], []
    for s in skews_:
        keys = Zipf(n_keys, s)
        r = simulate(system_, Poisson(load, keys=keys), duration, seed=seed)
        util.append([r.components[f"db[{i}]"].utilization for i in range(shards)])
        p99.append(p99_or_inf(r.latency))
        hottest.append(keys.probabilities()[0])
    return ShardLoad(
        np.array(skews_),
        np.array(util),
        np.array(p99),
        np.array(hottest),
        float(load),
        float(shard_capacity_qps),
    )


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


def resharding(
    old: int = 8, new: tuple[int, ...] = (9, 10, 12, 16), n_keys: int = 100_000, vnodes: int = 100
) -> Resharding:
    """Grow from ``old`` shards and count the keys whose shard changes.

    Cost: no simulation; about 0.03 s on a laptop core at the defaults. The keys and ring
    points placed, ``n_keys + shards * vnodes`` summed over ``old`` and each count of
    ``new``, may be at most 10,000,000 (about 0.2 s and 20 MB a million).

    Parameters
    ----------
    old : int
        Shards before, 1 to ``MAX_SERVERS - 1``.
    new : tuple of int
        Shard counts after (each > old, at most ``MAX_SERVERS``).
    n_keys : int
        Keys counted, 1 to ``MAX_KEYS``.
    vnodes : int
        Points per shard on the ring, 1 to 1,000; more points spread load more evenly.
    """
    check_int("old", old, low=1, high=MAX_SERVERS - 1)
    after = check_ints("new", new, old + 1)
    for i, n in enumerate(after):
        check_int(f"new[{i}]", n, low=old + 1, high=MAX_SERVERS)
    check_int("n_keys", n_keys, low=1, high=MAX_KEYS)
    check_int("vnodes", vnodes, low=1, high=1000)
    placed = sum(n_keys + n * vnodes for n in (old, *after))
    if placed > RING_PLACEMENTS:
        raise ValueError(
            f"n_keys={n_keys:,} and vnodes={vnodes} over {1 + len(after)} shard counts "
            f"place {placed:,} keys and ring points, above {RING_PLACEMENTS:,} (about 0.2 s a "
            "million); count fewer keys, shard counts or vnodes"
        )
    keys = np.arange(n_keys, dtype=np.int64)
    mod_before = shard_of(keys, old)
    ring_before = ring_owner(keys, old, vnodes)
    modulo, ring = [], []
    for n in after:
        modulo.append(np.mean(shard_of(keys, n) != mod_before))
        ring.append(np.mean(ring_owner(keys, n, vnodes) != ring_before))
    after_ = np.array(after)
    return Resharding(old, after_, np.array(modulo), np.array(ring), 1 - old / after_)
