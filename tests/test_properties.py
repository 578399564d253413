"""Hypothesis properties: any valid configuration runs, accounts for every request and
keeps utilization in [0, 1]; any invalid one raises ValueError and nothing else."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scalelab as sl

SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

means = st.floats(0.001, 0.2)
distributions = st.one_of(
    means.map(sl.Deterministic),
    means.map(sl.Exponential),
    st.builds(sl.LogNormal, means, st.floats(0.1, 3.0)),
    st.builds(lambda f, k, p: sl.Bimodal(f, f * k, p), means, st.floats(1, 20), st.floats(0, 1)),
)
keys = st.one_of(
    st.none(),
    st.builds(sl.Uniform, st.integers(1, 500)),
    st.builds(sl.Zipf, st.integers(1, 500), st.floats(0, 2)),
)
stations = st.builds(
    sl.Station,
    servers=st.integers(1, 6),
    service=distributions,
    queue_limit=st.one_of(st.none(), st.integers(0, 20)),
)
databases = st.builds(
    sl.Database,
    capacity_qps=st.floats(50, 5000),
    concurrency=st.integers(1, 8),
    pool=st.one_of(st.none(), st.integers(1, 20)),
    read_replicas=st.integers(0, 2),
    shards=st.integers(1, 3),
    replication_lag=distributions,
)
request_response = st.builds(
    sl.RequestResponse,
    app=st.builds(
        sl.AppTier,
        servers=st.integers(1, 4),
        workers=st.integers(1, 8),
        service=distributions,
        queue_limit=st.one_of(st.none(), st.integers(0, 50)),
    ),
    db=databases,
    cache=st.one_of(st.none(), st.builds(sl.Cache, hit_ratio=st.floats(0, 1))),
    lb=st.sampled_from(sl.LB_POLICIES).map(sl.LoadBalancer),
    timeout=st.one_of(st.none(), st.floats(0.01, 2.0)),
)
chains = st.builds(
    lambda n, avail, timeout: sl.Chain(
        tuple(sl.Service(f"s{i}", servers=2, workers=2, availability=avail) for i in range(n)),
        timeout=timeout,
    ),
    st.integers(1, 4),
    st.floats(0.5, 1.0),
    st.one_of(st.none(), st.floats(0.01, 1.0)),
)
event_driven = st.builds(
    sl.EventDriven,
    broker=st.builds(
        sl.Broker,
        partitions=st.integers(1, 6),
        partition_throughput=st.floats(50, 5000),
        routing=st.sampled_from(["key", "round_robin"]),
        retention=st.one_of(
            st.none(),
            st.builds(
                sl.Retention,
                messages=st.integers(1, 200),
                seconds=st.one_of(st.none(), st.floats(0.1, 5)),
            ),
        ),
        quota=st.one_of(st.none(), st.floats(10, 1000)),
    ),
    consumers=st.builds(
        sl.ConsumerGroup,
        consumers=st.integers(0, 6),
        processing=distributions,
        commit_interval=st.floats(0, 2),
        rebalance_pause=st.floats(0, 2),
        changes=st.lists(
            st.builds(sl.GroupChange, st.floats(0, 8), st.sampled_from(["join", "leave", "crash"])),
            max_size=3,
        ),
        failure_probability=st.floats(0, 0.5),
        poison_fraction=st.floats(0, 0.2),
        max_attempts=st.integers(1, 4),
        backoff=st.builds(sl.Backoff, base=st.floats(0.001, 0.1)),
        replay=st.one_of(
            st.none(), st.builds(sl.Replay, at=st.floats(0, 8), to_offset=st.integers(0, 50))
        ),
    ),
    producer=st.builds(
        sl.Producer,
        buffer=st.one_of(st.none(), st.integers(1, 30)),
        on_full=st.sampled_from(["block", "drop"]),
    ),
    front=st.one_of(st.none(), st.builds(sl.AppTier, servers=st.integers(1, 3))),
    db=st.one_of(st.none(), databases),
)
workloads = st.one_of(
    st.builds(sl.Poisson, rate=st.floats(1, 400), keys=keys, read_fraction=st.floats(0, 1)),
    st.builds(
        sl.Poisson,
        rate=st.builds(
            sl.Spike, st.floats(0, 100), st.floats(1, 500), st.floats(0, 5), st.floats(0.1, 5)
        ),
        keys=keys,
    ),
    st.builds(sl.ClosedLoop, clients=st.integers(1, 30), think_time=distributions, keys=keys),
)


def _check(result: sl.SimulationResult) -> None:
    c = result.counts
    if "projection.matches_replay" in result.counters:
        assert result.counters["projection.matches_replay"] in (0.0, 1.0)
    assert c.generated == c.completed + c.timed_out + c.dropped + c.failed + c.in_flight
    for comp in result.components.values():
        assert 0.0 <= comp.utilization <= 1.0
        assert comp.mean_wait >= 0 and comp.mean_hold >= 0
    for value in result.summary().values():
        assert value is None or not (isinstance(value, float) and math.isnan(value))
    assert (result.latencies() >= 0).all()


@SETTINGS
@given(
    system=st.one_of(stations, request_response, chains, event_driven),
    workload=workloads,
    seed=st.integers(0, 2**32 - 1),
    duration=st.floats(1, 10),
)
def test_valid_configurations_run_and_conserve_requests(system, workload, seed, duration):
    _check(sl.simulate(system, workload, duration, seed=seed))


@SETTINGS
@given(system=stations, rate=st.floats(1, 200), seed=st.integers(0, 1000))
def test_engines_agree_whenever_the_fast_path_applies(system, rate, seed):
    workload = sl.Poisson(rate)
    if not sl.fast_path_applies(system, workload):
        return
    a = sl.simulate(system, workload, 5, seed=seed, engine="fast")
    b = sl.simulate(system, workload, 5, seed=seed, engine="simpy")
    assert a.counts == b.counts
    _check(a)


bad_numbers = st.one_of(
    st.floats(max_value=0.0), st.just(math.nan), st.just(math.inf), st.just("1"), st.none()
)


@SETTINGS
@given(st.data())
def test_invalid_arguments_raise_value_error_only(data):
    build = data.draw(
        st.sampled_from(
            [
                lambda v: sl.Exponential(v),
                lambda v: sl.LogNormal(0.1, v),
                lambda v: sl.Poisson(v),
                lambda v: sl.Station(servers=v),
                lambda v: sl.AppTier(workers=v),
                lambda v: sl.Database(capacity_qps=v),
                lambda v: sl.Database(pool=v if v is not None else 0),
                # hit_ratio 0 is valid, so shift the bad numbers below it.
                lambda v: sl.Cache(hit_ratio=v - 1 if isinstance(v, float) else v or 2.0),
                lambda v: sl.ClosedLoop(clients=v),
                lambda v: sl.Zipf(10, v if v is not None else -1.0),
                lambda v: sl.simulate(sl.Station(), sl.Poisson(1.0), v, seed=1),
                lambda v: sl.mm1(v, 1.0),
            ]
        )
    )
    value = data.draw(bad_numbers)
    try:
        build(value)
    except ValueError:
        return
    raise AssertionError(f"accepted invalid value {value!r}")
