"""A keyed cache with expiry and write policies, in front of the database of a
request-response system: cache-aside with invalidation or with TTL expiry only,
write-through, write-behind (periodic flushes; a crash loses what is not flushed),
refresh-ahead, and the thundering-herd defences (single flight, jittered TTL, serving the
expired value while one refresh runs).

Every value carries a version. A key's writes are numbered as they take effect (the
database's commit, or the cache's update for write-behind); a read is *stale* when the
version it returns had been superseded by an acknowledged write of that key when the
read got it, and its *age* is how long before that instant the first such write was
acknowledged. A database read sees the versions committed when it starts executing, so a
miss whose fill lands after a concurrent write's commit and delete leaves an old value
until the next write or expiry (the cache-aside race). Cost: O(keys touched) entries plus
one float per write.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import simpy

from ..topology import Cache
from .core import COMPLETED, Process, Run
from .database import DatabaseClient
from .streams import UNIFORM, Draws

COUNTERS = (
    "hits",
    "misses",
    "coalesced",
    "stale_reads",
    "stale_after_crash",
    "race_fills",
    "db_reads",
    "db_writes",
    "refreshes",
    "expired",
    "writes",
)


def keyed(cache: Cache | None) -> bool:
    """True when ``cache`` needs this engine (a TTL, a write policy or single flight);
    otherwise the plain LRU of :mod:`.request_response` runs it."""
    return cache is not None and (
        cache.ttl is not None or cache.write_policy is not None or cache.coalesce
    )


class Entry:
    """One cached value: its version, when it was stored and when it expires."""

    __slots__ = ("expires", "stored", "version")

    def __init__(self, version: int, stored: float, expires: float) -> None:
        self.version = version
        self.stored = stored
        self.expires = expires


class KeyedCache:
    """The cache's contents and the database's versions, per key touched."""

    def __init__(self, run: Run, cache: Cache, db: DatabaseClient, n_keys: int, n: int) -> None:
        self.run = run
        self.env = run.env
        self.cache = cache
        self.db = db
        self.policy = cache.write_policy or "invalidate"
        self.entries: OrderedDict[int, Entry] = OrderedDict()
        self.version: dict[int, int] = {}  # newest version of each key
        self.stored: dict[int, int] = {}  # version the database holds
        # superseded[k][v]: when version v of key k was first superseded by an
        # acknowledged write; len(superseded[k]) is the newest acknowledged version.
        self.superseded: dict[int, list[float]] = {}
        self.dirty: dict[int, list[int]] = {}  # write-behind: key -> [version, rid, writes]
        self.fetching: dict[int, simpy.Event] = {}
        self.refreshing: set[int] = set()
        self.jitter = Draws(UNIFORM, run.stream("cache.ttl_jitter"), n)
        self.lifetimes = 0
        self.stats = dict.fromkeys(COUNTERS, 0)
        self.stale_ages: list[float] = []
        self.write_rids: list[int] = []
        self.lost = (0, 0)
        self.crashed_at = math.inf
        if cache.warm:
            for key in range(min(cache.size, n_keys) - 1, -1, -1):
                self.entries[key] = Entry(0, 0.0, self.lifetime(0.0))
        if cache.flush_at is not None:
            self.env.process(self.crash(cache.flush_at))
        self.flush_interval = cache.flush_interval or 1.0
        run.reports.append(self.report)

    # -- bookkeeping ------------------------------------------------------------------

    def lifetime(self, now: float) -> float:
        """When an entry stored now expires."""
        ttl = self.cache.ttl
        if ttl is None:
            return math.inf
        jitter = self.cache.ttl_jitter
        if jitter:
            self.lifetimes += 1
            ttl *= 1.0 - jitter * self.jitter[self.lifetimes]
        return now + ttl

    def measured(self, rid: int) -> bool:
        return self.run.arrival[rid] >= self.run.warmup

    def count(self, name: str) -> None:
        """Count work the cache causes (database queries, refreshes) after the warm-up."""
        if self.env.now >= self.run.warmup:
            self.stats[name] += 1

    def acknowledge(self, key: int, version: int) -> None:
        superseded = self.superseded.setdefault(key, [])
        now = self.env.now
        while len(superseded) < version:
            superseded.append(now)

    def is_superseded(self, key: int, version: int) -> bool:
        return version < len(self.superseded.get(key, ()))

    def served(self, rid: int, key: int, version: int) -> None:
        """A read got ``version`` of ``key`` now: count it if it was stale."""
        if not self.is_superseded(key, version) or not self.measured(rid):
            return
        now = self.env.now
        self.stats["stale_reads"] += 1
        self.stale_ages.append(now - self.superseded[key][version])
        if now >= self.crashed_at:
            self.stats["stale_after_crash"] += 1

    def put(self, key: int, version: int) -> None:
        """Store ``version`` of ``key`` (a fill, a refresh or a write), evicting the least
        recently used entries that are not dirty if the cache is over its size."""
        now = self.env.now
        if self.is_superseded(key, version) and self.run.warmup <= now < self.crashed_at:
            self.stats["race_fills"] += 1  # the race (after a crash: the lost writes)
        entries = self.entries
        entries[key] = Entry(version, now, self.lifetime(now))
        entries.move_to_end(key)
        pinned = 0
        while len(entries) > self.cache.size and pinned < len(entries):
            old, entry = entries.popitem(last=False)
            if old in self.dirty:  # not flushed yet: stays
                entries[old] = entry
                pinned += 1

    # -- reads ------------------------------------------------------------------------

    def read(self, rid: int, key: int, deadline: float | None) -> Process:
        cache, env = self.cache, self.env
        if cache.latency:
            yield env.timeout(cache.latency)
        now = env.now
        entry = self.entries.get(key)
        if entry is not None:
            fresh = now < entry.expires or key in self.dirty
            grace = cache.stale_while_revalidate
            if fresh or (grace is not None and now < entry.expires + grace):
                self.entries.move_to_end(key)
                ahead = cache.refresh_ahead
                if not fresh:  # served while one refresh runs
                    if self.refresh(rid, key):
                        self.count("expired")
                elif ahead is not None and now >= entry.stored + ahead * (
                    entry.expires - entry.stored
                ):
                    self.refresh(rid, key)
                if self.measured(rid):
                    self.stats["hits"] += 1
                self.served(rid, key, entry.version)
                return COMPLETED
            del self.entries[key]
            self.count("expired")
        if self.measured(rid):
            self.stats["misses"] += 1
        if cache.coalesce:
            pending = self.fetching.get(key)
            if pending is not None:
                if self.measured(rid):
                    self.stats["coalesced"] += 1
                status, version = yield pending
                if status == COMPLETED:
                    self.served(rid, key, version)
                return status
            self.fetching[key] = env.event()
        status, version = yield from self.fetch(rid, key, deadline)
        if cache.coalesce:
            self.fetching.pop(key).succeed((status, version))
        if status == COMPLETED:
            self.served(rid, key, version)
        return status

    def fetch(self, rid: int, key: int, deadline: float | None) -> Process:
        """A miss: read the database, then fill the cache (unless the caller has given
        up: a result after its deadline is thrown away)."""
        snapshot = [0]

        def at() -> None:
            snapshot[0] = self.stored.get(key, 0)

        self.count("db_reads")
        status = yield from self.db.call(rid, key, True, at=at)
        if status != COMPLETED:
            return status, 0
        if self.cache.latency:
            yield self.env.timeout(self.cache.latency)
        if (deadline is None or self.env.now < deadline) and key not in self.dirty:
            self.put(key, snapshot[0])
        return COMPLETED, snapshot[0]

    def refresh(self, rid: int, key: int) -> bool:
        """Start one background refresh of ``key`` unless one is running (or the key is
        dirty: the cache holds its newest value); True if it started one."""
        if key in self.refreshing or key in self.dirty:
            return False
        self.refreshing.add(key)
        self.env.process(self._refresh(rid, key))
        return True

    def _refresh(self, rid: int, key: int) -> Process:
        snapshot = [0]

        def at() -> None:
            snapshot[0] = self.stored.get(key, 0)

        self.count("refreshes")
        self.count("db_reads")
        status = yield from self.db.call(rid, key, True, at=at, background=True)
        if status == COMPLETED:
            if self.cache.latency:
                yield self.env.timeout(self.cache.latency)
            if key not in self.dirty:
                self.put(key, snapshot[0])
        self.refreshing.discard(key)
        return status

    # -- writes -----------------------------------------------------------------------

    def write(self, rid: int, key: int, deadline: float | None) -> Process:
        env, latency = self.env, self.cache.latency
        if self.measured(rid):
            self.stats["writes"] += 1
            self.write_rids.append(rid)
        if self.policy == "write_behind":
            if latency:
                yield env.timeout(latency)
            version = self.version[key] = self.version.get(key, 0) + 1
            self.put(key, version)
            if not self.dirty:  # the first dirty key since the last flush
                self.env.process(self.flusher())
            dirty = self.dirty.setdefault(key, [0, 0, 0])
            dirty[0], dirty[1], dirty[2] = version, rid, dirty[2] + 1
            self.acknowledge(key, version)
            return COMPLETED
        committed = [0]

        def at() -> None:
            committed[0] = self.version[key] = self.stored[key] = self.version.get(key, 0) + 1

        self.count("db_writes")
        status = yield from self.db.call(rid, key, False, at=at)
        if status != COMPLETED:
            return status
        if self.policy in ("invalidate", "write_through"):
            if latency:
                yield env.timeout(latency)
            if self.policy == "invalidate":
                self.entries.pop(key, None)
            else:
                self.put(key, committed[0])
        self.acknowledge(key, committed[0])
        return COMPLETED

    def flusher(self) -> Process:
        """Write-behind: at the next multiple of the flush interval, send each dirty key's
        newest version to the database (one write per key, however many writes it
        absorbed). Started by the first write after a flush, so an idle cache costs no
        events."""
        interval, now = self.flush_interval, self.env.now
        yield self.env.timeout((math.floor(now / interval) + 1) * interval - now)
        batch, self.dirty = self.dirty, {}
        for key, (version, rid, _) in batch.items():
            self.env.process(self._flush(rid, key, version))
        return COMPLETED

    def _flush(self, rid: int, key: int, version: int) -> Process:
        def at() -> None:
            self.stored[key] = max(self.stored.get(key, 0), version)

        self.count("db_writes")
        return (yield from self.db.call(rid, key, False, at=at, background=True))

    def crash(self, at: float) -> Process:
        """The cache node restarts empty at ``at``: unflushed writes are lost."""
        yield self.env.timeout(at)
        self.lost = (sum(d[2] for d in self.dirty.values()), len(self.dirty))
        self.dirty = {}
        self.entries.clear()
        self.crashed_at = at
        return COMPLETED

    # -- figures ----------------------------------------------------------------------

    def report(self) -> None:
        run, stats = self.run, self.stats
        reads = stats["hits"] + stats["misses"]
        ages = np.asarray(self.stale_ages)
        rids = np.asarray(self.write_rids, dtype=np.int64)
        arrival = np.asarray(run.arrival)[rids]
        waits = np.minimum(np.asarray(run.finish)[rids], run.duration) - arrival
        out = {name: float(value) for name, value in stats.items()}
        out.update(
            {
                "hit_ratio": stats["hits"] / reads if reads else 0.0,
                "stale_fraction": stats["stale_reads"] / reads if reads else 0.0,
                "stale_age_mean": float(ages.mean()) if ages.size else 0.0,
                "stale_age_p99": float(np.percentile(ages, 99)) if ages.size else 0.0,
                "write_latency_p50": float(np.percentile(waits, 50)) if waits.size else 0.0,
                "write_latency_p99": float(np.percentile(waits, 99)) if waits.size else 0.0,
                "lost_writes": float(self.lost[0]),
                "lost_keys": float(self.lost[1]),
            }
        )
        if self.crashed_at < math.inf:
            out["flushed_at"] = self.crashed_at
        run.counters.update({f"cache.{name}": value for name, value in out.items()})
