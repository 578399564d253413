"""Many regions: round trips between them, what a failover loses, what active-active
writes collide on, and how cells bound a failure. The data behind chapter 10's regions
sections.

Round trips are estimated from distance (formula, labelled assumptions); the failover and
conflict labs simulate Poisson writes and count, beside the formula each follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_non_negative, check_positive, check_real
from ..workload import MAX_KEYS, Zipf
from .edge import round_trip, zipf_groups

__all__ = [
    "REGIONS",
    "RegionTable",
    "region_table",
    "FailoverLoss",
    "failover_loss",
    "Conflicts",
    "active_active_conflicts",
    "ShuffleSharding",
    "shuffle_sharding",
]

REGIONS = (
    ("us-east (Virginia)", 39.0, -77.5),
    ("us-west (Oregon)", 45.6, -121.2),
    ("eu-west (Ireland)", 53.3, -6.3),
    ("eu-central (Frankfurt)", 50.1, 8.7),
    ("ap-south (Mumbai)", 19.1, 72.9),
    ("ap-southeast (Singapore)", 1.35, 103.8),
    ("ap-northeast (Tokyo)", 35.7, 139.7),
    ("sa-east (Sao Paulo)", -23.5, -46.6),
)
"""Eight typical cloud regions: name, latitude and longitude of their metro area."""

_MAX_WRITES = 2_000_000


def _great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class RegionTable:
    """Distances and estimated round trips between regions (formula).

    Attributes
    ----------
    names : tuple of str
    km : numpy.ndarray
        Great-circle distances, ``[i, j]``.
    rtt : numpy.ndarray
        Estimated round trips, seconds: distance x ``route_factor`` / 200 km per ms, twice.
    route_factor : float
    """

    names: tuple[str, ...]
    km: np.ndarray
    rtt: np.ndarray
    route_factor: float


def region_table(route_factor: float = 1.5) -> RegionTable:
    """Round trips between :data:`REGIONS`, estimated from distance (formula).

    Parameters
    ----------
    route_factor : float
        Path length over great-circle distance, in [1, 5]. Between cloud regions over a
        provider's backbone about 1.3-2 (an assumption; use your provider's published
        inter-region latencies where you have them).
    """
    check_real("route_factor", route_factor, low=1.0, high=5.0)
    names = tuple(name for name, _, _ in REGIONS)
    where = [(lat, lon) for _, lat, lon in REGIONS]
    km = np.array([[_great_circle_km(a, b) for b in where] for a in where])
    return RegionTable(names, km, round_trip(km, route_factor), float(route_factor))


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(check_int("seed", seed), spawn_key=(stream,))
    )


def _writes(name: str, rate: float, duration: float) -> None:
    if rate * duration > _MAX_WRITES:
        raise ValueError(
            f"{name}={rate!r} x duration={duration!r} is {rate * duration:,.0f} writes, above "
            f"{_MAX_WRITES:,}; shorten the run or lower the rate (the counts scale with both)"
        )


@dataclass(frozen=True)
class FailoverLoss:
    """What a primary's crash loses under asynchronous replication (simulated, with the
    formula).

    Attributes
    ----------
    lags : numpy.ndarray
        Mean shipping delays to the standby's log (one way plus queueing and flush), s.
    lost : numpy.ndarray
        ``[lag, run]``: acknowledged writes the standby had not received at the crash.
    formula : numpy.ndarray
        Expected loss, ``write_rate x mean delay`` (Little's law: writes in flight).
    generated : numpy.ndarray
        ``[lag, run]``: writes acknowledged before the crash (= replicated + lost).
    write_rate : float
    sync_penalty : numpy.ndarray
        What synchronous replication adds to each write instead: a round trip to the
        standby, twice the one-way half of the delay, seconds.
    """

    lags: np.ndarray
    lost: np.ndarray
    formula: np.ndarray
    generated: np.ndarray
    write_rate: float
    sync_penalty: np.ndarray


def failover_loss(
    lags: tuple[float, ...] = (0.005, 0.04, 0.1, 0.5, 2.0),
    write_rate: float = 1_000.0,
    runs: int = 20,
    seed: int = 1,
) -> FailoverLoss:
    """Crash a primary that replicates asynchronously and count what the standby never got.

    Writes arrive as a Poisson stream and are acknowledged at once; each reaches the
    standby's log after a shipping delay of half the mean (the one-way trip, fixed) plus
    an exponential queueing and flush time of the other half. A write the standby has
    received is recovered at promotion (it replays its log first), so replay lag does
    not count. The primary crashes at a random instant 10-11 s in; writes acknowledged
    but not yet received are lost: the recovery point (RPO). Runs
    ``runs`` crashes per lag, drawing the writes of the last 20 mean delays before each
    (about ``20 x write_rate x lag x runs`` draws).

    Parameters
    ----------
    lags : tuple of float
        Mean shipping delays, seconds (each > 0): a few ms in one metro, 40-200 ms across
        a continent or an ocean, seconds when shipping falls behind.
    write_rate : float
        Writes/s (> 0).
    runs : int
        Crashes simulated per lag, 1 to 1,000.
    seed : int
    """
    for i, lag in enumerate(lags):
        check_positive(f"lags[{i}]", lag)
    check_positive("write_rate", write_rate)
    check_int("runs", runs, low=1, high=1_000)
    _writes("write_rate", write_rate, 20 * sum(lags) * runs)
    rng = _rng(seed, 1)
    lost, made = np.zeros((len(lags), runs), int), np.zeros((len(lags), runs), int)
    for i, lag in enumerate(lags):
        for r in range(runs):
            crash = 10.0 + rng.uniform(0, 1)
            # A write older than 20 mean delays has arrived (the chance it has not is
            # e^-39): those are counted, not drawn.
            start = max(0.0, crash - 20 * lag)
            recent = np.sort(rng.uniform(start, crash, rng.poisson(write_rate * (crash - start))))
            arrive = recent + lag / 2 + rng.exponential(lag / 2, recent.size)
            lost[i, r] = int(np.count_nonzero(arrive >= crash))
            made[i, r] = int(rng.poisson(write_rate * start)) + recent.size
    lags_a = np.array(lags, dtype=float)
    return FailoverLoss(
        lags=lags_a,
        lost=lost,
        formula=write_rate * lags_a,
        generated=made,
        write_rate=float(write_rate),
        sync_penalty=lags_a.copy(),
    )


@dataclass(frozen=True)
class Conflicts:
    """Two regions accepting writes to the same keys (simulated, with the formula).

    Attributes
    ----------
    lags : numpy.ndarray
        Replication delays between the regions, seconds.
    writes : numpy.ndarray
        ``[lag]``: writes made in both regions.
    concurrent : numpy.ndarray
        ``[lag]``: writes with a write to the same key from the other region within
        ``lag`` either side (neither had seen the other).
    lost_lww : numpy.ndarray
        ``[lag]``: writes a concurrent later write from the other region overwrites under
        last-writer-wins (timestamps taken as exact: clock skew adds more). For a blind
        write the later value would have won anyway; for a read-modify-write (a counter, a
        stock level, an edit of what was read) each is a lost update.
    formula_lost : numpy.ndarray
        Expected ``lost_lww``: ``sum_k 2 r p_k (1 - exp(-r p_k lag)) x duration``.
    hottest_share : float
        Share of writes to the hottest key.
    """

    lags: np.ndarray
    writes: np.ndarray
    concurrent: np.ndarray
    lost_lww: np.ndarray
    formula_lost: np.ndarray
    hottest_share: float


def active_active_conflicts(
    lags: tuple[float, ...] = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0),
    write_rate: float = 500.0,
    n_keys: int = 1_000_000,
    skew: float = 0.8,
    duration: float = 60.0,
    seed: int = 1,
) -> Conflicts:
    """Both regions take ``write_rate`` writes/s on Zipf keys and replicate to each other
    after ``lag``; count the writes that collide. The same ``2 x write_rate x duration``
    writes are judged at every lag (common random numbers), vectorised: about 0.1 s at
    the defaults.

    Parameters
    ----------
    lags : tuple of float
        Replication delays, seconds (each >= 0).
    write_rate : float
        Writes/s in each region (> 0).
    n_keys : int
        Keys, 1 to ``MAX_KEYS``.
    skew : float
        Zipf exponent, in [0, 5].
    duration : float
        Seconds simulated (> 0).
    seed : int
    """
    for i, lag in enumerate(lags):
        check_non_negative(f"lags[{i}]", lag)
    check_positive("write_rate", write_rate)
    check_int("n_keys", n_keys, low=1, high=MAX_KEYS)
    check_positive("duration", duration)
    _writes("write_rate", write_rate, 2 * duration)
    zipf = Zipf(n_keys, skew)
    rng = _rng(seed, 2)
    regions = []
    for _ in range(2):
        n = rng.poisson(write_rate * duration)
        regions.append((zipf.sample(rng, n), np.sort(rng.uniform(0, duration, n))))
    span = duration + 2 * max(lags) + 1
    # Each write as one sortable number, key x span + time: a window in time on one key is
    # then a range of numbers, found by binary search in the other region's sorted list.
    pairs = [
        (np.sort(ka * span + ta), np.sort(kb * span + tb))
        for (ka, ta), (kb, tb) in (regions, regions[::-1])
    ]
    concurrent, lost = [], []
    for lag in lags:
        count_c = count_l = 0
        for mine, other in pairs:
            after = np.searchsorted(other, mine, side="right")
            before = np.searchsorted(other, mine - lag, side="left")
            upto = np.searchsorted(other, mine + lag, side="right")
            count_l += int(np.count_nonzero(upto > after))
            count_c += int(np.count_nonzero(upto > before))
        concurrent.append(count_c)
        lost.append(count_l)
    lags_a = np.array(lags, dtype=float)
    p, count = zipf_groups(n_keys, float(skew))
    formula = np.array(
        [
            float(np.sum(count * 2 * write_rate * p * -np.expm1(-write_rate * p * lag))) * duration
            for lag in lags_a
        ]
    )
    return Conflicts(
        lags=lags_a,
        writes=np.full(lags_a.shape, sum(k.size for k, _ in regions)),
        concurrent=np.array(concurrent),
        lost_lww=np.array(lost),
        formula_lost=formula,
        hottest_share=float(p[0]),
    )


@dataclass(frozen=True)
class ShuffleSharding:
    """How many customers one poison customer takes down with it (formula).

    Attributes
    ----------
    nodes, shard_size : int
    overlap : numpy.ndarray
        ``overlap[j]``: chance another customer shares exactly ``j`` of the poison
        customer's nodes (hypergeometric).
    full_outage : float
        Chance another customer loses every node, ``1 / C(nodes, shard_size)``.
    cells_share : float
        Share of customers a cell-wide failure takes down with plain cells of
        ``shard_size`` nodes, ``shard_size / nodes``.
    """

    nodes: int
    shard_size: int
    overlap: np.ndarray
    full_outage: float
    cells_share: float


def shuffle_sharding(nodes: int = 8, shard_size: int = 2) -> ShuffleSharding:
    """Each customer is served by ``shard_size`` of ``nodes`` nodes, chosen at random; a
    customer whose requests crash their nodes takes those down (formula).

    Parameters
    ----------
    nodes : int
        Nodes in the fleet, 1 to 10,000.
    shard_size : int
        Nodes per customer, 1 to ``nodes``.
    """
    check_int("nodes", nodes, low=1, high=10_000)
    check_int("shard_size", shard_size, low=1, high=nodes)
    total = math.comb(nodes, shard_size)
    overlap = np.array(
        [
            math.comb(shard_size, j) * math.comb(nodes - shard_size, shard_size - j) / total
            for j in range(shard_size + 1)
        ]
    )
    return ShuffleSharding(
        nodes=int(nodes),
        shard_size=int(shard_size),
        overlap=overlap,
        full_outage=1 / total,
        cells_share=shard_size / nodes,
    )
