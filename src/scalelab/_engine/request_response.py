"""The request-response systems: a station, a call chain, the app-cache-database stack
and a fan-out. Each builder returns ``handle(rid, deadline)``, one attempt at one request,
returning its status; :mod:`.client` wraps it with the client's policy.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

import simpy

from ..topology import Chain, FanOut, RequestResponse, Station
from ..workload import Workload
from .client import Handler
from .core import COMPLETED, DROPPED, FAILED, Balancer, Process, Run
from .database import DatabaseClient
from .keyed_cache import KeyedCache, keyed
from .streams import UNIFORM, Draws


def flush_later(run: Run, lru: OrderedDict[int, None], at: float) -> Process:
    """Empty the cache at time ``at`` (a restart, a failover to a cold node)."""
    yield run.env.timeout(at)
    lru.clear()
    run.counters["cache.flushed_at"] = at
    return COMPLETED


def station(run: Run, system: Station, n: int) -> Handler:
    node = run.node(
        system.name,
        system.servers,
        system.queue_limit,
        system.discipline == "lifo",
        system.service.mean if system.shed_expired else None,
    )
    service = Draws(system.service, run.stream(f"{system.name}.service"), n)

    def handle(rid: int, deadline: float | None) -> Process:
        return (yield from node.visit(rid, service[rid], None, deadline))

    return handle


def chain(run: Run, system: Chain, n: int) -> Handler:
    net = system.network
    hops = []
    for s in system.services:
        nodes = [run.node(f"{s.name}[{i}]", s.workers) for i in range(s.servers)]
        hops.append(
            (
                s,
                Balancer(system.lb, nodes, run.stream(f"{s.name}.lb")),
                Draws(s.service, run.stream(f"{s.name}.service"), n),
                Draws(UNIFORM, run.stream(f"{s.name}.availability"), n),
            )
        )
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

    def handle(rid: int, deadline: float | None) -> Process:
        return (yield from hop(0, rid))

    run.finalizers.append(
        lambda: run.counters.update({f"{name}.failures": float(v) for name, v in failures.items()})
    )
    return handle


def request_response(run: Run, system: RequestResponse, workload: Workload, n: int) -> Handler:
    env = run.env
    net = system.network
    app = system.app
    nodes = [
        run.node(
            f"app[{i}]",
            app.workers,
            app.queue_limit,
            app.discipline == "lifo",
            app.service.mean if app.shed_expired else None,
        )
        for i in range(app.servers)
    ]
    balancer = Balancer(system.lb, nodes, run.stream("lb"))
    app_service = Draws(app.service, run.stream("app.service"), n)
    reads = Draws(UNIFORM, run.stream("read_or_write"), n)
    read_fraction = workload.read_fraction
    keys = Draws(workload.keys, run.stream("keys"), n) if workload.keys is not None else None
    stats = {"cache.hits": 0, "cache.misses": 0}
    db = system.db
    database = DatabaseClient(run, db, n, net) if db is not None else None
    cache = system.cache
    lru: OrderedDict[int, None] = OrderedDict()
    cache_u = Draws(UNIFORM, run.stream("cache.hit"), n)

    store = KeyedCache(run, cache, database, workload.keys.n_keys, n) if keyed(cache) else None
    if store is None and cache is not None and cache.warm:
        # Keys beyond the workload's are never requested: only the others are filled.
        lru.update((k, None) for k in range(min(cache.size, workload.keys.n_keys) - 1, -1, -1))
    if store is None and cache is not None and cache.flush_at is not None:
        run.env.process(flush_later(run, lru, cache.flush_at))

    def backend(rid: int, deadline: float | None) -> Process:
        is_read = reads[rid] < read_fraction
        key = keys[rid] if keys is not None else None
        if store is not None:
            visit = store.read if is_read else store.write
            return (yield from visit(rid, key, deadline))
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
        # A result that comes back after the caller's deadline is thrown away, not cached.
        in_time = deadline is None or env.now < deadline
        if cache is not None and cache.size is not None and is_read and key is not None and in_time:
            lru[key] = None
            if len(lru) > cache.size:
                lru.popitem(last=False)
        return status

    def handle(rid: int, deadline: float | None) -> Process:
        if net:
            yield from run.network(rid, net)
        downstream = backend(rid, deadline) if db is not None else None
        status = yield from balancer.pick().visit(rid, app_service[rid], downstream, deadline)
        if net and status != DROPPED:
            yield from run.network(rid, net)
        return status

    def finish() -> None:
        if cache is not None and store is None:
            run.counters.update({k: float(v) for k, v in stats.items()})
            lookups = stats["cache.hits"] + stats["cache.misses"]
            run.counters["cache.hit_ratio"] = stats["cache.hits"] / lookups if lookups else 0.0

    run.finalizers.append(finish)
    return handle


def fanout(run: Run, system: FanOut, n: int) -> Handler:
    env = run.env
    net = system.network
    nodes = [run.node(f"backend[{i}]", system.workers) for i in range(system.servers)]
    picks = Draws(UNIFORM, run.stream("fanout.pick"), n)
    service = Draws(system.service, run.stream("fanout.service"), n * system.fanout)
    pick_order, call_order = itertools.count(), itertools.count()
    stats = {"fanout.calls": 0.0, "fanout.hedges": 0.0, "fanout.cancelled": 0.0}
    run.finalizers.append(lambda: run.counters.update(stats))

    def pick(avoid: object = None) -> object:
        i = int(picks[next(pick_order)] * len(nodes))
        if nodes[i] is avoid:
            i = (i + 1) % len(nodes)
        return nodes[i]

    def call(rid: int, node: object) -> Process:
        stats["fanout.calls"] += 1
        try:
            return (yield from node.visit(rid, service[next(call_order)]))
        except simpy.Interrupt:  # the other copy of a hedged call answered first
            stats["fanout.cancelled"] += 1
            return FAILED

    def leaf(rid: int) -> Process:
        first_node = pick()
        first = env.process(call(rid, first_node))
        if system.hedge_after is None:
            return (yield first)
        yield first | env.timeout(system.hedge_after)
        if first.triggered:
            return first.value
        stats["fanout.hedges"] += 1
        second = env.process(call(rid, pick(avoid=first_node)))
        yield first | second
        winner, loser = (first, second) if first.triggered else (second, first)
        if loser.is_alive:
            loser.interrupt()
        return winner.value

    def handle(rid: int, deadline: float | None) -> Process:
        if net:
            yield from run.network(rid, net)
        calls = [env.process(leaf(rid)) for _ in range(system.fanout)]
        yield env.all_of(calls)
        if net:
            yield from run.network(rid, net)
        return COMPLETED if all(c.value == COMPLETED for c in calls) else FAILED

    return handle
