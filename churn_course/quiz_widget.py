"""The quiz widget: one box per question, and a score that is always in sight.

It shows what the record holds (see `quiz_record`): built or re-built (re-running the cell, Run
All, a restarted kernel), each question comes back as it was left, with its option picked and
its feedback; answering anywhere (here, in another copy of the widget, or with ``answer()``)
updates the score everywhere. ipywidgets is imported only when a widget is built.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import quiz_feedback
from .quiz_bank import DIFFICULTIES, Question, find_question, load_bank
from .quiz_record import (
    attempts,
    current_answers,
    on_answer,
    record_answer,
    record_solution_shown,
    score_line,
)

if TYPE_CHECKING:
    import ipywidgets


def _widgets() -> Any:
    import ipywidgets  # only here, so reading answers never needs it

    return ipywidgets



# The quiz's own look, scoped to its classes so nothing else on the page changes.
# ipywidgets gives radio labels and HTML widgets one fixed 28 px line (to line up with
# inputs): a long option would spill over the next one and a two-line prompt looks
# double-spaced, so both get a normal line height. Code gets a block of its own.
_QUIZ_CSS = """
.quiz .quiz-options label {
  display: flex; align-items: flex-start;
  height: auto !important; line-height: 1.4 !important; padding: 2px 0;
}
.quiz .quiz-options label input { float: none; flex: none; order: -1; margin-top: 2px; }
.quiz .widget-html > .widget-html-content,
.quiz .jupyter-widget-html > .jupyter-widget-html-content {
  line-height: 1.45;
}
.quiz .quiz-question p { margin: 0 0 6px; }
.quiz .quiz-question ol, .quiz .quiz-question ul { margin: 2px 0 8px; padding-left: 24px; }
.quiz .quiz-code pre {
  background: #f4f5f7; border: 1px solid #e1e4e8; border-radius: 4px;
  padding: 8px 12px; margin: 2px 0 10px; overflow-x: auto;
  font-family: var(--jp-code-font-family, monospace); font-size: 12px; line-height: 1.4;
}
.quiz .quiz-code pre code { font-family: inherit; background: none; padding: 0; }
.quiz .quiz-score { font-weight: bold; padding: 4px 0; margin-bottom: 6px; }
.quiz .quiz-score-line { color: #444; margin-left: 12px; }
"""



#: A layout's display that shows a hidden widget: "" rather than None, which the browser's
#: Pyodide kernel drops from widget messages (JupyterLite would keep the button hidden).
_SHOWN = ""


class QuestionView:
    """The widgets of one question; attributes so tests can pick, click and read them."""

    def __init__(self, question: Question) -> None:
        w = _widgets()
        esc = html.escape
        self.question = question
        self.asked = False  # the learner pressed Show solution
        self.prompt = w.HTML(
            f"<p><b>Question {question.number}</b> <i>({esc(question.difficulty)})</i><br>"
            f"{quiz_feedback.rich(question.question)}</p>"
        ).add_class("quiz-prompt")
        parts: list[ipywidgets.Widget] = [self.prompt]
        if question.code:
            parts.append(w.HTML(f"<pre><code>{esc(question.code)}</code></pre>"))
            parts[-1].add_class("quiz-code")
        self.options = w.RadioButtons(
            options=[(f"{letter}. {text}", letter) for letter, text in question.options],
            value=None,
            layout=w.Layout(width="auto"),
        ).add_class("quiz-options")
        self.check_button = w.Button(description="Check", button_style="primary")
        self.check_button.add_class("quiz-check")
        self.hint_button = w.Button(description="Hint")
        self.hint_button.add_class("quiz-hint")
        self.solution_button = w.Button(description="Show solution",
                                        layout=w.Layout(display="none"))
        self.solution_button.add_class("quiz-show-solution")
        # HTML, not Label: a Label cuts long text with "...", and a hint must be read whole.
        self.hint = w.HTML(value="").add_class("quiz-hint-text")
        self.feedback = w.HTML(value="").add_class("quiz-feedback")
        # The quiz's one score, repeated beside every question's buttons: always in sight.
        self.score = w.HTML(value="").add_class("quiz-score-line")
        parts += [
            self.options,
            w.HBox([self.check_button, self.hint_button, self.solution_button, self.score]),
            self.hint,
            self.feedback,
        ]
        self.box = w.VBox(parts, layout=w.Layout(margin="0 0 16px 0"))
        self.box.add_class("quiz-question")
        self.box.add_class(f"quiz-{question.id}")

    def show(self, tries: list[str], notes: Iterable[str] = ()) -> None:
        """Show the question as its tries leave it (nothing, right, a second try, solution)."""
        state = quiz_feedback.state_of(self.question, tries, self.asked)
        if state == "unanswered":
            self.feedback.value = ""
            self.solution_button.layout.display = "none"
            return
        self.options.value = tries[-1]
        self.feedback.value = quiz_feedback.as_html(self.question, tries[-1], state) + "".join(
            f"<p><i>{html.escape(note)}</i></p>" for note in notes
        )
        self.solution_button.layout.display = _SHOWN if state == "retry" else "none"


class Quiz:
    """The quiz widget: one box per question, the score on top and beside every question.

    Built from the record, so re-running the cell shows the answers already given; every
    checked answer is recorded to the answers file (see :func:`quiz_record.answers_path`).
    """

    def __init__(
        self,
        questions: Iterable[int | str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        w = _widgets()
        bank = load_bank()
        if questions is None:
            chosen = list(bank)
        else:
            chosen = []
            for key in questions:
                found = find_question(key, bank)
                if found is None:
                    raise ValueError(f"no question {key!r} in the bank (1..{len(bank)})")
                chosen.append(found)
        self.questions: tuple[Question, ...] = tuple(chosen)
        self.path = path
        self.views = [QuestionView(q) for q in self.questions]
        for view in self.views:
            view.check_button.on_click(lambda _button, view=view: self._on_check(view))
            view.hint_button.on_click(lambda _button, view=view: self._on_hint(view))
            view.solution_button.on_click(lambda _button, view=view: self._on_solution(view))
        self.score = w.HTML(value="").add_class("quiz-score")
        # Hidden box, live sheet: display: none hides the widget, and a <style> applies anyway.
        style = w.HTML(f"<style>{_QUIZ_CSS}</style>", layout=w.Layout(display="none"))
        style.add_class("quiz-style")
        self.widget = w.VBox([style, self.score, *[view.box for view in self.views]])
        self.widget.add_class("quiz")
        tries = attempts(self.path)
        for view in self.views:
            view.show(tries.get(view.question.id, []))
        self._show_score()
        on_answer(self)

    @property
    def answers(self) -> dict[str, str]:
        """The current answer to each of this quiz's questions: the record's, not a copy."""
        ids = {q.id for q in self.questions}
        return {qid: letter for qid, letter in current_answers(self.path).items() if qid in ids}

    def view(self, key: int | str) -> QuestionView:
        """The view of question 1, "1" or "q1": the handle tests use to drive one question."""
        found = find_question(key, self.questions)
        if found is None:
            raise KeyError(key)
        return self.views[self.questions.index(found)]

    def _show_score(self) -> None:
        line = html.escape(score_line(self.answers, self.questions))
        for label in (self.score, *(view.score for view in self.views)):
            label.value = line

    def answered(self, question_id: str) -> None:
        """Told by the record of any answer (this widget's, another copy's, ``answer()``)."""
        for view in self.views:
            if view.question.id == question_id:
                view.show(attempts(self.path).get(question_id, []))
        self._show_score()

    def _on_check(self, view: QuestionView) -> None:
        letter = view.options.value
        if letter is None:
            view.feedback.value = "<p>Pick an option first, then press Check.</p>"
            return
        view.asked = False
        notes = record_answer(view.question, letter, self.path)
        view.show(attempts(self.path).get(view.question.id, []), notes)

    def _on_hint(self, view: QuestionView) -> None:
        view.hint.value = f"<b>Hint:</b> {quiz_feedback.rich(view.question.hint)}"

    def _on_solution(self, view: QuestionView) -> None:
        view.asked = True
        notes = record_solution_shown(view.question, self.path)
        view.show(attempts(self.path).get(view.question.id, []), notes)

    def text_fallback(self) -> str:
        """What shows where widgets can't: the same every run, so nbval can compare it."""
        counts = {d: sum(q.difficulty == d for q in self.questions) for d in DIFFICULTIES}
        spread = ", ".join(f"{n} {d}" for d, n in counts.items() if n)
        noun = "question" if len(self.questions) == 1 else "questions"
        return (
            f"Practice quiz: {len(self.questions)} {noun} ({spread}). "
            "Where widgets don't show, answer in code: answer(number, letter), "
            "e.g. answer(1, 'B') picks option B of question 1."
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text_fallback()
        return bundle

    def __repr__(self) -> str:
        return self.text_fallback()


def quiz(
    questions: Iterable[int | str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Quiz:
    """Build the quiz widget: all ten questions, or the ones named (``quiz([1, "q7"])``)."""
    return Quiz(questions, path=path)


def show_quiz(
    questions: Iterable[int | str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Display the quiz now.

    Returns None on purpose: as a cell's last line it would otherwise show twice.
    """
    from IPython.display import display

    display(quiz(questions, path=path))
