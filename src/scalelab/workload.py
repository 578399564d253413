"""Workloads: who sends requests, how often, and for which keys.

Open workloads (:class:`Poisson`) send requests at a rate that does not depend on how the
system is doing; the rate may be a constant or a curve (:class:`Step`, :class:`Spike`,
:class:`Diurnal`). Closed workloads (:class:`ClosedLoop`) have a fixed number of clients
that each wait for a reply, think, and send again. Keys (:class:`Uniform`, :class:`Zipf`)
decide which cache entries and shards a request touches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import get_args

import numpy as np

from ._validate import (
    check_int,
    check_kind,
    check_non_negative,
    check_positive,
    check_real,
)
from .distributions import Distribution, Exponential, check_distribution

__all__ = [
    "MAX_KEYS",
    "MAX_CLIENTS",
    "Uniform",
    "Zipf",
    "Step",
    "Spike",
    "Diurnal",
    "Poisson",
    "ClosedLoop",
    "Burst",
    "Workload",
]


MAX_KEYS = 10_000_000
"""Most keys a key popularity may have: a Zipf table costs 8 bytes a key (80 MB at the
cap) and about 0.02 s per million keys to build, within a Binder pod's memory."""

MAX_CLIENTS = 100_000
"""Most closed-loop clients: each is a simulated process (about 50 us and 1 KB each)."""


def _check_keys(n_keys: object) -> int:
    n = check_int("n_keys", n_keys, low=1)
    if n > MAX_KEYS:
        raise ValueError(
            f"n_keys={n:,} is above {MAX_KEYS:,}: its popularity table would take "
            f"{8 * n / 1e9:,.1f} GB; simulate fewer keys (the head of a Zipf distribution "
            "carries most of its requests)"
        )
    return n


@dataclass(frozen=True)
class Uniform:
    """Every one of ``n_keys`` keys is equally likely.

    Parameters
    ----------
    n_keys : int
        Number of distinct keys, 1 to ``MAX_KEYS``.
    """

    n_keys: int

    def __post_init__(self) -> None:
        _check_keys(self.n_keys)

    def probabilities(self) -> np.ndarray:
        """Probability of each key, most popular first."""
        return np.full(self.n_keys, 1.0 / self.n_keys)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` keys in ``[0, n_keys)``."""
        return rng.integers(0, self.n_keys, size)


@dataclass(frozen=True)
class Zipf:
    """Key ``k`` (0-based) is requested with probability proportional to ``1 / (k + 1)**s``.

    Parameters
    ----------
    n_keys : int
        Number of distinct keys, 1 to ``MAX_KEYS`` (the cumulative table costs 8 bytes a
        key).
    s : float
        Skew exponent in [0, 5]; 0 is uniform, about 1 is typical of web caches.
    """

    n_keys: int
    s: float = 1.0
    _cdf: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_keys(self.n_keys)
        check_real("s", self.s, low=0.0, high=5.0)
        cdf = np.arange(1, self.n_keys + 1, dtype=float)  # built in place: 8 bytes a key
        cdf **= float(self.s)
        np.divide(1.0, cdf, out=cdf)
        np.cumsum(cdf, out=cdf)
        cdf /= cdf[-1]
        object.__setattr__(self, "_cdf", cdf)

    def probabilities(self) -> np.ndarray:
        """Probability of each key, most popular first."""
        return np.diff(self._cdf, prepend=0.0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` keys in ``[0, n_keys)``, key 0 the hottest."""
        keys = np.searchsorted(self._cdf, rng.random(size), side="right")
        return np.minimum(keys, self.n_keys - 1)


KeyPopularity = Uniform | Zipf


@dataclass(frozen=True)
class Step:
    """A rate that jumps from ``before`` to ``after`` at time ``at``.

    Parameters
    ----------
    before, after : float
        Rates, requests per second (>= 0, not both 0).
    at : float
        Time of the step, seconds (>= 0).
    """

    before: float
    after: float
    at: float

    def __post_init__(self) -> None:
        check_non_negative("before", self.before)
        check_non_negative("after", self.after)
        check_non_negative("at", self.at)
        if self.highest == 0:
            raise ValueError("before=0 and after=0: at least one rate must be > 0")

    @property
    def highest(self) -> float:
        """Highest rate, requests per second."""
        return max(self.before, self.after)

    def rate(self, t: np.ndarray) -> np.ndarray:
        """Rate at times ``t`` (seconds), requests per second."""
        return np.where(np.asarray(t) < self.at, float(self.before), float(self.after))


@dataclass(frozen=True)
class Spike:
    """A steady ``base`` rate with a burst to ``peak`` from ``start`` for ``length`` seconds.

    Parameters
    ----------
    base, peak : float
        Rates, requests per second (base >= 0, peak > 0).
    start, length : float
        When the burst begins and how long it lasts, seconds (>= 0 and > 0).
    """

    base: float
    peak: float
    start: float
    length: float

    def __post_init__(self) -> None:
        check_non_negative("base", self.base)
        check_positive("peak", self.peak)
        check_non_negative("start", self.start)
        check_positive("length", self.length)

    @property
    def highest(self) -> float:
        """Highest rate, requests per second."""
        return max(self.base, self.peak)

    def rate(self, t: np.ndarray) -> np.ndarray:
        """Rate at times ``t`` (seconds), requests per second."""
        t = np.asarray(t)
        burst = (t >= self.start) & (t < self.start + self.length)
        return np.where(burst, float(self.peak), float(self.base))


@dataclass(frozen=True)
class Diurnal:
    """A daily cycle: ``mean * (1 - amplitude * cos(2 pi t / period))``, lowest at t = 0.

    Parameters
    ----------
    mean : float
        Average rate, requests per second (> 0).
    amplitude : float
        Relative swing in [0, 1]; peak rate is ``mean * (1 + amplitude)``.
    period : float
        Length of one cycle, seconds (> 0). Shrink it to simulate a "day" in minutes.
    """

    mean: float
    amplitude: float = 0.5
    period: float = 86_400.0

    def __post_init__(self) -> None:
        check_positive("mean", self.mean)
        check_real("amplitude", self.amplitude, low=0.0, high=1.0)
        check_positive("period", self.period)

    @property
    def highest(self) -> float:
        """Highest rate, requests per second."""
        return self.mean * (1 + self.amplitude)

    def rate(self, t: np.ndarray) -> np.ndarray:
        """Rate at times ``t`` (seconds), requests per second."""
        phase = 2 * math.pi * np.asarray(t, dtype=float) / self.period
        return self.mean * (1 - self.amplitude * np.cos(phase))


RateCurve = Step | Spike | Diurnal


RATE_CURVES = (Step, Spike, Diurnal)


@dataclass(frozen=True)
class _Mix:
    """What each request reads or writes; shared by open and closed workloads."""

    def _check_mix(self) -> None:
        if self.keys is not None:
            check_kind("keys", self.keys, get_args(KeyPopularity), "key popularity")
        check_real("read_fraction", self.read_fraction, low=0.0, high=1.0)


@dataclass(frozen=True)
class Poisson(_Mix):
    """Open arrivals: a Poisson process whose rate is a constant or a rate curve.

    Parameters
    ----------
    rate : float or Step or Spike or Diurnal
        Requests per second (> 0), or a curve of the rate over time (sampled by thinning).
    keys : Uniform or Zipf, optional
        Key popularity; needed by key-driven caches and shards.
    read_fraction : float
        Fraction of requests that are reads, in [0, 1]; the rest are writes.
    """

    rate: float | RateCurve
    keys: KeyPopularity | None = None
    read_fraction: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.rate, RATE_CURVES):
            check_positive("rate", self.rate)
        self._check_mix()

    @property
    def peak_rate(self) -> float:
        """Highest arrival rate, requests per second."""
        return self.rate.highest if isinstance(self.rate, RATE_CURVES) else float(self.rate)

    def mean_rate(self, duration: float) -> float:
        """Average arrival rate over ``[0, duration)``, requests per second."""
        if not isinstance(self.rate, RATE_CURVES):
            return float(self.rate)
        t = np.linspace(0.0, duration, 10_001)
        return float(np.mean(self.rate.rate(t)))

    def arrival_times(self, rng: np.random.Generator, duration: float) -> np.ndarray:
        """Arrival times in ``[0, duration)``, seconds, sorted."""
        peak = self.peak_rate
        n = rng.poisson(peak * duration)
        times = np.sort(rng.uniform(0.0, duration, n))
        if isinstance(self.rate, RATE_CURVES):
            keep = rng.random(n) * peak < self.rate.rate(times)
            times = times[keep]
        return times


@dataclass(frozen=True)
class ClosedLoop(_Mix):
    """Closed arrivals: ``clients`` users who each send, wait for the reply, then think.

    Parameters
    ----------
    clients : int
        Number of concurrent users, 1 to ``MAX_CLIENTS`` (each costs about 50 us of
        simulation and a kilobyte of memory, plus about 10 us per request it sends).
    think_time : Deterministic or Exponential or LogNormal or Bimodal
        Pause between a reply and the next request, seconds.
    keys : Uniform or Zipf, optional
        Key popularity.
    read_fraction : float
        Fraction of requests that are reads, in [0, 1].
    """

    clients: int
    think_time: Distribution = Exponential(1.0)
    keys: KeyPopularity | None = None
    read_fraction: float = 1.0

    def __post_init__(self) -> None:
        check_int("clients", self.clients, low=1, high=MAX_CLIENTS)
        check_distribution("think_time", self.think_time)
        self._check_mix()


@dataclass(frozen=True)
class Burst(_Mix):
    """``requests`` requests sent at once at time ``at`` (or spread uniformly over
    ``spread`` seconds): a thundering herd, many clients contending for one resource.

    Parameters
    ----------
    requests : int
        Number of requests, 1 to 1,000,000.
    at : float
        When they are sent, seconds (>= 0).
    spread : float
        Width of the window they are spread over, seconds (>= 0).
    keys : Uniform or Zipf, optional
        Key popularity.
    read_fraction : float
        Fraction of reads, in [0, 1].
    """

    requests: int
    at: float = 0.0
    spread: float = 0.0
    keys: KeyPopularity | None = None
    read_fraction: float = 1.0

    def __post_init__(self) -> None:
        check_int("requests", self.requests, low=1, high=1_000_000)
        check_non_negative("at", self.at)
        check_non_negative("spread", self.spread)
        self._check_mix()

    def arrival_times(self, rng: np.random.Generator, duration: float) -> np.ndarray:
        """Arrival times in ``[0, duration)``, seconds, sorted."""
        times = np.sort(self.at + rng.uniform(0.0, self.spread, self.requests))
        return times[times < duration]


Workload = Poisson | ClosedLoop | Burst
"""Any workload."""
