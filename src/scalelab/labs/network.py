"""Stateless tiers, bytes on the wire and the broker's network: the question's claims
about app servers, bandwidth, load "spread over time" and independent consumer groups,
each computed. The data behind chapter 8's "The question's other claims" and chapter 5's
"Many consumer groups".

Everything here is a formula except :func:`spread_over_time`, which simulates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_int,
    check_ints,
    check_non_negative,
    check_positive,
    check_real,
    check_reals,
)
from .bottlenecks import LADDER_USERS
from .estimation import Scenario, envelope
from .sync_async import sync_vs_async

__all__ = [
    "NIC_GBPS",
    "AppTierRow",
    "app_tier",
    "Hop",
    "Bandwidth",
    "bandwidth",
    "BrokerNetwork",
    "broker_network",
    "Spread",
    "spread_over_time",
]

NIC_GBPS = 10.0
"""Network bandwidth of one server, Gbit/s each way, sustained: an assumption. Cloud
instances of 4-16 vCPUs offer "up to" 10-25 Gbit/s as a burst over a baseline of about
1.25-5; a 10 Gbit/s baseline takes an instance of about 32 vCPUs or a network-optimised
one, and the largest offer 100-200 (AWS EC2 instance documentation, 2024)."""


@dataclass(frozen=True)
class AppTierRow:
    """App servers for one user count and one per-server capacity (formula).

    Attributes
    ----------
    users : float
    load : float
        Peak requests/s (users x rate per user).
    capacity : float
        Requests/s one app server handles.
    servers : int
        Servers at the target utilization.
    monthly_cost : float
        ``servers x monthly_price``, dollars.
    """

    users: float
    load: float
    capacity: float
    servers: int
    monthly_cost: float


def app_tier(
    users: tuple[float, ...] = LADDER_USERS,
    rate_per_user: float = 0.1,
    capacities: tuple[float, ...] = (500.0, 1_000.0, 5_000.0),
    target_utilization: float = 0.7,
    monthly_price: float = 150.0,
) -> list[AppTierRow]:
    """Size the stateless app tier at each user count (formula: the envelope's rule,
    ``ceil(load / (capacity x target_utilization))``).

    The tier is the same size in both architectures: every request passes through an app
    (API) server once; event-driven moves the work behind it to consumers, not the work in
    it (chapter 6's cost table).

    Parameters
    ----------
    users : tuple of float
        User counts (each > 0).
    rate_per_user : float
        Peak requests/s per user, in (0, 10].
    capacities : tuple of float
        Requests/s one server handles (each > 0); 500-5,000 for a typical service.
    target_utilization : float
        In (0, 1].
    monthly_price : float
        Assumed monthly price of one app server, dollars (>= 0); chapter 6's default.

    Returns
    -------
    list of AppTierRow
        One per (user count, capacity), users outermost.
    """
    check_reals("users", users, low=0.0, low_open=True)
    check_real("rate_per_user", rate_per_user, low=0.0, high=10.0, low_open=True)
    check_reals("capacities", capacities, low=0.0, low_open=True)
    check_non_negative("monthly_price", monthly_price)
    rows = []
    for n in users:
        for capacity in capacities:
            s = Scenario(
                users=float(n),
                requests_per_user_per_day=rate_per_user * 86_400,
                peak_factor=1.0,
                app_capacity=float(capacity),
                target_utilization=target_utilization,
            )
            servers = envelope(s).app_servers
            rows.append(
                AppTierRow(
                    float(n), n * rate_per_user, float(capacity), servers, servers * monthly_price
                )
            )
    return rows


@dataclass(frozen=True)
class Hop:
    """One network hop of a request's path.

    Attributes
    ----------
    name : str
    bytes_per_request : float
        Bytes both ways on this hop for one request.
    after_log : bool
        True when the hop happens after the broker's log, so consumers sized for the
        average rate carry it at the average, not at the peak.
    """

    name: str
    bytes_per_request: float
    after_log: bool = False


@dataclass(frozen=True)
class Bandwidth:
    """Bytes on the wire for one architecture (formula: rate x bytes per hop, summed).

    Attributes
    ----------
    architecture : str
    hops : tuple of Hop
    rate : float
        Average requests/s.
    peak_factor : float
    """

    architecture: str
    hops: tuple[Hop, ...]
    rate: float
    peak_factor: float

    @property
    def bytes_per_request(self) -> float:
        """Bytes on all hops for one request."""
        return sum(h.bytes_per_request for h in self.hops)

    @property
    def average(self) -> float:
        """Bytes per second over all hops at the average rate."""
        return self.rate * self.bytes_per_request

    @property
    def peak(self) -> float:
        """Bytes per second at the peak: hops before the log at the peak rate, hops after
        it at the average (consumers sized for the average; the log holds the rest)."""
        return sum(
            self.rate * (1 if h.after_log else self.peak_factor) * h.bytes_per_request
            for h in self.hops
        )


def bandwidth(
    rate: float = 1_000.0,
    peak_factor: float = 3.0,
    request_bytes: float = 1_000.0,
    response_bytes: float = 1_000.0,
    ack_bytes: float = 100.0,
    calls: int = 3,
    attempts: float = 1.0,
    replication: int = 3,
    groups: int = 1,
) -> tuple[Bandwidth, Bandwidth]:
    """Bytes per hop for the same write done synchronously and through a log (formula).

    Request-response: ``calls`` synchronous hops in a chain (client -> API -> service ->
    database for 3), each carrying the request and a response, ``attempts`` times on
    average (retries resend; chapter 7). Event-driven: the client gets an acknowledgement;
    the API produces the message (the request's bytes) to the broker, which copies it to
    ``replication - 1`` followers and serves it once to each of ``groups`` consumer groups;
    one group's consumer is the chain's first service, and makes the same ``calls - 2``
    further hops (to the database for 3).

    Parameters
    ----------
    rate : float
        Average requests/s (> 0).
    peak_factor : float
        Peak over average, in [1, 100].
    request_bytes, response_bytes, ack_bytes : float
        Payload sizes, bytes (> 0); the message is the request.
    calls : int
        Hops in the synchronous chain, 1 to 20.
    attempts : float
        Mean tries per call on each synchronous hop, in [1, 100].
    replication : int
        Copies the broker keeps, 1 to 10.
    groups : int
        Consumer groups reading the topic, 1 to 10,000.

    Returns
    -------
    (Bandwidth, Bandwidth)
        Request-response, then event-driven.
    """
    check_positive("rate", rate)
    check_real("peak_factor", peak_factor, low=1.0, high=100.0)
    for name, value in (
        ("request_bytes", request_bytes),
        ("response_bytes", response_bytes),
        ("ack_bytes", ack_bytes),
    ):
        check_positive(name, value)
    check_int("calls", calls, low=1, high=20)
    check_real("attempts", attempts, low=1.0, high=100.0)
    check_int("replication", replication, low=1, high=10)
    check_int("groups", groups, low=1, high=10_000)
    exchange = request_bytes + response_bytes
    chain = ["client <-> API"] + [f"call {i} downstream" for i in range(1, calls)]
    sync = tuple(Hop(name, attempts * exchange) for name in chain)
    async_ = (
        Hop("client <-> API", request_bytes + ack_bytes),
        Hop("API -> broker", request_bytes + ack_bytes),
        Hop("broker replication", request_bytes * (replication - 1)),
        Hop("broker -> consumer groups", request_bytes * groups, after_log=True),
        *(Hop(name, exchange, after_log=True) for name in chain[2:]),
    )
    return (
        Bandwidth("request-response", sync, float(rate), float(peak_factor)),
        Bandwidth("event-driven", async_, float(rate), float(peak_factor)),
    )


@dataclass(frozen=True)
class BrokerNetwork:
    """A broker cluster's network as consumer groups are added (formula).

    Leaders and followers are spread evenly over the brokers. Each broker receives its
    share of the produced bytes for every copy (``ingress x replication / brokers``) and
    sends its share to the followers (``ingress x (replication - 1) / brokers``) and to
    every group (``ingress x groups / brokers``): egress grows with the groups.

    Attributes
    ----------
    groups : numpy.ndarray
        Consumer groups.
    ingress : float
        Bytes/s produced.
    per_broker_in, per_broker_out : float, numpy.ndarray
        Bytes/s one broker receives and sends (per group count).
    nic : float
        Bytes/s one broker's network carries each way.
    brokers : int
    target_utilization : float
    brokers_needed : numpy.ndarray
        Brokers whose network stays at or under the target at each group count (at
        least ``replication``, one per copy).
    max_groups : int
        Most groups ``brokers`` carry at the target utilization (0 if not even one).
    lag_growth : numpy.ndarray
        Messages/s each group falls behind when egress exceeds the network, groups
        sharing what replication leaves (fluid formula). Optimistic: a Kafka broker does
        not serve followers first, so its in-sync replicas shrink too.
    message_bytes : float
    """

    groups: np.ndarray
    ingress: float
    per_broker_in: float
    per_broker_out: np.ndarray
    nic: float
    brokers: int
    target_utilization: float
    brokers_needed: np.ndarray
    max_groups: int
    lag_growth: np.ndarray
    message_bytes: float

    @property
    def utilization(self) -> np.ndarray:
        """Busiest direction of one broker's network over its capacity, per group count."""
        return np.maximum(self.per_broker_out, self.per_broker_in) / self.nic


def broker_network(
    message_rate: float = 1_000_000.0,
    message_bytes: float = 1_000.0,
    groups: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
    replication: int = 3,
    brokers: int = 6,
    nic_gbps: float = NIC_GBPS,
    target_utilization: float = 0.7,
) -> BrokerNetwork:
    """How many consumer groups a broker cluster's network carries (formula).

    Parameters
    ----------
    message_rate : float
        Messages/s produced (> 0).
    message_bytes : float
        Bytes per message (> 0), after compression.
    groups : tuple of int
        Group counts to evaluate, each 1 to 10,000.
    replication : int
        Copies kept, 1 to 10 and at most ``brokers``.
    brokers : int
        Brokers in the cluster, 1 to 10,000.
    nic_gbps : float
        One broker's network, Gbit/s each way (> 0).
    target_utilization : float
        In (0, 1].

    Returns
    -------
    BrokerNetwork
    """
    check_positive("message_rate", message_rate)
    check_positive("message_bytes", message_bytes)
    check_ints("groups", groups, low=1, high=10_000)
    check_int("replication", replication, low=1, high=10)
    check_int("brokers", brokers, low=replication, high=10_000)
    check_positive("nic_gbps", nic_gbps)
    check_real("target_utilization", target_utilization, low=0.0, high=1.0, low_open=True)
    g = np.asarray(groups, dtype=float)
    ingress = message_rate * message_bytes
    nic = nic_gbps * 1e9 / 8
    copies_out = ingress * (replication - 1)
    usable = nic * target_utilization
    served = max(nic * brokers - copies_out, 0.0)
    return BrokerNetwork(
        groups=g,
        ingress=ingress,
        per_broker_in=ingress * replication / brokers,
        per_broker_out=(copies_out + ingress * g) / brokers,
        nic=nic,
        brokers=brokers,
        target_utilization=float(target_utilization),
        brokers_needed=np.maximum(
            np.ceil(np.maximum(copies_out + ingress * g, ingress * replication) / usable - 1e-9),
            replication,
        ).astype(int),
        max_groups=max(math.floor(usable * brokers / ingress - (replication - 1) + 1e-9), 0),
        lag_growth=np.maximum(message_rate - served / g / message_bytes, 0.0),
        message_bytes=float(message_bytes),
    )


@dataclass(frozen=True)
class Spread:
    """What a log spreads over time and what it does not (simulated: chapter 1's spike).

    Attributes
    ----------
    times : numpy.ndarray
        Start of each 1-s bin, seconds.
    arrivals : numpy.ndarray
        Requests/s reaching the API: the bytes on the wire follow it, in both designs.
    async_db : numpy.ndarray
        Database writes/s done by the consumers (event-driven).
    sync_replies : numpy.ndarray
        Successful replies/s (request-response): what it did not finish in time it shed.
    spike : tuple of float
        Start and end, seconds.
    db_capacity_qps : float
    drained_at : float
        First second after the spike at which the event-driven lag is back under 1% of
        its peak (inf if it never is within the run).
    """

    times: np.ndarray
    arrivals: np.ndarray
    async_db: np.ndarray
    sync_replies: np.ndarray
    spike: tuple[float, float]
    db_capacity_qps: float
    drained_at: float

    @staticmethod
    def peak_to_average(series: np.ndarray) -> float:
        """Highest 1-s value over the mean of the series."""
        return float(series.max() / series.mean())


def spread_over_time(seed: int = 1) -> Spread:
    """Run chapter 1's spike both ways (:func:`sync_vs_async` at its defaults: 200
    requests/s, 600 for 5 s, a database doing 400 writes/s) and compare, second by
    second, what arrives with what the database does. Simulates about 20,000 requests
    (under a second).

    Parameters
    ----------
    seed : int

    Returns
    -------
    Spread
    """
    run = sync_vs_async(seed=seed)
    lag = run.async_.timeseries("lag", bin_width=1.0)
    calm = (lag.t >= run.spike[1]) & (lag.values <= 0.01 * lag.values.max())
    arrivals = run.async_.timeseries("arrivals", bin_width=1.0)
    return Spread(
        times=arrivals.t,
        arrivals=arrivals.values,
        async_db=run.async_.timeseries("db.completions", bin_width=1.0).values,
        sync_replies=run.sync.timeseries("throughput", bin_width=1.0).values,
        spike=run.spike,
        db_capacity_qps=run.db_capacity_qps,
        drained_at=float(lag.t[calm][0]) if calm.any() else math.inf,
    )
