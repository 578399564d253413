"""What a client saw, failures included, against what the successes alone show."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl

# 10% of requests take 5 s, the rest 10 ms, on servers that never queue: with a 2-s
# timeout, 10% of clients wait exactly 2 s and give up.
SLOW_TENTH = sl.Station(servers=500, service=sl.Bimodal(0.01, 5.0, 0.1))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_timeouts_count_at_the_timeout(seed):
    r = sl.simulate(SLOW_TENTH, sl.Poisson(50.0), 200.0, seed=seed, client=sl.Client(timeout=2.0))
    assert 0.08 < r.counts.timed_out / r.counts.generated < 0.12
    assert r.latency.p99 == 2.0 and r.latency.p95 == 2.0
    # The successes alone hide them: their p99 is the fast requests' 10 ms.
    assert r.success_latency.p99 == pytest.approx(0.01)
    assert r.latency.count == r.counts.generated - np.sum(r.arrival < r.warmup)
    assert r.summary()["success_latency_p99"] == r.success_latency.p99


def test_without_failures_both_views_agree():
    # Every request of a burst is answered before the end of the run.
    r = sl.simulate(
        sl.Station(servers=2, service=sl.Exponential(0.01)),
        sl.Burst(2000, at=1.0, spread=30.0),
        60.0,
        seed=1,
        warmup=0.0,
    )
    assert r.counts.completed == r.counts.generated
    assert r.latency == r.success_latency
    np.testing.assert_array_equal(r.latencies(), r.success_latencies())


def test_dropped_requests_count_when_the_client_learns_it():
    station = sl.Station(servers=1, service=sl.Deterministic(0.1), queue_limit=0)
    r = sl.simulate(station, sl.Burst(3, at=1.0), 5.0, seed=1, warmup=0.0)
    # One is served in 0.1 s; two are refused at once.
    assert r.counts.dropped == 2
    np.testing.assert_allclose(sorted(r.latencies()), [0.0, 0.0, 0.1])
    assert r.success_latency.count == 1


def test_unanswered_requests_count_at_their_age_at_the_end():
    # An overloaded server with no timeout: most requests are still waiting at the end.
    r = sl.simulate(sl.Station(service=sl.Exponential(0.1)), sl.Poisson(30.0), 20.0, seed=1)
    waiting = (r.arrival >= r.warmup) & ~np.isfinite(r.finish)
    assert r.summary()["unanswered"] == int(waiting.sum()) > 100
    ages = r.duration - r.arrival[waiting]
    assert np.isin(ages, r.latencies()).all()
    assert r.latency.p99 > r.success_latency.p99
    assert r.latency.max <= r.window


def test_latency_series_counts_timeouts():
    r = sl.simulate(SLOW_TENTH, sl.Poisson(200.0), 60.0, seed=1, client=sl.Client(timeout=2.0))
    series = r.timeseries("latency", bin_width=10.0)
    # 90% at 10 ms and 10% at 2 s average about 0.21 s; about 2,000 requests per bin put
    # the share of slow ones within +-0.02 of 10% (three standard errors).
    assert series.values[1:5] == pytest.approx(0.21, abs=0.04)
