"""Exact run of a :class:`~scalelab.BatchServer`: an event recursion over the arrival
times, like Lindley's for one server (with ``batch_size = 1`` and no linger it *is*
Lindley's recursion)."""

from __future__ import annotations

import numpy as np

from .._timelines import NodeLog
from ..topology import BatchServer
from .core import COMPLETED, IN_FLIGHT


def batch_finish_times(
    arrival: np.ndarray, batch_size: int, linger: float, overhead: float, per_item: float
) -> tuple[np.ndarray, np.ndarray]:
    """Start and finish time of each request's batch at a batching server.

    Parameters
    ----------
    arrival : numpy.ndarray
        Sorted arrival times, seconds.
    batch_size, linger, overhead, per_item
        As in :class:`~scalelab.BatchServer`.

    Returns
    -------
    tuple of numpy.ndarray
        Per request, when its batch started and finished, seconds.
    """
    arrival = np.asarray(arrival, dtype=float)
    n = arrival.size
    start = np.empty(n)
    finish = np.empty(n)
    free = 0.0
    i = 0
    while i < n:
        first = arrival[i]
        begin = max(free, first)
        if linger > 0:
            full_at = arrival[i + batch_size - 1] if i + batch_size - 1 < n else np.inf
            begin = max(begin, min(first + linger, full_at))
        j = min(i + batch_size, int(np.searchsorted(arrival, begin, side="right")))
        free = begin + overhead + (j - i) * per_item
        start[i:j] = begin
        finish[i:j] = free
        i = j
    return start, finish


def run_batch(
    system: BatchServer, arrival: np.ndarray, duration: float
) -> tuple[np.ndarray, np.ndarray, NodeLog, dict[str, float]]:
    """Simulate a :class:`~scalelab.BatchServer` exactly; returns finish times, status,
    the node log (one slot per place in a batch) and the ``batches`` counter (batches
    finished by the end of the run)."""
    start, end = batch_finish_times(
        arrival, system.batch_size, system.linger, system.overhead, system.per_item
    )
    ended = end < duration
    finish = np.where(ended, end, np.inf)
    status = np.where(ended, COMPLETED, IN_FLIGHT).astype(np.int8)
    log = NodeLog(
        name=system.name,
        capacity=system.batch_size,
        entered=arrival,
        started=start[start < duration],
        ended=end[ended],
        visit_rid=np.flatnonzero(ended),
        visit_enter=arrival[ended],
        visit_start=start[ended],
        visit_end=end[ended],
        dropped=0,
    )
    return finish, status, log, {"batches": float(np.unique(end[ended]).size)}
