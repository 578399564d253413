"""The house style every figure shares: an opaque white background (readable in the
site's dark mode), a light grid, and log axes labelled with plain numbers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter


def figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, Axes]:
    """One white panel."""
    fig, ax = plt.subplots(figsize=(width, height), facecolor="white", layout="constrained")
    ax.set_facecolor("white")
    ax.grid(alpha=0.3)
    # Closed at once: the caller displays the returned figure, so notebooks never show a
    # figure twice (once as the value, once from pyplot's list of open figures).
    plt.close(fig)
    return fig, ax


def panels(ncols: int, width: float, height: float, **kw: object) -> tuple[Figure, list]:
    """``ncols`` white panels in a row (or ``nrows=`` rows), returned as a flat list."""
    fig, axes = plt.subplots(
        1 if "nrows" not in kw else kw.pop("nrows"),
        ncols,
        figsize=(width, height),
        facecolor="white",
        layout="constrained",
        **kw,
    )
    plt.close(fig)
    axes = list(np.ravel(axes))
    for ax in axes:
        ax.set_facecolor("white")
        ax.grid(alpha=0.3)
    return fig, axes


def to_ms(seconds: np.ndarray) -> np.ndarray:
    """Seconds to milliseconds, as a float array."""
    return np.asarray(seconds, dtype=float) * 1000


def plain(x: float) -> str:
    """10, 1,000, 1,000,000 and 0.5, never 1e+06."""
    return f"{x:,.0f}" if x >= 1 and x == round(x) else f"{x:,g}"


class _PlainLogFormatter(LogFormatter):
    """Minor log ticks as plain numbers (200, 300, ...), labelled only when the axis
    spans less than a decade (matplotlib's ``minor_thresholds``), so a narrow range
    still has readable ticks."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return plain(x)


def log_scale(ax: Axes, axis: str = "y") -> None:
    """Log scale labelled with plain numbers (10, 100, 1,000) rather than powers; an axis
    spanning less than a decade also labels its minor ticks."""
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda x, _: plain(x)))
    target.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def formula_marks(ax: Axes, values: list, y: np.ndarray, label: str | None = "formula") -> None:
    """A black tick on a horizontal bar chart where a formula gives the bar's value (a
    None value has no formula and no tick); ``label`` for the legend, None for none."""
    known = [(v, yi) for v, yi in zip(values, y, strict=True) if v is not None]
    if known:
        xs, ys = zip(*known, strict=True)
        ax.plot(xs, ys, "k|", markersize=16, mew=2, label=label)
