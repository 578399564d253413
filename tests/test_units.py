"""The rules the sizing labs share: p99 or inf, and one unit at its share of the load."""

from __future__ import annotations

import math

import pytest

import scalelab as sl
from scalelab.labs._units import p99_or_inf, unit_p99, unit_run


def test_p99_or_inf_is_never_none():
    assert p99_or_inf(sl.LatencyStats(0, None, None, None, None, None, None)) == math.inf
    assert p99_or_inf(sl.LatencyStats(1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)) == 0.1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_unit_at_its_share_agrees_with_mmc(seed):
    # M/M/4 at 70%: over 50,000 requests the simulated mean response time lies within 5%
    # of Erlang C's, and unit_p99 is that same run's p99.
    run = unit_run(2800.0, 4, 0.001, 50_000, seed)
    exact = sl.mmc(2800.0, 1000.0, 4).mean_response
    assert run.latency.mean == pytest.approx(exact, rel=0.05)
    assert unit_p99(2800.0, 4, 0.001, 50_000, seed) == run.latency.p99


def test_an_overloaded_unit_has_no_p99():
    assert unit_p99(1200.0, 1, 0.001, 20_000, 1) == math.inf
