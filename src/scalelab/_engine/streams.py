"""Named random streams: one independent generator per source of randomness.

A stream is keyed by the run's seed and a name ("arrivals", "app.service", ...), so the
arrivals of seed 1 are the same whatever topology they are fed to (common random
numbers), and the same in any process.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..distributions import Distribution


def stream(seed: int, name: str) -> np.random.Generator:
    """Generator for ``name`` under ``seed``; independent of every other name."""
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


class Draws:
    """Per-request draws from a distribution or sampler: ``draws[i]`` is request ``i``'s value.

    Values are drawn in blocks and kept, so request ``i`` gets the same value whichever
    order requests reach the component.
    """

    __slots__ = ("_dist", "_rng", "_values")

    def __init__(
        self, dist: Distribution | _Uniform, rng: np.random.Generator, size: int = 1024
    ) -> None:
        self._dist = dist
        self._rng = rng
        self._values: list[float] = dist.sample(rng, max(size, 1)).tolist()

    def __getitem__(self, i: int) -> float:
        values = self._values
        while i >= len(values):
            values.extend(self._dist.sample(self._rng, len(values)).tolist())
        return values[i]


class _Uniform:
    """Sampler of uniform numbers in [0, 1), e.g. to decide cache hits and failures."""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.random(size)


UNIFORM = _Uniform()
