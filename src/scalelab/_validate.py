"""Argument checks shared by every public constructor and function.

Each check raises :class:`ValueError` naming the parameter, the value given and the
allowed range, so a reader who mistypes a slider value learns what to change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number inside the given range."""
    low_bracket = "(" if low_open else "["
    high_bracket = ")" if high_open else "]"
    allowed = f"{low_bracket}{low:g}, {high:g}{high_bracket}"
    if not _is_real(value) or math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name}={value!r} is not a finite number; allowed range {allowed}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        raise ValueError(f"{name}={value!r} is outside the allowed range {allowed}")
    return value


def check_positive(name: str, value: object) -> float:
    """Return ``value`` if it is a finite number > 0."""
    return check_real(name, value, low=0.0, low_open=True)


def check_non_negative(name: str, value: object) -> float:
    """Return ``value`` if it is a finite number >= 0."""
    return check_real(name, value, low=0.0)


def check_probability(name: str, value: object) -> float:
    """Return ``value`` if it lies in [0, 1]."""
    return check_real(name, value, low=0.0, high=1.0)


def check_int(name: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """Return ``value`` if it is an integer in ``[low, high]``."""
    allowed = f"[{low}, {high if high is not None else 'inf'}]"
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not an integer; allowed range {allowed}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name}={value!r} is outside the allowed range {allowed}")
    return value


def check_optional(name: str, value: object, check: object, *args: object, **kw: object) -> None:
    """Apply ``check(name, value, *args, **kw)`` unless ``value`` is None (left unset)."""
    if value is not None:
        check(name, value, *args, **kw)


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")
    return value  # type: ignore[return-value]


def check_instance(name: str, value: object, kinds: type | tuple[type, ...], what: str) -> None:
    """Raise if ``value`` is not an instance of ``kinds``; ``what`` describes the allowed kinds."""
    if not isinstance(value, kinds):
        raise ValueError(f"{name}={value!r} is not {what}")


def check_kind(name: str, value: object, kinds: tuple[type, ...], noun: str) -> None:
    """Raise unless ``value`` is one of ``kinds``; the message lists them, e.g. "a
    Poisson, ClosedLoop or Burst workload"."""
    names = [k.__name__ for k in kinds]
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    check_instance(name, value, kinds, f"a {listed} {noun}")


def check_ints(
    name: str, values: Iterable[object], low: int = 0, high: int | None = None
) -> tuple[int, ...]:
    """Return ``values`` as a non-empty tuple of integers, each in ``[low, high]``."""
    values = tuple(values)
    if not values:
        raise ValueError(f"{name}=() is empty; give at least one value")
    return tuple(check_int(f"{name}[{i}]", v, low=low, high=high) for i, v in enumerate(values))


def check_reals(
    name: str,
    values: Iterable[object],
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> tuple[float, ...]:
    """Return ``values`` as a non-empty tuple of floats, each inside the given range."""
    values = tuple(values)
    if not values:
        raise ValueError(f"{name}=() is empty; give at least one value")
    return tuple(
        check_real(f"{name}[{i}]", v, low=low, high=high, low_open=low_open, high_open=high_open)
        for i, v in enumerate(values)
    )


def check_bins(duration: float, bin_width: object) -> float:
    """Return ``bin_width`` if it cuts ``duration`` into at most 1,000,000 bins (the limit
    of :meth:`~scalelab.SimulationResult.timeseries`), checked before a lab simulates."""
    return check_real("bin_width", bin_width, low=duration / 1_000_000, high=math.inf)


def check_labels(name: str, values: tuple[str, ...] | None, known: tuple[str, ...]) -> tuple:
    """``values`` (default: all of ``known``) as a tuple, each one of ``known``."""
    chosen = known if values is None else tuple(values) if not isinstance(values, str) else ()
    if not chosen:
        raise ValueError(f"{name}={values!r}: give a non-empty tuple of {list(known)}")
    for v in chosen:
        check_choice(name, v, known)
    return chosen
