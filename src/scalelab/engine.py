"""The general discrete-event engine, on SimPy.

Every topology is built from :class:`_Node` (a pool of identical slots with one FCFS
queue) and a per-request generator that walks the request through the nodes. Each node
records when requests entered, started and left, so queue lengths, utilization and the
per-hop breakdown are computed afterwards from exact event times.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Generator

import numpy as np
import simpy

from ._streams import UNIFORM, Draws, stream
from .distributions import Exponential
from .eventdriven import EventDriven
from .results import COMPLETED, DROPPED, FAILED, IN_FLIGHT, TIMED_OUT, _NodeLog, _PartitionLog
from .topology import Chain, Database, LoadBalancer, RequestResponse, Station
from .workload import ClosedLoop, Poisson

Process = Generator[simpy.Event, object, int]


class _Node:
    """``capacity`` identical slots (servers, workers, connections) with one FCFS queue."""

    __slots__ = (
        "capacity",
        "dropped",
        "ended",
        "entered",
        "env",
        "limit",
        "name",
        "res",
        "started",
        "visits",
    )

    def __init__(self, env: simpy.Environment, name: str, capacity: int,
                 queue_limit: int | None = None) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.limit = queue_limit
        self.res = simpy.Resource(env, capacity)
        self.entered: list[float] = []
        self.started: list[float] = []
        self.ended: list[float] = []
        self.visits: list[tuple[int, float, float, float]] = []
        self.dropped = 0

    def load(self) -> int:
        """Requests in progress or waiting."""
        return self.res.count + len(self.res.queue)

    def visit(self, rid: int, hold: float, then: Process | None = None) -> Process:
        """Wait for a slot, hold it ``hold`` seconds, then run ``then`` while still holding it.

        Returns the request's status: ``DROPPED`` if the queue was full, else the status
        ``then`` returned (``COMPLETED`` when there is nothing downstream). If the calling
        process is interrupted (a consumer crashing), the slot or queue place is given
        back and the interruption propagates.
        """
        env = self.env
        res = self.res
        if self.limit is not None and res.count >= self.capacity \
                and len(res.queue) >= self.limit:
            self.dropped += 1
            return DROPPED
        enter = env.now
        self.entered.append(enter)
        req = res.request()
        start = None
        try:
            yield req
            start = env.now
            self.started.append(start)
            if hold:
                yield env.timeout(hold)
            status = COMPLETED
            if then is not None:
                status = yield from then
        except simpy.Interrupt:
            self._abandon(req, started=start is not None)
            raise
        res.release(req)
        end = env.now
        self.ended.append(end)
        self.visits.append((rid, enter, start, end))
        return status

    def occupy(self, rid: int, hold: float, then: Process | None = None) -> Process:
        """Like :meth:`visit` for a one-slot node that only one process ever uses (a
        consumer): no queue and no resource events, only the bookkeeping."""
        env = self.env
        start = env.now
        self.entered.append(start)
        self.started.append(start)
        try:
            if hold:
                yield env.timeout(hold)
            status = COMPLETED
            if then is not None:
                status = yield from then
        except simpy.Interrupt:
            self.ended.append(env.now)
            raise
        end = env.now
        self.ended.append(end)
        self.visits.append((rid, start, start, end))
        return status

    def _abandon(self, req: simpy.resources.resource.Request, started: bool) -> None:
        now = self.env.now
        if req.triggered:
            self.res.release(req)
        else:
            req.cancel()
        if not started:  # left the queue: a zero-length "service" keeps the counts right
            self.started.append(now)
        self.ended.append(now)

    def log(self) -> _NodeLog:
        """Freeze the recorded timeline into arrays."""
        v = np.array(self.visits, dtype=float).reshape(-1, 4)
        return _NodeLog(
            name=self.name,
            capacity=self.capacity,
            entered=np.asarray(self.entered),
            started=np.asarray(self.started),
            ended=np.asarray(self.ended),
            visit_rid=v[:, 0].astype(np.int64),
            visit_enter=v[:, 1],
            visit_start=v[:, 2],
            visit_end=v[:, 3],
            dropped=self.dropped,
        )


class _Balancer:
    """Chooses one of ``nodes`` for each request according to a policy."""

    def __init__(self, lb: LoadBalancer, nodes: list[_Node], rng: np.random.Generator) -> None:
        self.nodes = nodes
        self.next = 0
        self.random = Draws(UNIFORM, rng)
        self.calls = 0
        self.pick: Callable[[], _Node] = getattr(self, "_" + lb.policy)

    def _u(self) -> float:
        self.calls += 1
        return self.random[self.calls]

    def _round_robin(self) -> _Node:
        self.next = (self.next + 1) % len(self.nodes)
        return self.nodes[self.next]

    def _random(self) -> _Node:
        return self.nodes[int(self._u() * len(self.nodes))]

    def _least_connections(self) -> _Node:
        # Scan from a rotating start so ties do not always favour the first server.
        nodes = self.nodes
        self.next = (self.next + 1) % len(nodes)
        best = nodes[self.next]
        best_load = best.load()
        for node in nodes[self.next + 1:] + nodes[:self.next]:
            if best_load == 0:
                break
            load = node.load()
            if load < best_load:
                best, best_load = node, load
        return best

    def _power_of_two(self) -> _Node:
        a, b = self._random(), self._random()
        return a if a.load() <= b.load() else b


class _Run:
    """Per-request bookkeeping shared by every topology."""

    def __init__(self, seed: int, duration: float) -> None:
        self.env = simpy.Environment()
        self.seed = seed
        self.duration = duration
        self.arrival: list[float] = []
        self.finish: list[float] = []
        self.status: list[int] = []
        self.net_time: list[float] = []
        self.settled: list[float] = []
        self.replied: list[bool] = []
        self.partitions: list[_PartitionLog] = []
        self.nodes: list[_Node] = []
        self.counters: dict[str, float] = {}
        self.finalizers: list[Callable[[], None]] = []

    def node(self, name: str, capacity: int, queue_limit: int | None = None) -> _Node:
        node = _Node(self.env, name, capacity, queue_limit)
        self.nodes.append(node)
        return node

    def new_request(self) -> int:
        rid = len(self.arrival)
        self.arrival.append(self.env.now)
        self.finish.append(math.inf)
        self.status.append(IN_FLIGHT)
        self.net_time.append(0.0)
        self.settled.append(math.inf)
        self.replied.append(False)
        return rid

    def network(self, rid: int, delay: float) -> Process:
        """One network traversal of ``delay`` seconds, booked to request ``rid``."""
        self.net_time[rid] += delay
        yield self.env.timeout(delay)
        return COMPLETED

    def done(self, rid: int, status: int) -> None:
        """Record the outcome unless the client already gave up on the request."""
        if self.status[rid] == IN_FLIGHT:
            self.status[rid] = status
            self.finish[rid] = self.env.now

    def reply(self, rid: int, ok: bool) -> None:
        """Event-driven: the client got its answer (acknowledgement or 202) now."""
        if self.finish[rid] == math.inf:
            self.finish[rid] = self.env.now
            self.replied[rid] = ok

    def settle(self, rid: int, status: int) -> None:
        """Event-driven: the message's fate is decided now (processed, failed, dropped)."""
        if self.status[rid] == IN_FLIGHT:
            self.status[rid] = status
            self.settled[rid] = self.env.now

    def stream(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)


def _with_timeout(run: _Run, handle: Callable[[int], Process], timeout: float | None
                  ) -> Callable[[int], Process]:
    """Wrap ``handle`` so the client gives up after ``timeout`` seconds (servers carry on)."""
    if timeout is None:
        return handle
    env = run.env

    def client(rid: int) -> Process:
        proc = env.process(handle(rid))
        yield proc | env.timeout(timeout)
        if not proc.triggered:
            run.done(rid, TIMED_OUT)
        return TIMED_OUT

    return client


def _drive_open(run: _Run, times: np.ndarray, client: Callable[[int], Process]) -> Process:
    env = run.env
    process = env.process
    new_request = run.new_request
    previous = 0.0
    for t in times.tolist():
        yield env.timeout(t - previous)
        previous = t
        process(client(new_request()))
    return COMPLETED


MAX_REQUESTS = 20_000_000
"""Most requests one run may generate; beyond it the run stops with a ValueError."""


def _drive_closed(run: _Run, think: Draws, order: itertools.count,
                  client: Callable[[int], Process]) -> Process:
    env = run.env
    while True:
        if len(run.arrival) >= MAX_REQUESTS:
            raise ValueError(
                f"the closed loop generated {MAX_REQUESTS:.0e} requests before time "
                f"{env.now:.3g} s; think_time and service times are too short for this "
                "duration (shorten the duration or lengthen think_time)")
        yield env.timeout(think[next(order)])
        yield from client(run.new_request())


def _station(run: _Run, system: Station, n: int) -> Callable[[int], Process]:
    node = run.node(system.name, system.servers, system.queue_limit)
    service = Draws(system.service, run.stream(f"{system.name}.service"), n)
    done = run.done

    def handle(rid: int) -> Process:
        status = yield from node.visit(rid, service[rid])
        done(rid, status)
        return status

    return handle


def _chain(run: _Run, system: Chain, n: int) -> Callable[[int], Process]:
    net = system.network
    hops = []
    for s in system.services:
        nodes = [run.node(f"{s.name}[{i}]", s.workers) for i in range(s.servers)]
        hops.append((s, _Balancer(system.lb, nodes, run.stream(f"{s.name}.lb")),
                     Draws(s.service, run.stream(f"{s.name}.service"), n),
                     Draws(UNIFORM, run.stream(f"{s.name}.availability"), n)))
    failures = {s.name: 0 for s in system.services}

    def hop(i: int, rid: int) -> Process:
        spec, balancer, service, fate = hops[i]
        if net:
            yield from run.network(rid, net)
        if fate[rid] >= spec.availability:
            failures[spec.name] += 1
            return FAILED
        downstream = hop(i + 1, rid) if i + 1 < len(hops) else None
        status = yield from balancer.pick().visit(rid, service[rid], downstream)
        if net:
            yield from run.network(rid, net)
        return status

    def handle(rid: int) -> Process:
        status = yield from hop(0, rid)
        run.done(rid, status)
        return status

    run.finalizers.append(lambda: run.counters.update(
        {f"{name}.failures": float(v) for name, v in failures.items()}))
    return handle


def _shard_of(key: int, shards: int) -> int:
    return ((key * 2654435761) & 0xFFFFFFFF) % shards


class _ShardGroup:
    """One shard: a primary, its read replicas, a connection pool, and write visibility."""

    def __init__(self, run: _Run, db: Database, label: str) -> None:
        self.primary = run.node(label, db.concurrency)
        self.replicas = [run.node(f"{label}.replica[{j}]", db.concurrency)
                         for j in range(db.read_replicas)]
        self.pool = run.node(f"{label}.pool", db.pool) if db.pool is not None else None
        self.visible_at: dict[int, float] = {}
        self.next_replica = 0


class _DatabaseClient:
    """Queries against a (sharded, replicated, pooled) database, with read/write counts
    and stale reads; shared by request-response and event-driven systems."""

    def __init__(self, run: _Run, db: Database, n: int, net: float) -> None:
        self.run = run
        self.net = net
        self.groups = [_ShardGroup(run, db, "db" if db.shards == 1 else f"db[{i}]")
                       for i in range(db.shards)]
        self.service = Draws(Exponential(db.mean_query_time), run.stream("db.service"), n)
        self.lag = Draws(db.replication_lag, run.stream("db.replication_lag"), n)
        self.stats = {"db.reads": 0, "db.writes": 0, "db.stale_reads": 0}
        run.finalizers.append(lambda: run.counters.update(
            {k: float(v) for k, v in self.stats.items()}))

    def _query(self, rid: int, key: int | None, is_read: bool, group: _ShardGroup) -> Process:
        if is_read and group.replicas:
            group.next_replica = (group.next_replica + 1) % len(group.replicas)
            node = group.replicas[group.next_replica]
        else:
            node = group.primary
        status = yield from node.visit(rid, self.service[rid])
        if key is not None:
            now = self.run.env.now
            if not is_read:
                group.visible_at[key] = now + self.lag[rid]
            elif node is not group.primary and group.visible_at.get(key, 0.0) > now:
                self.stats["db.stale_reads"] += 1
        return status

    def call(self, rid: int, key: int | None, is_read: bool) -> Process:
        """One query: network, a pooled connection, the node, network back."""
        self.stats["db.reads" if is_read else "db.writes"] += 1
        group = self.groups[_shard_of(rid if key is None else key, len(self.groups))]
        if self.net:
            yield from self.run.network(rid, self.net)
        work = self._query(rid, key, is_read, group)
        status = yield from (group.pool.visit(rid, 0.0, work) if group.pool else work)
        if self.net:
            yield from self.run.network(rid, self.net)
        return status


def _request_response(run: _Run, system: RequestResponse, workload: Poisson | ClosedLoop,
                      n: int) -> Callable[[int], Process]:
    env = run.env
    net = system.network
    app = system.app
    nodes = [run.node(f"app[{i}]", app.workers, app.queue_limit) for i in range(app.servers)]
    balancer = _Balancer(system.lb, nodes, run.stream("lb"))
    app_service = Draws(app.service, run.stream("app.service"), n)
    reads = Draws(UNIFORM, run.stream("read_or_write"), n)
    read_fraction = workload.read_fraction
    keys = Draws(workload.keys, run.stream("keys"), n) if workload.keys is not None else None
    stats = {"cache.hits": 0, "cache.misses": 0}
    db = system.db
    database = _DatabaseClient(run, db, n, net) if db is not None else None
    cache = system.cache
    lru: OrderedDict[int, None] = OrderedDict()
    cache_u = Draws(UNIFORM, run.stream("cache.hit"), n)

    def backend(rid: int) -> Process:
        is_read = reads[rid] < read_fraction
        key = keys[rid] if keys is not None else None
        if cache is not None:
            if is_read:
                if cache.latency:
                    yield env.timeout(cache.latency)
                if cache.hit_ratio is not None:
                    hit = cache_u[rid] < cache.hit_ratio
                else:
                    hit = key in lru
                    if hit:
                        lru.move_to_end(key)
                if hit:
                    stats["cache.hits"] += 1
                    return COMPLETED
                stats["cache.misses"] += 1
            elif key is not None:
                lru.pop(key, None)
        status = yield from database.call(rid, key, is_read)
        if cache is not None and cache.size is not None and is_read and key is not None:
            lru[key] = None
            if len(lru) > cache.size:
                lru.popitem(last=False)
        return status

    def handle(rid: int) -> Process:
        if net:
            yield from run.network(rid, net)
        downstream = backend(rid) if db is not None else None
        status = yield from balancer.pick().visit(rid, app_service[rid], downstream)
        if net and status != DROPPED:
            yield from run.network(rid, net)
        run.done(rid, status)
        return status

    def finish() -> None:
        if cache is not None:
            run.counters.update({k: float(v) for k, v in stats.items()})
            lookups = stats["cache.hits"] + stats["cache.misses"]
            run.counters["cache.hit_ratio"] = stats["cache.hits"] / lookups if lookups else 0.0

    run.finalizers.append(finish)
    return handle


def run_simpy(system: Station | Chain | RequestResponse | EventDriven,
              workload: Poisson | ClosedLoop,
              duration: float, seed: int) -> tuple[_Run, list[_NodeLog]]:
    """Simulate ``system`` under ``workload`` for ``duration`` seconds with SimPy."""
    run = _Run(seed, duration)
    if isinstance(workload, Poisson):
        times = workload.arrival_times(run.stream("arrivals"), duration)
        n = max(len(times), 1)
    else:
        n = 1024
    if isinstance(system, Station):
        handle = _station(run, system, n)
        timeout = None
    elif isinstance(system, Chain):
        handle = _chain(run, system, n)
        timeout = system.timeout
    elif isinstance(system, EventDriven):
        from ._events import event_driven

        handle = event_driven(run, system, workload, n)
        timeout = None
    else:
        handle = _request_response(run, system, workload, n)
        timeout = system.timeout
    client = _with_timeout(run, handle, timeout)
    if isinstance(workload, Poisson):
        run.env.process(_drive_open(run, times, client))
    else:
        think = Draws(workload.think_time, run.stream("think"), n)
        order = itertools.count()
        for _ in range(workload.clients):
            run.env.process(_drive_closed(run, think, order, client))
    run.env.run(until=duration)
    for fin in run.finalizers:
        fin()
    return run, [node.log() for node in run.nodes]
