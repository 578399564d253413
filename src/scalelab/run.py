"""Entry points: :func:`simulate` one seeded run, :func:`replicate` several (each figure
an :class:`Estimate` with its confidence interval)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import get_args

import numpy as np

from ._engine.batching import run_batch
from ._engine.core import MAX_REQUESTS
from ._engine.fast_path import run_fast
from ._engine.run import run_simpy
from ._engine.streams import stream
from ._validate import (
    check_choice,
    check_instance,
    check_int,
    check_kind,
    check_positive,
    check_real,
)
from .eventdriven import EventDriven
from .resilience import Client
from .results import SimulationResult, build_result
from .topology import BatchServer, Chain, FanOut, RequestResponse, Station
from .workload import Burst, ClosedLoop, Poisson, Workload

__all__ = [
    "ENGINES",
    "simulate",
    "replicate",
    "Estimate",
    "fast_path_applies",
    "request_budget",
    "cost_per_request",
    "COST_UNIT_US",
    "MAX_WARM_KEYS",
]

ENGINES = ("auto", "simpy", "fast")
"""``"auto"`` uses an exact fast path where one applies, otherwise SimPy."""

System = Station | Chain | RequestResponse | FanOut | EventDriven | BatchServer
"""Any system :func:`simulate` runs."""


_BUDGET: ContextVar[list | None] = ContextVar("scalelab_request_budget", default=None)


@contextmanager
def request_budget(limit: float, what: str) -> Iterator[None]:
    """Cap the requests that every :func:`simulate` call inside the block may generate
    together (the expected count of an open workload, counted before each run starts,
    each weighed by what it costs to simulate: :func:`cost_per_request`).

    A lab runs under ``with request_budget(2e6, "labs.knee_curve")``: a call whose runs
    would add up to more raises :class:`ValueError` before the run that crosses the cap,
    so it costs at most about ``limit`` x ``COST_UNIT_US`` of simulation. Requests are
    weighed by :func:`cost_per_request`; a client's retries are not counted (they depend
    on how many calls fail), nor are a closed loop's beyond one per think time.

    Parameters
    ----------
    limit : float
        Requests (> 0).
    what : str
        What the budget is for, named in the error.
    """
    token = _BUDGET.set([check_positive("limit", limit), 0.0, what])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _expected_requests(workload: Workload, duration: float) -> float:
    """Requests a run is expected to generate: exact in expectation for open workloads,
    an upper bound (every client always thinking) for a closed loop."""
    if isinstance(workload, Poisson):
        return workload.peak_rate * duration
    if isinstance(workload, Burst):
        return float(workload.requests)
    return workload.clients * duration / max(workload.think_time.mean, 1e-3)


MAX_WARM_KEYS = 1_000_000
"""Largest LRU cache :func:`simulate` fills before a run (``Cache(warm=True)``): about 110
bytes and 0.2 us a key, 110 MB and 0.2 s at the cap."""

COST_UNIT_US = 12.0
"""About what one request through one station costs on the general engine, microseconds
(this machine's ``benchmarks/engine.py``): the unit of :func:`request_budget`."""


def cost_per_request(system: System) -> float:
    """What one request of ``system`` costs against a request budget, in requests through
    one station (``COST_UNIT_US`` each), as measured on the general engine: a call to each
    service of a Chain; 1.5 per backend call of a FanOut (2.5 when calls are hedged); 3 for
    a RequestResponse; 2 for an EventDriven, plus 1 each for its API servers, its
    database and its replicas."""
    if isinstance(system, Chain):
        return float(len(system.services))
    if isinstance(system, FanOut):
        return system.fanout * (1.5 if system.hedge_after is None else 2.5)
    if isinstance(system, RequestResponse):
        return 3.0
    if isinstance(system, EventDriven):
        extras = (system.front, system.db, getattr(system.broker, "replication", 1) > 1)
        return 2.0 + sum(1.0 for extra in extras if extra)
    return 1.0


def _spend(system: System, workload: Workload, duration: float) -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    expected = _expected_requests(workload, duration) * cost_per_request(system)
    limit, spent, what = budget
    if spent + expected > limit:
        raise ValueError(
            f"{what} would simulate more than {limit:.0e} requests (about "
            f"{limit * COST_UNIT_US * 1e-6:.0f} s of simulation); ask for fewer points or "
            "replications, or shorter runs"
        )
    budget[1] = spent + expected


def fast_path_applies(system: object, workload: object, client: object = None) -> bool:
    """True when the exact recursion can replace the event simulation: a single
    :class:`Station` with an unbounded FIFO queue fed by open :class:`Poisson` arrivals,
    with no client policy. (A :class:`BatchServer` always runs by its own recursion.)"""
    return (
        isinstance(system, Station)
        and system.queue_limit is None
        and system.discipline == "fifo"
        and isinstance(workload, Poisson)
        and client is None
    )


def _check(
    system: object,
    workload: object,
    duration: float,
    seed: int,
    warmup: float | None,
    engine: str,
    client: object,
) -> tuple[float, float]:
    check_kind("system", system, get_args(System), "system")
    check_kind("workload", workload, get_args(Workload), "workload")
    if client is not None:
        check_instance("client", client, Client, "a Client")
        if isinstance(system, EventDriven):
            raise ValueError(
                "client is not supported for EventDriven systems; use the "
                "ConsumerGroup's retries and the Producer's buffer"
            )
        if getattr(system, "timeout", None) is not None:
            raise ValueError(
                "the system has a timeout and a client is given; set the timeout on the Client only"
            )
    duration = check_positive("duration", duration)
    check_int("seed", seed, low=0)
    warmup = (
        0.1 * duration
        if warmup is None
        else check_real("warmup", warmup, low=0.0, high=duration, high_open=True)
    )
    check_choice("engine", engine, ENGINES)
    if isinstance(system, BatchServer) and (
        isinstance(workload, ClosedLoop) or client is not None or engine == "simpy"
    ):
        raise ValueError(
            "a BatchServer runs by its exact recursion only: give it an open "
            "workload (Poisson or Burst), no client, and engine='auto' or 'fast'"
        )
    if engine == "fast" and not (
        isinstance(system, BatchServer) or fast_path_applies(system, workload, client)
    ):
        raise ValueError(
            "engine='fast' needs a FIFO Station without queue_limit, a Poisson "
            "workload and no client; use engine='auto' or 'simpy'"
        )
    expected = _expected_requests(workload, duration) if isinstance(workload, Poisson) else 0.0
    if expected > MAX_REQUESTS:
        raise ValueError(
            f"duration={duration:g} at peak rate {workload.peak_rate:g}/s means "
            f"~{expected:.3g} requests; at most {MAX_REQUESTS:.0e} per run "
            "(simulate one unit at its share of the load instead)"
        )
    needs_keys = (
        isinstance(system, RequestResponse)
        and system.cache is not None
        and system.cache.size is not None
    )
    if needs_keys and workload.keys is None:
        raise ValueError(
            "an LRU Cache(size=...) needs a workload with keys=Uniform(...) or keys=Zipf(...)"
        )
    if needs_keys and system.cache.warm:
        filled = min(system.cache.size, workload.keys.n_keys)
        if filled > MAX_WARM_KEYS:
            raise ValueError(
                f"Cache(size={system.cache.size:,}, warm=True) with {workload.keys.n_keys:,} "
                f"keys fills {filled:,} keys before the run; at most {MAX_WARM_KEYS:,} (about "
                "110 bytes and 0.2 us each): keep the ratio of cache to keys on a smaller "
                "catalogue, or start cold"
            )
    return duration, warmup


def simulate(
    system: System,
    workload: Workload,
    duration: float,
    seed: int,
    warmup: float | None = None,
    engine: str = "auto",
    client: Client | None = None,
) -> SimulationResult:
    """Run ``system`` under ``workload`` for ``duration`` seconds.

    Cost: about 10 us and a few hundred bytes per request on the general engine, under
    1 us on the exact fast paths (``benchmarks/engine.py``); at most ``2e7`` requests per
    run (a ValueError says so before the run for open workloads).

    Parameters
    ----------
    system : Station or Chain or RequestResponse or FanOut or EventDriven or BatchServer
        What to simulate.
    workload : Poisson or ClosedLoop or Burst
        Who sends requests.
    duration : float
        Simulated seconds (> 0). Requests still in progress at the end count as in flight.
    seed : int
        Seed (>= 0); the same seed gives the same result in any process.
    warmup : float, optional
        Initial seconds excluded from statistics, in [0, duration). Default 10% of
        ``duration``.
    engine : str
        One of ``ENGINES``.
    client : Client, optional
        Timeouts, retries, retry budget and circuit breaker of the callers.

    Returns
    -------
    SimulationResult
    """
    duration, warmup = _check(system, workload, duration, seed, warmup, engine, client)
    _spend(system, workload, duration)
    if isinstance(system, BatchServer) or (
        engine != "simpy" and fast_path_applies(system, workload, client)
    ):
        arrival = workload.arrival_times(stream(seed, "arrivals"), duration)
        if isinstance(system, BatchServer):
            finish, status, log, counters = run_batch(system, arrival, duration)
        else:
            (finish, status, log), counters = run_fast(system, arrival, seed, duration), {}
        return build_result(
            duration=duration,
            warmup=warmup,
            seed=seed,
            engine="fast",
            arrival=arrival,
            finish=finish,
            status=status,
            logs=[log],
            counters=counters,
        )
    run, logs = run_simpy(system, workload, duration, seed, client, warmup)
    events = isinstance(system, EventDriven)
    return build_result(
        duration=duration,
        warmup=warmup,
        seed=seed,
        engine="simpy",
        arrival=np.asarray(run.arrival, dtype=float),
        finish=np.asarray(run.finish, dtype=float),
        network=np.asarray(run.net_time, dtype=float),
        status=np.asarray(run.status, dtype=np.int8),
        done=np.asarray(run.settled, dtype=float) if events else None,
        replied=np.asarray(run.replied, dtype=bool) if events else None,
        partitions=run.partitions,
        logs=logs,
        counters=dict(run.counters),
    )


# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (standard tables).
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


@dataclass(frozen=True)
class Estimate:
    """A mean over independent replications with its 95% confidence interval.

    Attributes
    ----------
    mean : float
        Average over replications.
    half_width : float
        Half-width of the 95% Student-t interval (0 for one replication).
    values : tuple of float
        The per-replication values.
    """

    mean: float
    half_width: float
    values: tuple[float, ...]

    @property
    def low(self) -> float:
        """Lower end of the interval."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the interval."""
        return self.mean + self.half_width

    @classmethod
    def of(cls, values: list[float]) -> Estimate:
        """Estimate from per-replication values."""
        arr = np.asarray(values, dtype=float)
        if arr.size < 2:
            return cls(float(arr.mean()), 0.0, tuple(arr.tolist()))
        t = _T975[arr.size - 2] if arr.size - 1 <= len(_T975) else 1.96
        half = t * float(arr.std(ddof=1)) / math.sqrt(arr.size)
        return cls(float(arr.mean()), half, tuple(arr.tolist()))


def replicate(
    system: System,
    workload: Workload,
    duration: float,
    seed: int,
    replications: int = 10,
    warmup: float | None = None,
    engine: str = "auto",
    client: Client | None = None,
) -> dict[str, Estimate]:
    """Run independent replications and estimate each summary figure with a 95% CI.

    Replication ``i`` uses seed ``seed * 1000 + i``; figures that are ``None`` in some
    replication (no completed request) are left out.

    Parameters
    ----------
    system, workload, duration, warmup, engine, client
        As for :func:`simulate`.
    seed : int
        Base seed (>= 0).
    replications : int
        Number of runs, 1 to 1000, and for Poisson arrivals at most ``2e7`` requests in
        all (about 10 us each).

    Returns
    -------
    dict of str to Estimate
        One entry per numeric field of :meth:`SimulationResult.summary`.
    """
    check_int("replications", replications, low=1, high=1000)
    check_int("seed", seed, low=0)
    if isinstance(workload, Poisson):
        total = replications * _expected_requests(workload, check_positive("duration", duration))
        if total > MAX_REQUESTS:
            raise ValueError(
                f"replications={replications} runs of ~{total / replications:.3g} requests "
                f"are ~{total:.3g} in all; at most {MAX_REQUESTS:.0e} (about 10 us each): "
                "use fewer replications or shorter runs"
            )
    runs = [
        simulate(system, workload, duration, seed * 1000 + i, warmup, engine, client).summary()
        for i in range(replications)
    ]
    out = {}
    for name in runs[0]:
        values = [r[name] for r in runs]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[name] = Estimate.of([float(v) for v in values])
    return out
