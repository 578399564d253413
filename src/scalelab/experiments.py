"""Ready-made experiments: one call returns the data behind one figure of the course."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import check_int, check_positive, check_real
from .distributions import Exponential
from .simulate import simulate
from .theory import mmc
from .topology import Station
from .workload import Poisson

__all__ = ["KneeCurve", "knee_curve"]


@dataclass(frozen=True)
class KneeCurve:
    """Mean response time of an M/M/c station against utilization, simulated and exact.

    Attributes
    ----------
    servers : int
        Servers sharing the queue.
    mean_service : float
        Mean service time, seconds.
    utilization : numpy.ndarray
        Target utilizations, each in (0, 1).
    simulated_mean, simulated_p99 : numpy.ndarray
        Mean and 99th percentile of simulated response times, seconds.
    formula_mean : numpy.ndarray
        Exact M/M/c mean response time (Erlang C), seconds.
    requests : int
        Approximate requests simulated per point.
    seed : int
        Seed of the runs.
    """

    servers: int
    mean_service: float
    utilization: np.ndarray
    simulated_mean: np.ndarray
    simulated_p99: np.ndarray
    formula_mean: np.ndarray
    requests: int
    seed: int


def knee_curve(servers: int = 1, mean_service: float = 0.01,
               utilizations: tuple[float, ...] = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
               requests: int = 50_000, seed: int = 1) -> KneeCurve:
    """Simulate an M/M/c station at several utilizations and compare with the formula.

    Parameters
    ----------
    servers : int
        Servers sharing one FCFS queue, 1 to 1000.
    mean_service : float
        Mean (exponential) service time, seconds (> 0).
    utilizations : tuple of float
        Utilizations to simulate, each in (0, 1).
    requests : int
        Requests per point, 1,000 to 5,000,000 (the first 10% of time is warm-up).
    seed : int
        Seed (>= 0); every point uses the same seed.

    Returns
    -------
    KneeCurve
    """
    check_int("servers", servers, low=1, high=1000)
    check_positive("mean_service", mean_service)
    check_int("requests", requests, low=1000, high=5_000_000)
    rho = np.array([check_real("utilizations[]", u, low=0.0, high=1.0, low_open=True,
                               high_open=True) for u in utilizations])
    if rho.size == 0:
        raise ValueError("utilizations=() is empty; give at least one value in (0, 1)")
    station = Station(servers=servers, service=Exponential(mean_service))
    means, p99s, formula = [], [], []
    for u in rho:
        rate = u * servers / mean_service
        result = simulate(station, Poisson(rate), duration=requests / rate, seed=seed)
        means.append(result.latency.mean)
        p99s.append(result.latency.p99)
        formula.append(mmc(rate, 1 / mean_service, servers).mean_response)
    return KneeCurve(servers, float(mean_service), rho, np.array(means), np.array(p99s),
                     np.array(formula), requests, seed)
