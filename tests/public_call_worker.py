"""The worker process of ``test_public_bounds.py``: runs the public calls it is sent, one at
a time, and answers each with one JSON line saying how the call ended, its wall-clock
seconds, its peak resident memory above the level before it (bytes), and where its result
holds a NaN, if anywhere.

Usage: ``python public_call_worker.py LAB_BUDGET``, then one base64 pickle of ``(target,
kwargs)`` a line on stdin, ``target`` a dotted name under ``scalelab`` such as
``"labs.knee_curve"``. The labs run within ``LAB_BUDGET`` requests each instead of
``scalelab.labs._units.LAB_BUDGET``. Memory is read from ``/proc/self`` (Linux).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import operator
import os
import pickle
import re
import sys
import time

import numpy as np

import scalelab
from scalelab.labs import _units


def _status(field: str) -> int:
    """A memory figure of ``/proc/self/status``, bytes."""
    with open("/proc/self/status") as f:
        return 1024 * int(re.search(rf"^{field}:\s+(\d+)", f.read(), re.M).group(1))


def _restart_peak() -> None:
    """Restart the resident-memory high-water mark (``VmHWM``) from the current level."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def nan_in(value: object, where: str = "result") -> str | None:
    """Where ``value`` holds a NaN (e.g. ``"result.p99[3]"``), or None."""
    if isinstance(value, float):
        return where if math.isnan(value) else None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and np.isnan(value).any():
            return f"{where}{np.argwhere(np.isnan(value))[0].tolist()}"
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [(f".{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        parts = [(f"[{k!r}]", v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        parts = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    return next((w for part, v in parts if (w := nan_in(v, where + part))), None)


def run(target: str, kwargs: dict) -> dict:
    """Call ``scalelab.<target>(**kwargs)`` and describe how it went."""
    call = operator.attrgetter(target)(scalelab)
    _restart_peak()
    before = _status("VmRSS")
    start = time.perf_counter()
    nan = None
    try:
        nan = nan_in(call(**kwargs))
        ended, message = "returned", ""
    except Exception as e:  # any, MemoryError included: the test judges it
        ended, message = type(e).__name__, str(e)
    return {
        "ended": ended,
        "message": message,
        "seconds": time.perf_counter() - start,
        "peak": _status("VmHWM") - before,
        "nan": nan,
    }


def main() -> None:
    _units.LAB_BUDGET = int(sys.argv[1])
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what a call prints goes to stderr, not among the answers
    for line in sys.stdin:
        target, kwargs = pickle.loads(base64.b64decode(line))
        answers.write(json.dumps(run(target, kwargs)) + "\n")


if __name__ == "__main__":
    main()
