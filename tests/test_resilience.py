"""Client policies and server defences, mechanism by mechanism."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl

SLOW = sl.Station(servers=1, service=sl.Exponential(0.1))  # 10 requests/s


def _accounted(r: sl.SimulationResult) -> bool:
    c = r.counts
    return c.generated == c.completed + c.timed_out + c.dropped + c.failed + c.in_flight


def test_timeout_only_fast_path_equals_the_general_client():
    # A budget that is never used changes nothing, but forces the per-attempt processes.
    workload = sl.Poisson(12)
    fast = sl.simulate(SLOW, workload, 100, seed=2, client=sl.Client(timeout=0.5))
    general = sl.simulate(
        SLOW, workload, 100, seed=2, client=sl.Client(timeout=0.5, budget=sl.RetryBudget())
    )
    np.testing.assert_array_equal(fast.status, general.status)
    np.testing.assert_allclose(fast.finish, general.finish)
    assert fast.counts.timed_out > 100 and _accounted(fast)


def test_timed_out_requests_end_at_their_deadline():
    result = sl.simulate(
        SLOW, sl.Poisson(15), 60, seed=1, warmup=0.0, client=sl.Client(timeout=0.3)
    )
    late = result.status == sl.Status.TIMED_OUT
    np.testing.assert_allclose(result.finish[late] - result.arrival[late], 0.3)
    assert result.latencies().max() == pytest.approx(0.3)  # the timeout, never beyond


def test_retries_count_and_succeed_after_transient_drops():
    station = sl.Station(servers=1, service=sl.Exponential(0.05), queue_limit=0)
    client = sl.Client(retries=5, backoff=sl.Backoff(base=0.05, jitter="full"))
    without = sl.simulate(station, sl.Poisson(8), 100, seed=1)
    with_retries = sl.simulate(station, sl.Poisson(8), 100, seed=1, client=client)
    assert without.counts.dropped > 0.2 * without.counts.generated
    assert with_retries.counts.dropped < 0.02 * with_retries.counts.generated
    assert with_retries.counters["client.retries"] > without.counts.dropped * 0.8
    assert _accounted(with_retries)


def test_retry_budget_caps_extra_load():
    client = sl.Client(timeout=0.2, retries=3, budget=sl.RetryBudget(ratio=0.1, burst=5))
    result = sl.simulate(SLOW, sl.Poisson(20), 100, seed=1, client=client)
    first = result.counts.generated
    assert result.counters["client.retries"] <= 0.1 * first + 5
    assert result.counters["client.budget_denied"] > 0


def test_circuit_breaker_opens_fails_fast_and_closes():
    breaker = sl.CircuitBreaker(failure_threshold=0.5, window=10, cooldown=1.0)
    spike = sl.Poisson(sl.Spike(base=5, peak=40, start=10, length=5))
    result = sl.simulate(SLOW, spike, 60, seed=1, client=sl.Client(timeout=1.0, breaker=breaker))
    assert result.counters["breaker.opened"] >= 1
    assert result.counters["breaker.rejected"] > 0
    assert result.counts.failed == result.counters["breaker.rejected"]
    late = result.arrival > 40
    ok = np.mean(result.status[late] == sl.Status.COMPLETED)
    assert ok > 0.95  # closed again once the spike is over (M/M/1 at 50%: 99% < 1 s)


def test_lifo_serves_fresh_requests_under_overload():
    fifo = sl.Station(servers=1, service=sl.Exponential(0.1))
    lifo = sl.Station(servers=1, service=sl.Exponential(0.1), discipline="lifo")
    client = sl.Client(timeout=1.0)
    a = sl.simulate(fifo, sl.Poisson(12), 120, seed=1, client=client)
    b = sl.simulate(lifo, sl.Poisson(12), 120, seed=1, client=client)
    assert b.throughput > 3 * a.throughput


def test_deadline_shedding_skips_hopeless_work():
    shed = sl.Station(servers=1, service=sl.Exponential(0.1), shed_expired=True)
    result = sl.simulate(shed, sl.Poisson(15), 120, seed=1, client=sl.Client(timeout=1.0))
    plain = sl.simulate(SLOW, sl.Poisson(15), 120, seed=1, client=sl.Client(timeout=1.0))
    assert result.components["server"].dropped > 0
    assert result.throughput > 3 * plain.throughput
    assert _accounted(result)


def test_hedging_cancels_the_loser():
    fan = sl.FanOut(
        fanout=5, servers=20, workers=2, service=sl.Bimodal(0.005, 0.2, 0.05), hedge_after=0.01
    )
    result = sl.simulate(fan, sl.Poisson(20), 60, seed=1)
    c = result.counters
    assert c["fanout.hedges"] > 0
    assert c["fanout.cancelled"] == pytest.approx(c["fanout.hedges"], rel=0.05)
    assert result.latency.p99 < 0.1
    busy = sum(result.timeseries(f"backend[{i}].busy").values[-1] for i in range(20))
    assert busy <= 40  # cancelled calls gave their slots back


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.Client(timeout=0), "timeout=0"),
        (lambda: sl.Client(retries=-1), "retries=-1"),
        (lambda: sl.RetryBudget(ratio=0), "ratio=0"),
        (lambda: sl.CircuitBreaker(window=0), "window=0"),
        (lambda: sl.CircuitBreaker(failure_threshold=1.5), "failure_threshold=1.5"),
        (lambda: sl.Station(discipline="random"), "discipline='random'"),
        (lambda: sl.FanOut(fanout=0), "fanout=0"),
        (lambda: sl.Burst(0), "requests=0"),
        (lambda: sl.Cache(hit_ratio=0.5, flush_at=1.0), "flush_at needs an LRU"),
        (
            lambda: sl.simulate(sl.EventDriven(), sl.Poisson(1), 10, seed=1, client=sl.Client()),
            "not supported",
        ),
        (
            lambda: sl.simulate(
                sl.RequestResponse(timeout=1.0), sl.Poisson(1), 10, seed=1, client=sl.Client()
            ),
            "timeout on the Client only",
        ),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)
