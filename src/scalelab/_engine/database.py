"""The database both styles call: shards, each a primary with read replicas behind an
optional connection pool, with read/write counts and stale reads. Request-response
systems query it from the app tier; event-driven systems from the consumers."""

from __future__ import annotations

from collections.abc import Callable

from .._keys import shard_of
from ..distributions import Exponential
from ..topology import Database
from .core import COMPLETED, Process, Run
from .streams import Draws


class ShardGroup:
    """One shard: a primary, its read replicas, a connection pool, and write visibility."""

    def __init__(self, run: Run, db: Database, label: str) -> None:
        self.primary = run.node(label, db.concurrency)
        self.replicas = [
            run.node(f"{label}.replica[{j}]", db.concurrency) for j in range(db.read_replicas)
        ]
        self.pool = run.node(f"{label}.pool", db.pool) if db.pool is not None else None
        self.visible_at: dict[int, float] = {}
        self.next_replica = 0


class DatabaseClient:
    """Queries against a (sharded, replicated, pooled) database, with read/write counts
    and stale reads; shared by request-response and event-driven systems."""

    def __init__(self, run: Run, db: Database, n: int, net: float) -> None:
        self.run = run
        self.net = net
        self.groups = [
            ShardGroup(run, db, "db" if db.shards == 1 else f"db[{i}]") for i in range(db.shards)
        ]
        self.service = Draws(Exponential(db.mean_query_time), run.stream("db.service"), n)
        self.write_cost = db.write_cost
        self.apply_cost = db.write_cost * db.replica_apply
        self.lag = Draws(db.replication_lag, run.stream("db.replication_lag"), n)
        self.stats = {"db.reads": 0, "db.writes": 0, "db.stale_reads": 0, "db.replica_applies": 0}
        run.finalizers.append(
            lambda: run.counters.update({k: float(v) for k, v in self.stats.items()})
        )

    def _query(
        self,
        rid: int,
        key: int | None,
        is_read: bool,
        group: ShardGroup,
        weight: float,
        at: Callable[[], None] | None = None,
    ) -> Process:
        if is_read and group.replicas:
            group.next_replica = (group.next_replica + 1) % len(group.replicas)
            node = group.replicas[group.next_replica]
        else:
            node = group.primary
        cost = weight * (self.service[rid] if is_read else self.service[rid] * self.write_cost)
        if at is None:
            status = yield from node.visit(rid, cost)
        elif is_read:
            status = yield from node.visit(rid, 0.0, self._snapshot(at, cost))
        else:
            status = yield from node.visit(rid, cost)
            if status == COMPLETED:
                at()
        if not is_read and self.apply_cost:
            # Every replica replays the write, competing with its reads.
            for replica in group.replicas:
                self.run.env.process(
                    replica.visit(rid, weight * self.service[rid] * self.apply_cost, record=False)
                )
            self.stats["db.replica_applies"] += len(group.replicas)
        if key is not None:
            now = self.run.env.now
            if not is_read:
                group.visible_at[key] = now + self.lag[rid]
            elif node is not group.primary and group.visible_at.get(key, 0.0) > now:
                self.stats["db.stale_reads"] += 1
        return status

    def _snapshot(self, at: Callable[[], None], cost: float) -> Process:
        at()
        yield self.run.env.timeout(cost)
        return COMPLETED

    def _network(self, rid: int, background: bool) -> Process:
        if background:  # work no client waits for: not booked to request ``rid``
            yield self.run.env.timeout(self.net)
            return COMPLETED
        return (yield from self.run.network(rid, self.net))

    def call(
        self,
        rid: int,
        key: int | None,
        is_read: bool,
        weight: float = 1.0,
        at: Callable[[], None] | None = None,
        background: bool = False,
    ) -> Process:
        """One query (``weight`` times the usual cost, for a batch): network, a pooled
        connection, the node, network back.

        ``at`` is called when the query takes effect: when a read starts executing (its
        snapshot) or when a write has executed (its commit). A ``background`` query (a
        cache's refresh or flush) is recorded under request ``rid``, which caused it, but
        its network time is not booked to that request."""
        self.stats["db.reads" if is_read else "db.writes"] += 1
        group = self.groups[shard_of(rid if key is None else key, len(self.groups))]
        if self.net:
            yield from self._network(rid, background)
        work = self._query(rid, key, is_read, group, weight, at)
        status = yield from (group.pool.visit(rid, 0.0, work) if group.pool else work)
        if self.net:
            yield from self._network(rid, background)
        return status
