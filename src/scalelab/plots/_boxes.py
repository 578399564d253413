"""What a diagram shows of a declared system: its components as boxes with their counts
and figures, and the calls between them, read from the declaration only (fields,
properties and distribution means). :mod:`.diagrams` draws and describes a :class:`Plan`."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .._validate import check_kind
from ..eventdriven import Broker, ConsumerGroup, EventDriven, Producer, Queue
from ..topology import (
    AppTier,
    BatchServer,
    Cache,
    Chain,
    Database,
    FanOut,
    LoadBalancer,
    RequestResponse,
    Service,
    Station,
)
from ._style import plain

SYSTEMS = (Station, Chain, RequestResponse, FanOut, EventDriven, BatchServer)

# Colours of the chapter 1 diagrams (plots.architectures): servers and stores blue, the
# log orange, consumers green; the clients grey.
CLIENT, SERVER, LOG, CONSUMER = "#eeeeee", "#dbe9f6", "#fde2c8", "#e3f1dd"


@dataclass(frozen=True)
class Node:
    """One box: what it is, the figures written on it, and how many units it stands for
    (drawn as a stack when more than one)."""

    name: str
    lines: tuple[str, ...]  # a "\n" breaks a line in the box only
    color: str = SERVER
    count: int = 1

    @property
    def alt(self) -> str:
        said = "; ".join(self.lines).replace("\n", " ")
        return f"{self.name} ({said})" if self.lines else self.name


@dataclass(frozen=True)
class Plan:
    """A system as boxes by key (the declaration's field where there is one, e.g. "db",
    "services[0]"; in reading order), arrows (from key, to key, label), notes under the
    drawing, and cells (row, column) that differ from the snake layout."""

    title: str
    nodes: dict[str, Node]
    edges: tuple[tuple[str, str, str], ...]
    notes: tuple[str, ...] = ()
    cells: tuple[tuple[str, tuple[int, int]], ...] = ()


def _time(seconds: float) -> str:
    """0.0005 -> "0.5 ms", 60.0 -> "60 s", 150.0 -> "2.5 min", 604800.0 -> "7 days"."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{_rate(seconds / size)} {unit}"
    if seconds >= 1:
        return f"{_rate(seconds)} s"
    if seconds >= 1e-4:
        return f"{_rate(seconds * 1e3)} ms"
    return f"{_rate(seconds * 1e6)} µs" if seconds else "0 s"


def _rate(per_second: float) -> str:
    """Three significant figures, with thousands separators: 12,800 or 2.5."""
    return plain(float(f"{per_second:.3g}"))


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun if count == 1 else noun + 's'}"


def _capacity(per_second: float, unit: str, held: bool) -> str:
    """``~N unit/s``; an upper bound (``≤``) when workers also wait on a downstream call."""
    return f"capacity {'≤ ' if held else '~'}{_rate(per_second)} {unit}/s"


def _queue_lines(queue_limit: int | None, discipline: str, shed: bool, per: str) -> list[str]:
    lines = []
    if queue_limit == 0:
        lines.append("no waiting room")
    elif queue_limit is not None:
        lines.append(f"queue ≤ {queue_limit:,}{per}")
    if discipline == "lifo":
        lines.append("newest first (LIFO)")
    if shed:
        lines.append("sheds late requests")
    return lines


def _clients(timeout: float | None) -> Node:
    return Node("clients", (f"timeout {_time(timeout)}",) if timeout else (), CLIENT)


def _tier(name: str, tier: AppTier | Service, held: bool, extra: list[str]) -> Node:
    """A tier of servers, each with a pool of workers."""
    mean = tier.service.mean
    lines = [
        f"{_n(tier.servers, 'server')} x {_n(tier.workers, 'worker')}",
        f"mean work {_time(mean)}",
        *extra,
        _capacity(tier.servers * tier.workers / mean, "req", held),
    ]
    return Node(name, tuple(lines), count=tier.servers)


def _policy(lb: LoadBalancer) -> str:
    return {"power_of_two": "power of two choices"}.get(lb.policy, lb.policy.replace("_", " "))


def _database(db: Database) -> Node:
    copies = "1 primary" + (
        f" + {_n(db.read_replicas, 'read replica')}" if db.read_replicas else ""
    )
    lines = [f"{db.shards:,} shards, each with\n{copies}" if db.shards > 1 else copies]
    lines.append(f"{_rate(db.capacity_qps)} queries/s per node")
    lines.append(f"mean query {_time(db.mean_query_time)}, {db.concurrency} at once")
    if db.pool is not None:
        lines.append(f"pool {_n(db.pool, 'connection')}" + ("/shard" if db.shards > 1 else ""))
    if db.write_cost != 1:
        lines.append(f"a write costs {db.write_cost:g} reads")
    if db.read_replicas:
        lines.append(f"mean replication lag {_time(db.replication_lag.mean)}")
    return Node("database", tuple(lines), count=db.shards * (1 + db.read_replicas))


def _cache(cache: Cache) -> Node:
    if cache.size is not None:
        lines = [f"LRU, {_n(cache.size, 'key')}" + (", warm" if cache.warm else "")]
    else:
        lines = [f"hit ratio {cache.hit_ratio:.0%}"]
    lines.append(f"lookup {_time(cache.latency)}")
    if cache.ttl is not None:
        shortest = cache.ttl * (1 - cache.ttl_jitter)
        jitter = f"{_time(shortest)} to " if cache.ttl_jitter else ""
        lines.append(f"TTL {jitter}{_time(cache.ttl)}")
    if cache.write_policy is not None:
        lines.append(f"writes: {cache.write_policy.replace('_', ' ')}")
    if cache.refresh_ahead is not None:
        lines.append(f"refresh ahead at {cache.refresh_ahead:.0%} of TTL")
    if cache.stale_while_revalidate is not None:
        lines.append(f"serves stale for {_time(cache.stale_while_revalidate)}")
    if cache.coalesce:
        lines.append("single-flight misses")
    if cache.flush_at is not None:
        lines.append(f"emptied at {_time(cache.flush_at)}")
    return Node("cache", tuple(lines))


def _station(s: Station) -> Plan:
    lines = [
        _n(s.servers, "server"),
        f"mean service {_time(s.service.mean)}",
        *_queue_lines(s.queue_limit, s.discipline, s.shed_expired, ""),
        _capacity(s.servers / s.service.mean, "req", held=False),
    ]
    nodes = {"clients": _clients(None), "station": Node(s.name, tuple(lines), count=s.servers)}
    return Plan("A queue in front of servers", nodes, (("clients", "station", ""),))


def _chain(c: Chain) -> Plan:
    nodes = {"clients": _clients(c.timeout)}
    last = len(c.services) - 1
    for i, s in enumerate(c.services):
        extra = [f"availability {s.availability:.4g}"] if s.availability < 1 else []
        nodes[f"services[{i}]"] = _tier(s.name, s, held=i < last, extra=extra)
    keys = list(nodes)
    notes = (
        f"{_policy(c.lb)} load balancing in front of each service; "
        f"network {_time(c.network)} each way per hop",
    )
    return Plan(
        "A synchronous call chain", nodes, tuple((a, b, "") for a, b in pairwise(keys)), notes
    )


def _request_response(rr: RequestResponse) -> Plan:
    app, cache = rr.app, rr.cache
    queue = _queue_lines(app.queue_limit, app.discipline, app.shed_expired, " per server")
    nodes = {
        "clients": _clients(rr.timeout),
        "lb": Node("load balancer", (_policy(rr.lb),)),
        "app": _tier("app servers", app, held=rr.db is not None, extra=queue),
    }
    edges = [("clients", "lb", ""), ("lb", "app", "")]
    if rr.db is None:
        return Plan("Request-response", nodes, tuple(edges), _network(rr.network))
    if cache is None:
        nodes["db"] = _database(rr.db)
        edges.append(("app", "db", "queries"))
        return Plan("Request-response", nodes, tuple(edges), _network(rr.network))
    # Look-aside: the app servers call the cache, then the database on a miss; a
    # write-behind cache takes the writes and flushes them to the database itself.
    behind = cache.write_policy == "write_behind"
    writes = cache.write_policy in ("write_through", "write_behind")
    nodes["cache"], nodes["db"] = _cache(cache), _database(rr.db)
    edges.append(("app", "cache", "reads, writes" if writes else "reads"))
    edges.append(("app", "db", "misses" if behind else "misses, writes"))
    if behind:
        every = cache.flush_interval or 1.0  # the default Cache documents
        edges.append(("cache", "db", f"flush every {_time(every)}"))
    cells = (("db", (2, 1)),)  # under the app servers
    return Plan("Request-response", nodes, tuple(edges), _network(rr.network), cells)


def _network(seconds: float) -> tuple[str, ...]:
    return (f"network {_time(seconds)} each way per hop",)


def _fanout(f: FanOut) -> Plan:
    mean = f.service.mean
    calls = f.servers * f.workers / mean
    lines = [
        f"{_n(f.servers, 'server')} x {_n(f.workers, 'worker')}",
        f"mean call {_time(mean)}",
        *([f"hedged after {_time(f.hedge_after)}"] if f.hedge_after else []),
        _capacity(calls, "calls", held=False),
        _capacity(calls / f.fanout, "req", held=f.hedge_after is not None),
    ]
    nodes = {
        "clients": _clients(None),
        "backends": Node("backends", tuple(lines), count=f.servers),
    }
    label = f"{f.fanout:,} parallel calls" if f.fanout > 1 else "1 call"
    notes = ("a request answers when its last call returns",)
    if f.network:
        notes += (f"network {_time(f.network)} each way",)
    return Plan("A fan-out request", nodes, (("clients", "backends", label),), notes)


def _producer(p: Producer) -> Node:
    if p.buffer is None:
        lines = ["unbounded send buffer"]
    else:
        lines = [f"buffer {_n(p.buffer, 'message')},\n{p.on_full}s when full"]
    if p.idempotent:
        lines.append("idempotent")
    return Node("producer", tuple(lines))


def _broker(b: Broker) -> Node:
    routing = "by key" if b.routing == "key" else "round robin"
    lines = [
        _n(b.partitions, "partition"),
        f"routed {routing}",
        f"{_rate(b.partition_throughput)} msg/s per partition",
        f"capacity ~{_rate(b.partitions * b.partition_throughput)} msg/s",
    ]
    if b.replication > 1:
        lines.append(f"{_n(b.replication, 'replica')}, acks={b.acks}")
        if b.acks == "all":
            lines.append(f"min in-sync replicas {b.min_insync}")
    else:
        lines.append(f"no replication, acks={b.acks}")
    if b.retention is not None:
        if b.retention.messages is not None:
            lines.append(f"keeps {_n(b.retention.messages, 'message')}")
        if b.retention.seconds is not None:
            lines.append(f"keeps {_time(b.retention.seconds)}")
    if b.quota is not None:
        lines.append(f"producer quota {_rate(b.quota)} msg/s")
    if b.crash_at is not None:
        lines.append(f"leader crash at {_time(b.crash_at)}")
    return Node("broker", tuple(lines), LOG, count=b.partitions)


def _queue(q: Queue) -> Node:
    order = "FIFO per key" if q.fifo else "unordered"
    lines = [
        f"competing consumers,\n{order}",
        f"capacity ~{_rate(q.throughput)} sends/s",
        f"visibility timeout {_time(q.visibility_timeout)}",
    ]
    return Node("queue", tuple(lines), LOG)


def _group(g: ConsumerGroup, log: Broker | Queue, writes: bool) -> Node:
    active = min(g.consumers, log.partitions) if isinstance(log, Broker) else g.consumers
    idle = g.consumers - active
    lines = [_n(g.consumers, "consumer") + (f", {idle:,} idle" if idle else "")]
    lines.append(f"mean processing {_time(g.processing.mean)}")
    if g.concurrency > 1:
        lines.append(f"{g.concurrency} messages at once each")
    if g.max_batch > 1:
        lines.append(f"batches of up to {g.max_batch:,}")
    if active:
        held = writes or (g.concurrency > 1 and isinstance(log, Broker))
        rate = active * g.concurrency / g.processing.mean
        lines.append(_capacity(rate, "msg", held))
    if g.failure_probability or g.poison_fraction:
        lines.append(f"{_n(g.max_attempts, 'attempt')}, then DLQ")
    if g.dedup_window is not None:
        lines.append(f"dedup window {_time(g.dedup_window)}")
    if g.commit_interval:
        lines.append(f"commits every {_time(g.commit_interval)}")
    return Node("consumer group", tuple(lines), CONSUMER, count=max(g.consumers, 1))


def _event_driven(e: EventDriven) -> Plan:
    nodes = {}
    if e.front is not None:
        waits = not (isinstance(e.broker, Broker) and e.broker.acks == "none")
        nodes["clients"] = _clients(None)
        nodes["front"] = _tier("API servers", e.front, held=waits, extra=[])
    nodes["producer"] = _producer(e.producer)
    nodes["broker"] = _broker(e.broker) if isinstance(e.broker, Broker) else _queue(e.broker)
    nodes["consumers"] = _group(e.consumers, e.broker, writes=e.db is not None)
    if e.db is not None:
        nodes["db"] = _database(e.db)
    keys = list(nodes)
    poll = "poll" if isinstance(e.broker, Broker) else "receive"
    labels = {"front": "publish", "producer": "send", "broker": poll, "consumers": "write"}
    edges = tuple((a, b, labels.get(a, "")) for a, b in pairwise(keys))
    return Plan("Event-driven", nodes, edges, _network(e.network))


def _batch(b: BatchServer) -> Plan:
    lines = [
        f"batches of up to {b.batch_size:,}",
        f"cost {_time(b.overhead)} + {_time(b.per_item)} per item",
        *([f"linger {_time(b.linger)}"] if b.linger else []),
        f"capacity ~{_rate(b.capacity)} req/s\nwith full batches",
    ]
    nodes = {"clients": _clients(None), "batch server": Node(b.name, tuple(lines))}
    return Plan("A batching server", nodes, (("clients", "batch server", ""),))


def plan_of(system: object) -> Plan:
    """The boxes, arrows and notes that show ``system``; ValueError if it is not one."""
    check_kind("system", system, SYSTEMS, "system")
    kinds = {
        Station: _station,
        Chain: _chain,
        RequestResponse: _request_response,
        FanOut: _fanout,
        EventDriven: _event_driven,
        BatchServer: _batch,
    }
    return kinds[type(system)](system)
