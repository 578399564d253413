"""Peak memory and time of every public lab and widget callback: the costliest call of each
module, at the sizes readers use.

Prints, per module, its slowest call and the largest peak of any of its calls.

Covers: every function in ``scalelab.labs.__all__`` at its defaults (the chapters' sizes;
the few with required arguments get the chapters' values, ``REQUIRED``), and every
widget callback of ``benchmarks/widgets.py`` over its grid (which includes every slider's
extremes). Peak memory is the largest amount of Python-allocated memory (numpy arrays
included) that ``tracemalloc`` saw above the level before the call; times are wall-clock
with tracemalloc off, on a second call. Budget (exit status 1 if missed): peak <= 500 MB
and <= 30 s per lab, peak <= 200 MB and <= 1 s per widget call.

Usage: python benchmarks/resources.py [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import time
import tracemalloc

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from widgets import WIDGETS

from scalelab import labs, live

LAB_PEAK, LAB_TIME = 500e6, 30.0
WIDGET_PEAK, WIDGET_TIME = 200e6, 1.0

REQUIRED = {
    "utilizations": {"users": 1e8, "architecture": "request-response"},
    "peak_lag": {"average": 700.0, "peak": 2100.0, "capacity": 1000.0, "peak_seconds": 3600.0},
    "batch_capacity": {"batch_size": 14, "overhead": 0.002, "per_item": 0.0002},
    "batch_run": {"load": 2000.0, "batch_size": 14},
    "units_for_p99": {"load": 5000.0, "slots": 8, "mean_service": 0.01, "p99_target": 0.1},
    "sensitivity": {
        "s": labs.Scenario(),
        "parameter": "requests_per_user_per_day",
        "values": (20, 50, 200, 1000, 5000, 20_000),
    },
    "usl_throughput": {"cores": 16, "per_core_rate": 1000.0, "contention": 0.05, "coherency": 0.0},
    "round_trip": {"km": 6000.0},
    "ttl_hit_ratio": {"read_rate": 10.0, "ttl": 1.0},
    "ttl_stale_fraction": {"read_rate": 10.0, "write_rate": 1.0, "ttl": 1.0},
    "zipf_lru_hit_ratio": {"n_keys": 10_000_000, "s": 0.8, "size": 100_000},
    "zipf_groups": {"n_keys": 10**12, "s": 0.9},
}


def measure(call) -> tuple[float, float]:
    """(seconds, peak bytes) of ``call()``: traced once (which also warms caches), then
    timed without tracemalloc; whatever it prints is discarded."""
    with contextlib.redirect_stdout(io.StringIO()):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        call()
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        start = time.perf_counter()
        call()
        seconds = time.perf_counter() - start
    plt.close("all")
    return seconds, peak


def lab_functions() -> list[str]:
    return [name for name in labs.__all__ if inspect.isfunction(getattr(labs, name))]


def _record(worst: dict, module: str, call: str, seconds: float, peak: float) -> None:
    """Keep, per module, the slowest call and the largest peak of any call."""
    slowest, top_seconds, top_peak = worst.get(module, ("", -1.0, 0.0))
    if seconds > top_seconds:
        slowest, top_seconds = call, seconds
    worst[module] = (slowest, top_seconds, max(top_peak, peak))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    worst: dict[str, tuple[str, float, float]] = {}
    ok = True
    for name in lab_functions():
        fn = getattr(labs, name)
        seconds, peak = measure(lambda fn=fn, name=name: fn(**REQUIRED.get(name, {})))
        ok &= peak <= LAB_PEAK and seconds <= LAB_TIME
        module = f"labs.{inspect.unwrap(fn).__module__.rsplit('.', 1)[-1]}"
        _record(worst, module, name, seconds, peak)
    for _chapter, callback, grid in WIDGETS:
        fn = getattr(live, callback)
        for point in grid:
            seconds, peak = measure(lambda fn=fn, point=point: fn(**point))
            ok &= peak <= WIDGET_PEAK and seconds <= WIDGET_TIME
            _record(worst, f"live.{callback}", str(point), seconds, peak)
    print(f"{'module':24}{'slowest call':46}{'seconds':>9}{'peak MB':>9}")
    for module, (call, seconds, peak) in sorted(worst.items()):
        print(f"{module:24}{call[:45]:46}{seconds:9.2f}{peak / 1e6:9.1f}")
    print("within budget" if ok else "OVER BUDGET")
    if args.json:
        print(json.dumps({"pass": ok, "worst": worst}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
