"""Exactly-once effects (chapter 5): at-least-once delivery applies some effects twice,
after a producer's retry or a consumer's crash; an idempotent producer removes the
first kind, an idempotent consumer (``ConsumerGroup(dedup_window=...)``) both, if it
remembers ids for longer than the gap between a message's two deliveries. Simulated,
beside the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validate import check_int, check_labels, check_real
from ..distributions import Deterministic
from ..eventdriven import Broker, GroupChange, Producer
from ..run import simulate
from ..workload import Poisson
from ._pipeline import pipeline
from ._units import check_requests, row_where

__all__ = ["DUPLICATE_SOURCES", "EffectsRow", "ExactlyOnce", "exactly_once"]

DUPLICATE_SOURCES = ("producer_retries", "idempotent_producer", "consumer_crash")
"""What :func:`exactly_once` crashes: the broker's leader under a producer that sends
unacknowledged messages again (some the new leader already had), the same with an
idempotent producer, and a consumer that dies between two offset commits."""

_PARTITIONS, _CONSUMER_RATE = 2, 2000.0  # two partitions, one consumer each, messages/s
_APPEND = Broker().append_latency


@dataclass(frozen=True)
class EffectsRow:
    """One source of duplicates against one dedup window.

    Attributes
    ----------
    source : str
        One of ``DUPLICATE_SOURCES``.
    window : float or None
        The consumer's dedup window, seconds (None: no dedup).
    duplicate_deliveries : int
        Deliveries of a message already processed (at-least-once at work).
    duplicate_effects : int
        Effects applied to a message already applied (side effects twice).
    skipped : int
        Deliveries the idempotent consumer skipped (``duplicate_deliveries`` is
        ``duplicate_effects + skipped``).
    gap_p50, gap_max : float or None
        Seconds from a message's last applied effect to its next delivery, median and
        largest (None without dedup: nothing records them).
    duplicates_formula : float
        ``"producer_retries"``: load x (slow - fast follower delay), the messages on the
        new leader (the fast follower) but not yet acknowledged (not yet on the slow one);
        ``"idempotent_producer"``: 0; ``"consumer_crash"``: its partition's rate x the
        commit interval (it dies just before a commit).
    duplicate_effects_formula : float
        The duplicates whose gap is at least the window. A producer's retry comes back
        one append and one slow copy after the failover (``slow delay + append latency``):
        all or none. After a consumer crash, the i-th redelivered message was processed
        ``C - i / r`` before the crash (C the commit interval, r its partition's rate) and
        comes back ``P + i / (mu - r)`` after it (P the rebalance pause, mu - r what the
        surviving consumer can spare): gap ``C + P - i (1 / r - 1 / (mu - r))``, so
        ``clip((C + P - W) / (1 / r - 1 / (mu - r)), 0, r C)`` get through a window W.
    generated, completed, dropped, in_flight : int
        Every message of the run: processed (once or more), dropped, in flight at the
        end; ``generated`` is the sum of the other three.
    """

    source: str
    window: float | None
    duplicate_deliveries: int
    duplicate_effects: int
    skipped: int
    gap_p50: float | None
    gap_max: float | None
    duplicates_formula: float
    duplicate_effects_formula: float
    generated: int
    completed: int
    dropped: int
    in_flight: int


@dataclass(frozen=True)
class ExactlyOnce:
    """Duplicate effects per source of duplicates and dedup window.

    Attributes
    ----------
    rows : tuple of EffectsRow
        Source by source, window by window, in the order asked for.
    load, commit_interval, rebalance_pause, fast_delay, slow_delay, failover_pause : float
        Messages/s and seconds.
    crash_at : float
        When the leader (or the consumer) crashed, seconds.
    consumer_rate : float
        Messages/s each of the two consumers processes.
    """

    rows: tuple[EffectsRow, ...]
    load: float
    commit_interval: float
    rebalance_pause: float
    fast_delay: float
    slow_delay: float
    failover_pause: float
    crash_at: float
    consumer_rate: float

    def row(self, source: str, window: float | None) -> EffectsRow:
        """The row of ``source`` and ``window``."""
        return row_where(self.rows, source=source, window=window)


def _formulas(
    source: str,
    window: float | None,
    load: float,
    interval: float,
    pause: float,
    fast: float,
    slow: float,
) -> tuple[float, float]:
    """(duplicate deliveries, duplicate effects) expected for ``source`` and ``window``."""
    if source == "idempotent_producer":
        return 0.0, 0.0
    if source == "producer_retries":
        dups = load * (slow - fast)
        gap = slow + _APPEND
        return dups, dups if window is None or window <= gap else 0.0
    rate = load / _PARTITIONS
    dups = rate * interval
    if window is None:
        return dups, dups
    slope = 1.0 / rate - 1.0 / (_CONSUMER_RATE - rate)
    return dups, min(dups, max(0.0, (interval + pause - window) / slope))


def exactly_once(
    windows: tuple[float | None, ...] = (None, 0.02, 1.0, 10.0),
    sources: tuple[str, ...] | None = None,
    load: float = 400.0,
    commit_interval: float = 1.0,
    rebalance_pause: float = 0.5,
    fast_delay: float = 0.005,
    slow_delay: float = 0.05,
    failover_pause: float = 0.5,
    crash_at: float = 5.0,
    duration: float = 8.0,
    seed: int = 1,
) -> ExactlyOnce:
    """Two partitions, two consumers of 2,000 messages/s each, three replicas with
    ``acks="all"`` (followers ``fast_delay`` and ``slow_delay`` behind, ``min_insync``
    2); one crash at ``crash_at`` per run, and each source run once per dedup window
    (the same arrivals every time).

    ``"producer_retries"``: the leader crashes; producers send again what it had not
    acknowledged, and what the fast follower (the new leader) already had is in the log
    twice. ``"idempotent_producer"``: the same, but the broker recognises the resends.
    ``"consumer_crash"``: one consumer dies just before its next offset commit; the
    survivor takes its partition from the last commit and delivers again what it had
    processed since. An idempotent consumer records each id with the effect, in one
    transaction, and skips a delivery of an id recorded less than a window ago.

    Cost: ``len(windows) x len(sources) x load x duration`` messages, 38,400 at the
    defaults (about 1.2 s).

    Parameters
    ----------
    windows : tuple of float or None
        Dedup windows, seconds, each None (no dedup) or in (0, 3600].
    sources : tuple of str, optional
        Labels from ``DUPLICATE_SOURCES`` (default: all).
    load : float
        Messages per second, split over the partitions, in (0, 1500] (the surviving
        consumer must keep up with both).
    commit_interval : float
        Seconds between offset commits, in (0, 60].
    rebalance_pause : float
        Seconds the group stops when the consumer dies, in [0, 60].
    fast_delay, slow_delay : float
        The followers' replication delays, seconds, each in (0, 1], fast below slow.
    failover_pause : float
        Seconds without a leader after its crash, in [0, 60].
    crash_at : float
        When the crash comes, seconds, after a second and before ``duration``.
    duration : float
        Seconds simulated per run (> 0).
    seed : int
        Seed (>= 0).
    """
    chosen_windows = _check_windows(windows)
    chosen = check_labels("sources", sources, DUPLICATE_SOURCES)
    load = check_real("load", load, low=0.0, high=1500.0, low_open=True)
    interval = check_real("commit_interval", commit_interval, low=0.0, high=60.0, low_open=True)
    pause = check_real("rebalance_pause", rebalance_pause, low=0.0, high=60.0)
    slow = check_real("slow_delay", slow_delay, low=0.0, high=1.0, low_open=True)
    fast = check_real("fast_delay", fast_delay, low=0.0, high=slow, low_open=True, high_open=True)
    failover_pause = check_real("failover_pause", failover_pause, low=0.0, high=60.0)
    duration = check_real("duration", duration, low=0.0, low_open=True)
    crash_at = check_real("crash_at", crash_at, low=1.0, high=duration, high_open=True)
    check_int("seed", seed, low=0)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    rows = []
    for source in chosen:
        leader_crash = source != "consumer_crash"
        broker = Broker(
            partitions=_PARTITIONS,
            replication=3,
            acks="all",
            replication_delay=(Deterministic(fast), Deterministic(slow)),
            min_insync=2,
            crash_at=crash_at if leader_crash else None,
            failover_pause=failover_pause,
        )
        changes = () if leader_crash else (GroupChange(at=crash_at, action="crash"),)
        for window in chosen_windows:
            system = pipeline(
                _PARTITIONS,
                _PARTITIONS,
                _CONSUMER_RATE,
                broker=broker,
                producer=Producer(idempotent=source == "idempotent_producer"),
                commit_interval=interval,
                rebalance_pause=pause,
                changes=changes,
                dedup_window=window,
            )
            r = simulate(system, Poisson(load), duration, seed)
            c = r.counters
            deliveries = int(c["duplicates"])
            dups, through = _formulas(source, window, load, interval, pause, fast, slow)
            rows.append(
                EffectsRow(
                    source=source,
                    window=window,
                    duplicate_deliveries=deliveries,
                    duplicate_effects=deliveries if window is None else int(c["duplicate_effects"]),
                    skipped=0 if window is None else int(c["dedup_skipped"]),
                    gap_p50=None if window is None else c["redelivery_gap_p50"],
                    gap_max=None if window is None else c["redelivery_gap_max"],
                    duplicates_formula=dups,
                    duplicate_effects_formula=through,
                    generated=r.counts.generated,
                    completed=r.counts.completed,
                    dropped=r.counts.dropped,
                    in_flight=r.counts.in_flight,
                )
            )
    return ExactlyOnce(
        tuple(rows),
        load,
        interval,
        pause,
        fast,
        slow,
        failover_pause,
        crash_at,
        _CONSUMER_RATE,
    )


def _check_windows(windows: tuple[float | None, ...]) -> tuple[float | None, ...]:
    chosen = tuple(windows) if not isinstance(windows, (str, float, int)) else ()
    if not chosen:
        raise ValueError(f"windows={windows!r}: give a non-empty tuple of seconds or None")
    for i, w in enumerate(chosen):
        if w is not None:
            check_real(f"windows[{i}]", w, low=0.0, high=3600.0, low_open=True)
    return chosen
