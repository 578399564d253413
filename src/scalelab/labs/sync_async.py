"""Request-response against event-driven, like for like (chapters 1 and 6): one API both
ways through a spike and over steady loads, and a synchronous call chain's availability."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validate import (
    check_int,
    check_positive,
    check_probability,
    check_real,
    check_reals,
)
from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, hybrid
from ..results import SimulationResult
from ..run import simulate
from ..topology import AppTier, Chain, Database, Service
from ..workload import Poisson, Spike
from ._units import check_measured, check_requests

__all__ = [
    "SyncAsync",
    "sync_vs_async",
    "ChainAvailability",
    "chain_availability",
    "SyncAsyncSweep",
    "sync_async_sweep",
]


@dataclass(frozen=True)
class SyncAsync:
    """The same API and workload run synchronously and asynchronously.

    Attributes
    ----------
    sync, async_ : SimulationResult
        The two runs (same seed, same arrivals, same per-request work).
    spike : tuple of float
        Start and end of the load spike, seconds.
    db_capacity_qps : float
        The database's saturation throughput, queries/s.
    """

    sync: SimulationResult
    async_: SimulationResult
    spike: tuple[float, float]
    db_capacity_qps: float

    def rows(self) -> list[tuple[str, float, float]]:
        """``(figure, sync, async)`` rows for a comparison table; times in ms. "client"
        percentiles cover every request, a timed-out one at the timeout; "p99 of
        successes" only the requests that got a successful reply."""
        s, a = self.sync, self.async_

        def ms(value: float | None) -> float:
            return float("inf") if value is None else value * 1000

        def peak_db(r: SimulationResult) -> float:
            return float(r.timeseries("db.completions", bin_width=1.0).values.max())

        return [
            ("client p50 (ms)", ms(s.latency.p50), ms(a.latency.p50)),
            ("client p99 (ms)", ms(s.latency.p99), ms(a.latency.p99)),
            ("p99 of successes (ms)", ms(s.success_latency.p99), ms(a.success_latency.p99)),
            ("work done p99 (ms)", ms(s.completion.p99), ms(a.completion.p99)),
            (
                "timed out (%)",
                100 * s.counts.timed_out / s.counts.generated,
                100 * a.counts.timed_out / a.counts.generated,
            ),
            ("peak database queries/s", peak_db(s), peak_db(a)),
            (
                "requests completed (%)",
                100 * s.counts.completed / s.counts.generated,
                100 * a.counts.completed / a.counts.generated,
            ),
        ]


def sync_vs_async(
    base_rate: float = 200.0,
    spike_rate: float = 600.0,
    spike_start: float = 10.0,
    spike_length: float = 5.0,
    db_capacity_qps: float = 400.0,
    consumers: int = 4,
    timeout: float = 2.0,
    duration: float = 40.0,
    seed: int = 1,
) -> SyncAsync:
    """Run one write API both ways through a load spike.

    Synchronous: 2 API servers x 16 workers write to the database and answer when it is
    done; clients give up after ``timeout`` seconds. Asynchronous: the same API servers
    publish an event to a 4-partition broker and answer 202 once it is acknowledged;
    ``consumers`` consumers write to the same database. Same seed, same arrivals, same
    cost per write (common random numbers).

    Cost: about 48,000 simulated requests (~0.9 s on a laptop core); at most 2e6.

    Parameters
    ----------
    base_rate, spike_rate : float
        Requests/s outside and during the spike (> 0).
    spike_start, spike_length : float
        Seconds.
    db_capacity_qps : float
        Database saturation throughput, queries/s (> 0).
    consumers : int
        Consumers in the asynchronous version, 1 to 4 (one per partition at most).
    timeout : float
        Client timeout in the synchronous version, seconds (> 0).
    duration : float
        Simulated seconds (> spike end).
    seed : int
        Seed (>= 0).
    """
    check_positive("base_rate", base_rate)
    check_positive("spike_rate", spike_rate)
    check_positive("spike_length", spike_length)
    check_int("consumers", consumers, low=1, high=4)
    check_positive("timeout", timeout)
    check_real("duration", duration, low=spike_start + spike_length, low_open=True)
    app = AppTier(servers=2, workers=16)
    db = Database(capacity_qps=db_capacity_qps, concurrency=4, pool=8)
    workload = Poisson(
        Spike(base=base_rate, peak=spike_rate, start=spike_start, length=spike_length),
        read_fraction=0.0,
    )
    sync_system = replace(hybrid("sync", app=app, db=db), timeout=timeout)
    async_system = hybrid(
        "async",
        app=app,
        db=db,
        broker=Broker(partitions=4),
        consumers=ConsumerGroup(consumers=consumers),
    )
    return SyncAsync(
        sync=simulate(sync_system, workload, duration, seed=seed, warmup=0.0),
        async_=simulate(async_system, workload, duration, seed=seed, warmup=0.0),
        spike=(spike_start, spike_start + spike_length),
        db_capacity_qps=float(db_capacity_qps),
    )


@dataclass(frozen=True)
class ChainAvailability:
    """Success rate and latency of a synchronous call chain against its length.

    Attributes
    ----------
    hops : numpy.ndarray
        Chain lengths.
    availability : float
        Probability one hop answers successfully.
    simulated : numpy.ndarray
        Fraction of requests that succeeded, simulated.
    formula : numpy.ndarray
        ``availability ** hops`` (a formula).
    p50, p99 : numpy.ndarray
        Simulated latency of successful requests, seconds.
    mean_service : float
        Work per hop, seconds.
    """

    hops: np.ndarray
    availability: float
    simulated: np.ndarray
    formula: np.ndarray
    p50: np.ndarray
    p99: np.ndarray
    mean_service: float


def chain_availability(
    max_hops: int = 8,
    availability: float = 0.99,
    mean_service: float = 0.01,
    requests: int = 2000,
    seed: int = 1,
    lengths: tuple[int, ...] | None = None,
) -> ChainAvailability:
    """Availability multiplies and latency adds along a synchronous chain A -> B -> ...

    Each hop does ``mean_service`` seconds of exponential work on 4 lightly loaded servers
    and fails independently with probability ``1 - availability``; one failure fails the
    request. Chapter 1's live widget runs it on three lengths.

    Cost: about 72,000 simulated calls, 2,000 requests through each chain (~0.8 s on a
    laptop core); at most 2e6, each call counting as a request.

    Parameters
    ----------
    max_hops : int
        Longest chain, 1 to 20.
    availability : float
        Per-hop success probability, in [0, 1].
    mean_service : float
        Mean work per hop, seconds (> 0).
    requests : int
        Requests simulated per chain length, 100 to 100,000.
    seed : int
        Seed (>= 0).
    lengths : tuple of int, optional
        Chain lengths to simulate, each 1 to ``max_hops``; default every length.
    """
    check_int("max_hops", max_hops, low=1, high=20)
    check_probability("availability", availability)
    check_positive("mean_service", mean_service)
    check_int("requests", requests, low=100, high=100_000)
    hops = (
        np.arange(1, max_hops + 1)
        if lengths is None
        else np.unique([check_int("lengths[]", n, low=1, high=max_hops) for n in lengths])
    )
    rate = 0.2 * 4 * 8 / mean_service / max_hops  # keep every hop lightly loaded
    simulated, p50, p99 = [], [], []
    for n in hops:
        services = tuple(
            Service(
                f"s{i}",
                servers=4,
                workers=8,
                service=Exponential(mean_service),
                availability=availability,
            )
            for i in range(n)
        )
        result = simulate(
            Chain(services, network=0.0005), Poisson(rate), requests / rate, seed=seed, warmup=0.0
        )
        settled = result.counts.completed + result.counts.failed
        simulated.append(result.counts.completed / settled if settled else 0.0)
        p50.append(result.success_latency.p50 or 0.0)
        p99.append(result.success_latency.p99 or 0.0)
    return ChainAvailability(
        hops,
        float(availability),
        np.array(simulated),
        availability ** hops.astype(float),
        np.array(p50),
        np.array(p99),
        float(mean_service),
    )


@dataclass(frozen=True)
class SyncAsyncSweep:
    """Both styles of one write API over a range of steady loads.

    Attributes
    ----------
    utilizations : numpy.ndarray
        Load as a fraction of the database's capacity.
    client_p99 : dict of str to numpy.ndarray
        ``"sync"`` / ``"async"``: p99 of what clients wait for (no timeouts here), seconds.
    done_p99 : dict of str to numpy.ndarray
        p99 until the write is in the database, seconds (for ``"async"`` this is the
        staleness of what a reader sees).
    completed : dict of str to numpy.ndarray
        Share of requests whose write was done by the end of the run.
    db_capacity_qps : float
    """

    utilizations: np.ndarray
    client_p99: dict[str, np.ndarray]
    done_p99: dict[str, np.ndarray]
    completed: dict[str, np.ndarray]
    db_capacity_qps: float


def sync_async_sweep(
    utilizations: tuple[float, ...] = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95),
    db_capacity_qps: float = 400.0,
    duration: float = 12.0,
    seed: int = 1,
) -> SyncAsyncSweep:
    """The API of :func:`sync_vs_async` at steady loads, without a client timeout and with
    8 partitions and consumers, as many as the synchronous side's pool has connections.

    Cost: about 40,000 simulated requests (~1.7 s on a laptop core); at most 2e6.

    Parameters
    ----------
    utilizations : tuple of float
        Loads as fractions of ``db_capacity_qps``, each in (0, 1).
    db_capacity_qps : float
        Database saturation throughput (> 0).
    duration : float
        Simulated seconds per run (> 0), enough for 100 requests at each load.
    seed : int
    """
    utils = check_reals(
        "utilizations", utilizations, low=0.0, high=1.0, low_open=True, high_open=True
    )
    check_positive("db_capacity_qps", db_capacity_qps)
    given = f"utilizations={utilizations!r}, db_capacity_qps={db_capacity_qps!r}"
    given += f", duration={duration!r}"
    check_requests(min(utils) * db_capacity_qps, duration, given)
    app = AppTier(servers=2, workers=16)
    db = Database(capacity_qps=db_capacity_qps, concurrency=4, pool=8)
    systems = {
        "sync": hybrid("sync", app=app, db=db),
        "async": hybrid(
            "async",
            app=app,
            db=db,
            broker=Broker(partitions=8),
            consumers=ConsumerGroup(consumers=8),
        ),
    }
    client, done, completed = {}, {}, {}
    for mode, system_ in systems.items():
        runs = [
            simulate(system_, Poisson(u * db_capacity_qps, read_fraction=0.0), duration, seed=seed)
            for u in utils
        ]
        for r in runs:
            check_measured(min(r.latency.count, r.completion.count), given)
        client[mode] = np.array([r.latency.p99 for r in runs], dtype=float)
        done[mode] = np.array([r.completion.p99 for r in runs], dtype=float)
        completed[mode] = np.array([r.counts.completed / r.counts.generated for r in runs])
    return SyncAsyncSweep(np.array(utils), client, done, completed, float(db_capacity_qps))
