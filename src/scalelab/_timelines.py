"""The raw timelines the engine records, and the arithmetic that turns them into
queue lengths, lag and utilization; :mod:`scalelab.results` builds on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NodeLog:
    """Raw timeline of one component: sorted event times and finished visits."""

    name: str
    capacity: int
    entered: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    visit_rid: np.ndarray
    visit_enter: np.ndarray
    visit_start: np.ndarray
    visit_end: np.ndarray
    dropped: int


@dataclass(frozen=True)
class PartitionLog:
    """Raw timeline of one broker partition: when each offset was appended, and when
    offsets were cleared (first processed, dead-lettered or skipped past), sorted."""

    name: str
    appended: np.ndarray
    cleared: np.ndarray


def count_le(sorted_times: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_times, at, side="right")


def lag(p: PartitionLog, at: np.ndarray) -> np.ndarray:
    return np.maximum(count_le(p.appended, at) - count_le(p.cleared, at), 0)


def lag_seconds(p: PartitionLog, at: np.ndarray) -> np.ndarray:
    # Offsets are cleared in order, so the oldest waiting message is offset #cleared.
    cleared = count_le(p.cleared, at)
    waiting = cleared < count_le(p.appended, at)
    oldest = (
        p.appended[np.minimum(cleared, max(p.appended.size - 1, 0))]
        if p.appended.size
        else np.zeros_like(at)
    )
    return np.where(waiting, at - oldest, 0.0)


def busy_integral(started: np.ndarray, ended: np.ndarray, lo: float, hi: float) -> float:
    """Integral over [lo, hi] of (#started <= t) - (#ended <= t)."""
    s = started[started < hi]
    e = ended[ended < hi]
    return float(np.sum(hi - np.maximum(s, lo)) - np.sum(hi - np.maximum(e, lo)))
