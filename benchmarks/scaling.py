"""Engine scaling: time per request of the general SimPy engine at 1e4, 1e5 and 1e6
requests (M/M/10 at 80% utilization, seed 1).

Target (exit status 1 if missed): linear cost, i.e. time per request at 1e6 within 1.5x
of that at 1e4.

Usage: python benchmarks/scaling.py [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import scalelab as sl

SIZES = (10_000, 100_000, 1_000_000)
RATE = 8.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    station = sl.Station(servers=10, service=sl.Exponential(1.0))
    rows = {}
    for n in SIZES:
        start = time.perf_counter()
        result = sl.simulate(station, sl.Poisson(RATE), n / RATE, seed=1, engine="simpy")
        seconds = time.perf_counter() - start
        rows[n] = {
            "seconds": seconds,
            "requests": result.counts.generated,
            "us_per_request": seconds / result.counts.generated * 1e6,
        }
    print(f"{'requests':>10}{'seconds':>10}{'us/request':>12}")
    for n, r in rows.items():
        print(f"{n:10,d}{r['seconds']:10.2f}{r['us_per_request']:12.2f}")
    ratio = rows[SIZES[-1]]["us_per_request"] / rows[SIZES[0]]["us_per_request"]
    ok = ratio <= 1.5
    print(
        f"{'PASS' if ok else 'FAIL'}  per-request cost at 1e6 / at 1e4 = {ratio:.2f} "
        "(target <= 1.5)"
    )
    if args.json:
        print(
            json.dumps({"sizes": {str(k): v for k, v in rows.items()}, "ratio": ratio, "pass": ok})
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
