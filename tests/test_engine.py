"""The engine: determinism, conservation, overload and the request-response parts."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import scalelab as sl

RR = sl.RequestResponse(
    lb=sl.LoadBalancer("least_connections"),
    app=sl.AppTier(servers=4, workers=8, service=sl.Exponential(0.02)),
    db=sl.Database(capacity_qps=1000, pool=20, read_replicas=1),
    cache=sl.Cache(hit_ratio=0.8),
)
WORKLOAD = sl.Poisson(800, keys=sl.Zipf(1000, 1.0), read_fraction=0.9)


def _accounted(result: sl.SimulationResult) -> bool:
    c = result.counts
    return c.generated == c.completed + c.timed_out + c.dropped + c.failed + c.in_flight


def test_same_seed_same_numbers():
    a = sl.simulate(RR, WORKLOAD, 20, seed=5)
    b = sl.simulate(RR, WORKLOAD, 20, seed=5)
    np.testing.assert_array_equal(a.finish, b.finish)
    assert a.summary() == b.summary()
    c = sl.simulate(RR, WORKLOAD, 20, seed=6)
    assert c.summary() != a.summary()


FRESH_RUN = """
import json, scalelab as sl
system = sl.RequestResponse(
    lb=sl.LoadBalancer("power_of_two"),
    app=sl.AppTier(servers=3, workers=4, service=sl.LogNormal(0.01, 1.0)),
    db=sl.Database(capacity_qps=900, pool=8, read_replicas=1, shards=2),
    cache=sl.Cache(size=100))
workload = sl.Poisson(400, keys=sl.Zipf(1000, 1.0), read_fraction=0.9)
print(json.dumps(sl.simulate(system, workload, 20, seed=5).summary()))
"""


def test_same_seed_same_numbers_in_a_fresh_process():
    # Two fresh interpreters with different hash seeds, and this one, agree exactly.
    outputs = [
        subprocess.run(
            [sys.executable, "-c", FRESH_RUN],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": h},
        ).stdout
        for h in ("1", "2")
    ]
    here = {}
    exec(FRESH_RUN.replace("print(json.dumps(", "here.update(("), {"here": here})
    assert json.loads(outputs[0]) == json.loads(outputs[1]) == json.loads(json.dumps(here))


def test_common_random_numbers_same_arrivals_through_different_topologies():
    workload = sl.Poisson(50)
    a = sl.simulate(sl.Station(servers=1, service=sl.Exponential(0.01)), workload, 60, seed=2)
    b = sl.simulate(RR, workload, 60, seed=2)
    np.testing.assert_array_equal(a.arrival, b.arrival)


def test_summary_example_from_the_docs():
    result = sl.simulate(RR, WORKLOAD, 30, seed=1)
    assert _accounted(result)
    assert 0 < result.latency.p50 <= result.latency.p95 <= result.latency.p99 <= result.latency.p999
    assert result.counters["cache.hit_ratio"] == pytest.approx(0.8, abs=0.02)
    series = result.timeseries("db.queue_length")
    assert series.t.shape == series.values.shape and series.values.min() >= 0
    assert not result.overloaded


def test_conservation_with_timeouts_drops_and_failures():
    chain = sl.Chain((sl.Service("A", workers=2), sl.Service("B", availability=0.9)), timeout=0.05)
    result = sl.simulate(chain, sl.Poisson(150), 30, seed=1)
    assert result.counts.failed > 0 and result.counts.timed_out > 0
    assert _accounted(result)
    bounded = sl.Station(servers=1, service=sl.Exponential(1.0), queue_limit=5)
    result = sl.simulate(bounded, sl.Poisson(3.0), 500, seed=1)
    assert result.counts.dropped > 0 and _accounted(result)
    assert result.counts.dropped == result.components["server"].dropped


def test_overload_finishes_and_says_so():
    # 3x capacity for 200 s: the queue grows, but the run is finite and accounts for all.
    result = sl.simulate(
        sl.Station(servers=2, service=sl.Exponential(1.0)),
        sl.Poisson(6.0),
        200,
        seed=1,
        engine="simpy",
    )
    assert result.overloaded
    assert result.counts.in_flight > 500
    assert result.components["server"].utilization == pytest.approx(1.0, abs=0.01)
    assert _accounted(result)
    rr = sl.RequestResponse(
        app=sl.AppTier(servers=1, workers=4, queue_limit=50),
        db=sl.Database(capacity_qps=100),
        timeout=1.0,
    )
    result = sl.simulate(rr, sl.Poisson(300), 30, seed=1)
    assert result.overloaded and result.counts.dropped > 0 and result.counts.timed_out > 0
    assert _accounted(result)


def test_cache_hit_ratio_sets_database_reads():
    for hit_ratio in (0.0, 0.5, 0.9):
        system = sl.RequestResponse(
            app=sl.AppTier(servers=2),
            db=sl.Database(capacity_qps=5000),
            cache=sl.Cache(hit_ratio=hit_ratio),
        )
        result = sl.simulate(system, sl.Poisson(500), 40, seed=3)
        reads = result.counters["cache.hits"] + result.counters["cache.misses"]
        assert result.counters["db.reads"] / reads == pytest.approx(1 - hit_ratio, abs=0.02)


def test_lru_cache_hit_ratio_grows_with_size_and_skew():
    def hit_ratio(size: int, s: float) -> float:
        system = sl.RequestResponse(db=sl.Database(capacity_qps=5000), cache=sl.Cache(size=size))
        workload = sl.Poisson(400, keys=sl.Zipf(10_000, s))
        return sl.simulate(system, workload, 50, seed=1).counters["cache.hit_ratio"]

    assert hit_ratio(100, 1.0) < hit_ratio(1000, 1.0) < hit_ratio(5000, 1.0)
    assert hit_ratio(100, 0.5) < hit_ratio(100, 1.2)


def test_a_warm_lru_bigger_than_the_key_space_fills_only_the_keys():
    """Filling 10**9 keys would take 100 GB; the workload's 1,000 keys give the same run."""
    keys = sl.Poisson(2000.0, keys=sl.Zipf(1000, 1.0), read_fraction=0.9)
    runs = [
        sl.simulate(
            sl.RequestResponse(db=sl.Database(), cache=sl.Cache(size=size, warm=True)),
            keys,
            2.0,
            seed=1,
        ).summary()
        for size in (1000, 10**9)
    ]
    assert runs[0] == runs[1]


def test_read_replicas_take_reads_and_lag_makes_stale_reads():
    def run(lag: float) -> sl.SimulationResult:
        db = sl.Database(capacity_qps=400, read_replicas=2, replication_lag=sl.Deterministic(lag))
        workload = sl.Poisson(500, keys=sl.Zipf(200, 1.0), read_fraction=0.8)
        return sl.simulate(
            sl.RequestResponse(app=sl.AppTier(servers=2, workers=16), db=db), workload, 30, seed=2
        )

    fast, slow = run(0.001), run(0.5)
    assert fast.counters["db.stale_reads"] < slow.counters["db.stale_reads"]
    assert slow.counters["db.stale_reads"] > 0.05 * slow.counters["db.reads"]
    # Reads go to replicas only, so the primary serves the writes alone (20% of queries).
    replica_visits = sum(slow.components[f"db.replica[{j}]"].visits for j in range(2))
    assert slow.components["db"].visits / replica_visits == pytest.approx(0.2 / 0.8, rel=0.1)
    assert not slow.overloaded


def test_hot_key_makes_a_hot_shard():
    db = sl.Database(capacity_qps=2000, shards=4)
    system = sl.RequestResponse(app=sl.AppTier(servers=2, workers=16), db=db)
    even = sl.simulate(system, sl.Poisson(1000, keys=sl.Uniform(10_000)), 20, seed=1)
    skew = sl.simulate(system, sl.Poisson(1000, keys=sl.Zipf(10_000, 1.3)), 20, seed=1)
    util = lambda r: [r.components[f"db[{i}]"].utilization for i in range(4)]  # noqa: E731
    assert max(util(even)) / min(util(even)) < 1.3
    assert max(util(skew)) / min(util(skew)) > 2.0


def test_small_pool_makes_requests_wait_for_a_connection():
    def pool_wait(pool: int) -> float:
        db = sl.Database(capacity_qps=2000, concurrency=8, pool=pool)
        system = sl.RequestResponse(app=sl.AppTier(servers=2, workers=32), db=db)
        return sl.simulate(system, sl.Poisson(1200), 20, seed=1).components["db.pool"].mean_wait

    assert pool_wait(2) > 10 * pool_wait(32)


@pytest.mark.parametrize("policy", sl.LB_POLICIES)
def test_every_balancer_policy_spreads_load(policy):
    system = sl.RequestResponse(lb=sl.LoadBalancer(policy), app=sl.AppTier(servers=4, workers=2))
    result = sl.simulate(system, sl.Poisson(400), 30, seed=1)
    visits = [result.components[f"app[{i}]"].visits for i in range(4)]
    assert min(visits) > 0.15 * sum(visits)


def test_least_connections_beats_random_on_uneven_requests():
    app = sl.AppTier(servers=8, workers=1, service=sl.Bimodal(0.005, 0.2, 0.05))
    p99 = {
        p: sl.simulate(
            sl.RequestResponse(lb=sl.LoadBalancer(p), app=app), sl.Poisson(500), 60, seed=4
        ).latency.p99
        for p in ("random", "least_connections", "power_of_two")
    }
    assert p99["least_connections"] < p99["power_of_two"] < p99["random"]


def test_chain_latency_adds_and_availability_multiplies():
    services = tuple(
        sl.Service(n, service=sl.Deterministic(0.01), availability=0.95) for n in "ABC"
    )
    result = sl.simulate(sl.Chain(services, network=0.001), sl.Poisson(20), 1000, seed=1)
    success = result.counts.completed / (result.counts.completed + result.counts.failed)
    assert success == pytest.approx(0.95**3, abs=0.01)
    # Three hops of 10 ms work and 2 x 1 ms network each, hardly any queueing at 20/s.
    assert result.latency.p50 == pytest.approx(0.036, abs=0.002)


def test_breakdown_adds_up_to_latency():
    system = sl.RequestResponse(
        app=sl.AppTier(servers=1, workers=2), db=sl.Database(capacity_qps=400), network=0.002
    )
    result = sl.simulate(system, sl.Poisson(150), 60, seed=1)
    parts = result.breakdown()
    # Client -> app -> db -> app -> client: four 2 ms hops.
    assert parts["network"] == pytest.approx(0.008)
    outer = parts["app[0].wait"] + parts["app[0].hold"] + 0.004  # the two client hops
    assert outer == pytest.approx(result.success_latency.mean, rel=1e-6)
    assert parts["db.wait"] + parts["db.hold"] + 0.004 < parts["app[0].hold"]


def test_timeseries_names_and_errors():
    result = sl.simulate(RR, WORKLOAD, 10, seed=1)
    for name in ("throughput", "latency", "in_flight", "app[0].busy", "db.pool.queue_length"):
        assert result.timeseries(name).values.size > 0
    with pytest.raises(ValueError, match="not a known series"):
        result.timeseries("dbb.queue_length")


def test_replicate_gives_intervals_that_cover_the_formula():
    estimates = sl.replicate(sl.Station(servers=2), sl.Poisson(1.6), 5000, seed=1, replications=8)
    exact = sl.mmc(1.6, 1.0, 2).mean_response
    est = estimates["latency_mean"]
    assert est.low < exact < est.high
    assert len(est.values) == 8 and est.half_width > 0


def test_rate_curves_shape_arrivals():
    spike = sl.Poisson(sl.Spike(base=100, peak=500, start=10, length=5))
    times = spike.arrival_times(np.random.default_rng(1), 30)
    inside = np.sum((times >= 10) & (times < 15)) / 5
    outside = np.sum(times < 10) / 10
    assert inside == pytest.approx(500, rel=0.1) and outside == pytest.approx(100, rel=0.15)
    diurnal = sl.Poisson(sl.Diurnal(mean=100, amplitude=0.5, period=100))
    assert diurnal.mean_rate(100) == pytest.approx(100, rel=1e-3)
    step = sl.Step(before=10, after=40, at=5)
    assert list(step.rate(np.array([4.9, 5.0]))) == [10, 40]


def test_zipf_probabilities():
    z = sl.Zipf(4, 1.0)
    expected = np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (1 + 1 / 2 + 1 / 3 + 1 / 4)
    np.testing.assert_allclose(z.probabilities(), expected)
    keys = z.sample(np.random.default_rng(0), 100_000)
    np.testing.assert_allclose(np.bincount(keys) / keys.size, expected, atol=0.01)


@pytest.mark.parametrize(
    "dist",
    [sl.Deterministic(0.2), sl.Exponential(0.2), sl.LogNormal(0.2, 1.5), sl.Bimodal(0.1, 1.0, 0.1)],
)
def test_distributions_have_the_stated_mean_and_scv(dist):
    x = dist.sample(np.random.default_rng(0), 400_000)
    assert x.mean() == pytest.approx(dist.mean, rel=0.02)
    assert x.var() / x.mean() ** 2 == pytest.approx(dist.scv, rel=0.1, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_write_cost_and_replica_apply_load_the_nodes_they_should(seed):
    def utilization(**db):
        system = sl.RequestResponse(
            app=sl.AppTier(servers=4, workers=64),
            db=sl.Database(capacity_qps=1000.0, concurrency=8, read_replicas=2, **db),
        )
        r = sl.simulate(system, sl.Poisson(200.0, read_fraction=0.0), 20.0, seed=seed)
        return [r.components[n].utilization for n in ("db", "db.replica[0]", "db.replica[1]")]

    # 200 writes/s at 3x a read's 1 ms of node time: the primary is 60% busy. Replicas
    # replay each write at half its cost (30%), or not at all.
    primary, *replicas = utilization(write_cost=3.0, replica_apply=0.5)
    assert primary == pytest.approx(0.6, abs=0.05)
    assert replicas == pytest.approx([0.3, 0.3], abs=0.04)
    assert utilization(write_cost=3.0, replica_apply=0.0)[1:] == [0.0, 0.0]
