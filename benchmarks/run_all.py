"""``make bench``: run every benchmark, print one summary table, fail if any misses its
budget. Each benchmark runs in its own process with ``--json``; its last line is parsed.

Usage: python benchmarks/run_all.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "engine.py",
    "broker.py",
    "labs.py",
    "widgets.py",
    "costs.py",
    "resources.py",
    "scaling.py",
    "notebooks.py",
)


def main() -> int:
    summary = []
    for script in BENCHMARKS:
        proc = subprocess.run(
            [sys.executable, str(HERE / script), "--json"], capture_output=True, text=True
        )
        print(proc.stdout.rsplit("\n", 2)[0])  # the script's own table
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            result = {"pass": False, "error": proc.stderr[-500:]}
        ok = proc.returncode == 0 and bool(
            result.get("pass", all(result.get("checks", {}).values()))
        )
        summary.append((script, ok))
        print()
    print(f"{'benchmark':16}result")
    for script, ok in summary:
        print(f"{script:16}{'within budget' if ok else 'OVER BUDGET or failed'}")
    return 0 if all(ok for _, ok in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
