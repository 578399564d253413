"""Failure modes (chapter 7): retry amplification, metastable failure and its defences,
a cold cache, and backoff jitter, each reproduced by one function returning the data of
one figure.

Every function is seeded and runs in about a second with its defaults (see
``benchmarks/labs.py``). All figures are simulated by :func:`scalelab.simulate`;
formulas shown beside them are labelled as formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_bins, check_int, check_positive, check_probability, check_real
from ..distributions import Deterministic, Exponential
from ..resilience import JITTERS, Backoff, CircuitBreaker, Client, RetryBudget
from ..results import Status
from ..run import simulate
from ..topology import AppTier, Cache, Database, RequestResponse, Station
from ..workload import Burst, Poisson, Spike, Zipf
from ._units import WARM_CACHE_KEYS, check_requests

__all__ = [
    "RetryAmplification",
    "retry_amplification",
    "MetastableFailure",
    "metastable_failure",
    "retry_storm",
    "ColdCacheCollapse",
    "cold_cache_collapse",
    "JitterContention",
    "jitter_contention",
]


def _mean_in(t: np.ndarray, values: np.ndarray, lo: float, hi: float) -> float:
    inside = (t >= lo) & (t < hi)
    return float(values[inside].mean()) if inside.any() else 0.0


@dataclass(frozen=True)
class RetryAmplification:
    """Goodput and work per success against offered load, for several retry counts.

    Attributes
    ----------
    load : numpy.ndarray
        Offered load of first attempts, as a multiple of capacity.
    retries : tuple of int
        Retry counts, one row each.
    goodput : numpy.ndarray
        Successful requests per second / capacity, shape (len(retries), len(load)).
    attempts_per_request : numpy.ndarray
        Calls sent per request: the load amplification, at most ``1 + retries``.
    work_per_success : numpy.ndarray
        Server work done per successful request, in units of one request's work.
    capacity : float
        Requests per second the server completes when busy.
    """

    load: np.ndarray
    retries: tuple[int, ...]
    goodput: np.ndarray
    attempts_per_request: np.ndarray
    work_per_success: np.ndarray
    capacity: float


def retry_amplification(
    loads: tuple[float, ...] = (0.5, 0.8, 1.0, 1.2, 1.5, 2.0),
    retries: tuple[int, ...] = (0, 1, 3),
    capacity: float = 50.0,
    timeout: float = 0.2,
    queue_limit: int = 10,
    duration: float = 20.0,
    seed: int = 1,
) -> RetryAmplification:
    """Retries multiply load: offered load against goodput with 0, 1 and 3 retries.

    One exponential server of ``capacity`` requests/s with room for ``queue_limit``
    waiting requests (a full queue refuses at once); clients time out after ``timeout``
    seconds and retry immediately; the server keeps working on requests whose client has
    given up. Past saturation every failure comes back as more load: calls per request
    approach ``1 + retries`` and goodput falls below what no retries would achieve.

    Cost: about 21,000 simulated requests (~0.4 s on a laptop core); at most 2e6.

    Parameters
    ----------
    loads : tuple of float
        First-attempt load as multiples of capacity, each in (0, 5].
    retries : tuple of int
        Retry counts to compare, each 0 to 10.
    capacity : float
        Server throughput when busy, requests/s (> 0).
    timeout : float
        Client timeout, seconds (> 0).
    queue_limit : int
        Waiting room of the server (>= 0).
    duration : float
        Simulated seconds per point (> 0), enough for 100 first attempts at each load.
    seed : int
        Seed (>= 0).
    """
    check_positive("capacity", capacity)
    check_positive("timeout", timeout)
    rho = np.array([check_real("loads[]", x, low=0.0, high=5.0, low_open=True) for x in loads])
    given = f"loads={loads!r}, capacity={capacity!r}, duration={duration!r}"
    check_requests(rho.min() * capacity, duration, given)
    tries = tuple(check_int("retries[]", r, low=0, high=10) for r in retries)
    station = Station(servers=1, service=Exponential(1 / capacity), queue_limit=queue_limit)
    goodput = np.zeros((len(tries), rho.size))
    work = np.zeros_like(goodput)
    attempts = np.zeros_like(goodput)
    for i, r in enumerate(tries):
        for j, x in enumerate(rho):
            result = simulate(
                station,
                Poisson(x * capacity),
                duration,
                seed=seed,
                client=Client(timeout=timeout, retries=r),
            )
            goodput[i, j] = result.throughput / capacity
            busy = result.components["server"].utilization * capacity
            work[i, j] = busy / max(result.throughput, 1.0 / result.window)
            attempts[i, j] = result.counters["client.attempts"] / result.counts.generated
    return RetryAmplification(rho, tries, goodput, attempts, work, float(capacity))


VARIANTS = (
    "no retries",
    "retries",
    "retries + budget",
    "retries + breaker",
    "retries + deadline shedding",
)


@dataclass(frozen=True)
class MetastableFailure:
    """Goodput over time around a short load spike, for each defence.

    Attributes
    ----------
    t : numpy.ndarray
        Bin start times, seconds.
    goodput : dict of str to numpy.ndarray
        Successful requests per second in each bin, per variant (see ``VARIANTS``).
    phases : dict of str to dict of str to float
        Mean goodput per variant ``"before"``, ``"during"`` and ``"after"`` the trigger
        (the last quarter of the run, well after it).
    spike : tuple of float
        Start and end of the load spike, seconds.
    capacity : float
        Server throughput when busy, requests/s.
    base_load : float
        Load outside the spike, requests/s.
    """

    t: np.ndarray
    goodput: dict[str, np.ndarray]
    phases: dict[str, dict[str, float]]
    spike: tuple[float, float]
    capacity: float
    base_load: float


def metastable_failure(
    capacity: float = 50.0,
    base_load: float = 0.7,
    spike_load: float = 2.0,
    spike_start: float = 20.0,
    spike_length: float = 5.0,
    timeout: float = 0.5,
    retries: int = 3,
    duration: float = 80.0,
    seed: int = 1,
    bin_width: float = 1.0,
) -> MetastableFailure:
    """A collapse that outlives its trigger, and the defences that end it.

    A server at ``base_load`` x capacity takes a spike of ``spike_load`` x capacity for
    ``spike_length`` seconds. Clients time out after ``timeout`` s and retry up to
    ``retries`` times with full-jitter backoff. Without retries the backlog drains and
    goodput returns; with them, timed-out work plus retries keep the server saturated
    with useless work after the spike is over (Bronson et al., 2021). A retry budget of
    10%, a circuit breaker, or deadline-based load shedding each let it recover.

    Cost: about 40,000 simulated requests (~0.6 s on a laptop core); at most 2e6.

    Parameters
    ----------
    capacity : float
        Server throughput when busy, requests/s (> 0).
    base_load, spike_load : float
        Loads as multiples of capacity: base in (0, 1), spike in (0, 10].
    spike_start, spike_length : float
        When the spike starts and how long it lasts, seconds.
    timeout : float
        Client timeout, seconds (> 0).
    retries : int
        Retries per request, 1 to 10.
    duration : float
        Simulated seconds; must leave room after the spike.
    seed : int
        Seed (>= 0).
    bin_width : float
        Width of the goodput bins, seconds, at least ``duration / 1,000,000``.
    """
    check_positive("capacity", capacity)
    check_real("base_load", base_load, low=0.0, high=1.0, low_open=True, high_open=True)
    check_real("spike_load", spike_load, low=0.0, high=10.0, low_open=True)
    check_positive("spike_length", spike_length)
    check_int("retries", retries, low=1, high=10)
    end = spike_start + spike_length
    check_real("duration", duration, low=end + 4 * check_bins(duration, bin_width))
    mean = 1 / capacity
    plain = Station(servers=1, service=Exponential(mean))
    shedding = Station(servers=1, service=Exponential(mean), shed_expired=True)
    backoff = Backoff(base=0.05, cap=1.0, jitter="full")
    retrying = Client(timeout=timeout, retries=retries, backoff=backoff)
    variants = {
        "no retries": (plain, Client(timeout=timeout)),
        "retries": (plain, retrying),
        "retries + budget": (
            plain,
            Client(
                timeout=timeout, retries=retries, backoff=backoff, budget=RetryBudget(ratio=0.1)
            ),
        ),
        "retries + breaker": (
            plain,
            Client(timeout=timeout, retries=retries, backoff=backoff, breaker=CircuitBreaker()),
        ),
        "retries + deadline shedding": (shedding, retrying),
    }
    return _spike_runs(
        variants,
        capacity,
        base_load,
        spike_load,
        spike_start,
        spike_length,
        duration,
        seed,
        bin_width,
    )


def _spike_runs(
    variants: dict,
    capacity: float,
    base_load: float,
    spike_load: float,
    spike_start: float,
    spike_length: float,
    duration: float,
    seed: int,
    bin_width: float,
) -> MetastableFailure:
    """Run each (station, client) variant through the same spike; goodput per bin."""
    end = spike_start + spike_length
    load = Poisson(
        Spike(
            base=base_load * capacity,
            peak=spike_load * capacity,
            start=spike_start,
            length=spike_length,
        )
    )
    goodput, phases, t = {}, {}, np.zeros(0)
    for name, (station, client) in variants.items():
        result = simulate(station, load, duration, seed=seed, warmup=0.0, client=client)
        series = result.timeseries("throughput", bin_width=bin_width)
        t = series.t
        goodput[name] = series.values
        phases[name] = {
            "before": _mean_in(t, series.values, min(5.0, spike_start / 2), spike_start),
            "during": _mean_in(t, series.values, spike_start, end),
            "after": _mean_in(t, series.values, duration * 0.75, duration),
        }
    return MetastableFailure(
        t, goodput, phases, (spike_start, end), float(capacity), float(base_load * capacity)
    )


def retry_storm(
    retries: int = 3,
    spike_length: float = 5.0,
    budget: float = 0.0,
    capacity: float = 25.0,
    timeout: float = 0.5,
    seed: int = 1,
) -> MetastableFailure:
    """One run of the metastable scenario with a chosen retry policy and trigger length
    (the chapter 7 widget): base load 70% of capacity, a spike to 200% from 10 s.

    Cost: about 2,200 simulated requests (under 0.05 s on a laptop core); at most 2e6.

    Parameters
    ----------
    retries : int
        Retries per request, 0 to 10 (full-jitter backoff, base 50 ms, cap 1 s).
    spike_length : float
        Seconds the spike lasts, in (0, 30].
    budget : float
        Retry budget as a fraction of first attempts, in [0, 1]; 0: no budget.
    capacity : float
        Server throughput when busy, requests/s (> 0).
    timeout : float
        Client timeout, seconds (> 0).
    seed : int

    Returns
    -------
    MetastableFailure
        With one variant, labelled by the policy; the run lasts until 30 s after the
        spike.
    """
    check_int("retries", retries, low=0, high=10)
    check_real("spike_length", spike_length, low=0.0, high=30.0, low_open=True)
    check_probability("budget", budget)
    check_positive("capacity", capacity)
    check_positive("timeout", timeout)
    backoff = Backoff(base=0.05, cap=1.0, jitter="full")
    policy = RetryBudget(ratio=budget) if budget > 0 and retries > 0 else None
    client = Client(timeout=timeout, retries=retries, backoff=backoff, budget=policy)
    label = (
        f"{retries} {'retry' if retries == 1 else 'retries'}"
        + (f", budget {budget:.0%}" if policy else "")
        if retries
        else "no retries"
    )
    station = Station(servers=1, service=Exponential(1 / capacity))
    return _spike_runs(
        {label: (station, client)},
        capacity,
        0.7,
        2.0,
        10.0,
        spike_length,
        10.0 + spike_length + 30.0,
        seed,
        1.0,
    )


@dataclass(frozen=True)
class ColdCacheCollapse:
    """Goodput and database queries over time, before and after the cache is lost.

    Attributes
    ----------
    t : numpy.ndarray
        Bin start times, seconds.
    goodput, db_qps : numpy.ndarray
        Successful requests/s and database queries completed/s, per bin.
    flush_at : float
        When the cache lost its contents, seconds.
    load : float
        Requests per second offered throughout.
    db_capacity_qps : float
        What the database can complete per second.
    hit_ratio_before : float
        Fraction of requests the cache answered before the loss (simulated).
    db_qps_before, goodput_after : float
        Mean database queries/s before the loss, and mean goodput in the last quarter.
    """

    t: np.ndarray
    goodput: np.ndarray
    db_qps: np.ndarray
    flush_at: float
    load: float
    db_capacity_qps: float
    hit_ratio_before: float
    db_qps_before: float
    goodput_after: float


def cold_cache_collapse(
    load: float = 3000.0,
    db_capacity_qps: float = 400.0,
    cache_size: int = 5000,
    n_keys: int = 10_000,
    zipf_s: float = 1.0,
    flush_at: float = 3.0,
    timeout: float = 1.0,
    duration: float = 10.0,
    seed: int = 1,
    bin_width: float = 0.5,
) -> ColdCacheCollapse:
    """A database comfortable behind a ~90% hit-rate cache collapses when the cache empties.

    Defaults: 3,000 requests/s, a warm LRU cache answering about 90% of them, so the
    database (capacity ``db_capacity_qps``) serves about 300 QPS. At ``flush_at`` the
    cache restarts empty: every request misses, the database receives ~10x its load,
    requests time out after ``timeout`` s, and a result that returns after its deadline
    is discarded rather than cached, so the cache never refills while load stays up.

    Cost: about 30,000 simulated requests (~0.7 s on a laptop core); at most 2e6.

    Parameters
    ----------
    load : float
        Requests per second (> 0).
    db_capacity_qps : float
        Database throughput when saturated, queries/s (> 0).
    cache_size : int
        LRU capacity, 1 to 1,000,000 keys (the warm cache is filled key by key).
    n_keys : int
        Distinct keys, 1 to ``MAX_KEYS``.
    zipf_s : float
        Key skew, in [0, 5].
    flush_at : float
        When the cache is lost, seconds, in (0, duration).
    timeout : float
        Client timeout, seconds (> 0).
    duration : float
        Simulated seconds (> 0).
    seed : int
        Seed (>= 0).
    bin_width : float
        Width of the time bins, seconds, at least ``duration / 1,000,000``.
    """
    check_positive("load", load)
    check_int("cache_size", cache_size, low=1, high=WARM_CACHE_KEYS)
    check_real("flush_at", flush_at, low=0.0, high=duration, low_open=True, high_open=True)
    check_bins(duration, bin_width)
    system = RequestResponse(
        app=AppTier(servers=4, workers=64, service=Exponential(0.001)),
        db=Database(capacity_qps=db_capacity_qps, concurrency=8, pool=64),
        cache=Cache(size=cache_size, latency=0.0, warm=True, flush_at=flush_at),
        network=0.0,
    )
    result = simulate(
        system,
        Poisson(load, keys=Zipf(n_keys, zipf_s)),
        duration,
        seed=seed,
        warmup=0.0,
        client=Client(timeout=timeout),
    )
    good = result.timeseries("throughput", bin_width=bin_width)
    db = result.timeseries("db.completions", bin_width=bin_width)
    db_before = _mean_in(db.t, db.values, 0.0, flush_at)
    return ColdCacheCollapse(
        t=good.t,
        goodput=good.values,
        db_qps=db.values,
        flush_at=float(flush_at),
        load=float(load),
        db_capacity_qps=float(db_capacity_qps),
        hit_ratio_before=1.0 - db_before / load,
        db_qps_before=db_before,
        goodput_after=_mean_in(good.t, good.values, duration * 0.75, duration),
    )


@dataclass(frozen=True)
class JitterContention:
    """Many clients retrying on one contended resource, per jitter strategy.

    Attributes
    ----------
    jitters : tuple of str
        Strategies compared.
    completion_time : numpy.ndarray
        Seconds until the last client succeeded.
    calls : numpy.ndarray
        Total calls made (attempts), all clients.
    clients : int
        Clients contending.
    """

    jitters: tuple[str, ...]
    completion_time: np.ndarray
    calls: np.ndarray
    clients: int


def jitter_contention(
    clients: int = 100, work: float = 0.01, base: float = 0.01, cap: float = 2.0, seed: int = 1
) -> JitterContention:
    """Backoff with and without jitter when ``clients`` callers contend at once.

    Every client needs one successful call to a resource that serves one call at a
    time for ``work`` seconds and rejects a call that finds it busy (optimistic
    concurrency, a lock, a rate limit). Rejected clients back off exponentially from
    ``base`` up to ``cap`` and retry, with each jitter variant of Brooker (2015).

    Cost: about 7,400 simulated calls with the retries (under 0.05 s on a laptop core); at
    most 2,000,000 at ``clients=500``.

    Parameters
    ----------
    clients : int
        Clients arriving at time 0, 2 to 500 (each may call 1,001 times: up to 2 million
        calls over the four strategies).
    work : float
        Time a successful call holds the resource, seconds (> 0).
    base, cap : float
        Backoff base and cap, seconds (0 < base <= cap).
    seed : int
        Seed (>= 0).
    """
    check_int("clients", clients, low=2, high=500)
    station = Station(servers=1, service=Deterministic(work), queue_limit=0)
    times, calls = [], []
    for jitter in JITTERS:
        client = Client(retries=1000, backoff=Backoff(base=base, cap=cap, jitter=jitter))
        horizon = 2 * clients * cap + 50 * cap  # room even for lock-step retries
        result = simulate(station, Burst(clients), horizon, seed=seed, warmup=0.0, client=client)
        done = result.finish[result.status == Status.COMPLETED]
        times.append(float(done.max()) if done.size == clients else float("inf"))
        calls.append(result.counters["client.attempts"])
    return JitterContention(JITTERS, np.array(times), np.array(calls), clients)
