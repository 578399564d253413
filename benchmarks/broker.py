"""Broker benchmark: scalelab's event-driven engine against a hand-written SimPy model.

Covers: 16 partitions, 8 consumers (two partitions each), 200,000 events at 1,000/s,
round-robin routing, appends at 10,000/s per partition with a 2 ms acknowledgement,
exponential processing of 6.4 ms (consumers 80% busy).
Scenario: (a) the model written directly in SimPy (a Resource per partition, a Store
per consumer), (b) ``scalelab.simulate`` on the equivalent ``EventDriven`` system, which
also keeps offsets, commits, lag and the read model. Prints time, events/s, the ratio
(b)/(a) for one seed (best of three), and both models' mean end-to-end latency.

Target (exit status 1 if missed): (b) takes at most 1.5x the time of (a).

Usage: python benchmarks/broker.py [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import simpy

import scalelab as sl

PARTITIONS, CONSUMERS, EVENTS, RATE = 16, 8, 200_000, 1000.0
APPEND_RATE, ACK, PROCESSING = 10_000.0, 0.002, 0.0064
DURATION = EVENTS / RATE


def hand_written(seed: int) -> tuple[float, int]:
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    partitions = [simpy.Resource(env, 1) for _ in range(PARTITIONS)]
    inboxes = [simpy.Store(env) for _ in range(CONSUMERS)]
    latencies: list[float] = []
    processing = rng.exponential(PROCESSING, EVENTS)

    def produce(i: int):
        produced = env.now
        p = i % PARTITIONS
        with partitions[p].request() as req:
            yield req
            yield env.timeout(1 / APPEND_RATE)
        yield env.timeout(ACK)
        inboxes[p % CONSUMERS].put((i, produced))

    def consume(inbox: simpy.Store):
        while True:
            i, produced = yield inbox.get()
            yield env.timeout(processing[i])
            latencies.append(env.now - produced)

    def source():
        for i, gap in enumerate(rng.exponential(1 / RATE, EVENTS).tolist()):
            yield env.timeout(gap)
            env.process(produce(i))

    for inbox in inboxes:
        env.process(consume(inbox))
    env.process(source())
    env.run(until=DURATION)
    return float(np.mean(latencies)), EVENTS


SYSTEM = sl.EventDriven(
    broker=sl.Broker(
        partitions=PARTITIONS,
        partition_throughput=APPEND_RATE,
        append_latency=ACK,
        routing="round_robin",
    ),
    consumers=sl.ConsumerGroup(consumers=CONSUMERS, processing=sl.Exponential(PROCESSING)),
    network=0.0,
)


def scalelab_run(seed: int) -> tuple[float, int]:
    result = sl.simulate(SYSTEM, sl.Poisson(RATE), DURATION, seed=seed, warmup=0.0)
    return result.completion.mean, result.counts.generated


def best_of(fn, repeats: int = 3) -> tuple[float, float, int]:
    best, value, n = float("inf"), 0.0, 0
    for _ in range(repeats):
        start = time.perf_counter()
        value, n = fn(1)
        best = min(best, time.perf_counter() - start)
    return best, value, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    rows = {}
    for name, fn in (("(a) hand-written SimPy", hand_written), ("(b) scalelab", scalelab_run)):
        seconds, latency, n = best_of(fn)
        rows[name] = {
            "seconds": seconds,
            "events": n,
            "events_per_s": n / seconds,
            "mean_end_to_end": latency,
        }
    ratio = rows["(b) scalelab"]["seconds"] / rows["(a) hand-written SimPy"]["seconds"]
    print(f"{PARTITIONS} partitions, {CONSUMERS} consumers, {EVENTS:,} events at {RATE:g}/s")
    print(f"{'model':26}{'seconds':>9}{'events/s':>12}{'mean end-to-end (s)':>22}")
    for name, r in rows.items():
        print(f"{name:26}{r['seconds']:9.3f}{r['events_per_s']:12,.0f}{r['mean_end_to_end']:22.4f}")
    ok = ratio <= 1.5
    print(f"{'PASS' if ok else 'FAIL'}  scalelab / hand-written = {ratio:.2f} (target <= 1.5)")
    if args.json:
        print(json.dumps({"models": rows, "ratio": ratio, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
