"""Plotting helpers: each takes a result and returns a matplotlib Figure.

Figures use an opaque white background so they stay readable in the site's dark mode.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .experiments import KneeCurve

__all__ = ["plot_knee"]


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height), facecolor="white", layout="constrained")
    ax.set_facecolor("white")
    ax.grid(alpha=0.3)
    return fig, ax


def plot_knee(curve: KneeCurve) -> Figure:
    """Plot simulated mean and p99 response time (points) over the exact mean (line).

    Parameters
    ----------
    curve : KneeCurve
        From :func:`scalelab.knee_curve`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure()
    ms = 1000.0
    ax.plot(curve.utilization, curve.formula_mean * ms, color="black",
            label=f"M/M/{curve.servers} formula, mean")
    ax.plot(curve.utilization, curve.simulated_mean * ms, "o", color="tab:blue",
            label="simulated, mean")
    ax.plot(curve.utilization, curve.simulated_p99 * ms, "s--", color="tab:red",
            label="simulated, p99")
    ax.set_xlabel("utilization (arrival rate / capacity)")
    ax.set_ylabel("response time (ms)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.set_title(f"{curve.servers} server(s), mean service {curve.mean_service * ms:g} ms, "
                 f"seed {curve.seed}")
    return fig
