"""Case studies: three designs taken from 100 to 100 million users in both styles.

Each case (:data:`CASES`) is a named set of assumptions: the users' peak rate and
read/write mix, and the components of its request-response and event-driven designs, each
with the work it does per read, per write and per user, what one unit of it handles and
how many units it can have before it needs a redesign (one write primary until it is
sharded, twelve partitions until more are added, one account at a payment
provider). Every tier runs chapter 3's method on that design:

* the load on each component is a formula (work per request times the peak rate, from
  chapter 8's :func:`~scalelab.labs.envelope`);
* the design that arrives at a tier has every component sized for the tier's load at the
  target utilization, within its unit limit, and every component that broke at a lower
  tier redesigned (its limit lifted);
* each component is **simulated as one unit at its share of the load** (an M/M/c station
  with the unit's concurrency; chapter 3's scaled unit, which stands for all units by
  symmetry). A component breaks when its unit limit binds (it would need more units than
  the design can add, a formula) and its simulated unit confirms it runs above the
  target utilization; what breaks first is the broken component with the largest
  overload by the formula (load over what its units complete). A component without a
  binding limit is simply sized (stateless tiers scale out).

What the model leaves out: components are independent stations (a slow database does not
hold the app's workers here, as it does in :func:`~scalelab.labs.naive_runs`), loads grow
linearly with users, and spikes, failures and cross-region latency are left to chapters 5,
7 and 10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._validate import check_choice, check_int, check_real
from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, EventDriven
from ..topology import AppTier, Cache, Database, LoadBalancer, RequestResponse
from ._units import unit_run
from .case_designs import CAPACITIES, CASES, DB_CONCURRENCY, STYLES, TIERS, UNLIMITED, CaseStudy
from .estimation import SECONDS_PER_DAY, Envelope, Scenario, envelope

__all__ = [
    "ComponentLoad",
    "CaseTier",
    "case_tier",
    "CaseLadder",
    "case_ladder",
]


@dataclass(frozen=True)
class ComponentLoad:
    """One component of a design at one tier.

    Attributes
    ----------
    name : str
    load : float
        Operations per second on the component at peak (formula).
    units : int
        Units the arriving design has: enough for the load at the target utilization,
        within the component's unit limit unless it was redesigned at a lower tier.
    capacity : float
        Operations per second one unit completes.
    utilization : float
        ``load / (units * capacity)`` (formula; above 1, overloaded by that factor).
    simulated : float
        The same, measured on one simulated unit at its share of the load: the busy
        fraction times arrivals over completions, so an overloaded unit reads about its
        overload factor.
    p99 : float
        Simulated p99 of one unit, seconds (inf when it cannot keep up).
    redesigned : bool
        Whether it broke at a lower tier and was redesigned (its unit limit lifted).
    fix : str
    """

    name: str
    load: float
    units: int
    capacity: float
    utilization: float
    simulated: float
    p99: float
    redesigned: bool
    fix: str


@dataclass(frozen=True)
class CaseTier:
    """One case in one style at one tier.

    Attributes
    ----------
    case, style : str
    users : int
        Users at peak.
    envelope : Envelope
        Chapter 8's estimate for the case's requests at this many users (formulas).
    components : tuple of ComponentLoad
        Every component of the arriving design.
    breaks_first : str
        Of the components whose unit limit binds and whose simulated unit runs above the
        target utilization, the one most overloaded by the formula; ``"nothing"`` if none.
    broken : tuple of str
        Every component whose unit limit binds and whose simulated unit runs above the
        target, worst first by the formula's overload.
    fix : str
        What the first to break needs ("nothing yet" when nothing breaks).
    system : RequestResponse or EventDriven
        The declared system of one scaled unit (one cell, per write shard): the arriving
        design's boxes divided by ``cells``, for :func:`scalelab.plots.diagram`.
    cells : int
        Cells the design repeats (its write shards).
    target_utilization : float
    """

    case: str
    style: str
    users: int
    envelope: Envelope
    components: tuple[ComponentLoad, ...]
    breaks_first: str
    broken: tuple[str, ...]
    fix: str
    system: RequestResponse | EventDriven
    cells: int
    target_utilization: float

    def component(self, name: str) -> ComponentLoad:
        """The component called ``name``, or a :class:`ValueError` listing the names."""
        for c in self.components:
            if c.name == name:
                return c
        raise ValueError(f"name={name!r} is not one of {[c.name for c in self.components]}")


def _case(case: CaseStudy | str) -> CaseStudy:
    if isinstance(case, CaseStudy):
        return case
    return CASES[check_choice("case", case, tuple(CASES))]


def _scenario(c: CaseStudy, users: float, target: float) -> Scenario:
    return Scenario(
        users=users,
        requests_per_user_per_day=c.rate_per_user * SECONDS_PER_DAY / c.peak_factor,
        peak_factor=c.peak_factor,
        read_fraction=c.read_fraction,
        hit_ratio=c.hit_ratio,
        bytes_per_write=c.bytes_per_write,
        bytes_per_response=c.bytes_per_response,
        app_capacity=CAPACITIES.app_capacity,
        db_capacity_qps=CAPACITIES.db_capacity_qps,
        partition_throughput=CAPACITIES.partition_throughput,
        consumer_rate=CAPACITIES.consumer_rate,
        target_utilization=target,
    )


def _units_of(role: str, rows: tuple[ComponentLoad, ...]) -> int:
    found = [r.units for r in rows if r.name.startswith(role) or r.name.endswith(role)]
    return max(found, default=1)


def _cell(c: CaseStudy, style: str, rows: tuple[ComponentLoad, ...]) -> tuple[object, int]:
    """The declared system of one cell of the arriving design, and the number of cells."""
    writes = [r.units for r in rows if r.name in ("database writes", "inbox writes")]
    cells = max(writes, default=1)

    def per_cell(units: int) -> int:
        return max(1, math.ceil(units / cells))

    reads = [r.units for r in rows if "reads" in r.name]
    db = Database(
        capacity_qps=CAPACITIES.db_capacity_qps,
        concurrency=DB_CONCURRENCY,
        pool=32,
        read_replicas=per_cell(max(reads, default=1)) - 1,
    )
    # 64 workers whose mean request (mostly waiting on calls downstream) takes 64 ms: one
    # server completes chapter 3's 1,000 requests/s
    app = AppTier(
        servers=per_cell(rows[0].units),
        workers=64,
        service=Exponential(64 / CAPACITIES.app_capacity),
    )
    if style == "request-response":
        cache = Cache(hit_ratio=c.hit_ratio) if c.hit_ratio > 0 else None
        return RequestResponse(
            app=app, db=db, cache=cache, lb=LoadBalancer("least_connections")
        ), cells
    # a group uses one consumer per partition: the cell has partitions for every consumer
    consumers = per_cell(_units_of("consumers", rows))
    parts = max(per_cell(_units_of("partitions", rows)), consumers)
    return (
        EventDriven(
            # durable: three copies, acknowledged once two in-sync replicas have it
            broker=Broker(
                partitions=parts,
                partition_throughput=CAPACITIES.partition_throughput,
                replication=3,
                acks="all",
                min_insync=2,
            ),
            consumers=ConsumerGroup(
                consumers=consumers,
                processing=Exponential(CAPACITIES.consumer_own_time),
            ),
            front=app,
            db=db,
        ),
        cells,
    )


def _tier(
    c: CaseStudy,
    style: str,
    users: int,
    redesigned: set[str],
    target: float,
    requests: int,
    seed: int,
) -> CaseTier:
    load = users * c.rate_per_user
    reads, writes = load * c.read_fraction, load * (1 - c.read_fraction)
    rows, needed = [], []
    for k, comp in enumerate(c.designs[style]):
        on = comp.per_read * reads + comp.per_write * writes + comp.per_user * users
        limit = UNLIMITED if comp.name in redesigned else comp.max_units
        needed.append(max(1, math.ceil(on / (comp.capacity * target) - 1e-9)))
        units = min(limit, needed[-1])
        share = on / units
        run = unit_run(share, comp.servers, comp.servers / comp.capacity, requests, seed + k)
        done = max(run.counts.completed, 1)
        stats = run.components["server"]
        rows.append(
            ComponentLoad(
                name=comp.name,
                load=on,
                units=units,
                capacity=comp.capacity,
                utilization=share / comp.capacity,
                simulated=stats.utilization * run.counts.generated / done,
                p99=math.inf if run.overloaded or run.latency.p99 is None else run.latency.p99,
                redesigned=comp.name in redesigned,
                fix=comp.fix,
            )
        )
    rows = tuple(rows)
    broken = tuple(
        r.name
        for r, needs in sorted(zip(rows, needed, strict=True), key=lambda x: -x[0].utilization)
        if needs > r.units and r.simulated > target
    )
    first = broken[0] if broken else "nothing"
    fix = next(r.fix for r in rows if r.name == first) if broken else "nothing yet"
    system, cells = _cell(c, style, rows)
    return CaseTier(
        c.name,
        style,
        users,
        envelope(_scenario(c, users, target)),
        rows,
        first,
        broken,
        fix,
        system,
        cells,
        target,
    )


def _climb(
    c: CaseStudy,
    style: str,
    tiers: tuple[int, ...],
    target: float,
    requests: int,
    seed: int,
) -> list[CaseTier]:
    redesigned: set[str] = set()
    out = []
    for users in tiers:
        tier = _tier(c, style, users, redesigned, target, requests, seed)
        redesigned |= set(tier.broken)
        out.append(tier)
    return out


def _check(style: str, target: float, requests: int, seed: int) -> None:
    check_choice("style", style, STYLES)
    check_real("target_utilization", target, low=0.1, high=0.95)
    check_int("requests", requests, low=500, high=100_000)
    check_int("seed", seed, low=0)


def case_tier(
    case: CaseStudy | str = "orders",
    users: int = 10_000,
    style: str = "request-response",
    target_utilization: float = 0.7,
    requests: int = 2_000,
    seed: int = 1,
) -> CaseTier:
    """One case in one style at one tier: its envelope, its arriving design as one
    declared cell, and what breaks first there, simulated (see the module docstring).

    The design arriving at ``users`` carries the redesigns of every tier of
    :data:`TIERS` below it, so those tiers are run too.

    Cost: one unit run of ``requests`` requests per component and tier up to ``users``
    (at most 7 components x 4 tiers x 2,000 = 56,000 requests, ~60 ms on a laptop core).

    Parameters
    ----------
    case : CaseStudy or str
        A key of :data:`CASES` or a case of your own (``CASES["orders"].with_load(...)``).
    users : int
        One of :data:`TIERS`.
    style : str
        One of :data:`STYLES`.
    target_utilization : float
        Utilization each component is sized for and above which it breaks, in
        [0.1, 0.95]; 0.7 keeps clear of the knee.
    requests : int
        Requests per simulated unit, 500 to 100,000.
    seed : int
        Seed (>= 0); component ``k`` of the design uses ``seed + k``.
    """
    c = _case(case)
    _check(style, target_utilization, requests, seed)
    users = int(check_choice("users", users, TIERS))
    below = tuple(t for t in TIERS if t <= users)
    return _climb(c, style, below, target_utilization, requests, seed)[-1]


@dataclass(frozen=True)
class CaseLadder:
    """One case in both styles at every tier.

    Attributes
    ----------
    case : CaseStudy
    rows : tuple of CaseTier
        Style by style, tier by tier.
    """

    case: CaseStudy
    rows: tuple[CaseTier, ...]

    def at(self, style: str, users: int) -> CaseTier:
        """The row for ``style`` at ``users``, or a :class:`ValueError` naming both."""
        for r in self.rows:
            if r.style == style and r.users == users:
                return r
        raise ValueError(f"style={style!r}, users={users!r} is not a row of this ladder")


def case_ladder(
    case: CaseStudy | str = "orders",
    target_utilization: float = 0.7,
    requests: int = 2_000,
    seed: int = 1,
) -> CaseLadder:
    """:func:`case_tier` at every tier of :data:`TIERS`, in both styles.

    Cost: one unit run of ``requests`` requests per component, tier and style (at most
    112,000 requests, ~0.15 s on a laptop core).

    Parameters
    ----------
    case : CaseStudy or str
        A key of :data:`CASES` or a case of your own.
    target_utilization : float
        In [0.1, 0.95].
    requests : int
        Requests per simulated unit, 500 to 100,000.
    seed : int
        Seed (>= 0).
    """
    c = _case(case)
    rows: list[CaseTier] = []
    for style in STYLES:
        _check(style, target_utilization, requests, seed)
        rows += _climb(c, style, TIERS, target_utilization, requests, seed)
    return CaseLadder(c, tuple(rows))
