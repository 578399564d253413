"""Cache update strategies and the thundering herd: each strategy's defining behaviour on a
keyed workload, the TTL formulas against the simulation over several seeds, every request
accounted for, and bad input refused with the parameter named."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs
from scalelab._engine.streams import stream

SEEDS = (1, 2, 3)
KEYS = sl.Zipf(2000, 1.0)
LOAD, READS, TTL = 2000.0, 0.9, 1.0


def _run(seed: int, workload: sl.Poisson | None = None, capacity: float = 2000.0, **cache):
    system = sl.RequestResponse(
        app=sl.AppTier(servers=2, workers=128, service=sl.Exponential(0.001)),
        db=sl.Database(capacity_qps=capacity, concurrency=8),
        cache=sl.Cache(size=2000, ttl=cache.pop("ttl", TTL), **cache),
    )
    workload = workload or sl.Poisson(LOAD, keys=KEYS, read_fraction=READS)
    return sl.simulate(system, workload, 6.0, seed=seed, warmup=2.0)


def _counters(result: sl.SimulationResult) -> dict[str, float]:
    return {k[6:]: v for k, v in result.counters.items() if k.startswith("cache.")}


def _rates() -> tuple[np.ndarray, np.ndarray]:
    p = KEYS.probabilities()
    return LOAD * READS * p, LOAD * (1 - READS) * p


def _whole(per_key: np.ndarray, reads: np.ndarray) -> float:
    return float(np.sum(reads * per_key) / reads.sum())


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, int], dict[str, float]]:
    """Counters of the three cache-aside-like policies on the same workload and seeds."""
    out = {}
    for seed in SEEDS:
        for policy in ("ttl_only", "invalidate", "write_through"):
            out[policy, seed] = _counters(_run(seed, write_policy=policy))
    return out


@pytest.mark.parametrize("policy", ["ttl_only", "invalidate", "write_through"])
def test_the_hit_ratio_matches_the_ttl_formula_summed_over_zipf_keys(runs, policy):
    r, w = _rates()
    formula = _whole(labs.ttl_hit_ratio(r, TTL, w, policy), r)
    for seed in SEEDS:
        # About 7,200 reads per run: sampling sd ~0.005. The formula fills at once; a fill
        # takes ~6 ms here, and reads of the key meanwhile miss too (most with
        # invalidation, which refetches a hot key after every write): up to 3 points.
        simulated = runs[policy, seed]["hit_ratio"]
        assert formula - 0.035 < simulated < formula + 0.015, (seed, simulated, formula)


def test_ttl_only_stale_reads_match_the_formula(runs):
    r, w = _rates()
    formula = _whole(labs.ttl_stale_fraction(r, w, TTL), r)
    assert 0.3 < formula < 0.5  # hot keys are written many times per TTL
    for seed in SEEDS:
        c = runs["ttl_only", seed]
        # Sampling sd of the fraction ~0.01 (stale reads cluster on hot keys).
        assert abs(c["stale_fraction"] - formula) < 0.03, (seed, c["stale_fraction"], formula)
        # A TTL bounds staleness: a value is never served longer than a TTL after its
        # fill, plus the few milliseconds the fill took.
        assert c["stale_age_p99"] < TTL


def test_invalidation_leaves_stale_reads_only_from_the_race(runs):
    for seed in SEEDS:
        ttl_only, invalidate = runs["ttl_only", seed], runs["invalidate", seed]
        assert invalidate["stale_fraction"] < 0.1 * ttl_only["stale_fraction"]
        assert invalidate["race_fills"] > 0  # it happens, rarely
        assert invalidate["stale_reads"] > 0
    # With a database that answers at once the race has no window: no stale read at all.
    instant = _counters(_run(1, capacity=1e8, write_policy="invalidate"))
    assert instant["race_fills"] == 0 and instant["stale_reads"] == 0


def test_write_through_makes_the_writer_wait_for_database_and_cache(runs):
    for seed in SEEDS:
        through, ttl_only = runs["write_through", seed], runs["ttl_only", seed]
        assert through["stale_fraction"] < 0.002
        # Same requests and service times (common random numbers): the writer also waits
        # for the cache update, 0.5 ms.
        gap = through["write_latency_p50"] - ttl_only["write_latency_p50"]
        assert 0.0002 < gap < 0.001, gap


def test_write_behind_acknowledges_at_once_and_coalesces_flushes():
    w = _rates()[1]
    flush = 1.0
    formula = float(np.sum(-np.expm1(-w * flush)) / flush)  # one write per dirty key
    for seed in SEEDS:
        behind = _run(seed, write_policy="write_behind", flush_interval=flush)
        c = _counters(behind)
        ttl_only = _counters(_run(seed, write_policy="ttl_only"))
        # The writer does not wait for the database (a query takes 4 ms on average here).
        assert c["write_latency_p50"] < ttl_only["write_latency_p50"] - 0.002
        assert c["write_latency_p99"] < 0.5 * ttl_only["write_latency_p99"]
        db_writes = c["db_writes"] / behind.window
        assert db_writes < 0.7 * w.sum()
        assert abs(db_writes - formula) < 0.08 * formula, (seed, db_writes, formula)
        assert c["stale_reads"] < 0.002 * (c["hits"] + c["misses"]) and c["lost_writes"] == 0
    row = labs.cache_strategies(strategies=("write_behind",), crash_at=None).row("write_behind")
    assert row.db_writes_formula == pytest.approx(formula)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_write_behind_crash_loses_the_writes_acknowledged_since_the_last_flush(seed):
    keys = sl.Zipf(500, 1.0)
    system = sl.RequestResponse(
        app=sl.AppTier(servers=1, workers=64, service=sl.Exponential(0.001)),
        db=sl.Database(capacity_qps=5000, concurrency=8),
        cache=sl.Cache(size=500, ttl=5.0, write_policy="write_behind", flush_at=2.5),
        network=0.0,
    )
    result = sl.simulate(system, sl.Poisson(400, keys=keys, read_fraction=0.0), 4.0, seed=seed)
    c = _counters(result)
    # Every request is a write; with no network its reply comes when the cache has it.
    acked = (result.finish >= 2.0) & (result.finish < 2.5) & (result.status == sl.Status.COMPLETED)
    assert c["lost_writes"] == acked.sum() > 100
    which = keys.sample(stream(seed, "keys"), result.counts.generated)
    assert c["lost_keys"] == len(set(which[acked].tolist()))
    assert c["flushed_at"] == 2.5


def test_refresh_ahead_keeps_hot_keys_from_expiring_in_the_read_path():
    hot = sl.Poisson(1000.0, keys=sl.Uniform(10))  # 100 reads/s per key
    ahead = _counters(_run(1, hot, write_policy="ttl_only", refresh_ahead=0.5))
    plain = _counters(_run(1, hot, write_policy="ttl_only"))
    # rT / (1 + rT) = 100/101, less the reads that miss while a fill is on its way
    # (~6 ms: 0.6 more misses per 101 reads).
    assert 100 / 101 - 0.01 < plain["hit_ratio"] < 100 / 101
    assert ahead["hit_ratio"] > 0.999 and ahead["misses"] == 0 and ahead["refreshes"] > 0
    r, w = _rates()
    formula = _whole(labs.ttl_hit_ratio(r, TTL, w, "ttl_only", 0.5), r)
    for seed in SEEDS[:2]:
        whole = _counters(_run(seed, write_policy="ttl_only", refresh_ahead=0.5))
        assert abs(whole["hit_ratio"] - formula) < 0.02


def test_every_request_is_accounted_for_and_measured_once():
    data = labs.cache_strategies(load=1000.0, duration=4.0)
    assert [r.strategy for r in data.rows] == list(labs.STRATEGIES)
    for row in data.rows:
        assert row.generated >= row.completed > 0.99 * row.generated
    for policy in ("invalidate", "write_behind"):
        result = _run(4, write_policy=policy, coalesce=True)
        counts, c = result.counts, _counters(result)
        total = counts.completed + counts.timed_out + counts.dropped + counts.failed
        assert counts.generated == total + counts.in_flight
        measured = int(np.sum(result.arrival >= result.warmup))
        seen = c["hits"] + c["misses"] + c["writes"]
        assert measured - counts.in_flight <= seen <= measured


def test_the_plain_lru_is_unchanged_and_runs_repeat():
    plain = sl.simulate(
        sl.RequestResponse(db=sl.Database(), cache=sl.Cache(size=100)),
        sl.Poisson(500, keys=KEYS, read_fraction=0.9),
        2.0,
        seed=1,
    )
    assert "cache.stale_reads" not in plain.counters
    assert _counters(_run(5, write_policy="invalidate")) == _counters(
        _run(5, write_policy="invalidate")
    )


def test_the_thundering_herd_and_its_defences():
    data = labs.thundering_herd(load=5000.0, hot_keys=50, duration=1.4)
    rows = {r.defence: r for r in data.rows}
    assert data.db_reads.shape == (4, data.t.size)
    none, coalescing = rows["none"], rows["coalescing"]
    assert none.db_reads_per_expiry > 2 and none.expiries == 50
    assert coalescing.db_reads == coalescing.expiries == 50 and coalescing.coalesced > 0
    assert rows["serve_stale"].db_reads == 50 and rows["serve_stale"].p99 < coalescing.p99
    assert rows["jittered_ttl"].peak_db_reads < none.peak_db_reads / 3
    assert max(r.p99 for r in rows.values()) == none.p99


def test_the_formulas_at_their_limits():
    r = np.array([0.0, 1.0, 100.0])
    plain = labs.ttl_hit_ratio(r, 2.0)
    assert plain.tolist() == pytest.approx([0.0, 2 / 3, 200 / 201])
    for policy in ("invalidate", "write_through"):  # no writes: the same as TTL only
        assert labs.ttl_hit_ratio(r, 2.0, 0.0, policy) == pytest.approx(plain)
    nearly_at_expiry = labs.ttl_hit_ratio(r, 2.0, 0.0, "ttl_only", 1 - 1e-9)
    assert nearly_at_expiry == pytest.approx(plain)
    assert labs.ttl_stale_fraction(r, 0.0, 2.0).tolist() == [0.0, 0.0, 0.0]
    often = labs.ttl_stale_fraction(100.0, 1000.0, 2.0)
    assert often == pytest.approx(labs.ttl_hit_ratio(100.0, 2.0), rel=1e-3)
    assert np.isfinite(labs.ttl_hit_ratio(1e9, 1e9, 1e9, "write_through"))


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: sl.Cache(size=10, ttl=0.0), ["ttl=0.0", "(0, inf]"]),
        (lambda: sl.Cache(hit_ratio=0.5, ttl=1.0), ["ttl=1.0", "size"]),
        (lambda: sl.Cache(size=10, refresh_ahead=0.5), ["refresh_ahead=0.5", "ttl"]),
        (lambda: sl.Cache(size=10, ttl=1.0, refresh_ahead=1.0), ["refresh_ahead=1.0", "(0, 1)"]),
        (lambda: sl.Cache(size=10, write_policy="lazy"), ["write_policy='lazy'", "write_behind"]),
        (lambda: sl.Cache(size=10, ttl=1.0, ttl_jitter=1.0), ["ttl_jitter=1.0", "[0, 1)"]),
        (lambda: sl.Cache(size=10, coalesce=1), ["coalesce=1", "True or False"]),
        (lambda: sl.Cache(size=10, ttl=1.0, stale_while_revalidate=0), ["stale_while_rev"]),
        (lambda: sl.Cache(size=10, ttl=1.0, flush_interval=1.0), ["flush_interval=1.0"]),
        (lambda: labs.cache_strategies(strategies=("lazy",)), ["strategies", "'lazy'"]),
        (lambda: labs.cache_strategies(strategies="ttl_only"), ["strategies='ttl_only'"]),
        (lambda: labs.cache_strategies(duration=2.0, warmup=2.0), ["warmup=2.0", "[0, 2)"]),
        (lambda: labs.cache_strategies(refresh_ahead=0.0), ["refresh_ahead=0.0", "(0, 1)"]),
        (lambda: labs.thundering_herd(hot_keys=0), ["hot_keys=0", "[1, 100000]"]),
        (lambda: labs.thundering_herd(bin_width=0.001), ["bin_width=0.001", "[0.01, 1]"]),
        (lambda: labs.thundering_herd(defences=("retry",)), ["defences", "'retry'"]),
        (lambda: labs.ttl_hit_ratio(-1.0, 1.0), ["read_rate=-1.0", "[0, inf)"]),
        (lambda: labs.ttl_hit_ratio(1.0, 1.0, write_policy="write_behind"), ["write_policy"]),
        (lambda: labs.ttl_stale_fraction(1.0, [1.0, np.nan], 1.0), ["write_rate", "[0, inf)"]),
    ],
)
def test_bad_input_names_the_parameter_and_the_range(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)
