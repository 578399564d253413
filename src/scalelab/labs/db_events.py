"""Getting events out of a database (chapter 11): dual writes in either order, the
transactional outbox and change data capture, through one crash and one broker outage.

A timeline computed write by write (Poisson writes; no queueing: the database, the relay,
the connector and the broker are never the bottleneck), so every write's fate and its
inconsistency window (commit to event published) are exact for the model; beside each
count, its formula.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_labels, check_real
from ..workload import Poisson
from ._units import check_requests, row_where

__all__ = ["DB_EVENT_DESIGNS", "DbEventsRow", "DbEvents", "events_from_db"]

DB_EVENT_DESIGNS = ("dual_write", "publish_first", "outbox", "cdc")
"""The service commits then publishes; publishes then commits; commits the event into an
outbox table in the same transaction (a relay publishes the rows); or commits only, and
a connector publishes the changes it reads from the database's log."""


@dataclass(frozen=True)
class DbEventsRow:
    """One design through the crash and the outage.

    Attributes
    ----------
    design : str
        One of ``DB_EVENT_DESIGNS``.
    attempts : int
        Writes the service tried; ``committed + phantom + refused`` (``publish_first``
        commits after publishing, so its phantoms are attempts never committed).
    committed : int
        Writes in the database.
    published : int
        Committed writes whose event is on the broker (once or more).
    lost : int
        Committed writes whose event never reaches the broker.
    pending : int
        Committed writes whose event is still waiting at the end of the run.
    phantom : int
        Events on the broker for a write that never committed.
    duplicates : int
        Events published a second time.
    refused : int
        Writes the service refused (down, or the broker down under ``publish_first``).
    window_steady : float
        Median seconds from commit to the event's first publication over the writes
        committed before ``crash_at`` (nothing has gone wrong yet); negative for
        ``publish_first``: its event comes before the commit.
    window_p99, window_max : float
        The same over every published write, through the crash and the outage.
    lost_formula, phantom_formula, duplicates_formula : float
        ``dual_write``: writes x publish latency lost (more if the crash comes while the
        broker is down: everything held in memory); ``publish_first``: writes x commit
        latency phantoms; ``outbox``: one poll's rows (rate x poll interval) published
        twice; ``cdc``: rate x position interval published twice. Zero elsewhere.
    window_formula : float
        The steady window: the publish latency (dual write), minus the commit latency
        (``publish_first``), half a poll interval plus the publish latency (outbox), the
        capture lag plus it (CDC).
    """

    design: str
    attempts: int
    committed: int
    published: int
    lost: int
    pending: int
    phantom: int
    duplicates: int
    refused: int
    window_steady: float
    window_p99: float
    window_max: float
    lost_formula: float
    phantom_formula: float
    duplicates_formula: float
    window_formula: float


@dataclass(frozen=True)
class DbEvents:
    """The four designs through the same writes, crash and broker outage.

    Attributes
    ----------
    rows : tuple of DbEventsRow
    write_rate, duration, crash_at, restart, outage_start, outage_end : float
        Writes/s and seconds.
    publish_latency, commit_latency, poll_interval, capture_lag, position_interval : float
        Seconds.
    """

    rows: tuple[DbEventsRow, ...]
    write_rate: float
    duration: float
    crash_at: float
    restart: float
    outage_start: float
    outage_end: float
    publish_latency: float
    commit_latency: float
    poll_interval: float
    capture_lag: float
    position_interval: float

    def row(self, design: str) -> DbEventsRow:
        """The row of ``design``."""
        return row_where(self.rows, design=design)


def _after_outage(ready: np.ndarray, start: float, end: float) -> np.ndarray:
    """When something ready at ``ready`` can go to the broker: at once, or when an outage
    over ``[start, end)`` ends."""
    return np.where((ready >= start) & (ready < end), end, ready)


def _next_tick(t: np.ndarray | float, every: float) -> np.ndarray:
    """The first multiple of ``every`` at or after ``t``."""
    return np.ceil(np.asarray(t) / every - 1e-12) * every


def _row(design: str, duration: float, steady_until: float, **fates: object) -> DbEventsRow:
    """Fill a row from ``published_at`` and ``commit_times`` (per committed write; inf:
    never published) and the counts."""
    first = fates.pop("published_at")
    commits = fates.pop("commit_times")
    committed = int(first.size)
    lost = int(fates.pop("lost"))
    on_time = first <= duration
    windows = first[on_time] - commits[on_time]
    steady = windows[commits[on_time] < steady_until]
    return DbEventsRow(
        design=design,
        committed=committed,
        published=int(on_time.sum()),
        lost=lost,
        pending=committed - int(on_time.sum()) - lost,
        window_steady=float(np.median(steady)) if steady.size else math.inf,
        window_p99=float(np.percentile(windows, 99)) if windows.size else math.inf,
        window_max=float(windows.max()) if windows.size else math.inf,
        **fates,
    )


def events_from_db(
    designs: tuple[str, ...] | None = None,
    write_rate: float = 1000.0,
    duration: float = 40.0,
    crash_at: float = 10.0,
    restart: float = 2.0,
    outage_start: float = 20.0,
    outage_end: float = 30.0,
    publish_latency: float = 0.005,
    commit_latency: float = 0.002,
    poll_interval: float = 0.5,
    capture_lag: float = 0.05,
    position_interval: float = 1.0,
    seed: int = 1,
) -> DbEvents:
    """The same writes through each design; one crash after ``crash_at`` of whatever
    publishes (the service, the outbox relay or the CDC connector), down ``restart``
    seconds, at the worst moment for its design, and the broker down from
    ``outage_start`` to ``outage_end``.

    ``dual_write``: commit, then publish; the event waits in the service's memory while
    the broker is down; the crash, at any instant, loses what was committed and not yet
    published. ``publish_first``: publish, then commit; the broker down refuses the
    write; a crash between the two leaves a phantom event. ``outbox``: the event row
    commits with the write; a relay polls every ``poll_interval``, publishes the rows and
    then marks them sent; it crashes between the two (after its first poll from
    ``crash_at``), so the batch goes again. ``cdc``: a connector reads the database log
    ``capture_lag`` behind and publishes; it stores its log position every
    ``position_interval`` and crashes just before a store, so it publishes again what it
    published since the last. The database's log outlives every outage here (a connector
    down longer than the log is kept would lose events).

    Cost: ``write_rate x duration`` writes (at most 2 x 10^6), about 0.25 s and 70 MB per
    million.

    Parameters
    ----------
    designs : tuple of str, optional
        Labels from ``DB_EVENT_DESIGNS`` (default: all).
    write_rate : float
        Writes per second, in (0, 100000].
    duration : float
        Seconds, in (0, 3600]; ``write_rate x duration`` at most 2 x 10^6.
    crash_at : float
        The crash comes at the first worst moment from this time, in [0, duration).
    restart : float
        Seconds until the crashed process is back, in [0, 600].
    outage_start, outage_end : float
        The broker is down over ``[outage_start, outage_end)``, seconds, within
        ``[0, duration]`` (equal: no outage).
    publish_latency, commit_latency : float
        Seconds to publish an event or batch / to commit, each in (0, 10].
    poll_interval : float
        Seconds between the relay's polls, in (0, 60].
    capture_lag : float
        Seconds the connector reads behind the database's log, in [0, 60].
    position_interval : float
        Seconds between the connector's position stores, in (0, 600].
    seed : int
        Seed (>= 0).
    """
    chosen = check_labels("designs", designs, DB_EVENT_DESIGNS)
    rate = check_real("write_rate", write_rate, low=0.0, high=100_000.0, low_open=True)
    duration = check_real("duration", duration, low=0.0, high=3600.0, low_open=True)
    if rate * duration > 2e6:
        raise ValueError(
            f"write_rate={rate!r}, duration={duration!r}: {rate * duration:.3g} writes, above "
            "2 x 10^6; shorten the run (the counts scale with it)"
        )
    check_requests(rate, duration, f"write_rate={rate!r}, duration={duration!r}")
    crash_at = check_real("crash_at", crash_at, low=0.0, high=duration, high_open=True)
    restart = check_real("restart", restart, low=0.0, high=600.0)
    o_start = check_real("outage_start", outage_start, low=0.0, high=duration)
    o_end = check_real("outage_end", outage_end, low=o_start, high=duration)
    d = check_real("publish_latency", publish_latency, low=0.0, high=10.0, low_open=True)
    c = check_real("commit_latency", commit_latency, low=0.0, high=10.0, low_open=True)
    poll = check_real("poll_interval", poll_interval, low=0.0, high=60.0, low_open=True)
    lag = check_real("capture_lag", capture_lag, low=0.0, high=60.0)
    every = check_real("position_interval", position_interval, low=0.0, high=600.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xDB,)))
    times = Poisson(rate).arrival_times(rng, duration)
    setting = DbEvents(
        (), rate, duration, crash_at, restart, o_start, o_end, d, c, poll, lag, every
    )
    rows = tuple(_DESIGNS[design](design, times, setting) for design in chosen)
    return dataclasses.replace(setting, rows=rows)


def _in_service(design: str, times: np.ndarray, p: DbEvents) -> DbEventsRow:
    """The service does both writes itself; it crashes at ``crash_at`` (any instant)."""
    crash, d, c = p.crash_at, p.publish_latency, p.commit_latency
    down = (times >= crash) & (times < crash + p.restart)
    if design == "dual_write":
        commit = times + c
        published = _after_outage(commit, p.outage_start, p.outage_end) + d
        lost = (commit <= crash) & (published > crash) & ~down
        ok = ~down
        first = np.where(lost, np.inf, published)
        in_outage = p.outage_start <= crash < p.outage_end
        formula = p.write_rate * (d + (crash - p.outage_start if in_outage else 0.0))
        fates = dict(phantom=0, lost_formula=formula, phantom_formula=0.0, window_formula=d)
        refused = int(down.sum())
    else:
        broker_down = (times >= p.outage_start) & (times < p.outage_end)
        refused_mask = down | broker_down
        published = times + d
        phantom = ~refused_mask & (published <= crash) & (published + c > crash)
        ok = ~refused_mask & ~phantom
        commit = published + c
        first = published
        lost = np.zeros(times.size, bool)
        fates = dict(phantom=int(phantom.sum()), lost_formula=0.0, phantom_formula=p.write_rate * c)
        fates["window_formula"] = -c
        refused = int(refused_mask.sum())
    return _row(
        design,
        p.duration,
        crash,
        attempts=int(times.size),
        published_at=first[ok],
        commit_times=commit[ok],
        lost=int(lost[ok].sum()),
        duplicates=0,
        refused=refused,
        duplicates_formula=0.0,
        **fates,
    )


def _outbox(design: str, times: np.ndarray, p: DbEvents) -> DbEventsRow:
    """Rows commit with the writes; the relay polls, publishes, then marks them sent."""
    poll, d = p.poll_interval, p.publish_latency
    crash_poll = float(_next_tick(p.crash_at, poll))  # it crashes publishing this poll's batch
    back = crash_poll + d + p.restart
    ready = _next_tick(times, poll)  # the first poll that sees the row
    ready = np.where((ready > crash_poll) & (ready < back), _next_tick(back, poll), ready)
    # While the broker is down the relay's polls publish nothing: the next poll after it.
    outage = (ready >= p.outage_start) & (ready < p.outage_end)
    ready = np.where(outage, _next_tick(p.outage_end, poll), ready)
    batch = (times <= crash_poll) & (_next_tick(times, poll) == crash_poll)
    duplicates = int(batch.sum()) if crash_poll + d <= p.duration else 0
    return _from_the_log(design, times, p, ready + d, duplicates, p.write_rate * poll, poll / 2 + d)


def _cdc(design: str, times: np.ndarray, p: DbEvents) -> DbEventsRow:
    """A connector tails the database log; it stores its position every
    ``position_interval``."""
    every = p.position_interval
    store = float(_next_tick(p.crash_at, every))
    crash = store if store > p.crash_at else store + every  # just before a store
    stored = crash - every  # the position it restarts from (read up to then)
    back = crash + p.restart
    read = times + p.capture_lag
    read = np.where((read >= crash) & (read < back), back, read)
    first = _after_outage(read, p.outage_start, p.outage_end) + p.publish_latency
    resent = (read >= stored) & (read < crash) & (first <= crash)
    duplicates = int(resent.sum()) if back <= p.duration else 0
    window = p.capture_lag + p.publish_latency
    return _from_the_log(design, times, p, first, duplicates, p.write_rate * every, window)


def _from_the_log(
    design: str,
    times: np.ndarray,
    p: DbEvents,
    first: np.ndarray,
    duplicates: int,
    duplicates_formula: float,
    window_formula: float,
) -> DbEventsRow:
    """The row of a design whose events come from the database (outbox or CDC): every
    write commits and none is lost or phantom; some are published twice."""
    return _row(
        design,
        p.duration,
        p.crash_at,
        attempts=int(times.size),
        published_at=first,
        commit_times=times,
        lost=0,
        phantom=0,
        refused=0,
        lost_formula=0.0,
        phantom_formula=0.0,
        duplicates=duplicates,
        duplicates_formula=duplicates_formula,
        window_formula=window_formula,
    )


_DESIGNS = {"dual_write": _in_service, "publish_first": _in_service, "outbox": _outbox, "cdc": _cdc}
"""How each of ``DB_EVENT_DESIGNS`` is computed."""
