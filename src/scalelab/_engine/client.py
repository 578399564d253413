"""The client side of a run: attempts, timeouts, retries, retry budget, circuit breaker.

``client_calls`` wraps a system's per-attempt handler ``handle(rid, deadline)`` into the
per-request process the drivers start; it alone decides each request's final status.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable

from ..resilience import CircuitBreaker, Client, RetryBudget
from .core import COMPLETED, FAILED, IN_FLIGHT, TIMED_OUT, Process, Run
from .streams import UNIFORM, Draws

Handler = Callable[[int, float | None], Process]


class Budget:
    """Token bucket: first attempts deposit ``ratio``, retries withdraw 1."""

    def __init__(self, config: RetryBudget) -> None:
        self.config = config
        self.tokens = config.burst

    def deposit(self) -> None:
        self.tokens = min(self.config.burst, self.tokens + self.config.ratio)

    def withdraw(self) -> bool:
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Breaker:
    """Closed / open / half-open, as described in :class:`~scalelab.CircuitBreaker`."""

    def __init__(self, config: CircuitBreaker, stats: dict[str, float]) -> None:
        self.config = config
        self.stats = stats
        self.state = "closed"
        self.outcomes: deque[bool] = deque(maxlen=config.window)
        self.opened_at = 0.0
        self.probes = 0

    def allow(self, now: float) -> bool:
        if self.state == "open":
            if now < self.opened_at + self.config.cooldown:
                return False
            self.state, self.probes = "half_open", 0
        if self.state == "half_open":
            if self.probes >= self.config.probes:
                return False
            self.probes += 1
        return True

    def record(self, now: float, ok: bool) -> None:
        if self.state == "half_open":
            if ok:
                self.state = "closed"
                self.outcomes.clear()
            else:
                self._open(now)
            return
        if self.state == "open":  # a call admitted before the breaker opened
            return
        self.outcomes.append(ok)
        window = self.config.window
        if (
            len(self.outcomes) == window
            and self.outcomes.count(False) >= self.config.failure_threshold * window
        ):
            self._open(now)

    def _open(self, now: float) -> None:
        self.state = "open"
        self.opened_at = now
        self.outcomes.clear()
        self.stats["breaker.opened"] += 1


def client_calls(run: Run, handle: Handler, client: Client | None) -> Callable[[int], Process]:
    """The per-request process: one attempt without a client policy, else attempts with
    timeouts, retries, a budget and a breaker; records the final status."""
    env = run.env
    done = run.done
    if client is None:

        def plain(rid: int) -> Process:
            status = yield from handle(rid, None)
            done(rid, status)
            return status

        return plain

    timeout = client.timeout
    if client.retries == 0 and client.breaker is None and client.budget is None:
        return deadline_only(run, handle, timeout)
    stats = {
        "client.attempts": 0.0,
        "client.retries": 0.0,
        "client.budget_denied": 0.0,
        "breaker.rejected": 0.0,
        "breaker.opened": 0.0,
    }
    breaker = Breaker(client.breaker, stats) if client.breaker else None
    budget = Budget(client.budget) if client.budget else None
    jitter = Draws(UNIFORM, run.stream("client.backoff"))
    order = itertools.count()
    run.finalizers.append(lambda: run.counters.update(stats))

    def attempt(rid: int) -> Process:
        if breaker is not None and not breaker.allow(env.now):
            stats["breaker.rejected"] += 1
            return FAILED
        stats["client.attempts"] += 1
        if timeout is None:
            status = yield from handle(rid, None)
        else:
            proc = env.process(handle(rid, env.now + timeout))
            yield proc | env.timeout(timeout)
            status = proc.value if proc.triggered else TIMED_OUT
        if breaker is not None:
            breaker.record(env.now, status == COMPLETED)
        return status

    def call(rid: int) -> Process:
        if budget is not None:
            budget.deposit()
        tries, previous = 0, None
        while True:
            tries += 1
            status = yield from attempt(rid)
            if status == COMPLETED or tries > client.retries:
                break
            if budget is not None and not budget.withdraw():
                stats["client.budget_denied"] += 1
                break
            stats["client.retries"] += 1
            if client.backoff is not None:
                previous = client.backoff.delay(tries, jitter[next(order)], previous)
                yield env.timeout(previous)
        done(rid, status)
        return status

    return call


def deadline_only(run: Run, handle: Handler, timeout: float) -> Callable[[int], Process]:
    """A client that only times out, without a process per attempt: the request runs
    inline and, if it ends after its deadline, counts as timed out at the deadline.
    Requests still running past their deadline when the run ends are settled the same way
    by a finalizer, so the outcome equals the general path's exactly."""
    env = run.env
    run.finalizers.append(
        lambda: run.counters.update(
            {"client.attempts": float(len(run.arrival)), "client.retries": 0.0}
        )
    )

    def call(rid: int) -> Process:
        deadline = env.now + timeout
        status = yield from handle(rid, deadline)
        if env.now > deadline:
            run.done(rid, TIMED_OUT, at=deadline)
        else:
            run.done(rid, status)
        return status

    def settle_overdue() -> None:
        for rid, arrived in enumerate(run.arrival):
            if run.status[rid] == IN_FLIGHT and arrived + timeout < run.duration:
                run.done(rid, TIMED_OUT, at=arrived + timeout)

    run.finalizers.append(settle_overdue)
    return call
