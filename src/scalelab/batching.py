"""Batching: one server that processes requests in batches (a group commit, a producer
sending batches, a consumer writing rows in bulk), the latency-vs-throughput lab of
chapter 6.

A batch of ``k`` requests costs ``overhead + k * per_item`` seconds: the fixed overhead
(a round trip, an fsync, a transaction) is shared, so bigger batches raise capacity. The
server starts a batch when it is free and work is waiting; with ``linger`` > 0 it first
waits up to ``linger`` seconds after the batch's first request for the batch to fill
(Kafka's ``linger.ms``). The simulation is an exact event recursion over the arrival
times, like Lindley's for one server (with ``batch_size = 1`` and no linger it *is*
Lindley's recursion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._streams import stream
from ._validate import check_int, check_ints, check_non_negative, check_positive, check_reals
from .workload import Poisson

__all__ = ["batch_finish_times", "batch_capacity", "BatchingCurve", "batching_curve",
           "BatchRun", "batch_run"]


def batch_finish_times(arrival: np.ndarray, batch_size: int, linger: float, overhead: float,
                       per_item: float) -> np.ndarray:
    """Finish time of each request at a batching server.

    Parameters
    ----------
    arrival : numpy.ndarray
        Sorted arrival times, seconds.
    batch_size : int
        Most requests per batch (>= 1).
    linger : float
        Seconds to wait after a batch's first request for the batch to fill (>= 0).
    overhead, per_item : float
        Cost of a batch: ``overhead + k * per_item`` seconds (>= 0, not both 0).

    Returns
    -------
    numpy.ndarray
        Seconds; every request of a batch finishes when the batch does.
    """
    check_int("batch_size", batch_size, low=1)
    check_non_negative("linger", linger)
    check_non_negative("overhead", overhead)
    check_non_negative("per_item", per_item)
    if overhead == 0 and per_item == 0:
        raise ValueError("overhead=0 and per_item=0: a batch must take some time")
    arrival = np.asarray(arrival, dtype=float)
    n = arrival.size
    finish = np.empty(n)
    free = 0.0
    i = 0
    while i < n:
        first = arrival[i]
        start = max(free, first)
        if linger > 0:
            full_at = arrival[i + batch_size - 1] if i + batch_size - 1 < n else np.inf
            start = max(start, min(first + linger, full_at))
        j = min(i + batch_size, int(np.searchsorted(arrival, start, side="right")))
        free = start + overhead + (j - i) * per_item
        finish[i:j] = free
        i = j
    return finish


def batch_capacity(batch_size: int, overhead: float, per_item: float) -> float:
    """Most requests per second a batching server completes with full batches (formula):
    ``batch_size / (overhead + batch_size * per_item)``."""
    check_int("batch_size", batch_size, low=1)
    return batch_size / (overhead + batch_size * per_item)


@dataclass(frozen=True)
class BatchRun:
    """One seeded run of a batching server.

    Attributes
    ----------
    throughput : float
        Requests completed per second after the warm-up.
    p50, p99 : float
        Latency of requests that arrived after the warm-up and finished, seconds.
    mean_batch : float
        Mean requests per batch.
    overloaded : bool
        True when completions fell more than 5% short of arrivals after the warm-up.
    """

    throughput: float
    p50: float
    p99: float
    mean_batch: float
    overloaded: bool


def batch_run(load: float, batch_size: int, linger: float = 0.0, overhead: float = 0.002,
              per_item: float = 0.0002, duration: float = 20.0, seed: int = 1) -> BatchRun:
    """Poisson arrivals at ``load`` per second to a batching server for ``duration`` s
    (the first 10% is warm-up).

    Parameters
    ----------
    load : float
        Requests per second (> 0).
    batch_size, linger, overhead, per_item
        As in :func:`scalelab.batch_finish_times`.
    duration : float
        Simulated seconds (> 0).
    seed : int
    """
    check_positive("load", load)
    check_positive("duration", duration)
    arrival = Poisson(load).arrival_times(stream(seed, "arrivals"), duration)
    finish = batch_finish_times(arrival, batch_size, linger, overhead, per_item)
    warmup = 0.1 * duration
    keep = (arrival >= warmup) & (finish < duration)
    latency = finish[keep] - arrival[keep]
    done = np.sum((finish >= warmup) & (finish < duration))
    window = duration - warmup
    batches = np.unique(finish[finish < duration]).size
    p50, p99 = (np.percentile(latency, [50, 99]) if latency.size else (np.inf, np.inf))
    offered = np.sum(arrival >= warmup) / window
    return BatchRun(float(done / window), float(p50), float(p99),
                    float(np.sum(finish < duration) / max(batches, 1)),
                    bool(done / window < 0.95 * offered))


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


def batching_curve(batch_sizes: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100),
                   loads: tuple[float, ...] = (100.0, 400.0, 1000.0, 2000.0, 3500.0),
                   linger: float = 0.01, overhead: float = 0.002, per_item: float = 0.0002,
                   duration: float = 10.0, seed: int = 1) -> BatchingCurve:
    """Sweep batch sizes and loads (same arrivals for every batch size at a load).

    Parameters
    ----------
    batch_sizes : tuple of int
        Each >= 1.
    loads : tuple of float
        Requests per second, each > 0.
    linger, overhead, per_item : float
        As in :func:`scalelab.batch_finish_times`.
    duration : float
    seed : int
    """
    sizes = check_ints("batch_sizes", batch_sizes, 1)
    rates = check_reals("loads", loads, low=0.0, high=1e6, low_open=True)
    runs = [[batch_run(load, b, linger, overhead, per_item, duration, seed) for load in rates]
            for b in sizes]
    return BatchingCurve(
        np.array(sizes), np.array(rates),
        np.array([batch_capacity(b, overhead, per_item) for b in sizes]),
        np.array([[r.throughput for r in row] for row in runs]),
        np.array([[r.p99 for r in row] for row in runs]),
        np.array([[r.overloaded for r in row] for row in runs]),
        float(linger), float(overhead), float(per_item))
