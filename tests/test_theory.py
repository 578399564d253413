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


@pytest.mark.parametrize(
    "call",
    [
        lambda: sl.mm1(10, 10),
        lambda: sl.mmc(25, 1, 20),
        lambda: sl.md1(2, 1),
        lambda: sl.mg1(1, 2, 1),
    ],
)
def test_no_steady_state_is_an_error(call):
    with pytest.raises(ValueError, match="no steady state"):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sl.mm1(-1, 10), "arrival_rate"),
        (lambda: sl.mm1(1, 0), "service_rate"),
        (lambda: sl.mmc(1, 2, 0), "servers"),
        (lambda: sl.mg1(1, 0.1, -1), "scv"),
        (lambda: sl.erlang_c(3, 3.0), "offered_load"),
        (lambda: sl.mm1_response_quantile(1, 2, 1.0), "q"),
        (lambda: sl.littles_law(float("nan"), 1), "arrival_rate"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("read_fraction, hit_ratio", [(0.9, 0.8), (0.5, 0.0), (1.0, 0.95)])
def test_database_load_matches_a_direct_count(read_fraction, hit_ratio, seed):
    system = sl.RequestResponse(
        app=sl.AppTier(servers=4, workers=64),
        db=sl.Database(capacity_qps=50_000.0, concurrency=64),
        cache=sl.Cache(hit_ratio=hit_ratio),
    )
    r = sl.simulate(
        system, sl.Poisson(2000.0, read_fraction=read_fraction), 10.0, seed=seed, warmup=0.0
    )
    expected = sl.database_load(r.counts.generated / r.duration, read_fraction, hit_ratio)
    # The counters count every query of the run; about 20,000 requests, so the binomial
    # read/write and hit/miss splits are within ~3 standard errors of 2-3%.
    assert r.counters["db.writes"] / r.duration == pytest.approx(expected.writes, rel=0.06, abs=15)
    assert r.counters["db.reads"] / r.duration == pytest.approx(expected.reads, rel=0.06, abs=15)
    assert expected.total == pytest.approx(expected.reads + expected.writes)


def test_database_load_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^hit_ratio"):
        sl.database_load(10.0, 0.5, 1.5)
    with pytest.raises(ValueError, match=r"^rate"):
        sl.database_load(-1.0)


def test_mmc_response_quantile_matches_mm1_and_a_long_simulation():
    assert sl.mmc_response_quantile(80.0, 100.0, 1, 0.99) == pytest.approx(
        sl.mm1_response_quantile(80.0, 100.0, 0.99), rel=1e-6
    )
    # M/M/8 at 90%: 400,000 requests put the simulated p99 within a few percent.
    station = sl.Station(servers=8, service=sl.Exponential(0.008))
    r = sl.simulate(station, sl.Poisson(900.0), 400_000 / 900.0, seed=3)
    assert r.latency.p99 == pytest.approx(sl.mmc_response_quantile(900.0, 125.0, 8, 0.99), rel=0.05)
