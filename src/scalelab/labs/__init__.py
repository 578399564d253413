"""The course's labs: one module per topic a chapter teaches, each function returning a
frozen dataclass with the data of one figure or table (simulated, scaled from one
simulated unit, or a formula, as each docstring says).

Each call simulates at most ``3e6`` requests in all (about 30 s); past that it raises
a :class:`ValueError` naming the lab. ``from scalelab import labs`` then
``labs.knee_curve()``; :mod:`scalelab.plots` draws
what these return, and :mod:`scalelab.live` pairs one lab with one plot per widget.
"""

from __future__ import annotations

from ._units import bounded
from .bottlenecks import (
    ARCHITECTURES,
    LADDER_USERS,
    Assumptions,
    LadderPoint,
    NaiveRuns,
    Rung,
    UtilizationCurves,
    ladder,
    ladder_point,
    naive_runs,
    utilization_curves,
    utilizations,
)
from .caching import (
    CacheLever,
    CacheWarmup,
    LruSizing,
    cache_lever,
    cache_warmup,
    lru_sizing,
)
from .delivery import (
    ConsumerBatching,
    CrashDuplicates,
    DeadLetters,
    PeakLag,
    Staleness,
    consumer_batching,
    crash_duplicates,
    dead_letters,
    peak_lag,
    staleness,
)
from .estimation import (
    Envelope,
    Headroom,
    Scenario,
    Sensitivity,
    UnitCheck,
    check_estimate,
    envelope,
    headroom_curve,
    sensitivity,
)
from .event_driven import (
    Backpressure,
    HotPartitions,
    LagSpike,
    PartitionGrid,
    ReplayWindow,
    backpressure,
    hot_partitions,
    lag_spike,
    partition_grid,
    replay_window,
)
from .failures import (
    ColdCacheCollapse,
    JitterContention,
    MetastableFailure,
    RetryAmplification,
    cold_cache_collapse,
    jitter_contention,
    metastable_failure,
    retry_amplification,
    retry_storm,
)
from .interview import (
    TEN_X_OPTIONS,
    Drill,
    TenXRow,
    drill,
    ten_x,
)
from .network import (
    NIC_GBPS,
    AppTierRow,
    Bandwidth,
    BrokerNetwork,
    Hop,
    Spread,
    app_tier,
    bandwidth,
    broker_network,
    spread_over_time,
)
from .queues import (
    KneeCurve,
    LittleCheck,
    OperatingPoint,
    Pooling,
    knee_curve,
    littles_law_check,
    operating_point,
    pooling_comparison,
)
from .replicas import (
    CacheReplicasPoint,
    ReplicaScaling,
    StaleReads,
    cache_replicas_point,
    read_replicas,
    stale_reads,
)
from .request_response import (
    UNEVEN,
    BalancerComparison,
    HorizontalScaling,
    PoolSizing,
    balancer_comparison,
    horizontal_scaling,
    pool_sizing,
)
from .sharding import (
    Resharding,
    ShardLoad,
    resharding,
    shard_load,
)
from .sync_async import (
    ChainAvailability,
    SyncAsync,
    SyncAsyncSweep,
    chain_availability,
    sync_async_sweep,
    sync_vs_async,
)
from .tail_latency import (
    CoordinatedOmission,
    FanOutTail,
    coordinated_omission,
    fanout_tail,
)
from .tradeoffs import (
    BatchingCurve,
    BatchRun,
    CostRow,
    UnitPlan,
    batch_capacity,
    batch_run,
    batching_curve,
    cost_table,
    units_for_p99,
)
from .vertical import LARGEST_CORES, ScaleUp, scale_up, usl_throughput

__all__ = [
    "KneeCurve",
    "knee_curve",
    "Pooling",
    "pooling_comparison",
    "LittleCheck",
    "littles_law_check",
    "OperatingPoint",
    "operating_point",
    "SyncAsync",
    "sync_vs_async",
    "ChainAvailability",
    "chain_availability",
    "SyncAsyncSweep",
    "sync_async_sweep",
    "ARCHITECTURES",
    "LADDER_USERS",
    "Assumptions",
    "Rung",
    "ladder",
    "utilizations",
    "NaiveRuns",
    "naive_runs",
    "LadderPoint",
    "ladder_point",
    "UtilizationCurves",
    "utilization_curves",
    "UNEVEN",
    "BalancerComparison",
    "balancer_comparison",
    "HorizontalScaling",
    "horizontal_scaling",
    "PoolSizing",
    "pool_sizing",
    "ReplicaScaling",
    "read_replicas",
    "StaleReads",
    "stale_reads",
    "CacheReplicasPoint",
    "cache_replicas_point",
    "CacheLever",
    "cache_lever",
    "LruSizing",
    "lru_sizing",
    "CacheWarmup",
    "cache_warmup",
    "ShardLoad",
    "shard_load",
    "Resharding",
    "resharding",
    "PartitionGrid",
    "partition_grid",
    "LagSpike",
    "lag_spike",
    "HotPartitions",
    "hot_partitions",
    "ReplayWindow",
    "replay_window",
    "Backpressure",
    "backpressure",
    "DeadLetters",
    "dead_letters",
    "Staleness",
    "staleness",
    "CrashDuplicates",
    "crash_duplicates",
    "PeakLag",
    "peak_lag",
    "ConsumerBatching",
    "consumer_batching",
    "batch_capacity",
    "BatchingCurve",
    "batching_curve",
    "BatchRun",
    "batch_run",
    "UnitPlan",
    "units_for_p99",
    "CostRow",
    "cost_table",
    "RetryAmplification",
    "retry_amplification",
    "MetastableFailure",
    "metastable_failure",
    "retry_storm",
    "ColdCacheCollapse",
    "cold_cache_collapse",
    "JitterContention",
    "jitter_contention",
    "FanOutTail",
    "fanout_tail",
    "CoordinatedOmission",
    "coordinated_omission",
    "Scenario",
    "Envelope",
    "envelope",
    "UnitCheck",
    "check_estimate",
    "Headroom",
    "headroom_curve",
    "Sensitivity",
    "sensitivity",
    "TEN_X_OPTIONS",
    "TenXRow",
    "ten_x",
    "Drill",
    "drill",
    "NIC_GBPS",
    "AppTierRow",
    "app_tier",
    "Hop",
    "Bandwidth",
    "bandwidth",
    "BrokerNetwork",
    "broker_network",
    "Spread",
    "spread_over_time",
    "LARGEST_CORES",
    "ScaleUp",
    "scale_up",
    "usl_throughput",
]


def _bound_every_lab() -> None:
    """Every lab function of this namespace runs within ``_units.LAB_BUDGET`` requests."""
    namespace = globals()
    for name in __all__:
        lab = namespace[name]
        if callable(lab) and not isinstance(lab, type):
            namespace[name] = bounded(lab)


_bound_every_lab()
