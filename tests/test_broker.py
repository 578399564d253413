"""The event-driven side: broker, consumer groups, lag, replay, backpressure, DLQ."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl

# A broker whose own costs vanish, so a partition + consumer is a plain single queue.
IDEAL = sl.Broker(partitions=1, partition_throughput=1e9, append_latency=0.0)


def _accounted(r: sl.SimulationResult) -> bool:
    c = r.counts
    return c.generated == c.completed + c.failed + c.dropped + c.in_flight + c.timed_out


def _system(consumers: sl.ConsumerGroup, broker: sl.Broker = IDEAL, **kw) -> sl.EventDriven:
    return sl.EventDriven(broker=broker, consumers=consumers, network=0.0, **kw)


@pytest.mark.parametrize(
    "processing, formula",
    [
        (sl.Exponential(1.0), lambda rho: sl.mm1(rho, 1.0)),
        (sl.Deterministic(1.0), lambda rho: sl.md1(rho, 1.0)),
    ],
)
@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_one_partition_one_consumer_is_a_single_queue(processing, formula, rho):
    # Ten seeds; as in test_validation, the mean must sit within 3 standard errors of the
    # formula and within 6% of it (these runs are 5x shorter than the engine's).
    system = _system(sl.ConsumerGroup(consumers=1, processing=processing))
    values = [
        sl.simulate(system, sl.Poisson(rho), 20_000 / rho, seed=s).completion.mean
        for s in range(1, 11)
    ]
    exact = formula(rho).mean_response
    stderr = np.std(values, ddof=1) / np.sqrt(len(values))
    assert abs(np.mean(values) - exact) <= 3 * stderr
    assert np.mean(values) == pytest.approx(exact, rel=0.06)


def test_lag_grows_at_arrival_minus_capacity():
    # 300 messages/s into a consumer that handles 200/s: lag must grow ~100 messages/s.
    system = _system(sl.ConsumerGroup(consumers=1, processing=sl.Deterministic(1 / 200)))
    result = sl.simulate(system, sl.Poisson(300), 120, seed=1)
    lag = result.timeseries("lag", bin_width=1.0)
    keep = lag.t >= 10
    slope = np.polyfit(lag.t[keep], lag.values[keep], 1)[0]
    assert slope == pytest.approx(100, rel=0.05)
    seconds = result.timeseries("lag_seconds", bin_width=1.0)
    # The oldest waiting message is t/3 old at time t (it was produced at 2t/3).
    assert seconds.values[-1] == pytest.approx(seconds.t[-1] / 3, rel=0.05)
    assert result.overloaded and _accounted(result)


def test_consumers_beyond_the_partition_count_add_nothing():
    broker = sl.Broker(
        partitions=4, partition_throughput=1e6, append_latency=0.0, routing="round_robin"
    )
    runs = {
        c: sl.simulate(
            _system(sl.ConsumerGroup(consumers=c, processing=sl.Deterministic(0.01)), broker),
            sl.Poisson(1000),
            30,
            seed=2,
        )
        for c in (2, 4, 8)
    }
    assert runs[4].throughput == pytest.approx(2 * runs[2].throughput, rel=0.05)
    assert runs[8].throughput == pytest.approx(runs[4].throughput, rel=0.01)
    assert runs[8].counters["consumers.idle"] == 4 and runs[4].counters["consumers.idle"] == 0


def test_hot_key_makes_a_hot_partition():
    broker = sl.Broker(partitions=8, partition_throughput=2000)
    system = _system(sl.ConsumerGroup(consumers=8, processing=sl.Exponential(0.002)), broker)
    skew = sl.simulate(system, sl.Poisson(2000, keys=sl.Zipf(10_000, 1.2)), 20, seed=1)
    even = sl.simulate(system, sl.Poisson(2000, keys=sl.Uniform(10_000)), 20, seed=1)
    util = lambda r: [r.components[f"partition[{i}]"].utilization for i in range(8)]  # noqa: E731
    assert max(util(skew)) > 2 * np.median(util(skew))
    assert max(util(even)) < 1.3 * np.median(util(even))


def test_crash_without_commit_redelivers_duplicates():
    def run(commit_interval: float) -> sl.SimulationResult:
        group = sl.ConsumerGroup(
            consumers=2,
            processing=sl.Exponential(0.002),
            commit_interval=commit_interval,
            rebalance_pause=1.0,
            changes=(sl.GroupChange(10.0, "crash"),),
        )
        broker = sl.Broker(partitions=4, append_latency=0.0)
        return sl.simulate(
            _system(group, broker), sl.Poisson(300, keys=sl.Uniform(500)), 30, seed=3
        )

    eager, lazy = run(0.0), run(5.0)
    assert eager.counters["duplicates"] == 0
    assert lazy.counters["duplicates"] > 50
    for r in (eager, lazy):
        assert _accounted(r) and r.counters["projection.matches_replay"] == 1
        assert r.counters["consumers.active"] == 1


def test_rebalance_pause_builds_lag_that_drains():
    group = sl.ConsumerGroup(
        consumers=2,
        processing=sl.Exponential(0.001),
        rebalance_pause=3.0,
        changes=(sl.GroupChange(20.0, "join"),),
    )
    result = sl.simulate(_system(group, sl.Broker(partitions=4)), sl.Poisson(500), 40, seed=1)
    lag = result.timeseries("lag", bin_width=0.5)
    during = lag.values[(lag.t > 21) & (lag.t < 23)].mean()
    before = lag.values[(lag.t > 10) & (lag.t < 19)].mean()
    after = lag.values[lag.t > 30].mean()
    assert during > 500 and before < 20 and after < 20
    assert result.counters["consumers.active"] == 3


def test_replay_from_offset_zero_rebuilds_the_read_model():
    group = sl.ConsumerGroup(
        consumers=2, processing=sl.Exponential(0.001), replay=sl.Replay(at=20.0, to_offset=0)
    )
    workload = sl.Poisson(200, keys=sl.Zipf(300, 1.0))
    result = sl.simulate(_system(group, sl.Broker(partitions=2)), workload, 40, seed=4)
    assert result.counters["replayed"] == pytest.approx(200 * 20, rel=0.1)
    assert result.counters["duplicates"] == 0
    assert result.counters["projection.matches_replay"] == 1
    assert _accounted(result)


def test_replay_to_a_time_only_reprocesses_newer_messages():
    group = sl.ConsumerGroup(
        consumers=1, processing=sl.Exponential(0.001), replay=sl.Replay(at=20.0, to_time=15.0)
    )
    result = sl.simulate(_system(group), sl.Poisson(100), 30, seed=4)
    assert result.counters["replayed"] == pytest.approx(100 * 5, rel=0.15)


def test_retention_loses_what_the_group_did_not_reach():
    group = sl.ConsumerGroup(consumers=1, processing=sl.Deterministic(1 / 50))
    broker = sl.Broker(partitions=1, retention=sl.Retention(seconds=5.0))
    result = sl.simulate(_system(group, broker), sl.Poisson(100), 60, seed=1)
    assert result.counters["expired"] > 1000
    assert result.counts.dropped == result.counters["expired"]
    assert _accounted(result)
    kept = sl.simulate(
        _system(group, sl.Broker(partitions=1, retention=sl.Retention(messages=10**6))),
        sl.Poisson(100),
        60,
        seed=1,
    )
    assert kept.counters["expired"] == 0


@pytest.mark.parametrize("on_full", ["block", "drop"])
def test_backpressure_blocks_or_drops(on_full):
    broker = sl.Broker(partitions=1, partition_throughput=100, append_latency=0.0)
    system = sl.EventDriven(
        broker=broker,
        producer=sl.Producer(buffer=20, on_full=on_full),
        consumers=sl.ConsumerGroup(consumers=1),
        network=0.0,
    )
    result = sl.simulate(system, sl.Poisson(150), 30, seed=1)
    assert _accounted(result)
    if on_full == "drop":
        assert result.counts.dropped == pytest.approx(50 * 30, rel=0.15)
        assert result.latency.p99 < 0.3  # a full buffer of 20 at 100/s is 0.2 s
    else:
        assert result.counts.dropped == 0
        assert result.latency.p99 > 5  # senders queue behind the full buffer


def test_quota_caps_the_append_rate():
    broker = sl.Broker(partitions=4, quota=200.0)
    result = sl.simulate(
        _system(sl.ConsumerGroup(consumers=4), broker), sl.Poisson(300), 30, seed=1
    )
    assert result.throughput == pytest.approx(200, rel=0.03)
    assert result.components["broker.quota"].utilization == pytest.approx(1.0, abs=0.01)


def test_poison_messages_go_to_the_dead_letter_queue():
    group = sl.ConsumerGroup(
        consumers=2,
        processing=sl.Exponential(0.001),
        poison_fraction=0.02,
        failure_probability=0.05,
        max_attempts=3,
        backoff=sl.Backoff(base=0.001, cap=0.01),
    )
    result = sl.simulate(_system(group, sl.Broker(partitions=2)), sl.Poisson(300), 30, seed=1)
    dead = result.counters["dead_lettered"]
    # Poison always fails; a healthy message fails three times in a row with p 0.05**3.
    assert dead == pytest.approx(0.02 * result.counts.generated, rel=0.25)
    assert result.counts.failed == dead
    assert result.counters["retries"] > 2 * dead
    assert _accounted(result)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_hybrid_modes_account_for_every_request(mode):
    system = sl.hybrid(
        mode,
        app=sl.AppTier(servers=2, workers=8),
        db=sl.Database(capacity_qps=500, pool=8),
        broker=sl.Broker(partitions=4),
        consumers=sl.ConsumerGroup(consumers=4),
    )
    result = sl.simulate(system, sl.Poisson(300, read_fraction=0.0), 30, seed=9)
    assert _accounted(result)
    assert result.counts.completed > 0.95 * result.counts.generated


def test_hybrid_switch_compares_like_for_like_under_a_spike():
    app = sl.AppTier(servers=2, workers=16)
    db = sl.Database(capacity_qps=400, concurrency=4, pool=8)
    spike = sl.Poisson(sl.Spike(base=200, peak=600, start=10, length=5), read_fraction=0.0)
    runs = {
        mode: sl.simulate(
            sl.hybrid(
                mode,
                app=app,
                db=db,
                broker=sl.Broker(partitions=4),
                consumers=sl.ConsumerGroup(consumers=4),
            ),
            spike,
            40,
            seed=1,
        )
        for mode in ("sync", "async")
    }
    sync, asyn = runs["sync"], runs["async"]
    np.testing.assert_array_equal(sync.arrival, asyn.arrival)  # same requests both ways
    assert asyn.latency.p99 < sync.latency.p99 / 5  # 202 Accepted hides the spike
    assert asyn.completion.p99 > asyn.latency.p99  # the work itself finishes later
    # Four consumers never run the database harder than four queries at once.
    assert asyn.timeseries("db.busy").values.max() <= 4
    assert sync.counters["db.writes"] == pytest.approx(asyn.counters["db.writes"], rel=0.02)


def test_staleness_series_tracks_consumer_lag():
    group = sl.ConsumerGroup(consumers=1, processing=sl.Deterministic(1 / 250))
    spike = sl.Poisson(sl.Spike(base=100, peak=400, start=10, length=5))
    result = sl.simulate(_system(group), spike, 40, seed=1)
    stale = result.timeseries("completion", bin_width=1.0)
    assert stale.values[(stale.t > 14) & (stale.t < 17)].max() > 1.0
    assert stale.values[stale.t > 30].max() < 0.1


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.Broker(partitions=0), "partitions=0"),
        (lambda: sl.Broker(routing="sticky"), "routing='sticky'"),
        (lambda: sl.Broker(partition_throughput=-1), "partition_throughput=-1"),
        (lambda: sl.Retention(), "give at least one"),
        (lambda: sl.Retention(messages=0), "messages=0"),
        (lambda: sl.Producer(on_full="wait"), "on_full='wait'"),
        (lambda: sl.Producer(buffer=0), "buffer=0"),
        (lambda: sl.ConsumerGroup(consumers=-1), "consumers=-1"),
        (lambda: sl.ConsumerGroup(max_attempts=0), "max_attempts=0"),
        (lambda: sl.ConsumerGroup(poison_fraction=2), "poison_fraction=2"),
        (lambda: sl.GroupChange(1.0, "explode"), "action='explode'"),
        (lambda: sl.Replay(at=1.0), "give exactly one"),
        (lambda: sl.Backoff(jitter="random"), "jitter='random'"),
        (lambda: sl.Backoff(base=1.0, cap=0.5), "cap=0.5"),
        (lambda: sl.hybrid("maybe", app=sl.AppTier(), db=sl.Database()), "mode='maybe'"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)


def test_backoff_jitter_variants():
    b = sl.Backoff(base=0.1, multiplier=2.0, cap=1.0, jitter="none")
    assert [b.delay(a, 0.5) for a in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert sl.Backoff(base=0.1, jitter="full").delay(3, 0.5) == pytest.approx(0.2)
    assert sl.Backoff(base=0.1, jitter="equal").delay(3, 0.5) == pytest.approx(0.3)
    d = sl.Backoff(base=0.1, cap=5.0, jitter="decorrelated")
    assert d.delay(1, 0.0, None) == pytest.approx(0.1)
    assert d.delay(2, 1.0, 1.0) == pytest.approx(3.0)


def test_a_batching_consumer_writes_once_per_batch_and_accounts_for_every_message():
    system = sl.EventDriven(
        broker=sl.Broker(partitions=2, append_latency=0.0),
        consumers=sl.ConsumerGroup(consumers=2, processing=sl.Exponential(0.001), max_batch=20),
        db=sl.Database(capacity_qps=2000.0),
        network=0.0,
    )
    r = sl.simulate(system, sl.Poisson(1500.0), 10.0, seed=2)
    c = r.counts
    assert c.generated == c.completed + c.in_flight + c.dropped + c.failed + c.timed_out
    # One write per batch (a lone waiting message is a batch of one).
    assert 0 < r.counters["batches"] <= r.counters["db.writes"] < c.completed / 2
    assert r.counters["duplicates"] == 0
    with pytest.raises(ValueError, match=r"^max_batch"):
        sl.ConsumerGroup(max_batch=5, poison_fraction=0.01)
    with pytest.raises(ValueError, match=r"^max_batch"):
        sl.ConsumerGroup(max_batch=0)
