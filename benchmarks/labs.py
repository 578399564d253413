"""Time each failure phenomenon and scaling lab with its default parameters.

Covers: the failure phenomena of ``scalelab.labs.failures`` and ``labs.tail_latency``
(budget 1 s each) and the labs of chapters 4-9 (``labs.request_response``,
``labs.replicas``, ``labs.caching``, ``labs.sharding``, ``labs.event_driven``,
``labs.delivery``, ``labs.tradeoffs``, ``labs.sync_async_sweep``, ``labs.interview``;
budget 2.5 s each), each called three times; the best time is reported. Exit status 1
if any function misses its budget on this machine.

Usage: python benchmarks/labs.py [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from scalelab import labs

PHENOMENA = (
    labs.retry_amplification,
    labs.metastable_failure,
    labs.cold_cache_collapse,
    labs.fanout_tail,
    labs.coordinated_omission,
    labs.jitter_contention,
    labs.retry_storm,
)
LABS = (
    labs.balancer_comparison,
    labs.horizontal_scaling,
    labs.pool_sizing,
    labs.read_replicas,
    labs.stale_reads,
    labs.cache_lever,
    labs.lru_sizing,
    labs.cache_warmup,
    labs.shard_load,
    labs.resharding,
    labs.partition_grid,
    labs.lag_spike,
    labs.hot_partitions,
    labs.replay_window,
    labs.backpressure,
    labs.dead_letters,
    labs.staleness,
    labs.crash_duplicates,
    labs.batching_curve,
    labs.sync_async_sweep,
    labs.cost_table,
    labs.ten_x,
    labs.drill,
)
BUDGETS = {**{fn.__name__: 1.0 for fn in PHENOMENA}, **{fn.__name__: 2.5 for fn in LABS}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    times = {}
    for fn in PHENOMENA + LABS:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        times[fn.__name__] = best
    print(f"{'function':26}{'seconds':>9}{'budget':>8}")
    for name, seconds in times.items():
        verdict = "ok" if seconds <= BUDGETS[name] else "OVER"
        print(f"{name:26}{seconds:9.3f}{BUDGETS[name]:8.1f}  {verdict}")
    ok = all(t <= BUDGETS[name] for name, t in times.items())
    if args.json:
        print(json.dumps({"seconds": times, "budgets": BUDGETS, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
