"""What one request of each kind of system costs to simulate, against the weight the lab
budget gives it (``scalelab.cost_per_request`` x ``COST_UNIT_US``).

Covers: a Station on the general engine, RequestResponse (plain, with a cache and
replicas, with an LRU cache), a Chain of 3, FanOut of 10 (plain and hedged), EventDriven
(plain, with an API and a database, replicated, a 16-thread parallel consumer) and a
Queue with 8 consumers; about 20,000 requests each, best of two.

Target (exit status 1 if missed): no system costs more than 1.5x its weight, so that a lab
at its budget (2e6 units) stays near 30 s on this machine.

Usage: python benchmarks/costs.py [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import scalelab as sl
from scalelab.run import COST_UNIT_US

E = sl.Exponential
REQUESTS = 20_000
CASES = {
    "Station (general engine)": (
        sl.Station(servers=4, service=E(0.001)),
        sl.Poisson(3000),
        "simpy",
    ),
    "RequestResponse": (sl.RequestResponse(db=sl.Database()), sl.Poisson(500), "auto"),
    "RequestResponse, cache, replicas": (
        sl.RequestResponse(
            app=sl.AppTier(servers=4),
            cache=sl.Cache(hit_ratio=0.8),
            db=sl.Database(read_replicas=2),
        ),
        sl.Poisson(2000),
        "auto",
    ),
    "RequestResponse, LRU cache": (
        sl.RequestResponse(app=sl.AppTier(servers=4), cache=sl.Cache(size=1000), db=sl.Database()),
        sl.Poisson(2000, keys=sl.Zipf(10_000)),
        "auto",
    ),
    "Chain of 3": (sl.Chain(tuple(sl.Service(f"s{i}") for i in range(3))), sl.Poisson(500), "auto"),
    "FanOut of 10": (sl.FanOut(fanout=10), sl.Poisson(200), "auto"),
    "FanOut of 10, hedged": (sl.FanOut(fanout=10, hedge_after=0.01), sl.Poisson(200), "auto"),
    "EventDriven": (sl.EventDriven(), sl.Poisson(500), "auto"),
    "EventDriven, API and database": (
        sl.EventDriven(
            front=sl.AppTier(),
            db=sl.Database(),
            broker=sl.Broker(partitions=4),
            consumers=sl.ConsumerGroup(consumers=4),
        ),
        sl.Poisson(500),
        "auto",
    ),
    "EventDriven, 3 replicas": (
        sl.EventDriven(broker=sl.Broker(replication=3, acks="all")),
        sl.Poisson(500),
        "auto",
    ),
    "EventDriven, 16 threads": (
        sl.EventDriven(consumers=sl.ConsumerGroup(concurrency=16, processing=E(0.01))),
        sl.Poisson(1200, keys=sl.Uniform(10_000)),
        "auto",
    ),
    "Queue, 8 consumers": (
        sl.EventDriven(
            broker=sl.Queue(), consumers=sl.ConsumerGroup(consumers=8, processing=E(0.01))
        ),
        sl.Poisson(700),
        "auto",
    ),
}


def measure(system: object, workload: sl.Poisson, engine: str) -> float:
    """Microseconds per generated request, best of two runs."""
    duration = REQUESTS / workload.peak_rate
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        result = sl.simulate(system, workload, duration, seed=1, engine=engine)
        best = min(best, (time.perf_counter() - start) / result.counts.generated * 1e6)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    print(f"{'system':34}{'us/request':>11}{'weight':>8}{'weighted us':>12}{'ratio':>7}")
    ratios = {}
    for name, (system, workload, engine) in CASES.items():
        cost = measure(system, workload, engine)
        weight = sl.cost_per_request(system)
        ratios[name] = cost / (weight * COST_UNIT_US)
        print(f"{name:34}{cost:11.1f}{weight:8.1f}{weight * COST_UNIT_US:12.1f}{ratios[name]:7.2f}")
    ok = max(ratios.values()) <= 1.5
    print(f"{'PASS' if ok else 'FAIL'}  largest ratio {max(ratios.values()):.2f} (target <= 1.5)")
    if args.json:
        print(json.dumps({"pass": ok, "ratios": ratios}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
