"""Figures: each function takes what a :mod:`scalelab.labs` function returned and draws
it, returning a matplotlib Figure with an opaque white background (readable in the
site's dark mode). Renderers only: nothing here simulates or draws random numbers.

``from scalelab import plots`` then ``plots.knee(labs.knee_curve())``. One function draws
a declaration instead of a result: ``plots.diagram(system)``, any system as boxes and
arrows.
"""

from __future__ import annotations

from .bottlenecks import ladder_point, ladder_units, ladder_utilization, naive_runs
from .cache_updates import cache_strategies, thundering_herd
from .cases import case_ladder, case_tier
from .diagrams import diagram, diagram_alt
from .durability import broker_durability, exactly_once, slow_follower
from .estimation import envelope, headroom, sensitivity, ten_x
from .event_driven import (
    backpressure,
    crash_duplicates,
    dead_letters,
    hot_partitions,
    lag_point,
    lag_spike,
    partition_grid,
    replay_window,
    staleness,
)
from .failures import (
    cold_cache,
    coordinated_omission,
    fanout_tail,
    jitter,
    metastable,
    retry_amplification,
)
from .geo import conflicts, edge_latency, edge_offload, failover_loss
from .messaging import events_from_db, partition_concurrency, queue_vs_log, visibility_timeouts
from .network import broker_network, spread_over_time
from .queues import knee, latency_histogram, operating_point, pooling
from .request_response import (
    balancers,
    cache_lever,
    cache_replicas,
    cache_warmup,
    horizontal,
    lru,
    pool,
    replicas,
    resharding,
    scale_up,
    shards,
    stale_reads,
)
from .sync_async import architectures, chain, sync_async_sweep, sync_vs_async
from .tradeoffs import batching, batching_point

__all__ = [
    "diagram",
    "diagram_alt",
    "case_ladder",
    "case_tier",
    "knee",
    "pooling",
    "latency_histogram",
    "operating_point",
    "architectures",
    "sync_vs_async",
    "chain",
    "sync_async_sweep",
    "naive_runs",
    "ladder_units",
    "ladder_utilization",
    "ladder_point",
    "balancers",
    "horizontal",
    "pool",
    "replicas",
    "stale_reads",
    "cache_lever",
    "lru",
    "cache_warmup",
    "cache_strategies",
    "thundering_herd",
    "shards",
    "resharding",
    "cache_replicas",
    "partition_grid",
    "lag_spike",
    "hot_partitions",
    "replay_window",
    "backpressure",
    "dead_letters",
    "staleness",
    "crash_duplicates",
    "broker_durability",
    "slow_follower",
    "exactly_once",
    "lag_point",
    "batching",
    "batching_point",
    "retry_amplification",
    "metastable",
    "cold_cache",
    "fanout_tail",
    "coordinated_omission",
    "jitter",
    "headroom",
    "ten_x",
    "envelope",
    "sensitivity",
    "scale_up",
    "broker_network",
    "spread_over_time",
    "queue_vs_log",
    "visibility_timeouts",
    "partition_concurrency",
    "events_from_db",
    "edge_offload",
    "edge_latency",
    "failover_loss",
    "conflicts",
]
