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

from qa.answer import Scope
from qa.errors import ReadOnlyError
from qa.library import SUPPORTED_SUFFIXES, Library

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


@dataclass(frozen=True)
class Course:
    """A course session: the collection it opens, its title, whether its holder teaches, what
    the link they followed places (`PLACES`), and for a teacher placing the tool, where to."""

    collection: str
    title: str
    teaches: bool
    csrf: str
    place: str = "ask"
    placing: Placing | None = None

    def check_change(self, headers: Mapping[str, str]) -> None:
        """`ReadOnlyError` unless this session may change the course, and the request sends
        its CSRF token back."""
        if not self.teaches:
            raise ReadOnlyError("only the course's teachers change its documents.")
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
        return Course(
            claims["col"], claims["title"], bool(claims["teach"]), claims["csrf"],
            claims.get("place") or "ask", placing,
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
    """The embed that shows what a link places: ``ask`` (the course's chat), ``document:ID``
    (the chat about one document) or ``study:ID`` (its study materials)."""
    kind, _, document_id = place.partition(":")
    if kind == "document" and document_id:
        return f"/embed/?{urlencode({'document': document_id})}"
    if kind == "study" and document_id:
        return f"/embed/?{urlencode({'study': document_id, 'chat': '0'})}"
    return "/embed/"


@cache
def _page() -> str:
    return _PAGE.read_text(encoding="utf-8")
