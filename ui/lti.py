"""LTI 1.3, the standard by which Canvas, Moodle, Blackboard, Brightspace and Sakai add an outside
tool to a course: the tool's key, the platforms registered with it, the OpenID Connect login a
launch starts with, and the checks a launch's signed id_token must pass before anyone is let in.

A launch goes: the platform calls ``/lti/login`` (its issuer, client id, who is launching); the
tool answers with a redirect to the platform's authorization endpoint carrying a fresh `state`
(also set as a cookie) and `nonce`; the platform posts a signed id_token and the `state` back to
``/lti/launch``. The token is verified against the platform's published keys (its JWKS) and must
name this tool as its audience, a deployment registered for it, the nonce this tool issued (used
once), an unexpired time, and an LTI 1.3 resource-link launch. Anything else is refused with a
page saying why, and logged.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qa.errors import LaunchError
from qa.library import Library
from ui.courses import Course, LineItem, Placing, Sessions, course_page, plain_page
from ui.platforms import Platform, ToolKey

_log = logging.getLogger(__name__)
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
DEPLOYMENT = LTI + "deployment_id"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
STATE_COOKIE = "aqa_lti_state"
_NONCE_LIFE = 600.0  # seconds a login's nonce waits for its launch
_LEEWAY = 60  # seconds of clock difference forgiven between platform and tool
_NONCES_KEPT = 10_000  # logins waiting for their launch, at most
# The course roles that teach: instructor, and its sub-roles (teaching assistant, grader...).
_MEMBERSHIP = re.compile(
    r"http://purl\.imsglobal\.org/vocab/lis/v2/membership(#Instructor|/Instructor#\w+)"
)


@dataclass(frozen=True)
class Launch:
    """Who launched the tool, from which course, as what: a verified id_token's claims."""

    platform: Platform
    deployment_id: str
    user: str
    name: str | None
    roles: tuple[str, ...]
    course_id: str | None
    course_title: str | None
    place: str = "ask"
    """What the link followed places (its `archive_qa` custom parameter, set when it was
    placed by deep linking): see `ui.courses.embed_of`."""
    placing: Placing | None = None
    """For a deep-linking launch: where to send what the teacher places."""
    lineitem: str | None = None
    """For a graded link whose scores this tool may post: its gradebook column (line item)."""

    @property
    def teaches(self) -> bool:
        """An instructor or a teaching assistant of this course: their roles in it (LIS context
        roles), not the institution's (an instructor elsewhere may be a student here)."""
        return any(_MEMBERSHIP.fullmatch(role) for role in self.roles)


class Tool:
    """The LTI 1.3 tool: starts logins and verifies launches for the registered platforms."""

    def __init__(
        self,
        platforms: list[Platform],
        key: ToolKey,
        *,
        keys_of: Callable[[Platform], jwt.PyJWKClient] | None = None,
    ) -> None:
        """`keys_of` gives the client that fetches a platform's signing keys (cached)."""
        self.platforms = platforms
        self.key = key
        self._clients: dict[tuple[str, str], jwt.PyJWKClient] = {}
        self._keys_of = keys_of or (lambda p: jwt.PyJWKClient(p.jwks_url, lifespan=3600))
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sessions: Sessions | None = None

    @property
    def sessions(self) -> Sessions:
        """The course sessions launches leave, signed with a secret of the tool's key."""
        with self._lock:
            if self._sessions is None:
                self._sessions = Sessions(self.key.secret("archive-qa course sessions"))
            return self._sessions

    def login(self, params: Mapping[str, str], launch_url: str) -> tuple[str, str]:
        """Where to send a login the platform started with `params`, and its `state`."""
        client_id = params.get("client_id")
        platform = self._platform(params.get("iss", ""), [client_id] if client_id else None)
        if not params.get("login_hint"):
            raise LaunchError("the platform's login did not say who is logging in (login_hint).")
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._nonces = {n: t for n, t in self._nonces.items() if t > now}
            while len(self._nonces) >= _NONCES_KEPT:  # logins never finished: the oldest go
                del self._nonces[next(iter(self._nonces))]
            self._nonces[nonce] = now + _NONCE_LIFE
        query = {
            "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
            "prompt": "none", "client_id": platform.client_id, "redirect_uri": launch_url,
            "login_hint": params["login_hint"], "state": state, "nonce": nonce,
        }  # fmt: skip
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        return f"{platform.login_url}?{urlencode(query)}", state

    def launch(self, id_token: str, state: str, cookie_state: str | None) -> Launch:
        """The verified launch; `LaunchError` saying what is wrong with any other."""
        if not cookie_state or not secrets.compare_digest(state.encode(), cookie_state.encode()):
            raise LaunchError(
                "the launch's state does not match this browser's login (a launch from "
                "elsewhere, or cookies blocked): start again from the course page."
            )
        try:
            unverified = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"the launch's id_token cannot be read: {exc}.") from exc
        audience = unverified.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        platform = self._platform(str(unverified.get("iss", "")), [str(a) for a in audiences])
        claims = self._verified(id_token, platform)
        self._use_nonce(str(claims.get("nonce", "")))
        deployment = str(claims.get(DEPLOYMENT, ""))
        if deployment not in platform.deployment_ids:
            raise LaunchError(f"the deployment {deployment!r} is not registered for this tool.")
        kind = claims.get(LTI + "message_type")
        if kind not in {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}:
            raise LaunchError("only a resource-link or a deep-linking launch opens archive-qa.")
        if claims.get(LTI + "version") != "1.3.0":
            raise LaunchError("the launch is not LTI 1.3.0.")
        context = claims.get(CONTEXT) or {}
        placing = (
            _placing_of(claims, platform, deployment) if kind == "LtiDeepLinkingRequest" else None
        )
        return Launch(
            platform=platform, deployment_id=deployment, user=str(claims["sub"]),
            name=claims.get("name"), roles=tuple(claims.get(ROLES) or ()),
            course_id=context.get("id"), course_title=context.get("title"),
            place=str((claims.get(CUSTOM) or {}).get("archive_qa") or "ask"), placing=placing,
            lineitem=_lineitem(claims),
        )  # fmt: skip

    def _verified(self, id_token: str, platform: Platform) -> dict[str, Any]:
        key = (platform.issuer, platform.client_id)  # each registration its own key set
        client = self._clients.setdefault(key, self._keys_of(platform))
        try:
            signing = client.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token, signing.key, algorithms=["RS256"], audience=platform.client_id,
                issuer=platform.issuer, leeway=_LEEWAY,
                options={"require": ["exp", "iat", "sub", "nonce", "aud", "iss"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("the launch has expired: start again from the course page.") from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchError("the launch is meant for another tool (audience).") from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise LaunchError(f"the launch's signature or claims are not valid: {exc}.") from exc
        return claims

    def _use_nonce(self, nonce: str) -> None:
        with self._lock:
            until = self._nonces.pop(nonce, None)
        if until is None or until < time.monotonic():
            raise LaunchError(
                "the launch's nonce was not issued here or was used already (a replayed launch)."
            )

    def platform(self, issuer: str, client_id: str) -> Platform:
        """The platform registered for `issuer` and `client_id`; `LaunchError` if none is."""
        return self._platform(issuer, [client_id])

    def _platform(self, issuer: str, client_ids: list[str] | None) -> Platform:
        """The platform registered for `issuer` and one of `client_ids` (any of its clients when
        none is given): Canvas Cloud is one issuer for every school, told apart by client id."""
        known = [p for p in self.platforms if p.issuer == issuer]
        for platform in known:
            if client_ids is None or platform.client_id in client_ids:
                return platform
        if known:
            raise LaunchError("the launch is meant for another tool (audience).")
        raise LaunchError(
            f"no platform {issuer!r} is registered with this tool: its administrator registers "
            "it (README, course sites)."
        )


def _lineitem(claims: Mapping[str, Any]) -> str | None:
    """The line item a launch lets this tool post scores to, if any."""
    endpoint = claims.get(AGS_ENDPOINT) or {}
    if SCORE_SCOPE not in (endpoint.get("scope") or ()):
        return None
    return str(endpoint["lineitem"]) if endpoint.get("lineitem") else None


def _placing_of(claims: Mapping[str, Any], platform: Platform, deployment: str) -> Placing:
    """Where a deep-linking launch's placement goes back to; `LaunchError` if it cannot."""
    settings = claims.get(DEEP_LINKING + "deep_linking_settings") or {}
    if not settings.get("deep_link_return_url"):
        raise LaunchError("the deep-linking launch does not say where to return (return URL).")
    if "ltiResourceLink" not in (settings.get("accept_types") or ()):
        raise LaunchError("the platform does not take links to place here (accept_types).")
    return Placing(
        platform.issuer, platform.client_id, deployment, str(settings["deep_link_return_url"]),
        settings.get("data"), lineitems=settings.get("accept_lineitem") is not False,
    )  # fmt: skip


def serve_lti(app: FastAPI, tool: Tool, library: Library) -> None:
    """Put the tool's routes on `app`: ``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``, and
    ``/lti/course/``, the course's page a launch lands on (its collection kept in `library`)."""

    @app.api_route("/lti/login", methods=["GET", "POST"], include_in_schema=False)
    async def login(request: Request) -> Response:
        params = dict(request.query_params) | dict(await request.form())
        try:
            where, state = tool.login(
                {k: str(v) for k, v in params.items()}, str(request.url_for("lti_launch"))
            )
        except LaunchError as exc:
            return _refused(str(exc))
        answer = RedirectResponse(where, status_code=302)
        # Set by hand: Python before 3.14 cannot write `Partitioned`, which a cookie needs to be
        # kept in a course page's cross-site iframe (CHIPS).
        answer.headers.append(
            "set-cookie",
            f"{STATE_COOKIE}={state}; Max-Age={int(_NONCE_LIFE)}; Path=/lti; HttpOnly; Secure; "
            "SameSite=None; Partitioned",
        )
        return answer

    @app.post("/lti/launch", name="lti_launch", include_in_schema=False)
    async def launch(request: Request) -> Response:
        form = await request.form()
        try:
            # On a worker thread: the platform's key set may be fetched over the network.
            launched = await run_in_threadpool(
                tool.launch, str(form.get("id_token", "")), str(form.get("state", "")),
                request.cookies.get(STATE_COOKIE),
            )  # fmt: skip
            course = await run_in_threadpool(_course_of, library, launched)
        except LaunchError as exc:
            return _refused(str(exc))
        _log.info("LTI launch into %r as %s", course.collection, _role(course))
        landed = RedirectResponse(
            "/lti/place/" if course.placing else "/lti/course/", status_code=303
        )
        landed.headers.append("set-cookie", tool.sessions.set_cookie(course))
        return landed

    @app.get("/lti/course/", include_in_schema=False)
    def course(request: Request) -> HTMLResponse:
        course = tool.sessions.course_of(request.cookies)
        if course is None:
            return plain_page(
                "This session has ended",
                "<p>It lasts a school day, and lives in this browser only: open archive-qa again "
                "from the course.</p>",
                401,
            )
        return HTMLResponse(course_page(course), headers={"cache-control": "no-store"})

    @app.get("/lti/jwks.json", include_in_schema=False)
    def jwks() -> JSONResponse:  # a worker thread: the key may be made on first use
        return JSONResponse(tool.key.jwks())


def _course_of(library: Library, launched: Launch) -> Course:
    """The course session a verified launch opens: its course's private collection, made on
    its first teacher's launch and named after the course."""
    if not launched.course_id:
        raise LaunchError("archive-qa opens from a course: launch it from a course's page.")
    if launched.placing and not launched.teaches:
        raise LaunchError("only the course's teachers place archive-qa in it.")
    platform = launched.platform
    key = f"lti\n{platform.issuer}\n{platform.client_id}\n{launched.course_id}"
    title = launched.course_title or f"Course {launched.course_id}"
    collection = library.private_place(key, title, make=launched.teaches)
    if collection is None:
        raise LaunchError(
            "your teacher has not opened archive-qa in this course yet: it is ready once they "
            "have launched it once."
        )
    lineitem = None
    if launched.lineitem and not launched.teaches:  # a student's score, for the gradebook
        lineitem = LineItem(platform.issuer, platform.client_id, launched.lineitem, launched.user)
    return Course(
        collection=collection, title=title, teaches=launched.teaches,
        csrf=secrets.token_urlsafe(24), place=launched.place, placing=launched.placing,
        lineitem=lineitem, name=launched.name,
    )  # fmt: skip


def _role(course: Course) -> str:
    return "a teacher" if course.teaches else "a student"


def _refused(why: str) -> HTMLResponse:
    _log.warning("LTI launch refused: %s", why)
    return plain_page("This launch was refused", f"<p>{html.escape(why)}</p>", 400)
