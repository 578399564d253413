"""Queueing formulas the simulator is validated against.

All rates are per second and all times are seconds. Each model returns a
:class:`QueueMetrics`. Where no steady state exists (utilization >= 1) the functions
raise :class:`ValueError` explaining why, rather than returning an infinite or NaN mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_int, check_non_negative, check_positive, check_real
from .topology import MAX_SERVERS
from .workload import MAX_CLIENTS, MAX_KEYS

__all__ = [
    "QueueMetrics",
    "littles_law",
    "erlang_b",
    "erlang_c",
    "mm1",
    "mmc",
    "md1",
    "mg1",
    "mm1_response_quantile",
    "closed_loop_throughput",
    "mmc_wait_quantile",
    "mmc_response_quantile",
    "lru_hit_ratio",
    "stale_read_fraction",
    "partitions_needed",
    "drain_time",
    "DatabaseLoad",
    "database_load",
]


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state figures of a queueing model.

    Attributes
    ----------
    utilization : float
        Fraction of time each server is busy, ``arrival_rate / (servers * service_rate)``.
    prob_wait : float
        Probability an arrival has to queue.
    mean_wait : float
        Mean time in the queue before service, seconds.
    mean_response : float
        Mean time in the system (wait + service), seconds.
    mean_queue_length : float
        Mean number waiting (Little's law on ``mean_wait``).
    mean_in_system : float
        Mean number in the system (Little's law on ``mean_response``).
    """

    utilization: float
    prob_wait: float
    mean_wait: float
    mean_response: float
    mean_queue_length: float
    mean_in_system: float


def littles_law(arrival_rate: float, mean_time: float) -> float:
    """Mean number in a stable system, ``L = lambda * W`` (Little, 1961).

    Parameters
    ----------
    arrival_rate : float
        Long-run arrival (= departure) rate, per second (>= 0).
    mean_time : float
        Mean time an item spends in the system, seconds (>= 0).

    Returns
    -------
    float
        Mean number of items in the system.
    """
    return check_non_negative("arrival_rate", arrival_rate) * check_non_negative(
        "mean_time", mean_time
    )


def _utilization(arrival_rate: float, service_rate: float, servers: int) -> float:
    lam = check_positive("arrival_rate", arrival_rate)
    mu = check_positive("service_rate", service_rate)
    rho = lam / (servers * mu)
    if rho >= 1:
        raise ValueError(
            f"no steady state: utilization arrival_rate/(servers*service_rate) = "
            f"{lam:g}/({servers}*{mu:g}) = {rho:.3g} >= 1, so the queue grows without bound; "
            "utilization must be < 1"
        )
    return rho


def _metrics(lam: float, rho: float, prob_wait: float, wait: float, service: float) -> QueueMetrics:
    return QueueMetrics(
        utilization=rho,
        prob_wait=prob_wait,
        mean_wait=wait,
        mean_response=wait + service,
        mean_queue_length=lam * wait,
        mean_in_system=lam * (wait + service),
    )


def erlang_b(servers: int, offered_load: float) -> float:
    """Probability that an arrival finds all servers busy and is lost, when there is no
    waiting room (M/M/c/c, Erlang B). Holds for any service-time distribution.

    Parameters
    ----------
    servers : int
        Number of servers c (>= 1).
    offered_load : float
        ``arrival_rate * mean_service`` in erlangs (> 0); may exceed ``servers``.

    Returns
    -------
    float
        Blocking probability, in (0, 1).
    """
    c = check_int("servers", servers, low=1, high=MAX_SERVERS)
    a = check_positive("offered_load", offered_load)
    blocking = 1.0
    for k in range(1, c + 1):  # stable recursion B(k) = a B(k-1) / (k + a B(k-1))
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Parameters
    ----------
    servers : int
        Number of servers c (>= 1).
    offered_load : float
        ``arrival_rate / service_rate`` in erlangs, in (0, servers).

    Returns
    -------
    float
        Probability of waiting, in [0, 1).
    """
    c = check_int("servers", servers, low=1)
    a = check_real(
        "offered_load", offered_load, low=0.0, high=float(c), low_open=True, high_open=True
    )
    blocking = erlang_b(c, a)
    return c * blocking / (c - a * (1 - blocking))


def mm1(arrival_rate: float, service_rate: float) -> QueueMetrics:
    """M/M/1: Poisson arrivals, exponential service, one server.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per second (> 0).
    service_rate : float
        Completions per second of a busy server (> arrival_rate).
    """
    rho = _utilization(arrival_rate, service_rate, 1)
    wait = rho / (service_rate - arrival_rate)
    return _metrics(arrival_rate, rho, rho, wait, 1 / service_rate)


def mmc(arrival_rate: float, service_rate: float, servers: int) -> QueueMetrics:
    """M/M/c: Poisson arrivals, exponential service, c servers sharing one FCFS queue.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per second (> 0).
    service_rate : float
        Completions per second of one busy server (> 0).
    servers : int
        Number of servers c (>= 1); utilization ``arrival_rate / (c * service_rate)`` < 1.
    """
    c = check_int("servers", servers, low=1)
    rho = _utilization(arrival_rate, service_rate, c)
    p_wait = erlang_c(c, arrival_rate / service_rate)
    wait = p_wait / (c * service_rate - arrival_rate)
    return _metrics(arrival_rate, rho, p_wait, wait, 1 / service_rate)


def mg1(arrival_rate: float, mean_service: float, scv: float) -> QueueMetrics:
    """M/G/1 by the Pollaczek-Khinchine formula, ``Wq = rho * S * (1 + scv) / (2 (1 - rho))``.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per second (> 0).
    mean_service : float
        Mean service time S, seconds (> 0, with ``arrival_rate * S < 1``).
    scv : float
        Squared coefficient of variation of the service time (>= 0); 0 is deterministic,
        1 exponential.
    """
    s = check_positive("mean_service", mean_service)
    scv = check_non_negative("scv", scv)
    rho = _utilization(arrival_rate, 1 / s, 1)
    wait = rho * s * (1 + scv) / (2 * (1 - rho))
    return _metrics(arrival_rate, rho, rho, wait, s)


def md1(arrival_rate: float, service_rate: float) -> QueueMetrics:
    """M/D/1: Poisson arrivals, constant service time ``1 / service_rate``; half the M/M/1 wait.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per second (> 0).
    service_rate : float
        Completions per second (> arrival_rate).
    """
    check_positive("service_rate", service_rate)
    return mg1(arrival_rate, 1 / service_rate, 0.0)


def mm1_response_quantile(arrival_rate: float, service_rate: float, q: float) -> float:
    """The q-quantile of M/M/1 response time, which is exponential with rate ``mu - lambda``.

    Parameters
    ----------
    arrival_rate, service_rate : float
        Per second, with ``arrival_rate < service_rate``.
    q : float
        Quantile in [0, 1), e.g. 0.99 for p99.

    Returns
    -------
    float
        Seconds.
    """
    _utilization(arrival_rate, service_rate, 1)
    q = check_real("q", q, low=0.0, high=1.0, high_open=True)
    return -math.log1p(-q) / (service_rate - arrival_rate)


def mmc_wait_quantile(arrival_rate: float, service_rate: float, servers: int, q: float) -> float:
    """The q-quantile of the M/M/c queueing delay: ``P(Wq > t) = C exp(-(c mu - lambda) t)``.

    Parameters
    ----------
    arrival_rate, service_rate : float
        Per second.
    servers : int
        Number of servers (>= 1).
    q : float
        Quantile in [0, 1).

    Returns
    -------
    float
        Seconds (0 when at least a fraction q of arrivals do not wait).
    """
    m = mmc(arrival_rate, service_rate, servers)
    q = check_real("q", q, low=0.0, high=1.0, high_open=True)
    if q <= 1 - m.prob_wait:
        return 0.0
    return math.log(m.prob_wait / (1 - q)) / (servers * service_rate - arrival_rate)


def mmc_response_quantile(
    arrival_rate: float, service_rate: float, servers: int, q: float
) -> float:
    """The q-quantile of the M/M/c response time (wait plus service), solved from its
    exact distribution: ``P(T > t) = (1 - C) e^(-mu t) + C P(W + S > t)``, where a waiting
    request's wait ``W`` is exponential with rate ``theta = c mu - lambda`` and ``S`` with
    rate ``mu``, so ``P(W + S > t) = (theta e^(-mu t) - mu e^(-theta t)) / (theta - mu)``.

    Parameters
    ----------
    arrival_rate, service_rate : float
        Per second, with ``arrival_rate < servers * service_rate``.
    servers : int
        Number of servers (>= 1).
    q : float
        Quantile in [0, 1).

    Returns
    -------
    float
        Seconds. For one server it equals :func:`mm1_response_quantile`.
    """
    m = mmc(arrival_rate, service_rate, servers)
    q = check_real("q", q, low=0.0, high=1.0, high_open=True)
    mu, theta, c = service_rate, servers * service_rate - arrival_rate, m.prob_wait

    def tail(t: float) -> float:
        if math.isclose(theta, mu, rel_tol=1e-9):
            both = (1 + mu * t) * math.exp(-mu * t)  # Erlang-2 tail when the rates meet
        else:
            both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1 - c) * math.exp(-mu * t) + c * both

    lo, hi = 0.0, 1.0 / mu
    while tail(hi) > 1 - q:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tail(mid) > 1 - q else (lo, mid)
    return (lo + hi) / 2


def closed_loop_throughput(clients: int, mean_service: float, think_time: float) -> float:
    """Throughput of ``clients`` users cycling between a think time and one exponential
    FCFS server, by exact mean value analysis (Reiser and Lavenberg, 1980).

    Parameters
    ----------
    clients : int
        Number of users N (>= 1).
    mean_service : float
        Mean service time S, seconds (> 0).
    think_time : float
        Mean think time Z, seconds (>= 0).

    Returns
    -------
    float
        Requests per second; never above ``1 / mean_service``.
    """
    n_users = check_int("clients", clients, low=1, high=MAX_CLIENTS)
    s = check_positive("mean_service", mean_service)
    z = check_non_negative("think_time", think_time)
    queue = 0.0
    throughput = 0.0
    for n in range(1, n_users + 1):
        response = s * (1 + queue)
        throughput = n / (response + z)
        queue = throughput * response
    return throughput


def _probabilities(name: str, probabilities: object) -> np.ndarray:
    size = len(probabilities) if hasattr(probabilities, "__len__") else 0
    if size > MAX_KEYS:
        raise ValueError(
            f"{name} has {size:,} keys, above {MAX_KEYS:,}; use the distribution of the "
            "hottest keys (their tail adds little to a hit ratio)"
        )
    p = np.asarray(probabilities, dtype=float)
    if (
        p.ndim != 1
        or p.size == 0
        or not np.all(np.isfinite(p))
        or np.any(p < 0)
        or not math.isclose(float(p.sum()), 1.0, rel_tol=1e-6)
    ):
        raise ValueError(
            f"{name} must be a non-empty 1-D array of probabilities >= 0 "
            f"summing to 1; got {p.size} values summing to {float(p.sum()):g}"
        )
    return p


def lru_hit_ratio(probabilities: object, size: int) -> float:
    """Hit ratio of an LRU cache holding ``size`` keys under independent requests, by Che's
    approximation (Che, Tung and Wang, 2002; Fricker, Robert and Roberts, 2012).

    The characteristic time ``T`` solves ``sum(1 - exp(-p_k T)) = size``; key ``k`` is in
    the cache with probability ``1 - exp(-p_k T)``.

    Parameters
    ----------
    probabilities : array of float
        Request probability of each key (>= 0, summing to 1), e.g. ``Zipf(...).probabilities()``.
    size : int
        Cache capacity in keys (>= 1).

    Returns
    -------
    float
        Fraction of requests that hit, in [0, 1].
    """
    p = _probabilities("probabilities", probabilities)
    size = check_int("size", size, low=1)
    if size >= np.count_nonzero(p):
        return 1.0
    lo, hi = 0.0, 1.0
    while np.sum(-np.expm1(-p * hi)) < size:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.sum(-np.expm1(-p * mid)) < size else (lo, mid)
    return float(np.sum(p * -np.expm1(-p * hi)))


def stale_read_fraction(probabilities: object, write_rate: float, mean_lag: float) -> float:
    """Fraction of replica reads that miss the latest write of their key, when writes to
    key ``k`` arrive as a Poisson stream at ``write_rate * p_k`` and each becomes visible
    on the replica after an exponential lag with mean ``mean_lag`` (reads and writes pick
    keys with the same popularity).

    A read is stale when the key's latest write is younger than its lag:
    ``P = w m / (1 + w m)`` for a key written at rate ``w``, averaged over keys.

    Parameters
    ----------
    probabilities : array of float
        Popularity of each key (>= 0, summing to 1).
    write_rate : float
        Writes per second over all keys (>= 0).
    mean_lag : float
        Mean replication lag, seconds (>= 0).

    Returns
    -------
    float
        In [0, 1).
    """
    p = _probabilities("probabilities", probabilities)
    wm = p * check_non_negative("write_rate", write_rate) * check_non_negative("mean_lag", mean_lag)
    return float(np.sum(p * wm / (1.0 + wm)))


def partitions_needed(
    target_rate: float, per_partition_rate: float, per_consumer_rate: float
) -> int:
    """Partitions a topic needs: ``max(ceil(t / p), ceil(t / c))`` for a target throughput
    ``t``, what one partition can take from producers ``p`` and what one consumer can
    process ``c`` (Rao, 2015), since a partition is read by one consumer of a group.

    Parameters
    ----------
    target_rate, per_partition_rate, per_consumer_rate : float
        Messages per second (> 0).

    Returns
    -------
    int
    """
    t = check_positive("target_rate", target_rate)
    p = check_positive("per_partition_rate", per_partition_rate)
    c = check_positive("per_consumer_rate", per_consumer_rate)
    return max(math.ceil(t / p), math.ceil(t / c))


def drain_time(backlog: float, capacity: float, arrival_rate: float) -> float:
    """Seconds to work off ``backlog`` messages when consumers process ``capacity``
    messages/s and new ones keep arriving at ``arrival_rate``: ``backlog / (capacity -
    arrival_rate)``.

    Parameters
    ----------
    backlog : float
        Messages waiting (>= 0).
    capacity, arrival_rate : float
        Messages per second, ``capacity > arrival_rate >= 0`` (otherwise it never drains).

    Returns
    -------
    float
    """
    backlog = check_non_negative("backlog", backlog)
    capacity = check_positive("capacity", capacity)
    arrival_rate = check_non_negative("arrival_rate", arrival_rate)
    if arrival_rate >= capacity:
        raise ValueError(
            f"arrival_rate={arrival_rate!r} >= capacity={capacity!r}: the "
            "backlog never drains; arrival_rate must be < capacity"
        )
    return backlog / (capacity - arrival_rate)


@dataclass(frozen=True)
class DatabaseLoad:
    """Queries per second that reach a database behind a look-aside cache.

    Attributes
    ----------
    reads : float
        Reads that miss the cache, queries/s.
    writes : float
        Writes, queries/s (every write reaches the database).
    """

    reads: float
    writes: float

    @property
    def total(self) -> float:
        """``reads + writes``, queries/s."""
        return self.reads + self.writes


def database_load(rate: float, read_fraction: float = 1.0, hit_ratio: float = 0.0) -> DatabaseLoad:
    """The load behind a cache, one query per request: reads ``rate * read_fraction *
    (1 - hit_ratio)`` and writes ``rate * (1 - read_fraction)``, queries per second.

    Parameters
    ----------
    rate : float
        Requests per second (>= 0).
    read_fraction : float
        Share of requests that read, in [0, 1].
    hit_ratio : float
        Share of reads the cache answers, in [0, 1].

    Returns
    -------
    DatabaseLoad
    """
    rate = check_non_negative("rate", rate)
    read_fraction = check_real("read_fraction", read_fraction, low=0.0, high=1.0)
    misses = rate * read_fraction * (1 - check_real("hit_ratio", hit_ratio, low=0.0, high=1.0))
    return DatabaseLoad(reads=misses, writes=rate * (1 - read_fraction))
