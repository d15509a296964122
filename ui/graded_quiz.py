"""A document's quiz placed as a graded activity: the page a student answers it on (no key in
it, nor in its field names), scored here; a student's first attempt is the graded one, its score
sent to the course's gradebook (ui/grades.py), and every attempt's result shown item by item with
the passage each answer stands on.
"""

from __future__ import annotations

import hashlib
import html

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from qa.assembly import Archive
from qa.errors import ArchiveQAError
from qa.study import StudyPack
from qa.study.quiz import LETTERS
from ui.courses import CSRF_HEADER, Course, Sessions, plain_page, seen_by
from ui.grades import Gradebook, Recorded, Score, handed_in_now

_SAID = {
    "sent": "This first attempt is graded: its score is in the course's gradebook.",
    "waiting": "This first attempt is graded. The course's gradebook did not answer: the score "
    "will reach it when it does.",
    "failed": "This first attempt is graded, but the course's gradebook refused its score: "
    "tell your teacher.",
}


def quiz_pack(archive: Archive, course: Course) -> StudyPack | None:
    """The study materials, as the course's teacher left them, of the document whose quiz the
    session's link places (None if it places none of the course's)."""
    kind, _, document_id = course.place.partition(":")
    library = seen_by(archive.library, course)
    own = kind == "quiz" and library.is_own(document_id)  # no one else has its key
    document = library.document(document_id) if own else None
    return archive.study_as_edited(document, course.collection) if document else None


def serve_graded_quiz(
    app: FastAPI, sessions: Sessions, archive: Archive, gradebook: Gradebook
) -> None:
    """Put ``/lti/quiz/`` on `app`: the quiz (GET) and its handing in (POST)."""

    @app.api_route("/lti/quiz/", methods=["GET", "POST"], include_in_schema=False)
    async def quiz(request: Request) -> HTMLResponse:
        course = sessions.course_of(request.cookies)
        pack = await run_in_threadpool(quiz_pack, archive, course) if course else None
        if course is None or pack is None or not pack.quiz:
            return plain_page("No quiz here", "<p>Open the quiz from the course's page.</p>", 401)
        if request.method == "GET":
            graded = await run_in_threadpool(_graded, gradebook, course)
            return plain_page(f"Quiz: {pack.title}", _quiz_form(pack, course, graded))
        form = {k: str(v) for k, v in (await request.form()).items()}
        return await _hand_in(course, pack, form, gradebook)


async def _hand_in(
    course: Course, pack: StudyPack, form: dict[str, str], gradebook: Gradebook
) -> HTMLResponse:
    """The result of an attempt handed in; a student's first attempt at a graded link is
    graded (sent to the gradebook once)."""
    try:
        course.check_sent({CSRF_HEADER: form.get("csrf", "")})
    except ArchiveQAError as exc:
        return plain_page("Not handed in", f"<p>{html.escape(str(exc))}</p>", 403)
    if form.get("version") != _version(pack):
        changed = "<p>The quiz changed since you opened it: <a href='/lti/quiz/'>open it again"
        return plain_page("Not handed in", changed + "</a>.</p>", 409)
    chosen = [form.get(f"q{n}", "") for n in range(1, len(pack.quiz) + 1)]
    right = sum(c == item.letter for c, item in zip(chosen, pack.quiz, strict=True))
    said = "This attempt is practice: no score was sent."
    if course.lineitem is not None:
        score = Score(course.lineitem, right, len(pack.quiz), handed_in_now())
        graded = await run_in_threadpool(gradebook.hand_in, score)
        said = _SAID[graded.status] if graded.score == score else _practice(graded)
    return plain_page(f"Quiz: {pack.title}", _result(pack, chosen, right, said))


def _graded(gradebook: Gradebook, course: Course) -> Recorded | None:
    return gradebook.graded(course.lineitem) if course.lineitem else None


def _version(pack: StudyPack) -> str:
    """The quiz as it was shown: a form answers that version of it, and no other."""
    shown = [(item.prompt, item.choices) for item in pack.quiz]
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def _quiz_form(pack: StudyPack, course: Course, graded: Recorded | None) -> str:
    items = "".join(
        f"<li><p>{html.escape(item.prompt)}</p>"
        + "".join(
            f"<label><input type='radio' name='q{n}' value='{letter}'> <b>{letter}.</b> "
            f"{html.escape(choice)}</label><br>"
            for letter, choice in zip(LETTERS, item.choices, strict=False)
        )
        + "</li>"
        for n, item in enumerate(pack.quiz, start=1)
    )
    practice = f"<p>{html.escape(_practice(graded))}</p>" if graded else ""
    return (
        f"{practice}<p>{len(pack.quiz)} questions on <bdi>{html.escape(pack.title)}</bdi>. "
        "Choose one answer each, then hand it in.</p><form method='post' action='/lti/quiz/'>"
        f"<ol>{items}</ol><input type='hidden' name='csrf' value='{html.escape(course.csrf)}'>"
        f"<input type='hidden' name='version' value='{_version(pack)}'>"
        "<button type='submit'>Hand it in</button></form>"
    )


def _practice(graded: Recorded) -> str:
    given, maximum = graded.score.given, graded.score.maximum
    return f"Your first attempt is the graded one ({given} of {maximum}): this one is practice."


def _result(pack: StudyPack, chosen: list[str], right: int, said: str) -> str:
    items = []
    for item, choice in zip(pack.quiz, chosen, strict=True):
        verdict = "Right" if choice == item.letter else f"Not quite (you chose {choice or 'none'})"
        items.append(
            f"<li><p>{html.escape(item.prompt)}</p><p><strong>{html.escape(verdict)}</strong>: "
            f"{item.letter}. {html.escape(item.answer)}</p><blockquote>"
            f"{html.escape(item.source.quote)}</blockquote><small>"
            f"{html.escape(item.source.citation or item.source.title)}</small></li>"
        )
    return (
        f"<p class='score'>You answered {right} of {len(pack.quiz)} right.</p>"
        f"<p>{html.escape(said)}</p><ol>{''.join(items)}</ol>"
    )
