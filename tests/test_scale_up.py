"""The scale-up lab: the universal scalability law, the effective cores it implies, and
one node simulated at each size against the M/M/c formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalelab import labs


def test_usl_is_linear_without_sharing_and_peaks_where_the_formula_says():
    cores = np.arange(1, 400)
    assert np.allclose(labs.usl_throughput(cores, 100.0, 0.0, 0.0), cores * 100.0)
    curve = labs.usl_throughput(cores, 100.0, 0.05, 0.001)
    assert cores[curve.argmax()] == round(math.sqrt(0.95 / 0.001))
    assert (np.diff(curve[:30]) > 0).all() and (np.diff(curve[40:]) < 0).all()


def test_effective_cores_carry_the_law_s_throughput():
    s = labs.scale_up(requests=1_000)
    assert (s.effective_cores * s.per_core_rate <= s.capacity + 1e-6).all()
    assert ((s.effective_cores + 1) * s.per_core_rate > s.capacity).all()
    assert s.peak_cores == pytest.approx(math.sqrt(0.97 / 0.0002))
    assert np.allclose(s.cost_per_capacity, s.cores * 37.0 / s.capacity * 1000)


def test_smallest_size_for_a_load_is_the_first_that_fits_at_the_target():
    s = labs.scale_up(requests=1_000)
    for load in (1_000.0, 6_000.0, 12_000.0):
        size = s.smallest_for(load)
        k = list(s.cores).index(size)
        assert s.capacity[k] * 0.7 >= load
        assert k == 0 or s.capacity[:k].max() * 0.7 < load
    assert s.smallest_for(s.capacity.max() * 0.7 + 1) is None


def test_a_node_that_cannot_carry_the_load_has_an_infinite_p99():
    s = labs.scale_up(load=6_000.0, requests=1_000)
    short = s.effective_cores * s.per_core_rate <= 6_000.0
    assert short.any() and np.isinf(s.p99[short]).all() and np.isinf(s.formula_p99[short]).all()
    assert np.isfinite(s.p99[~short]).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cores": (8, 4)}, "ascending"),
        ({"cores": (0,)}, r"cores\[0\]=0"),
        ({"contention": 1.0}, "contention=1.0"),
        ({"coherency": -0.1}, "coherency=-0.1"),
        ({"requests": 10}, "requests=10"),
        ({"load": float("nan")}, "load"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        labs.scale_up(**kwargs)


def test_a_bigger_node_buys_two_to_three_times_at_the_chapter_s_assumptions():
    """Chapters 4 and 9 say scaling up buys 2-3x and that ten times the load fits no node."""
    s = labs.scale_up(requests=1_000)
    eight = s.capacity[list(s.cores).index(8)]
    assert 2 < s.capacity.max() / eight < 3
    assert s.smallest_for(10 * s.load) is None
    assert s.smallest_for(2 * s.load) == 32


def test_the_slowed_reading_of_the_law_is_the_pessimistic_p99():
    s = labs.scale_up(requests=1_000)
    fits = np.isfinite(s.formula_p99)
    assert (s.slowed_p99[fits] >= s.formula_p99[fits] * 0.99).all()
    assert (np.diff(s.slowed_p99[fits]) > 0).all()
