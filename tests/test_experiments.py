"""The functions behind the chapters' figures and widgets."""

from __future__ import annotations

import numpy as np
import pytest

import scalelab as sl
from scalelab import labs


def test_knee_curve_intervals_cover_the_formula():
    curve = labs.knee_curve(utilizations=(0.3, 0.6, 0.8), replications=8, seed=3)
    inside = np.abs(curve.simulated_mean - curve.formula_mean) <= 2 * curve.mean_half_width
    assert inside.sum() >= 2  # 95% intervals: at most one of three may miss
    np.testing.assert_allclose(curve.simulated_mean, curve.formula_mean, rtol=0.1)
    np.testing.assert_allclose(curve.simulated_p99, curve.formula_p99, rtol=0.2)
    assert labs.knee_curve(servers=2, utilizations=(0.5,), replications=2).formula_p99 is None


def test_pooling_one_queue_beats_separate_queues():
    data = labs.pooling_comparison(servers=4, utilizations=(0.5, 0.8, 0.9), seed=2)
    assert np.all(data.split_mean > 1.3 * data.pooled_mean)
    np.testing.assert_allclose(data.pooled_mean, data.pooled_formula, rtol=0.1)
    np.testing.assert_allclose(data.split_mean, data.split_formula, rtol=0.15)


def test_littles_law_check_agrees():
    check = labs.littles_law_check(rates=(30.0, 90.0), duration=300.0)
    np.testing.assert_allclose(check.in_system, check.product, rtol=0.02)
    with pytest.raises(ValueError, match="rates"):
        labs.littles_law_check(rates=(150.0,))


def test_sync_vs_async_tells_the_chapter_story():
    data = labs.sync_vs_async(seed=1)
    np.testing.assert_array_equal(data.sync.arrival, data.async_.arrival)
    rows = {name: (s, a) for name, s, a in data.rows()}
    assert rows["client p99 (ms)"][1] < rows["client p99 (ms)"][0] / 10
    assert rows["timed out (%)"][0] > 1 and rows["timed out (%)"][1] == 0
    assert rows["requests completed (%)"][1] > 99
    assert rows["work done p99 (ms)"][1] > 10 * rows["client p99 (ms)"][1]
    assert data.async_.timeseries("db.busy").values.max() <= 4


def test_chain_availability_multiplies():
    data = labs.chain_availability(max_hops=6, availability=0.95, requests=3000, seed=2)
    stderr = np.sqrt(data.formula * (1 - data.formula) / 3000)
    assert np.all(np.abs(data.simulated - data.formula) <= 4 * stderr)
    assert np.all(np.diff(data.p50) > 0)


def test_quiz_helpers():
    q = sl.quiz.numeric_question("x?", 40.0, rel_tol=0.05, explanation="because")
    low, high = q["answers"][0]["range"]
    assert (low, high) == (38.0, 42.0) and q["answers"][0]["correct"]
    assert sl.quiz.numeric_question("x?", 0.0, abs_tol=0.5)["answers"][0]["range"] == [-0.5, 0.5]
    exact = sl.quiz.numeric_question("x?", 120, rel_tol=0.0)["answers"][0]
    assert exact["type"] == "value" and exact["value"] == 120.0
    # The answer as a reader writes it, not in scientific notation.
    for value, shown in ((11_574.07, "11,574"), (71.4286, "71.43"), (0.05, "0.05")):
        feedback = sl.quiz.numeric_question("x?", value)["answers"][0]["feedback"]
        assert feedback.startswith(f"Correct: {shown}.")
    c = sl.quiz.choice_question("y?", [("a", True, "yes"), ("b", False, "no")])
    assert [a["correct"] for a in c["answers"]] == [True, False]
    with pytest.raises(ValueError, match="exactly one correct"):
        sl.quiz.choice_question("y?", [("a", True, ""), ("b", True, "")])
    with pytest.raises(ValueError, match="answer"):
        sl.quiz.numeric_question("x?", float("nan"))
    with pytest.raises(ValueError, match="questions"):
        sl.quiz.show([])


def test_quiz_show_prepares_mathjax_before_the_quiz():
    """JupyterLab's MathJax has no global typeset (JupyterQuiz would fetch one from a CDN);
    a static page's MathJax is only a configuration until it loads (JupyterQuiz would read
    its missing version). The browser tests check both in a page."""
    from unittest import mock

    import jupyterquiz.dynamic.display  # noqa: F401  (imported before it is patched)

    shown = []
    with (
        mock.patch("IPython.display.display", side_effect=shown.append),
        mock.patch("jupyterquiz.dynamic.display.display", side_effect=shown.append),
    ):
        sl.quiz.show([sl.quiz.numeric_question("x?", 1.0)])
    assert "mj.typeset = function" in shown[0].data
    assert "mj.version = ''" in shown[0].data
    assert any("show_questions" in getattr(o, "data", "") for o in shown[1:])
