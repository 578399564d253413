"""Queues against logs, and consumer concurrency (chapter 11): a competing-consumer queue
(standard or FIFO by key) against a partitioned log on the same workload; what a
visibility timeout shorter than the work does; and how many messages a key-ordered
parallel consumer gets through one partition. Simulated, beside the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._keys import shard_of
from .._validate import check_int, check_ints, check_labels, check_real, check_reals
from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, EventDriven, Queue
from ..run import simulate
from ..workload import Poisson, Uniform, Zipf
from ._units import check_requests, row_where

__all__ = [
    "DESIGNS",
    "DesignRow",
    "QueueVsLog",
    "queue_vs_log",
    "TimeoutRow",
    "VisibilityTimeouts",
    "visibility_timeouts",
    "KEY_SPREADS",
    "ConcurrencyRow",
    "PartitionConcurrency",
    "partition_concurrency",
]

DESIGNS = ("log", "queue", "fifo_queue")
"""A partitioned log (one consumer per partition), a standard queue (any consumer takes
any message) and a FIFO queue whose message groups are the keys."""


def _group(consumers: int, mean: float, **options: object) -> ConsumerGroup:
    return ConsumerGroup(consumers=consumers, processing=Exponential(mean), **options)


@dataclass(frozen=True)
class DesignRow:
    """One design with one number of consumers, offered more than it can take.

    Attributes
    ----------
    design : str
        One of ``DESIGNS``.
    consumers : int
    throughput : float
        Messages processed per second over the run.
    throughput_formula : float
        mu = 1 / mean processing time. ``"log"``: each consumer processes at most ``mu``
        of what its partitions receive (consumer ``i`` owns partitions ``i``, ``i + n``,
        ...; each partition its keys' share of the load); ``"queue"``: ``consumers x mu``;
        ``"fifo_queue"``: the same, and each key at most ``mu``. Each at most the load.
    out_of_order : int
        Messages first processed after a newer message of their key.
    out_of_order_share : float
        ``out_of_order`` over the messages processed.
    replayable : bool
        Whether a new consumer could read the messages again (a log keeps them; a
        queue deletes each once processed).
    generated, completed, in_flight : int
        Every message of the run (``generated`` is the sum of the other two).
    """

    design: str
    consumers: int
    throughput: float
    throughput_formula: float
    out_of_order: int
    out_of_order_share: float
    replayable: bool
    generated: int
    completed: int
    in_flight: int


@dataclass(frozen=True)
class QueueVsLog:
    """Throughput and ordering of each design against the number of consumers.

    Attributes
    ----------
    rows : tuple of DesignRow
        Design by design, consumers by consumers.
    load, mean_processing : float
        Offered messages/s; seconds of work per message.
    partitions, n_keys : int
        The log's partitions; keys of the workload (Zipf, exponent 1).
    partition_shares : tuple of float
        Each partition's share of the messages (its keys' popularity, hashed as the
        broker routes them).
    hottest_key_share : float
        The most popular key's share of the messages.
    """

    rows: tuple[DesignRow, ...]
    load: float
    mean_processing: float
    partitions: int
    n_keys: int
    partition_shares: tuple[float, ...]
    hottest_key_share: float

    @property
    def log_sustainable(self) -> float:
        """Messages/s the log keeps up with, one consumer per partition: its hottest
        partition at ``mu``."""
        return 1.0 / (self.mean_processing * max(self.partition_shares))

    def row(self, design: str, consumers: int) -> DesignRow:
        """The row of ``design`` with ``consumers``."""
        return row_where(self.rows, design=design, consumers=consumers)


def queue_vs_log(
    consumers: tuple[int, ...] = (1, 4, 8, 12),
    designs: tuple[str, ...] | None = None,
    partitions: int = 4,
    load: float = 1000.0,
    mean_processing: float = 0.01,
    n_keys: int = 1000,
    duration: float = 10.0,
    seed: int = 1,
) -> QueueVsLog:
    """Offer ``load`` messages/s with Zipf-popular keys to each design and count what its
    consumers get through and in which order.

    Each consumer processes one message at a time (exponential work). The log routes by
    key to ``partitions`` partitions, so extra consumers idle and each key keeps its
    order; the standard queue hands the next message to any free consumer, so two
    messages of one key are processed at once and may finish the wrong way round; the
    FIFO queue keeps a key's messages in order by never handing out a key's next message
    before its previous one is deleted. Visibility timeouts are long (30 s): nothing is
    redelivered here.

    Cost: ``len(designs) x len(consumers) x load x duration`` messages, 120,000 at the
    defaults (about 3 s).

    Parameters
    ----------
    consumers : tuple of int
        Consumer counts, each 1 to 200.
    designs : tuple of str, optional
        Labels from ``DESIGNS`` (default: all).
    partitions : int
        The log's partitions, 1 to 200.
    load : float
        Messages offered per second, in (0, 20000].
    mean_processing : float
        Seconds of work per message, in (0, 10].
    n_keys : int
        Distinct keys, 1 to 1,000,000.
    duration : float
        Seconds simulated per run (> 0).
    seed : int
        Seed (>= 0).
    """
    counts = check_ints("consumers", consumers, 1, 200)
    chosen = check_labels("designs", designs, DESIGNS)
    partitions = check_int("partitions", partitions, low=1, high=200)
    load = check_real("load", load, low=0.0, high=20000.0, low_open=True)
    mean = check_real("mean_processing", mean_processing, low=0.0, high=10.0, low_open=True)
    n_keys = check_int("n_keys", n_keys, low=1, high=1_000_000)
    duration = check_real("duration", duration, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    popularity = Zipf(n_keys)
    workload = Poisson(load, keys=popularity)
    shares = np.bincount(
        shard_of(np.arange(n_keys), partitions), popularity.probabilities(), partitions
    )
    per_key = np.minimum(load * popularity.probabilities(), 1.0 / mean).sum()
    rows = []
    for design in chosen:
        for n in counts:
            if design == "log":
                broker = Broker(partitions=partitions)
                owned = np.bincount(np.arange(partitions) % n, load * shares, n)
                formula = float(np.minimum(owned, 1.0 / mean).sum())
            else:
                broker = Queue(fifo=design == "fifo_queue")
                formula = n / mean if design == "queue" else min(n / mean, per_key)
            system = EventDriven(broker=broker, consumers=_group(n, mean))
            r = simulate(system, workload, duration, seed=seed)
            done = r.counts.completed
            rows.append(
                DesignRow(
                    design=design,
                    consumers=n,
                    throughput=done / duration,
                    throughput_formula=float(min(formula, load)),
                    out_of_order=int(r.counters["out_of_order"]),
                    out_of_order_share=r.counters["out_of_order"] / max(done, 1),
                    replayable=design == "log",
                    generated=r.counts.generated,
                    completed=done,
                    in_flight=r.counts.in_flight,
                )
            )
    return QueueVsLog(
        tuple(rows),
        load,
        mean,
        partitions,
        n_keys,
        tuple(float(x) for x in shares),
        float(popularity.probabilities()[0]),
    )


@dataclass(frozen=True)
class TimeoutRow:
    """One visibility timeout.

    Attributes
    ----------
    timeout : float
        Seconds.
    duplicates_per_message : float
        Processings beyond the first, per message processed.
    duplicates_formula : float
        ``p / (1 - p)`` with ``p = exp(-timeout / mean)``, the chance exponential work
        outlasts the timeout: each receipt outlasts it independently, and the message
        is received until one does not (consumers are never short here).
    duplicate_effects_idempotent : int
        Effects applied twice by an idempotent consumer (dedup window 10 x the timeout):
        0 unless a redelivery comes after the window.
    dead_lettered : int
        Messages received ``max_attempts`` times without a delete in time.
    generated, completed, in_flight : int
        Every message of the run.
    """

    timeout: float
    duplicates_per_message: float
    duplicates_formula: float
    duplicate_effects_idempotent: int
    dead_lettered: int
    generated: int
    completed: int
    in_flight: int


@dataclass(frozen=True)
class VisibilityTimeouts:
    """Duplicates against the visibility timeout, for work of a given mean.

    Attributes
    ----------
    rows : tuple of TimeoutRow
    mean_processing, load : float
    consumers, max_attempts : int
    """

    rows: tuple[TimeoutRow, ...]
    mean_processing: float
    load: float
    consumers: int
    max_attempts: int

    def row(self, timeout: float) -> TimeoutRow:
        """The row of ``timeout``."""
        return row_where(self.rows, timeout=timeout)


def visibility_timeouts(
    timeouts: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0),
    mean_processing: float = 1.0,
    load: float = 20.0,
    consumers: int = 100,
    max_attempts: int = 50,
    duration: float = 200.0,
    seed: int = 1,
) -> VisibilityTimeouts:
    """A standard queue whose exponential work sometimes outlasts the visibility timeout:
    the message is received again while its first consumer still works, and both apply
    its effect. Run once plainly and once with an idempotent consumer, per timeout.

    Cost: ``2 x len(timeouts) x load x duration`` messages, 40,000 at the defaults
    (about 1.5 s).

    Parameters
    ----------
    timeouts : tuple of float
        Visibility timeouts, seconds, each in (0, 3600].
    mean_processing : float
        Mean seconds of work, in (0, 600].
    load : float
        Messages per second (> 0); with the redeliveries it must fit the consumers
        (``load x mean x (1 + duplicates) < consumers``) for the formula to hold.
    consumers : int
        Consumers, 1 to 1,000.
    max_attempts : int
        Receives before the dead-letter queue, 1 to 1,000.
    duration : float
        Seconds simulated per run (> 0).
    seed : int
        Seed (>= 0).
    """
    chosen = check_reals("timeouts", timeouts, low=0.0, high=3600.0, low_open=True)
    mean = check_real("mean_processing", mean_processing, low=0.0, high=600.0, low_open=True)
    load = check_real("load", load, low=0.0, low_open=True)
    consumers = check_int("consumers", consumers, low=1, high=1000)
    max_attempts = check_int("max_attempts", max_attempts, low=1, high=1000)
    duration = check_real("duration", duration, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    workload = Poisson(load)
    rows = []
    for timeout in chosen:
        results = [
            simulate(
                EventDriven(
                    broker=Queue(visibility_timeout=timeout),
                    consumers=_group(consumers, mean, max_attempts=max_attempts, dedup_window=w),
                ),
                workload,
                duration,
                seed=seed,
            )
            for w in (None, 10.0 * timeout)
        ]
        plain, idempotent = results
        p = math.exp(-timeout / mean)
        done = plain.counts.completed
        rows.append(
            TimeoutRow(
                timeout=timeout,
                duplicates_per_message=plain.counters["duplicates"] / max(done, 1),
                duplicates_formula=p / (1.0 - p),
                duplicate_effects_idempotent=int(idempotent.counters["duplicate_effects"]),
                dead_lettered=int(plain.counters["dead_lettered"]),
                generated=plain.counts.generated,
                completed=done,
                in_flight=plain.counts.in_flight,
            )
        )
    return VisibilityTimeouts(tuple(rows), mean, load, consumers, max_attempts)


KEY_SPREADS = ("uniform", "zipf")
"""Keys of the partition: 10,000 equally likely, or 100 with Zipf popularity (the
hottest about 19% of messages)."""

_KEYS = {"uniform": Uniform(10_000), "zipf": Zipf(100)}


@dataclass(frozen=True)
class ConcurrencyRow:
    """One partition read by one consumer with some threads.

    Attributes
    ----------
    keys : str
        One of ``KEY_SPREADS``.
    concurrency : int
    offered : float
        Messages/s offered to the partition: ``utilization x concurrency x mu``.
    throughput : float
        Messages processed per second.
    keeps_up : bool
        Whether processing kept within 5% of the arrivals over the run.
    lag_p99 : float
        99th percentile of a message's wait from arrival to processed, seconds, over
        those processed by the end (an understatement when the partition falls behind:
        the messages still waiting are not in it, and it grows with the run).
    sustainable_formula : float
        ``min(concurrency x mu, mu / p_max)``: the threads, or the hottest key, whose
        messages go one at a time (p_max its share of the messages), messages/s.
    partitions_needed : int
        Partitions for ``target`` messages/s with each at ``target_utilization`` of its
        ``sustainable_formula`` (headroom to catch up after a rebalance or an outage).
    out_of_order : int
        Messages first processed after a newer one of their key (0: key order holds).
    """

    keys: str
    concurrency: int
    offered: float
    throughput: float
    keeps_up: bool
    lag_p99: float
    sustainable_formula: float
    partitions_needed: int
    out_of_order: int


@dataclass(frozen=True)
class PartitionConcurrency:
    """What a key-ordered parallel consumer gets through one partition.

    Attributes
    ----------
    rows : tuple of ConcurrencyRow
    mean_processing, utilization, target, target_utilization : float
        Seconds of work per message; the share of the threads' capacity offered; the
        group's target, messages/s; the share of a partition's rate planned for.
    """

    rows: tuple[ConcurrencyRow, ...]
    mean_processing: float
    utilization: float
    target: float
    target_utilization: float

    def row(self, keys: str, concurrency: int) -> ConcurrencyRow:
        """The row of ``keys`` and ``concurrency``."""
        return row_where(self.rows, keys=keys, concurrency=concurrency)

    @staticmethod
    def hottest_key_share(keys: str) -> float:
        """The most popular key's share of the messages under ``keys`` (one of
        ``KEY_SPREADS``)."""
        return float(_KEYS[check_labels("keys", (keys,), KEY_SPREADS)[0]].probabilities().max())


def partition_concurrency(
    concurrency: tuple[int, ...] = (1, 2, 4, 8, 16),
    keys: tuple[str, ...] | None = None,
    mean_processing: float = 0.01,
    utilization: float = 0.8,
    target: float = 10_000.0,
    target_utilization: float = 0.7,
    duration: float = 10.0,
    seed: int = 1,
) -> PartitionConcurrency:
    """One partition, one consumer processing up to ``concurrency`` messages at once,
    never two of one key, offered ``utilization`` of what its threads could do.

    With uniform keys the threads are the limit; with Zipf keys the hottest key's
    messages go one at a time, so once its share of the offered rate exceeds ``mu`` it
    falls behind (and its lag grows) however many threads there are.

    Cost: ``len(keys) x sum(utilization x concurrency x mu) x duration`` messages,
    about 50,000 at the defaults (about 2 s).

    Parameters
    ----------
    concurrency : tuple of int
        Threads of the consumer, each 1 to 100.
    keys : tuple of str, optional
        Labels from ``KEY_SPREADS`` (default: both).
    mean_processing : float
        Seconds of work per message, in [0.001, 10].
    utilization : float
        Share of the threads' capacity offered, in (0, 0.95].
    target : float
        Messages per second the whole group must process (> 0), for
        ``partitions_needed``.
    target_utilization : float
        Share of a partition's sustainable rate to plan for, in (0, 1].
    duration : float
        Seconds simulated per run (> 0).
    seed : int
        Seed (>= 0).
    """
    threads = check_ints("concurrency", concurrency, 1, 100)
    spreads = check_labels("keys", keys, KEY_SPREADS)
    mean = check_real("mean_processing", mean_processing, low=0.001, high=10.0)
    rho = check_real("utilization", utilization, low=0.0, high=0.95, low_open=True)
    target = check_real("target", target, low=0.0, low_open=True)
    planned = check_real("target_utilization", target_utilization, low=0.0, high=1.0, low_open=True)
    duration = check_real("duration", duration, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    check_requests(rho / mean, duration, f"mean_processing={mean!r}, duration={duration!r}")
    rows = []
    for spread in spreads:
        popularity = _KEYS[spread]
        hottest = PartitionConcurrency.hottest_key_share(spread)
        for c in threads:
            system = EventDriven(
                broker=Broker(partitions=1, partition_throughput=1e6),
                consumers=_group(1, mean, concurrency=c),
                network=0.0,
            )
            offered = rho * c / mean
            r = simulate(system, Poisson(offered, keys=popularity), duration, seed=seed)
            sustainable = min(c / mean, 1.0 / (mean * hottest))
            done = r.done[np.isfinite(r.done)] - r.arrival[np.isfinite(r.done)]
            rows.append(
                ConcurrencyRow(
                    keys=spread,
                    concurrency=c,
                    offered=offered,
                    throughput=r.counts.completed / duration,
                    keeps_up=not r.overloaded,
                    lag_p99=float(np.percentile(done, 99)) if done.size else math.inf,
                    sustainable_formula=sustainable,
                    partitions_needed=math.ceil(target / (planned * sustainable)),
                    out_of_order=int(r.counters["out_of_order"]),
                )
            )
    return PartitionConcurrency(tuple(rows), mean, rho, target, planned)
