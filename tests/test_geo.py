"""The edge and regions labs against direct computations: Che's approximation on a grouped
Zipf, round trips from distance, what a failover loses, active-active conflicts and
shuffle sharding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalelab import Zipf, labs, theory


@pytest.mark.parametrize(
    "n, s, size",
    [(1_000, 0.8, 100), (50_000, 0.8, 1_000), (200_000, 1.0, 5_000), (30_000, 0.0, 900)],
)
def test_grouped_zipf_gives_che_s_hit_ratio_of_the_full_table(n, s, size):
    full = theory.lru_hit_ratio(Zipf(n, s).probabilities(), size)
    assert labs.zipf_lru_hit_ratio(n, s, size) == pytest.approx(full, abs=1e-3)


def test_grouped_zipf_is_a_distribution_in_little_memory():
    p, count = labs.zipf_groups(10**12, 0.9)
    assert float(np.sum(p * count)) == pytest.approx(1.0)
    assert count.sum() == 10**12 and p.size < 20_000
    assert (np.diff(p) <= 1e-15).all()


def test_edge_offload_rises_with_the_edge_and_with_skew():
    e = labs.edge_offload(personalised=0.25)
    assert (np.diff(e.hit_ratio, axis=1) >= -1e-12).all()
    assert (np.diff(e.hit_ratio, axis=0) >= -1e-12).all()
    assert np.allclose(e.offload, 0.75 * e.hit_ratio)


def test_edge_latency_counts_round_trips_over_fibre():
    lat = labs.edge_latency(distances_km=(1_000.0,), round_trips=3, edge_km=50.0)
    rtt = 2 * 1_000 * 2.0 / 200 / 1000
    near = 2 * 50 * 2.0 / 200 / 1000
    assert lat.direct[0] == pytest.approx(3 * rtt + 0.05)
    assert lat.edge_hit[0] == pytest.approx(3 * near + 0.002)
    assert lat.edge_miss[0] == pytest.approx(3 * near + 0.002 + rtt + 0.05)
    assert lat.expected(0.5)[0] == pytest.approx((lat.edge_hit[0] + lat.edge_miss[0]) / 2)


def test_region_table_is_symmetric_and_known_distances_hold():
    t = labs.region_table(route_factor=1.0)
    assert np.allclose(t.km, t.km.T) and np.allclose(np.diag(t.km), 0)
    i, j = t.names.index("us-east (Virginia)"), t.names.index("eu-west (Ireland)")
    assert 5_300 < t.km[i, j] < 5_600  # Washington to Dublin, about 5,450 km
    assert t.rtt[i, j] == pytest.approx(2 * t.km[i, j] / 200 / 1000)


def test_failover_accounts_for_every_acknowledged_write():
    f = labs.failover_loss(lags=(0.1,), runs=5)
    assert (f.lost <= f.generated).all() and (f.lost > 0).all()
    assert f.generated.mean() == pytest.approx(1_000 * 10.5, rel=0.05)
    assert np.allclose(f.sync_penalty, f.lags)


def test_conflicts_count_both_directions_and_grow_with_the_lag():
    c = labs.active_active_conflicts(lags=(0.0, 0.05, 0.5), duration=10.0)
    assert c.lost_lww[0] == 0 and c.concurrent[0] <= c.lost_lww[1]
    assert (np.diff(c.lost_lww) > 0).all() and (c.lost_lww <= c.concurrent).all()


def test_shuffle_sharding_is_hypergeometric():
    s = labs.shuffle_sharding(nodes=8, shard_size=2)
    assert s.overlap.sum() == pytest.approx(1.0)
    assert s.full_outage == pytest.approx(1 / 28)
    assert s.overlap[0] == pytest.approx(math.comb(6, 2) / 28)
    assert s.cells_share == 0.25


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: labs.zipf_lru_hit_ratio(0, 0.8, 10), "n_keys=0"),
        (lambda: labs.edge_offload(skews=(6.0,)), r"skews\[0\]=6.0"),
        (lambda: labs.edge_offload(edge_objects=(0,)), r"edge_objects\[0\]=0"),
        (lambda: labs.edge_latency(round_trips=0), "round_trips=0"),
        (lambda: labs.region_table(route_factor=0.5), "route_factor=0.5"),
        (lambda: labs.failover_loss(lags=(0.0,)), r"lags\[0\]=0.0"),
        (lambda: labs.failover_loss(write_rate=1e9), "write_rate"),
        (lambda: labs.active_active_conflicts(write_rate=1e6, duration=100.0), "write_rate"),
        (lambda: labs.shuffle_sharding(nodes=4, shard_size=5), "shard_size=5"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
