"""What carries the messages of an event-driven system: a partitioned log (:class:`Broker`,
with its :class:`Retention`) or a queue with competing consumers (:class:`Queue`).

Frozen dataclasses validated on construction; :class:`scalelab.EventDriven` takes either
as its ``broker``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import check_choice, check_instance, check_int, check_non_negative, check_positive
from .distributions import Deterministic, Distribution, check_distribution

__all__ = ["ROUTINGS", "ACKS", "Retention", "Broker", "Queue"]

ROUTINGS = ("key", "round_robin")
"""How producers pick a partition: by key hash, or in turn."""

ACKS = ("none", "leader", "all")
"""When the broker acknowledges a message: never (the producer does not wait), after the
leader's append, or once every in-sync follower has it too (Kafka's acks=0, 1, all)."""


@dataclass(frozen=True)
class Retention:
    """How long a partition keeps messages: the last ``messages`` of them, and/or those
    younger than ``seconds``. A message deleted before its group processed it is lost
    (counted as dropped: expired).

    Parameters
    ----------
    messages : int, optional
        Messages kept per partition (>= 1).
    seconds : float, optional
        Age limit, seconds (> 0).
    """

    messages: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.messages is None and self.seconds is None:
            raise ValueError("messages=None and seconds=None: give at least one limit")
        if self.messages is not None:
            check_int("messages", self.messages, low=1)
        if self.seconds is not None:
            check_positive("seconds", self.seconds)


@dataclass(frozen=True)
class Broker:
    """A partitioned, durable log (Kafka-like).

    Each partition appends one message at a time at ``partition_throughput`` messages per
    second, then acknowledges after ``append_latency``. Messages keep their order within
    a partition.

    Durability (all off by default): each partition has a leader and ``replication - 1``
    followers. A follower copies the leader's messages in log order, each
    ``replication_delay`` after the leader appended it. Consumers read only messages
    every in-sync replica has (Kafka's high watermark). ``acks`` says when the producer
    is acknowledged: ``"none"`` when it sends (it never waits, so its buffer never
    fills), ``"leader"`` after the leader's append, ``"all"`` once the in-sync
    followers have the message too; an ``"all"`` append is refused (counted as dropped:
    ``not_enough_replicas``) while fewer than ``min_insync`` replicas are in sync. A
    follower whose mean delay exceeds ``max_lag`` is out of sync for the whole run.

    At ``crash_at`` every partition's leader crashes (one broker leads them all). The
    most up-to-date follower becomes the leader after ``failover_pause``; the messages it
    lacks are gone from the log. An acknowledged one among them is lost (status dropped,
    counter ``lost``); an unacknowledged one is sent again by its producer (counter
    ``producer_retries``), after the pause, as are the messages queued at the leader when
    it crashed (with ``"none"`` those are lost too: the producer has moved on). A resent
    message the new leader already had is in the log twice (``log_duplicates``) unless
    the producer is idempotent. With ``replication=1`` the leader comes back after the
    pause with its log intact. The crashed broker does not return during the run, so
    ``replication - 1`` replicas remain.

    Parameters
    ----------
    partitions : int
        Number of partitions, 1 to 10,000.
    partition_throughput : float
        Appends per second one partition sustains (> 0). An assumption: a Kafka partition
        writes on the order of 10 MB/s, i.e. ~10,000 messages/s of 1 KB.
    append_latency : float
        Time from append to acknowledgement, seconds (>= 0).
    routing : str
        One of ``ROUTINGS``; ``"key"`` needs a workload with keys (without keys the
        request number is hashed, which spreads evenly).
    retention : Retention, optional
        None keeps every message (an infinite, replayable log).
    quota : float, optional
        Broker quota on the producer, messages per second (> 0); appends beyond it wait.
    replication : int
        Copies of each partition, leader included, 1 to 5.
    acks : str
        One of ``ACKS``.
    replication_delay : Distribution or tuple of Distribution
        Time from the leader's append to a follower's copy, seconds: one distribution for
        every follower, or one per follower (``replication - 1`` of them).
    min_insync : int
        In-sync replicas, leader included, an ``acks="all"`` append needs, 1 to 5 and at
        most ``replication`` (Kafka's min.insync.replicas).
    max_lag : float
        A follower whose mean replication delay exceeds this many seconds is out of sync
        (> 0; Kafka's replica.lag.time.max.ms is 30 s).
    crash_at : float, optional
        When the leaders crash, seconds (>= 0); None: never.
    failover_pause : float
        Seconds until the new leader takes appends after the crash (>= 0).
    """

    partitions: int = 1
    partition_throughput: float = 10_000.0
    append_latency: float = 0.002
    routing: str = "key"
    retention: Retention | None = None
    quota: float | None = None
    replication: int = 1
    acks: str = "leader"
    replication_delay: Distribution | tuple[Distribution, ...] = Deterministic(0.005)
    min_insync: int = 1
    max_lag: float = 30.0
    crash_at: float | None = None
    failover_pause: float = 0.5

    def __post_init__(self) -> None:
        check_int("partitions", self.partitions, low=1, high=10_000)
        check_positive("partition_throughput", self.partition_throughput)
        check_non_negative("append_latency", self.append_latency)
        check_choice("routing", self.routing, ROUTINGS)
        if self.retention is not None:
            check_instance("retention", self.retention, Retention, "a Retention")
        if self.quota is not None:
            check_positive("quota", self.quota)
        check_int("replication", self.replication, low=1, high=5)
        check_choice("acks", self.acks, ACKS)
        if isinstance(self.replication_delay, (tuple, list)):
            delays = tuple(self.replication_delay)
            object.__setattr__(self, "replication_delay", delays)
            if len(delays) != self.replication - 1:
                raise ValueError(
                    f"replication_delay has {len(delays)} distributions and replication="
                    f"{self.replication}: give one distribution, or one per follower "
                    f"({self.replication - 1})"
                )
            for i, delay in enumerate(delays):
                check_distribution(f"replication_delay[{i}]", delay)
        else:
            check_distribution("replication_delay", self.replication_delay)
        check_int("min_insync", self.min_insync, low=1, high=self.replication)
        check_positive("max_lag", self.max_lag)
        if self.crash_at is not None:
            check_non_negative("crash_at", self.crash_at)
        check_non_negative("failover_pause", self.failover_pause)

    @property
    def follower_delays(self) -> tuple[Distribution, ...]:
        """The replication delay of each follower (``replication - 1`` of them)."""
        delay = self.replication_delay
        return delay if isinstance(delay, tuple) else (delay,) * (self.replication - 1)

    @property
    def followers_in_sync(self) -> tuple[bool, ...]:
        """Whether each follower is in sync: its mean delay is at most ``max_lag``."""
        return tuple(d.mean <= self.max_lag for d in self.follower_delays)


@dataclass(frozen=True)
class Queue:
    """A message queue with competing consumers (SQS-, RabbitMQ-like), in place of a log.

    Every consumer takes the next visible message; there are no partitions, so any
    number of consumers share the work. A received message is invisible for
    ``visibility_timeout`` seconds: the consumer deletes it when it has processed it
    (its acknowledgement). If it has not by then (slow, failed, crashed), the message
    becomes visible again and another consumer receives it; the first consumer's later
    delete then carries a stale receipt and deletes nothing (SQS: only the latest
    receipt deletes), so its effect may be applied twice. A message received
    ``ConsumerGroup.max_attempts`` times that becomes visible again goes to the
    dead-letter queue. A deleted message is gone: a queue cannot replay.

    ``fifo=True`` makes the workload's keys message groups (SQS FIFO): a key's next
    message is not delivered while its previous one is received and not deleted, so
    each key is processed in order and a key is never processed by two consumers at
    once. Without it, messages go out in send order but are processed in parallel, so
    two messages of one key can take effect in the opposite order.

    Parameters
    ----------
    throughput : float
        Sends per second the queue accepts (> 0). An assumption: a managed queue scales
        its standard throughput with demand (SQS standard: "nearly unlimited"); FIFO
        queues are capped per queue (SQS: 300 API calls/s per action, 3,000 messages/s
        with batches of 10, more in high-throughput mode; AWS documentation, 2024).
    append_latency : float
        Time from accepting a send to acknowledging it, seconds (>= 0).
    visibility_timeout : float
        Seconds a received message stays invisible (> 0; SQS's default is 30 s).
    fifo : bool
        Whether keys are message groups processed in order (True or False).
    """

    throughput: float = 10_000.0
    append_latency: float = 0.002
    visibility_timeout: float = 30.0
    fifo: bool = False

    def __post_init__(self) -> None:
        check_positive("throughput", self.throughput)
        check_non_negative("append_latency", self.append_latency)
        check_positive("visibility_timeout", self.visibility_timeout)
        check_instance("fifo", self.fifo, bool, "True or False")
