"""The chapter 4 labs, stated in numbers (default parameters, fixed seeds), and the
formulas they are checked against."""

from __future__ import annotations

import re

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs


def test_least_connections_beats_blind_policies_on_uneven_requests():
    data = labs.balancer_comparison()
    p99 = dict(zip(data.policies, data.p99[:, -1], strict=True))
    assert p99["least_connections"] < 0.5 * p99["random"]
    assert p99["least_connections"] < 0.5 * p99["round_robin"]
    assert p99["power_of_two"] < 0.6 * p99["random"]
    spread = data.server_utilization.max(axis=2) / data.server_utilization.mean(axis=2)
    by = dict(zip(data.policies, spread.mean(axis=1), strict=True))
    assert by["least_connections"] < by["random"]
    # Random placement meets a 200 ms p99 only at lower utilization: it needs more servers.
    best = data.highest_utilization(0.2)
    assert best["least_connections"] >= 0.9 > best["random"]


def test_horizontal_scaling_stops_at_the_database():
    data = labs.horizontal_scaling()
    assert data.throughput[0] == pytest.approx(data.app_capacity, rel=0.1)
    assert data.throughput[1] == pytest.approx(2 * data.app_capacity, rel=0.1)
    assert np.all(data.throughput <= 1.05 * data.db_capacity_qps)
    assert data.throughput[-1] > 0.95 * data.db_capacity_qps
    assert data.throughput[-1] - data.throughput[-2] < 0.02 * data.db_capacity_qps
    assert data.db_utilization[-1] > 0.97
    assert data.p99[-1] > data.p99[0]


def test_pool_smaller_than_littles_law_starves_and_a_bigger_one_adds_nothing():
    data = labs.pool_sizing()
    by = dict(zip(data.pools.tolist(), data.p99, strict=True))
    wait = dict(zip(data.pools.tolist(), data.pool_wait, strict=True))
    assert data.in_use == pytest.approx(5.6)
    assert by[4] > 10 * by[8]  # 4 connections x 125 queries/s < 700 requests/s
    assert wait[4] > 0.1 and wait[16] < 0.001
    assert by[64] == pytest.approx(by[16], rel=0.02)
    assert data.db_wait[-1] > data.db_wait[0]  # the queue moves into the database


def test_read_replicas_relieve_the_primary_and_bring_stale_reads():
    data = labs.read_replicas()
    assert data.overloaded[0] and data.overloaded[1] and not data.overloaded[2]
    assert data.stale[0] == 0
    assert np.all(data.stale[1:] > 0.05)
    assert data.primary_utilization[0] > 0.97
    assert data.primary_utilization[2] < 0.25  # writes only: 150/s of 1,000
    assert data.p99[2] < 0.1 < data.p99[0]


def test_stale_reads_follow_the_formula_and_grow_with_skew():
    data = labs.stale_reads()
    sim, formula = data.simulated["zipf"], data.formula["zipf"]
    assert np.all(np.diff(sim) > 0)
    np.testing.assert_allclose(sim[1:5], formula[1:5], rtol=0.25)
    assert np.all(data.simulated["uniform"] < 0.1 * sim)


def test_cache_hit_ratio_divides_database_load():
    data = labs.cache_lever()
    fits = data.db_qps_formula < 0.8 * data.db_capacity_qps
    np.testing.assert_allclose(data.db_qps[fits], data.db_qps_formula[fits], rtol=0.1)
    assert np.all(data.db_qps <= 1.05 * data.db_capacity_qps)
    assert data.p99[-1] < 0.05 < 0.5 < data.p99[0]


def test_simulated_lru_matches_ches_approximation():
    data = labs.lru_sizing()
    np.testing.assert_allclose(data.simulated, data.formula, atol=0.03)
    assert np.all(np.diff(data.simulated, axis=1) > 0)
    assert np.all(np.diff(data.simulated, axis=0) > 0)


def test_cold_cache_overloads_the_database_until_it_fills():
    data = labs.cache_warmup()
    start, end = data.db_qps[:4].mean(), data.db_qps[-8:].mean()
    assert start > 0.9 * data.db_capacity_qps
    assert end < 0.8 * data.db_capacity_qps
    assert data.latency[:8].max() > 4 * data.latency[-8:].mean()
    che = sl.lru_hit_ratio(sl.Zipf(100_000, 1.0).probabilities(), 5_000)
    assert data.steady_hit_ratio == pytest.approx(che, abs=0.06)


def test_a_hot_key_makes_a_hot_shard():
    data = labs.shard_load()
    even, skewed = data.utilization[0], data.utilization[-1]
    assert even.max() / even.mean() < 1.15
    hot = int(np.argmax(skewed))
    share = data.hottest_key_share[-1] * data.load / data.shard_capacity_qps
    assert skewed[hot] > share
    assert skewed[hot] > 1.6 * np.median(skewed)
    assert data.p99[-1] > data.p99[0]


def test_consistent_hashing_moves_the_least_keys():
    data = labs.resharding()
    assert data.modulo[0] == pytest.approx(8 / 9, abs=0.01)
    assert data.modulo[-1] == pytest.approx(0.5, abs=0.01)
    np.testing.assert_allclose(data.ring, data.ideal, atol=0.05)


def test_widget_point_spreads_reads_over_the_replicas():
    r = labs.cache_replicas_point(hit_ratio=0.9, replicas=2, load=2000.0)
    assert r.nodes == ("db", "db.replica[0]", "db.replica[1]")
    # 180 reads/s that miss the cache over two replicas, 200 writes/s on the primary.
    assert r.db_load.reads == pytest.approx(180.0) and r.db_load.writes == pytest.approx(200.0)
    # Each replica serves half the read misses and replays every write (apply factor 1):
    # (90 + 200) / 1,000 queries/s; the primary takes the 200 writes.
    assert r.utilization[1:] == pytest.approx([0.29, 0.29], abs=0.05)
    assert r.utilization[0] == pytest.approx(0.2, abs=0.04) and r.timed_out == 0
    assert np.all(np.diff(r.latencies) >= 0) and r.p99 == pytest.approx(
        np.percentile(r.latencies, 99)
    )


def test_widget_point_counts_every_measured_request_as_answered_or_timed_out():
    # 6,000 requests/s against 1,000 queries/s: the measured requests (sent before
    # duration - timeout) have all settled, and most of them gave up.
    r = labs.cache_replicas_point(hit_ratio=0.0, replicas=0, load=6000.0)
    assert r.measured == r.latencies.size and 2500 < r.measured < 3500
    assert np.all(r.latencies <= r.timeout + 1e-9)
    assert r.timed_out > 0.5 and r.p99 == pytest.approx(r.timeout)


def test_lru_formula_is_exact_for_uniform_keys():
    assert sl.lru_hit_ratio(np.full(1000, 1e-3), 250) == pytest.approx(0.25, rel=1e-6)
    assert sl.lru_hit_ratio([0.5, 0.5], 2) == 1.0


def test_stale_formula_for_one_key():
    assert sl.stale_read_fraction([1.0], write_rate=10.0, mean_lag=0.1) == pytest.approx(0.5)
    assert sl.stale_read_fraction([0.5, 0.5], write_rate=0.0, mean_lag=1.0) == 0.0


def test_partition_rule_and_drain_time():
    assert sl.partitions_needed(100_000, 10_000, 150) == 667
    assert sl.partitions_needed(100_000, 10_000, 50_000) == 10
    assert sl.drain_time(12_000, 1_500, 900) == pytest.approx(20.0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: labs.balancer_comparison(utilizations=(0.5, 1.0)), "utilizations"),
        (lambda: labs.balancer_comparison(servers=1), "servers"),
        (lambda: labs.horizontal_scaling(servers=()), "servers"),
        (lambda: labs.pool_sizing(pools=(0,)), "pools[0]"),
        (lambda: labs.read_replicas(lag=0), "lag"),
        (lambda: labs.stale_reads(read_fraction=1.0), "read_fraction"),
        (lambda: labs.cache_lever(hit_ratios=(1.5,)), "hit_ratios[0]"),
        (lambda: labs.lru_sizing(requests=10), "requests"),
        (lambda: labs.shard_load(skews=(-1,)), "skews[0]"),
        (lambda: labs.resharding(old=8, new=(8,)), "new[0]"),
        (lambda: labs.cache_replicas_point(replicas=9), "replicas"),
        (lambda: labs.cache_replicas_point(load=float("nan")), "load"),
        (lambda: labs.cache_replicas_point(duration=0.5, timeout=0.5), "duration"),
        (lambda: sl.lru_hit_ratio([0.5, 0.6], 1), "probabilities"),
        (lambda: sl.partitions_needed(0, 1, 1), "target_rate"),
        (lambda: sl.drain_time(10, 100, 100), "arrival_rate"),
    ],
)
def test_bad_lab_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match="^" + re.escape(name)):
        call()
