"""Broker durability: each ``acks`` setting's defining property through a leader crash
(leader acks lose about rate x replication delay, all acks lose nothing while enough
replicas are in sync, none loses more than leader), the acknowledgement latency each
costs, min_insync refusals, producer retries and idempotence, every message accounted
for, and bad input refused with the parameter named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scalelab as sl
from scalelab import labs
from scalelab.labs._pipeline import pipeline

SEEDS = (1, 2, 3, 4, 5)
LOAD, DELAY, CRASH = 2000.0, 0.01, 4.0


def _run(seed: int, load: float = LOAD, duration: float = 6.0, **broker):
    system = pipeline(1, 1, 5000.0, broker=sl.Broker(**broker))
    return sl.simulate(system, sl.Poisson(load), duration, seed=seed, warmup=1.0)


def _crash(seed: int, acks: str, **kw) -> sl.SimulationResult:
    kw = {"replication": 3, "replication_delay": sl.Deterministic(DELAY), "min_insync": 2} | kw
    return _run(seed, acks=acks, crash_at=CRASH, **kw)


def _accounted(r: sl.SimulationResult) -> None:
    c = r.counts
    assert c.generated == c.completed + c.dropped + c.in_flight + c.failed + c.timed_out
    assert c.failed == c.timed_out == 0
    # Nothing else drops here: a dropped message was lost in the crash or refused.
    counters = {"lost": 0.0, "not_enough_replicas": 0.0} | r.counters  # none by default
    assert c.dropped == counters["lost"] + counters["not_enough_replicas"]


@pytest.fixture(scope="module")
def crashes() -> dict[tuple[str, int], sl.SimulationResult]:
    return {(acks, s): _crash(s, acks) for acks in sl.ACKS for s in SEEDS}


def test_the_defaults_leave_the_broker_as_it_was():
    b = sl.Broker()
    assert (b.replication, b.acks, b.min_insync, b.crash_at) == (1, "leader", 1, None)
    assert not sl.Producer().idempotent
    # The replicated path with one copy, leader acks and a crash after the run gives the
    # very same run as the plain path: same events, same draws.
    plain = _run(3, load=500.0, duration=4.0)
    replicated = _run(3, load=500.0, duration=4.0, crash_at=100.0)
    for name in ("arrival", "finish", "done", "status", "replied"):
        assert np.array_equal(getattr(plain, name), getattr(replicated, name)), name
    assert "lost" not in plain.counters and replicated.counters["lost"] == 0


def test_leader_acks_lose_about_rate_times_replication_delay(crashes):
    formula = LOAD * DELAY  # acknowledged in the last DELAY before the crash: on no follower
    lost = np.array([crashes["leader", s].counters["lost"] for s in SEEDS])
    # Each count is Poisson(20), sd 4.5; the mean of five has sd 2: 3 sd either side.
    assert abs(lost.mean() - formula) < 6.0, lost
    assert lost.min() > 5 and lost.max() < 40, lost
    for s in SEEDS:
        r = crashes["leader", s]
        gone = r.status == sl.Status.DROPPED
        assert r.replied[gone].all()  # every one of them had been acknowledged
        _accounted(r)


def test_all_acks_lose_nothing_with_enough_replicas_in_sync(crashes):
    for s in SEEDS:
        r = crashes["all", s]
        assert r.counters["lost"] == 0 and r.counts.dropped == 0
        # The messages unacknowledged at the crash were sent again, not lost: about
        # those appended in the last (append latency + replication delay).
        assert 0.4 * LOAD * 0.012 < r.counters["producer_retries"] < 2.0 * LOAD * 0.012
        assert not (r.replied & (r.status == sl.Status.DROPPED)).any()
        _accounted(r)


def test_no_acks_lose_what_leader_acks_lose_and_what_was_on_its_way(crashes):
    formula = LOAD * (DELAY + 0.002 + 1e-4)
    lost = np.array([crashes["none", s].counters["lost"] for s in SEEDS])
    assert abs(lost.mean() - formula) < 7.0, lost
    for s in SEEDS:  # the same arrivals: none loses the leader's losses and more
        assert crashes["none", s].counters["lost"] >= crashes["leader", s].counters["lost"]
        assert crashes["none", s].latency.max == 0.0  # nobody waits
        _accounted(crashes["none", s])


def test_all_acks_wait_the_replication_delay_longer_than_leader_acks():
    leader = labs.broker_durability(crash_at=None, acks=("leader", "all"), duration=2.0)
    gap = leader.row("all").ack_p50 - leader.row("leader").ack_p50
    assert abs(gap - DELAY) < 2e-4, gap
    # Constant delays: the p99 is the p50 plus a little queueing at the leader.
    assert leader.row("all").ack_p99 - leader.row("all").ack_p50 < 1e-3


def test_consumers_read_only_what_every_in_sync_replica_has():
    r = _run(1, load=500.0, duration=3.0, replication=3, replication_delay=sl.Deterministic(0.02))
    assert r.completion.count > 1000
    produced_to_processed = (
        r.done[r.status == sl.Status.COMPLETED] - r.arrival[r.status == sl.Status.COMPLETED]
    )
    assert produced_to_processed.min() >= 0.02 + 0.002  # append, then the followers' copy


def test_min_insync_refuses_appends_once_too_few_replicas_remain():
    for s in SEEDS[:2]:
        # Three replicas, all needed: after the crash two remain, every append refused.
        r = _crash(s, "all", min_insync=3)
        after = r.arrival >= CRASH
        refused = r.counters["not_enough_replicas"]
        assert refused == pytest.approx(np.sum(after), abs=30)
        assert r.counters["lost"] == 0
        assert not r.replied[r.arrival > CRASH + 0.6].any()
        _accounted(r)
        # With two needed, the two that remain take every append.
        assert _crash(s, "all", min_insync=2).counters["not_enough_replicas"] == 0


def test_a_slow_follower_raises_acks_until_it_drops_out_of_sync():
    data = labs.slow_follower()
    in_sync = data.slow_delays <= data.max_lag
    for i in range(len(data.min_insync)):
        # While in sync, every acknowledgement waits for the slow follower: the formula
        # (constant delays) within queueing at the leader.
        assert np.allclose(data.ack_p50[i, in_sync], data.formula[in_sync], atol=2e-4)
        assert np.all(np.diff(data.ack_p50[i, in_sync]) > 0)
        assert np.all(data.refused[i, in_sync] == 0)
    out = ~in_sync
    assert out.any()
    two, three = list(data.min_insync).index(2), list(data.min_insync).index(3)
    # Out of sync: two replicas left; min_insync=2 acknowledges at the fast follower's
    # pace, min_insync=3 refuses everything.
    assert np.allclose(data.ack_p50[two, out], data.formula[out], atol=2e-4)
    assert np.all(data.refused[three, out] == 1.0)
    assert np.all(np.isinf(data.ack_p50[three, out]))
    assert data.leader_ack_p50 < data.ack_p50.min()


def test_a_retry_the_new_leader_already_has_is_a_duplicate_unless_idempotent():
    delays = (sl.Deterministic(0.005), sl.Deterministic(0.05))
    for s in SEEDS[:3]:
        kw = {"replication_delay": delays, "partitions": 2, "crash_at": 5.0}
        plain = _dup_run(s, False, **kw)
        idempotent = _dup_run(s, True, **kw)
        # On the fast follower (the new leader) but not on the slow one: unacknowledged,
        # sent again: 400/s x (0.05 - 0.005) s = 18 expected, Poisson (sd 4.2).
        assert 6 <= plain.counters["log_duplicates"] <= 34
        assert plain.counters["duplicates"] == plain.counters["log_duplicates"]
        assert idempotent.counters["log_duplicates"] == idempotent.counters["duplicates"] == 0
        assert idempotent.counters["producer_retries"] == plain.counters["producer_retries"]
        assert plain.counters["lost"] == idempotent.counters["lost"] == 0


def _dup_run(seed: int, idempotent: bool, **broker) -> sl.SimulationResult:
    b = sl.Broker(replication=3, acks="all", min_insync=2, **broker)
    system = pipeline(2, 2, 2000.0, broker=b, producer=sl.Producer(idempotent=idempotent))
    return sl.simulate(system, sl.Poisson(400.0), 8.0, seed=seed)


def test_one_copy_comes_back_with_its_log_after_the_pause():
    r = _run(2, replication=1, crash_at=CRASH, failover_pause=0.3)
    assert r.counters["lost"] == 0 and r.counts.dropped == 0
    waited = (r.finish - r.arrival)[np.isfinite(r.finish)]
    assert 0.25 < waited.max() < 0.31  # sent during the pause: waited for the leader
    _accounted(r)


def test_the_lab_reports_every_setting_and_accounts_for_every_message():
    data = labs.broker_durability(duration=5.0)
    assert [r.acks for r in data.rows] == list(sl.ACKS)
    none, leader, every = data.rows
    assert none.ack_p99 == 0.0 < leader.ack_p50 < every.ack_p50
    assert every.lost == 0 < leader.lost <= none.lost
    assert leader.lost_formula == pytest.approx(LOAD * DELAY)
    for r in data.rows:
        assert r.generated == r.completed + r.dropped + r.in_flight
        assert r.throughput == pytest.approx(LOAD, rel=0.05)
        # Producers that sent during the failover waited for it (not with acks=none).
        assert r.ack_p99_with_crash > 0.3 or r.acks == "none"
    with pytest.raises(ValueError, match="acks='leader'"):
        labs.broker_durability(acks=("all",), duration=2.0, crash_at=1.5).row("leader")


delays = st.one_of(
    st.floats(0.001, 0.2).map(sl.Deterministic),
    st.floats(0.001, 0.2).map(sl.Exponential),
    st.builds(sl.LogNormal, st.floats(0.001, 0.2), st.floats(0.1, 3.0)),
)


@st.composite
def replicated(draw: st.DrawFn) -> tuple[sl.EventDriven, float]:
    replication = draw(st.integers(1, 4))
    broker = sl.Broker(
        partitions=draw(st.integers(1, 3)),
        replication=replication,
        acks=draw(st.sampled_from(sl.ACKS)),
        replication_delay=draw(st.one_of(delays, st.tuples(*[delays] * (replication - 1)))),
        min_insync=draw(st.integers(1, replication)),
        max_lag=draw(st.floats(0.01, 1.0)),
        crash_at=draw(st.one_of(st.none(), st.floats(0.0, 3.0))),
        failover_pause=draw(st.floats(0.0, 1.0)),
    )
    producer = sl.Producer(idempotent=draw(st.booleans()))
    system = pipeline(
        broker.partitions, draw(st.integers(1, 3)), 2000.0, broker=broker, producer=producer
    )
    return system, draw(st.floats(50.0, 500.0))


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(replicated(), st.integers(0, 100))
def test_any_replicated_broker_accounts_for_every_message(case, seed):
    system, load = case
    r = sl.simulate(system, sl.Poisson(load), 3.0, seed=seed)
    _accounted(r)
    broker = system.broker
    c = dict.fromkeys(("lost", "producer_retries", "log_duplicates"), 0.0) | r.counters
    # A message in the log twice is delivered twice, unless the run ends first.
    assert c["duplicates"] <= c["log_duplicates"]
    assert c["log_duplicates"] == 0 or not system.producer.idempotent
    assert c["log_duplicates"] <= c["producer_retries"]
    if broker.acks == "all" and broker.min_insync >= 2:
        assert c["lost"] == 0  # each acknowledged message was on an in-sync follower
    if broker.crash_at is None or broker.crash_at >= 3.0:
        assert c["lost"] == c["producer_retries"] == 0
    if broker.acks != "none":  # what was lost had been acknowledged
        assert r.replied[r.status == sl.Status.DROPPED].sum() == c["lost"]


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: sl.Broker(replication=6), r"replication=6 .*\[1, 5\]"),
        (lambda: sl.Broker(acks="two"), "acks='two' is not one of 'none', 'leader', 'all'"),
        (lambda: sl.Broker(replication=2, min_insync=3), r"min_insync=3 .*\[1, 2\]"),
        (lambda: sl.Broker(min_insync=0), r"min_insync=0 .*\[1, 1\]"),
        (
            lambda: sl.Broker(replication=3, replication_delay=(sl.Deterministic(0.01),)),
            r"replication_delay has 1 distributions and replication=3",
        ),
        (lambda: sl.Broker(replication_delay=0.01), "replication_delay=0.01 is not a"),
        (lambda: sl.Broker(max_lag=0.0), r"max_lag=0.0 .*\(0, inf\]"),
        (lambda: sl.Broker(crash_at=-1.0), r"crash_at=-1.0 .*\[0, inf\]"),
        (lambda: sl.Broker(failover_pause=math.nan), "failover_pause=nan"),
        (lambda: sl.Producer(idempotent="yes"), "idempotent='yes' is not True or False"),
        (lambda: labs.broker_durability(acks=("some",)), "acks='some' is not one of"),
        (lambda: labs.broker_durability(acks=()), r"acks=\(\): give a non-empty tuple"),
        (lambda: labs.broker_durability(load=20_000.0), r"load=20000.0 .*\(0, 10000\)"),
        (lambda: labs.broker_durability(replication=2, min_insync=3), r"min_insync=3"),
        (lambda: labs.broker_durability(crash_at=0.5), r"crash_at=0.5 .*\(1, 6\)"),
        (lambda: labs.broker_durability(replication_delay=0.0), "replication_delay=0.0"),
        (lambda: labs.broker_durability(load=10.0, duration=5.0), "load=10.0, duration=5.0"),
        (lambda: labs.slow_follower(replication=1), r"replication=1 .*\[2, 5\]"),
        (lambda: labs.slow_follower(fast_delay=0.5), r"fast_delay=0.5 .*\(0, 0.25\]"),
        (lambda: labs.slow_follower(slow_delays=(0.1, -1.0)), r"slow_delays\[1\]=-1.0"),
        (lambda: labs.slow_follower(min_insync=(4,)), r"min_insync\[0\]=4 .*\[1, 3\]"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()
