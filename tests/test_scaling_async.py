"""The chapter 5 labs, stated in numbers (default parameters, fixed seeds)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from scalelab import labs, live


def test_throughput_is_capped_by_partitions_and_consumers():
    data = labs.partition_grid()
    np.testing.assert_allclose(data.throughput, data.formula, rtol=0.12)
    # Consumers beyond the partition count add nothing, to the message.
    for i, p in enumerate(data.partitions):
        beyond = data.throughput[i, data.consumers >= p]
        assert np.all(beyond == beyond[0])


def test_lag_rises_and_drains_as_the_formula_says():
    data = labs.lag_spike()
    assert data.peak == pytest.approx(data.peak_formula, rel=0.1)
    assert data.drained_after == pytest.approx(data.drain_formula, rel=0.15)
    slow = labs.lag_spike(consumers=3)  # capacity 300 = base: the backlog never drains
    assert slow.drained_after == float("inf") and slow.drain_formula == float("inf")


def test_a_hot_key_makes_a_hot_partition_that_lags_alone():
    data = labs.hot_partitions()
    even, skewed = data.share
    assert even.max() < 0.15
    hot = int(np.argmax(skewed))
    assert skewed[hot] * data.load > 1.2 * data.consumer_rate
    final = data.lag[-1, :, -5:].mean(axis=1)
    assert final[hot] > 300
    assert np.delete(final, hot).max() < 50
    assert data.lag[0, :, -5:].mean() < 20


def test_replay_rebuilds_only_what_retention_kept():
    data = labs.replay_window()
    assert data.recoverable[0] == 1.0
    assert 1.0 > data.recoverable[1] > data.recoverable[2] > 0.1
    assert data.replayed[0] == pytest.approx(200 * 40, rel=0.05)
    assert data.replayed[2] == pytest.approx(200 * 10, rel=0.1)
    assert np.all(np.isfinite(data.caught_up_after))
    assert data.caught_up_after[0] > data.caught_up_after[2]


def test_backpressure_blocks_or_drops():
    data = labs.backpressure()
    unbounded, block, drop = range(3)
    assert data.dropped[unbounded] == data.dropped[block] == 0
    # 300 messages/s more than the broker takes for 3 s: about 900 held or refused.
    assert data.held[unbounded] == pytest.approx(900, rel=0.15)
    assert data.held[block] == 200 and data.blocked[block] > 500
    assert data.p99[block] == pytest.approx(data.p99[unbounded], rel=0.05)
    assert data.p99[drop] < 0.45 < 1.5 < data.p99[block]
    # Dropping keeps publish latency near a full buffer's 200 / 500 s but loses messages.
    assert 0.1 < data.dropped[drop] < 0.25


def test_retrying_poison_in_place_blocks_the_partition():
    data = labs.dead_letters()
    assert data.final_lag[0] < 10 and data.final_lag[-1] > 500
    assert np.all(np.diff(data.p99_completion) > 0)
    assert data.dead_lettered[0] == pytest.approx(data.poison_expected, rel=0.35)
    assert data.dead_lettered[-1] < data.dead_lettered[0]


def test_staleness_follows_the_mm1_response_time():
    data = labs.staleness()
    np.testing.assert_allclose(data.stale[:2], data.formula[:2], atol=0.05)
    assert np.all(np.diff(data.stale, axis=0) >= 0)
    assert np.all(np.diff(data.p99) > 0)


def test_lag_widget_point_runs_fast_configurations():
    fig = live.lag_point(partitions=2, consumers=6, spike=600.0)
    assert "4 idle" in fig.axes[0].get_title()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: labs.partition_grid(partitions=()), "partitions"),
        (lambda: labs.lag_spike(start=7.0, end=6.0), "start"),
        (lambda: labs.lag_spike(partitions=0), "partitions"),
        (lambda: labs.hot_partitions(skews=(9,)), "skews[0]"),
        (lambda: labs.replay_window(consumer_rate=50.0), "consumer_rate"),
        (lambda: labs.replay_window(retentions=(0.0,)), "retentions[0]"),
        (lambda: labs.backpressure(buffer=0), "buffer"),
        (lambda: labs.dead_letters(poison_fraction=2.0), "poison_fraction"),
        (lambda: labs.staleness(utilizations=(1.0,)), "utilizations"),
    ],
)
def test_bad_lab_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match="^" + re.escape(name)):
        call()
