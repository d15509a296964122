"""A learning platform for tests, speaking LTI 1.3 for real: its own RSA key, its key set served
over HTTP on 127.0.0.1, and id_tokens signed as Canvas or Moodle signs them."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_openai import loopback_server
from ui.courses import COOKIE as COURSE_COOKIE
from ui.lti import (
    AGS_ENDPOINT,
    CONTEXT,
    CUSTOM,
    DEEP_LINKING,
    DEPLOYMENT,
    LTI,
    ROLES,
    SCORE_SCOPE,
    STATE_COOKIE,
)
from ui.platforms import Platform

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class CoursePlatform:
    """One platform: `registration` is what its administrator gives the tool."""

    url: str
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = "platform-key-1"
    client_id: str = "archive-qa-tool"
    deployment_id: str = "deployment-1"
    tool_url: str = ""
    """The tool its course pages open (set by the first course page asked for)."""
    placed: list[dict[str, Any]] = field(default_factory=list)
    """The links teachers placed by deep linking, as the tool's signed responses gave them."""
    scores: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """The scores the gradebook took: (line item, score)."""
    down: bool = False
    """While set, the gradebook answers 503 (a platform being upgraded)."""
    tokens: set[str] = field(default_factory=set)
    tries: int = 0
    """How many scores were posted to the gradebook, taken or not."""
    registered: list[dict[str, Any]] = field(default_factory=list)
    """What tools asked to register by dynamic registration."""

    @property
    def registration(self) -> Platform:
        return Platform(
            issuer=self.url, client_id=self.client_id, deployment_ids=(self.deployment_id,),
            login_url=f"{self.url}/auth", jwks_url=f"{self.url}/jwks",
            token_url=f"{self.url}/token",
        )  # fmt: skip

    def id_token(
        self, nonce: str, *, role: str = LEARNER, signed_by: rsa.RSAPrivateKey | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> str:  # fmt: skip
        """A launch's id_token for `nonce`, as the platform signs it (or `signed_by` another
        key); `changes` replace claims (None takes one out)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url, "aud": self.client_id, "sub": f"user-{uuid.uuid4().hex[:6]}",
            "iat": now, "exp": now + 300, "nonce": nonce, "name": "Ada Student",
            DEPLOYMENT: self.deployment_id, LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0", ROLES: [role],
            CONTEXT: {"id": "course-201", "title": "HIST 201: Cold War Asia"},
            LTI + "resource_link": {"id": "link-1"},
        }  # fmt: skip
        claims |= changes or {}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(
            claims, signed_by or self.key, algorithm="RS256", headers={"kid": self.kid}
        )

    def course_page(self, query: Mapping[str, str]) -> str:
        """A course's page with the tool in an iframe, for a teacher or a student of it: the
        iframe starts the tool's login, saying who is launching in its login hint."""
        self.tool_url = query["tool"]
        hint = json.dumps(
            [query["as"], query["id"], query["title"], query.get("kind", ""), query.get("link")]
        )
        login = {
            "iss": self.url, "client_id": self.client_id, "login_hint": hint,
            "target_link_uri": f"{query['tool']}/lti/launch",
        }  # fmt: skip
        return (
            f"<!doctype html><title>{html.escape(query['title'])}</title>"
            f"<h1>{html.escape(query['title'])}</h1><iframe id='tool' title='archive-qa' "
            f"style='width:100%;height:1500px;border:0' "
            f"src='{html.escape(query['tool'])}/lti/login?{html.escape(urlencode(login))}'></iframe>"
        )

    def launch_page(self, query: Mapping[str, str]) -> str:
        """The authorization endpoint's answer to a tool's login: a page that posts the signed
        launch to the tool, in the user's browser."""
        role, course_id, title, kind, link = json.loads(query["login_hint"])
        changes: dict[str, Any] = {CONTEXT: {"id": course_id, "title": title}}
        if kind == "place":  # a teacher adding the tool to a module: deep linking
            changes |= {
                LTI + "message_type": "LtiDeepLinkingRequest",
                DEEP_LINKING + "deep_linking_settings": {
                    "deep_link_return_url": f"{self.url}/placed", "data": "module-3",
                    "accept_types": ["ltiResourceLink"],
                },
            }  # fmt: skip
        if link is not None:  # a link placed before: its custom parameters come along
            placed = self.placed[int(link)]
            changes[CUSTOM] = placed.get("custom", {})
            if "lineitem_url" in placed:  # graded: the tool may post its scores
                changes[AGS_ENDPOINT] = {"scope": [SCORE_SCOPE], "lineitem": placed["lineitem_url"]}
        token = self.id_token(
            query["nonce"], role=INSTRUCTOR if role == "teacher" else LEARNER, changes=changes
        )
        fields = "".join(
            f"<input type='hidden' name='{k}' value='{html.escape(v)}'>"
            for k, v in (("id_token", token), ("state", query["state"]))
        )
        return (
            f"<!doctype html><form method='post' action='{html.escape(query['redirect_uri'])}'>"
            f"{fields}</form><script>document.forms[0].submit()</script>"
        )

    def take_placement(self, signed: str) -> str:
        """Check a tool's deep-linking response as a platform does (its signature against the
        tool's published keys, and that it answers this platform's request) and keep its links;
        the page the teacher then sees."""
        keys = jwt.PyJWKClient(f"{self.tool_url}/lti/jwks.json")
        claims = jwt.decode(
            signed, keys.get_signing_key_from_jwt(signed).key, algorithms=["RS256"],
            audience=self.url, issuer=self.client_id,
        )  # fmt: skip
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[DEPLOYMENT] == self.deployment_id
        assert claims[DEEP_LINKING + "data"] == "module-3" and claims["nonce"]
        items = claims[DEEP_LINKING + "content_items"]
        for item in items:  # a graded item: the platform makes its gradebook column
            if "lineItem" in item:
                assert item["lineItem"]["scoreMaximum"] > 0
                item["lineitem_url"] = f"{self.url}/lineitems/{len(self.placed)}"
            self.placed.append(item)
        titles = ", ".join(html.escape(i["title"]) for i in items)
        return f"<!doctype html><title>Placed</title><h1>Placed in the module</h1><p>{titles}</p>"

    def openid_configuration(self, query: Mapping[str, str]) -> dict[str, Any]:
        """The platform's OpenID configuration, as dynamic registration reads it (naming
        another `issuer` when asked to, as a forged one would)."""
        return {
            "issuer": query.get("issuer", self.url), "authorization_endpoint": f"{self.url}/auth",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "registration_endpoint": f"{self.url}/register",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle", "version": "4.5",
                # As Moodle lists them: strings (the specification's are {"type": ...}).
                "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
            },
        }  # fmt: skip

    def take_registration(self, authorization: str, body: bytes) -> dict[str, Any]:
        """Register a tool (with the registration token the platform gave its link): its client
        id and deployment here, as Moodle answers."""
        assert authorization == "Bearer registration-token-1"
        asked = json.loads(body)
        assert asked["token_endpoint_auth_method"] == "private_key_jwt"
        tool_configuration = asked["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert {m["type"] for m in tool_configuration["messages"]} == {
            "LtiResourceLinkRequest", "LtiDeepLinkingRequest"}  # fmt: skip
        self.registered.append(asked)
        tool = "https://purl.imsglobal.org/spec/lti-tool-configuration"
        return asked | {"client_id": "dynamic-client-1", tool: asked[tool] | {
            "deployment_id": "dynamic-deployment-1"}}  # fmt: skip

    def give_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """An access token for the tool, once its client assertion checks out (OAuth2 client
        credentials with a JWT signed by the tool's key)."""
        assert form["grant_type"] == "client_credentials" and SCORE_SCOPE in form["scope"]
        assertion = form["client_assertion"]
        keys = jwt.PyJWKClient(f"{self.tool_url}/lti/jwks.json")
        jwt.decode(
            assertion, keys.get_signing_key_from_jwt(assertion).key, algorithms=["RS256"],
            audience=f"{self.url}/token", issuer=self.client_id,
        )  # fmt: skip
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def take_score(self, lineitem: str, authorization: str, kind: str, body: bytes) -> int:
        """The gradebook's status for a score posted to `lineitem`, kept when taken."""
        self.tries += 1
        if self.down:
            return 503
        if authorization.removeprefix("Bearer ") not in self.tokens:
            return 401
        if lineitem not in {p.get("lineitem_url") for p in self.placed}:
            return 404  # a column deleted, or never made
        assert kind == "application/vnd.ims.lis.v1.score+json"
        self.scores.append((lineitem, json.loads(body)))
        return 200

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": self.kid, "alg": "RS256", "use": "sig"}]}


@contextmanager
def lti_platform() -> Iterator[CoursePlatform]:
    """A platform on 127.0.0.1 serving its key set, its authorization endpoint (which answers a
    tool's login with a launch its page posts to the tool, as Canvas and Moodle do), and a
    course page (`/course?tool=URL&as=teacher|student&id=ID&title=TITLE`) that opens the tool in
    an iframe."""
    served: list[CoursePlatform] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(asked.query).items()}
            if asked.path == "/jwks":
                self._send(json.dumps(served[0].jwks()), "application/json")
            elif asked.path == "/course":
                self._send(served[0].course_page(query), "text/html")
            elif asked.path == "/auth":
                self._send(served[0].launch_page(query), "text/html")
            elif asked.path == "/.well-known/openid-configuration":
                self._send(json.dumps(served[0].openid_configuration(query)), "application/json")
            else:
                self._send("not here", "text/plain", 404)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            path, platform = urlsplit(self.path).path, served[0]
            try:
                if path == "/register":
                    given = platform.take_registration(self.headers.get("authorization", ""), body)
                    self._send(json.dumps(given), "application/json")
                elif path == "/placed":
                    self._send(platform.take_placement(form["JWT"]), "text/html")
                elif path == "/token":
                    self._send(json.dumps(platform.give_token(form)), "application/json")
                elif path.startswith("/lineitems/") and path.endswith("/scores"):
                    status = platform.take_score(
                        f"{platform.url}{path.removesuffix('/scores')}",
                        self.headers.get("authorization", ""),
                        self.headers.get("content-type", ""), body,
                    )  # fmt: skip
                    self._send("{}", "application/json", status)
                else:
                    self._send("not here", "text/plain", 404)
            except (AssertionError, KeyError, jwt.InvalidTokenError) as exc:
                self._send(f"refused: {exc!r}", "text/plain", 400)

        def _send(self, text: str, kind: str, status: int = 200) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("content-type", f"{kind}; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as base:
        served.append(CoursePlatform(base.removesuffix("/v1")))
        yield served[0]


def start_login(url: str, platform: CoursePlatform) -> tuple[str, str]:
    """The platform starts a login, as a course page's link does: the state and nonce the tool
    sent it on with (the state also as the cookie it set)."""
    platform.tool_url = url
    started = httpx.get(
        f"{url}/lti/login",
        params={"iss": platform.url, "login_hint": "user-7", "client_id": platform.client_id,
                "target_link_uri": f"{url}/lti/launch", "lti_message_hint": "link-1"},
    )  # fmt: skip
    assert started.status_code == 302, started.text
    sent_on = urlsplit(started.headers["location"])
    assert f"{sent_on.scheme}://{sent_on.netloc}{sent_on.path}" == f"{platform.url}/auth"
    query = {k: v[0] for k, v in parse_qs(sent_on.query).items()}
    assert query["redirect_uri"] == f"{url}/lti/launch" and query["login_hint"] == "user-7"
    assert started.cookies.get(STATE_COOKIE) == query["state"]
    cookie = started.headers["set-cookie"]
    assert all(part in cookie for part in ("HttpOnly", "Secure", "SameSite=None", "Partitioned"))
    return query["state"], query["nonce"]


def post_launch(url: str, id_token: str, state: str, cookie: str | None) -> httpx.Response:
    """The platform posts the launch from its own site, in the student's browser."""
    headers = {"origin": "https://lms.example.edu"}
    if cookie is not None:
        headers["cookie"] = f"{STATE_COOKIE}={cookie}"
    form = {"id_token": id_token, "state": state}
    return httpx.post(f"{url}/lti/launch", data=form, headers=headers)


@dataclass(frozen=True)
class Member:
    """Someone launched into a course: the cookies their browser keeps, and the page's CSRF
    token (a teacher's)."""

    cookie: str
    csrf: str
    page: str = ""
    """The page the launch landed on."""

    @property
    def headers(self) -> dict[str, str]:
        """What their browser sends the tool, from its own page (a change's CSRF token too)."""
        return {"cookie": f"{COURSE_COOKIE}={self.cookie}", "x-csrf-token": self.csrf}


def enter(
    url: str, platform: CoursePlatform, *, role: str = LEARNER,
    course: tuple[str, str] = ("course-201", "HIST 201: Cold War Asia"),
    changes: Mapping[str, Any] | None = None, lands: str = "/lti/course/",
) -> Member:  # fmt: skip
    """Launch the tool at `url` from `course` (id, title) as `role` (the id_token's claims
    `changes`d), as a course page's link does, and land on the page it sends to, `lands`."""
    state, nonce = start_login(url, platform)
    claims = {CONTEXT: {"id": course[0], "title": course[1]}, **(changes or {})}
    launched = post_launch(url, platform.id_token(nonce, role=role, changes=claims), state, state)
    assert launched.status_code == 303, launched.text
    assert launched.headers["location"] == lands
    cookie = launched.headers["set-cookie"]
    assert all(part in cookie for part in ("HttpOnly", "Secure", "SameSite=None", "Partitioned"))
    session = launched.cookies[COURSE_COOKIE]
    page = httpx.get(f"{url}{lands}", headers={"cookie": f"{COURSE_COOKIE}={session}"})
    assert page.status_code == 200, page.text
    token = re.search(r"""(?:data-csrf="|name='csrf' value=')([^"']*)""", page.text)
    return Member(session, token[1] if token else "", page.text)
