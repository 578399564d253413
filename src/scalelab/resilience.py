"""Client-side resilience: timeouts, retries with backoff, retry budgets and circuit breakers.

Backoff follows the jitter variants of the AWS Architecture Blog's "Exponential Backoff
and Jitter" (Brooker, 2015).

A :class:`Client` is passed to :func:`scalelab.simulate`; every logical request is then
tried up to ``1 + retries`` times. Server-side defences (load shedding by queue length or
by deadline, LIFO queueing) are options of :class:`~scalelab.Station` and
:class:`~scalelab.AppTier`; hedging is an option of :class:`~scalelab.FanOut`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import check_choice, check_instance, check_int, check_positive, check_real

__all__ = ["JITTERS", "Backoff", "RetryBudget", "CircuitBreaker", "Client"]

JITTERS = ("none", "full", "equal", "decorrelated")
"""Jitter variants understood by :class:`Backoff`."""


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number ``attempt`` (1 for the first retry).

    Without jitter the delay is ``min(cap, base * multiplier**(attempt - 1))``. ``"full"``
    draws uniformly in [0, that]; ``"equal"`` in [that/2, that]; ``"decorrelated"`` in
    [base, 3 x previous delay], capped.

    Parameters
    ----------
    base : float
        First delay, seconds (> 0).
    multiplier : float
        Growth per attempt, in [1, 10].
    cap : float
        Longest delay, seconds (>= base).
    jitter : str
        One of ``JITTERS``.
    """

    base: float = 0.1
    multiplier: float = 2.0
    cap: float = 10.0
    jitter: str = "full"

    def __post_init__(self) -> None:
        check_positive("base", self.base)
        check_real("multiplier", self.multiplier, low=1.0, high=10.0)
        check_real("cap", self.cap, low=self.base)
        check_choice("jitter", self.jitter, JITTERS)

    def delay(self, attempt: int, u: float, previous: float | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (>= 1), given a uniform draw ``u`` in
        [0, 1) and, for decorrelated jitter, the previous delay."""
        check_int("attempt", attempt, low=1)
        if self.jitter == "decorrelated":
            prev = self.base if previous is None else previous
            return min(self.cap, self.base + u * max(3 * prev - self.base, 0.0))
        ceiling = min(self.cap, self.base * self.multiplier ** (attempt - 1))
        if self.jitter == "none":
            return ceiling
        if self.jitter == "full":
            return u * ceiling
        return ceiling / 2 + u * ceiling / 2


@dataclass(frozen=True)
class RetryBudget:
    """A token bucket that caps retries at a fraction of first attempts (as in Finagle
    and gRPC): each first attempt adds ``ratio`` tokens, each retry spends one.

    Parameters
    ----------
    ratio : float
        Retries allowed per first attempt, in (0, 10]; 0.1 means at most ~10% extra load.
    burst : float
        Most tokens the bucket holds (>= 1); it starts full.
    """

    ratio: float = 0.1
    burst: float = 10.0

    def __post_init__(self) -> None:
        check_real("ratio", self.ratio, low=0.0, high=10.0, low_open=True)
        check_real("burst", self.burst, low=1.0)


@dataclass(frozen=True)
class CircuitBreaker:
    """Stop calling a failing dependency for a while, then probe it.

    Closed: calls go through and the last ``window`` outcomes are remembered; when at
    least ``failure_threshold`` of them failed, the breaker opens. Open: calls fail at
    once, costing the server nothing, for ``cooldown`` seconds. Half-open: ``probes``
    calls go through; a success closes the breaker, a failure opens it again.

    Parameters
    ----------
    failure_threshold : float
        Failed fraction of the window that opens the breaker, in (0, 1].
    window : int
        Outcomes remembered while closed (>= 1).
    cooldown : float
        Seconds open before probing (> 0).
    probes : int
        Trial calls allowed while half-open (>= 1).
    """

    failure_threshold: float = 0.5
    window: int = 20
    cooldown: float = 2.0
    probes: int = 1

    def __post_init__(self) -> None:
        check_real("failure_threshold", self.failure_threshold, low=0.0, high=1.0, low_open=True)
        check_int("window", self.window, low=1)
        check_positive("cooldown", self.cooldown)
        check_int("probes", self.probes, low=1)


@dataclass(frozen=True)
class Client:
    """How clients call the system.

    Parameters
    ----------
    timeout : float, optional
        Seconds an attempt may take before the client gives up on it (> 0). The server
        is not told and keeps working, unless it sheds expired work.
    retries : int
        Extra attempts after a failed one (0 to 1000).
    backoff : Backoff, optional
        Delay before each retry; None retries immediately.
    budget : RetryBudget, optional
        Caps retries across all clients.
    breaker : CircuitBreaker, optional
        Fails calls fast while the system is failing.
    """

    timeout: float | None = None
    retries: int = 0
    backoff: Backoff | None = None
    budget: RetryBudget | None = None
    breaker: CircuitBreaker | None = None

    def __post_init__(self) -> None:
        if self.timeout is not None:
            check_positive("timeout", self.timeout)
        check_int("retries", self.retries, low=0, high=1000)
        if self.backoff is not None:
            check_instance("backoff", self.backoff, Backoff, "a Backoff")
        if self.budget is not None:
            check_instance("budget", self.budget, RetryBudget, "a RetryBudget")
        if self.breaker is not None:
            check_instance("breaker", self.breaker, CircuitBreaker, "a CircuitBreaker")
