"""Scaling request-response (chapter 4): load balancing, app servers and connection
pools.

Each function runs seeded simulations (or, where named, a formula) and returns the data
of one figure. Defaults run in about a second or two (see ``benchmarks/labs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_int,
    check_ints,
    check_positive,
    check_reals,
)
from ..distributions import Bimodal, Distribution, Exponential
from ..results import SimulationResult
from ..run import simulate
from ..topology import LB_POLICIES, AppTier, Database, LoadBalancer, RequestResponse
from ..workload import Poisson
from ._units import check_requests, p99_or_inf

UNEVEN = Bimodal(0.005, 0.1, 0.05)
"""Requests of uneven cost: 95% take 5 ms, 5% take 100 ms."""

__all__ = [
    "UNEVEN",
    "BalancerComparison",
    "balancer_comparison",
    "HorizontalScaling",
    "horizontal_scaling",
    "PoolSizing",
    "pool_sizing",
]


def tier_utilization(result: SimulationResult, prefix: str) -> np.ndarray:
    """Utilization of each component of a tier (``prefix`` or ``prefix[i]``)."""
    return np.array(
        [
            c.utilization
            for name, c in result.components.items()
            if name == prefix or name.startswith(prefix + "[")
        ]
    )


@dataclass(frozen=True)
class BalancerComparison:
    """Load-balancing policies at several utilizations, same arrivals and request costs.

    Attributes
    ----------
    policies : tuple of str
    utilizations : numpy.ndarray
        Offered load as a fraction of the tier's capacity.
    p50, p99 : numpy.ndarray
        Client latency, seconds, shape (policies, utilizations).
    server_utilization : numpy.ndarray
        Per-server utilization, shape (policies, utilizations, servers).
    servers, workers : int
    service : Distribution
        Cost of one request.
    """

    policies: tuple[str, ...]
    utilizations: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    server_utilization: np.ndarray
    servers: int
    workers: int
    service: Distribution

    def highest_utilization(self, p99_target: float) -> dict[str, float]:
        """Per policy, the highest simulated utilization whose p99 meets ``p99_target``
        seconds (0 if none does)."""
        out = {}
        for i, policy in enumerate(self.policies):
            ok = self.utilizations[self.p99[i] <= p99_target]
            out[policy] = float(ok.max()) if ok.size else 0.0
        return out


def balancer_comparison(
    servers: int = 8,
    workers: int = 2,
    utilizations: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9),
    service: Distribution = UNEVEN,
    policies: tuple[str, ...] = LB_POLICIES,
    duration: float = 3.0,
    seed: int = 1,
) -> BalancerComparison:
    """Round robin, random, least connections and power of two choices when requests have
    uneven costs (by default 95% take 5 ms, 5% take 100 ms).

    Cost: about 57,000 simulated requests (~0.8 s on a laptop core); at most 2e6.

    Parameters
    ----------
    servers, workers : int
        App servers (>= 2) and workers per server (>= 1).
    utilizations : tuple of float
        Offered load as a fraction of capacity ``servers * workers / mean service``, each
        in (0, 1).
    service : Distribution
        Request cost, seconds.
    policies : tuple of str
        Policies from ``LB_POLICIES``.
    duration : float
        Simulated seconds per run (> 0).
    seed : int
        Seed; every run uses the same arrivals and costs.
    """
    check_int("servers", servers, low=2)
    check_int("workers", workers, low=1)
    utils = check_reals(
        "utilizations", utilizations, low=0.0, high=1.0, low_open=True, high_open=True
    )
    policies = tuple(policies)
    if not policies:
        raise ValueError("policies=() is empty; give at least one of " + ", ".join(LB_POLICIES))
    capacity = servers * workers / service.mean
    p50, p99, spread = [], [], []
    for policy in policies:
        system_ = RequestResponse(
            app=AppTier(servers=servers, workers=workers, service=service),
            lb=LoadBalancer(policy),
            network=0.0,
        )
        rows = [simulate(system_, Poisson(u * capacity), duration, seed=seed) for u in utils]
        p50.append([r.latency.p50 for r in rows])
        p99.append([p99_or_inf(r.latency) for r in rows])
        spread.append([tier_utilization(r, "app") for r in rows])
    return BalancerComparison(
        policies,
        np.array(utils),
        np.array(p50),
        np.array(p99),
        np.array(spread),
        servers,
        workers,
        service,
    )


@dataclass(frozen=True)
class HorizontalScaling:
    """Throughput and latency as app servers are added in front of one database.

    Attributes
    ----------
    servers : numpy.ndarray
    throughput : numpy.ndarray
        Completed requests per second.
    p99 : numpy.ndarray
        Client latency, seconds; a request turned away counts when the client learns
        it, so read it beside ``dropped``.
    app_utilization, db_utilization : numpy.ndarray
        Mean app server and database utilization.
    dropped : numpy.ndarray
        Fraction of requests turned away by full accept queues.
    load, app_capacity, db_capacity_qps : float
        Offered requests/s; what one app server can complete per second on its own
        (formula: workers / mean time a worker is held); the database's saturation QPS.
    """

    servers: np.ndarray
    throughput: np.ndarray
    p99: np.ndarray
    app_utilization: np.ndarray
    db_utilization: np.ndarray
    dropped: np.ndarray
    load: float
    app_capacity: float
    db_capacity_qps: float


def horizontal_scaling(
    servers: tuple[int, ...] = (1, 2, 3, 4, 6, 8),
    load: float = 1500.0,
    db_capacity_qps: float = 1000.0,
    workers: int = 8,
    mean_service: float = 0.02,
    duration: float = 6.0,
    seed: int = 1,
) -> HorizontalScaling:
    """Add app servers behind a least-connections balancer while every request makes one
    database query. Each server's accept queue holds ``workers`` requests and turns the
    rest away, so the measured throughput is what the tier can really complete.

    Cost: about 54,000 simulated requests (~1.1 s on a laptop core); at most 2e6.

    Parameters
    ----------
    servers : tuple of int
        App server counts to try (each >= 1).
    load : float
        Offered requests per second (> 0).
    db_capacity_qps : float
        Database saturation throughput (> 0).
    workers : int
        Worker threads per app server (>= 1).
    mean_service : float
        Mean CPU time of the app's own work per request, seconds (> 0).
    duration : float
        Simulated seconds per run (> 0), enough for 100 requests.
    seed : int
    """
    counts = check_ints("servers", servers, 1)
    check_positive("load", load)
    check_requests(load, duration, f"load={load!r}, duration={duration!r}")
    db = Database(capacity_qps=db_capacity_qps, concurrency=8)
    check_positive("mean_service", mean_service)
    rows = []
    for n in counts:
        app = AppTier(
            servers=n, workers=workers, service=Exponential(mean_service), queue_limit=workers
        )
        r = simulate(
            RequestResponse(app=app, db=db, lb=LoadBalancer("least_connections")),
            Poisson(load),
            duration,
            seed=seed,
        )
        rows.append(
            (
                r.throughput,
                p99_or_inf(r.latency),
                tier_utilization(r, "app").mean(),
                r.components["db"].utilization,
                r.counts.dropped / r.counts.generated,
            )
        )
    cols = np.array(rows).T
    held = mean_service + db.mean_query_time + 4 * 0.0005
    return HorizontalScaling(
        np.array(counts),
        *cols,
        load=float(load),
        app_capacity=workers / held,
        db_capacity_qps=float(db_capacity_qps),
    )


@dataclass(frozen=True)
class PoolSizing:
    """Latency against the size of the connection pool to the database.

    Attributes
    ----------
    pools : numpy.ndarray
        Connections in the pool.
    p50, p99 : numpy.ndarray
        Client latency, seconds.
    pool_wait, db_wait : numpy.ndarray
        Mean time a request waited for a connection, and inside the database for a free
        execution slot, seconds.
    in_use : float
        Connections busy on average (Little's law: load x query time), a formula.
    db_concurrency : int
        Queries the database executes at once.
    load : float
    """

    pools: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    pool_wait: np.ndarray
    db_wait: np.ndarray
    in_use: float
    db_concurrency: int
    load: float


def pool_sizing(
    pools: tuple[int, ...] = (4, 5, 6, 8, 16, 64),
    load: float = 700.0,
    db_capacity_qps: float = 1000.0,
    db_concurrency: int = 8,
    duration: float = 6.0,
    seed: int = 1,
) -> PoolSizing:
    """Four app servers share one pool of connections to the database; each request holds
    a connection for one query.

    Cost: about 25,000 simulated requests (~0.9 s on a laptop core); at most 2e6.

    Parameters
    ----------
    pools : tuple of int
        Pool sizes to try (each >= 1).
    load : float
        Requests per second (> 0).
    db_capacity_qps : float
        Database saturation throughput (> 0).
    db_concurrency : int
        Queries the database executes at once (>= 1).
    duration : float
    seed : int
    """
    sizes = check_ints("pools", pools, 1)
    check_positive("load", load)
    rows = []
    for pool in sizes:
        db = Database(capacity_qps=db_capacity_qps, concurrency=db_concurrency, pool=pool)
        system_ = RequestResponse(
            app=AppTier(servers=4, workers=64, service=Exponential(0.005)),
            db=db,
            lb=LoadBalancer("least_connections"),
        )
        r = simulate(system_, Poisson(load), duration, seed=seed)
        b = r.breakdown()
        rows.append((r.latency.p50, p99_or_inf(r.latency), b["db.pool.wait"], b["db.wait"]))
    cols = np.array(rows).T
    query_time = db_concurrency / db_capacity_qps
    return PoolSizing(
        np.array(sizes),
        *cols,
        in_use=load * query_time,
        db_concurrency=db_concurrency,
        load=float(load),
    )
