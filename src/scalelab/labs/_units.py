"""What every lab shares: a bounded cost, runs long enough to measure, a percentile that
is never None, and "one unit at its share of the load" (the symmetry argument of
chapter 3)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from ..distributions import Exponential
from ..results import LatencyStats, SimulationResult
from ..run import MAX_WARM_KEYS, request_budget, simulate
from ..topology import Station
from ..workload import Poisson

LAB_BUDGET = 2_000_000
"""Most one lab call may simulate in all, in requests through one station
(:func:`scalelab.cost_per_request` weighs the others): about 25 s at
``COST_UNIT_US`` each, 30 s for the costliest systems per unit measured."""


def bounded(lab: Callable) -> Callable:
    """``lab`` with its simulations capped at ``LAB_BUDGET`` requests in all: past it, a
    :class:`ValueError` that names the lab, before the run that would cross the cap."""

    @functools.wraps(lab)
    def run_within_budget(*args: object, **kwargs: object) -> object:
        with request_budget(LAB_BUDGET, f"labs.{lab.__name__}"):
            return lab(*args, **kwargs)

    return run_within_budget


WARM_CACHE_KEYS = MAX_WARM_KEYS
"""Largest LRU cache a lab starts warm (what :func:`scalelab.simulate` fills)."""

FEWEST_REQUESTS = 100
"""Fewest requests a lab's run may expect: a p99 needs 100 of them, and a run of none
would make every share and percentile NaN."""


def check_requests(rate: float, duration: float, given: str) -> None:
    """Raise a :class:`ValueError` quoting ``given`` (the arguments that set the run's
    size, with their values) unless ``rate`` requests/s for ``duration`` seconds is at
    least ``FEWEST_REQUESTS`` requests."""
    if rate * duration < FEWEST_REQUESTS:
        raise ValueError(
            f"{given}: about {rate * duration:.3g} requests a run, and a run needs at least "
            f"{FEWEST_REQUESTS}; simulate longer or at a higher rate"
        )


def check_measured(count: float, given: str) -> None:
    """Raise a :class:`ValueError` quoting ``given`` when a run measured nothing (``count``
    is 0), so that its shares and percentiles would be NaN."""
    if count == 0:
        raise ValueError(f"{given}: nothing finished within the run to measure; simulate longer")


def row_where(rows: tuple, **fields: object) -> object:
    """The row of a lab's table whose ``fields`` have the given values, or a
    :class:`ValueError` naming them and listing the values the table holds."""
    for row in rows:
        if all(getattr(row, name) == value for name, value in fields.items()):
            return row
    asked = ", ".join(f"{name}={value!r}" for name, value in fields.items())
    held = [tuple(getattr(row, name) for name in fields) for row in rows]
    raise ValueError(f"{asked} is not one of {held}")


def p99_or_inf(stats: LatencyStats) -> float:
    """``stats.p99`` in seconds, or ``inf`` when the set it summarises is empty (never
    None or NaN)."""
    return math.inf if stats.p99 is None else float(stats.p99)


def unit_run(
    load: float, servers: int, mean_service: float, requests: int, seed: int
) -> SimulationResult:
    """One unit carrying ``load`` requests/s: an M/M/``servers`` station with exponential
    work of mean ``mean_service`` seconds, run for about ``requests`` requests."""
    return simulate(
        Station(servers=servers, service=Exponential(mean_service)),
        Poisson(load),
        requests / load,
        seed=seed,
    )


def unit_p99(load: float, servers: int, mean_service: float, requests: int, seed: int) -> float:
    """Simulated p99 (queueing plus work) of :func:`unit_run`, seconds; ``inf`` when the
    unit cannot keep up (completions more than 5% short of arrivals) or nothing
    completed, since a p99 measured on a growing queue only grows with the run."""
    result = unit_run(load, servers, mean_service, requests, seed)
    return math.inf if result.overloaded else p99_or_inf(result.latency)
