"""Backoff between retries: exponential, capped, with the jitter variants of the AWS
Architecture Blog's "Exponential Backoff and Jitter" (Brooker, 2015)."""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import check_choice, check_int, check_positive, check_real

__all__ = ["JITTERS", "Backoff"]

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
