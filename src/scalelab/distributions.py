"""Service-time and think-time distributions, each described by its mean in seconds.

Every distribution exposes ``mean`` (seconds), ``scv`` (squared coefficient of variation,
variance / mean**2, used by the Pollaczek-Khinchine formula) and ``sample(rng, size)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import get_args

import numpy as np

from ._validate import check_kind, check_positive, check_probability, check_real

__all__ = ["Deterministic", "Exponential", "LogNormal", "Bimodal", "Distribution"]


@dataclass(frozen=True)
class Deterministic:
    """Every draw equals ``mean``.

    Parameters
    ----------
    mean : float
        The constant value, seconds (> 0).
    """

    mean: float

    def __post_init__(self) -> None:
        check_positive("mean", self.mean)

    @property
    def scv(self) -> float:
        """Squared coefficient of variation (0 for a constant)."""
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` draws (seconds)."""
        return np.full(size, float(self.mean))


@dataclass(frozen=True)
class Exponential:
    """Exponential (memoryless) times.

    Parameters
    ----------
    mean : float
        Mean, seconds (> 0). The rate is ``1 / mean`` per second.
    """

    mean: float

    def __post_init__(self) -> None:
        check_positive("mean", self.mean)

    @property
    def scv(self) -> float:
        """Squared coefficient of variation (1 for the exponential)."""
        return 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` draws (seconds)."""
        return rng.exponential(self.mean, size)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal times with a given mean and coefficient of variation (a long right tail).

    Parameters
    ----------
    mean : float
        Mean, seconds (> 0).
    cv : float
        Coefficient of variation, standard deviation / mean, in (0, 10].
    """

    mean: float
    cv: float = 1.0

    def __post_init__(self) -> None:
        check_positive("mean", self.mean)
        check_real("cv", self.cv, low=0.0, high=10.0, low_open=True)

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, ``cv**2``."""
        return float(self.cv) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` draws (seconds)."""
        sigma2 = math.log1p(self.scv)
        mu = math.log(self.mean) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


@dataclass(frozen=True)
class Bimodal:
    """A mix of fast and slow requests: ``fast`` seconds, or ``slow`` seconds with
    probability ``slow_fraction`` (e.g. cache-friendly reads vs expensive reports).

    Parameters
    ----------
    fast : float
        Time of a fast request, seconds (> 0).
    slow : float
        Time of a slow request, seconds (>= fast).
    slow_fraction : float
        Probability a request is slow, in [0, 1].
    """

    fast: float
    slow: float
    slow_fraction: float

    def __post_init__(self) -> None:
        check_positive("fast", self.fast)
        check_real("slow", self.slow, low=self.fast)
        check_probability("slow_fraction", self.slow_fraction)

    @property
    def mean(self) -> float:
        """Mean, seconds."""
        p = self.slow_fraction
        return (1 - p) * self.fast + p * self.slow

    @property
    def scv(self) -> float:
        """Squared coefficient of variation."""
        p = self.slow_fraction
        second = (1 - p) * self.fast**2 + p * self.slow**2
        return second / self.mean**2 - 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` draws (seconds)."""
        slow = rng.random(size) < self.slow_fraction
        return np.where(slow, float(self.slow), float(self.fast))


Distribution = Deterministic | Exponential | LogNormal | Bimodal
"""Any of the service-time distributions."""

DISTRIBUTIONS = get_args(Distribution)
"""The classes of :data:`Distribution`, for ``isinstance`` checks."""


def check_distribution(name: str, value: object) -> None:
    """Raise a :class:`ValueError` naming ``name`` unless ``value`` is a distribution."""
    check_kind(name, value, DISTRIBUTIONS, "distribution")
