"""Scaling event-driven (chapter 5): partitions and consumers, lag through a spike, hot
partitions, replaying the log, and producer backpressure.

Each function runs seeded simulations of a broker and a consumer group (formulas beside
them are labelled as formulas) and returns the data of one figure. Consumers are
described by how many messages per second one of them processes (``consumer_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ints, check_positive, check_real, check_reals
from ..eventdriven import Broker, Producer, Replay, Retention
from ..run import simulate
from ..theory import drain_time
from ..workload import Poisson, Spike, Zipf
from ._pipeline import pipeline
from ._units import check_measured, check_requests, p99_or_inf

__all__ = [
    "PartitionGrid",
    "partition_grid",
    "LagSpike",
    "lag_spike",
    "HotPartitions",
    "hot_partitions",
    "ReplayWindow",
    "replay_window",
    "Backpressure",
    "backpressure",
]


@dataclass(frozen=True)
class PartitionGrid:
    """Consumer throughput for every pair of partition and consumer counts.

    Attributes
    ----------
    partitions, consumers : numpy.ndarray
    throughput : numpy.ndarray
        Messages processed per second, shape (partitions, consumers), simulated.
    formula : numpy.ndarray
        ``min(load, min(partitions, consumers) x consumer_rate)``.
    load, consumer_rate : float
    """

    partitions: np.ndarray
    consumers: np.ndarray
    throughput: np.ndarray
    formula: np.ndarray
    load: float
    consumer_rate: float


def partition_grid(
    partitions: tuple[int, ...] = (1, 2, 4, 8),
    consumers: tuple[int, ...] = (1, 2, 4, 8, 12),
    load: float = 1000.0,
    consumer_rate: float = 100.0,
    duration: float = 4.0,
    seed: int = 1,
) -> PartitionGrid:
    """Offer more than the group can process and measure what it does process.

    Cost: about 80,000 simulated requests (~1 s on a laptop core); at most 2e6.

    Parameters
    ----------
    partitions, consumers : tuple of int
        Counts to try (each >= 1).
    load : float
        Messages produced per second (> 0).
    consumer_rate : float
        Messages per second one consumer processes (> 0).
    duration : float
        Simulated seconds per run (> 0).
    seed : int
    """
    parts = check_ints("partitions", partitions, 1)
    groups = check_ints("consumers", consumers, 1)
    check_positive("load", load)
    check_positive("consumer_rate", consumer_rate)
    grid = np.array(
        [
            [
                simulate(
                    pipeline(p, c, consumer_rate), Poisson(load), duration, seed=seed
                ).throughput
                for c in groups
            ]
            for p in parts
        ]
    )
    active = np.minimum.outer(np.array(parts), np.array(groups))
    return PartitionGrid(
        np.array(parts),
        np.array(groups),
        grid,
        np.minimum(load, active * consumer_rate),
        float(load),
        float(consumer_rate),
    )


@dataclass(frozen=True)
class LagSpike:
    """Consumer lag through a traffic spike, simulated, with the formulas beside it.

    Attributes
    ----------
    partitions, consumers : int
        The group's shape; ``min(partitions, consumers)`` consumers are active.
    t, lag : numpy.ndarray
        Sample times (s) and messages produced but not yet processed.
    base, spike, capacity : float
        Messages/s before and after the spike, during it, and what the group processes.
    start, end : float
        The spike's window, seconds.
    peak_formula : float
        ``max(spike - capacity, 0) x (end - start)``, messages.
    drain_formula : float
        ``peak / (capacity - base)``, seconds after the spike (inf if base >= capacity).
    peak : float
        Highest simulated lag.
    drained_after : float
        Seconds after the spike until the simulated lag first fell below 2% of its peak
        (inf if it never did).
    """

    partitions: int
    consumers: int
    t: np.ndarray
    lag: np.ndarray
    base: float
    spike: float
    capacity: float
    start: float
    end: float
    peak_formula: float
    drain_formula: float
    peak: float
    drained_after: float


def lag_spike(
    partitions: int = 4,
    consumers: int = 4,
    consumer_rate: float = 100.0,
    base: float = 300.0,
    spike: float = 900.0,
    start: float = 2.0,
    end: float = 6.0,
    duration: float = 35.0,
    seed: int = 1,
) -> LagSpike:
    """A spike above what the group processes: lag climbs at ``spike - capacity`` and
    drains at ``capacity - base`` afterwards, where capacity is ``min(partitions,
    consumers) x consumer_rate``.

    Cost: about 32,000 simulated requests (~0.2 s on a laptop core); at most 2e6.

    Parameters
    ----------
    partitions, consumers : int
        1 to 64 each.
    consumer_rate : float
        Messages per second one consumer processes (> 0).
    base, spike : float
        Messages per second outside and inside the spike (> 0).
    start, end : float
        Spike window, seconds, ``0 <= start < end < duration``.
    duration : float
        Simulated seconds (> 0).
    seed : int
    """
    check_int("partitions", partitions, low=1, high=64)
    check_int("consumers", consumers, low=1, high=64)
    check_positive("consumer_rate", consumer_rate)
    check_positive("base", base)
    check_positive("spike", spike)
    check_positive("duration", duration)
    check_real("end", end, low=0.0, high=duration, low_open=True, high_open=True)
    check_real("start", start, low=0.0, high=end, high_open=True)
    capacity = min(partitions, consumers) * consumer_rate
    r = simulate(
        pipeline(partitions, consumers, consumer_rate),
        Poisson(Spike(base, spike, start, end - start)),
        duration,
        seed=seed,
        warmup=0.0,
    )
    lag = r.timeseries("lag", bin_width=duration / 350)
    peak_formula = max(spike - capacity, 0.0) * (end - start)
    drain = drain_time(peak_formula, capacity, base) if base < capacity else float("inf")
    peak = float(lag.values.max())
    after = (lag.t > end) & (lag.values < 0.02 * max(peak, 1.0))
    drained = float(lag.t[after][0] - end) if after.any() else float("inf")
    return LagSpike(
        partitions,
        consumers,
        lag.t,
        lag.values,
        float(base),
        float(spike),
        float(capacity),
        float(start),
        float(end),
        peak_formula,
        drain,
        peak,
        drained,
    )


@dataclass(frozen=True)
class HotPartitions:
    """Per-partition lag when message keys are skewed.

    Attributes
    ----------
    skews : numpy.ndarray
        Zipf exponents (0: uniform).
    t : numpy.ndarray
        Sample times, seconds.
    lag : numpy.ndarray
        Shape (skews, partitions, times): each partition's lag.
    share : numpy.ndarray
        Shape (skews, partitions): share of messages each partition received.
    load, consumer_rate : float
    """

    skews: np.ndarray
    t: np.ndarray
    lag: np.ndarray
    share: np.ndarray
    load: float
    consumer_rate: float


def hot_partitions(
    partitions: int = 8,
    skews: tuple[float, ...] = (0.0, 1.1),
    load: float = 560.0,
    consumer_rate: float = 100.0,
    n_keys: int = 10_000,
    duration: float = 20.0,
    seed: int = 1,
) -> HotPartitions:
    """Messages keyed by a Zipf-popular key; one consumer per partition, the group as a
    whole at 70% of its capacity.

    Cost: about 22,000 simulated requests (~0.4 s on a laptop core); at most 2e6.

    Parameters
    ----------
    partitions : int
        2 to 64.
    skews : tuple of float
        Zipf exponents, each in [0, 5].
    load : float
        Messages per second (> 0).
    consumer_rate : float
        Messages per second one consumer processes (> 0).
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    duration : float
        Simulated seconds (> 0), enough for 100 messages.
    seed : int
    """
    check_int("partitions", partitions, low=2, high=64)
    skews_ = check_reals("skews", skews, low=0.0, high=5.0)
    check_positive("load", load)
    given = f"load={load!r}, duration={duration!r}"
    check_requests(load, duration, given)
    lags, shares = [], []
    t = None
    for s in skews_:
        r = simulate(
            pipeline(partitions, partitions, consumer_rate),
            Poisson(load, keys=Zipf(n_keys, s)),
            duration,
            seed=seed,
            warmup=0.0,
        )
        series = [
            r.timeseries(f"partition[{i}].lag", bin_width=duration / 100) for i in range(partitions)
        ]
        t = series[0].t
        lags.append([x.values for x in series])
        sent = np.array(list(r.partition_messages().values()), dtype=float)
        check_measured(sent.sum(), given)
        shares.append(sent / sent.sum())
    return HotPartitions(
        np.array(skews_), t, np.array(lags), np.array(shares), float(load), float(consumer_rate)
    )


@dataclass(frozen=True)
class ReplayWindow:
    """Rebuilding a read model by replaying the log, under several retention settings.

    Attributes
    ----------
    retentions : tuple of float or None
        Retention in seconds (None keeps everything).
    replayed : numpy.ndarray
        Messages processed a second time by the replay.
    recoverable : numpy.ndarray
        Share of the read model's keys that a rebuild from the retained log recovers.
    caught_up_after : numpy.ndarray
        Seconds from the rewind until the group's lag fell back below 1% of the rewind's
        backlog (inf if it never did).
    t, lag : numpy.ndarray
        Lag over time of the run that keeps everything.
    replay_at : float
    """

    retentions: tuple[float | None, ...]
    replayed: np.ndarray
    recoverable: np.ndarray
    caught_up_after: np.ndarray
    t: np.ndarray
    lag: np.ndarray
    replay_at: float


def replay_window(
    retentions: tuple[float | None, ...] = (None, 30.0, 10.0),
    load: float = 200.0,
    consumer_rate: float = 1000.0,
    replay_at: float = 40.0,
    n_keys: int = 5_000,
    duration: float = 60.0,
    seed: int = 1,
) -> ReplayWindow:
    """At ``replay_at`` the group rewinds to offset 0 (a new projection, a bug fix) and
    reprocesses whatever retention kept; 2 partitions, 2 consumers.

    Cost: about 36,000 simulated requests (~0.7 s on a laptop core); at most 2e6.

    Parameters
    ----------
    retentions : tuple of float or None
        Seconds each message is kept (> 0), or None for no limit.
    load : float
        Messages per second (> 0), keyed by Zipf(``n_keys``, 1.0) keys.
    consumer_rate : float
        Messages per second a consumer processes (> load / 2, or the group never catches up).
    replay_at : float
        Time of the rewind, seconds, inside (0, duration).
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    duration : float
        Simulated seconds, enough for 100 messages and at most 100,000 (the lag is
        measured in 0.1 s bins).
    seed : int
    """
    rets = tuple(retentions)
    if not rets:
        raise ValueError("retentions=() is empty; give at least one value")
    for i, r in enumerate(rets):
        if r is not None:
            check_positive(f"retentions[{i}]", r)
    check_positive("load", load)
    check_real("consumer_rate", consumer_rate, low=load / 2, low_open=True)
    check_real("duration", duration, low=0.0, high=100_000.0, low_open=True)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    check_real("replay_at", replay_at, low=0.0, high=duration, low_open=True, high_open=True)
    replayed, recoverable, caught = [], [], []
    keep = None
    for seconds in rets:
        broker = Broker(
            partitions=2,
            append_latency=0.0,
            retention=None if seconds is None else Retention(seconds=seconds),
        )
        r = simulate(
            pipeline(2, 2, consumer_rate, broker=broker, replay=Replay(at=replay_at, to_offset=0)),
            Poisson(load, keys=Zipf(n_keys, 1.0)),
            duration,
            seed=seed,
            warmup=0.0,
        )
        lag = r.timeseries("lag", bin_width=0.1)
        backlog = float(lag.values[lag.t >= replay_at][:2].max())
        done = (lag.t > replay_at + 0.1) & (lag.values < max(0.01 * backlog, 2.0))
        caught.append(float(lag.t[done][0] - replay_at) if done.any() else float("inf"))
        replayed.append(r.counters["replayed"])
        recoverable.append(r.counters["log.replayable_keys"] / r.counters["projection.keys"])
        if seconds is None:
            keep = lag
    keep = keep if keep is not None else lag
    return ReplayWindow(
        rets,
        np.array(replayed),
        np.array(recoverable),
        np.array(caught),
        keep.t,
        keep.values,
        float(replay_at),
    )


@dataclass(frozen=True)
class Backpressure:
    """What producers' clients see when the broker cannot keep up for a while.

    Attributes
    ----------
    labels : tuple of str
        The producer settings compared.
    p99 : numpy.ndarray
        Client (publish) latency, seconds; inf if nothing was acknowledged.
    dropped : numpy.ndarray
        Fraction of messages refused.
    held : numpy.ndarray
        Most messages waiting in the producer for the broker at any moment.
    blocked : numpy.ndarray
        Most senders (API threads) stuck waiting for room in the buffer at any moment.
    t : numpy.ndarray
        Bin start times, seconds.
    latency : numpy.ndarray
        Mean publish latency per bin, shape (labels, bins), seconds.
    broker_rate : float
        Appends per second the broker sustains.
    spike : tuple of float
        Start and end of the overload, seconds.
    """

    labels: tuple[str, ...]
    p99: np.ndarray
    dropped: np.ndarray
    held: np.ndarray
    blocked: np.ndarray
    t: np.ndarray
    latency: np.ndarray
    broker_rate: float
    spike: tuple[float, float]


def backpressure(
    buffer: int = 200,
    broker_rate: float = 500.0,
    base: float = 300.0,
    spike: float = 800.0,
    start: float = 2.0,
    end: float = 5.0,
    duration: float = 10.0,
    seed: int = 1,
) -> Backpressure:
    """A spike above the broker's append rate, with an unbounded producer buffer, a
    bounded one that blocks senders, and a bounded one that drops.

    Cost: about 24,000 simulated requests (~0.3 s on a laptop core); at most 2e6.

    Parameters
    ----------
    buffer : int
        Messages the bounded buffer holds (>= 1).
    broker_rate : float
        Appends per second (one partition) (> 0).
    base, spike : float
        Messages per second outside and inside the spike (> 0).
    start, end : float
        Spike window, seconds, ``0 <= start < end < duration``.
    duration : float
        Simulated seconds (> 0), enough for 100 messages.
    seed : int
    """
    check_int("buffer", buffer, low=1)
    check_positive("broker_rate", broker_rate)
    check_positive("duration", duration)
    check_real("end", end, low=0.0, high=duration, low_open=True, high_open=True)
    check_real("start", start, low=0.0, high=end, high_open=True)
    load = Poisson(Spike(base, spike, start, end - start))
    given = f"base={base!r}, spike={spike!r}, duration={duration!r}"
    check_requests(load.mean_rate(duration), duration, given)
    broker = Broker(partitions=1, partition_throughput=broker_rate, append_latency=0.002)
    settings = {
        "unbounded buffer": Producer(),
        f"buffer {buffer}, block": Producer(buffer=buffer, on_full="block"),
        f"buffer {buffer}, drop": Producer(buffer=buffer, on_full="drop"),
    }
    p99, dropped, latency, held, blocked = [], [], [], [], []
    t = None
    for producer in settings.values():
        r = simulate(
            pipeline(1, 1, 10 * broker_rate, broker=broker, producer=producer),
            load,
            duration,
            seed=seed,
            warmup=0.0,
        )
        p99.append(p99_or_inf(r.latency))
        dropped.append(r.counts.dropped / r.counts.generated)
        if producer.buffer is None:
            held.append(r.timeseries("partition[0].queue_length").values.max())
            blocked.append(0)
        else:
            held.append(r.timeseries("producer.buffer.busy").values.max())
            blocked.append(r.timeseries("producer.buffer.queue_length").values.max())
        series = r.timeseries("latency", bin_width=duration / 100)
        t = series.t
        latency.append(series.values)
    return Backpressure(
        tuple(settings),
        np.array(p99),
        np.array(dropped),
        np.array(held),
        np.array(blocked),
        t,
        np.array(latency),
        float(broker_rate),
        (float(start), float(end)),
    )
