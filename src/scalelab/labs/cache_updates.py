"""Cache update strategies (chapter 10): what each way of keeping a cache and its database
in step costs in database load, stale reads and write latency, on one keyed workload (the
thundering herd is in :mod:`.cache_herd`). Simulated with a keyed :class:`~scalelab.Cache`
(``ttl``, ``write_policy``, ``refresh_ahead``, ...), next to the formulas where they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import (
    check_choice,
    check_int,
    check_labels,
    check_non_negative,
    check_optional,
    check_positive,
    check_probability,
    check_real,
)
from ..distributions import Exponential
from ..run import simulate
from ..topology import AppTier, Cache, Database, RequestResponse
from ..workload import Poisson, Zipf
from ._units import p99_or_inf, row_where

__all__ = [
    "STRATEGIES",
    "ttl_hit_ratio",
    "ttl_stale_fraction",
    "StrategyRow",
    "CacheStrategies",
    "cache_strategies",
]

STRATEGIES = ("invalidate", "ttl_only", "write_through", "write_behind", "refresh_ahead")
"""The update strategies :func:`cache_strategies` compares: cache-aside deleting the key on
a write, cache-aside with TTL expiry only, write-through, write-behind, and refresh-ahead
(TTL expiry, writes leave the cache alone, hot keys refreshed before they expire)."""

_POLICY = {"refresh_ahead": "ttl_only"}
_OPEN_UNIT = {"low": 0.0, "high": 1.0, "low_open": True, "high_open": True}


def _rates(name: str, value: object) -> np.ndarray:
    """``value`` as a float array of rates, each finite and >= 0."""
    try:
        rates = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        rates = np.array(np.nan)
    bad = rates[~(np.isfinite(rates) & (rates >= 0))]
    if rates.size == 0 or bad.size:
        shown = value if rates.size < 2 else bad[:1].tolist()
        raise ValueError(f"{name}={shown!r} is outside the allowed range [0, inf)")
    return rates


def _window(w: np.ndarray, ttl: float) -> np.ndarray:
    """E[min(ttl, time to the next write)] for writes at rate ``w``: (1 - e^-wT) / w."""
    x = w * ttl
    return np.where(x > 1e-9, -np.expm1(-x) / np.where(x > 1e-9, w, 1.0), ttl)


def ttl_hit_ratio(
    read_rate: float | np.ndarray,
    ttl: float,
    write_rate: float | np.ndarray = 0.0,
    write_policy: str = "ttl_only",
    refresh_ahead: float | None = None,
) -> np.ndarray:
    """Hit ratio of one key read as a Poisson stream, in a cache without evictions (a
    formula; ignores the time a fill takes).

    A miss stores the value, which then serves reads until it expires ``ttl`` later; the
    next read misses. ``"ttl_only"``: each miss starts a window of ``ttl`` with ``r T``
    expected hits, so ``h = rT / (1 + rT)``. ``"invalidate"``: a write (rate w) ends the
    window early, ``L = (1 - e^-wT) / w``, ``h = rL / (1 + rL)``. ``"write_through"``: a
    write stores the value too; an entry lasts until a gap of ``T`` without writes,
    ``D = (e^wT - 1) / w``, ``h = 1 - 1 / ((r + w) D + 1)``. With ``refresh_ahead`` = a
    (``"ttl_only"`` writes), a read in the last ``(1 - a) T`` of an entry's life renews
    it: ``h = 1 - e^(-r (1-a) T) / (1 + r a T)``. Sum ``r h`` over keys and divide by the
    read rate for a whole cache.

    Parameters
    ----------
    read_rate : float or numpy.ndarray
        Reads per second of the key (>= 0).
    ttl : float
        Seconds (> 0).
    write_rate : float or numpy.ndarray
        Writes per second of the key (>= 0).
    write_policy : str
        ``"ttl_only"``, ``"invalidate"`` or ``"write_through"``.
    refresh_ahead : float, optional
        Fraction of the TTL, in (0, 1); only with ``"ttl_only"``.
    """
    r, w = _rates("read_rate", read_rate), _rates("write_rate", write_rate)
    ttl = check_positive("ttl", ttl)
    check_choice("write_policy", write_policy, ("ttl_only", "invalidate", "write_through"))
    check_optional("refresh_ahead", refresh_ahead, check_real, **_OPEN_UNIT)
    if refresh_ahead is not None and write_policy != "ttl_only":
        raise ValueError(f"refresh_ahead={refresh_ahead!r} needs write_policy='ttl_only'")
    if refresh_ahead is not None:
        a = refresh_ahead
        return 1.0 - np.exp(-r * (1 - a) * ttl) / (1.0 + r * a * ttl)
    if write_policy == "write_through":
        x = w * ttl
        with np.errstate(over="ignore"):
            d = np.where(x > 1e-9, np.expm1(x) / np.where(x > 1e-9, w, 1.0), ttl)
        return 1.0 - 1.0 / ((r + w) * d + 1.0)
    window = _window(w, ttl) if write_policy == "invalidate" else ttl * np.ones_like(w)
    return r * window / (1.0 + r * window)


def ttl_stale_fraction(
    read_rate: float | np.ndarray, write_rate: float | np.ndarray, ttl: float
) -> np.ndarray:
    """Fraction of one key's reads that return a value older than its latest write, with
    TTL expiry only (a formula; writes leave the cache alone, fills are instantaneous).

    A hit comes a uniform time ``s`` into its ``ttl`` window and is stale if a write came
    since the fill, with probability ``1 - e^-ws``; misses read the database, fresh. So
    ``stale = r (T - L) / (1 + rT)`` with ``L = (1 - e^-wT) / w``: about ``rT / (1 + rT)``
    for a key written many times per TTL, ``r w T^2 / (2 (1 + rT))`` for a rarely written
    one.

    Parameters
    ----------
    read_rate, write_rate : float or numpy.ndarray
        Reads and writes per second of the key (>= 0).
    ttl : float
        Seconds (> 0).
    """
    r, w = _rates("read_rate", read_rate), _rates("write_rate", write_rate)
    hit = ttl_hit_ratio(r, ttl, w)
    return hit * (1.0 - _window(w, ttl) / ttl)


def _stale_age(r: np.ndarray, w: np.ndarray, ttl: float) -> float:
    """Mean age of a stale read with TTL expiry only (a formula): a hit ``s`` into its
    window whose first write since the fill came at ``u`` is ``s - u`` stale."""
    x = w * ttl
    safe = np.where(x > 1e-3, w, 1.0)
    closed = ttl / 2 - (ttl - _window(w, ttl)) / (safe * ttl)
    per_hit = np.where(x > 1e-3, closed, x * ttl / 6 - x**2 * ttl / 24)
    hits = r * ttl_hit_ratio(r, ttl, w)
    stale = float(np.sum(hits * (1.0 - _window(w, ttl) / ttl)))
    return float(np.sum(hits * per_hit)) / stale if stale > 0 else 0.0


@dataclass(frozen=True)
class StrategyRow:
    """One update strategy on the workload of :func:`cache_strategies`.

    Attributes
    ----------
    strategy : str
        One of ``STRATEGIES``.
    db_reads, db_writes : float
        Database reads and writes per second (refreshes and flushes included).
    hit_ratio : float
        Share of reads answered from the cache.
    stale_fraction : float
        Share of reads that got a value older than the latest acknowledged write of
        their key.
    stale_age_mean, stale_age_p99 : float
        How long before such a read its value had been superseded, seconds (0 if none).
    write_p50, write_p99 : float
        What writers waited, seconds.
    p99 : float
        Client latency of every request, failures included, seconds.
    race_fills : int
        Fills that stored a value already superseded (the cache-aside race).
    lost_writes, lost_keys : int
        Acknowledged writes (and their keys) lost in the crash: write-behind only.
    stale_after_crash : int
        Stale reads after the crash (the lost writes showing through).
    generated, completed : int
        Requests generated, and completed, in the whole run (the rest failed, timed out,
        were dropped or were in flight at the end).
    hit_ratio_formula, stale_fraction_formula, stale_age_formula : float or None
        :func:`ttl_hit_ratio`, :func:`ttl_stale_fraction` and the mean stale age summed
        over the Zipf keys, where a formula applies (None elsewhere).
    db_reads_formula, db_writes_formula : float or None
        Per second: reads ``sum r (1 - h)`` (with refresh-ahead ``sum r / (1 + r a T)``);
        writes the write rate, for write-behind ``sum (1 - e^-wF) / F`` (one flush per
        dirty key per interval F; a crash before the last flush of the run removes the
        writes it lost from the simulated figure).
    lost_writes_formula : float or None
        Write-behind: write rate x time since the last flush before the crash.
    """

    strategy: str
    db_reads: float
    db_writes: float
    hit_ratio: float
    stale_fraction: float
    stale_age_mean: float
    stale_age_p99: float
    write_p50: float
    write_p99: float
    p99: float
    race_fills: int
    lost_writes: int
    lost_keys: int
    stale_after_crash: int
    generated: int
    completed: int
    hit_ratio_formula: float | None
    stale_fraction_formula: float | None
    stale_age_formula: float | None
    db_reads_formula: float | None
    db_writes_formula: float | None
    lost_writes_formula: float | None


@dataclass(frozen=True)
class CacheStrategies:
    """The update strategies side by side on one keyed workload.

    Attributes
    ----------
    rows : tuple of StrategyRow
        One per strategy, in the order asked for.
    load, read_fraction, zipf_s, ttl, refresh_ahead, flush_interval : float
        The workload and the cache (requests/s, share of reads, Zipf skew, seconds,
        fraction of the TTL, seconds).
    n_keys : int
    crash_at : float or None
        When the write-behind cache crashed, seconds (None: no crash).
    window : float
        Seconds measured (after the warm-up).
    """

    rows: tuple[StrategyRow, ...]
    load: float
    read_fraction: float
    zipf_s: float
    ttl: float
    refresh_ahead: float
    flush_interval: float
    n_keys: int
    crash_at: float | None
    window: float

    def row(self, strategy: str) -> StrategyRow:
        """The row of ``strategy``."""
        return row_where(self.rows, strategy=strategy)


def _formulas(
    strategy: str, r: np.ndarray, w: np.ndarray, ttl: float, a: float, flush: float
) -> dict[str, float | None]:
    reads = float(r.sum())
    policy = _POLICY.get(strategy, strategy)
    out: dict[str, float | None] = dict.fromkeys(
        ("hit_ratio_formula", "stale_fraction_formula", "stale_age_formula", "db_reads_formula")
    )
    if strategy == "write_behind":
        out["db_writes_formula"] = float(np.sum(-np.expm1(-w * flush)) / flush)
        return out
    out["db_writes_formula"] = float(w.sum())
    ahead = a if strategy == "refresh_ahead" else None
    h = ttl_hit_ratio(r, ttl, w, policy, ahead)
    out["hit_ratio_formula"] = float(np.sum(r * h) / reads) if reads else 0.0
    if ahead is None:
        out["db_reads_formula"] = float(np.sum(r * (1 - h)))
    else:
        out["db_reads_formula"] = float(np.sum(r / (1.0 + r * a * ttl)))
    if strategy == "ttl_only":
        stale = ttl_stale_fraction(r, w, ttl)
        out["stale_fraction_formula"] = float(np.sum(r * stale) / reads) if reads else 0.0
        out["stale_age_formula"] = _stale_age(r, w, ttl)
    return out


def cache_strategies(
    strategies: tuple[str, ...] | None = None,
    load: float = 2000.0,
    read_fraction: float = 0.9,
    n_keys: int = 2000,
    zipf_s: float = 1.0,
    ttl: float = 1.0,
    refresh_ahead: float = 0.5,
    flush_interval: float = 1.0,
    crash_at: float | None = 5.5,
    db_capacity_qps: float = 2000.0,
    duration: float = 6.0,
    warmup: float = 2.0,
    seed: int = 1,
) -> CacheStrategies:
    """Run each update strategy on the same keyed workload (common random numbers: the
    same requests, keys and service times) and measure what it costs.

    Every strategy has the same TTL and a cache large enough that nothing is evicted, so
    the formulas apply. ``"invalidate"``: a read fills a miss from the database; a write
    updates the database, then deletes the key (its stale reads come from the race: a
    miss's database read starts before a write commits and its fill lands after the
    write's delete). ``"ttl_only"``: writes leave the cache alone. ``"write_through"``:
    a write updates the database, then the cache; the writer waits for both.
    ``"write_behind"``: a write updates the cache only and is acknowledged at once; dirty
    keys are flushed every ``flush_interval``, and the cache node crashes at
    ``crash_at``, losing the writes not yet flushed. ``"refresh_ahead"``: TTL expiry with
    a background refresh on a hit past ``refresh_ahead`` of the entry's life.
    Read-through loads the database as the cache-aside rows do.

    Cost: ``len(strategies) x load x duration`` requests, 60,000 at the defaults (about
    1.5 s).

    Parameters
    ----------
    strategies : tuple of str, optional
        Labels from ``STRATEGIES`` (default: all).
    load : float
        Requests per second (> 0).
    read_fraction : float
        Share of reads, in [0, 1].
    n_keys : int
        Distinct keys, 1 to 1,000,000.
    zipf_s : float
        Key skew, in [0, 5].
    ttl : float
        Seconds an entry lives (> 0).
    refresh_ahead : float
        Fraction of the TTL after which a hit refreshes the entry, in (0, 1).
    flush_interval : float
        Seconds between write-behind flushes (> 0).
    crash_at : float, optional
        When the write-behind cache crashes, seconds (>= 0); None: no crash. The default,
        half an interval after the last flush of the run, keeps the flushes of the
        measured window whole (the database writes are the formula's).
    db_capacity_qps : float
        Database saturation throughput, queries per second (> 0).
    duration : float
        Seconds simulated per strategy (> 0).
    warmup : float
        Seconds before measuring, in [0, duration); at least a TTL for steady state.
    seed : int
        Seed (>= 0).

    Notes
    -----
    A keyed cache's counters (``result.counters["cache.<name>"]`` of
    :func:`scalelab.simulate`) cover the requests that arrived after the warm-up:
    ``hits``, ``misses`` (``coalesced``: misses that waited for another reader's fetch),
    ``hit_ratio``; ``stale_reads`` and ``stale_fraction`` (reads that got a version older
    than the latest acknowledged write of their key at that instant), ``stale_age_mean``
    and ``stale_age_p99`` (how long before the read that value had been superseded, s; 0
    when no read was stale), ``stale_after_crash``; ``race_fills`` (fills that stored a
    value already superseded: the cache-aside race); ``db_reads`` and ``db_writes``
    issued after the warm-up (refreshes and flushes included), ``refreshes``,
    ``expired`` (entries found expired), ``writes``, ``write_latency_p50`` and
    ``write_latency_p99`` (what the writer waited, s); ``lost_writes`` and ``lost_keys``
    (write-behind writes not flushed when the cache crashed at ``flush_at``).
    """
    chosen = check_labels("strategies", strategies, STRATEGIES)
    load = check_positive("load", load)
    read_fraction = check_probability("read_fraction", read_fraction)
    check_int("n_keys", n_keys, low=1, high=1_000_000)
    check_real("zipf_s", zipf_s, low=0.0, high=5.0)
    ttl = check_positive("ttl", ttl)
    check_real("refresh_ahead", refresh_ahead, **_OPEN_UNIT)
    flush_interval = check_positive("flush_interval", flush_interval)
    check_optional("crash_at", crash_at, check_non_negative)
    check_positive("db_capacity_qps", db_capacity_qps)
    duration = check_positive("duration", duration)
    warmup = check_real("warmup", warmup, low=0.0, high=duration, high_open=True)
    check_int("seed", seed, low=0)
    keys = Zipf(n_keys, zipf_s)
    p = keys.probabilities()
    r, w = load * read_fraction * p, load * (1 - read_fraction) * p
    workload = Poisson(load, keys=keys, read_fraction=read_fraction)
    app = AppTier(servers=2, workers=128, service=Exponential(0.001))
    db = Database(capacity_qps=db_capacity_qps, concurrency=8)
    rows = []
    for strategy in chosen:
        behind = strategy == "write_behind"
        cache = Cache(
            size=n_keys,
            ttl=ttl,
            write_policy=_POLICY.get(strategy, strategy),
            refresh_ahead=refresh_ahead if strategy == "refresh_ahead" else None,
            flush_interval=flush_interval if behind else None,
            flush_at=crash_at if behind else None,
        )
        result = simulate(
            RequestResponse(app=app, db=db, cache=cache), workload, duration, seed, warmup
        )
        c = {k[6:]: v for k, v in result.counters.items() if k.startswith("cache.")}
        lost_formula = None
        if behind and crash_at is not None and crash_at < duration:
            lost_formula = float(w.sum()) * (crash_at % flush_interval)
        rows.append(
            StrategyRow(
                strategy=strategy,
                db_reads=c["db_reads"] / result.window,
                db_writes=c["db_writes"] / result.window,
                hit_ratio=c["hit_ratio"],
                stale_fraction=c["stale_fraction"],
                stale_age_mean=c["stale_age_mean"],
                stale_age_p99=c["stale_age_p99"],
                write_p50=c["write_latency_p50"],
                write_p99=c["write_latency_p99"],
                p99=p99_or_inf(result.latency),
                race_fills=int(c["race_fills"]),
                lost_writes=int(c["lost_writes"]),
                lost_keys=int(c["lost_keys"]),
                stale_after_crash=int(c["stale_after_crash"]),
                generated=result.counts.generated,
                completed=result.counts.completed,
                lost_writes_formula=lost_formula,
                **_formulas(strategy, r, w, ttl, refresh_ahead, flush_interval),
            )
        )
    return CacheStrategies(
        tuple(rows),
        load,
        read_fraction,
        float(zipf_s),
        ttl,
        float(refresh_ahead),
        flush_interval,
        n_keys,
        None if crash_at is None or crash_at >= duration else float(crash_at),
        duration - warmup,
    )
