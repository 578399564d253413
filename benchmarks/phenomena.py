"""Time each failure-phenomenon function with its default parameters.

Covers: every function in ``scalelab.phenomena``, each called three times; the best time
is reported. Target (exit status 1 if missed): each under one second on this machine.

Usage: python benchmarks/phenomena.py [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import scalelab as sl

FUNCTIONS = (sl.retry_amplification, sl.metastable_failure, sl.cold_cache_collapse,
             sl.fanout_tail, sl.coordinated_omission, sl.jitter_contention)
BUDGET = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    times = {}
    for fn in FUNCTIONS:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        times[fn.__name__] = best
    print(f"{'phenomenon':26}{'seconds':>9}  budget {BUDGET:g} s")
    for name, seconds in times.items():
        print(f"{name:26}{seconds:9.3f}  {'ok' if seconds <= BUDGET else 'OVER'}")
    ok = all(t <= BUDGET for t in times.values())
    if args.json:
        print(json.dumps({"seconds": times, "budget": BUDGET, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
