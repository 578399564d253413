"""Broker durability (chapter 5): what each ``acks`` setting costs the producer in
latency and what a leader crash then loses, and what a slow follower does to
``acks="all"``. Simulated with a replicated :class:`~scalelab.Broker` (``replication``,
``acks``, ``replication_delay``, ``min_insync``, ``crash_at``), beside the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ints, check_labels, check_positive, check_real, check_reals
from ..distributions import Deterministic
from ..eventdriven import ACKS, Broker
from ..results import SimulationResult, Status
from ..run import simulate
from ..workload import Poisson
from ._pipeline import pipeline
from ._units import check_requests, p99_or_inf, row_where

__all__ = [
    "DurabilityRow",
    "BrokerDurability",
    "broker_durability",
    "SlowFollower",
    "slow_follower",
]

_CONSUMER_RATE = 5000.0  # messages/s of the one consumer: it keeps up at every load here


def _percentiles(result: SimulationResult, low: float, high: float) -> tuple[float, float]:
    """p50 and p99 of what producers that sent in ``[low, high)`` waited for their
    acknowledgement, refusals included (at the refusal), seconds; inf if none sent."""
    keep = (result.arrival >= low) & (result.arrival < high) & np.isfinite(result.finish)
    waits = result.finish[keep] - result.arrival[keep]
    if waits.size == 0:
        return math.inf, math.inf
    p50, p99 = np.percentile(waits, [50, 99])
    return float(p50), float(p99)


@dataclass(frozen=True)
class DurabilityRow:
    """One ``acks`` setting through a leader crash.

    Attributes
    ----------
    acks : str
        One of ``ACKS``.
    ack_p50, ack_p99 : float
        What a producer waited for its acknowledgement, seconds, over the messages sent
        between the warm-up and the crash (0 with ``"none"``: nobody waits).
    ack_p99_with_crash : float
        The same over every message of the window, the ones that waited out the
        failover included (refusals at the refusal; unanswered ones at their age).
    lost : int
        Messages lost in the crash: acknowledged (or, with ``"none"``, sent) and on no
        surviving replica.
    lost_formula : float
        ``"none"``: load x (replication delay + append latency + 1 / partition
        throughput), what was on its way to the leader or not yet on a follower;
        ``"leader"``: load x replication delay; ``"all"``: 0 (with one copy: what was on
        its way, then 0 and 0).
    retries : int
        Messages the producers sent again after the crash (unacknowledged when it came).
    log_duplicates : int
        Messages in the log twice: sent again though the new leader had them.
    refused : int
        Appends refused because fewer than ``min_insync`` replicas were in sync.
    throughput : float
        Messages processed per second over the window.
    generated, completed, dropped, in_flight : int
        Every message of the run: processed, dropped (lost or refused), or in flight at
        the end (``generated`` is the sum of the other three).
    """

    acks: str
    ack_p50: float
    ack_p99: float
    ack_p99_with_crash: float
    lost: int
    lost_formula: float
    retries: int
    log_duplicates: int
    refused: int
    throughput: float
    generated: int
    completed: int
    dropped: int
    in_flight: int


@dataclass(frozen=True)
class BrokerDurability:
    """The ``acks`` settings side by side through the same leader crash.

    Attributes
    ----------
    rows : tuple of DurabilityRow
        One per ``acks`` setting, in the order asked for.
    load, replication_delay, append_latency, partition_throughput : float
        Messages/s, seconds, seconds, messages/s.
    replication, min_insync : int
    crash_at, failover_pause : float or None
        When the leader crashed and how long the partition had none, seconds (None: no
        crash).
    window : float
        Seconds measured (after the warm-up).
    """

    rows: tuple[DurabilityRow, ...]
    load: float
    replication_delay: float
    append_latency: float
    partition_throughput: float
    replication: int
    min_insync: int
    crash_at: float | None
    failover_pause: float
    window: float

    def row(self, acks: str) -> DurabilityRow:
        """The row of ``acks``."""
        return row_where(self.rows, acks=acks)


def _lost_formula(acks: str, load: float, broker: Broker, delay: float) -> float:
    replicated = delay if broker.replication > 1 else 0.0
    if acks == "none":
        return load * (replicated + broker.append_latency + 1.0 / broker.partition_throughput)
    return load * replicated if acks == "leader" else 0.0


def broker_durability(
    acks: tuple[str, ...] | None = None,
    load: float = 2000.0,
    replication: int = 3,
    replication_delay: float = 0.01,
    min_insync: int = 2,
    crash_at: float | None = 4.0,
    failover_pause: float = 0.5,
    duration: float = 6.0,
    warmup: float = 1.0,
    seed: int = 1,
) -> BrokerDurability:
    """Send messages to one partition with each ``acks`` setting and crash its leader.

    The partition's leader appends at 10,000 messages/s and takes 2 ms to acknowledge
    (the :class:`~scalelab.Broker` defaults); each follower copies a message a constant
    ``replication_delay`` after the leader appended it; one consumer processes 5,000
    messages/s. At ``crash_at`` the leader crashes: the most up-to-date follower leads
    after ``failover_pause``, and the log loses what that follower lacked. Every run has
    the same arrivals (common random numbers).

    Cost: ``len(acks) x load x duration`` messages, 36,000 at the defaults (about 1 s).

    Parameters
    ----------
    acks : tuple of str, optional
        Settings from ``ACKS`` (default: all three).
    load : float
        Messages per second (> 0), below the partition's 10,000.
    replication : int
        Copies of the partition, leader included, 1 to 5.
    replication_delay : float
        Seconds from the leader's append to a follower's copy, in (0, 60].
    min_insync : int
        In-sync replicas an ``acks="all"`` append needs, 1 to 5 and at most
        ``replication``; after the crash ``replication - 1`` remain.
    crash_at : float, optional
        When the leader crashes, seconds, after the warm-up and before the end; None:
        no crash.
    failover_pause : float
        Seconds without a leader, in [0, 60].
    duration : float
        Seconds simulated per setting (> 0).
    warmup : float
        Seconds before measuring, in [0, duration).
    seed : int
        Seed (>= 0).
    """
    chosen = check_labels("acks", acks, ACKS)
    load = check_real("load", load, low=0.0, high=10_000.0, low_open=True, high_open=True)
    check_int("replication", replication, low=1, high=5)
    delay = check_real("replication_delay", replication_delay, low=0.0, high=60.0, low_open=True)
    check_int("min_insync", min_insync, low=1, high=replication)
    failover_pause = check_real("failover_pause", failover_pause, low=0.0, high=60.0)
    duration = check_positive("duration", duration)
    warmup = check_real("warmup", warmup, low=0.0, high=duration, high_open=True)
    if crash_at is not None:
        crash_at = check_real(
            "crash_at", crash_at, low=warmup, high=duration, low_open=True, high_open=True
        )
    check_int("seed", seed, low=0)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    rows = []
    for setting in chosen:
        broker = Broker(
            replication=replication,
            acks=setting,
            replication_delay=Deterministic(delay),
            min_insync=min_insync,
            crash_at=crash_at,
            failover_pause=failover_pause,
        )
        r = simulate(
            pipeline(1, 1, _CONSUMER_RATE, broker=broker), Poisson(load), duration, seed, warmup
        )
        p50, p99 = _percentiles(r, warmup, duration if crash_at is None else crash_at)
        c = r.counters
        rows.append(
            DurabilityRow(
                acks=setting,
                ack_p50=p50,
                ack_p99=p99,
                ack_p99_with_crash=p99_or_inf(r.latency),
                lost=int(c["lost"]),
                lost_formula=0.0
                if crash_at is None
                else _lost_formula(setting, load, broker, delay),
                retries=int(c["producer_retries"]),
                log_duplicates=int(c["log_duplicates"]),
                refused=int(c["not_enough_replicas"]),
                throughput=r.throughput,
                generated=r.counts.generated,
                completed=r.counts.completed,
                dropped=r.counts.dropped,
                in_flight=r.counts.in_flight,
            )
        )
    return BrokerDurability(
        tuple(rows),
        load,
        delay,
        Broker().append_latency,
        Broker().partition_throughput,
        replication,
        min_insync,
        crash_at,
        failover_pause,
        duration - warmup,
    )


@dataclass(frozen=True)
class SlowFollower:
    """``acks="all"`` against the delay of one slow follower, for each ``min_insync``.

    Attributes
    ----------
    slow_delays : numpy.ndarray
        The slow follower's replication delay, seconds.
    min_insync : numpy.ndarray
        The ``min_insync`` settings.
    ack_p50, ack_p99 : numpy.ndarray
        Shape (min_insync, slow_delays): what producers waited for the acknowledgement
        of the messages the broker accepted, seconds (inf where it accepted none).
    refused : numpy.ndarray
        Same shape: share of appends refused (fewer than ``min_insync`` in sync).
    in_sync : numpy.ndarray
        Replicas in sync, leader included, per slow delay: the slow follower drops out
        when its delay exceeds ``max_lag``.
    formula : numpy.ndarray
        Acknowledgement latency per slow delay: ``1 / partition_throughput + append
        latency + the largest delay of an in-sync follower`` (delays are constant, so
        p50 and p99 are both this, plus a little queueing at the leader).
    leader_ack_p50 : float
        The same producers with ``acks="leader"``, seconds (no follower in the way).
    fast_delay, max_lag, load : float
        Seconds, seconds, messages/s.
    replication : int
        Replicas: the leader, ``replication - 2`` fast followers and the slow one.
    """

    slow_delays: np.ndarray
    min_insync: np.ndarray
    ack_p50: np.ndarray
    ack_p99: np.ndarray
    refused: np.ndarray
    in_sync: np.ndarray
    formula: np.ndarray
    leader_ack_p50: float
    fast_delay: float
    max_lag: float
    load: float
    replication: int


def slow_follower(
    slow_delays: tuple[float, ...] = (0.005, 0.02, 0.05, 0.1, 0.2, 0.5),
    min_insync: tuple[int, ...] = (2, 3),
    fast_delay: float = 0.005,
    max_lag: float = 0.25,
    replication: int = 3,
    load: float = 1000.0,
    duration: float = 3.0,
    seed: int = 1,
) -> SlowFollower:
    """One partition with ``acks="all"``, one follower slower than the others: every
    acknowledgement waits for it, until its delay exceeds ``max_lag`` and it leaves the
    in-sync replicas; then an append needs ``min_insync`` of the rest, or is refused.

    Delays are constant; the leader appends at 10,000 messages/s and takes 2 ms to
    acknowledge. ``max_lag`` stands for Kafka's replica.lag.time.max.ms (30 s by
    default), scaled down so that short runs show both sides of it.

    Cost: ``(len(slow_delays) x len(min_insync) + 1) x load x duration`` messages,
    39,000 at the defaults (about 1 s).

    Parameters
    ----------
    slow_delays : tuple of float
        The slow follower's delays, seconds, each in (0, 60].
    min_insync : tuple of int
        Settings to compare, each 1 to 5 and at most ``replication``.
    fast_delay : float
        The other followers' delay, seconds, in (0, 60] and at most ``max_lag``.
    max_lag : float
        Seconds of delay beyond which a follower is out of sync, in (0, 60].
    replication : int
        Replicas, leader included, 2 to 5.
    load : float
        Messages per second (> 0), below the partition's 10,000.
    duration : float
        Seconds simulated per point (> 0).
    seed : int
        Seed (>= 0).
    """
    delays = check_reals("slow_delays", slow_delays, low=0.0, high=60.0, low_open=True)
    check_int("replication", replication, low=2, high=5)
    settings = check_ints("min_insync", min_insync, low=1, high=replication)
    max_lag = check_real("max_lag", max_lag, low=0.0, high=60.0, low_open=True)
    fast = check_real("fast_delay", fast_delay, low=0.0, high=max_lag, low_open=True)
    load = check_real("load", load, low=0.0, high=10_000.0, low_open=True, high_open=True)
    duration = check_positive("duration", duration)
    check_int("seed", seed, low=0)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    workload = Poisson(load)
    p50 = np.full((len(settings), len(delays)), math.inf)
    p99, refused = p50.copy(), np.zeros_like(p50)
    in_sync, slowest = np.zeros(len(delays), dtype=int), np.zeros(len(delays))
    for i, needed in enumerate(settings):
        for j, slow in enumerate(delays):
            broker = Broker(
                replication=replication,
                acks="all",
                replication_delay=(Deterministic(fast),) * (replication - 2)
                + (Deterministic(slow),),
                min_insync=needed,
                max_lag=max_lag,
            )
            in_sync[j] = 1 + sum(broker.followers_in_sync)
            synced = zip(broker.follower_delays, broker.followers_in_sync, strict=True)
            slowest[j] = max([d.mean for d, ok in synced if ok], default=0.0)
            r = simulate(pipeline(1, 1, _CONSUMER_RATE, broker=broker), workload, duration, seed)
            acked = r.replied & (r.arrival >= r.warmup)
            if acked.any():
                waits = r.finish[acked] - r.arrival[acked]
                p50[i, j], p99[i, j] = np.percentile(waits, [50, 99])
            sent = r.arrival >= r.warmup
            refused[i, j] = float(np.mean(r.status[sent] == Status.DROPPED)) if sent.any() else 0.0
    leader = simulate(
        pipeline(1, 1, _CONSUMER_RATE, broker=Broker(replication=replication, acks="leader")),
        workload,
        duration,
        seed,
    )
    base = Broker()
    return SlowFollower(
        np.array(delays),
        np.array(settings),
        p50,
        p99,
        refused,
        in_sync,
        1.0 / base.partition_throughput + base.append_latency + slowest,
        math.inf if leader.success_latency.p50 is None else leader.success_latency.p50,
        fast,
        max_lag,
        load,
        replication,
    )
