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
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from qa.errors import ArchiveQAError
from qa.library import Library
from ui.courses import CSRF_HEADER, Course, Placing, seen_by
from ui.lti import DEEP_LINKING, DEPLOYMENT, LTI, Tool, ToolKey

_LIFE = 600  # seconds the platform has to take a placement


def choices(library: Library) -> list[tuple[str, str, str]]:
    """What a teacher may place from the course `library` shows: (place, title, what it is)."""
    found = [("ask", "Ask the course's documents", "The chat, answered from this course's "
              "documents with quotes to check.")]  # fmt: skip
    for d in library.documents():
        found += [
            (f"document:{d.id}", f"Ask: {d.title}", "The chat about this document alone."),
            (f"study:{d.id}", f"Study: {d.title}", "Its study guide, quiz, glossary and timeline."),
        ]
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


def serve_placing(app: FastAPI, tool: Tool, library: Library) -> None:
    """Put ``/lti/place/`` on `app`: the teacher's choice of what to place (GET), and its
    return to the platform (POST)."""

    @app.get("/lti/place/", include_in_schema=False)
    def choose(request: Request) -> HTMLResponse:
        placing = _placing(tool, request)
        if isinstance(placing, HTMLResponse):
            return placing
        course = placing[0]
        return HTMLResponse(_choosing_page(course, choices(seen_by(library, course))))

    @app.post("/lti/place/", include_in_schema=False)
    async def place(request: Request) -> HTMLResponse:
        placing = _placing(tool, request)
        if isinstance(placing, HTMLResponse):
            return placing
        course, back = placing
        form = await request.form()
        try:
            course.check_change({CSRF_HEADER: str(form.get("csrf", ""))})
        except ArchiveQAError as exc:
            return _page("Not placed", html.escape(str(exc)), 403)
        offered = {p: (t, text) for p, t, text in choices(seen_by(library, course))}
        chosen = str(form.get("place", ""))
        if chosen not in offered:
            return _page("Not placed", "Choose one of the course's items to place.", 400)
        title, text = offered[chosen]
        launch_url = str(request.url_for("lti_launch"))
        item = {"type": "ltiResourceLink", "title": title, "text": text, "url": launch_url,
                "custom": {"archive_qa": chosen}}  # fmt: skip
        signed = await run_in_threadpool(deep_link_response, tool.key, back, [item])
        return HTMLResponse(_return_page(back, signed, title))


def _placing(tool: Tool, request: Request) -> tuple[Course, Placing] | HTMLResponse:
    """The teacher's session placing the tool and where it goes back to, or the page saying
    there is none."""
    course = tool.sessions.course_of(request.cookies)
    if course is None or course.placing is None:
        return _page(
            "Nothing to place",
            "This page is reached by adding archive-qa to a course's module on its platform.",
            401,
        )
    return course, course.placing


def _choosing_page(course: Course, offered: list[tuple[str, str, str]]) -> str:
    options = "".join(
        f"<li><label><input type='radio' name='place' value='{html.escape(p)}' required"
        f"{' checked' if i == 0 else ''}> <bdi>{html.escape(title)}</bdi></label>"
        f"<small>{html.escape(text)}</small></li>"
        for i, (p, title, text) in enumerate(offered)
    )
    return _document(
        "Place archive-qa",
        f"<h1>Place archive-qa in <bdi>{html.escape(course.title)}</bdi></h1>"
        "<p>Choose what the link opens for your students.</p>"
        f"<form method='post' action='/lti/place/'><ul>{options}</ul>"
        f"<input type='hidden' name='csrf' value='{html.escape(course.csrf)}'>"
        "<button type='submit'>Place it</button></form>",
    )


def _return_page(placing: Placing, signed: str, title: str) -> str:
    """The page that takes the placement back to the platform, in the teacher's browser."""
    return _document(
        "Placing…",
        f"<p>Placing <bdi>{html.escape(title)}</bdi>…</p>"
        f"<form method='post' action='{html.escape(placing.return_url)}'>"
        f"<input type='hidden' name='JWT' value='{html.escape(signed)}'>"
        "<noscript><button type='submit'>Go back to the course</button></noscript></form>"
        "<script>document.forms[0].submit()</script>",
    )


def _page(title: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(_document(title, f"<h1>{title}</h1><p>{text}</p>"), status_code=status)


def _document(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;margin:16px;color:#292524}"
        "ul{list-style:none;padding:0}li{margin:8px 0}small{display:block;color:#57534e;"
        "margin-left:24px}button{font:inherit;background:#b45309;color:#fff;border:0;"
        f"border-radius:6px;padding:6px 14px}}</style><body>{body}</body></html>"
    )
