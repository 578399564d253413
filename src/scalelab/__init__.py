"""scalelab: a small, honest discrete-event simulator of service topologies.

Declare a system (:class:`Station`, :class:`Chain`, :class:`RequestResponse`,
:class:`EventDriven`, ...), a workload (:class:`Poisson`, :class:`ClosedLoop`) and run it
with :func:`simulate`. Times are in seconds and rates in requests per second throughout.
The :mod:`~scalelab.theory` formulas are what the simulator is validated against.

The course's families sit behind namespaces: :mod:`scalelab.labs` (one function per
experiment a chapter runs), :mod:`scalelab.plots` (figures of what a lab returned),
:mod:`scalelab.live` (the chapters' widget callbacks) and :mod:`scalelab.quiz`
(self-grading questions). ``plots`` and ``live`` import matplotlib, so they load on
first use: ``import scalelab`` alone does not.
"""

from __future__ import annotations

import importlib

# -Modules- #
from . import labs, quiz, theory

# -Objects- #
from .distributions import Bimodal, Deterministic, Exponential, LogNormal
from .eventdriven import (
    ACKS,
    ROUTINGS,
    Broker,
    ConsumerGroup,
    EventDriven,
    GroupChange,
    Producer,
    Queue,
    Replay,
    Retention,
    hybrid,
)
from .resilience import JITTERS, Backoff, CircuitBreaker, Client, RetryBudget
from .results import (
    ComponentStats,
    Counts,
    LatencyStats,
    SimulationResult,
    Status,
    TimeSeries,
)
from .run import (
    ENGINES,
    Estimate,
    cost_per_request,
    fast_path_applies,
    replicate,
    request_budget,
    simulate,
)
from .theory import (
    DatabaseLoad,
    QueueMetrics,
    closed_loop_throughput,
    database_load,
    drain_time,
    erlang_b,
    erlang_c,
    littles_law,
    lru_hit_ratio,
    md1,
    mg1,
    mm1,
    mm1_response_quantile,
    mmc,
    mmc_response_quantile,
    mmc_wait_quantile,
    partitions_needed,
    stale_read_fraction,
)
from .topology import (
    DISCIPLINES,
    LB_POLICIES,
    MAX_SERVERS,
    WRITE_POLICIES,
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
from .workload import (
    MAX_CLIENTS,
    MAX_KEYS,
    Burst,
    ClosedLoop,
    Diurnal,
    Poisson,
    Spike,
    Step,
    Uniform,
    Zipf,
)

__version__ = "0.2.0"

_LAZY = ("plots", "live")


def __getattr__(name: str) -> object:
    """Import ``scalelab.plots`` and ``scalelab.live`` (and so matplotlib) on first use."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'scalelab' has no attribute {name!r}")


__all__ = [
    # namespaces
    "labs",
    "live",
    "plots",
    "quiz",
    "theory",
    # distributions and workloads
    "Bimodal",
    "Deterministic",
    "Exponential",
    "LogNormal",
    "Burst",
    "ClosedLoop",
    "Diurnal",
    "Poisson",
    "Spike",
    "Step",
    "Uniform",
    "Zipf",
    "MAX_CLIENTS",
    "MAX_KEYS",
    # request-response systems
    "DISCIPLINES",
    "LB_POLICIES",
    "MAX_SERVERS",
    "WRITE_POLICIES",
    "AppTier",
    "BatchServer",
    "Cache",
    "Chain",
    "Database",
    "FanOut",
    "LoadBalancer",
    "RequestResponse",
    "Service",
    "Station",
    # event-driven systems
    "ROUTINGS",
    "ACKS",
    "Broker",
    "ConsumerGroup",
    "EventDriven",
    "GroupChange",
    "Producer",
    "Queue",
    "Replay",
    "Retention",
    "hybrid",
    # client resilience
    "JITTERS",
    "Backoff",
    "CircuitBreaker",
    "Client",
    "RetryBudget",
    # running and results
    "ENGINES",
    "fast_path_applies",
    "replicate",
    "request_budget",
    "cost_per_request",
    "simulate",
    "ComponentStats",
    "Counts",
    "Estimate",
    "LatencyStats",
    "SimulationResult",
    "Status",
    "TimeSeries",
    # theory
    "DatabaseLoad",
    "QueueMetrics",
    "closed_loop_throughput",
    "database_load",
    "drain_time",
    "erlang_b",
    "erlang_c",
    "littles_law",
    "lru_hit_ratio",
    "md1",
    "mg1",
    "mm1",
    "mm1_response_quantile",
    "mmc",
    "mmc_response_quantile",
    "mmc_wait_quantile",
    "partitions_needed",
    "stale_read_fraction",
]
