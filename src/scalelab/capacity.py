"""Capacity planning: how many units (servers, database nodes, partitions with their
consumers) a load needs to meet a latency target, for both architectures, and what
that costs. The data behind chapter 6's cost table.

Each component is one kind of unit, a queue with ``slots`` parallel slots and
exponential work of mean ``work`` seconds (an M/M/c station), sharing the load evenly.
The count comes from simulating one unit at its share (the symmetry argument of
chapter 3): the smallest count whose unit meets the target. Prices are assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._validate import (
    check_int,
    check_non_negative,
    check_positive,
    check_probability,
    check_real,
)
from .distributions import Exponential
from .simulate import simulate
from .topology import Station
from .workload import Poisson

__all__ = ["UnitPlan", "units_for_p99", "CostRow", "cost_table"]

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


def units_for_p99(load: float, slots: int, work: float, p99_target: float,
                  requests: int = 20_000, seed: int = 1) -> UnitPlan:
    """Smallest number of units, each an M/M/``slots`` queue with mean work ``work``,
    whose p99 (wait plus work) at ``load / units`` is at most ``p99_target``.

    Parameters
    ----------
    load : float
        Requests per second across all units (> 0).
    slots : int
        Parallel slots per unit (>= 1): cores, workers, one consumer.
    work : float
        Mean seconds of work per request (> 0).
    p99_target : float
        Seconds (> 0). Must exceed the p99 of the work alone, about ``4.6 * work``.
    requests : int
        Requests simulated per candidate (>= 1,000).
    seed : int
    """
    check_positive("load", load)
    check_int("slots", slots, low=1)
    check_positive("work", work)
    check_positive("p99_target", p99_target)
    check_int("requests", requests, low=1000)
    if p99_target <= -math.log(0.01) * work:
        raise ValueError(f"p99_target={p99_target!r} is below the p99 of the work alone "
                         f"({-math.log(0.01) * work:.3g} s); no number of units meets it")
    capacity = slots / work
    minimum = math.floor(load / capacity) + 1
    units = minimum
    while units <= _MAX_UNITS:
        share = load / units
        r = simulate(Station(servers=slots, service=Exponential(work)), Poisson(share),
                     requests / share, seed=seed)
        if r.latency.p99 is not None and r.latency.p99 <= p99_target:
            return UnitPlan(units, minimum, load / (units * capacity), float(r.latency.p99))
        units = max(units + 1, math.ceil(units * 1.05))
    raise ValueError(f"load={load!r} needs more than {_MAX_UNITS:,} units; "
                     "lower the load or raise the unit's capacity")


@dataclass(frozen=True)
class CostRow:
    """One component of one architecture in the cost table."""

    architecture: str
    component: str
    load: float
    target: str
    plan: UnitPlan
    monthly_cost: float


def cost_table(load: float = 2000.0, peak_factor: float = 3.0, read_fraction: float = 0.9,
               hit_ratio: float = 0.9, p99_target: float = 0.1, staleness_target: float = 1.0,
               app_work: float = 0.01, app_cores: int = 4, query_work: float = 0.004,
               db_slots: int = 4, consumer_work: float = 0.01,
               app_price: float = 150.0, db_price: float = 700.0,
               partition_price: float = 40.0, seed: int = 1) -> list[CostRow]:
    """Units and monthly cost of both architectures for a load with peaks.

    Request-response sizes everything for the peak (``load x peak_factor``): every
    request uses an app server; reads that miss the cache and all writes query the
    database; app and database each get half of ``p99_target``. Event-driven serves reads
    the same way, but writes are accepted by the API servers and applied by consumers
    (one per partition) sized for the *average* write rate with p99 staleness
    ``staleness_target``, so the database takes peak read misses plus average writes.
    The price of that: during a peak, writes wait as lag (chapter 5 gives its drain time).

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
    app_work, query_work, consumer_work : float
        Mean seconds of work per request on an app core, per query on a database slot,
        per message on a consumer (> 0).
    app_cores, db_slots : int
        Slots per app server and per database node (>= 1).
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
    for name, price in (("app_price", app_price), ("db_price", db_price),
                        ("partition_price", partition_price)):
        check_non_negative(name, price)
    peak = load * peak_factor
    misses = peak * read_fraction * (1 - hit_ratio)
    writes = load * (1 - read_fraction)
    half = p99_target / 2
    tier = f"p99 {half * 1000:g} ms at peak"
    app = units_for_p99(peak, app_cores, app_work, half, seed=seed)
    rows = []
    for arch, db_qps in (("request-response", misses + peak * (1 - read_fraction)),
                         ("event-driven", misses + writes)):
        db = units_for_p99(max(db_qps, 1e-3), db_slots, query_work, half, seed=seed)
        rows.append(CostRow(arch, "app / API servers", peak, tier, app, app.units * app_price))
        rows.append(CostRow(arch, "database nodes", db_qps, tier, db, db.units * db_price))
    if writes > 0:
        consumers = units_for_p99(writes, 1, consumer_work, staleness_target, seed=seed)
        rows.append(CostRow("event-driven", "partitions + consumers", writes,
                            f"staleness p99 {staleness_target:g} s (average load)",
                            consumers, consumers.units * partition_price))
    return rows
