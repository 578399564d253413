"""The three case studies' designs: each a named set of assumptions (its users' peak
rate and read/write mix, and the components of its request-response and event-driven
designs, with their capacities and unit limits). :mod:`scalelab.labs.cases` takes them
from 100 to 100 million users.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .._validate import check_int, check_real
from .bottlenecks import ARCHITECTURES, LADDER_USERS, Assumptions

__all__ = ["STYLES", "TIERS", "UNLIMITED", "Component", "CaseStudy", "CASES"]

STYLES = ARCHITECTURES
"""The two designs of every case: ``"request-response"`` and ``"event-driven"``."""

TIERS = LADDER_USERS
"""The user counts of every case: 100, 10,000, 1,000,000 and 100,000,000 at peak."""

UNLIMITED = 10**9
"""A unit limit that stands for "add as many as the load needs" (stateless tiers)."""
CAPACITIES = Assumptions()
"""Chapter 3's capacities, which every case uses except where a case's docstring says
otherwise: app 1,000 req/s, database 1,200 queries/s (the bottom of chapter 3's
1,000-50,000 range per node), partition 10,000 messages/s, consumer 150 messages/s."""
PARTITION_LIMIT = 12
"""Partitions a topic is created with (an assumption: Kafka can add partitions in place,
but the keys then move and partitions can never be removed, so the limit stands for "a
planned change", not a wall)."""
READ_UNIT_LIMIT = 5
"""Read units (a primary and four replicas) before reads need a cache or sharding (an
assumption; 3-15 replicas are typical limits of managed databases)."""
DB_CONCURRENCY = 4


@dataclass(frozen=True)
class Component:
    """One component of a design: its work per request and what one unit of it handles.

    Parameters
    ----------
    name : str
        What the text calls it ("database writes", "payment provider").
    capacity : float
        Operations per second one unit completes (> 0).
    per_read, per_write : float
        Operations the component does per read and per write request (>= 0).
    per_user : float
        Operations per second per user at peak that no request rate carries (>= 0), such
        as a celebrity's fan-out, which grows with the followers and so with the users.
    servers : int
        Operations one unit works on at once, 1 to 1,000 (its concurrency in the
        simulated unit; mean work ``servers / capacity`` seconds).
    max_units : int
        Units the design can add before it needs a redesign, 1 to ``UNLIMITED``: 1 for a
        write primary or a third party's account, the partition count for a topic,
        ``UNLIMITED`` for a stateless tier.
    fix : str
        The redesign (or, for an unlimited component, the scaling) it needs.
    """

    name: str = "component"
    capacity: float = 1_000.0
    per_read: float = 0.0
    per_write: float = 0.0
    per_user: float = 0.0
    servers: int = 1
    max_units: int = UNLIMITED
    fix: str = "add units"

    def __post_init__(self) -> None:
        check_real("capacity", self.capacity, low=0.0, low_open=True)
        for name in ("per_read", "per_write", "per_user"):
            check_real(name, getattr(self, name), low=0.0)
        if self.per_read + self.per_write + self.per_user == 0:
            raise ValueError(
                f"component {self.name!r} does no work: per_read, per_write and per_user "
                "are all 0; allowed: at least one of them > 0"
            )
        check_int("servers", self.servers, low=1, high=1_000)
        check_int("max_units", self.max_units, low=1, high=UNLIMITED)


@dataclass(frozen=True)
class CaseStudy:
    """A case: its users' requests and both of its designs (every number an assumption).

    Parameters
    ----------
    name : str
        Key in :data:`CASES`.
    title : str
        What the text calls it.
    rate_per_user : float
        Requests per second per user at peak, in (0, 10].
    read_fraction : float
        Share of requests that only read, in [0, 1).
    peak_factor : float
        Peak over the daily average, in [1, 100] (for the envelope's daily figures).
    hit_ratio : float
        Share of reads a cache answers, in [0, 1) (0: no cache in the design).
    bytes_per_write, bytes_per_response : float
        Stored bytes per write and bytes per response (> 0), for the envelope.
    designs : dict of str to tuple of Component
        Per style in :data:`STYLES`, the components of that design (required).
    """

    name: str = "custom"
    title: str = "A case of your own"
    rate_per_user: float = 0.1
    read_fraction: float = 0.9
    peak_factor: float = 3.0
    hit_ratio: float = 0.0
    bytes_per_write: float = 1_000.0
    bytes_per_response: float = 5_000.0
    designs: dict[str, tuple[Component, ...]] | None = None

    def __post_init__(self) -> None:
        check_real("rate_per_user", self.rate_per_user, low=0.0, high=10.0, low_open=True)
        check_real("read_fraction", self.read_fraction, low=0.0, high=1.0, high_open=True)
        check_real("peak_factor", self.peak_factor, low=1.0, high=100.0)
        check_real("hit_ratio", self.hit_ratio, low=0.0, high=1.0, high_open=True)
        check_real("bytes_per_write", self.bytes_per_write, low=0.0, low_open=True)
        check_real("bytes_per_response", self.bytes_per_response, low=0.0, low_open=True)
        if self.designs is None or set(self.designs) != set(STYLES):
            raise ValueError(
                f"designs={self.designs!r} must give the components of each style in {STYLES}"
            )

    def with_load(self, reads: float = 1.0, writes: float = 1.0) -> CaseStudy:
        """The same case with reads and writes per user multiplied by ``reads`` and
        ``writes`` (each in [0, 1000], not both 0): ``writes=10`` is "ten times the
        writes", ``reads=0.5`` one of two regions that each serve half the readers.

        Cost: a formula, no simulation.
        """
        reads = check_real("reads", reads, low=0.0, high=1_000.0)
        writes = check_real("writes", writes, low=0.0, high=1_000.0)
        r = self.rate_per_user * self.read_fraction * reads
        w = self.rate_per_user * (1 - self.read_fraction) * writes
        if w == 0:
            raise ValueError(f"writes={writes!r} leaves no writes; allowed range (0, 1000]")
        return replace(self, rate_per_user=r + w, read_fraction=r / (r + w))


_PAYMENT = Component(
    "payment provider",
    1_000.0,
    per_write=1.0,
    servers=100,
    max_units=1,
    fix="ask for a higher limit or spread charges over accounts (a queue only buys time: "
    "a rate held above the limit grows the lag without end)",
)
_PUSH = Component(
    "push gateway",
    10_000.0,
    per_write=30.0,
    servers=100,
    max_units=1,
    fix="ask for a higher quota, collapse notifications, drop or expire low-value pushes",
)


def _api(name: str) -> Component:
    return Component(name, CAPACITIES.app_capacity, per_read=1.0, per_write=1.0, fix="add servers")


def _db(name: str, per_read: float = 0.0, per_write: float = 0.0, **kw: object) -> Component:
    return Component(
        name, CAPACITIES.db_capacity_qps, per_read, per_write, servers=DB_CONCURRENCY, **kw
    )


def _partitions(per_write: float) -> Component:
    return Component(
        "partitions",
        CAPACITIES.partition_throughput,
        per_write=per_write,
        max_units=PARTITION_LIMIT,
        fix="add partitions (keys move: per-key order breaks across the change; they cannot "
        "be removed)",
    )


def _consumers(per_write: float) -> Component:
    return Component(
        "consumers",
        CAPACITIES.consumer_rate,
        per_write=per_write,
        max_units=PARTITION_LIMIT,
        fix="add partitions and one consumer per partition",
    )


_SHARD_ORDERS = "shard orders by customer ID"
_ORDER_READS = "cache order status; replicas per shard"
_HOT_STOCK = (
    "split the item's stock into several counters, or reserve from a queue per item whose "
    "consumer batches decrements or counts in memory and reconciles"
)

ORDERS = CaseStudy(
    name="orders",
    title="Placing an order",
    rate_per_user=0.05,
    read_fraction=0.5,
    bytes_per_write=2_000.0,
    bytes_per_response=2_000.0,
    designs={
        "request-response": (
            _api("app servers"),
            _db("database writes", per_write=4.0, max_units=1, fix=_SHARD_ORDERS),
            _db("database reads", per_read=1.0, max_units=READ_UNIT_LIMIT, fix=_ORDER_READS),
            _PAYMENT,
            Component(
                "hottest item's stock row", 500.0, per_write=0.002, max_units=1, fix=_HOT_STOCK
            ),
        ),
        "event-driven": (
            _api("API servers"),
            _db("database writes", per_write=4.0, max_units=1, fix=_SHARD_ORDERS),
            _db("database reads", per_read=1.0, max_units=READ_UNIT_LIMIT, fix=_ORDER_READS),
            _partitions(1.0),
            _consumers(1.0),
            _PAYMENT,
            # the topic is keyed by order, so one item's orders spread over partitions:
            # the limit is still the item's stock row
            Component(
                "hottest item's stock row", 500.0, per_write=0.002, max_units=1, fix=_HOT_STOCK
            ),
        ),
    },
)
"""Placing an order (write-heavy, money). Assumptions: 0.05 requests/s per user at peak
(0.01-0.2), half of them writes (order status reads are the rest; real shops are far more
read-heavy, so the write share, and with it the 100-million tier's orders, is an upper
bound); a write is four queries (order, line items, stock, payment record; 2-10); one card
authorization per order at a provider that allows about 1,000 calls/s per account
(assumed; Stripe's default is about 100/s, raised on request; range 100-10,000; source:
Stripe's rate limits page, cited in chapter 12); the best-selling item takes 0.2% of
orders in a sale (0.1-5%), and its stock row takes about 500 updates/s (a row lock held
~2 ms; 200-2,000); 2,000 bytes per order (1-10 KB) and a peak three times the daily
average (2-10). Capacities are chapter 3's (:data:`CAPACITIES`), whose ranges chapter 8
sources."""

_SHARD_INBOX = "shard inboxes by recipient"
LARGEST_ACCOUNT_SHARE = 0.10
"""Share of all users who follow the largest account (an assumption: follower counts follow
a power law, and the top accounts of large networks are followed by a double-digit
percentage of users; range 1-30%)."""
LARGEST_ACCOUNT_POSTS = 1 / 60
"""Posts per second by the largest account at peak (an assumption: once a minute)."""
CELEBRITY_CALLS = 1_000.0
"""Calls per second one post request makes to the notification service (an assumption:
about 1 ms a call with enough concurrency; 100-10,000)."""
NOTIFICATION_CONSUMER_RATE = 300.0
"""Inbox messages per second one event-driven notification consumer handles (an
assumption, twice chapter 3's 150/s consumer because a message is one small row written
in a batch; 150-1,000)."""
_CELEBRITY = (
    "fan out in pages (one message per thousand followers) or pull celebrities' posts at read time"
)

NOTIFICATIONS = CaseStudy(
    name="notifications",
    title="Notifying followers",
    rate_per_user=0.1,
    read_fraction=0.9,
    bytes_per_write=200.0,
    bytes_per_response=4_000.0,
    designs={
        "request-response": (
            _api("API servers"),
            Component(
                "notification service", CAPACITIES.app_capacity, per_write=100.0, fix="add servers"
            ),
            _db("inbox writes", per_write=100.0, max_units=1, fix=_SHARD_INBOX),
            _db(
                "inbox reads",
                per_read=1.0,
                max_units=READ_UNIT_LIMIT,
                fix="cache inboxes; replicas per shard",
            ),
            _PUSH,
            Component(
                "celebrity fan-out",
                CELEBRITY_CALLS,
                per_user=LARGEST_ACCOUNT_SHARE * LARGEST_ACCOUNT_POSTS,
                max_units=1,
                fix=_CELEBRITY,
            ),
        ),
        "event-driven": (
            _api("API servers"),
            _partitions(100.0),
            Component(
                "consumers",
                NOTIFICATION_CONSUMER_RATE,
                per_write=100.0,
                max_units=PARTITION_LIMIT,
                fix="add partitions and one consumer per partition",
            ),
            _db(
                "inbox writes",
                per_write=18.0,
                max_units=1,
                fix=_SHARD_INBOX + " (consumers already batch 10 rows a query)",
            ),
            _db(
                "inbox reads",
                per_read=1.0,
                max_units=READ_UNIT_LIMIT,
                fix="cache inboxes; replicas per shard",
            ),
            _PUSH,
            Component(
                "celebrity fan-out",
                CAPACITIES.consumer_rate,
                per_user=LARGEST_ACCOUNT_SHARE * LARGEST_ACCOUNT_POSTS,
                max_units=1,
                fix=_CELEBRITY,
            ),
        ),
    },
)
"""Notifying followers (fan-out, spikes). Assumptions: 0.1 requests/s per user at peak
(0.02-0.5), 90% of them inbox reads and 10% posts (80-98% reads); 100 followers notified
per post on average (10-1,000); 30% of them get a push (10-60%; the gateway takes
10,000/s per project, FCM's 600,000 messages a minute, cited in chapter 12, raised on
request; range 1,000-100,000); the largest account is followed by
``LARGEST_ACCOUNT_SHARE`` of users and posts ``LARGEST_ACCOUNT_POSTS`` times a
second, a fan-out one request (``CELEBRITY_CALLS`` a second) or one consumer must do;
event-driven consumers handle ``NOTIFICATION_CONSUMER_RATE`` messages/s and write inbox
rows in batches of 10, each batch costing about 1.8 single writes (chapter 6's batch
cost)."""

_EDGE = "serve hot products from the edge (a CDN) and from each app server's memory"

CATALOGUE = CaseStudy(
    name="catalogue",
    title="Browsing a product catalogue",
    rate_per_user=0.2,
    read_fraction=0.99,
    hit_ratio=0.9,
    bytes_per_write=2_000.0,
    bytes_per_response=20_000.0,
    designs={
        style: (
            _api("app servers" if style == "request-response" else "API servers"),
            Component(
                "cache",
                100_000.0,
                per_read=1.0,
                max_units=1,
                fix="cluster the cache (keys spread over nodes)",
            ),
            Component(
                "hottest product's cache node", 100_000.0, per_read=0.02, max_units=1, fix=_EDGE
            ),
            _db(
                "database reads (misses)",
                per_read=0.1,
                max_units=READ_UNIT_LIMIT,
                fix="raise the hit ratio (a larger cache) and add replicas",
            ),
            _db(
                "database writes",
                per_write=1.0,
                max_units=1,
                fix="shard the catalogue by item (only if sellers' writes grow with shoppers)",
            ),
        )
        + ((_partitions(1.0), _consumers(1.0)) if style == "event-driven" else ())
        for style in STYLES
    },
)
"""Browsing a product catalogue (read-heavy). Assumptions: 0.2 requests/s per user at
peak, 99% reads; a cache answers 90% of reads (80-99%) and one cache node takes about
100,000 operations/s (50,000-1,000,000: one Redis-style node, by request size and
pipelining); the most viewed product takes 2% of views
(Zipf-like popularity; 0.5-10%); pages of 20 KB (5-100 KB); sellers' updates are 1% of
requests and so grow with shoppers (an upper bound: sellers' writes really grow with the
catalogue and its sellers, not with shoppers); in the event-driven design, sellers'
updates go through a topic whose consumers update the database and invalidate the
cache."""

CASES = {c.name: c for c in (ORDERS, NOTIFICATIONS, CATALOGUE)}
"""The three cases by name: ``"orders"``, ``"notifications"``, ``"catalogue"``."""
