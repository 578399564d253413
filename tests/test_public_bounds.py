"""Every public constructor, formula, simulation entry point (``simulate``, ``replicate``,
``hybrid``) and lab stays bounded at the ends of its documented ranges.

Hypothesis sets each argument whose docstring states a range ("in [0, 5]", "1 to
10,000", "(> 0)", "One of ``JITTERS``") to its default or to an end of that range (just
inside an open end, ``HUGE`` when there is no upper end) or to one of its choices. A worker
process started under an address-space limit (``public_call_worker.py``), with the labs'
request budget lowered so that their runs reach it fast, makes each call. A call must
return within its time and memory budget with no NaN in its result, or raise a
ValueError that names one of its arguments or is a refusal by the request budget. Any
other exception (MemoryError included), a worker that dies or a call that outlives its
time budget fails the test, which names the call.
"""

from __future__ import annotations

import base64
import inspect
import json
import math
import pickle
import re
import resource
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, load_script
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import scalelab
from scalelab import labs

load_script(ROOT / "benchmarks" / "widgets.py")  # imported by resources.py
RESOURCES = load_script(ROOT / "benchmarks" / "resources.py")

ADDRESS_SPACE = 1_500_000_000  # bytes, the worker's limit
LOWERED_BUDGET = 300_000  # requests a lab may simulate in the worker
LAB_TIME, LAB_PEAK = RESOURCES.LAB_TIME, RESOURCES.LAB_PEAK  # 30 s, 500 MB
CONSTRUCTOR_TIME, CONSTRUCTOR_PEAK = 1.0, 200e6  # seconds, bytes
HUGE = 10**9  # the end of a range documented without an upper end
REFUSAL_TIME = 3.0  # seconds to refuse an argument: room for a loaded 2-core CI machine

WORKER = Path(__file__).with_name("public_call_worker.py")

# What a call needs besides its defaults: the labs' values are the benchmark's.
ARGUMENTS = {
    **RESOURCES.REQUIRED,
    "Bimodal": {"fast": 0.005, "slow": 0.1, "slow_fraction": 0.05},
    "Deterministic": {"mean": 0.01},
    "Exponential": {"mean": 0.01},
    "LogNormal": {"mean": 0.01},
    "Burst": {"requests": 100},
    "ClosedLoop": {"clients": 10},
    "Diurnal": {"mean": 100.0},
    "Poisson": {"rate": 100.0},
    "Spike": {"base": 100.0, "peak": 300.0, "start": 10.0, "length": 5.0},
    "Step": {"before": 100.0, "after": 300.0, "at": 10.0},
    "Uniform": {"n_keys": 1000},
    "Zipf": {"n_keys": 1000},
    "Service": {"name": "api"},
    "Chain": {"services": (scalelab.Service("api"),)},
    "GroupChange": {"at": 10.0, "action": "join"},
    "Replay": {"at": 10.0, "to_offset": 0},
    "Retention": {"messages": 1000},
    "simulate": {
        "system": scalelab.Station(),
        "workload": scalelab.Poisson(100.0),
        "duration": 10.0,
        "seed": 1,
    },
    "replicate": {
        "system": scalelab.Station(),
        "workload": scalelab.Poisson(100.0),
        "duration": 10.0,
        "seed": 1,
    },
    "hybrid": {"mode": "async", "app": scalelab.AppTier(), "db": scalelab.Database()},
    "lru_hit_ratio": {"probabilities": scalelab.Zipf(1000).probabilities(), "size": 100},
    "stale_read_fraction": {
        "probabilities": scalelab.Zipf(1000).probabilities(),
        "write_rate": 100.0,
        "mean_lag": 0.1,
    },
}
_M1 = {"arrival_rate": 8.0, "service_rate": 10.0}  # the formulas' required arguments
_MC = {"arrival_rate": 8.0, "service_rate": 1.0, "servers": 10}
ARGUMENTS |= {
    "mm1": _M1,
    "md1": _M1,
    "mm1_response_quantile": {**_M1, "q": 0.99},
    "mmc": _MC,
    "mmc_wait_quantile": {**_MC, "q": 0.99},
    "mmc_response_quantile": {**_MC, "q": 0.99},
    "erlang_c": {"servers": 10, "offered_load": 8.0},
}
SIMULATIONS = {"simulate", "replicate"}
"""Functions that simulate: their time and memory budgets are a lab's."""
NOT_CALLS = {"request_budget"}
"""Public functions that are not calls with a result (a context manager)."""

# A documented number: 0.5, 1e-3, 20,000 or ``MAX_SERVERS - 1``.
NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:e-?\d+)?|``MAX_\w+(?: - 1)?``)"
INTERVAL = re.compile(rf"([\[(])({NUMBER}), ({NUMBER})([\])])")  # in [0, 1), (0, 20,000]
SPAN = re.compile(rf"(?<![\w.])({NUMBER}) to ({NUMBER})")  # 1 to ``MAX_KEYS``
LOWER = re.compile(rf"(?<![\w<])(>=?) ?({NUMBER})")  # (> 0), each >= 1
CHOICES = re.compile(r"one of ``([A-Z_]+)``", re.I)
# The request budget's refusal and simulate's per-run cap (scalelab/run.py).
REFUSAL = re.compile(r"would simulate more than|per run \(simulate one unit")


def _number(text: str) -> float:
    text = text.strip("`")
    if text.startswith("MAX_"):
        name, _, minus = text.partition(" - ")
        return getattr(scalelab, name) - int(minus or 0)
    return float(text.replace(",", ""))


def documented(call: object) -> dict[str, tuple[str, str]]:
    """``{parameter: (type, description)}`` from the numpydoc Parameters section."""
    section = (inspect.getdoc(call) or "").partition("Parameters\n----------\n")[2]
    section = re.split(r"\n\S[^\n]*\n-{3,}\n", section)[0]
    found: dict[str, tuple[str, list[str]]] = {}
    names: list[str] = []
    for line in section.splitlines():
        if line and not line.startswith(" "):
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",")]
            found.update({n: (kind, []) for n in names})
        else:
            for n in names:
                found[n][1].append(line.strip())
    return {n: (kind, " ".join(lines)) for n, (kind, lines) in found.items()}


def ends(kind: str, text: str) -> list:
    """The values at the ends of the first range ``text`` states (none if it states none)."""
    if m := INTERVAL.search(text):
        low, high, low_open, high_open = _number(m[2]), _number(m[3]), m[1] == "(", m[4] == ")"
    elif m := SPAN.search(text):
        low, high, low_open, high_open = _number(m[1]), _number(m[2]), False, False
    elif m := LOWER.search(text):
        low, high, low_open, high_open = _number(m[2]), math.inf, m[1] == ">", True
    else:
        return []
    if re.search(r"\bint\b", kind):
        return [int(low) + low_open, int(high) - high_open if high < math.inf else HUGE]
    return [
        low + 1e-6 * max(1.0, abs(low)) if low_open else low,
        float(HUGE) if high == math.inf else high - 1e-6 * max(1.0, high) * high_open,
    ]


def _call(target: str) -> object:
    return getattr(labs if target.startswith("labs.") else scalelab, target.split(".")[-1])


def arguments(target: str) -> st.SearchStrategy[dict]:
    """Keyword arguments for ``target``: the ones it needs (``ARGUMENTS``), and each one
    with a documented range or choices at its default, at an end or at a choice."""
    call = _call(target)
    needed = ARGUMENTS.get(target.split(".")[-1], {})
    docs = documented(call)
    drawn = {}
    for name, parameter in inspect.signature(call).parameters.items():
        kind, text = docs.get(name, ("", ""))
        if not kind and isinstance(parameter.default, int):
            kind = "int"
        if m := CHOICES.search(text):
            options = list(getattr(labs, m[1], None) or getattr(scalelab, m[1]))
        else:
            options = [(v,) if kind.startswith("tuple") else v for v in ends(kind, text)]
        if name in needed:
            options = [needed[name], *options]
        elif parameter.default is not inspect.Parameter.empty:
            options = [parameter.default, *options]
        values = []
        for v in options:
            if not any(type(v) is type(w) and v == w for w in values):
                values.append(v)
        if len(values) > 1 or name in needed:
            drawn[name] = st.sampled_from(values)
    return st.fixed_dictionaries(drawn)


def _targets() -> list[str]:
    """Every class and function of ``scalelab`` and ``scalelab.labs`` that takes
    documented parameters (the theory's formulas, ``simulate``, ``replicate``, ``hybrid``
    and every lab among them)."""
    found = []
    for prefix, space in (("", scalelab), ("labs.", labs)):
        for name in space.__all__:
            member = getattr(space, name)
            callable_ = inspect.isclass(member) or inspect.isfunction(member)
            documented = callable_ and "Parameters\n---" in (inspect.getdoc(member) or "")
            lab = prefix and inspect.isfunction(member)
            if (documented and name not in NOT_CALLS) or lab:
                found.append(prefix + name)
    return found


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


class Worker:
    """The worker process: started on first use and again after a call kills it or
    outlives its time."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def call(self, target: str, kwargs: dict, timeout: float) -> dict:
        """The worker's answer for ``target(**kwargs)``, or an ``ended`` that says why
        there is none."""
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, str(WORKER), str(LOWERED_BUDGET)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log.open("a"),
                text=True,
                preexec_fn=_limit_memory,
            )
        self.process.stdin.write(base64.b64encode(pickle.dumps((target, kwargs))).decode() + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        code = self.process.poll()
        self.stop()
        if code is None:
            return {"ended": f"no answer within {timeout:.0f} s", "message": ""}
        last = self.log.read_text().strip().splitlines()[-1:]
        return {"ended": f"the worker died (exit status {code})", "message": " ".join(last)}


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Worker:
    running = Worker(tmp_path_factory.mktemp("worker") / "stderr.txt")
    yield running
    running.stop()


@pytest.mark.parametrize("target", _targets())
def test_a_public_call_at_the_ends_of_its_documented_ranges_is_bounded(target, worker):
    lab = target in SIMULATIONS or (
        target.startswith("labs.") and inspect.isfunction(inspect.unwrap(_call(target)))
    )
    seconds, peak = (LAB_TIME, LAB_PEAK) if lab else (CONSTRUCTOR_TIME, CONSTRUCTOR_PEAK)
    names = inspect.signature(_call(target)).parameters

    @settings(
        max_examples=6 if lab else 15,
        deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),  # no shrinking: slow calls
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(arguments(target))
    def check(kwargs):
        call = f"{target}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        answer = worker.call(target, kwargs, timeout=2 * seconds + 10)
        ended, message = answer["ended"], answer["message"]
        assert ended in ("returned", "ValueError"), f"{call} ended with {ended}: {message}"
        assert answer["seconds"] <= seconds, f"{call} took {answer['seconds']:.1f} s"
        assert answer["peak"] <= peak, f"{call} peaked at {answer['peak'] / 1e6:.0f} MB"
        if ended == "returned":
            assert answer["nan"] is None, f"{call} returned a NaN at {answer['nan']}"
        elif not REFUSAL.search(message):
            named = any(re.search(rf"(?<![\w.]){n}\b", message) for n in names)
            assert named, f"{call}: {message!r} names no argument"
            assert answer["seconds"] <= REFUSAL_TIME, (
                f"{call} took {answer['seconds']:.1f} s to refuse"
            )

    check()
