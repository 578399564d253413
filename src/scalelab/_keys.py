"""Which shard or partition owns a key: modulo hashing (what the engine uses) and a
consistent-hashing ring (what the resharding lab compares it with)."""

from __future__ import annotations

import numpy as np


def shard_of(key: int | np.ndarray, shards: int) -> int | np.ndarray:
    """Shard of ``key`` (an int or an integer array) among ``shards``: a multiplicative
    hash of the key, modulo ``shards``."""
    return ((key * 2654435761) & 0xFFFFFFFF) % shards


def mix(x: np.ndarray | int) -> np.ndarray:
    """A 64-bit integer hash (splitmix64 finalizer), vectorised."""
    z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def ring_owner(keys: np.ndarray, shards: int, vnodes: int) -> np.ndarray:
    """Owner of each key on a consistent-hashing ring with ``vnodes`` points per shard."""
    points = mix(np.arange(shards)[:, None] * 1_000_003 + np.arange(vnodes)).ravel()
    owners = np.repeat(np.arange(shards), vnodes)
    order = np.argsort(points)
    points, owners = points[order], owners[order]
    at = np.searchsorted(points, mix(keys)) % points.size
    return owners[at]
