"""The simulator against queueing theory, over several seeds with warm-up trimmed.

Tolerances come from the replications themselves: the 10-seed mean must lie within
3 standard errors of the formula (a 99.7% interval for a correct simulator; the seeds
are fixed, so a pass is reproducible), and, so that a wide interval cannot hide a real
bias, also within 5% of it (one 100,000-request run at utilization 0.9 has a relative
standard deviation near 5%; ten of them, about 1.6%).
"""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl

SEEDS = range(1, 11)
REQUESTS = 100_000


def _station_runs(
    servers: int,
    rho: float,
    service: sl.Distribution,
    engine: str = "auto",
    requests: int = REQUESTS,
    seeds=SEEDS,
):
    rate = rho * servers / service.mean
    station = sl.Station(servers=servers, service=service)
    return [
        sl.simulate(station, sl.Poisson(rate), requests / rate, seed=s, engine=engine)
        for s in seeds
    ]


def _assert_agrees(values: list[float], exact: float) -> None:
    values = np.asarray(values)
    stderr = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - exact) <= 3 * stderr + 1e-12, (values.mean(), exact, stderr)
    assert values.mean() == pytest.approx(exact, rel=0.05)


@pytest.mark.parametrize("servers", [1, 2, 10])
@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_mmc_mean_wait_and_response(servers, rho):
    service = sl.Exponential(1.0)
    runs = _station_runs(servers, rho, service)
    exact = sl.mmc(rho * servers, 1.0, servers)
    _assert_agrees([r.components["server"].mean_wait for r in runs], exact.mean_wait)
    _assert_agrees([r.latency.mean for r in runs], exact.mean_response)


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_md1_mean_wait(rho):
    runs = _station_runs(1, rho, sl.Deterministic(1.0))
    _assert_agrees([r.components["server"].mean_wait for r in runs], sl.md1(rho, 1.0).mean_wait)


def test_mg1_lognormal_mean_wait():
    service = sl.LogNormal(1.0, cv=2.0)
    runs = _station_runs(1, 0.7, service, requests=200_000)
    exact = sl.mg1(0.7, 1.0, service.scv).mean_wait
    _assert_agrees([r.components["server"].mean_wait for r in runs], exact)


@pytest.mark.parametrize("servers, rho", [(1, 0.8), (2, 0.9), (10, 0.8)])
def test_simpy_engine_agrees_with_formula(servers, rho):
    # The general engine on its own (smaller runs: it is ~50x slower than the fast path).
    runs = _station_runs(
        servers, rho, sl.Exponential(1.0), engine="simpy", requests=30_000, seeds=range(1, 6)
    )
    exact = sl.mmc(rho * servers, 1.0, servers).mean_response
    values = np.array([r.latency.mean for r in runs])
    stderr = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - exact) <= 3 * stderr
    assert values.mean() == pytest.approx(exact, rel=0.1)


@pytest.mark.parametrize("servers", [1, 3, 10])
def test_fast_path_equals_simpy_engine_request_by_request(servers):
    station = sl.Station(servers=servers, service=sl.LogNormal(1.0, cv=1.5))
    workload = sl.Poisson(0.85 * servers)
    fast = sl.simulate(station, workload, 3000, seed=7, engine="fast")
    slow = sl.simulate(station, workload, 3000, seed=7, engine="simpy")
    assert fast.engine == "fast" and slow.engine == "simpy"
    np.testing.assert_array_equal(fast.status, slow.status)
    np.testing.assert_allclose(fast.finish, slow.finish, rtol=0, atol=1e-9)
    assert fast.counts == slow.counts
    assert fast.components["server"].utilization == pytest.approx(
        slow.components["server"].utilization, abs=1e-9
    )
    np.testing.assert_array_equal(
        fast.timeseries("server.queue_length").values, slow.timeseries("server.queue_length").values
    )


def test_auto_engine_uses_fast_path_only_where_it_applies():
    assert sl.simulate(sl.Station(), sl.Poisson(0.5), 100, seed=1).engine == "fast"
    bounded = sl.Station(queue_limit=3)
    assert sl.simulate(bounded, sl.Poisson(0.5), 100, seed=1).engine == "simpy"
    closed = sl.ClosedLoop(clients=3)
    assert sl.simulate(sl.Station(), closed, 100, seed=1).engine == "simpy"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_littles_law_holds_on_simulated_runs(seed):
    for system in (
        sl.Station(servers=2, service=sl.Exponential(1.0)),
        sl.RequestResponse(
            app=sl.AppTier(servers=2, workers=4), db=sl.Database(capacity_qps=300.0)
        ),
    ):
        rate = 1.6 if isinstance(system, sl.Station) else 200.0
        duration = 20_000 / rate
        result = sl.simulate(system, sl.Poisson(rate), duration, seed=seed)
        # L (time-average in system) = lambda * W; edge effects are O(L / n).
        assert result.in_system() == pytest.approx(
            result.offered_rate * result.latency.mean, rel=0.03
        )


def test_closed_loop_obeys_the_response_time_law():
    # Interactive response time law: X = N / (R + Z) for N clients with think time Z.
    workload = sl.ClosedLoop(clients=20, think_time=sl.Exponential(2.0))
    result = sl.simulate(
        sl.Station(servers=2, service=sl.Exponential(0.15)), workload, 20_000, seed=3
    )
    predicted = 20 / (result.latency.mean + 2.0)
    assert result.throughput == pytest.approx(predicted, rel=0.02)


@pytest.mark.parametrize("servers, load", [(1, 0.5), (5, 4.0), (10, 12.0)])
def test_loss_system_blocking_matches_erlang_b(servers, load):
    # No waiting room (queue_limit=0): the dropped fraction is Erlang B, for any service
    # distribution; lognormal service checks that insensitivity too.
    station = sl.Station(servers=servers, service=sl.LogNormal(1.0, cv=1.5), queue_limit=0)
    values = [
        sl.simulate(station, sl.Poisson(load), 40_000 / load, seed=s).counts for s in range(1, 6)
    ]
    blocked = [c.dropped / c.generated for c in values]
    _assert_agrees(blocked, sl.erlang_b(servers, load))
