"""Queues against logs, consumer concurrency and events out of a database (chapter 11):
the queue engine and the key-ordered parallel consumer against direct counts and
formulas, every message accounted for on random configurations with crashes, and bad
input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scalelab as sl
from scalelab import labs


def _accounted(r: sl.SimulationResult) -> None:
    c = r.counts
    assert c.generated == c.completed + c.timed_out + c.dropped + c.failed + c.in_flight


def _queue(consumers=4, mean=0.01, timeout=30.0, fifo=False, **group) -> sl.EventDriven:
    return sl.EventDriven(
        broker=sl.Queue(visibility_timeout=timeout, fifo=fifo),
        consumers=sl.ConsumerGroup(consumers=consumers, processing=sl.Exponential(mean), **group),
    )


def test_queue_consumers_share_every_message_without_a_partition_cap():
    r = sl.simulate(_queue(consumers=12), sl.Poisson(1000.0), 5.0, seed=3)
    _accounted(r)
    assert r.counts.in_flight < 30  # 12 consumers at 100/s each keep up with 1,000/s
    assert r.counters["consumers.active"] == 12
    assert r.counters["duplicates"] == r.counters["queue.redeliveries"] == 0
    busy = [c.utilization for name, c in r.components.items() if name.startswith("consumer[")]
    assert len(busy) == 12 and min(busy) > 0.5


def test_a_standard_queue_reorders_a_key_and_a_fifo_queue_does_not():
    workload = sl.Poisson(500.0, keys=sl.Zipf(20))
    standard = sl.simulate(_queue(consumers=8), workload, 5.0, seed=2)
    fifo = sl.simulate(_queue(consumers=8, fifo=True), workload, 5.0, seed=2)
    assert standard.counters["out_of_order"] > 50
    assert fifo.counters["out_of_order"] == 0
    assert fifo.counters["projection.stale_keys"] == 0


def test_a_fifo_key_gets_at_most_one_consumer_at_a_time():
    # One key, eight consumers: the FIFO queue processes it like a single consumer.
    workload = sl.Poisson(300.0, keys=sl.Uniform(1))
    fifo = sl.simulate(_queue(consumers=8, fifo=True), workload, 5.0, seed=1)
    standard = sl.simulate(_queue(consumers=8), workload, 5.0, seed=1)
    assert fifo.counts.completed / 5.0 == pytest.approx(100.0, rel=0.1)
    assert standard.counts.completed / 5.0 == pytest.approx(300.0, rel=0.05)


def test_work_that_outlasts_the_visibility_timeout_is_received_again():
    r = sl.simulate(
        _queue(consumers=50, mean=1.0, timeout=1.0, max_attempts=100), sl.Poisson(10.0), 100.0, 4
    )
    _accounted(r)
    c = r.counters
    assert c["queue.redeliveries"] == c["duplicates"] + (c["queue.redeliveries"] - c["duplicates"])
    per_message = c["duplicates"] / r.counts.completed
    p = math.exp(-1.0)
    assert per_message == pytest.approx(p / (1 - p), rel=0.15)
    assert c["queue.stale_deletes"] > 0  # the first receiver's delete came too late


def test_a_failed_message_comes_back_after_the_timeout_and_then_goes_to_the_dead_letters():
    system = _queue(consumers=2, timeout=0.5, poison_fraction=1.0, max_attempts=3)
    r = sl.simulate(system, sl.Poisson(5.0), 20.0, seed=1)
    _accounted(r)
    dead = r.done[r.status == sl.Status.FAILED] - r.arrival[r.status == sl.Status.FAILED]
    # Three receives half a second apart, then dead-lettered at the third's end.
    assert r.counts.failed > 50 and np.all(dead >= 1.5) and np.all(dead < 1.7)
    assert r.counters["dead_lettered"] == r.counts.failed


def test_a_crashed_queue_consumer_loses_nothing_and_needs_no_rebalance():
    system = _queue(consumers=3, mean=0.02, timeout=2.0, changes=(sl.GroupChange(2.0, "crash"),))
    r = sl.simulate(system, sl.Poisson(80.0), 8.0, seed=5)
    _accounted(r)
    assert r.counts.failed == r.counts.dropped == 0
    assert r.counts.in_flight < 0.05 * r.counts.generated
    assert r.counters["consumers.active"] == 2
    # Its message came back only when the timeout ran out: one late message, 2 s later.
    late = r.done - r.arrival
    assert np.nanmax(late[np.isfinite(late)]) >= 2.0


def test_a_queue_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match=r"consumers.replay=.* with a Queue: a queue deletes"):
        _queue(replay=sl.Replay(at=1.0, to_offset=0))
    with pytest.raises(ValueError, match=r"consumers.max_batch=10 with a Queue"):
        _queue(max_batch=10)
    with pytest.raises(ValueError, match=r"consumers.commit_interval=1.0 with a Queue"):
        _queue(commit_interval=1.0)
    with pytest.raises(ValueError, match=r"producer.idempotent=True with a Queue"):
        sl.EventDriven(broker=sl.Queue(), producer=sl.Producer(idempotent=True))


def test_a_parallel_consumer_keeps_key_order_and_multiplies_a_partition():
    def run(concurrency: int) -> sl.SimulationResult:
        system = sl.EventDriven(
            broker=sl.Broker(partitions=1),
            consumers=sl.ConsumerGroup(
                processing=sl.Exponential(0.01), concurrency=concurrency, commit_interval=0.5
            ),
        )
        return sl.simulate(system, sl.Poisson(700.0, keys=sl.Uniform(5000)), 5.0, seed=2)

    one, eight = run(1), run(8)
    assert one.counts.completed / 5.0 == pytest.approx(100.0, rel=0.1)
    assert eight.counts.in_flight < 40  # 8 threads x 100/s keep up with 700/s
    assert eight.counters["out_of_order"] == 0
    assert eight.counters["projection.matches_replay"] == 1.0


def test_a_parallel_consumer_crash_redelivers_from_the_first_unfinished_offset():
    system = sl.EventDriven(
        broker=sl.Broker(partitions=2),
        consumers=sl.ConsumerGroup(
            consumers=2,
            processing=sl.Exponential(0.01),
            concurrency=4,
            commit_interval=1.0,
            rebalance_pause=0.2,
            changes=(sl.GroupChange(3.0, "crash"),),
        ),
    )
    r = sl.simulate(system, sl.Poisson(300.0, keys=sl.Uniform(1000)), 8.0, seed=1)
    _accounted(r)
    assert 0 < r.counters["duplicates"] <= 150 * 1.0 + 40  # its partition's rate x commit interval
    assert r.counts.in_flight < 20
    assert r.counters["out_of_order"] == 0


@st.composite
def queues(draw: st.DrawFn) -> sl.EventDriven:
    changes = draw(
        st.lists(
            st.builds(sl.GroupChange, st.floats(0, 3), st.sampled_from(["join", "leave", "crash"])),
            max_size=3,
        )
    )
    return sl.EventDriven(
        broker=sl.Queue(
            throughput=draw(st.floats(50, 5000)),
            visibility_timeout=draw(st.floats(0.005, 2.0)),
            fifo=draw(st.booleans()),
        ),
        consumers=sl.ConsumerGroup(
            consumers=draw(st.integers(0, 5)),
            processing=sl.Exponential(draw(st.floats(0.001, 0.2))),
            failure_probability=draw(st.floats(0, 0.5)),
            poison_fraction=draw(st.floats(0, 0.2)),
            max_attempts=draw(st.integers(1, 4)),
            changes=changes,
            concurrency=draw(st.integers(1, 4)),
            dedup_window=draw(st.one_of(st.none(), st.floats(0.01, 5.0))),
        ),
        front=draw(st.one_of(st.none(), st.builds(sl.AppTier, servers=st.integers(1, 2)))),
    )


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    queues(), st.floats(10.0, 300.0), st.one_of(st.none(), st.integers(1, 50)), st.integers(0, 99)
)
def test_any_queue_accounts_for_every_message(system, load, n_keys, seed):
    keys = sl.Zipf(n_keys) if n_keys else None
    r = sl.simulate(system, sl.Poisson(load, keys=keys), 3.0, seed=seed)
    _accounted(r)
    c = r.counters
    assert c["queue.receives"] >= r.counts.completed  # each processed message was received
    assert c["duplicates"] <= c["queue.redeliveries"]
    if system.broker.fifo and n_keys:
        # Key order breaks only when a receipt ran out while its consumer still worked.
        assert c["out_of_order"] == 0 or c["queue.redeliveries"] > 0


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.integers(1, 4),
    st.integers(1, 6),
    st.lists(
        st.builds(sl.GroupChange, st.floats(0, 3), st.sampled_from(["join", "leave", "crash"])),
        max_size=3,
    ),
    st.one_of(st.none(), st.builds(sl.Replay, at=st.floats(0, 3), to_offset=st.integers(0, 30))),
    st.integers(0, 99),
)
def test_any_parallel_log_consumer_accounts_for_every_message(
    partitions, concurrency, changes, replay, seed
):
    system = sl.EventDriven(
        broker=sl.Broker(partitions=partitions, replication=2, acks="all", crash_at=1.5),
        consumers=sl.ConsumerGroup(
            consumers=2,
            processing=sl.Exponential(0.01),
            concurrency=concurrency,
            commit_interval=0.3,
            rebalance_pause=0.2,
            changes=tuple(changes),
            replay=replay,
            failure_probability=0.1,
        ),
    )
    r = sl.simulate(system, sl.Poisson(200.0, keys=sl.Zipf(30)), 3.0, seed=seed)
    _accounted(r)
    assert r.counters["out_of_order"] == 0  # never two of a key at once, in log order


def test_queue_vs_log_throughput_and_order_match_the_formulas():
    data = labs.queue_vs_log(consumers=(2, 8), duration=5.0)
    for row in data.rows:
        assert row.throughput == pytest.approx(row.throughput_formula, rel=0.1)
        assert row.generated == row.completed + row.in_flight
    assert data.row("log", 8).throughput < 0.6 * data.row("queue", 8).throughput
    assert data.row("queue", 8).out_of_order > 0
    assert data.row("log", 8).out_of_order == data.row("fifo_queue", 8).out_of_order == 0
    assert data.row("log", 2).replayable and not data.row("queue", 2).replayable


def test_visibility_timeout_duplicates_follow_the_formula():
    data = labs.visibility_timeouts(timeouts=(1.0, 2.0), duration=100.0)
    for row in data.rows:
        assert row.duplicates_per_message == pytest.approx(row.duplicates_formula, rel=0.2)
        assert row.duplicate_effects_idempotent == 0
        assert row.generated == row.completed + row.in_flight


def test_partition_concurrency_meets_its_formula_and_a_hot_key_caps_it():
    data = labs.partition_concurrency(concurrency=(1, 4, 16))
    for row in data.rows:
        assert row.out_of_order == 0
        if row.offered < 0.9 * row.sustainable_formula:
            assert row.keeps_up and row.throughput == pytest.approx(row.offered, rel=0.05)
    hot = data.row("zipf", 16)
    assert not hot.keeps_up and hot.offered > hot.sustainable_formula
    assert data.row("uniform", 16).partitions_needed < data.row("uniform", 1).partitions_needed


def test_events_from_db_accounts_for_every_write_and_meets_the_formulas():
    sums = {}
    for seed in range(1, 11):
        data = labs.events_from_db(seed=seed)
        for r in data.rows:
            assert r.attempts == r.committed + r.phantom + r.refused
            assert r.committed == r.published + r.lost + r.pending
            for name in ("lost", "phantom", "duplicates"):
                sums.setdefault((r.design, name), [0, 0.0])
                sums[(r.design, name)][0] += getattr(r, name)
                sums[(r.design, name)][1] += getattr(r, f"{name}_formula")
            assert r.window_steady == pytest.approx(r.window_formula, rel=0.1, abs=0.001)
    for (design, name), (simulated, formula) in sums.items():
        # Poisson counts: within three standard deviations of the formula.
        assert abs(simulated - formula) <= 3 * math.sqrt(formula) + 1, (design, name)
    assert sums[("outbox", "lost")][0] == sums[("cdc", "lost")][0] == 0


def test_a_dual_write_crash_during_the_outage_loses_what_it_held():
    data = labs.events_from_db(designs=("dual_write", "outbox"), crash_at=25.0)
    assert data.row("dual_write").lost == pytest.approx(data.row("dual_write").lost_formula, 0.1)
    assert data.row("dual_write").lost > 4000
    assert data.row("outbox").lost == 0


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.Queue(visibility_timeout=0.0), r"visibility_timeout=0.0 .*\(0, inf\]"),
        (lambda: sl.Queue(throughput=-1.0), r"throughput=-1.0"),
        (lambda: sl.Queue(fifo=1), "fifo=1 is not True or False"),
        (lambda: sl.ConsumerGroup(concurrency=0), r"concurrency=0 .*\[1, 100\]"),
        (
            lambda: sl.ConsumerGroup(concurrency=2, max_batch=5),
            "max_batch=5 with concurrency=2",
        ),
        (lambda: sl.EventDriven(broker=sl.Station()), "broker=.* is not a Broker or a Queue"),
        (lambda: labs.queue_vs_log(designs=("bus",)), "designs='bus' is not one of"),
        (lambda: labs.queue_vs_log(consumers=(0,)), r"consumers\[0\]=0"),
        (lambda: labs.queue_vs_log(load=5.0, duration=5.0), "load=5.0, duration=5.0"),
        (lambda: labs.visibility_timeouts(timeouts=(0.0,)), r"timeouts\[0\]=0.0"),
        (lambda: labs.partition_concurrency(utilization=1.0), r"utilization=1.0 .*\(0, 0.95\]"),
        (lambda: labs.partition_concurrency(keys=("zipfy",)), "keys='zipfy' is not one of"),
        (lambda: labs.events_from_db(write_rate=1e5, duration=3600.0), "above 2 x 10\\^6"),
        (lambda: labs.events_from_db(outage_start=30.0, outage_end=20.0), r"outage_end=20.0"),
        (lambda: labs.events_from_db(crash_at=40.0), r"crash_at=40.0 .*\[0, 40\)"),
        (lambda: labs.events_from_db(designs=("2pc",)), "designs='2pc' is not one of"),
        (lambda: sl.live.durability(replication=0), r"replication=0 .*\[1, 5\]"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()
