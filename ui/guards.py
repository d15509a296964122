"""The web app's outer wall: what every request passes before it reaches the API or the page.

One ASGI middleware, so that the JSON API, the Gradio page and its upload routes are held to the
same rules: allowed hosts, no cross-site writes (CSRF), a per-client rate limit on the requests
that cost work (429 with Retry-After), a cap on request bodies, no uploads where none belong, and
security headers (nosniff, a referrer policy, and `frame-ancestors` for the sites that embed it),
and a request body that stalls is dropped.
"""

from __future__ import annotations

import json
import math
import secrets
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from ipaddress import ip_address, ip_network
from urllib.parse import urlsplit

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_GRADIO_UPLOAD = "/gradio_api/upload"
_UPLOADS = (_GRADIO_UPLOAD, "/api/documents")
# A JSON request (a question, its history and scope) is small; uploads have their own cap.
_JSON_BODY_BYTES = 1_000_000
_CLIENT = "archive_qa_client"
# A platform's LTI login and launch are posted from its own site by design; what stands for them is
# the signed id_token, its nonce and the state cookie (ui/lti.py), not the same-site rule.
_FROM_PLATFORMS = ("/lti/login", "/lti/launch")


@dataclass(frozen=True)
class Limits:
    """What the wall lets through; `ui.app.build_app` fills it from the settings."""

    allowed_hosts: Sequence[str] = ()
    """Host names it answers for ("*": any). Whatever it is told, it answers for an address
    (a Host that is an IP literal cannot be rebound by DNS), `localhost` and this machine's
    name; a site's name must be told, or a page on any site could point its name here."""
    cors_origins: Sequence[str] = ()
    trusted_proxies: Sequence[str] = ()
    frame_ancestors: Sequence[str] = ()
    """Sites that may frame the pages; the chat-only embed may be framed anywhere without any."""
    requests_per_minute: int = 60
    """Per client, for the requests that cost work (writes, asks, study packs); 0: no limit."""
    max_upload_bytes: int = 20_000_000
    read_only: bool = False
    body_stall_seconds: float = 30.0
    """A request body that sends nothing for this long is dropped (a client trickling bytes)."""
    admin_token: str | None = None
    """Requests bearing it are the operator's (the command line through a running server): not
    rate-limited as web traffic, still bounded in size."""


@cache
def _this_machine() -> frozenset[str]:
    return frozenset({"localhost", socket.gethostname().lower()})


def client_of(request: Request) -> str:
    """The client a request came from, as the wall judged it."""
    return str(request.scope.get("state", {}).get(_CLIENT, ""))


def share_of(client: str) -> str:
    """Whose allowance a client's requests count against: its address, or for IPv6 its /64
    (one host is commonly given a whole /64, and could otherwise take endless allowances)."""
    try:
        ip = ip_address(client)
    except ValueError:
        return client
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def bears(headers: Mapping[str, str], token: str | None) -> bool:
    """Whether a request carries `token` as its bearer (compared in constant time)."""
    given = headers.get("authorization", "")
    return token is not None and secrets.compare_digest(given, f"Bearer {token}")


@dataclass
class _Bucket:
    tokens: float
    stamp: float = field(default_factory=time.monotonic)


class Guard:
    """The ASGI middleware that applies `Limits` to every HTTP request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits
        self._proxies = [ip_network(p, strict=False) for p in limits.trusted_proxies]
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        ancestors = " ".join(["'self'", *limits.frame_ancestors])
        self._frame = {"page": ancestors, "embed": ancestors if limits.frame_ancestors else "*"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scope.setdefault("state", {})[_CLIENT] = self.client(scope, headers)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, message, extra = refusal
            await _reply(send, status, message, extra, self._security_headers(scope))
            return
        await self.app(scope, self._capped(scope, receive), self._with_headers(scope, send))

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str, dict[str, str]] | None:
        path, method = scope["path"], scope["method"]
        host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
        if not self._answers_for(host):
            told = "its administrator can add it to ARCHIVE_QA_ALLOWED_HOSTS"
            return 400, f"this server does not answer for the host {host!r}: {told}.", {}
        if method in _UNSAFE and path not in _FROM_PLATFORMS and not self._same_site(headers):
            return 403, "a write from another site was refused (cross-site request).", {}
        if path.endswith(_GRADIO_UPLOAD) and (path.startswith("/embed") or self.limits.read_only):
            return 403, "uploads are not taken here.", {}
        limit = self._body_limit(path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return 413, f"the request is over the {limit / 1e6:.0f} MB limit.", {}
        if self._costly(method, path) and not bears(headers, self.limits.admin_token):
            wait = self._take_token(share_of(scope["state"][_CLIENT]))
            if wait:
                seconds = str(math.ceil(wait))
                message = f"too many requests: try again in {seconds} seconds."
                return 429, message, {"retry-after": seconds}
        return None

    def _answers_for(self, host: str) -> bool:
        allowed = self.limits.allowed_hosts
        if "*" in allowed or host.lower() in allowed or host.lower() in _this_machine():
            return True
        try:
            ip_address(host)
        except ValueError:
            return False
        return True

    def client(self, scope: Scope, headers: Headers) -> str:
        """The client's address; a forwarded one only when a configured proxy says so."""
        peer = (scope.get("client") or ("unknown", 0))[0]
        forwarded = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
        while forwarded and self._trusted(peer):
            peer = forwarded.pop()
        return str(peer)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)

    def _same_site(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            # Not from a browser page (curl, the CLI, gradio_client), or a same-origin form.
            return headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}
        if origin in self.limits.cors_origins:
            return True
        return urlsplit(origin).netloc == headers.get("host")

    def _costly(self, method: str, path: str) -> bool:
        return self.limits.requests_per_minute > 0 and (
            method in _UNSAFE or path.endswith("/study")
        )

    def _take_token(self, client: str) -> float:
        """Seconds to wait before `client` may send another costly request (0: go ahead)."""
        rate = self.limits.requests_per_minute / 60
        burst = max(1.0, self.limits.requests_per_minute / 2)
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget the clients that have been quiet longest
                for key in sorted(self._buckets, key=lambda k: self._buckets[k].stamp)[:5_000]:
                    del self._buckets[key]
            bucket = self._buckets.setdefault(client, _Bucket(burst, now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / rate

    def _body_limit(self, path: str) -> int:
        if path.endswith(_UPLOADS):
            # Several files may come in one request; each is held to the upload limit on its own.
            return 5 * self.limits.max_upload_bytes + 1_000_000
        return _JSON_BODY_BYTES

    def _capped(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, ending the request as a disconnect once the body passes its limit (for
        bodies that do not say their length up front) or stalls."""
        limit, seen, whole = self._body_limit(scope["path"]), 0, False

        async def capped() -> Message:
            nonlocal seen, whole
            if whole:  # the body is in: the app now waits for the client to go, unbounded
                return await receive()
            with anyio.move_on_after(self.limits.body_stall_seconds):
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    whole = not message.get("more_body", False)
                    if seen > limit:
                        return {"type": "http.disconnect"}
                return message
            return {"type": "http.disconnect"}  # a client that stopped sending mid-body

        return capped

    def _security_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        # A course site frames the embed, and the pages of an LTI launch (whose session cookie
        # is partitioned: a page of another site that frames them has no session there).
        framed = scope["path"].startswith(("/embed", "/lti/"))
        framing = self._frame["embed" if framed else "page"]
        return [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", f"frame-ancestors {framing}".encode()),
        ]

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        extra = self._security_headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return send_with_headers


async def _reply(
    send: Send,
    status: int,
    message: str,
    extra: dict[str, str],
    security: list[tuple[bytes, bytes]],
) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode(), v.encode()) for k, v in extra.items()),
        *security,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
