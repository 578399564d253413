"""Building blocks of the SimPy engine: nodes, load balancers and per-run bookkeeping.

Every topology is built from :class:`Node` (a pool of identical slots with one queue)
and a per-request generator that walks the request through the nodes. Each node records
when requests entered, started and left, so queue lengths, utilization and the per-hop
breakdown are computed afterwards from exact event times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np
import simpy

from .._timelines import NodeLog, PartitionLog
from ..results import Status
from ..topology import LoadBalancer
from .streams import UNIFORM, Draws, stream

Process = Generator[simpy.Event, object, int]

# Status codes as plain ints: the engine stores them per request in lists.
IN_FLIGHT, COMPLETED, TIMED_OUT, DROPPED, FAILED = (int(s) for s in Status)

MAX_REQUESTS = 20_000_000
"""Most requests one run may generate; beyond it the run stops with a ValueError."""


class Node:
    """``capacity`` identical slots (servers, workers, connections) with one queue, FIFO
    or LIFO, optionally shedding requests whose client has already given up."""

    __slots__ = (
        "capacity",
        "dropped",
        "ended",
        "entered",
        "env",
        "lifo",
        "limit",
        "name",
        "res",
        "shed",
        "shed_expired",
        "started",
        "visits",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        capacity: int,
        queue_limit: int | None = None,
        lifo: bool = False,
        shed_expired: float | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.limit = queue_limit
        self.lifo = lifo
        self.shed_expired = shed_expired
        self.shed = 0
        self.res = simpy.PriorityResource(env, capacity) if lifo else simpy.Resource(env, capacity)
        self.entered: list[float] = []
        self.started: list[float] = []
        self.ended: list[float] = []
        self.visits: list[tuple[int, float, float, float]] = []
        self.dropped = 0

    def load(self) -> int:
        """Requests in progress or waiting."""
        return self.res.count + len(self.res.queue)

    def visit(
        self,
        rid: int,
        hold: float,
        then: Process | None = None,
        deadline: float | None = None,
        record: bool = True,
    ) -> Process:
        """Wait for a slot, hold it ``hold`` seconds, then run ``then`` while still holding it.

        With ``record=False`` the visit counts towards the node's queue and utilization but
        not towards request ``rid``'s breakdown (background work such as a replica
        applying a write).

        Returns the request's status: ``DROPPED`` if the queue was full (or, with
        ``shed_expired`` set to the expected service time, if the slot came too late to
        finish by the client's ``deadline``), else the status ``then`` returned
        (``COMPLETED`` when there is nothing downstream). If the calling process is
        interrupted (a consumer crashing, a hedged call cancelled), the slot or queue place
        is given back and the interruption propagates.
        """
        env = self.env
        res = self.res
        if self.limit is not None and res.count >= self.capacity and len(res.queue) >= self.limit:
            self.dropped += 1
            return DROPPED
        enter = env.now
        self.entered.append(enter)
        req = res.request(priority=-enter) if self.lifo else res.request()
        start = None
        try:
            yield req
            start = env.now
            self.started.append(start)
            if (
                deadline is not None
                and self.shed_expired is not None
                and start + self.shed_expired >= deadline
            ):
                res.release(req)
                self.ended.append(start)
                self.shed += 1
                return DROPPED
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
        if record:
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

    def log(self) -> NodeLog:
        """Freeze the recorded timeline into arrays."""
        v = np.array(self.visits, dtype=float).reshape(-1, 4)
        return NodeLog(
            name=self.name,
            capacity=self.capacity,
            entered=np.asarray(self.entered),
            started=np.asarray(self.started),
            ended=np.asarray(self.ended),
            visit_rid=v[:, 0].astype(np.int64),
            visit_enter=v[:, 1],
            visit_start=v[:, 2],
            visit_end=v[:, 3],
            dropped=self.dropped + self.shed,
        )


class Balancer:
    """Chooses one of ``nodes`` for each request according to a policy."""

    def __init__(self, lb: LoadBalancer, nodes: list[Node], rng: np.random.Generator) -> None:
        self.nodes = nodes
        self.next = 0
        self.random = Draws(UNIFORM, rng)
        self.calls = 0
        self.pick: Callable[[], Node] = getattr(self, "_" + lb.policy)

    def _u(self) -> float:
        self.calls += 1
        return self.random[self.calls]

    def _round_robin(self) -> Node:
        self.next = (self.next + 1) % len(self.nodes)
        return self.nodes[self.next]

    def _random(self) -> Node:
        return self.nodes[int(self._u() * len(self.nodes))]

    def _least_connections(self) -> Node:
        # Scan from a rotating start so ties do not always favour the first server.
        nodes = self.nodes
        self.next = (self.next + 1) % len(nodes)
        best = nodes[self.next]
        best_load = best.load()
        for node in nodes[self.next + 1 :] + nodes[: self.next]:
            if best_load == 0:
                break
            load = node.load()
            if load < best_load:
                best, best_load = node, load
        return best

    def _power_of_two(self) -> Node:
        a, b = self._random(), self._random()
        return a if a.load() <= b.load() else b


class Run:
    """Per-request bookkeeping shared by every topology."""

    def __init__(self, seed: int, duration: float, warmup: float = 0.0) -> None:
        self.env = simpy.Environment()
        self.seed = seed
        self.duration = duration
        self.warmup = warmup
        self.arrival: list[float] = []
        self.finish: list[float] = []
        self.status: list[int] = []
        self.net_time: list[float] = []
        self.settled: list[float] = []
        self.replied: list[bool] = []
        self.partitions: list[PartitionLog] = []
        self.nodes: list[Node] = []
        self.counters: dict[str, float] = {}
        self.finalizers: list[Callable[[], None]] = []
        # Figures computed from every request's final outcome: run after the finalizers.
        self.reports: list[Callable[[], None]] = []

    def node(
        self,
        name: str,
        capacity: int,
        queue_limit: int | None = None,
        lifo: bool = False,
        shed_expired: float | None = None,
    ) -> Node:
        node = Node(self.env, name, capacity, queue_limit, lifo, shed_expired)
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

    def done(self, rid: int, status: int, at: float | None = None) -> None:
        """Record the outcome (at time ``at``, default now) unless already recorded."""
        if self.status[rid] == IN_FLIGHT:
            self.status[rid] = status
            self.finish[rid] = self.env.now if at is None else at

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
