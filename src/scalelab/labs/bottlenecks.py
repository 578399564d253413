"""The bottleneck ladder: what gives out first as users grow, in each architecture.

Every rung starts from the same naive deployment (what a small team runs on day one) and
asks which component saturates first at that many users. Utilizations are formulas
(load / capacity); the deployment is simulated directly where the load is small enough
to simulate request by request, and the fixed design is simulated as one representative
unit (one database shard, one partition with its consumer) at its share of the load,
which stands for all units by symmetry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_choice, check_int, check_positive, check_real
from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, EventDriven
from ..resilience import Client
from ..run import simulate
from ..topology import AppTier, Database, LoadBalancer, RequestResponse
from ..workload import Poisson
from ._units import unit_p99

__all__ = [
    "ARCHITECTURES",
    "LADDER_USERS",
    "Assumptions",
    "Rung",
    "ladder",
    "utilizations",
    "NaiveRuns",
    "naive_runs",
    "naive_system",
    "LadderPoint",
    "ladder_point",
    "UtilizationCurves",
    "utilization_curves",
]

ARCHITECTURES = ("request-response", "event-driven")
LADDER_USERS = (100, 10_000, 1_000_000, 100_000_000)
SIMULATE_UP_TO = 2_000.0  # requests/s: above this the naive deployment is not simulated
DB_CONCURRENCY = 4
NETWORK = 0.0005


@dataclass(frozen=True)
class Assumptions:
    """Every number the ladder depends on; each is an assumption with a range.

    Parameters
    ----------
    rate_per_user : float
        Peak requests per second per user, in (0, 10]; 0.1 means one request every ten
        seconds at peak. Typical products see 0.01-1.
    app_capacity : float
        Requests/s one app (API) server handles (> 0); 500-5,000 for a typical service.
    app_servers : int
        App servers in the naive deployment.
    db_capacity_qps : float
        Queries/s one database node completes (> 0); ~1,000-50,000 depending on query
        shape and hardware (one query per request here).
    partitions : int
        Partitions in the naive event-driven deployment.
    partition_throughput : float
        Messages/s one partition appends (> 0); ~10,000 for 1 KB messages.
    consumers : int
        Consumers in the naive deployment (at most one per partition is active).
    consumer_rate : float
        Messages/s one consumer processes, its database write included (> 0); must leave
        room for that write (one query at ``4 / db_capacity_qps`` s plus 1 ms of network).
    target_utilization : float
        Utilization the fixes size for, in (0, 1]; 0.7 keeps clear of the knee, 1 sizes
        with no headroom (one unit then has no steady state: its p99 is unbounded).
    """

    rate_per_user: float = 0.1
    app_capacity: float = 1_000.0
    app_servers: int = 2
    db_capacity_qps: float = 1_200.0
    partitions: int = 1
    partition_throughput: float = 10_000.0
    consumers: int = 2
    consumer_rate: float = 150.0
    target_utilization: float = 0.7

    def __post_init__(self) -> None:
        check_real("rate_per_user", self.rate_per_user, low=0.0, high=10.0, low_open=True)
        for name in ("app_capacity", "db_capacity_qps", "partition_throughput", "consumer_rate"):
            check_positive(name, getattr(self, name))
        check_real("target_utilization", self.target_utilization, low=0.0, high=1.0, low_open=True)
        if self.consumer_own_time <= 0:
            raise ValueError(
                f"consumer_rate={self.consumer_rate:g} leaves no time for the consumer's "
                f"own work: its database write alone takes {self._write_time * 1000:.2f} ms; "
                f"allowed range (0, {1 / self._write_time:.4g})"
            )

    @property
    def _write_time(self) -> float:
        return DB_CONCURRENCY / self.db_capacity_qps + 2 * NETWORK

    @property
    def consumer_own_time(self) -> float:
        """A consumer's own work per message, seconds: 1 / consumer_rate minus the write."""
        return 1 / self.consumer_rate - self._write_time


def utilizations(
    users: float, architecture: str, a: Assumptions = Assumptions()
) -> dict[str, float]:
    """Utilization of each component of the naive deployment at ``users`` (a formula:
    offered load / capacity; above 1 the component is overloaded by that factor).

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    users : float
        Users at peak (>= 1).
    architecture : str
        One of ``ARCHITECTURES``.
    a : Assumptions
        Capacities and rates.
    """
    check_real("users", users, low=1.0)
    check_choice("architecture", architecture, ARCHITECTURES)
    load = users * a.rate_per_user
    app = load / (a.app_servers * a.app_capacity)
    if architecture == "request-response":
        return {"app servers": app, "database": load / a.db_capacity_qps}
    active = min(a.consumers, a.partitions)
    consumed = min(load, active * a.consumer_rate)
    return {
        "API servers": app,
        "partitions": load / (a.partitions * a.partition_throughput),
        "consumers": load / (active * a.consumer_rate),
        "database": consumed / a.db_capacity_qps,
    }


FIXES = {
    "app servers": "add app servers behind the load balancer (stateless)",
    "API servers": "add API servers behind the load balancer (stateless)",
    "database": "cache reads, add read replicas, then shard by key",
    "consumers": "add partitions and one consumer per partition",
    "partitions": "add partitions (and brokers to host them)",
}


@dataclass(frozen=True)
class Rung:
    """One architecture at one user count.

    Attributes
    ----------
    users : int
        Users at peak.
    load : float
        Requests per second (users x rate per user).
    architecture : str
        ``"request-response"`` or ``"event-driven"``.
    utilization : dict of str to float
        Per component, formula (load / capacity).
    bottleneck : str
        The most utilized component.
    simulated : bool
        Whether the naive deployment was simulated at this load.
    p99 : float or None
        Simulated p99, seconds: client latency, timeouts counted at 1 s
        (request-response), or time until the work is done (event-driven); None when not
        simulated.
    failed_fraction : float or None
        Simulated share of requests timed out (request-response, 1 s timeout).
    lag_growth : float or None
        Simulated growth of consumer lag, messages/s (event-driven).
    fix : str
        What the bottleneck needs ("nothing yet" below the target utilization).
    units : int
        Instances of the bottleneck component the fix needs at the target utilization.
    unit_p99 : float
        Simulated p99 of one unit of the fixed design at its share of the load, seconds
        (inf when sized at 100%: the unit has no steady state).
    """

    users: int
    load: float
    architecture: str
    utilization: dict[str, float]
    bottleneck: str
    simulated: bool
    p99: float | None
    failed_fraction: float | None
    lag_growth: float | None
    fix: str
    units: int
    unit_p99: float


def _capacity_of(component: str, a: Assumptions) -> float:
    return {
        "app servers": a.app_capacity,
        "API servers": a.app_capacity,
        "database": a.db_capacity_qps,
        "consumers": a.consumer_rate,
        "partitions": a.partition_throughput,
    }[component]


def naive_system(
    architecture: str = "request-response", a: Assumptions = Assumptions()
) -> RequestResponse | EventDriven:
    """The naive deployment every rung starts from, as the ladder simulates it.

    Each app server has 64 workers and ``1 / app_capacity`` seconds of mean work per
    request (1 ms at the default): many threads and fast work, so the app tier never
    limits the simulated runs (at most 2,000 requests/s), while the utilization formulas
    plan with ``app_capacity`` per server. Fewer workers with the formulas' capacity (8
    workers, 8 ms) would make the workers, held through each database call, run out
    before the database does: a thread-pool effect the formulas do not model. One
    database node of ``db_capacity_qps``
    (4 queries at once, a pool of 32); event-driven: the same app tier publishes to a
    broker of ``partitions`` partitions, read by ``consumers`` consumers that write to
    that database.

    Parameters
    ----------
    architecture : str
        One of ``ARCHITECTURES``.
    a : Assumptions
        Rates and capacities.
    """
    check_choice("architecture", architecture, ARCHITECTURES)
    app = AppTier(servers=a.app_servers, workers=64, service=Exponential(1 / a.app_capacity))
    db = Database(capacity_qps=a.db_capacity_qps, concurrency=DB_CONCURRENCY, pool=32)
    if architecture == "request-response":
        return RequestResponse(
            app=app, db=db, lb=LoadBalancer("least_connections"), network=NETWORK
        )
    return EventDriven(
        broker=Broker(partitions=a.partitions, partition_throughput=a.partition_throughput),
        consumers=ConsumerGroup(consumers=a.consumers, processing=Exponential(a.consumer_own_time)),
        front=app,
        db=db,
        network=NETWORK,
    )


def _unit_p99(component: str, share: float, a: Assumptions, seed: int) -> float:
    """p99 of one unit of the fixed design carrying ``share`` requests/s (simulated)."""
    if component == "database":
        return unit_p99(share, DB_CONCURRENCY, DB_CONCURRENCY / a.db_capacity_qps, 20_000, seed)
    if component in ("consumers", "partitions"):
        share = min(share, a.target_utilization * a.consumer_rate)
        return unit_p99(share, 1, 1 / a.consumer_rate, 20_000, seed)
    return unit_p99(share, 1, 1 / _capacity_of(component, a), 20_000, seed)


def _rung(users: int, architecture: str, a: Assumptions, seed: int, duration: float) -> Rung:
    util = utilizations(users, architecture, a)
    load = users * a.rate_per_user
    bottleneck = max(util, key=util.get)
    simulated = load <= SIMULATE_UP_TO
    p99 = failed = growth = None
    if simulated:
        system = naive_system(architecture, a)
        client = Client(timeout=1.0) if architecture == "request-response" else None
        result = simulate(
            system, Poisson(load, read_fraction=1.0), duration, seed=seed, client=client
        )
        if architecture == "request-response":
            p99 = result.latency.p99
            failed = result.counts.timed_out / max(result.counts.generated, 1)
        else:
            p99 = result.completion.p99
            lag = result.timeseries("lag", bin_width=1.0)
            keep = lag.t >= duration / 2
            growth = float(np.polyfit(lag.t[keep], lag.values[keep], 1)[0])
    capacity = _capacity_of(bottleneck, a)
    units = max(1, math.ceil(load / (capacity * a.target_utilization)))
    fix = FIXES[bottleneck] if util[bottleneck] > a.target_utilization else "nothing yet"
    return Rung(
        users,
        load,
        architecture,
        util,
        bottleneck,
        simulated,
        p99,
        failed,
        growth,
        fix,
        units,
        _unit_p99(bottleneck, load / units, a, seed),
    )


def ladder(
    users: tuple[int, ...] = LADDER_USERS,
    a: Assumptions = Assumptions(),
    seed: int = 1,
    duration: float = 20.0,
) -> list[Rung]:
    """Both architectures at each user count (see the module docstring for what is
    simulated, scaled and computed).

    Cost: about 200,000 simulated requests (~1.3 s on a laptop core); at most 2e6.

    Parameters
    ----------
    users : tuple of int
        User counts, each >= 1.
    a : Assumptions
        Rates and capacities.
    seed : int
        Seed (>= 0).
    duration : float
        Simulated seconds for the naive deployment, at least 4 (the lag's growth is
        fitted over the second half of the run, in 1 s bins).
    """
    check_real("duration", duration, low=4.0)
    return [
        _rung(int(check_real("users[]", u, low=1.0)), arch, a, seed, duration)
        for u in users
        for arch in ARCHITECTURES
    ]


@dataclass(frozen=True)
class NaiveRuns:
    """Both naive deployments simulated at one user count.

    Attributes
    ----------
    users : int
        Users at peak.
    sync, async_ : SimulationResult
        Request-response (clients time out after 1 s) and event-driven runs.
    utilization : dict of str to dict of str to float
        Formula utilizations per architecture.
    """

    users: int
    sync: object
    async_: object
    utilization: dict[str, dict[str, float]]


def naive_runs(
    users: int = 15_000, a: Assumptions = Assumptions(), duration: float = 20.0, seed: int = 1
) -> NaiveRuns:
    """Simulate both naive deployments at ``users`` (at most 2,000 requests/s).

    Cost: about 60,000 simulated requests (~2.2 s on a laptop core); at most 2e6.

    Parameters
    ----------
    users : int
        Users at peak; ``users * rate_per_user`` must be at most 2,000 requests/s.
    a : Assumptions
        Rates and capacities.
    duration : float
        Simulated seconds (> 0).
    seed : int
        Seed (>= 0).
    """
    load = check_real("users", users, low=1.0) * a.rate_per_user
    if load > SIMULATE_UP_TO:
        raise ValueError(
            f"users={users} means {load:g} requests/s; at most "
            f"{SIMULATE_UP_TO:g}/s are simulated request by request"
        )
    workload = Poisson(load, read_fraction=1.0)
    return NaiveRuns(
        users=int(users),
        sync=simulate(
            naive_system("request-response", a),
            workload,
            duration,
            seed=seed,
            warmup=0.0,
            client=Client(timeout=1.0),
        ),
        async_=simulate(naive_system("event-driven", a), workload, duration, seed=seed, warmup=0.0),
        utilization={arch: utilizations(users, arch, a) for arch in ARCHITECTURES},
    )


@dataclass(frozen=True)
class LadderPoint:
    """One architecture's naive deployment at one user count (formulas only).

    Attributes
    ----------
    users, load : float
        Users at peak and requests per second.
    architecture : str
    utilization : dict of str to float
        Per component, load / capacity.
    bottleneck : str
        The most utilized component.
    fix : str
        What it needs ("nothing yet" below the target utilization).
    target_utilization : float
    """

    users: float
    load: float
    architecture: str
    utilization: dict[str, float]
    bottleneck: str
    fix: str
    target_utilization: float


def ladder_point(
    users: float = 10_000.0, architecture: str = "request-response", rate_per_user: float = 0.1
) -> LadderPoint:
    """What gives out first at ``users`` (chapter 3's live widget), with the other
    assumptions at their defaults.

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    users : float
        Users at peak (>= 1).
    architecture : str
        One of ``ARCHITECTURES``.
    rate_per_user : float
        Peak requests per second per user, in (0, 10].
    """
    a = Assumptions(rate_per_user=rate_per_user)
    util = utilizations(users, architecture, a)
    worst = max(util, key=util.get)
    fix = FIXES[worst] if util[worst] > a.target_utilization else "nothing yet"
    return LadderPoint(
        float(users), users * a.rate_per_user, architecture, util, worst, fix, a.target_utilization
    )


@dataclass(frozen=True)
class UtilizationCurves:
    """Utilization of every component of both naive deployments against users (formula).

    Attributes
    ----------
    users : numpy.ndarray
        Users at peak.
    utilization : dict of str to dict of str to numpy.ndarray
        Per architecture, per component.
    saturates_at : dict of str to dict of str to float or None
        Per architecture, per component: the first user count on the grid at which the
        component is saturated (utilization >= 1); None if it never is.
    target_utilization : float
    """

    users: np.ndarray
    utilization: dict[str, dict[str, np.ndarray]]
    saturates_at: dict[str, dict[str, float | None]]
    target_utilization: float


def utilization_curves(
    a: Assumptions = Assumptions(), low: float = 100.0, high: float = 1e8, points: int = 200
) -> UtilizationCurves:
    """:func:`utilizations` on a log-spaced grid of user counts, for both architectures.

    Cost: a formula, no simulation (well under a millisecond).

    Parameters
    ----------
    a : Assumptions
    low, high : float
        Range of users, ``1 <= low < high``.
    points : int
        Grid points, 2 to 10,000.
    """
    check_real("low", low, low=1.0)
    check_real("high", high, low=low, low_open=True)
    users = np.geomspace(low, high, check_int("points", points, low=2, high=10_000))
    curves, crossings = {}, {}
    for arch in ARCHITECTURES:
        rows = [utilizations(u, arch, a) for u in users]
        curves[arch] = {name: np.array([r[name] for r in rows]) for name in rows[0]}
        crossings[arch] = {
            name: float(users[np.argmax(v >= 1)]) if (v >= 1).any() else None
            for name, v in curves[arch].items()
        }
    return UtilizationCurves(users, curves, crossings, a.target_utilization)
