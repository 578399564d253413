"""Event-driven systems: a broker with partitions, producers, consumer groups.

Every class here is a frozen dataclass validated on construction. Times are seconds and
rates are messages per second. :func:`scalelab.simulate` runs an :class:`EventDriven`
system; :func:`hybrid` builds the same API either way for like-for-like comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import (
    check_choice,
    check_instance,
    check_int,
    check_non_negative,
    check_positive,
    check_probability,
)
from .brokers import ACKS, ROUTINGS, Broker, Queue, Retention
from .distributions import Distribution, Exponential, check_distribution
from .resilience import Backoff
from .topology import AppTier, Database, RequestResponse

__all__ = [
    "ROUTINGS",
    "ACKS",
    "LOOKAHEAD",
    "Retention",
    "Broker",
    "Queue",
    "Producer",
    "GroupChange",
    "Replay",
    "ConsumerGroup",
    "EventDriven",
    "hybrid",
]

ON_FULL = ("block", "drop")


@dataclass(frozen=True)
class Producer:
    """The producer's send buffer: messages waiting for the broker to acknowledge.

    Parameters
    ----------
    buffer : int, optional
        Messages the buffer holds (>= 1); None: unbounded.
    on_full : str
        ``"block"`` (the sender waits for room, and its latency grows) or ``"drop"``
        (the message is refused and counted as dropped).
    idempotent : bool
        Whether the broker recognises a message the producer sends again (after a leader
        crash, see :class:`Broker`) and acknowledges it without appending it twice
        (Kafka's enable.idempotence).
    """

    buffer: int | None = None
    on_full: str = "block"
    idempotent: bool = False

    def __post_init__(self) -> None:
        if self.buffer is not None:
            check_int("buffer", self.buffer, low=1)
        check_choice("on_full", self.on_full, ON_FULL)
        check_instance("idempotent", self.idempotent, bool, "True or False")


LOOKAHEAD = 10
"""How far a key-ordered parallel consumer reads ahead, in multiples of its concurrency."""

GROUP_ACTIONS = ("join", "leave", "crash")


@dataclass(frozen=True)
class GroupChange:
    """A consumer joining or leaving the group at time ``at``; either triggers a rebalance.

    Parameters
    ----------
    at : float
        When, seconds (>= 0).
    action : str
        ``"join"`` (a new consumer), ``"leave"`` (the newest consumer commits and leaves)
        or ``"crash"`` (the newest consumer dies without committing: what it processed
        since its last commit is delivered again, as duplicates).
    """

    at: float
    action: str

    def __post_init__(self) -> None:
        check_non_negative("at", self.at)
        check_choice("action", self.action, GROUP_ACTIONS)


@dataclass(frozen=True)
class Replay:
    """Rewind the whole group at time ``at`` to an offset or to a point in time.

    Parameters
    ----------
    at : float
        When the rewind happens, seconds (>= 0).
    to_offset : int, optional
        Offset to restart every partition from (>= 0); offsets already deleted by
        retention start from the oldest retained message.
    to_time : float, optional
        Restart from the first message appended at or after this time, seconds.
    """

    at: float
    to_offset: int | None = None
    to_time: float | None = None

    def __post_init__(self) -> None:
        check_non_negative("at", self.at)
        if (self.to_offset is None) == (self.to_time is None):
            raise ValueError(
                f"to_offset={self.to_offset!r}, to_time={self.to_time!r}: give exactly one of them"
            )
        if self.to_offset is not None:
            check_int("to_offset", self.to_offset, low=0)
        if self.to_time is not None:
            check_non_negative("to_time", self.to_time)


@dataclass(frozen=True)
class ConsumerGroup:
    """Consumers sharing the partitions: each partition has at most one active consumer,
    so consumers beyond the partition count sit idle.

    Parameters
    ----------
    consumers : int
        Consumers at the start (0 to 10,000).
    processing : Distribution
        Time to process one message, seconds (plus the database write, if any).
    commit_interval : float
        Seconds between offset commits (>= 0); 0 commits after every message.
    rebalance_pause : float
        Seconds the whole group stops when a consumer joins or leaves (>= 0).
    changes : tuple of GroupChange
        Consumers joining and leaving during the run.
    failure_probability : float
        Chance an attempt to process a message fails transiently, in [0, 1].
    poison_fraction : float
        Fraction of messages that always fail, in [0, 1].
    max_attempts : int
        Attempts before a message goes to the dead-letter queue (>= 1).
    backoff : Backoff
        Delay between attempts; the partition waits meanwhile (ordered processing).
    replay : Replay, optional
        A rewind of the group during the run.
    max_batch : int
        Messages a consumer takes from its partition at once, 1 to 1,000 (whatever is
        waiting, up to this). A batch costs its messages' own ``processing`` plus one
        database write, to the first message's shard, that takes
        ``BatchServer().batch_cost(k)`` times a single write (chapter 6's cost model: a
        batch of 10 costs about 1.8 writes). Batching needs no failures
        (``failure_probability`` and ``poison_fraction`` 0): per-message retries inside a
        batch are not modelled.
    dedup_window : float, optional
        An idempotent consumer: it records each message id in the same transaction as
        the message's effect and remembers it this many seconds (> 0); a message
        delivered again within that time is skipped, one delivered later has its effect
        applied again. None: every delivery applies its effect. Adds the counters
        ``effects``, ``duplicate_effects``, ``dedup_skipped`` and ``redelivery_gap_p50``
        and ``redelivery_gap_max`` (seconds from a message's last applied effect to each
        later delivery of it; 0 when none).
    concurrency : int
        Messages each consumer processes at once, 1 to 100 (its threads). From a log,
        two messages of one key are never processed at once and start in log order (a
        key-ordered parallel consumer): each consumer looks ahead at most
        ``LOOKAHEAD x concurrency`` messages past its partitions' first unfinished one,
        and commits up to that first unfinished offset. Needs ``max_batch=1``.
    """

    consumers: int = 1
    processing: Distribution = Exponential(0.001)
    commit_interval: float = 0.0
    rebalance_pause: float = 3.0
    changes: tuple[GroupChange, ...] = ()
    failure_probability: float = 0.0
    poison_fraction: float = 0.0
    max_attempts: int = 3
    backoff: Backoff = Backoff(base=0.05, cap=1.0)
    replay: Replay | None = None
    max_batch: int = 1
    dedup_window: float | None = None
    concurrency: int = 1

    def __post_init__(self) -> None:
        check_int("consumers", self.consumers, low=0, high=10_000)
        check_int("max_batch", self.max_batch, low=1, high=1000)
        check_int("concurrency", self.concurrency, low=1, high=100)
        if self.max_batch > 1 and self.concurrency > 1:
            raise ValueError(
                f"max_batch={self.max_batch} with concurrency={self.concurrency}: a consumer "
                "either takes batches or processes messages in parallel; set one of them to 1"
            )
        if self.max_batch > 1 and (self.failure_probability or self.poison_fraction):
            raise ValueError(
                f"max_batch={self.max_batch} with failure_probability="
                f"{self.failure_probability!r} and poison_fraction={self.poison_fraction!r}: "
                "batches do not model per-message retries; use max_batch=1 with failures"
            )
        check_distribution("processing", self.processing)
        check_non_negative("commit_interval", self.commit_interval)
        check_non_negative("rebalance_pause", self.rebalance_pause)
        object.__setattr__(self, "changes", tuple(self.changes))
        for i, change in enumerate(self.changes):
            check_instance(f"changes[{i}]", change, GroupChange, "a GroupChange")
        check_probability("failure_probability", self.failure_probability)
        check_probability("poison_fraction", self.poison_fraction)
        check_int("max_attempts", self.max_attempts, low=1)
        check_instance("backoff", self.backoff, Backoff, "a Backoff")
        if self.replay is not None:
            check_instance("replay", self.replay, Replay, "a Replay")
        if self.dedup_window is not None:
            check_positive("dedup_window", self.dedup_window)


@dataclass(frozen=True)
class EventDriven:
    """Producer -> broker -> consumer group (-> database), optionally behind an API.

    With ``front`` set, a client request goes to the API servers, which do their own
    work, publish an event, and answer 202 Accepted once the broker acknowledges; the
    consumers process the event later and write to ``db``.

    Parameters
    ----------
    broker : Broker or Queue
        The log, or a queue with competing consumers. With a :class:`Queue` the group
        cannot replay, commits nothing (each message is deleted once processed:
        ``commit_interval`` 0), takes one message at a time (``max_batch`` 1) and never
        rebalances (``rebalance_pause`` does not apply); the producer is not idempotent.
    consumers : ConsumerGroup
        Who processes the messages.
    producer : Producer
        The send buffer.
    front : AppTier, optional
        API servers that accept requests and publish events.
    db : Database, optional
        Database each processed message writes to (one query, through the pool).
    network : float
        One-way network delay per hop, seconds (>= 0).
    """

    broker: Broker | Queue = Broker()
    consumers: ConsumerGroup = ConsumerGroup()
    producer: Producer = Producer()
    front: AppTier | None = None
    db: Database | None = None
    network: float = 0.0005

    def __post_init__(self) -> None:
        check_instance("broker", self.broker, (Broker, Queue), "a Broker or a Queue")
        check_instance("consumers", self.consumers, ConsumerGroup, "a ConsumerGroup")
        check_instance("producer", self.producer, Producer, "a Producer")
        if isinstance(self.broker, Queue):
            self._check_queue()
        if self.front is not None:
            check_instance("front", self.front, AppTier, "an AppTier")
        if self.db is not None:
            check_instance("db", self.db, Database, "a Database")
        check_non_negative("network", self.network)

    def _check_queue(self) -> None:
        group = self.consumers
        refused = (
            ("consumers.replay", group.replay, None, "a queue deletes what it delivered"),
            ("consumers.max_batch", group.max_batch, 1, "batched receives are not modelled"),
            ("consumers.commit_interval", group.commit_interval, 0.0, "a queue has no offsets"),
            ("producer.idempotent", self.producer.idempotent, False, "use a Broker for it"),
        )
        for name, value, allowed, why in refused:
            if value != allowed:
                raise ValueError(
                    f"{name}={value!r} with a Queue: {why}; use {name.split('.')[1]}="
                    f"{allowed!r}, or a Broker (a log)"
                )


MODES = ("sync", "async")


def hybrid(
    mode: str,
    *,
    app: AppTier,
    db: Database,
    broker: Broker | Queue = Broker(),
    consumers: ConsumerGroup = ConsumerGroup(),
    network: float = 0.0005,
) -> RequestResponse | EventDriven:
    """The same API built synchronously or asynchronously: the chapters' central switch.

    ``"sync"``: the API servers write to the database and answer when it is done.
    ``"async"``: they publish an event, answer 202 once the broker acknowledges, and the
    consumer group writes to the database later. Run both with the same workload and
    seed: arrivals, the API's work and each database write's cost are the same draws.

    Parameters
    ----------
    mode : str
        ``"sync"`` or ``"async"``.
    app : AppTier
        The API servers.
    db : Database
        The database both modes write to.
    broker, consumers : Broker or Queue, ConsumerGroup
        Used in ``"async"`` mode only.
    network : float
        One-way network delay per hop, seconds.

    Returns
    -------
    RequestResponse or EventDriven
    """
    check_choice("mode", mode, MODES)
    if mode == "sync":
        return RequestResponse(app=app, db=db, network=network)
    return EventDriven(broker=broker, consumers=consumers, front=app, db=db, network=network)
