"""The chapters' live widgets: each callback runs one lab and draws it with one plot, so
what a slider shows is what the static page shows for the default values.

A chapter calls ``widgets.interact(live.<callback>, ...)``; ``benchmarks/widgets.py``
times every callback here over its sliders' ranges (budget: p50 <= 100 ms, p95 <= 250 ms).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from . import labs, plots
from ._validate import check_int, check_real

__all__ = [
    "chain_availability",
    "operating_point",
    "ladder_point",
    "cache_replicas",
    "lag_point",
    "batching_point",
    "retry_storm",
    "envelope",
    "drill",
    "active_active",
    "durability",
    "db_events",
    "case_study",
]


def chain_availability(
    max_hops: int = 8, availability: float = 0.99, requests: int = 200, seed: int = 1
) -> Figure:
    """Chapter 1: success rate and latency of a synchronous chain. To answer a slider
    quickly it simulates three lengths (1, half, all of ``max_hops``) with ``requests``
    requests each; the formula line covers every length. Parameters as in
    :func:`scalelab.labs.chain_availability`."""
    lengths = (1, max(1, max_hops // 2), max_hops)
    return plots.chain(
        labs.chain_availability(
            max_hops=max_hops,
            availability=availability,
            requests=requests,
            seed=seed,
            lengths=lengths,
        )
    )


def operating_point(
    utilization: float = 0.8, servers: int = 1, mean_service: float = 0.01, seed: int = 1
) -> Figure:
    """Chapter 2: where ``utilization`` (in (0, 0.95]) puts an M/M/c station on its
    latency curve (:func:`scalelab.labs.operating_point`, whose run grows near
    saturation so the simulated point stays close to the curve)."""
    check_real("utilization", utilization, low=0.0, high=0.95, low_open=True)
    return plots.operating_point(
        labs.operating_point(
            arrival_rate=utilization * servers / mean_service,
            servers=servers,
            mean_service=mean_service,
            seed=seed,
        )
    )


def ladder_point(
    users: float = 10_000.0, architecture: str = "request-response", rate_per_user: float = 0.1
) -> Figure:
    """Chapter 3: what gives out first at ``users`` (:func:`scalelab.labs.ladder_point`)."""
    return plots.ladder_point(
        labs.ladder_point(users=users, architecture=architecture, rate_per_user=rate_per_user)
    )


def cache_replicas(
    hit_ratio: float = 0.8, replicas: int = 1, load: float = 3000.0, read_fraction: float = 0.9
) -> Figure:
    """Chapter 4: a cache and read replicas in front of one primary
    (:func:`scalelab.labs.cache_replicas_point`)."""
    return plots.cache_replicas(
        labs.cache_replicas_point(
            hit_ratio=hit_ratio, replicas=replicas, load=load, read_fraction=read_fraction
        )
    )


def lag_point(partitions: int = 4, consumers: int = 4, spike: float = 400.0) -> Figure:
    """Chapter 5: lag through a 4-second spike (base 100 messages/s, 40 per consumer), one
    run of :func:`scalelab.labs.lag_spike` at a small scale."""
    return plots.lag_point(
        labs.lag_spike(
            partitions=partitions,
            consumers=consumers,
            consumer_rate=40.0,
            base=100.0,
            spike=spike,
            start=2.0,
            end=6.0,
            duration=25.0,
        )
    )


def batching_point(batch_size: int = 10, load: float = 1000.0, linger_ms: float = 10.0) -> Figure:
    """Chapter 6: one 5-second run of a batching server (batch overhead 2 ms, 0.2 ms per
    request; :func:`scalelab.labs.batch_run`)."""
    return plots.batching_point(
        labs.batch_run(load=load, batch_size=batch_size, linger=linger_ms / 1000, duration=5.0)
    )


def retry_storm(retries: int = 3, spike_length: float = 5.0, budget: float = 0.0) -> Figure:
    """Chapter 7: goodput over time through a load spike for one retry policy
    (:func:`scalelab.labs.retry_storm`)."""
    fig = plots.metastable(
        labs.retry_storm(retries=retries, spike_length=spike_length, budget=budget)
    )
    fig.set_size_inches(9, 3)
    return fig


def envelope(
    users: float = 1_000_000.0,
    requests_per_user_per_day: float = 100.0,
    read_fraction: float = 0.9,
    hit_ratio: float = 0.8,
) -> Figure:
    """Chapter 8: units each component needs at 70% utilization (formula), for a
    :class:`scalelab.labs.Scenario` with the other assumptions at their defaults."""
    return plots.envelope(
        labs.envelope(
            labs.Scenario(
                users=users,
                requests_per_user_per_day=requests_per_user_per_day,
                read_fraction=read_fraction,
                hit_ratio=hit_ratio,
            )
        )
    )


def drill(seed: int = 1, reveal: bool = False) -> None:
    """Chapter 9: print drill ``seed`` (:func:`scalelab.labs.drill`); with ``reveal``, its
    worked answer."""
    print(labs.drill(seed).text(reveal))


def active_active(write_rate: float = 500.0, skew: float = 0.8, seed: int = 1) -> Figure:
    """Chapter 10: writes two regions lose to last-writer-wins, by replication delay
    (:func:`scalelab.labs.active_active_conflicts` over 1M keys). To answer a slider
    quickly it simulates about 20,000 writes per region at each delay, so the run lasts
    ``20,000 / write_rate`` seconds; the shares do not depend on the length."""
    check_real("write_rate", write_rate, low=1.0, high=100_000.0)
    return plots.conflicts(
        labs.active_active_conflicts(
            write_rate=write_rate, skew=skew, duration=20_000 / write_rate, seed=seed
        )
    )


def durability(replication_delay: float = 0.01, replication: int = 3, seed: int = 1) -> Figure:
    """Chapter 5: each ``acks`` setting's acknowledgement wait and the messages one
    leader crash loses (:func:`scalelab.labs.broker_durability`), for a follower delay
    and a replication factor (``min_insync`` 2, or 1 with one copy). To answer a slider
    quickly it sends 300 messages/s (the chapter sends 2,000) for 2.5 s and crashes the
    leader at 1.5 s; what is lost scales with the rate, as its formula says."""
    replication = check_int("replication", replication, low=1, high=5)
    return plots.broker_durability(
        labs.broker_durability(
            load=300.0,
            replication=replication,
            replication_delay=replication_delay,
            min_insync=min(2, replication),
            crash_at=1.5,
            duration=2.5,
            warmup=0.5,
            seed=seed,
        )
    )


def db_events(crash_at: float = 10.0, outage: float = 10.0, poll_interval: float = 0.5) -> Figure:
    """Chapter 11: events lost, phantom and published twice, and the commit-to-event
    window, for dual writes, the outbox and change data capture
    (:func:`scalelab.labs.events_from_db` at 1,000 writes/s over 40 s), with one crash
    after ``crash_at`` and the broker down for ``outage`` seconds from 20 s."""
    outage = check_real("outage", outage, low=0.0, high=20.0)
    return plots.events_from_db(
        labs.events_from_db(
            crash_at=crash_at, outage_end=20.0 + outage, poll_interval=poll_interval
        )
    )


def case_study(
    case: str = "orders", users: int = 10_000, style: str = "request-response"
) -> Figure:
    """Chapter 12: one case's arriving design at one tier as a declared cell, with what
    breaks first there (:func:`scalelab.labs.case_tier`, which simulates one unit of each
    component at every tier up to ``users``)."""
    return plots.case_tier(labs.case_tier(case=case, users=users, style=style))
