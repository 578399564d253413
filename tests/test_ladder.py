"""The bottleneck ladder of chapter 3."""

from __future__ import annotations

import numpy as np
import pytest

from scalelab import labs


def test_database_first_for_request_response_consumers_first_for_event_driven():
    rungs = {(r.users, r.architecture): r for r in labs.ladder(users=(100, 10_000, 1_000_000))}
    assert rungs[(10_000, "request-response")].bottleneck == "database"
    assert rungs[(10_000, "event-driven")].bottleneck == "consumers"
    assert rungs[(100, "request-response")].fix == "nothing yet"
    assert not rungs[(1_000_000, "event-driven")].simulated
    # The simulated lag grows at load minus one consumer's rate (formula).
    growth = rungs[(10_000, "event-driven")].lag_growth
    assert growth == pytest.approx(1000 - 150, rel=0.05)
    # Units: load / (70% of one unit), and one unit then runs below the knee.
    assert rungs[(1_000_000, "request-response")].units == int(np.ceil(100_000 / (0.7 * 1200)))
    assert rungs[(1_000_000, "request-response")].unit_p99 < 0.05


def test_event_driven_shields_the_database():
    for users in (1e3, 1e5, 1e8):
        assert labs.utilizations(users, "event-driven")["database"] <= 150 / 1200 + 1e-12


def test_naive_runs_match_the_utilization_formulas():
    runs = labs.naive_runs(users=15_000)
    db_sync = runs.sync.timeseries("db.completions", bin_width=1.0).values[5:].mean()
    db_async = runs.async_.timeseries("db.completions", bin_width=1.0).values[5:].mean()
    assert db_sync == pytest.approx(1200, rel=0.05)  # saturated: the formula says 125%
    assert db_async == pytest.approx(150, rel=0.05)  # one consumer's rate
    assert runs.sync.counts.timed_out > 0.5 * runs.sync.counts.generated
    assert runs.async_.counts.timed_out == 0 and runs.async_.latency.p99 < 0.05


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: labs.Assumptions(rate_per_user=0), "rate_per_user=0"),
        (lambda: labs.Assumptions(consumer_rate=1000), "consumer_rate=1000"),
        (lambda: labs.utilizations(10, "serverless"), "architecture='serverless'"),
        (lambda: labs.naive_runs(users=10**6), "users=1000000"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)
