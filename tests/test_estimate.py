"""Chapter 8 and 9 building blocks: the estimate's arithmetic, its simulated check, the
10x question and the drill generator."""

from __future__ import annotations

import math
import re

import pytest

from scalelab import labs


def test_the_course_seed_arithmetic():
    # 1M users x 10 requests/s each = 10M requests/s; a 10K-QPS database -> ~1,000 nodes;
    # a 1M events/s broker cluster -> ~10 clusters (all at 100% utilization).
    s = labs.Scenario(
        users=1e6,
        requests_per_user_per_day=10 * 86_400,
        peak_factor=1.0,
        read_fraction=0.0,
        hit_ratio=0.0,
        db_capacity_qps=10_000,
        broker_cluster_rate=1e6,
        target_utilization=1.0,
    )
    e = labs.envelope(s)
    assert e.peak_rps == pytest.approx(1e7)
    assert e.db_write_shards == 1000
    assert e.broker_clusters == 10


def test_envelope_formulas():
    e = labs.envelope(
        labs.Scenario(
            users=864_000,
            requests_per_user_per_day=100,
            peak_factor=2,
            read_fraction=0.9,
            hit_ratio=0.5,
            db_capacity_qps=1000,
            app_capacity=100,
            bytes_per_write=1000,
            replication=3,
        )
    )
    assert e.average_rps == pytest.approx(1000)
    assert e.peak_rps == pytest.approx(2000)
    assert e.db_reads == pytest.approx(900)
    assert e.db_read_nodes == math.ceil(900 / 700)
    assert e.db_write_shards == 1
    assert e.app_servers == math.ceil(2000 / 70)
    assert e.storage_per_day == pytest.approx(100 * 86_400 * 1000 * 3)


def test_headroom_is_what_keeps_p99_low():
    h = labs.headroom_curve()
    assert all(row[-1] > 2.5 * row[0] for row in h.p99)
    assert h.p99[0, -1] > 10 * h.p99[0, 0]  # a single-worker unit at 98% vs 50%
    checks = labs.check_estimate(labs.Scenario(users=5e6, requests_per_user_per_day=200))
    assert all(c.utilization <= 0.7 + 1e-9 for c in checks)
    assert all(c.p99_at_full >= c.p99 for c in checks)


def test_ten_x_needs_more_than_cache_and_replicas():
    rows = {r.option: r for r in labs.ten_x(read_fraction=0.9)}
    assert not rows["no change"].holds and rows["no change"].timed_out > 0.2
    assert not rows["cache, 95% hits"].holds
    # Writes alone fill the 1,000-QPS primary, and each replica replays them on top of
    # its 450 read misses: caches and replicas cannot fix that.
    assert rows["cache 90% + 2 replicas"].busiest_node_load == pytest.approx(1450)
    assert not rows["cache 90% + 2 replicas"].holds
    assert rows["cache 90% + 4 shards"].holds and rows["cache 90% + 8 shards"].holds
    # 900 read misses plus 100 batches of 10 (each 4 ms of work against 2.2 ms for one
    # write, chapter 6's batch cost) overfill one node, replica or not.
    queued = rows["cache 90% + 1 replica + writes to a queue"]
    assert queued.busiest_node_load == pytest.approx(900 + 100 * 4.0 / 2.2) and not queued.holds
    heavy = {
        r.option: r
        for r in labs.ten_x(
            read_fraction=0.5,
            options=("cache 90% + 4 shards", "cache 90% + 8 shards"),
        )
    }
    assert not heavy["cache 90% + 4 shards"].holds
    assert heavy["cache 90% + 8 shards"].holds


def test_drills_are_seeded_and_worked():
    a, b, c = labs.drill(5), labs.drill(5), labs.drill(6)
    assert a == b and a.question != c.question
    assert len(a.steps) == 5 and "Simulated" in a.check
    numbers = re.findall(r"([\d,.]+) daily active users", a.question)
    assert numbers


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: labs.Scenario(users=0), "users"),
        (lambda: labs.Scenario(peak_factor=0.5), "peak_factor"),
        (lambda: labs.Scenario(hit_ratio=1.0), "hit_ratio"),
        (lambda: labs.Scenario(replication=2.5), "replication"),
        (lambda: labs.headroom_curve(utilizations=(1.0,)), "utilizations[0]"),
        (lambda: labs.ten_x(options=("magic",)), "options"),
        (lambda: labs.drill(-1), "seed"),
        (lambda: labs.sensitivity(labs.Scenario(), "colour", (1,)), "parameter"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match="^" + re.escape(name)):
        call()
