"""What a reader declares: the parts of a system and how they are wired.

Every class here is a frozen dataclass validated on construction. Times are seconds,
rates are requests (queries) per second. :func:`scalelab.simulate` runs any of the
systems: :class:`Station`, :class:`Chain`, :class:`RequestResponse`, :class:`FanOut` or
:class:`BatchServer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import (
    check_choice,
    check_instance,
    check_int,
    check_non_negative,
    check_optional,
    check_positive,
    check_probability,
    check_real,
)
from .distributions import Distribution, Exponential, check_distribution

__all__ = [
    "MAX_SERVERS",
    "LB_POLICIES",
    "DISCIPLINES",
    "WRITE_POLICIES",
    "Station",
    "LoadBalancer",
    "AppTier",
    "Service",
    "Chain",
    "Database",
    "Cache",
    "RequestResponse",
    "FanOut",
    "BatchServer",
]

MAX_SERVERS = 10_000
"""Most servers (or shards) one tier may declare: each is a simulated component. A larger
tier is simulated as one unit at its share of the load (chapter 3)."""

LB_POLICIES = ("round_robin", "random", "least_connections", "power_of_two")
"""Load-balancing policies understood by :class:`LoadBalancer`."""

DISCIPLINES = ("fifo", "lifo")
"""Queue orders: first come first served, or newest first (which, under overload, serves
requests whose clients are still waiting)."""

WRITE_POLICIES = ("invalidate", "ttl_only", "write_through", "write_behind")
"""What a write does to a keyed :class:`Cache`: update the database, then delete the key
(cache-aside); nothing (entries expire); update the database, then the cache; update the
cache only, flushed every ``flush_interval`` (a crash loses what is not yet flushed).
Read-through, where the cache fetches a miss, loads the database as cache-aside does."""


def _check_optional_limit(name: str, value: int | None) -> None:
    if value is not None:
        check_int(name, value, low=0)


@dataclass(frozen=True)
class Station:
    """One queue in front of ``servers`` identical servers (an M/G/c station when arrivals
    are Poisson). The textbook system of chapter 2.

    Parameters
    ----------
    servers : int
        Number of servers sharing the queue (>= 1).
    service : Distribution
        Service time per request, seconds.
    queue_limit : int, optional
        Most requests that may wait; an arrival finding it full is dropped (load shedding
        by queue length). None: unbounded; 0: no waiting room (an Erlang loss system).
    name : str
        Label used in results, e.g. ``result.timeseries("server.queue_length")``.
    discipline : str
        ``"fifo"`` or ``"lifo"`` (one of ``DISCIPLINES``).
    shed_expired : bool
        Load shedding by deadline: when a request reaches a server too late to finish
        before its client's timeout (start + mean service time >= deadline), drop it at
        no cost instead of doing useless work. Needs a :class:`~scalelab.Client` with a
        timeout.
    """

    servers: int = 1
    service: Distribution = Exponential(1.0)
    queue_limit: int | None = None
    name: str = "server"
    discipline: str = "fifo"
    shed_expired: bool = False

    def __post_init__(self) -> None:
        check_int("servers", self.servers, low=1, high=MAX_SERVERS)
        check_distribution("service", self.service)
        _check_optional_limit("queue_limit", self.queue_limit)
        check_choice("discipline", self.discipline, DISCIPLINES)
        check_instance("shed_expired", self.shed_expired, bool, "True or False")


@dataclass(frozen=True)
class LoadBalancer:
    """Spreads requests over the servers of a tier.

    Parameters
    ----------
    policy : str
        One of ``LB_POLICIES``: ``"round_robin"``, ``"random"``, ``"least_connections"``
        (fewest requests in progress or waiting), ``"power_of_two"`` (two random servers,
        the less loaded wins).
    """

    policy: str = "round_robin"

    def __post_init__(self) -> None:
        check_choice("policy", self.policy, LB_POLICIES)


@dataclass(frozen=True)
class AppTier:
    """``servers`` application servers, each with a pool of ``workers`` threads.

    A worker is held for the whole request, including the time spent waiting on the
    cache and database (thread-per-request, synchronous I/O).

    Parameters
    ----------
    servers : int
        Number of servers behind the load balancer (>= 1).
    workers : int
        Worker threads per server (>= 1).
    service : Distribution
        CPU time of the application's own work per request, seconds.
    queue_limit : int, optional
        Accept-queue length per server; arrivals beyond it are dropped. None: unbounded.
    discipline : str
        ``"fifo"`` or ``"lifo"``.
    shed_expired : bool
        Drop, at no cost, a request that reaches a worker too late to finish before its
        client's timeout (start + mean service time >= deadline).
    """

    servers: int = 1
    workers: int = 8
    service: Distribution = Exponential(0.005)
    queue_limit: int | None = None
    discipline: str = "fifo"
    shed_expired: bool = False

    def __post_init__(self) -> None:
        check_int("servers", self.servers, low=1, high=MAX_SERVERS)
        check_int("workers", self.workers, low=1)
        check_distribution("service", self.service)
        _check_optional_limit("queue_limit", self.queue_limit)
        check_choice("discipline", self.discipline, DISCIPLINES)
        check_instance("shed_expired", self.shed_expired, bool, "True or False")


@dataclass(frozen=True)
class Service:
    """One service in a synchronous call chain: ``servers`` x ``workers``, own work
    ``service``; a worker stays busy while it waits for the next service in the chain.

    Parameters
    ----------
    name : str
        Label used in results.
    servers, workers : int
        Servers (>= 1) and worker threads per server (>= 1).
    service : Distribution
        Own work per request, seconds.
    availability : float
        Probability a call to this service succeeds, in [0, 1]; a failure ends the request.
    """

    name: str
    servers: int = 1
    workers: int = 8
    service: Distribution = Exponential(0.01)
    availability: float = 1.0

    def __post_init__(self) -> None:
        check_int("servers", self.servers, low=1, high=MAX_SERVERS)
        check_int("workers", self.workers, low=1)
        check_distribution("service", self.service)
        check_probability("availability", self.availability)


@dataclass(frozen=True)
class Chain:
    """A synchronous call chain A -> B -> C: each hop waits for the next before replying.

    Parameters
    ----------
    services : tuple of Service
        The hops, caller first (at least one, names unique).
    network : float
        One-way network delay per hop, seconds (>= 0).
    lb : LoadBalancer
        Policy used in front of every service.
    timeout : float, optional
        Client timeout, seconds (> 0); the client gives up, the servers keep working.
    """

    services: tuple[Service, ...]
    network: float = 0.0005
    lb: LoadBalancer = LoadBalancer()
    timeout: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", tuple(self.services))
        if not self.services:
            raise ValueError("services=() is empty; a Chain needs at least one Service")
        for i, s in enumerate(self.services):
            check_instance(f"services[{i}]", s, Service, "a Service")
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise ValueError(f"services have duplicate names {names}; names must be unique")
        check_non_negative("network", self.network)
        check_instance("lb", self.lb, LoadBalancer, "a LoadBalancer")
        if self.timeout is not None:
            check_positive("timeout", self.timeout)


@dataclass(frozen=True)
class Database:
    """A database (optionally sharded, optionally with read replicas) behind a
    connection pool.

    Each node executes ``concurrency`` queries at once; a query's time is exponential with
    mean ``concurrency / capacity_qps``, so one node completes at most ``capacity_qps``
    queries per second when saturated.

    Parameters
    ----------
    capacity_qps : float
        Saturation throughput of one node, queries per second (> 0). An assumption: a
        single relational node serves roughly 1,000-50,000 simple queries/s depending on
        query shape and hardware.
    concurrency : int
        Queries one node executes in parallel (>= 1), e.g. its cores.
    pool : int, optional
        Connections the application tier may hold per shard (>= 1); a request waits for a
        free connection and the wait counts in its latency. None: no pool limit.
    read_replicas : int
        Replicas per shard, 0 to 100, serving reads; writes go to the primary.
    replication_lag : Distribution
        Delay before a write on the primary is visible on the replicas, seconds.
    shards : int
        Number of shards, 1 to ``MAX_SERVERS``; a key lives on shard
        ``hash(key) % shards``.
    write_cost : float
        A write's execution time as a multiple of a read's, in (0, 100]. An assumption:
        about 1 for a single-row upsert, several for a write that updates indexes and
        flushes the log (so ``capacity_qps`` is the node's rate for reads).
    replica_apply : float
        Work a read replica spends replaying one write, as a multiple of that write's
        cost on the primary, in [0, 10]. An assumption: about 0.5-1 for row-based or
        logical replication, which re-executes each change; 0 is free replication, the
        shortcut that makes replicas look better than they are when writes are many.
    """

    capacity_qps: float = 1000.0
    concurrency: int = 4
    pool: int | None = None
    read_replicas: int = 0
    replication_lag: Distribution = Exponential(0.05)
    shards: int = 1
    write_cost: float = 1.0
    replica_apply: float = 1.0

    def __post_init__(self) -> None:
        check_positive("capacity_qps", self.capacity_qps)
        check_real("write_cost", self.write_cost, low=0.0, high=100.0, low_open=True)
        check_real("replica_apply", self.replica_apply, low=0.0, high=10.0)
        check_int("concurrency", self.concurrency, low=1)
        if self.pool is not None:
            check_int("pool", self.pool, low=1)
        check_int("read_replicas", self.read_replicas, low=0, high=100)
        check_distribution("replication_lag", self.replication_lag)
        check_int("shards", self.shards, low=1, high=MAX_SERVERS)

    @property
    def mean_query_time(self) -> float:
        """Mean time of one read on a node, seconds (a write takes ``write_cost`` times
        as long)."""
        return self.concurrency / self.capacity_qps


@dataclass(frozen=True)
class Cache:
    """A look-aside cache in front of the database.

    Give either ``hit_ratio`` (each read hits with that probability) or ``size`` (an LRU
    holding that many keys, filled by misses, so the hit ratio follows the key skew).

    Parameters
    ----------
    hit_ratio : float, optional
        Fixed probability a read hits, in [0, 1].
    size : int, optional
        LRU capacity in keys (>= 1); needs a workload with ``keys``.
    latency : float
        Time of a cache lookup, seconds (>= 0).
    flush_at : float, optional
        Time at which an LRU cache loses everything (a restart or a crash), seconds (>= 0).
    warm : bool
        Start an LRU cache holding the ``size`` most popular keys (keys 0, 1, ...)
        instead of empty (filled at time 0: with a ``ttl`` they expire together); at
        most a million keys (``scalelab.run.MAX_WARM_KEYS``).
    ttl : float, optional
        Seconds an entry lives after it is filled or written (> 0).
    write_policy : str, optional
        One of ``WRITE_POLICIES``. None: ``"invalidate"`` if ``ttl`` or ``coalesce`` is
        set, else the plain LRU (a write deletes the key, then updates the database).
    refresh_ahead : float, optional
        In (0, 1): a hit on an entry past this fraction of its life starts one
        background refresh, so a hot key does not expire in the read path.
    ttl_jitter : float
        In [0, 1): an entry lives ``ttl * (1 - ttl_jitter * u)``, u uniform in [0, 1).
    stale_while_revalidate : float, optional
        Seconds past expiry during which a read gets the expired value at once while
        one background refresh runs (> 0).
    coalesce : bool
        Single flight: one database read per missing key; other readers wait for it.
    flush_interval : float, optional
        Seconds between write-behind flushes (> 0); default 1.

    Notes
    -----
    The keyed options need ``size``. Their figures, over the requests that arrived
    after the warm-up, are counters listed in :func:`scalelab.labs.cache_strategies`.
    """

    hit_ratio: float | None = None
    size: int | None = None
    latency: float = 0.0005
    flush_at: float | None = None
    warm: bool = False
    ttl: float | None = None
    write_policy: str | None = None
    refresh_ahead: float | None = None
    ttl_jitter: float = 0.0
    stale_while_revalidate: float | None = None
    coalesce: bool = False
    flush_interval: float | None = None
    _NEED_TTL = ("refresh_ahead", "ttl_jitter", "stale_while_revalidate")

    def __post_init__(self) -> None:
        if (self.hit_ratio is None) == (self.size is None):
            raise ValueError(
                f"hit_ratio={self.hit_ratio!r}, size={self.size!r}: give exactly one of them"
            )
        if self.hit_ratio is not None:
            check_probability("hit_ratio", self.hit_ratio)
        if self.size is not None:
            check_int("size", self.size, low=1)
        check_non_negative("latency", self.latency)
        if self.flush_at is not None:
            check_non_negative("flush_at", self.flush_at)
            if self.size is None:
                raise ValueError(
                    "flush_at needs an LRU cache (size=...); a fixed hit_ratio "
                    "has no contents to lose"
                )
        check_instance("warm", self.warm, bool, "True or False")
        if self.warm and self.size is None:
            raise ValueError("warm=True needs an LRU cache (size=...)")
        check_optional("ttl", self.ttl, check_positive)
        check_optional("write_policy", self.write_policy, check_choice, WRITE_POLICIES)
        check_real("ttl_jitter", self.ttl_jitter, low=0.0, high=1.0, high_open=True)
        kw = {"low": 0.0, "high": 1.0, "low_open": True, "high_open": True}
        check_optional("refresh_ahead", self.refresh_ahead, check_real, **kw)
        check_optional("stale_while_revalidate", self.stale_while_revalidate, check_positive)
        check_instance("coalesce", self.coalesce, bool, "True or False")
        check_optional("flush_interval", self.flush_interval, check_positive)
        for name in ("ttl", "write_policy", "coalesce", *self._NEED_TTL):
            value, need = getattr(self, name), "ttl" if name in self._NEED_TTL else "size"
            if value not in (None, 0.0, False) and getattr(self, need) is None:
                raise ValueError(f"{name}={value!r} needs {need}=...")
        if self.flush_interval is not None and self.write_policy != "write_behind":
            raise ValueError(f"flush_interval={self.flush_interval!r} needs write_behind")


@dataclass(frozen=True)
class RequestResponse:
    """Client -> load balancer -> app tier -> (cache) -> database, all synchronous.

    Parameters
    ----------
    app : AppTier
        The application servers.
    db : Database, optional
        The database every cache miss and every write reaches. None: app only.
    cache : Cache, optional
        Look-aside cache for reads.
    lb : LoadBalancer
        Policy spreading requests over the app servers.
    network : float
        One-way network delay per hop, seconds (>= 0).
    timeout : float, optional
        Client timeout, seconds (> 0). The client gives up; the servers keep working.
    """

    app: AppTier = AppTier()
    db: Database | None = None
    cache: Cache | None = None
    lb: LoadBalancer = LoadBalancer()
    network: float = 0.0005
    timeout: float | None = None

    def __post_init__(self) -> None:
        check_instance("app", self.app, AppTier, "an AppTier")
        if self.db is not None:
            check_instance("db", self.db, Database, "a Database")
        if self.cache is not None:
            check_instance("cache", self.cache, Cache, "a Cache")
            if self.db is None:
                raise ValueError("cache is set but db=None; a cache needs a database behind it")
        check_instance("lb", self.lb, LoadBalancer, "a LoadBalancer")
        check_non_negative("network", self.network)
        if self.timeout is not None:
            check_positive("timeout", self.timeout)


@dataclass(frozen=True)
class FanOut:
    """A request that fans out to ``fanout`` backend calls in parallel and answers when
    the last one returns (a search query over shards, a page built from many services).

    Parameters
    ----------
    fanout : int
        Backend calls per request, 1 to 1000.
    servers : int
        Backend servers, each with its own queue; each call picks one at random (>= 1).
    workers : int
        Concurrent calls one backend server handles (>= 1).
    service : Distribution
        Time of one backend call, seconds; e.g. ``Bimodal(0.01, 0.2, 0.01)`` for 1% slow.
    hedge_after : float, optional
        Send a second copy of a call to another server if the first has not answered
        after this many seconds (> 0); the slower copy is cancelled.
    network : float
        One-way network delay, seconds (>= 0).
    """

    fanout: int = 10
    servers: int = 50
    workers: int = 4
    service: Distribution = Exponential(0.01)
    hedge_after: float | None = None
    network: float = 0.0

    def __post_init__(self) -> None:
        check_int("fanout", self.fanout, low=1, high=1000)
        check_int("servers", self.servers, low=1, high=MAX_SERVERS)
        check_int("workers", self.workers, low=1)
        check_distribution("service", self.service)
        if self.hedge_after is not None:
            check_positive("hedge_after", self.hedge_after)
        check_non_negative("network", self.network)


@dataclass(frozen=True)
class BatchServer:
    """One server that processes requests in batches: a group commit, a producer sending
    batches, a consumer writing rows in bulk (the latency-vs-throughput lab of chapter 6).

    A batch of ``k`` requests costs ``overhead + k * per_item`` seconds: the fixed overhead
    (a round trip, an fsync, a transaction) is shared, so bigger batches raise capacity.
    The server starts a batch when it is free and work is waiting; with ``linger`` > 0 it
    first waits up to ``linger`` seconds after the batch's first request for the batch to
    fill (Kafka's ``linger.ms``). Simulated exactly by an event recursion over the arrival
    times (with ``batch_size = 1`` and no linger it is Lindley's recursion); the component
    ``name`` has ``batch_size`` slots, one per place in a batch, so its utilization is the
    mean number of requests in service over ``batch_size``.

    Parameters
    ----------
    batch_size : int
        Most requests per batch (>= 1).
    linger : float
        Seconds to wait after a batch's first request for the batch to fill (>= 0).
    overhead, per_item : float
        Cost of a batch, ``overhead + k * per_item`` seconds (>= 0, not both 0).
    name : str
        Label used in results.
    """

    batch_size: int = 1
    linger: float = 0.0
    overhead: float = 0.002
    per_item: float = 0.0002
    name: str = "server"

    def __post_init__(self) -> None:
        check_int("batch_size", self.batch_size, low=1)
        check_non_negative("linger", self.linger)
        check_non_negative("overhead", self.overhead)
        check_non_negative("per_item", self.per_item)
        if self.overhead == 0 and self.per_item == 0:
            raise ValueError("overhead=0 and per_item=0: a batch must take some time")

    @property
    def capacity(self) -> float:
        """Most requests per second it completes with full batches (a formula):
        ``batch_size / (overhead + batch_size * per_item)``."""
        return self.batch_size / (self.overhead + self.batch_size * self.per_item)

    def batch_cost(self, size: int) -> float:
        """Time of a batch of ``size`` items relative to a batch of one (a formula):
        ``(overhead + size * per_item) / (overhead + per_item)``. With the defaults a
        batch of 10 costs about 1.8 single items."""
        check_int("size", size, low=1)
        return (self.overhead + size * self.per_item) / (self.overhead + self.per_item)
