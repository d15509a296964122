"""Deep linking (LTI Deep Linking 2.0): a teacher placing archive-qa in a course's module chooses
what the link opens (the course's chat, one document's, or a document's study materials), and the
platform gets the choice back as a JWT signed with the tool's key, which it checks against the
tool's published keys (``/lti/jwks.json``). A link placed so carries its choice in its launches
(the `archive_qa` custom parameter; `ui.courses.embed_of`).
"""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import replace
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from qa.assembly import Archive
from qa.errors import ArchiveQAError
from qa.library import Library
from ui.courses import CSRF_HEADER, Course, Placing, plain_page, seen_by
from ui.graded_quiz import quiz_pack
from ui.lti import DEEP_LINKING, DEPLOYMENT, LTI, Tool
from ui.platforms import ToolKey

_LIFE = 600  # seconds the platform has to take a placement


def choices(library: Library, *, graded: bool = True) -> list[tuple[str, str, str]]:
    """What a teacher may place from the course `library` shows: (place, title, what it is);
    graded quizzes, of the course's own documents, when the platform makes gradebook columns
    (`graded`)."""
    found = [("ask", "Ask the course's documents", "The chat, answered from this course's "
              "documents with quotes to check.")]  # fmt: skip
    for d in library.documents():
        found += [
            (f"document:{d.id}", f"Ask: {d.title}", "The chat about this document alone."),
            (f"study:{d.id}", f"Study: {d.title}", "Its study guide, quiz, glossary and timeline."),
        ]
        # A graded quiz of the course's own documents only: the shared library's are studied
        # with their keys by anyone.
        if graded and library.is_own(d.id):
            found.append((f"quiz:{d.id}", f"Graded quiz: {d.title}", "Its quiz, scored, the "
                          "score sent to the course's gradebook."))  # fmt: skip
    return found


def deep_link_response(key: ToolKey, placing: Placing, items: list[dict[str, Any]]) -> str:
    """The signed deep-linking response placing `items` (LTI content items)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": placing.client_id, "aud": placing.issuer, "iat": now, "exp": now + _LIFE,
        "nonce": secrets.token_urlsafe(16), LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0", DEPLOYMENT: placing.deployment_id,
        DEEP_LINKING + "content_items": items,
    }  # fmt: skip
    if placing.data is not None:
        claims[DEEP_LINKING + "data"] = placing.data
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


def serve_placing(app: FastAPI, tool: Tool, archive: Archive) -> None:
    """Put ``/lti/place/`` on `app`: the teacher's choice of what to place (GET), and its
    return to the platform (POST). A graded quiz is placed with its gradebook column (line
    item), as many points as the quiz has questions."""
    library = archive.library

    @app.get("/lti/place/", include_in_schema=False)
    def choose(request: Request) -> HTMLResponse:
        session = _placing_session(tool, request)
        if isinstance(session, HTMLResponse):
            return session
        course, back = session
        offered = choices(seen_by(library, course), graded=back.lineitems)
        return _choosing_page(course, offered)

    @app.post("/lti/place/", include_in_schema=False)
    async def place(request: Request) -> HTMLResponse:
        session = _placing_session(tool, request)
        if isinstance(session, HTMLResponse):
            return session
        course, back = session
        form = await request.form()
        try:
            course.check_change({CSRF_HEADER: str(form.get("csrf", ""))})
        except ArchiveQAError as exc:
            return plain_page("Not placed", f"<p>{html.escape(str(exc))}</p>", 403)
        listed = choices(seen_by(library, course), graded=back.lineitems)
        offered = {p: (t, text) for p, t, text in listed}
        chosen = str(form.get("place", ""))
        if chosen not in offered:
            return plain_page("Not placed", "<p>Choose one of the course's items.</p>", 400)
        title, text = offered[chosen]
        launch_url = str(request.url_for("lti_launch"))
        item: dict[str, Any] = {"type": "ltiResourceLink", "title": title, "text": text,
                                "url": launch_url, "custom": {"archive_qa": chosen}}  # fmt: skip
        if chosen.startswith("quiz:"):
            graded = replace(course, place=chosen)
            pack = await run_in_threadpool(quiz_pack, archive, graded)
            if pack is None or not pack.quiz:
                return plain_page(
                    "Not placed", "<p>This document's quiz has no questions.</p>", 400
                )
            item["lineItem"] = {"scoreMaximum": len(pack.quiz), "label": title,
                                "resourceId": chosen, "tag": "archive-qa quiz"}  # fmt: skip
        signed = await run_in_threadpool(deep_link_response, tool.key, back, [item])
        return _return_page(back, signed, title)


def _placing_session(tool: Tool, request: Request) -> tuple[Course, Placing] | HTMLResponse:
    """The teacher's session placing the tool and where it goes back to, or the page saying
    there is none."""
    course = tool.sessions.course_of(request.cookies)
    if course is None or course.placing is None:
        return plain_page(
            "Nothing to place",
            "<p>This page opens when a teacher adds archive-qa to a course's module.</p>",
            401,
        )
    return course, course.placing


def _choosing_page(course: Course, offered: list[tuple[str, str, str]]) -> HTMLResponse:
    options = "".join(
        f"<li><label><input type='radio' name='place' value='{html.escape(p)}' required"
        f"{' checked' if i == 0 else ''}> <bdi>{html.escape(title)}</bdi></label>"
        f"<small>{html.escape(text)}</small></li>"
        for i, (p, title, text) in enumerate(offered)
    )
    return plain_page(
        "Place archive-qa",
        f"<p>Choose what the link opens for the students of <bdi>{html.escape(course.title)}"
        "</bdi>.</p>"
        f"<form method='post' action='/lti/place/'><ul>{options}</ul>"
        f"<input type='hidden' name='csrf' value='{html.escape(course.csrf)}'>"
        "<button type='submit'>Place it</button></form>",
    )


def _return_page(placing: Placing, signed: str, title: str) -> HTMLResponse:
    """The page that takes the placement back to the platform, in the teacher's browser."""
    return plain_page(
        "Placing…",
        f"<p>Placing <bdi>{html.escape(title)}</bdi>…</p>"
        f"<form method='post' action='{html.escape(placing.return_url)}'>"
        f"<input type='hidden' name='JWT' value='{html.escape(signed)}'>"
        "<noscript><button type='submit'>Go back to the course</button></noscript></form>"
        "<script>document.forms[0].submit()</script>",
    )
