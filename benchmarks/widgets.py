"""Widget latency: every live widget's callback, timed over a grid covering its sliders.

Covers: each entry of ``WIDGETS`` (chapter, ``scalelab.live`` callback, parameter grid
including every slider's extremes). Structure tests fail if a notebook has a widget whose
callback is not listed here, or ``scalelab.live`` has a callback that is not. Budget (exit
status 1 if missed): p50 <= 100 ms and p95 <= 250 ms per widget.

Usage: python benchmarks/widgets.py [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

from scalelab import labs, live

P50_BUDGET, P95_BUDGET = 0.100, 0.250


def _grid(**axes: list) -> list[dict]:
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]


WIDGETS = [
    (
        "01_sync_vs_async",
        "chain_availability",
        _grid(max_hops=[1, 4, 8, 12], availability=[0.9, 0.95, 0.99, 1.0], requests=[200]),
    ),
    (
        "02_queues_and_utilization",
        "operating_point",
        _grid(
            utilization=[0.05, 0.5, 0.8, 0.9, 0.95],
            servers=[1, 2, 4],
            mean_service=[0.01],
        ),
    ),
    (
        "03_bottlenecks_as_traffic_grows",
        "ladder_point",
        _grid(
            users=[100.0, 1e4, 1e6, 1e8],
            architecture=list(labs.ARCHITECTURES),
            rate_per_user=[0.01, 0.1, 1.0],
        ),
    ),
    (
        "04_scaling_request_response",
        "cache_replicas",
        _grid(
            hit_ratio=[0.0, 0.8, 0.99],
            replicas=[0, 1, 4],
            load=[500.0, 3000.0, 5000.0],
            read_fraction=[0.5, 0.9, 1.0],
        ),
    ),
    (
        "05_scaling_event_driven",
        "lag_point",
        _grid(partitions=[1, 4, 16], consumers=[1, 4, 16], spike=[100.0, 400.0, 800.0]),
    ),
    (
        "06_trade_offs",
        "batching_point",
        _grid(batch_size=[1, 10, 200], load=[50.0, 1000.0, 4500.0], linger_ms=[0.0, 10.0, 50.0]),
    ),
    (
        "07_failure_modes",
        "retry_storm",
        _grid(retries=[0, 1, 3, 5], spike_length=[0.5, 5.0, 20.0], budget=[0.0, 0.1, 0.5]),
    ),
    (
        "08_back_of_the_envelope",
        "envelope",
        _grid(
            users=[1e4, 1e7, 1e9],
            requests_per_user_per_day=[1.0, 200.0, 1e5],
            read_fraction=[0.0, 0.9, 1.0],
            hit_ratio=[0.0, 0.99],
        ),
    ),
    ("09_interview_practice", "drill", _grid(seed=[0, 1, 7, 500, 1000], reveal=[False, True])),
    (
        "10_serving_everywhere",
        "active_active",
        _grid(write_rate=[10.0, 500.0, 5000.0], skew=[0.0, 0.8, 1.2]),
    ),
    (
        "05_scaling_event_driven",
        "durability",
        _grid(replication_delay=[0.001, 0.01, 0.05, 0.2], replication=[1, 2, 3, 5]),
    ),
    (
        "11_messaging_in_depth",
        "db_events",
        _grid(crash_at=[0.0, 10.0, 25.0, 39.0], outage=[0.0, 10.0, 20.0], poll_interval=[0.1, 2.0]),
    ),
    (
        "12_case_studies",
        "case_study",
        _grid(case=list(labs.CASES), users=list(labs.TIERS), style=list(labs.STYLES)),
    ),
]
MENUS = {"case_study": ("users",)}
"""Numeric arguments a widget offers as a menu of values, not as a slider over a range."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    rows = {}
    for chapter, name, grid in WIDGETS:
        fn = getattr(live, name)
        fn(**grid[0])  # warm imports and caches once
        times = []
        for params in grid:
            start = time.perf_counter()
            fn(**params)
            times.append(time.perf_counter() - start)
        p50, p95 = np.percentile(times, [50, 95])
        rows[name] = {
            "chapter": chapter,
            "calls": len(times),
            "p50_s": float(p50),
            "p95_s": float(p95),
            "pass": bool(p50 <= P50_BUDGET and p95 <= P95_BUDGET),
        }
    print(f"{'widget callback':28}{'chapter':28}{'calls':>6}{'p50 ms':>9}{'p95 ms':>9}")
    for name, r in rows.items():
        print(
            f"{name:28}{r['chapter']:28}{r['calls']:6d}{r['p50_s'] * 1000:9.1f}"
            f"{r['p95_s'] * 1000:9.1f}  {'ok' if r['pass'] else 'OVER'}"
        )
    ok = all(r["pass"] for r in rows.values())
    if args.json:
        print(
            json.dumps(
                {"widgets": rows, "budget_s": {"p50": P50_BUDGET, "p95": P95_BUDGET}, "pass": ok}
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
