"""Queues and utilization (chapter 2): the latency knee, pooling, Little's law, and where
one arrival rate puts a station on its curve."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive, check_real
from ..distributions import Exponential
from ..run import Estimate, simulate
from ..theory import mm1_response_quantile, mmc
from ..topology import Station
from ..workload import Poisson
from ._units import check_requests, p99_or_inf, unit_run

__all__ = [
    "KneeCurve",
    "knee_curve",
    "Pooling",
    "pooling_comparison",
    "LittleCheck",
    "littles_law_check",
    "OperatingPoint",
    "operating_point",
]

DEFAULT_UTILIZATIONS = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


def _utilizations(values: tuple[float, ...]) -> np.ndarray:
    rho = np.array(
        [
            check_real("utilizations[]", u, low=0.0, high=1.0, low_open=True, high_open=True)
            for u in values
        ]
    )
    if rho.size == 0:
        raise ValueError("utilizations=() is empty; give at least one value in (0, 1)")
    return rho


def _station_estimates(
    servers: int, mean_service: float, rate: float, requests: int, replications: int, seed: int
) -> tuple[Estimate, Estimate]:
    station = Station(servers=servers, service=Exponential(mean_service))
    runs = [
        simulate(station, Poisson(rate), requests / rate, seed=seed * 1000 + i)
        for i in range(replications)
    ]
    return (Estimate.of([r.latency.mean for r in runs]), Estimate.of([r.latency.p99 for r in runs]))


@dataclass(frozen=True)
class KneeCurve:
    """Response time of an M/M/c station against utilization, simulated and exact.

    Attributes
    ----------
    servers : int
        Servers sharing the queue.
    mean_service : float
        Mean service time, seconds.
    utilization : numpy.ndarray
        Utilizations simulated, each in (0, 1).
    simulated_mean, simulated_p99 : numpy.ndarray
        Mean over replications of each run's mean and 99th percentile, seconds.
    mean_half_width, p99_half_width : numpy.ndarray
        Half-widths of their 95% confidence intervals, seconds.
    formula_mean : numpy.ndarray
        Exact M/M/c mean response time (Erlang C), seconds.
    formula_p99 : numpy.ndarray or None
        Exact p99 for one server (response time is exponential); None for c > 1.
    requests, replications, seed : int
        Requests per run, runs per point, base seed.
    """

    servers: int
    mean_service: float
    utilization: np.ndarray
    simulated_mean: np.ndarray
    mean_half_width: np.ndarray
    simulated_p99: np.ndarray
    p99_half_width: np.ndarray
    formula_mean: np.ndarray
    formula_p99: np.ndarray | None
    requests: int
    replications: int
    seed: int


def knee_curve(
    servers: int = 1,
    mean_service: float = 0.01,
    utilizations: tuple[float, ...] = DEFAULT_UTILIZATIONS,
    requests: int = 20_000,
    replications: int = 5,
    seed: int = 1,
) -> KneeCurve:
    """Simulate an M/M/c station at several utilizations and compare with the formula.

    Cost: about 900,000 simulated requests on the exact fast path (~0.2 s on a laptop core);
    at most 2e6.

    Parameters
    ----------
    servers : int
        Servers sharing one FCFS queue, 1 to 1000.
    mean_service : float
        Mean (exponential) service time, seconds (> 0).
    utilizations : tuple of float
        Utilizations to simulate, each in (0, 1).
    requests : int
        Requests per run, 1,000 to 5,000,000 (the first 10% of time is warm-up).
    replications : int
        Independent runs per point, 1 to 100, for the confidence intervals.
    seed : int
        Base seed (>= 0); run ``i`` uses ``seed * 1000 + i``.

    Returns
    -------
    KneeCurve
    """
    check_int("servers", servers, low=1, high=1000)
    check_positive("mean_service", mean_service)
    check_int("requests", requests, low=1000, high=5_000_000)
    check_int("replications", replications, low=1, high=100)
    check_int("seed", seed, low=0)
    rho = _utilizations(utilizations)
    rows = []
    for u in rho:
        rate = u * servers / mean_service
        mean, p99 = _station_estimates(servers, mean_service, rate, requests, replications, seed)
        rows.append(
            (
                mean.mean,
                mean.half_width,
                p99.mean,
                p99.half_width,
                mmc(rate, 1 / mean_service, servers).mean_response,
            )
        )
    cols = np.array(rows).T
    exact_p99 = None
    if servers == 1:
        exact_p99 = np.array(
            [mm1_response_quantile(u / mean_service, 1 / mean_service, 0.99) for u in rho]
        )
    return KneeCurve(
        servers,
        float(mean_service),
        rho,
        cols[0],
        cols[1],
        cols[2],
        cols[3],
        cols[4],
        exact_p99,
        requests,
        replications,
        seed,
    )


@dataclass(frozen=True)
class Pooling:
    """One shared queue in front of c servers against c separate queues.

    Attributes
    ----------
    servers : int
        Number of servers c.
    utilization : numpy.ndarray
        Utilization of every server (the same in both layouts).
    pooled_mean, split_mean : numpy.ndarray
        Simulated mean response time, seconds.
    pooled_p99, split_p99 : numpy.ndarray
        Simulated 99th percentiles, seconds.
    pooled_formula, split_formula : numpy.ndarray
        Exact means: M/M/c, and M/M/1 at the same utilization, seconds.
    """

    servers: int
    utilization: np.ndarray
    pooled_mean: np.ndarray
    split_mean: np.ndarray
    pooled_p99: np.ndarray
    split_p99: np.ndarray
    pooled_formula: np.ndarray
    split_formula: np.ndarray


def pooling_comparison(
    servers: int = 4,
    mean_service: float = 0.01,
    utilizations: tuple[float, ...] = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95),
    requests: int = 20_000,
    seed: int = 1,
) -> Pooling:
    """Why one queue for c servers beats c queues (what a load balancer that sends each
    request to a random server builds).

    The split layout is c independent M/M/1 queues (random routing of a Poisson stream
    gives each a Poisson stream of rate lambda / c); one of them is simulated, which by
    symmetry stands for all c.

    Cost: about 240,000 simulated requests on the exact fast path (~0.06 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    servers : int
        Servers c, 2 to 1000.
    mean_service : float
        Mean service time, seconds (> 0).
    utilizations : tuple of float
        Per-server utilizations, each in (0, 1).
    requests : int
        Requests per run, 1,000 to 5,000,000.
    seed : int
        Seed (>= 0).
    """
    check_int("servers", servers, low=2, high=1000)
    check_positive("mean_service", mean_service)
    check_int("requests", requests, low=1000, high=5_000_000)
    rho = _utilizations(utilizations)
    out = []
    for u in rho:
        rate = u * servers / mean_service
        pooled = simulate(
            Station(servers=servers, service=Exponential(mean_service)),
            Poisson(rate),
            requests / rate,
            seed=seed,
        )
        split = simulate(
            Station(servers=1, service=Exponential(mean_service)),
            Poisson(rate / servers),
            requests / (rate / servers),
            seed=seed,
        )
        out.append(
            (
                pooled.latency.mean,
                split.latency.mean,
                pooled.latency.p99,
                split.latency.p99,
                mmc(rate, 1 / mean_service, servers).mean_response,
                mmc(rate / servers, 1 / mean_service, 1).mean_response,
            )
        )
    cols = np.array(out).T
    return Pooling(servers, rho, *cols)


@dataclass(frozen=True)
class LittleCheck:
    """Little's law, L = lambda W, checked on simulated runs.

    Attributes
    ----------
    arrival_rate : numpy.ndarray
        Measured arrival rate in the window, requests/s.
    mean_time : numpy.ndarray
        Measured mean time in the system W, seconds.
    in_system : numpy.ndarray
        Measured time-average number in the system L.
    product : numpy.ndarray
        ``arrival_rate * mean_time``, which Little's law says equals ``in_system``.
    """

    arrival_rate: np.ndarray
    mean_time: np.ndarray
    in_system: np.ndarray
    product: np.ndarray


def littles_law_check(
    rates: tuple[float, ...] = (20.0, 50.0, 80.0, 95.0),
    servers: int = 1,
    mean_service: float = 0.01,
    duration: float = 600.0,
    seed: int = 1,
) -> LittleCheck:
    """Measure L, lambda and W on simulated runs at several arrival rates.

    Cost: about 150,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    rates : tuple of float
        Arrival rates, requests/s, each below capacity ``servers / mean_service``.
    servers : int
        Servers (>= 1).
    mean_service : float
        Mean service time, seconds (> 0).
    duration : float
        Simulated seconds per run (> 0), enough for 100 requests at each rate.
    seed : int
        Seed (>= 0).
    """
    check_int("servers", servers, low=1)
    capacity = servers / check_positive("mean_service", mean_service)
    station = Station(servers=servers, service=Exponential(mean_service))
    rows = []
    for rate in rates:
        check_real("rates[]", rate, low=0.0, high=capacity, low_open=True, high_open=True)
        check_requests(rate, duration, f"rates[]={rate!r}, duration={duration!r}")
        r = simulate(station, Poisson(rate), duration, seed=seed)
        rows.append(
            (r.offered_rate, r.latency.mean, r.in_system(), r.offered_rate * r.latency.mean)
        )
    cols = np.array(rows).T
    return LittleCheck(*cols)


@dataclass(frozen=True)
class OperatingPoint:
    """Where one arrival rate puts an M/M/c station on its latency curve.

    Attributes
    ----------
    arrival_rate : float
        Requests per second.
    servers : int
    mean_service : float
        Mean service time, seconds.
    capacity : float
        ``servers / mean_service``, requests/s.
    utilization : float
        ``arrival_rate / capacity``.
    curve_rates, curve_mean : numpy.ndarray
        The exact M/M/c mean response time (s) at rates from 1% to 97% of capacity.
    mean, p99 : float
        Simulated at ``arrival_rate``, seconds; ``inf`` at or above capacity, or when the
        run could not keep up.
    """

    arrival_rate: float
    servers: int
    mean_service: float
    capacity: float
    utilization: float
    curve_rates: np.ndarray
    curve_mean: np.ndarray
    mean: float
    p99: float


def operating_point(
    arrival_rate: float = 80.0,
    servers: int = 1,
    mean_service: float = 0.01,
    requests: int | None = None,
    seed: int = 1,
) -> OperatingPoint:
    """Simulate one M/M/c station at ``arrival_rate`` (exact fast path, about 0.25 us
    per request) beside its exact mean-response curve: chapter 2's live widget.

    Cost: about 25,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    arrival_rate : float
        Requests per second (> 0).
    servers : int
        Servers sharing one queue, 1 to 64.
    mean_service : float
        Mean service time, seconds (> 0).
    requests : int, optional
        Requests simulated, 1,000 to 1,000,000. By default the run grows with the
        relaxation time near saturation: ``1000 / (1 - utilization)**2`` requests, at
        least 20,000 and at most 400,000 (0.1 s), so the simulated mean stays within about
        15% of the formula up to 95% utilization.
    seed : int
        Seed (>= 0).
    """
    check_positive("arrival_rate", arrival_rate)
    check_int("servers", servers, low=1, high=64)
    check_positive("mean_service", mean_service)
    capacity = servers / mean_service
    if requests is None:
        slack = max(1 - arrival_rate / capacity, 0.05)
        requests = int(min(400_000, max(20_000, 1000 / slack**2)))
    check_int("requests", requests, low=1000, high=1_000_000)
    rates = np.linspace(0.01, 0.97, 200) * capacity
    curve = np.array([mmc(r, 1 / mean_service, servers).mean_response for r in rates])
    mean = p99 = math.inf
    if arrival_rate < capacity:
        result = unit_run(arrival_rate, servers, mean_service, requests, seed)
        if not result.overloaded:
            mean, p99 = float(result.latency.mean), p99_or_inf(result.latency)
    return OperatingPoint(
        float(arrival_rate),
        servers,
        float(mean_service),
        capacity,
        arrival_rate / capacity,
        rates,
        curve,
        mean,
        p99,
    )
