"""Chapter 6 and 7 building blocks: batching, capacity planning, the retry-storm point."""

from __future__ import annotations

import re

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs, live
from scalelab._engine.batching import batch_finish_times
from scalelab._engine.fast_path import fcfs_start_times


def test_batch_of_one_without_linger_is_lindleys_recursion():
    rng = np.random.default_rng(3)
    arrival = np.sort(rng.uniform(0, 20, 5000))
    _, finish = batch_finish_times(arrival, 1, 0.0, 0.003, 0.0)
    np.testing.assert_allclose(finish, fcfs_start_times(arrival, np.full(5000, 0.003), 1) + 0.003)


def test_batches_respect_size_linger_and_cost():
    arrival = np.array([0.0, 0.001, 0.002, 0.5, 0.5005])
    start, finish = batch_finish_times(arrival, 2, 0.01, 0.1, 0.01)
    # Batch 1 fills at 0.001 and takes 0.12; the third request waits for the server and
    # goes alone (the linger would close at 0.012, the server is free only at 0.121).
    np.testing.assert_allclose(finish[:3], [0.121, 0.121, 0.121 + 0.11])
    np.testing.assert_allclose(finish[3:], [0.5005 + 0.12] * 2)
    np.testing.assert_allclose(start, [0.001, 0.001, 0.121, 0.5005, 0.5005])


def test_a_batch_server_runs_through_simulate_and_accounts_for_every_request():
    server = sl.BatchServer(batch_size=10, linger=0.005)
    r = sl.simulate(server, sl.Poisson(2000), 5.0, seed=3)
    assert r.engine == "fast" and r.counts.generated == r.counts.completed + r.counts.in_flight
    assert 1 < r.counters["batches"] < r.counts.completed
    assert r.throughput == pytest.approx(2000, rel=0.05)
    assert server.capacity == labs.batch_capacity(10, 0.002, 0.0002)
    # One slot per place in a batch: utilization is the mean batch occupancy.
    assert 0 < r.components["server"].utilization < 1
    run = labs.batch_run(load=2000, batch_size=10, linger=0.005, duration=5.0, seed=3)
    assert run.p99 == r.latency.p99 and run.throughput == r.throughput


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"client": sl.Client(timeout=1.0)}, "exact recursion only"),
        ({"engine": "simpy"}, "exact recursion only"),
    ],
)
def test_a_batch_server_refuses_what_its_recursion_cannot_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sl.simulate(sl.BatchServer(), sl.Poisson(10), 1.0, seed=1, **kwargs)
    with pytest.raises(ValueError, match="exact recursion only"):
        sl.simulate(sl.BatchServer(), sl.ClosedLoop(clients=2), 1.0, seed=1)


def test_batching_raises_capacity_and_costs_latency_at_low_load():
    data = labs.batching_curve()
    low, high = 0, -1
    assert data.overloaded[0, high] and not data.overloaded[-1, high]
    np.testing.assert_allclose(
        data.throughput[:, high][data.overloaded[:, high]],
        data.capacity[data.overloaded[:, high]],
        rtol=0.05,
    )
    # At 100/s batching only adds the linger; at 3,500/s only big batches keep up.
    assert data.best_batch(low) == 1
    assert data.best_batch(len(data.loads) - 1) >= 50
    assert data.p99[-1, low] > 2 * data.p99[0, low]


def test_units_for_p99_is_the_smallest_count_that_meets_the_target():
    plan = labs.units_for_p99(load=3000, slots=4, mean_service=0.01, p99_target=0.05)
    assert plan.p99 <= 0.05 and plan.units >= plan.minimum == 8
    fewer = sl.simulate(
        sl.Station(servers=4, service=sl.Exponential(0.01)),
        sl.Poisson(3000 / (plan.units - 1)),
        20_000 / (3000 / (plan.units - 1)),
        seed=1,
    )
    assert fewer.latency.p99 > 0.05


def test_cost_table_async_sizes_writes_for_the_average():
    rows = {(r.architecture, r.component): r for r in labs.cost_table()}
    rr_db = rows[("request-response", "database nodes")]
    ed_db = rows[("event-driven", "database nodes")]
    assert ed_db.load < rr_db.load and ed_db.plan.units <= rr_db.plan.units
    consumers = rows[("event-driven", "partitions + consumers")]
    assert consumers.load == pytest.approx(2000 * 0.1)
    assert consumers.plan.p99 <= 1.0
    assert all(r.monthly_cost >= 0 for r in rows.values())


def test_retry_storm_outlives_its_trigger_only_with_retries():
    stormy = labs.retry_storm(retries=3)
    calm = labs.retry_storm(retries=0)
    budgeted = labs.retry_storm(retries=3, budget=0.1)
    (s,), (c,), (b,) = stormy.phases.values(), calm.phases.values(), budgeted.phases.values()
    assert s["after"] < 0.2 * s["before"]
    assert c["after"] > 0.8 * c["before"] and b["after"] > 0.8 * b["before"]


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sl.BatchServer(batch_size=0), "batch_size"),
        (lambda: sl.BatchServer(overhead=0.0, per_item=0.0), "overhead"),
        (lambda: labs.batching_curve(loads=(0.0,)), "loads"),
        (lambda: labs.units_for_p99(100, 1, 0.01, 0.01), "p99_target"),
        (lambda: labs.cost_table(peak_factor=0.5), "peak_factor"),
        (lambda: labs.retry_storm(retries=11), "retries"),
        (lambda: labs.retry_storm(spike_length=0), "spike_length"),
        (lambda: live.batching_point(batch_size=0), "batch_size"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match="^" + re.escape(name)):
        call()


def test_async_keeps_clients_fast_while_the_write_lands_later():
    data = labs.sync_async_sweep(utilizations=(0.3, 0.9))
    assert np.all(data.client_p99["async"] < 0.04)
    assert data.client_p99["sync"][-1] > 2 * data.client_p99["async"][-1]
    assert np.all(data.done_p99["async"] >= data.done_p99["sync"])
    assert data.done_p99["async"][-1] > 2 * data.done_p99["async"][0]
    assert np.all(data.completed["sync"] > 0.99) and np.all(data.completed["async"] > 0.99)


def test_crash_redelivers_what_was_not_committed():
    data = labs.crash_duplicates()
    assert data.duplicates[0] == 0
    np.testing.assert_allclose(data.duplicates[2:], data.formula[2:], rtol=0.15)
    assert np.all(np.diff(data.duplicates) > 0)


def test_peak_lag_formulas():
    hour = labs.peak_lag(average=200.0, peak=600.0, capacity=300.0, peak_seconds=3600.0)
    assert hour.backlog == pytest.approx(300 * 3600)
    assert hour.staleness_at_end == pytest.approx(3600.0)
    assert hour.drain_seconds == pytest.approx(300 * 3600 / 100)
    assert labs.peak_lag(200.0, 250.0, 300.0, 3600.0).backlog == 0.0
    assert labs.peak_lag(200.0, 600.0, 150.0, 60.0).drain_seconds == float("inf")
    with pytest.raises(ValueError, match=r"^peak"):
        labs.peak_lag(200.0, 100.0, 300.0, 60.0)
