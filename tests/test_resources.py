"""Every widget callback stays small in memory at any slider position, not only at the
points the benchmark times: hypothesis draws positions within each slider's range (the
ranges of ``benchmarks/widgets.py``, which span the chapters' sliders), and tracemalloc
measures the peak. Time is measured in ``benchmarks/widgets.py`` and
``benchmarks/resources.py``, not asserted here.
"""

from __future__ import annotations

import tracemalloc

import matplotlib.pyplot as plt
import pytest
from conftest import ROOT, load_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalelab import live

WIDGET_PEAK = 200e6  # bytes


def _axis(values: list, menu: bool) -> st.SearchStrategy:
    """Any position between a slider's extremes (or any option of a menu)."""
    if menu or all(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        return st.sampled_from(sorted(set(values), key=str))
    if all(isinstance(v, int) for v in values):
        return st.integers(min(values), max(values))
    return st.floats(min(values), max(values), allow_nan=False)


def _positions(callback: str, grid: list[dict]) -> st.SearchStrategy:
    menus = BENCHMARK.MENUS.get(callback, ())
    return st.fixed_dictionaries(
        {n: _axis([point[n] for point in grid], n in menus) for n in grid[0]}
    )


BENCHMARK = load_script(ROOT / "benchmarks" / "widgets.py")
WIDGETS = BENCHMARK.WIDGETS


@pytest.mark.parametrize(
    "callback, grid", [(w[1], w[2]) for w in WIDGETS], ids=[w[1] for w in WIDGETS]
)
def test_widget_callback_memory_is_bounded_anywhere_on_its_sliders(callback, grid):
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_positions(callback, grid))
    def check(point):
        tracemalloc.start()
        try:
            getattr(live, callback)(**point)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            plt.close("all")
        assert peak < WIDGET_PEAK, f"{callback}({point}) peaked at {peak / 1e6:.0f} MB"

    check()
