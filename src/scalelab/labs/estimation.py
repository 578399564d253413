"""Back-of-the-envelope estimation: from users to load, and from load to machines.

Every figure :func:`envelope` returns is a formula over the :class:`Scenario`'s
assumptions; :func:`check_estimate` then simulates one unit of each sized component at
its share of the peak load, which shows where the arithmetic is optimistic. The data
behind chapter 8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from .._validate import (
    check_choice,
    check_int,
    check_ints,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from ..theory import database_load, mmc_response_quantile
from ._units import unit_p99

__all__ = [
    "Scenario",
    "Envelope",
    "envelope",
    "UnitCheck",
    "check_estimate",
    "Headroom",
    "headroom_curve",
    "Sensitivity",
    "sensitivity",
]

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Scenario:
    """The assumptions of an estimate. Each default is one value from a wide range; say
    which you use in an interview.

    Parameters
    ----------
    users : float
        Daily active users (> 0).
    requests_per_user_per_day : float
        Requests one user makes in a day (> 0); 10-1,000 for most products.
    peak_factor : float
        Peak rate over the daily average, in [1, 100]; 2-10 typical (diurnal peaks,
        launches, events).
    read_fraction : float
        Share of requests that only read, in [0, 1]; social feeds ~0.99, payments ~0.5.
    hit_ratio : float
        Share of reads a cache answers, in [0, 1).
    bytes_per_write : float
        Stored bytes one write adds (> 0).
    bytes_per_response : float
        Bytes one response sends (> 0).
    app_capacity : float
        Requests/s one app server handles (> 0); 500-5,000 for a typical web service.
    db_capacity_qps : float
        Queries/s one database node handles (> 0); ~1,000-50,000 by query shape and
        hardware (see chapter 8's reference table).
    partition_throughput : float
        Messages/s one broker partition takes (> 0); ~10 MB/s, i.e. ~10,000 messages/s
        of 1 KB.
    consumer_rate : float
        Messages/s one consumer processes, its database write included (> 0).
    broker_cluster_rate : float
        Messages/s one broker cluster handles (> 0); ~1 million for a mid-size Kafka
        cluster.
    replication : int
        Copies of stored data (>= 1).
    target_utilization : float
        Utilization each component is sized for, in (0, 1]; 0.7 leaves the headroom of
        chapter 2, 1 sizes with no headroom at all.
    """

    users: float = 1_000_000.0
    requests_per_user_per_day: float = 100.0
    peak_factor: float = 3.0
    read_fraction: float = 0.9
    hit_ratio: float = 0.8
    bytes_per_write: float = 1_000.0
    bytes_per_response: float = 5_000.0
    app_capacity: float = 1_000.0
    db_capacity_qps: float = 10_000.0
    partition_throughput: float = 10_000.0
    consumer_rate: float = 1_000.0
    broker_cluster_rate: float = 1_000_000.0
    replication: int = 3
    target_utilization: float = 0.7

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("read_fraction",):
                check_probability(f.name, value)
            elif f.name == "hit_ratio":
                check_real(f.name, value, low=0.0, high=1.0, high_open=True)
            elif f.name == "peak_factor":
                check_real(f.name, value, low=1.0, high=100.0)
            elif f.name == "target_utilization":
                check_real(f.name, value, low=0.0, high=1.0, low_open=True)
            elif f.name == "replication":
                check_int(f.name, value, low=1, high=100)
            else:
                check_positive(f.name, value)


@dataclass(frozen=True)
class Envelope:
    """The estimate: rates, storage, bandwidth, and units per component (formulas).

    Attributes
    ----------
    average_rps, peak_rps : float
        Requests per second over the day and at peak.
    peak_reads, peak_writes : float
        Of the peak.
    db_reads : float
        Peak reads that miss the cache.
    app_servers, db_read_nodes, db_write_shards, partitions, broker_clusters : int
        Units at the target utilization: app servers for the peak; database nodes
        (primary plus replicas) for the cache misses; shards for the writes; partitions
        (one consumer each) and broker clusters if writes go through a broker.
    storage_per_day, storage_per_year : float
        Bytes written, times the replication.
    egress : float
        Peak bytes per second sent to clients.
    scenario : Scenario
        The assumptions it was computed from.
    """

    average_rps: float
    peak_rps: float
    peak_reads: float
    peak_writes: float
    db_reads: float
    app_servers: int
    db_read_nodes: int
    db_write_shards: int
    partitions: int
    broker_clusters: int
    storage_per_day: float
    storage_per_year: float
    egress: float
    scenario: Scenario


def _units(load: float, capacity: float, target: float) -> int:
    return max(1, math.ceil(load / (capacity * target) - 1e-9))


def envelope(s: Scenario = Scenario()) -> Envelope:
    """Turn a scenario's assumptions into load and machine counts (formulas only).

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    s : Scenario

    Returns
    -------
    Envelope
    """
    average = s.users * s.requests_per_user_per_day / SECONDS_PER_DAY
    peak = average * s.peak_factor
    reads, writes = peak * s.read_fraction, peak * (1 - s.read_fraction)
    db_reads = database_load(peak, s.read_fraction, s.hit_ratio).reads
    u = s.target_utilization
    per_day = average * (1 - s.read_fraction) * SECONDS_PER_DAY * s.bytes_per_write * s.replication
    return Envelope(
        average_rps=average,
        peak_rps=peak,
        peak_reads=reads,
        peak_writes=writes,
        db_reads=db_reads,
        app_servers=_units(peak, s.app_capacity, u),
        db_read_nodes=_units(db_reads, s.db_capacity_qps, u),
        db_write_shards=_units(writes, s.db_capacity_qps, u),
        partitions=max(
            _units(writes, s.partition_throughput, u), _units(writes, s.consumer_rate, u)
        ),
        broker_clusters=_units(writes, s.broker_cluster_rate, u),
        storage_per_day=per_day,
        storage_per_year=per_day * 365,
        egress=peak * s.bytes_per_response,
        scenario=s,
    )


@dataclass(frozen=True)
class UnitCheck:
    """One sized component, simulated as one unit at its share of the peak.

    Attributes
    ----------
    component : str
    units : int
        As estimated.
    utilization : float
        Each unit's load over its capacity at that count.
    p99 : float
        Simulated p99 of one unit (queueing plus work), seconds; inf when the unit
        cannot keep up.
    p99_at_full : float
        The same with only ``ceil(load / capacity)`` units (no headroom), seconds.
    """

    component: str
    units: int
    utilization: float
    p99: float
    p99_at_full: float


def _unit_p99(
    load: float, units: int, capacity: float, slots: int, requests: int, seed: int
) -> float:
    """p99 of one of ``units`` units, each completing ``capacity`` requests/s with
    ``slots`` workers, at its share of ``load``."""
    return unit_p99(load / units, slots, slots / capacity, requests, seed)


def check_estimate(
    s: Scenario = Scenario(), slots: int = 8, requests: int = 20_000, seed: int = 1
) -> list[UnitCheck]:
    """Simulate one unit of each database and app component at its share of the peak,
    with the estimated count and with the bare minimum (``ceil(load / capacity)``).

    Each unit is an M/M/``slots`` queue whose capacity is the scenario's per-unit figure
    (a unit with ``slots`` parallel workers, mean work ``slots / capacity``).

    Cost: about 120,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    s : Scenario
    slots : int
        Parallel workers per unit (cores, connections), 1 to 64.
    requests : int
        Requests simulated per unit (>= 1,000).
    seed : int

    Returns
    -------
    list of UnitCheck
    """
    check_int("slots", slots, low=1, high=64)
    check_int("requests", requests, low=1000)
    e = envelope(s)
    rows = []
    for name, load, capacity, units in (
        ("app servers", e.peak_rps, s.app_capacity, e.app_servers),
        ("database read nodes", e.db_reads, s.db_capacity_qps, e.db_read_nodes),
        ("database write shards", e.peak_writes, s.db_capacity_qps, e.db_write_shards),
    ):
        if load <= 0:
            continue
        bare = max(1, math.ceil(load / capacity))
        rows.append(
            UnitCheck(
                name,
                units,
                load / (units * capacity),
                _unit_p99(load, units, capacity, slots, requests, seed),
                _unit_p99(load, bare, capacity, slots, requests, seed),
            )
        )
    return rows


@dataclass(frozen=True)
class Headroom:
    """p99 of one unit against the utilization it is sized for.

    Attributes
    ----------
    utilizations : numpy.ndarray
    slots : numpy.ndarray
        Parallel workers per unit, one row each.
    p99 : numpy.ndarray
        Simulated p99 (queueing plus work), seconds, shape (slots, utilizations); near
        saturation a run of ``requests`` requests has not reached its steady state, so
        read it beside ``formula_p99``.
    formula_p99 : numpy.ndarray
        The exact steady-state M/M/c p99 (:func:`scalelab.mmc_response_quantile`),
        seconds, same shape.
    capacity : float
        Requests/s one unit completes when saturated.
    """

    utilizations: np.ndarray
    slots: np.ndarray
    p99: np.ndarray
    formula_p99: np.ndarray
    capacity: float


def headroom_curve(
    utilizations: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98),
    capacity: float = 10_000.0,
    slots: tuple[int, ...] = (1, 8),
    requests: int = 50_000,
    seed: int = 1,
) -> Headroom:
    """Simulate one unit (``slots`` workers, ``capacity`` requests/s in all) at each
    utilization: what sizing near 100% instead of 70% does to latency.

    Cost: about 700,000 simulated requests on the exact fast path (~0.2 s on a laptop core);
    at most 2e6.

    Parameters
    ----------
    utilizations : tuple of float
        Each in (0, 1).
    capacity : float
        Requests/s the unit completes when saturated (> 0).
    slots : tuple of int
        Each 1 to 64: 1 is a single-threaded unit (one consumer on its partition, a Redis
        node), 8 a database node with 8 cores.
    requests : int
        Requests per point (>= 1,000).
    seed : int
    """
    utils = check_reals(
        "utilizations", utilizations, low=0.0, high=1.0, low_open=True, high_open=True
    )
    check_positive("capacity", capacity)
    counts = check_ints("slots", slots, low=1)
    if max(counts) > 64:
        raise ValueError(f"slots={slots!r}: each must lie in [1, 64]")
    check_int("requests", requests, low=1000)
    p99 = [[_unit_p99(u * capacity, 1, capacity, c, requests, seed) for u in utils] for c in counts]
    formula = [
        [mmc_response_quantile(u * capacity, capacity / c, c, 0.99) for u in utils] for c in counts
    ]
    return Headroom(
        np.array(utils), np.array(counts), np.array(p99), np.array(formula), float(capacity)
    )


@dataclass(frozen=True)
class Sensitivity:
    """Database units as one assumption of a :class:`Scenario` varies (formulas).

    Attributes
    ----------
    parameter : str
        The :class:`Scenario` field varied.
    values : numpy.ndarray
        Its values.
    baseline : float
        The scenario's own value.
    db_read_nodes, db_write_shards, app_servers : numpy.ndarray
        Units at each value.
    """

    parameter: str
    values: np.ndarray
    baseline: float
    db_read_nodes: np.ndarray
    db_write_shards: np.ndarray
    app_servers: np.ndarray


def sensitivity(s: Scenario, parameter: str, values: tuple[float, ...]) -> Sensitivity:
    """Re-run :func:`envelope` with ``parameter`` set to each of ``values``.

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    s : Scenario
    parameter : str
        A field of :class:`Scenario`.
    values : tuple of float
        1 to 10,000 values to try, each valid for that field.
    """
    check_choice("parameter", parameter, [f.name for f in fields(Scenario)])
    if not 1 <= len(values) <= 10_000:
        raise ValueError(f"values has {len(values):,} entries; give 1 to 10,000")
    estimates = [envelope(replace(s, **{parameter: v})) for v in values]
    return Sensitivity(
        parameter,
        np.array(values, dtype=float),
        float(getattr(s, parameter)),
        np.array([e.db_read_nodes for e in estimates]),
        np.array([e.db_write_shards for e in estimates]),
        np.array([e.app_servers for e in estimates]),
    )
