"""scalelab: a small, honest discrete-event simulator of service topologies.

Declare a system (:class:`Station`, :class:`Chain`, :class:`RequestResponse`), a workload
(:class:`Poisson`, :class:`ClosedLoop`) and run it with :func:`simulate`. Times are in
seconds and rates in requests per second throughout. The :mod:`theory <scalelab.theory>`
formulas are what the simulator is validated against.
"""

from .distributions import Bimodal, Deterministic, Exponential, LogNormal
from .eventdriven import (
    Broker,
    ConsumerGroup,
    EventDriven,
    GroupChange,
    Producer,
    Replay,
    Retention,
    hybrid,
)
from .experiments import KneeCurve, knee_curve
from .plots import plot_knee
from .resilience import CircuitBreaker, Client, RetryBudget
from .results import (
    COMPLETED,
    DROPPED,
    FAILED,
    IN_FLIGHT,
    TIMED_OUT,
    ComponentStats,
    Counts,
    LatencyStats,
    SimulationResult,
    TimeSeries,
)
from .retry import JITTERS, Backoff
from .simulate import ENGINES, Estimate, fast_path_applies, replicate, simulate
from .theory import (
    QueueMetrics,
    erlang_b,
    erlang_c,
    littles_law,
    md1,
    mg1,
    mm1,
    mm1_response_quantile,
    mmc,
    mmc_wait_quantile,
)
from .topology import (
    DISCIPLINES,
    LB_POLICIES,
    AppTier,
    Cache,
    Chain,
    Database,
    FanOut,
    LoadBalancer,
    RequestResponse,
    Service,
    Station,
)
from .workload import Burst, ClosedLoop, Diurnal, Poisson, Spike, Step, Uniform, Zipf

__version__ = "0.1.0"

__all__ = [
    "Burst",
    "CircuitBreaker",
    "Client",
    "DISCIPLINES",
    "FanOut",
    "RetryBudget",
    "Backoff",
    "Broker",
    "ConsumerGroup",
    "EventDriven",
    "GroupChange",
    "JITTERS",
    "Producer",
    "Replay",
    "Retention",
    "hybrid",
    "AppTier",
    "Bimodal",
    "Cache",
    "Chain",
    "ClosedLoop",
    "COMPLETED",
    "ComponentStats",
    "Counts",
    "Database",
    "Deterministic",
    "Diurnal",
    "DROPPED",
    "ENGINES",
    "erlang_b",
    "erlang_c",
    "Estimate",
    "Exponential",
    "FAILED",
    "fast_path_applies",
    "IN_FLIGHT",
    "knee_curve",
    "KneeCurve",
    "LatencyStats",
    "LB_POLICIES",
    "littles_law",
    "LoadBalancer",
    "LogNormal",
    "md1",
    "mg1",
    "mm1",
    "mm1_response_quantile",
    "mmc",
    "mmc_wait_quantile",
    "plot_knee",
    "Poisson",
    "QueueMetrics",
    "replicate",
    "RequestResponse",
    "Service",
    "simulate",
    "SimulationResult",
    "Spike",
    "Station",
    "Step",
    "TIMED_OUT",
    "TimeSeries",
    "Uniform",
    "Zipf",
]
