"""Trade-offs (chapter 6): batching, latency against throughput, and capacity planning,
how many units a load needs to meet a latency target in each architecture and what that
costs.

A batching server (:class:`~scalelab.BatchServer`) shares a batch's fixed overhead (a
round trip, an fsync, a transaction) among its requests, so bigger batches raise
capacity while each request waits for its batch. Capacity planning treats each component
as one kind of unit, an M/M/c station sharing the load evenly, and counts units by
simulating one at its share (the symmetry argument of chapter 3). Prices are assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_int,
    check_ints,
    check_non_negative,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from ..run import simulate
from ..theory import database_load
from ..topology import MAX_SERVERS, BatchServer
from ..workload import Poisson
from ._units import p99_or_inf, unit_p99

__all__ = [
    "batch_capacity",
    "BatchingCurve",
    "batching_curve",
    "BatchRun",
    "batch_run",
    "UnitPlan",
    "units_for_p99",
    "CostRow",
    "cost_table",
]


def batch_capacity(batch_size: int, overhead: float, per_item: float) -> float:
    """Most requests per second a batching server completes with full batches (formula):
    ``batch_size / (overhead + batch_size * per_item)``; see :class:`~scalelab.BatchServer`.

    Cost: a formula, no simulation (well under a millisecond).
    """
    return BatchServer(batch_size=batch_size, overhead=overhead, per_item=per_item).capacity


@dataclass(frozen=True)
class BatchRun:
    """One seeded run of a batching server.

    Attributes
    ----------
    throughput : float
        Requests completed per second after the warm-up.
    p50, p99 : float
        Client latency of requests that arrived after the warm-up, one still waiting at
        the end counted at its age then, seconds.
    mean_batch : float
        Mean requests per batch.
    overloaded : bool
        True when completions fell more than 5% short of arrivals after the warm-up.
    latencies : numpy.ndarray
        The latencies behind ``p50`` and ``p99``, seconds, in arrival order.
    server : BatchServer
        What was simulated.
    load : float
        Offered requests per second.
    """

    throughput: float
    p50: float
    p99: float
    mean_batch: float
    overloaded: bool
    latencies: np.ndarray
    server: BatchServer
    load: float


def batch_run(
    load: float,
    batch_size: int,
    linger: float = 0.0,
    overhead: float = 0.002,
    per_item: float = 0.0002,
    duration: float = 20.0,
    seed: int = 1,
) -> BatchRun:
    """Poisson arrivals at ``load`` per second to a :class:`~scalelab.BatchServer` for
    ``duration`` s (the first 10% is warm-up).

    Cost: about 40,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    load : float
        Requests per second (> 0).
    batch_size, linger, overhead, per_item
        As in :class:`~scalelab.BatchServer`.
    duration : float
        Simulated seconds (> 0).
    seed : int
    """
    check_positive("load", load)
    server = BatchServer(batch_size=batch_size, linger=linger, overhead=overhead, per_item=per_item)
    r = simulate(server, Poisson(load), duration, seed=seed)
    completed = r.counts.completed
    p50 = math.inf if r.latency.p50 is None else float(r.latency.p50)
    return BatchRun(
        r.throughput,
        p50,
        p99_or_inf(r.latency),
        completed / max(r.counters["batches"], 1.0),
        r.overloaded,
        r.latencies(),
        server,
        float(load),
    )


@dataclass(frozen=True)
class BatchingCurve:
    """Throughput and latency of a batching server over batch sizes and loads.

    Attributes
    ----------
    batch_sizes, loads : numpy.ndarray
    capacity : numpy.ndarray
        Per batch size, the formula ``batch_capacity``.
    throughput, p99 : numpy.ndarray
        Shape (batch sizes, loads), simulated; p99 of an overloaded run only grows with
        the run's length.
    overloaded : numpy.ndarray
        Shape (batch sizes, loads).
    linger, overhead, per_item : float
    """

    batch_sizes: np.ndarray
    loads: np.ndarray
    capacity: np.ndarray
    throughput: np.ndarray
    p99: np.ndarray
    overloaded: np.ndarray
    linger: float
    overhead: float
    per_item: float

    def best_batch(self, load_index: int) -> int:
        """The batch size with the lowest p99 at ``loads[load_index]``."""
        return int(self.batch_sizes[int(np.argmin(self.p99[:, load_index]))])


def batching_curve(
    batch_sizes: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100),
    loads: tuple[float, ...] = (100.0, 400.0, 1000.0, 2000.0, 3500.0),
    linger: float = 0.01,
    overhead: float = 0.002,
    per_item: float = 0.0002,
    duration: float = 10.0,
    seed: int = 1,
) -> BatchingCurve:
    """Sweep batch sizes and loads (same arrivals for every batch size at a load).

    Cost: about 490,000 simulated requests on the exact fast path (~0.5 s on a laptop core);
    at most 2e6.

    Parameters
    ----------
    batch_sizes : tuple of int
        Each >= 1.
    loads : tuple of float
        Requests per second, each in (0, 1,000,000].
    linger, overhead, per_item : float
        As in :class:`~scalelab.BatchServer`.
    duration : float
    seed : int
    """
    sizes = check_ints("batch_sizes", batch_sizes, 1)
    rates = check_reals("loads", loads, low=0.0, high=1e6, low_open=True)
    runs = [
        [batch_run(load, b, linger, overhead, per_item, duration, seed) for load in rates]
        for b in sizes
    ]
    return BatchingCurve(
        np.array(sizes),
        np.array(rates),
        np.array([batch_capacity(b, overhead, per_item) for b in sizes]),
        np.array([[r.throughput for r in row] for row in runs]),
        np.array([[r.p99 for r in row] for row in runs]),
        np.array([[r.overloaded for r in row] for row in runs]),
        float(linger),
        float(overhead),
        float(per_item),
    )


_MAX_UNITS = 100_000


@dataclass(frozen=True)
class UnitPlan:
    """Units one component needs.

    Attributes
    ----------
    units : int
        Smallest count whose simulated p99 meets the target.
    minimum : int
        Fewest units that are not overloaded (formula: ``ceil(load / capacity)``).
    utilization : float
        Load over capacity at ``units``.
    p99 : float
        Simulated p99 of one unit at its share of the load, seconds.
    """

    units: int
    minimum: int
    utilization: float
    p99: float


def units_for_p99(
    load: float,
    slots: int,
    mean_service: float,
    p99_target: float,
    requests: int = 20_000,
    seed: int = 1,
) -> UnitPlan:
    """Smallest number of units, each an M/M/``slots`` queue with mean service time
    ``mean_service``, whose p99 (wait plus service) at ``load / units`` is at most
    ``p99_target``.

    Cost: about 20,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    load : float
        Requests per second across all units (> 0).
    slots : int
        Parallel slots per unit, 1 to ``MAX_SERVERS``: cores, workers, one consumer.
    mean_service : float
        Mean seconds of work per request (> 0).
    p99_target : float
        Seconds (> 0). Must exceed the p99 of the service alone, about
        ``4.6 * mean_service``.
    requests : int
        Requests simulated per candidate (>= 1,000).
    seed : int
    """
    check_positive("load", load)
    check_int("slots", slots, low=1, high=MAX_SERVERS)
    check_positive("mean_service", mean_service)
    check_positive("p99_target", p99_target)
    check_int("requests", requests, low=1000)
    if p99_target <= -math.log(0.01) * mean_service:
        raise ValueError(
            f"p99_target={p99_target!r} is below the p99 of the service alone "
            f"({-math.log(0.01) * mean_service:.3g} s); no number of units "
            "meets it"
        )
    capacity = slots / mean_service
    minimum = math.floor(load / capacity) + 1
    units = minimum
    while units <= _MAX_UNITS:
        p99 = unit_p99(load / units, slots, mean_service, requests, seed)
        if p99 <= p99_target:
            return UnitPlan(units, minimum, load / (units * capacity), p99)
        units = max(units + 1, math.ceil(units * 1.05))
    raise ValueError(
        f"load={load!r} needs more than {_MAX_UNITS:,} units; "
        "lower the load or raise the unit's capacity"
    )


@dataclass(frozen=True)
class CostRow:
    """One component of one architecture in the cost table."""

    architecture: str
    component: str
    load: float
    target: str
    plan: UnitPlan
    monthly_cost: float


def cost_table(
    load: float = 2000.0,
    peak_factor: float = 3.0,
    read_fraction: float = 0.9,
    hit_ratio: float = 0.9,
    p99_target: float = 0.1,
    staleness_target: float = 1.0,
    app_mean_service: float = 0.01,
    app_cores: int = 4,
    query_mean_service: float = 0.004,
    db_slots: int = 4,
    consumer_mean_service: float = 0.01,
    app_price: float = 150.0,
    db_price: float = 700.0,
    partition_price: float = 40.0,
    seed: int = 1,
) -> list[CostRow]:
    """Units and monthly cost of both architectures for a load with peaks.

    Request-response sizes everything for the peak (``load x peak_factor``): every
    request uses an app server; reads that miss the cache and all writes query the
    database; app and database each get half of ``p99_target``. Event-driven serves reads
    the same way, but writes are accepted by the API servers and applied by consumers
    (one per partition) sized for the *average* write rate with p99 staleness
    ``staleness_target``, so the database takes peak read misses plus average writes.
    The price of that: during a peak, writes wait as lag (chapter 5 gives its drain time).

    Cost: about 260,000 simulated requests on the exact fast path (~0.07 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    load : float
        Average requests per second (> 0).
    peak_factor : float
        Peak over average, in [1, 100].
    read_fraction, hit_ratio : float
        In [0, 1].
    p99_target, staleness_target : float
        Seconds (> 0).
    app_mean_service, query_mean_service, consumer_mean_service : float
        Mean seconds of work per request on an app core, per query on a database slot,
        per message on a consumer (> 0).
    app_cores, db_slots : int
        Slots per app server and per database node, 1 to ``MAX_SERVERS``.
    app_price, db_price, partition_price : float
        Assumed monthly price of an app server, a database node, and a partition with
        its consumer, in dollars (>= 0); replace with your provider's.
    seed : int

    Returns
    -------
    list of CostRow
    """
    check_positive("load", load)
    check_real("peak_factor", peak_factor, low=1.0, high=100.0)
    check_probability("read_fraction", read_fraction)
    check_probability("hit_ratio", hit_ratio)
    check_int("app_cores", app_cores, low=1, high=MAX_SERVERS)
    check_int("db_slots", db_slots, low=1, high=MAX_SERVERS)
    for name, price in (
        ("app_price", app_price),
        ("db_price", db_price),
        ("partition_price", partition_price),
    ):
        check_non_negative(name, price)
    peak = load * peak_factor
    at_peak = database_load(peak, read_fraction, hit_ratio)
    misses = at_peak.reads
    writes = database_load(load, read_fraction, hit_ratio).writes
    half = p99_target / 2
    tier = f"p99 {half * 1000:g} ms at peak"
    app = units_for_p99(peak, app_cores, app_mean_service, half, seed=seed)
    rows = []
    for arch, db_qps in (("request-response", at_peak.total), ("event-driven", misses + writes)):
        db = units_for_p99(max(db_qps, 1e-3), db_slots, query_mean_service, half, seed=seed)
        rows.append(CostRow(arch, "app / API servers", peak, tier, app, app.units * app_price))
        rows.append(CostRow(arch, "database nodes", db_qps, tier, db, db.units * db_price))
    if writes > 0:
        consumers = units_for_p99(writes, 1, consumer_mean_service, staleness_target, seed=seed)
        rows.append(
            CostRow(
                "event-driven",
                "partitions + consumers",
                writes,
                f"staleness p99 {staleness_target:g} s (average load)",
                consumers,
                consumers.units * partition_price,
            )
        )
    return rows
