"""A course on a learning platform, as archive-qa keeps it: the signed session a launch leaves in
the browser (for the course's private collection, vectorstore.privacy), what its holder sees
through it, and the page a launch lands on.

The session is a cookie signed with a secret drawn from the tool's key, so every replica sharing
the data folder reads it: the course's collection, whether its holder teaches, and a CSRF token
that every change must send back in the ``X-CSRF-Token`` header. It is `SameSite=None; Secure;
Partitioned`, the kind a course page's cross-site iframe keeps. The API and the pages read it
(`Sessions.course_of`): a course's reader asks, lists and reads within the course's collection
alone; only its teachers change it.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import jwt
from fastapi.responses import HTMLResponse

from qa.answer import Scope
from qa.errors import ReadOnlyError
from qa.library import SUPPORTED_SUFFIXES, Library
from qa.study import StudyPack

COOKIE = "aqa_course"
CSRF_HEADER = "x-csrf-token"
SESSION_LIFE = 8 * 3600  # seconds: a school day; then the course page launches it again
_PAGE = Path(__file__).parent / "static" / "course.html"


@dataclass(frozen=True)
class Placing:
    """A teacher's deep-linking launch, placing archive-qa in the course: the platform and
    deployment it came through, where to send what is placed, and the platform's data to send
    back with it."""

    issuer: str
    client_id: str
    deployment_id: str
    return_url: str
    data: str | None = None
    lineitems: bool = True
    """Whether the platform makes a gradebook column for a placed link that asks for one."""


@dataclass(frozen=True)
class LineItem:
    """A graded link's column in the course's gradebook, for one student: the platform (its
    issuer and the tool's client id there), the column's URL, and the student as the platform
    knows them."""

    issuer: str
    client_id: str
    url: str
    user: str


@dataclass(frozen=True)
class Course:
    """A course session: the collection it opens, its title, whether its holder teaches, what
    the link they followed places (`embed_of`), for a teacher placing the tool where to send
    it back, and for a student following a graded link where the score goes."""

    collection: str
    title: str
    teaches: bool
    csrf: str
    place: str = "ask"
    placing: Placing | None = None
    lineitem: LineItem | None = None
    name: str | None = None
    """The holder's name, when the platform sends it (kept with their questions only when
    the course's teachers turn names on)."""

    def check_change(self, headers: Mapping[str, str]) -> None:
        """`ReadOnlyError` unless this session may change the course, and the request sends
        its CSRF token back."""
        if not self.teaches:
            raise ReadOnlyError("only the course's teachers change its documents.")
        self.check_sent(headers)

    def check_sent(self, headers: Mapping[str, str]) -> None:
        """`ReadOnlyError` unless the request sends this session's CSRF token back (a form or
        a script of the course's page, not a page of another site)."""
        sent = headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent.encode(), self.csrf.encode()):
            raise ReadOnlyError(
                "the change did not carry the course page's CSRF token (X-CSRF-Token): reload "
                "the page from the course and try again."
            )


class Sessions:
    """Course sessions, signed with `secret` (HS256) and living `life` seconds."""

    def __init__(self, secret: bytes, life: int = SESSION_LIFE) -> None:
        self._secret, self.life = secret, life

    def issue(self, course: Course) -> str:
        """The cookie's value for `course`."""
        claims = {
            "col": course.collection, "title": course.title, "teach": course.teaches,
            "csrf": course.csrf, "place": course.place, "exp": int(time.time()) + self.life,
            "placing": asdict(course.placing) if course.placing else None,
            "lineitem": asdict(course.lineitem) if course.lineitem else None,
            "name": course.name,
        }  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def course_of(self, cookies: Mapping[str, str]) -> Course | None:
        """The course whose session these cookies carry; None without a valid, unexpired one."""
        token = cookies.get(COOKIE)
        if not token:
            return None
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp"]}
            )
        except jwt.InvalidTokenError:
            return None
        placing = Placing(**claims["placing"]) if claims.get("placing") else None
        lineitem = LineItem(**claims["lineitem"]) if claims.get("lineitem") else None
        return Course(
            collection=claims["col"], title=claims["title"], teaches=bool(claims["teach"]),
            csrf=claims["csrf"], place=claims.get("place") or "ask", placing=placing,
            lineitem=lineitem, name=claims.get("name"),
        )  # fmt: skip

    def set_cookie(self, course: Course) -> str:
        """The Set-Cookie header's value for `course` (written by hand: Python before 3.14
        cannot write `Partitioned`)."""
        return (
            f"{COOKIE}={self.issue(course)}; Max-Age={self.life}; Path=/; HttpOnly; Secure; "
            "SameSite=None; Partitioned"
        )


def seen_by(library: Library, course: Course | None) -> Library:
    """The library as the holder of `course`'s session sees it (as anyone does, without one)."""
    return library.for_members_of(course.collection) if course else library


def kept_in(scope: Scope | None, course: Course | None) -> Scope | None:
    """`scope`, kept within `course`'s collection for the holder of its session."""
    return (scope or Scope()).kept_in(course.collection) if course else scope


def for_reader(pack: StudyPack, course: Course | None) -> StudyPack:
    """Study materials as the holder of `course`'s session reads them: a student of a course
    takes its quizzes on their own page (ui/graded_quiz.py), where they may be graded, so their
    materials hold no quiz and no key."""
    return pack.model_copy(update={"quiz": []}) if course and not course.teaches else pack


def course_page(course: Course) -> str:
    """The page a launch lands on: what its link places (the course's chat, a document's, its
    study materials), and for its teachers the course's documents."""
    filled = {
        "title": html.escape(course.title), "role": "teacher" if course.teaches else "student",
        "frame": html.escape(embed_of(course.place)),
        "csrf": html.escape(course.csrf) if course.teaches else "",
        "kinds": ", ".join(SUPPORTED_SUFFIXES), "accept": ",".join(SUPPORTED_SUFFIXES),
    }  # fmt: skip
    return re.sub(r"%%(\w+)%%", lambda m: filled[m.group(1)], _page())


def embed_of(place: str) -> str:
    """The page that shows what a link places: ``ask`` (the course's chat), ``document:ID``
    (the chat about one document), ``study:ID`` (its study materials) or ``quiz:ID`` (its quiz,
    graded)."""
    kind, _, document_id = place.partition(":")
    if kind == "document" and document_id:
        return f"/embed/?{urlencode({'document': document_id})}"
    if kind == "study" and document_id:
        return f"/embed/?{urlencode({'study': document_id, 'chat': '0'})}"
    if kind == "quiz" and document_id:
        return "/lti/quiz/"  # the session says which: the page holds no key
    return "/embed/"


@cache
def _page() -> str:
    return _PAGE.read_text(encoding="utf-8")


def plain_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A page of the launch's own (a refusal, the placing choice, the graded quiz): `body`
    (HTML, escaped by the caller) under `title`, in the course page's type and colours."""
    return HTMLResponse(
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_PLAIN_STYLE}</style><body><h1>{html.escape(title)}</h1>{body}</body>"
        "</html>",
        status_code=status,
    )


_PLAIN_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:16px;color:#292524}h1{font-size:1.3rem}"
    "ul{list-style:none;padding:0}li{margin:10px 0}small{display:block;color:#57534e}"
    "blockquote{margin:4px 0;padding-left:10px;border-left:3px solid #f59e0b;color:#44403c}"
    ".score{font-size:1.2rem;font-weight:600}button{font:inherit;background:#b45309;color:#fff;"
    "border:0;border-radius:6px;padding:6px 14px}"
)
