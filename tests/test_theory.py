"""Queueing formulas against values computed by hand or published in textbooks."""

from __future__ import annotations

import math

import pytest

import scalelab as sl


def test_mm1_closed_form():
    m = sl.mm1(8.0, 10.0)
    assert m.utilization == pytest.approx(0.8)
    assert m.mean_response == pytest.approx(1 / (10 - 8))
    assert m.mean_wait == pytest.approx(0.8 / (10 - 8))
    assert m.mean_in_system == pytest.approx(0.8 / 0.2)  # rho / (1 - rho)


def test_erlang_c_matches_textbook_value():
    # Erlang C with c = 10 servers and a = 8 erlangs is 0.40918 (standard tables).
    assert sl.erlang_c(10, 8.0) == pytest.approx(0.40918, abs=1e-5)


def test_mmc_benchmark_figure():
    # The benchmark's M/M/c: lambda 8/s, mu 1/s, c 10 -> mean wait 0.2046 s.
    assert sl.mmc(8.0, 1.0, 10).mean_wait == pytest.approx(0.2046, abs=5e-5)


def test_mmc_with_one_server_is_mm1():
    assert sl.mmc(0.7, 1.0, 1).mean_wait == pytest.approx(sl.mm1(0.7, 1.0).mean_wait)


def test_md1_waits_half_of_mm1():
    assert sl.md1(0.9, 1.0).mean_wait == pytest.approx(sl.mm1(0.9, 1.0).mean_wait / 2)


def test_mg1_with_scv_one_is_mm1():
    assert sl.mg1(0.5, 1.0, 1.0).mean_wait == pytest.approx(sl.mm1(0.5, 1.0).mean_wait)


def test_littles_law():
    assert sl.littles_law(100.0, 0.05) == pytest.approx(5.0)


def test_quantiles():
    # M/M/1 response time is exponential with rate mu - lambda.
    assert sl.mm1_response_quantile(8, 10, 0.99) == pytest.approx(math.log(100) / 2)
    m = sl.mmc(8, 1, 10)
    assert sl.mmc_wait_quantile(8, 1, 10, 0.5) == 0.0  # most arrivals do not wait
    assert sl.mmc_wait_quantile(8, 1, 10, 0.99) == pytest.approx(math.log(m.prob_wait / 0.01) / 2)


@pytest.mark.parametrize("call", [
    lambda: sl.mm1(10, 10),
    lambda: sl.mmc(25, 1, 20),
    lambda: sl.md1(2, 1),
    lambda: sl.mg1(1, 2, 1),
])
def test_no_steady_state_is_an_error(call):
    with pytest.raises(ValueError, match="no steady state"):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda: sl.mm1(-1, 10), "arrival_rate"),
    (lambda: sl.mm1(1, 0), "service_rate"),
    (lambda: sl.mmc(1, 2, 0), "servers"),
    (lambda: sl.mg1(1, 0.1, -1), "scv"),
    (lambda: sl.erlang_c(3, 3.0), "offered_load"),
    (lambda: sl.mm1_response_quantile(1, 2, 1.0), "q"),
    (lambda: sl.littles_law(float("nan"), 1), "arrival_rate"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
