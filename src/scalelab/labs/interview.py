"""Interview practice: the "1,000 QPS database meets 10x traffic" question simulated
option by option, and a generator of seeded estimation drills with worked answers. The
data behind chapter 9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive, check_probability
from ..distributions import Exponential
from ..resilience import Client
from ..run import simulate
from ..theory import database_load
from ..topology import AppTier, BatchServer, Cache, Database, LoadBalancer, RequestResponse
from ..workload import Poisson, Uniform
from ._units import check_requests, p99_or_inf
from .estimation import Scenario, check_estimate, envelope

__all__ = ["TEN_X_OPTIONS", "TenXRow", "ten_x", "Drill", "drill"]

TEN_X_OPTIONS = (
    ("no change", 0.0, 0, 1, False),
    ("cache, 80% hits", 0.8, 0, 1, False),
    ("cache, 95% hits", 0.95, 0, 1, False),
    ("9 read replicas", 0.0, 9, 1, False),
    ("cache 90% + 2 replicas", 0.9, 2, 1, False),
    ("cache 90% + 4 shards", 0.9, 0, 4, False),
    ("cache 90% + 8 shards", 0.9, 0, 8, False),
    ("cache 90% + writes to a queue", 0.9, 0, 1, True),
    ("cache 90% + 1 replica + writes to a queue", 0.9, 1, 1, True),
    ("cache 90% + 4 shards + 1 replica each", 0.9, 1, 4, False),
)
"""Label, cache hit ratio, replicas per shard, shards, writes moved to a queue."""


@dataclass(frozen=True)
class TenXRow:
    """One option for the 10x question.

    Attributes
    ----------
    option : str
    read_fraction : float
    busiest_node_load : float
        Queries/s the busiest database node receives (formula), counting the writes each
        read replica replays.
    p99 : float
        Simulated client p99, timeouts counted at 0.5 s, seconds.
    timed_out : float
        Share of requests that timed out (0.5 s), simulated.
    busiest_utilization : float
        Simulated utilization of the busiest database node.
    holds : bool
        p99 within the target, under 1% timeouts, and no database node offered more than
        90% of its capacity (by formula: a short run cannot show a queue that grows
        slowly at 100%).
    """

    option: str
    read_fraction: float
    busiest_node_load: float
    p99: float
    timed_out: float
    busiest_utilization: float
    holds: bool


def ten_x(
    read_fraction: float = 0.9,
    load: float = 10_000.0,
    db_capacity_qps: float = 1000.0,
    batch: int = 10,
    p99_target: float = 0.2,
    duration: float = 1.0,
    options: tuple[str, ...] | None = None,
    seed: int = 1,
) -> list[TenXRow]:
    """A database that handles ``db_capacity_qps`` meets ``load`` requests/s (one query
    each, 0.5 s client timeout) under each option of ``TEN_X_OPTIONS``.

    "Writes to a queue" is modelled in two parts: writes are acknowledged by a broker and
    applied by consumers that batch ``batch`` writes per query. A batch is not free: with
    chapter 6's cost model (:class:`~scalelab.BatchServer`'s defaults, 2 ms per batch plus
    0.2 ms per write) a batch of ``k`` costs ``(2 + 0.2 k) / 2.2`` single writes, so the
    batches take ``writes / batch`` times that in queries/s of the primary and, replayed,
    of each read replica (a
    formula); the reads are simulated against the capacity that is left. Replicas
    replay every synchronous write too (``Database.replica_apply`` = 1).

    Cost: about 98,000 simulated requests (~2.5 s on a laptop core); at most 2e6.

    Parameters
    ----------
    read_fraction : float
        Share of reads, in [0, 1].
    load : float
        Requests per second (> 0).
    db_capacity_qps : float
        One database node's saturation throughput (> 0).
    batch : int
        Writes per query when consumers batch them (>= 1).
    p99_target : float
        Seconds (> 0).
    duration : float
        Simulated seconds per option (> 0), enough for 100 requests (100 reads for an
        option that queues its writes).
    options : tuple of str, optional
        Labels of the options to run (default: all).
    seed : int
    """
    check_probability("read_fraction", read_fraction)
    check_positive("load", load)
    check_positive("db_capacity_qps", db_capacity_qps)
    check_int("batch", batch, low=1)
    check_positive("p99_target", p99_target)
    known = {o[0]: o for o in TEN_X_OPTIONS}
    chosen = tuple(known) if options is None else tuple(options)
    for label in chosen:
        if label not in known:
            raise ValueError(f"options contains {label!r}; choose from {list(known)}")
    app = AppTier(servers=16, workers=256, service=Exponential(0.0005))
    # A write costs write_cost reads on the primary; each replica replays it at
    # replica_apply times that (the Database's own assumptions).
    node = Database(capacity_qps=db_capacity_qps)
    replay = node.replica_apply * node.write_cost
    given = f"load={load!r}, read_fraction={read_fraction!r}, duration={duration!r}"
    plans = []  # every option checked before any is simulated
    for label in chosen:
        _, hit, replicas, shards, queued = known[label]
        behind = database_load(load, read_fraction, hit)
        reads, writes, misses = load * read_fraction, behind.writes, behind.reads
        capacity = db_capacity_qps
        if queued:
            # Batched writes take capacity from the primary, or, with replicas, from each
            # replica that replays them; the reads are simulated against what is left.
            batched = writes / batch * BatchServer().batch_cost(batch)
            capacity -= batched
            if capacity <= 0:
                raise ValueError(f"batch={batch!r}: batched writes alone exceed the database")
            rate, mix = reads, 1.0
            per_node = misses / replicas + batched * replay if replicas else misses + batched
        else:
            rate, mix = load, read_fraction
            primary = writes / shards * node.write_cost + (0.0 if replicas else misses / shards)
            replica = misses / (shards * replicas) + writes / shards * replay if replicas else 0.0
            per_node = max(primary, replica)
        check_requests(rate, duration, given)
        plans.append((label, hit, replicas, shards, capacity, rate, mix, per_node))
    rows = []
    for label, hit, replicas, shards, capacity, rate, mix, per_node in plans:
        db = Database(capacity_qps=capacity, concurrency=8, read_replicas=replicas, shards=shards)
        system_ = RequestResponse(
            app=app,
            db=db,
            cache=Cache(hit_ratio=hit) if hit else None,
            lb=LoadBalancer("least_connections"),
            network=0.0,
        )
        r = simulate(
            system_,
            Poisson(rate, keys=Uniform(100_000), read_fraction=mix),
            duration,
            seed=seed,
            client=Client(timeout=0.5),
        )
        p99 = p99_or_inf(r.latency)
        timed_out = r.counts.timed_out / r.counts.generated
        busiest = max(
            c.utilization
            for name, c in r.components.items()
            if name.startswith("db") and not name.endswith(".pool")
        )
        rows.append(
            TenXRow(
                label,
                float(read_fraction),
                float(per_node),
                p99,
                timed_out,
                float(busiest),
                bool(p99 <= p99_target and timed_out < 0.01 and per_node <= 0.9 * db_capacity_qps),
            )
        )
    return rows


@dataclass(frozen=True)
class Drill:
    """A seeded estimation drill.

    Attributes
    ----------
    seed : int
    question : str
    steps : list of str
        The worked answer, one line per step.
    answers : dict of str to float
        The numbers asked for.
    check : str
        What the simulator says about one sized unit.
    """

    seed: int
    question: str
    steps: list[str]
    answers: dict[str, float]
    check: str

    def text(self, reveal: bool = False) -> str:
        """The drill as plain text; with ``reveal``, its worked answer too."""
        lines = [f"Drill {self.seed}: {self.question}"]
        if reveal:
            lines += ["", *(f" - {step}" for step in self.steps), f" - {self.check}"]
        return "\n".join(lines)


def drill(seed: int = 1) -> Drill:
    """A randomized back-of-the-envelope question and its worked answer, checked by
    simulating one database unit at its share of the peak.

    Cost: about 30,000 simulated requests on the exact fast path (under 0.05 s on a laptop
    core); at most 2e6.

    Parameters
    ----------
    seed : int
        Any integer >= 0; the same seed gives the same drill.
    """
    check_int("seed", seed, low=0)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    users = float(rng.choice([2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 5e7]))
    per_day = float(rng.choice([20, 50, 100, 200, 500]))
    peak = float(rng.choice([2, 3, 4, 5]))
    reads = float(rng.choice([0.5, 0.8, 0.9, 0.95, 0.99]))
    hit = float(rng.choice([0.0, 0.5, 0.8, 0.9]))
    db = float(rng.choice([2_000, 5_000, 10_000, 20_000]))
    s = Scenario(
        users=users,
        requests_per_user_per_day=per_day,
        peak_factor=peak,
        read_fraction=reads,
        hit_ratio=hit,
        db_capacity_qps=db,
    )
    e = envelope(s)
    question = (
        f"{users:,.0f} daily active users each make {per_day:,.0f} requests a day; "
        f"the peak is {peak:g}x the daily average; {reads:.0%} of requests are "
        f"reads and a cache answers {hit:.0%} of them. One database node does "
        f"{db:,.0f} queries/s. At 70% utilization, how many database nodes serve "
        "the reads, and how many shards take the writes?"
    )
    steps = [
        f"Average: {users:,.0f} x {per_day:,.0f} / 86,400 s = {e.average_rps:,.0f} req/s.",
        f"Peak: x {peak:g} = {e.peak_rps:,.0f} req/s: {e.peak_reads:,.0f} reads, "
        f"{e.peak_writes:,.0f} writes.",
        f"Reads reaching the database: {e.peak_reads:,.0f} x (1 - {hit:g}) = {e.db_reads:,.0f} /s.",
        f"Read nodes: {e.db_reads:,.0f} / (0.7 x {db:,.0f}) -> {e.db_read_nodes}.",
        f"Write shards: {e.peak_writes:,.0f} / (0.7 x {db:,.0f}) -> {e.db_write_shards}.",
    ]
    unit = next(
        c
        for c in check_estimate(s, requests=5000, seed=seed)
        if c.component == "database read nodes"
    )
    check = (
        f"Simulated: one read node at its share ({unit.utilization:.0%} busy) has a p99 "
        f"of {unit.p99 * 1000:,.1f} ms; with no headroom "
        f"({max(1, math.ceil(e.db_reads / db))} nodes) p99 is "
        + (
            "unbounded (the queue grows)"
            if math.isinf(unit.p99_at_full)
            else f"{unit.p99_at_full * 1000:,.1f} ms"
        )
        + "."
    )
    return Drill(
        seed,
        question,
        steps,
        {"read nodes": e.db_read_nodes, "write shards": e.db_write_shards},
        check,
    )
