"""Engine benchmark: one M/M/c workload through four simulators, side by side.

Covers: arrival rate 8/s, service rate 1/s, c = 10 servers, 200,000 requests, FCFS.
Scenario: (a) hand-written SimPy, (b) scalelab's general SimPy engine, (c) Ciw,
(d) scalelab's fast path (Kiefer-Wolfowitz recursion). Prints requests/s and time
relative to (a) for one seed (best of three timings), and each engine's mean wait over
10 seeds against Erlang C (0.2046 s); one 200,000-request run has a standard deviation
of about 5%, so a single seed cannot show accuracy.

Targets (exit status 1 if missed): (b) takes at most 1.5x the time of (a); (d) reaches
1,000,000 requests/s; every engine's 10-seed mean wait is within 3% of Erlang C.

Usage: python benchmarks/engine.py [--json] [--seeds N]
"""

from __future__ import annotations

import argparse
import json
import time

import ciw
import numpy as np
import simpy

import scalelab as sl

ARRIVAL_RATE, SERVICE_RATE, SERVERS, REQUESTS = 8.0, 1.0, 10, 200_000
DURATION = REQUESTS / ARRIVAL_RATE
WARMUP = 0.1 * DURATION
EXACT_WAIT = sl.mmc(ARRIVAL_RATE, SERVICE_RATE, SERVERS).mean_wait


def hand_written_simpy(seed: int) -> tuple[float, int]:
    """The plain SimPy M/M/c model a reader would write from the SimPy docs."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, SERVERS)
    waits: list[float] = []

    def customer(arrived: float, service: float):
        with servers.request() as req:
            yield req
            if arrived >= WARMUP:
                waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        gaps = rng.exponential(1 / ARRIVAL_RATE, REQUESTS)
        services = rng.exponential(1 / SERVICE_RATE, REQUESTS)
        for gap, service in zip(gaps.tolist(), services.tolist(), strict=True):
            yield env.timeout(gap)
            env.process(customer(env.now, service))

    env.process(source())
    env.run(until=DURATION)
    return float(np.mean(waits)), REQUESTS


def scalelab_run(seed: int, engine: str) -> tuple[float, int]:
    station = sl.Station(servers=SERVERS, service=sl.Exponential(1 / SERVICE_RATE))
    result = sl.simulate(
        station, sl.Poisson(ARRIVAL_RATE), DURATION, seed=seed, warmup=WARMUP, engine=engine
    )
    return result.components["server"].mean_wait, result.counts.generated


def scalelab_general(seed: int) -> tuple[float, int]:
    return scalelab_run(seed, "simpy")


def scalelab_fast(seed: int) -> tuple[float, int]:
    return scalelab_run(seed, "fast")


def ciw_run(seed: int) -> tuple[float, int]:
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=SERVICE_RATE)],
        number_of_servers=[SERVERS],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(DURATION)
    records = sim.get_all_records()
    waits = [r.waiting_time for r in records if r.arrival_date >= WARMUP]
    return float(np.mean(waits)), len(records)


ENGINES = {
    "(a) hand-written SimPy": hand_written_simpy,
    "(b) scalelab general engine": scalelab_general,
    "(c) Ciw": ciw_run,
    "(d) scalelab fast path": scalelab_fast,
}


def timed(fn, seed: int, repeats: int) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        _, n = fn(seed)
        best = min(best, time.perf_counter() - start)
    return best, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--seeds", type=int, default=10, help="seeds for the accuracy check")
    args = parser.parse_args()

    rows = {}
    for name, fn in ENGINES.items():
        repeats = 1 if name.startswith("(c)") else 3
        seconds, n = timed(fn, 1, repeats)
        waits = [fn(seed)[0] for seed in range(1, args.seeds + 1)]
        rows[name] = {
            "seconds": seconds,
            "requests": n,
            "requests_per_s": n / seconds,
            "mean_wait": float(np.mean(waits)),
            "error_vs_erlang_c": float(np.mean(waits) / EXACT_WAIT - 1),
        }
    base = rows["(a) hand-written SimPy"]["seconds"]
    for row in rows.values():
        row["time_vs_a"] = row["seconds"] / base

    print(
        f"M/M/{SERVERS}: arrival {ARRIVAL_RATE}/s, service {SERVICE_RATE}/s, "
        f"{REQUESTS:,} requests; Erlang C mean wait {EXACT_WAIT:.4f} s"
    )
    print(
        f"{'engine':30}{'seconds':>9}{'req/s':>12}{'vs (a)':>8}"
        f"{f'wait ({args.seeds} seeds)':>18}{'error':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:30}{r['seconds']:9.3f}{r['requests_per_s']:12,.0f}{r['time_vs_a']:8.2f}"
            f"{r['mean_wait']:18.4f}{r['error_vs_erlang_c']:8.1%}"
        )

    checks = {
        "general engine <= 1.5x hand-written SimPy": rows["(b) scalelab general engine"][
            "time_vs_a"
        ]
        <= 1.5,
        "fast path >= 1,000,000 requests/s": rows["(d) scalelab fast path"]["requests_per_s"]
        >= 1_000_000,
        "every mean wait within 3% of Erlang C": all(
            abs(r["error_vs_erlang_c"]) <= 0.03 for r in rows.values()
        ),
    }
    for check, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {check}")
    if args.json:
        print(
            json.dumps(
                {
                    "erlang_c_mean_wait": EXACT_WAIT,
                    "seeds": args.seeds,
                    "engines": rows,
                    "checks": checks,
                }
            )
        )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
