"""Bad input gets a ValueError naming the parameter, the value and the allowed range."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs


@pytest.mark.parametrize(
    "call, fragments",
    [
        (lambda: sl.Poisson(-5), ["rate=-5", "(0, inf]"]),
        (lambda: sl.Poisson(0), ["rate=0", "outside"]),
        (lambda: sl.Station(servers=0), ["servers=0", "[1, 10000]"]),
        (lambda: sl.Station(servers=2.5), ["servers=2.5", "not an integer"]),
        (lambda: sl.Exponential(float("nan")), ["mean=nan", "not a finite number"]),
        (lambda: sl.Cache(hit_ratio=1.5), ["hit_ratio=1.5", "[0, 1]"]),
        (lambda: sl.Cache(), ["give exactly one"]),
        (lambda: sl.Poisson(10, read_fraction=-0.1), ["read_fraction=-0.1", "[0, 1]"]),
        (
            lambda: sl.LoadBalancer("fastest"),
            ["policy='fastest'", "round_robin", "least_connections", "power_of_two"],
        ),
        (lambda: sl.Database(capacity_qps=0), ["capacity_qps=0"]),
        (lambda: sl.Database(read_replicas=-1), ["read_replicas=-1"]),
        (lambda: sl.Zipf(0), ["n_keys=0"]),
        (lambda: sl.Diurnal(mean=10, amplitude=2), ["amplitude=2", "[0, 1]"]),
        (lambda: sl.Chain(()), ["empty"]),
        (lambda: sl.Chain((sl.Service("a"), sl.Service("a"))), ["duplicate"]),
        (lambda: sl.RequestResponse(cache=sl.Cache(hit_ratio=0.5)), ["needs a database"]),
        (
            lambda: sl.simulate(sl.Station(), sl.Poisson(1), 10, seed=1, warmup=10),
            ["warmup=10", "[0, 10)"],
        ),
        (lambda: sl.simulate(sl.Station(), sl.Poisson(1), -1, seed=1), ["duration=-1"]),
        (lambda: sl.simulate(sl.Station(), sl.Poisson(1), 10, seed=-1), ["seed=-1"]),
        (
            lambda: sl.simulate(sl.Station(), sl.Poisson(1), 10, seed=1, engine="gpu"),
            ["engine='gpu'", "'auto'", "'simpy'", "'fast'"],
        ),
        (
            lambda: sl.simulate(
                sl.Station(queue_limit=2), sl.Poisson(1), 10, seed=1, engine="fast"
            ),
            ["engine='fast'"],
        ),
        (lambda: sl.simulate("db", sl.Poisson(1), 10, seed=1), ["system='db'"]),
        (lambda: sl.simulate(sl.Station(), sl.Poisson(1e6), 1e3, seed=1), ["duration=1000"]),
        (
            lambda: sl.simulate(
                sl.RequestResponse(db=sl.Database(), cache=sl.Cache(size=10)),
                sl.Poisson(10),
                10,
                seed=1,
            ),
            ["keys="],
        ),
        (lambda: labs.knee_curve(utilizations=(0.5, 1.0)), ["utilizations[]=1.0", "(0, 1)"]),
        (
            lambda: sl.replicate(sl.Station(), sl.Poisson(1), 10, seed=1, replications=0),
            ["replications=0"],
        ),
        (lambda: sl.mmc(10, 1, 5), ["no steady state", ">= 1"]),
    ],
)
def test_error_names_parameter_value_and_range(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_a_huge_key_space_is_refused_at_once_within_a_small_memory_limit():
    """Zipf(10**9) would need 8 GB: under a 1.5 GB address-space limit it must raise a
    ValueError at once, not die."""
    code = (
        "import scalelab as sl\n"
        "for make in (lambda: sl.Zipf(10**9), lambda: sl.Uniform(10**9)):\n"
        "    try:\n"
        "        make()\n"
        "    except ValueError as e:\n"
        "        assert 'n_keys' in str(e)\n"
        "    else:\n"
        "        raise SystemExit('no ValueError')\n"
    )
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000,) * 2)  # noqa: E731
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, preexec_fn=limit, timeout=60)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.ClosedLoop(clients=10**6), "clients"),
        (
            lambda: sl.replicate(sl.Station(), sl.Poisson(1e6), 10, seed=1, replications=10),
            "replications",
        ),
        (lambda: sl.lru_hit_ratio(np.full(10**7 + 1, 1 / (10**7 + 1)), 10), "keys"),
    ],
)
def test_costly_inputs_are_refused_before_they_cost(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_a_lab_refuses_more_work_than_its_budget_before_doing_it():
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"^labs\.knee_curve would simulate more than"):
        labs.knee_curve(requests=5_000_000, replications=100)
    assert time.perf_counter() - start < 1


def test_request_budget_adds_up_the_runs_inside_it():
    station, load = sl.Station(), sl.Poisson(100.0)
    with sl.request_budget(2500, "this block"):
        sl.simulate(station, load, 10.0, seed=1)  # ~1,000 requests
        sl.simulate(station, load, 10.0, seed=2)  # ~2,000 in all
        with pytest.raises(ValueError, match=r"^this block"):
            sl.simulate(station, load, 10.0, seed=3)
    sl.simulate(station, load, 10.0, seed=3)  # no budget outside the block


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.AppTier(servers=10**6), "servers"),
        (lambda: sl.Station(servers=10**9), "servers"),
        (lambda: sl.Database(shards=10**6), "shards"),
        (lambda: sl.Database(read_replicas=1000), "read_replicas"),
        (lambda: sl.erlang_b(10**9, 5.0), "servers"),
        (lambda: sl.closed_loop_throughput(10**9, 0.01, 1.0), "clients"),
        (lambda: labs.resharding(n_keys=10**9), "n_keys"),
        (lambda: labs.resharding(vnodes=10**6), "vnodes"),
        (lambda: labs.sensitivity(labs.Scenario(), "users", tuple(range(1, 20_002))), "values"),
        (lambda: labs.lru_sizing(sizes=(10**9,)), r"sizes\[0\]"),
        (lambda: labs.lru_sizing(n_keys=10**7), "n_keys"),
        (lambda: labs.cold_cache_collapse(cache_size=10**9), "cache_size"),
        (lambda: labs.resharding(n_keys=10**7, new=(16,)), "n_keys"),
        (lambda: labs.jitter_contention(clients=10_000), "clients"),
        (lambda: labs.read_replicas(replicas=(0, 1000)), r"replicas\[1\]"),
        (lambda: labs.units_for_p99(1000.0, 10**6, 0.01, 0.1), "slots"),
        (lambda: labs.cost_table(db_slots=10**6), "db_slots"),
        (
            lambda: sl.simulate(sl.Station(), sl.Poisson(1.0), 10.0, seed=1).timeseries(
                "throughput", bin_width=1e-9
            ),
            "bin_width",
        ),
    ],
)
def test_sizes_that_would_cost_gigabytes_are_refused(call, fragment):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=fragment):
        call()
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: labs.littles_law_check(duration=1e-3), "duration=0.001"),
        (lambda: labs.sync_async_sweep(utilizations=(1e-6,)), "utilizations=(1e-06,)"),
        (lambda: labs.horizontal_scaling(load=1e-6), "load=1e-06"),
        (lambda: labs.hot_partitions(load=1e-6), "load=1e-06"),
        (lambda: labs.replay_window(load=1e-6), "load=1e-06"),
        (lambda: labs.backpressure(base=1e-6, spike=1e-6), "spike=1e-06"),
        (lambda: labs.staleness(consumer_rate=1e-6), "consumer_rate=1e-06"),
        (lambda: labs.retry_amplification(duration=1e-6), "duration=1e-06"),
        (lambda: labs.ten_x(load=1e-6), "load=1e-06"),
        (lambda: labs.consumer_batching(own=1e9), "own=1000000000.0"),
    ],
)
def test_a_run_too_small_to_measure_is_refused_by_the_arguments_that_size_it(call, fragment):
    """Valid but tiny rates or durations used to divide by zero, or return NaN or a
    garbage partition count, from runs of no request."""
    with pytest.raises(ValueError, match="requests a run, and a run needs at least 100") as info:
        call()
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: labs.ladder(users=(100,), duration=1.0), "duration=1.0"),
        (lambda: labs.cache_warmup(bin_width=1e9), "bin_width=1000000000.0"),
        (lambda: labs.replay_window(load=1.0, duration=1e9), "duration=1000000000.0"),
        (lambda: labs.stale_reads(lags=(0.0,)), "lags[0]=0.0"),
        (lambda: labs.hot_partitions(load=1e9, duration=1e-6), "nothing finished"),
        (lambda: labs.staleness(consumer_rate=1e9, duration=1e-6), "nothing finished"),
        (
            lambda: labs.sync_async_sweep(db_capacity_qps=1e9, duration=1e-6),
            "nothing finished",
        ),
    ],
)
def test_a_lab_refuses_what_its_measurement_cannot_use(call, fragment):
    """A lag fitted on fewer than two bins, a steady state over no bin, more bins than a
    time series allows, a replication lag of 0 (not a distribution), or shares of a run
    in which nothing finished (they were NaN)."""
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)


def test_request_budget_weighs_a_request_by_what_it_costs_to_simulate():
    """A request through a chain of 3 services, a fan-out to 3 backends, a request-response
    system or an event-driven one with its API and database costs what several requests
    through one station do, and the budget counts it so (``benchmarks/costs.py`` measures
    the weights)."""
    load = sl.Poisson(100.0)  # ~1,000 requests in 10 s
    heavy = (
        sl.Chain(tuple(sl.Service(f"s{i}") for i in range(3))),
        sl.FanOut(fanout=3),
        sl.RequestResponse(db=sl.Database()),
        sl.EventDriven(front=sl.AppTier(), db=sl.Database()),
    )
    for system in heavy:
        assert sl.cost_per_request(system) >= 3
        with sl.request_budget(2500, "this block"), pytest.raises(ValueError, match=r"^this block"):
            sl.simulate(system, load, 10.0, seed=1)
    assert sl.cost_per_request(sl.FanOut(fanout=4, hedge_after=0.01)) == 10.0
    assert sl.cost_per_request(sl.EventDriven(broker=sl.Queue())) == 2.0
    with sl.request_budget(2500, "this block"):
        sl.simulate(sl.Station(), load, 10.0, seed=1)


def test_a_zipf_table_is_built_in_its_own_8_bytes_a_key():
    """The cumulative table is built in place: no temporary arrays of the key count."""
    n = 2_000_000
    tracemalloc.start()
    try:
        sl.Zipf(n, 1.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.1 * 8 * n
    cumulative = np.cumsum(1.0 / np.arange(1, 1001) ** 1.1)  # as built before, value for value
    np.testing.assert_array_equal(sl.Zipf(1000, 1.1)._cdf, cumulative / cumulative[-1])


def test_a_warm_cache_beyond_a_million_keys_is_refused_before_it_is_filled():
    system = sl.RequestResponse(cache=sl.Cache(size=5_000_000, warm=True), db=sl.Database())
    refused = r"Cache\(size=5,000,000, warm=True\) .* at most 1,000,000"
    with pytest.raises(ValueError, match=refused):
        sl.simulate(system, sl.Poisson(10.0, keys=sl.Zipf(10_000_000)), 1.0, seed=1)
    # The same cache over a catalogue it cannot fill beyond a million runs.
    sl.simulate(system, sl.Poisson(10.0, keys=sl.Uniform(1000)), 1.0, seed=1)
