"""Each failure phenomenon, stated in numbers (default parameters, fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs


def test_retry_amplification():
    data = labs.retry_amplification()
    none, one, three = data.goodput
    top = -1  # twice the capacity
    # Past saturation retries lower goodput, and calls per request approach 1 + retries.
    assert three[top] < one[top] < none[top]
    assert data.attempts_per_request[2, top] > 0.8 * 4
    assert data.attempts_per_request[1, top] > 0.8 * 2
    assert np.all(data.attempts_per_request[0] == 1.0)
    assert data.work_per_success[2, top] > 1.3 * data.work_per_success[0, top]
    # Below saturation retries are free: same goodput at half load.
    assert three[0] == pytest.approx(none[0], rel=0.02)


def test_metastable_failure_and_its_cures():
    data = labs.metastable_failure()
    phases = data.phases
    before = phases["no retries"]["before"]
    assert before > 0.9 * data.base_load
    # The collapse outlives the trigger with retries, and only with retries.
    assert phases["retries"]["after"] < 0.3 * before
    assert phases["no retries"]["after"] > 0.9 * before
    for cure in ("retries + budget", "retries + breaker", "retries + deadline shedding"):
        assert phases[cure]["before"] == pytest.approx(before, rel=0.05)
        assert phases[cure]["after"] > 0.9 * before, cure
    # Shedding keeps serving live requests even during the spike.
    assert phases["retries + deadline shedding"]["during"] > 0.5 * before
    assert phases["retries"]["during"] < 0.5 * before


def test_cold_cache_collapse():
    data = labs.cold_cache_collapse()
    assert data.hit_ratio_before == pytest.approx(0.9, abs=0.05)
    assert 200 <= data.db_qps_before <= 350  # the database carries ~300 QPS of 3,000
    before = data.goodput[data.t < data.flush_at].mean()
    assert before == pytest.approx(data.load, rel=0.05)
    # Losing the cache sends ~10x the load to the database, which then runs flat out...
    after_loss = data.db_qps[data.t > data.flush_at + 1].mean()
    assert after_loss == pytest.approx(data.db_capacity_qps, rel=0.1)
    # ...and goodput does not come back while load stays up.
    assert data.goodput_after < 0.01 * data.load


def test_fanout_tail_matches_formula_and_hedging_cuts_p99():
    data = labs.fanout_tail(calls=6000)
    # Binomial noise: a fraction from n requests has standard error sqrt(q(1-q)/n).
    requests = np.maximum(100, 6000 // data.fanout)
    stderr = np.sqrt(data.formula * (1 - data.formula) / requests)
    assert np.all(np.abs(data.simulated - data.formula) <= 4 * stderr + 0.005)
    assert data.simulated[-1] > 0.5  # 1% slow calls make most 100-way requests slow
    assert data.p99_hedged < 0.5 * data.p99_plain
    assert data.extra_load < 0.05


def test_coordinated_omission():
    data = labs.coordinated_omission()
    assert data.utilization == pytest.approx(0.9, abs=0.02)
    # Same server, same utilization: the closed loop reports a far rosier tail.
    assert data.closed_p99 < 0.5 * data.open_p99
    exact_p99 = sl.mm1_response_quantile(90.0, 100.0, 0.99)
    assert data.open_p99 == pytest.approx(exact_p99, rel=0.15)


def test_jitter_beats_plain_backoff():
    data = labs.jitter_contention()
    by = dict(zip(data.jitters, zip(data.completion_time, data.calls, strict=True), strict=True))
    for jitter in ("full", "decorrelated"):
        assert by[jitter][0] < 0.2 * by["none"][0]
        assert by[jitter][1] < 0.5 * by["none"][1]
    assert np.all(np.isfinite(data.completion_time))


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: labs.retry_amplification(loads=(0.0,)), "loads[]=0"),
        (lambda: labs.metastable_failure(base_load=1.2), "base_load=1.2"),
        (lambda: labs.metastable_failure(duration=20.0), "duration=20"),
        (lambda: labs.cold_cache_collapse(flush_at=20.0), "flush_at=20"),
        (lambda: labs.fanout_tail(p_slow=1.5), "p_slow=1.5"),
        (lambda: labs.coordinated_omission(clients=0), "clients=0"),
        (lambda: labs.jitter_contention(clients=1), "clients=1"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)
