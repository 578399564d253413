"""The network labs against direct counts: app-tier sizes, bytes per hop, a broker's
network as consumer groups are added, and the ``arrivals`` series they rest on."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs


def test_app_tier_is_load_over_capacity_at_the_target():
    rows = labs.app_tier(users=(1e6,), rate_per_user=10.0, capacities=(1_000.0,))
    assert [(r.load, r.servers) for r in rows] == [(1e7, math.ceil(1e7 / 700))]
    at_full = labs.app_tier(users=(1e6,), rate_per_user=10.0, target_utilization=1.0)
    assert [r.servers for r in at_full] == [20_000, 10_000, 2_000]
    assert all(r.monthly_cost == r.servers * 150.0 for r in at_full)


def test_bandwidth_counts_every_hop():
    sync, async_ = labs.bandwidth(
        rate=100.0, peak_factor=2.0, request_bytes=800, response_bytes=200, ack_bytes=50,
        calls=4, attempts=1.5, replication=3, groups=5,
    )  # fmt: skip
    assert sync.bytes_per_request == 4 * 1.5 * 1000
    assert sync.peak == 2 * sync.average == 2 * 100 * 6000
    before = (800 + 50) + (800 + 50) + 800 * 2
    after = 800 * 5 + 2 * 1000
    assert async_.bytes_per_request == before + after
    assert async_.peak == pytest.approx(100 * (2 * before + after))
    assert [h.after_log for h in async_.hops] == [False] * 3 + [True] * 3


def test_each_consumer_group_adds_the_whole_stream_to_broker_egress():
    net = labs.broker_network(
        message_rate=1e5, message_bytes=1e3, groups=(1, 2, 10), replication=3, brokers=4
    )
    assert net.ingress == 1e8
    assert net.per_broker_in == pytest.approx(1e8 * 3 / 4)
    assert np.allclose(net.per_broker_out, 1e8 * (2 + np.array([1, 2, 10])) / 4)
    assert np.allclose(np.diff(net.per_broker_out) / np.diff(net.groups), 1e8 / 4)


@pytest.mark.parametrize("rate, brokers", [(1e6, 6), (3e5, 3), (5e4, 3), (2e6, 40)])
def test_max_groups_and_brokers_needed_sit_on_the_target(rate, brokers):
    groups = tuple(range(1, 80))
    net = labs.broker_network(message_rate=rate, groups=groups, brokers=brokers)
    ok = net.utilization <= net.target_utilization + 1e-12
    assert net.max_groups == int(ok.sum())
    assert ok[: net.max_groups].all()
    for g, needed in zip(groups, net.brokers_needed, strict=True):
        fits = labs.broker_network(message_rate=rate, groups=(g,), brokers=int(needed))
        assert fits.utilization[0] <= 0.7 + 1e-12
        if needed > 3:
            short = labs.broker_network(message_rate=rate, groups=(g,), brokers=int(needed) - 1)
            assert short.utilization[0] > 0.7


def test_groups_fall_behind_only_when_egress_exceeds_the_network():
    net = labs.broker_network(groups=tuple(range(1, 30)))
    full = net.per_broker_out > net.nic + 1e-6
    assert ((net.lag_growth > 0) == full).all()
    assert (np.diff(net.lag_growth) >= 0).all()
    served = net.brokers * net.nic - net.ingress * 2
    assert np.allclose(net.lag_growth[full], 1e6 - served / net.groups[full] / net.message_bytes)


def test_arrivals_series_counts_every_request():
    result = sl.simulate(sl.Station(), sl.Poisson(50.0), 20.0, seed=3)
    series = result.timeseries("arrivals", bin_width=0.5)
    assert series.values.sum() * 0.5 == result.counts.generated


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: labs.app_tier(rate_per_user=0.0), "rate_per_user=0.0"),
        (lambda: labs.app_tier(capacities=()), "capacities"),
        (lambda: labs.bandwidth(calls=0), "calls=0"),
        (lambda: labs.bandwidth(attempts=0.5), "attempts=0.5"),
        (lambda: labs.bandwidth(groups=10_001), "groups=10001"),
        (lambda: labs.broker_network(groups=(0,)), r"groups\[0\]=0"),
        (lambda: labs.broker_network(nic_gbps=float("nan")), "nic_gbps"),
        (lambda: labs.broker_network(replication=11), "replication=11"),
        (lambda: labs.broker_network(replication=3, brokers=2), "brokers=2"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
