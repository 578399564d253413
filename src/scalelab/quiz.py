"""Self-check questions that grade themselves in the reader's browser: on the static page
with no kernel, and in JupyterLab or Colab.

The helpers build question dictionaries in JupyterQuiz's format; a chapter passes a list
of them to :func:`show`, which renders them with JupyterQuiz as HTML and JavaScript.
Numeric answers are computed by the chapter (so they follow the simulator) and accepted
within a tolerance.
"""

from __future__ import annotations

from ._validate import check_non_negative, check_real

__all__ = ["numeric_question", "choice_question", "show"]

# JupyterQuiz typesets its questions with the page's MathJax (they hold no math, so doing
# nothing is enough). Two cases would break a page:
# - a static page holds only MathJax's configuration until the deferred CDN script runs;
#   JupyterQuiz then reads ``MathJax.version[0]`` 500 ms later and throws if MathJax is
#   still loading or blocked (offline). An empty ``version`` makes it skip typesetting,
#   and MathJax still treats the object as its configuration (it checks ``!version``).
# - JupyterLab 4 loads a MathJax 3 without the global ``typeset``; JupyterQuiz then fetches
#   one from a CDN, which fails offline. A ``typeset`` that does nothing avoids that.
_MATHJAX_TYPESET = (
    "(function (mj) { if (!mj) { return; } "
    "if (!mj.version) { mj.version = ''; } "
    "else if (!mj.typeset) { mj.typeset = function () {}; } })(window.MathJax);"
)


def numeric_question(
    question: str, answer: float, rel_tol: float = 0.05, abs_tol: float = 0.0, explanation: str = ""
) -> dict:
    """A question whose answer is a number, accepted within a tolerance.

    Parameters
    ----------
    question : str
        The question text (Markdown allowed by JupyterQuiz).
    answer : float
        The correct value.
    rel_tol : float
        Relative tolerance, in [0, 1].
    abs_tol : float
        Absolute tolerance (>= 0); the accepted range is the wider of the two.
    explanation : str
        Shown with the feedback, right or wrong.

    Returns
    -------
    dict
        A JupyterQuiz numeric question.
    """
    value = check_real("answer", answer)
    check_real("rel_tol", rel_tol, low=0.0, high=1.0)
    check_non_negative("abs_tol", abs_tol)
    half = max(abs(value) * rel_tol, abs_tol)
    note = f" {explanation}" if explanation else ""
    # JupyterQuiz's ranges exclude their upper end, so an exact answer is a "value".
    accepted = (
        {"type": "range", "range": [value - half, value + half]}
        if half > 0
        else {"type": "value", "value": value}
    )
    return {
        "question": question,
        "type": "numeric",
        "precision": 4,
        "answers": [
            {**accepted, "correct": True, "feedback": f"Correct: {_readable(value)}.{note}"},
            {"type": "default", "feedback": f"Not quite; try again.{note}"},
        ],
    }


def _readable(value: float) -> str:
    """``value`` as a reader writes it: 11,574 and 19,800, not 1.157e+04; 71.43, 0.05."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def choice_question(question: str, options: list[tuple[str, bool, str]]) -> dict:
    """A multiple-choice question with feedback per option.

    Parameters
    ----------
    question : str
        The question text.
    options : list of (str, bool, str)
        ``(answer text, is it correct, feedback)``; exactly one must be correct.

    Returns
    -------
    dict
        A JupyterQuiz multiple-choice question.
    """
    correct = [o for o in options if o[1]]
    if len(options) < 2 or len(correct) != 1:
        raise ValueError(
            f"options has {len(options)} options and {len(correct)} correct; "
            "give at least two options with exactly one correct"
        )
    return {
        "question": question,
        "type": "multiple_choice",
        "answers": [
            {"answer": text, "correct": ok, "feedback": feedback} for text, ok, feedback in options
        ],
    }


def show(questions: list[dict]) -> None:
    """Display ``questions`` (from :func:`numeric_question` and :func:`choice_question`),
    answers in the order given, graded in the reader's browser.

    Parameters
    ----------
    questions : list of dict
        At least one question.
    """
    if not isinstance(questions, list) or not questions:
        raise ValueError(f"questions={questions!r}: give a non-empty list of questions")
    from IPython.display import Javascript, display
    from jupyterquiz import display_quiz

    display(Javascript(_MATHJAX_TYPESET))
    display_quiz(questions, shuffle_answers=False)
