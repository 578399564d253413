"""Tail latency (chapter 7): fan-out turns rare slow calls into common slow requests
(the tail at scale), and closed-loop load generators under-report the tail
(coordinated omission)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive, check_probability, check_real
from ..distributions import Bimodal, Exponential
from ..results import SimulationResult
from ..run import simulate
from ..theory import closed_loop_throughput
from ..topology import FanOut, Station
from ..workload import ClosedLoop, Poisson

__all__ = ["FanOutTail", "fanout_tail", "CoordinatedOmission", "coordinated_omission"]


@dataclass(frozen=True)
class FanOutTail:
    """How fan-out turns rare slow calls into common slow requests, and what hedging buys.

    Attributes
    ----------
    fanout : numpy.ndarray
        Backend calls per request.
    p_slow : float
        Probability one call is slow.
    simulated : numpy.ndarray
        Fraction of requests slower than the threshold, simulated.
    formula : numpy.ndarray
        ``1 - (1 - p_slow)**fanout`` (a formula).
    hedge_fanout : int
        Fan-out used for the hedging comparison.
    p99_plain, p99_hedged : float
        Request p99 without and with hedging, seconds (simulated).
    hedge_after : float
        Delay before a hedge is sent: the p95 of one call in the plain run, seconds.
    extra_load : float
        Hedged copies sent per call (the extra backend load, a fraction).
    """

    fanout: np.ndarray
    p_slow: float
    simulated: np.ndarray
    formula: np.ndarray
    hedge_fanout: int
    p99_plain: float
    p99_hedged: float
    hedge_after: float
    extra_load: float


def fanout_tail(
    fanouts: tuple[int, ...] = (1, 5, 10, 20, 50, 100),
    p_slow: float = 0.01,
    fast: float = 0.005,
    slow: float = 0.1,
    calls: int = 3000,
    hedge_fanout: int = 20,
    seed: int = 1,
) -> FanOutTail:
    """The tail at scale (Dean and Barroso, 2013), simulated against its formula.

    Each backend call takes ``fast`` seconds, or ``slow`` with probability ``p_slow``; a
    request waits for all of its calls. Backends are lightly loaded (~5%), so slowness
    comes from the calls themselves, not from queueing.

    Cost: about 33,000 simulated backend calls (~0.5 s on a laptop core); at most 2e6
    units, each call weighing 1.5 (2.5 when hedged).

    Parameters
    ----------
    fanouts : tuple of int
        Fan-outs to simulate, each 1 to 1000.
    p_slow : float
        Probability a call is slow, in [0, 1].
    fast, slow : float
        Call times, seconds (0 < fast <= slow).
    calls : int
        Backend calls simulated per fan-out, 100 to 1,000,000 (requests = calls /
        fanout, at least 100).
    hedge_fanout : int
        Fan-out for the hedging comparison (1 to 1000).
    seed : int
        Seed (>= 0).
    """
    check_probability("p_slow", p_slow)
    service = Bimodal(fast, slow, p_slow)
    check_int("calls", calls, low=100, high=1_000_000)
    check_int("hedge_fanout", hedge_fanout, low=1, high=1000)
    ns = np.array([check_int("fanouts[]", n, low=1, high=1000) for n in fanouts])
    threshold = (fast + slow) / 2
    servers, workers = 50, 4
    simulated = []

    def run(n: int, requests: int, hedge_after: float | None = None) -> SimulationResult:
        # ~5% utilization of the backends whatever the fan-out.
        rate = 0.05 * servers * workers / (n * service.mean)
        system = FanOut(
            fanout=n, servers=servers, workers=workers, service=service, hedge_after=hedge_after
        )
        return simulate(system, Poisson(rate), requests / rate, seed=seed, warmup=0.0)

    for n in ns:
        result = run(int(n), max(100, calls // int(n)))
        simulated.append(float(np.mean(result.latencies() > threshold)))
    plain = run(hedge_fanout, max(100, calls // hedge_fanout))
    hedge_after = float(np.percentile(plain.visit_times("backend"), 95))
    hedged = run(hedge_fanout, max(100, calls // hedge_fanout), hedge_after)
    return FanOutTail(
        fanout=ns,
        p_slow=float(p_slow),
        simulated=np.array(simulated),
        formula=1 - (1 - p_slow) ** ns,
        hedge_fanout=hedge_fanout,
        p99_plain=plain.latency.p99,
        p99_hedged=hedged.latency.p99,
        hedge_after=hedge_after,
        extra_load=hedged.counters["fanout.hedges"] / (hedged.counts.completed * hedge_fanout),
    )


@dataclass(frozen=True)
class CoordinatedOmission:
    """Open-loop and closed-loop load generators at the same utilization.

    Attributes
    ----------
    utilization : float
        Server utilization in both runs (simulated, closed loop tuned by MVA to match).
    open_latency, closed_latency : numpy.ndarray
        Response times measured by each generator, seconds.
    open_p99, closed_p99 : float
        Their 99th percentiles, seconds.
    clients : int
        Closed-loop users.
    think_time : float
        Their mean think time, seconds.
    """

    utilization: float
    open_latency: np.ndarray
    closed_latency: np.ndarray
    open_p99: float
    closed_p99: float
    clients: int
    think_time: float


def coordinated_omission(
    utilization: float = 0.9,
    mean_service: float = 0.01,
    clients: int = 10,
    duration: float = 300.0,
    seed: int = 1,
) -> CoordinatedOmission:
    """Why a closed-loop benchmark under-reports tail latency.

    A closed-loop generator waits for each reply before sending again, so when the server
    slows down it sends less: the queue can never exceed ``clients`` and the requests that
    *would* have arrived during a stall are never measured. An open-loop (Poisson)
    generator keeps sending, as real users do.

    Cost: about 67,000 simulated requests (~0.2 s on a laptop core); at most 2e6.

    Parameters
    ----------
    utilization : float
        Target server utilization, in (0, 1).
    mean_service : float
        Mean exponential service time, seconds (> 0).
    clients : int
        Closed-loop users, 1 to 1000.
    duration : float
        Simulated seconds (> 0).
    seed : int
        Seed (>= 0).
    """
    check_real("utilization", utilization, low=0.0, high=1.0, low_open=True, high_open=True)
    check_positive("mean_service", mean_service)
    check_int("clients", clients, low=1, high=1000)
    target = utilization / mean_service  # reachable: with no think time, utilization is 1
    lo, hi = 0.0, clients / target
    for _ in range(100):  # bisection on the think time: throughput falls as it grows
        mid = (lo + hi) / 2
        lo, hi = (
            (mid, hi) if closed_loop_throughput(clients, mean_service, mid) > target else (lo, mid)
        )
    think = (lo + hi) / 2
    station = Station(servers=1, service=Exponential(mean_service))
    opened = simulate(station, Poisson(target), duration, seed=seed)
    closed = simulate(station, ClosedLoop(clients, Exponential(think)), duration, seed=seed)
    return CoordinatedOmission(
        utilization=closed.components["server"].utilization,
        open_latency=opened.latencies(),
        closed_latency=closed.latencies(),
        open_p99=opened.latency.p99,
        closed_p99=closed.latency.p99,
        clients=clients,
        think_time=think,
    )
