"""Delivery in event-driven systems (chapters 5 and 6): poison messages and dead-letter
queues, how stale a read model is, duplicates after a consumer crash, and what a peak
costs consumers sized below it, and how much batching its writes lets one consumer do."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_ints,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, EventDriven, GroupChange
from ..resilience import Backoff
from ..results import SimulationResult
from ..run import simulate
from ..theory import drain_time
from ..topology import BatchServer, Database
from ..workload import Poisson
from ._pipeline import pipeline
from ._units import check_measured, check_requests, p99_or_inf

__all__ = [
    "DeadLetters",
    "dead_letters",
    "Staleness",
    "staleness",
    "CrashDuplicates",
    "crash_duplicates",
    "PeakLag",
    "peak_lag",
    "ConsumerBatching",
    "consumer_batching",
]


@dataclass(frozen=True)
class DeadLetters:
    """Poison messages retried in place, against how many attempts are allowed.

    Attributes
    ----------
    max_attempts : numpy.ndarray
    dead_lettered : numpy.ndarray
        Messages sent to the dead-letter queue.
    final_lag : numpy.ndarray
        Lag at the end of the run, messages.
    p99_completion : numpy.ndarray
        Produce-to-processed time of healthy messages, p99, seconds.
    poison_expected : float
        Poison messages the run is expected to produce (formula: load x duration x
        fraction); each can only end in the dead-letter queue.
    load, consumer_rate : float
    """

    max_attempts: np.ndarray
    dead_lettered: np.ndarray
    final_lag: np.ndarray
    p99_completion: np.ndarray
    poison_expected: float
    load: float
    consumer_rate: float


def dead_letters(
    max_attempts: tuple[int, ...] = (1, 3, 5, 8),
    poison_fraction: float = 0.01,
    load: float = 50.0,
    consumer_rate: float = 100.0,
    duration: float = 60.0,
    seed: int = 1,
) -> DeadLetters:
    """One partition, one consumer; a failed message is retried with exponential backoff
    (base 50 ms, cap 2 s, full jitter) while the partition waits, to keep order.

    Cost: about 12,000 simulated requests (~0.2 s on a laptop core); at most 2e6.

    Parameters
    ----------
    max_attempts : tuple of int
        Attempts before a message goes to the dead-letter queue (each >= 1).
    poison_fraction : float
        Share of messages that always fail, in [0, 1].
    load : float
        Messages per second (> 0).
    consumer_rate : float
        Messages per second the consumer processes (> 0).
    duration : float
    seed : int
    """
    attempts = check_ints("max_attempts", max_attempts, 1)
    check_probability("poison_fraction", poison_fraction)
    check_positive("load", load)
    rows = []
    for n in attempts:
        r = simulate(
            pipeline(
                1,
                1,
                consumer_rate,
                poison_fraction=poison_fraction,
                max_attempts=n,
                backoff=Backoff(base=0.05, cap=2.0),
            ),
            Poisson(load),
            duration,
            seed=seed,
        )
        lag = r.timeseries("lag")
        rows.append((r.counters["dead_lettered"], lag.values[-1], p99_or_inf(r.completion)))
    cols = np.array(rows).T
    return DeadLetters(
        np.array(attempts),
        *cols,
        poison_expected=load * duration * poison_fraction,
        load=float(load),
        consumer_rate=float(consumer_rate),
    )


@dataclass(frozen=True)
class Staleness:
    """How long after a write its event is processed, and what that means for reads.

    Attributes
    ----------
    utilizations : numpy.ndarray
        Consumer utilization (load / capacity).
    delays : numpy.ndarray
        Seconds after the write at which a client reads.
    stale : numpy.ndarray
        Shape (utilizations, delays): share of writes not yet processed that long after
        they were produced (simulated).
    formula : numpy.ndarray
        The same for one partition and one exponential consumer (M/M/1 response time):
        ``exp(-(mu - lambda) d)``.
    p50, p99 : numpy.ndarray
        Produce-to-processed time, seconds.
    consumer_rate : float
    """

    utilizations: np.ndarray
    delays: np.ndarray
    stale: np.ndarray
    formula: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    consumer_rate: float


def staleness(
    utilizations: tuple[float, ...] = (0.5, 0.8, 0.95),
    consumer_rate: float = 100.0,
    delays: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0),
    duration: float = 60.0,
    seed: int = 1,
) -> Staleness:
    """One partition, one consumer at several loads: how often a client that reads its own
    write ``d`` seconds later from the read model misses it.

    Cost: about 14,000 simulated requests (~0.2 s on a laptop core); at most 2e6.

    Parameters
    ----------
    utilizations : tuple of float
        Each in (0, 1).
    consumer_rate : float
        Messages per second the consumer processes (> 0).
    delays : tuple of float
        Read delays, seconds, each in [0, 3600].
    duration : float
        Simulated seconds (> 0), enough for 100 messages at each load.
    seed : int
    """
    utils = check_reals(
        "utilizations", utilizations, low=0.0, high=1.0, low_open=True, high_open=True
    )
    check_positive("consumer_rate", consumer_rate)
    given = f"utilizations={utilizations!r}, consumer_rate={consumer_rate!r}, duration={duration!r}"
    check_requests(min(utils) * consumer_rate, duration, given)
    d = np.array(check_reals("delays", delays, low=0.0, high=3600.0))
    broker = Broker(partitions=1, append_latency=0.0, partition_throughput=1e6)
    stale, p50, p99 = [], [], []
    for u in utils:
        r = simulate(
            pipeline(1, 1, consumer_rate, broker=broker),
            Poisson(u * consumer_rate),
            duration,
            seed=seed,
        )
        times = _completion_times(r)
        check_measured(times.size, given)
        stale.append([np.mean(times > x) for x in d])
        p50.append(r.completion.p50)
        p99.append(r.completion.p99)
    u = np.array(utils)[:, None]
    formula = np.exp(-(consumer_rate * (1 - u)) * d[None, :])
    return Staleness(
        np.array(utils),
        d,
        np.array(stale),
        formula,
        np.array(p50),
        np.array(p99),
        float(consumer_rate),
    )


def _completion_times(r: SimulationResult) -> np.ndarray:
    keep = np.isfinite(r.done) & (r.arrival >= r.warmup)
    return r.done[keep] - r.arrival[keep]


@dataclass(frozen=True)
class CrashDuplicates:
    """Messages processed twice after a consumer crash, against the commit interval.

    Attributes
    ----------
    commit_intervals : numpy.ndarray
        Seconds between offset commits.
    duplicates : numpy.ndarray
        Messages delivered again after the crash (simulated).
    formula : numpy.ndarray
        The crashed consumer's rate x one commit interval: everything it processed
        since its last commit, when (as here) it dies just before the next commit.
    rate_per_partition : float
    """

    commit_intervals: np.ndarray
    duplicates: np.ndarray
    formula: np.ndarray
    rate_per_partition: float


def crash_duplicates(
    commit_intervals: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 5.0),
    load: float = 400.0,
    crash_at: float = 10.0,
    duration: float = 20.0,
    seed: int = 1,
) -> CrashDuplicates:
    """Two partitions, two consumers; at ``crash_at`` one consumer dies without
    committing, the survivor takes its partition from the last committed offset and
    processes again what the dead one had done since (at-least-once delivery).

    Cost: about 40,000 simulated requests (~0.7 s on a laptop core); at most 2e6.

    Parameters
    ----------
    commit_intervals : tuple of float
        Each in [0, 3600] seconds (0 commits after every message).
    load : float
        Messages per second (> 0), split over the two partitions.
    crash_at : float
        Time of the crash, seconds, inside (0, duration).
    duration : float
    seed : int
    """
    intervals = check_reals("commit_intervals", commit_intervals, low=0.0, high=3600.0)
    check_positive("load", load)
    check_positive("duration", duration)
    check_real("crash_at", crash_at, low=0.0, high=duration, low_open=True, high_open=True)
    crash = (GroupChange(at=crash_at, action="crash"),)
    dups = [
        simulate(
            pipeline(2, 2, 2000.0, commit_interval=ci, changes=crash, rebalance_pause=0.5),
            Poisson(load),
            duration,
            seed=seed,
        ).counters["duplicates"]
        for ci in intervals
    ]
    rate = load / 2
    return CrashDuplicates(np.array(intervals), np.array(dups), np.array(intervals) * rate, rate)


@dataclass(frozen=True)
class PeakLag:
    """What consumers sized below the peak cost during a peak of a given length
    (formulas: lag grows at ``peak - capacity`` and drains at ``capacity - average``).

    Attributes
    ----------
    average, peak, capacity : float
        Messages per second: the average and peak rates, and what the consumers process.
    peak_seconds : float
        How long the peak lasts.
    backlog : float
        Messages waiting when the peak ends.
    staleness_at_end : float
        Seconds the last message of the peak waits before it is processed (first in,
        first out): ``backlog / capacity``.
    drain_seconds : float
        Seconds after the peak until the backlog is gone; inf if capacity <= average.
    """

    average: float
    peak: float
    capacity: float
    peak_seconds: float
    backlog: float
    staleness_at_end: float
    drain_seconds: float


def peak_lag(average: float, peak: float, capacity: float, peak_seconds: float) -> PeakLag:
    """Backlog, staleness and drain time after a peak of ``peak_seconds`` (formulas).

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    average : float
        Messages per second outside the peak (>= 0).
    peak : float
        Messages per second during the peak (>= average).
    capacity : float
        Messages per second the consumers process (> 0).
    peak_seconds : float
        Length of the peak, seconds (> 0).
    """
    check_real("average", average, low=0.0)
    check_real("peak", peak, low=average)
    check_positive("capacity", capacity)
    check_positive("peak_seconds", peak_seconds)
    backlog = max(peak - capacity, 0.0) * peak_seconds
    drain = drain_time(backlog, capacity, average) if capacity > average else math.inf
    return PeakLag(
        float(average),
        float(peak),
        float(capacity),
        float(peak_seconds),
        backlog,
        backlog / capacity,
        drain,
    )


@dataclass(frozen=True)
class ConsumerBatching:
    """What batching its database writes does for one consumer on one partition.

    Attributes
    ----------
    max_batches : numpy.ndarray
        Most messages per batch.
    throughput : numpy.ndarray
        Messages per second the consumer processes, simulated (saturated).
    formula : numpy.ndarray
        ``k / (k * own + write * batch_cost(k))`` with ``k`` the batch size.
    partitions : numpy.ndarray
        Partitions (one consumer each) needed for ``target`` messages/s at 70%
        utilization, from the simulated throughput.
    own, write : float
        Seconds: a message's own processing, and one database write.
    target : float
        Messages per second the partition counts are for.
    """

    max_batches: np.ndarray
    throughput: np.ndarray
    formula: np.ndarray
    partitions: np.ndarray
    own: float
    write: float
    target: float


def consumer_batching(
    max_batches: tuple[int, ...] = (1, 10, 50),
    own: float = 0.001,
    db_capacity_qps: float = 1000.0,
    target: float = 50_000.0,
    duration: float = 10.0,
    seed: int = 1,
) -> ConsumerBatching:
    """One consumer that writes each message to the database, or batches of them in one
    write (chapter 6's batch cost), offered more than it can process.

    Each consumer has a database of its own here (one unit at its share of the load): the
    partition count it implies also needs database capacity behind it.

    Cost: about 31,000 simulated requests (~0.5 s on a laptop core); at most 2e6.

    Parameters
    ----------
    max_batches : tuple of int
        Batch sizes, each 1 to 1,000.
    own : float
        Mean processing time of one message, seconds (> 0).
    db_capacity_qps : float
        Saturation throughput of the database node (4 queries at a time), writes/s (> 0).
    target : float
        Messages per second to size partitions for (> 0).
    duration : float
        Simulated seconds per batch size (> 0), enough for 100 messages.
    seed : int
    """
    sizes = check_ints("max_batches", max_batches, 1)
    check_positive("own", own)
    check_positive("target", target)
    db = Database(capacity_qps=db_capacity_qps, concurrency=4)
    cost = BatchServer().batch_cost
    formula = np.array([k / (k * own + db.mean_query_time * cost(k)) for k in sizes])
    load = 1.5 * float(formula.max())
    given = f"own={own!r}, db_capacity_qps={db_capacity_qps!r}, duration={duration!r}"
    check_requests(load, duration, given)
    throughput = []
    for k in sizes:
        system = EventDriven(
            broker=Broker(partitions=1, append_latency=0.0, partition_throughput=1e6),
            consumers=ConsumerGroup(consumers=1, processing=Exponential(own), max_batch=k),
            db=db,
            network=0.0,
        )
        throughput.append(simulate(system, Poisson(load), duration, seed=seed).throughput)
    rates = np.array(throughput)
    return ConsumerBatching(
        np.array(sizes),
        rates,
        formula,
        np.ceil(target / (0.7 * rates)).astype(int),
        float(own),
        float(db.mean_query_time),
        float(target),
    )
