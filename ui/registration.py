"""Registering archive-qa with a learning platform, without copying values by hand: the JSON a
Canvas administrator pastes (``/lti/canvas.json``), and LTI Dynamic Registration, which Moodle and
Brightspace use (``/lti/register/INVITE``).

A dynamic registration comes through an invitation the server's administrator makes
(`archive-qa lti-invite`): a link good for one registration within a week, so that no stranger's
platform can register itself. The platform opens the link with its OpenID configuration and a
registration token; the tool reads the configuration (its issuer must be where it was fetched
from), registers itself at the platform's registration endpoint, keeps what the platform answers
(client id, deployment) with the registered platforms, and tells the platform's page it is done.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from qa.errors import LaunchError
from ui.courses import plain_page
from ui.lti import SCORE_SCOPE, Tool
from ui.platforms import Platform, register_platform

_log = logging.getLogger(__name__)
INVITE_LIFE = 7 * 24 * 3600  # seconds an invitation waits for its platform
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
_TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
_PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
_INVITES = "lti-invites"
WHERE = (
    "where the platform adds a tool by URL (Moodle: Site administration > Plugins > Activity "
    "modules > External tool > Manage tools > Tool URL)"
)
_UNEXPECTED = (
    "the platform's answer was not a registration archive-qa can use (it is logged on the "
    "server). The link still works: try again, or register the platform by hand with "
    "`archive-qa lti-register`."
)


def canvas_configuration(base: str) -> dict[str, Any]:
    """The tool's configuration as a Canvas developer key takes it ("Paste JSON" or "Enter
    URL"): launches from the course menu, and placement in modules and assignments by deep
    linking. Anonymous: Canvas sends no names."""
    launch = f"{base}/lti/launch"
    placements = [
        {"placement": "course_navigation", "message_type": "LtiResourceLinkRequest",
         "target_link_uri": launch, "text": "archive-qa"},
        {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
         "target_link_uri": launch, "text": "archive-qa"},
        {"placement": "assignment_selection", "message_type": "LtiDeepLinkingRequest",
         "target_link_uri": launch, "text": "archive-qa graded quiz"},
    ]  # fmt: skip
    return {
        "title": "archive-qa",
        "description": "Cited answers from archive documents, study materials and graded quizzes.",
        "oidc_initiation_url": f"{base}/lti/login", "target_link_uri": launch,
        "public_jwk_url": f"{base}/lti/jwks.json", "scopes": [LINEITEM_SCOPE, SCORE_SCOPE],
        "extensions": [{
            "platform": "canvas.instructure.com", "domain": urlsplit(base).netloc,
            "privacy_level": "anonymous", "settings": {"placements": placements},
        }],
        "custom_fields": {},
    }  # fmt: skip


def invite(folder: Path, base: str | None = None) -> str:
    """A new invitation for one platform's dynamic registration, the code in its link; `base`
    is this server's address as the platform reaches it (else the request's). Kept hashed and
    owner-only in `folder`, a file each, so that spending one is one atomic removal."""
    code = secrets.token_urlsafe(24)
    invites = folder / _INVITES
    invites.mkdir(mode=0o700, parents=True, exist_ok=True)
    kept = {"until": time.time() + INVITE_LIFE, "base": base}
    descriptor = os.open(invites / _digest(code), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(kept, file)
    return code


def _spend_invite(folder: Path, code: str) -> dict[str, Any]:
    """Spend an invitation (only one request can: the removal of its file is atomic); what it
    keeps. `LaunchError` when it is not one, was used, or is too old."""
    path = folder / _INVITES / _digest(code)
    try:
        kept: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
    except (OSError, ValueError):
        kept = {}
    if kept.get("until", 0) < time.time():
        raise LaunchError(
            "this registration link was used already, is over a week old, or was never made: "
            "ask archive-qa's administrator for a new one (`archive-qa lti-invite`)."
        )
    return kept


def _return_invite(folder: Path, code: str, kept: dict[str, Any]) -> None:
    """Put back an invitation whose registration failed, for the platform to try again."""
    with contextlib.suppress(OSError):
        (folder / _INVITES / _digest(code)).write_text(json.dumps(kept), encoding="utf-8")


def register_dynamically(
    tool: Tool, folder: Path, base: str, configuration_url: str, registration_token: str | None,
    client: httpx.Client,
) -> Platform:  # fmt: skip
    """Register with the platform whose OpenID configuration is at `configuration_url`, and keep
    it with the registered platforms (in `folder`, and in `tool` at once)."""
    _check_address(configuration_url)
    found = _json(client.get(configuration_url), "the platform's OpenID configuration")
    issuer = str(found.get("issuer", ""))
    if not issuer or not configuration_url.startswith(issuer.rstrip("/") + "/"):
        raise LaunchError(
            f"the platform's configuration names the issuer {issuer!r}, which is not where it "
            "was read from: the registration stops here."
        )
    if any(p.issuer == issuer for p in tool.platforms):
        raise LaunchError(
            f"{issuer} is registered already: its administrator registers it again with "
            "`archive-qa lti-register` (a registration never replaces another)."
        )
    headers = {"authorization": f"Bearer {registration_token}"} if registration_token else {}
    asked = _registration(base, found)
    answer = client.post(str(found["registration_endpoint"]), json=asked, headers=headers)
    given = _json(answer, "the platform's registration endpoint")
    deployment = (given.get(_TOOL_CONFIGURATION) or {}).get("deployment_id")
    platform = Platform(
        issuer=issuer, client_id=str(given["client_id"]),
        deployment_ids=(str(deployment),) if deployment else (),
        login_url=str(found["authorization_endpoint"]), jwks_url=str(found["jwks_uri"]),
        token_url=found.get("token_endpoint"),
    )  # fmt: skip
    register_platform(folder / "lti-platforms.json", platform)
    tool.platforms.append(platform)
    return platform


def _registration(base: str, platform: dict[str, Any]) -> dict[str, Any]:
    """What the tool asks the platform to register (LTI Dynamic Registration's client
    metadata)."""
    launch = f"{base}/lti/launch"
    offered = (platform.get(_PLATFORM_CONFIGURATION) or {}).get("messages_supported") or []
    # Moodle lists the kinds as strings, the specification as {"type": ...}.
    kinds = {m.get("type") if isinstance(m, dict) else m for m in offered}
    kinds = kinds or {"LtiResourceLinkRequest"}
    messages = [{"type": t, "target_link_uri": launch} for t in
                ("LtiResourceLinkRequest", "LtiDeepLinkingRequest") if t in kinds]  # fmt: skip
    return {
        "application_type": "web", "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login", "redirect_uris": [launch],
        "client_name": "archive-qa", "jwks_uri": f"{base}/lti/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{LINEITEM_SCOPE} {SCORE_SCOPE}",
        _TOOL_CONFIGURATION: {
            "domain": urlsplit(base).netloc, "target_link_uri": launch,
            # The name, for a teacher who turns names on (ui/asked.py); nothing else.
            "claims": ["iss", "sub", "name"],
            "messages": messages,
        },
    }  # fmt: skip


def serve_registration(app: FastAPI, tool: Tool, folder: Path) -> None:
    """Put ``/lti/canvas.json`` and ``/lti/register/INVITE`` on `app`."""

    @app.get("/lti/canvas.json", include_in_schema=False)
    def canvas(request: Request) -> JSONResponse:
        return JSONResponse(canvas_configuration(_base(request)))

    @app.get("/lti/register/{code}", include_in_schema=False)
    async def register(request: Request, code: str) -> HTMLResponse:
        configuration = request.query_params.get("openid_configuration", "")
        if not configuration:
            return plain_page("Not registered", f"<p>Paste this link {WHERE}.</p>", 400)
        try:
            kept = await run_in_threadpool(_spend_invite, folder, code)
        except LaunchError as exc:
            return plain_page("Not registered", f"<p>{html.escape(str(exc))}</p>", 400)
        try:
            with httpx.Client(timeout=20) as client:
                platform = await run_in_threadpool(
                    register_dynamically, tool, folder, kept.get("base") or _base(request),
                    configuration, request.query_params.get("registration_token"), client,
                )  # fmt: skip
        except Exception as exc:  # whatever the platform answered: said, and the link kept
            _log.warning("a dynamic registration failed: %r", exc)
            await run_in_threadpool(_return_invite, folder, code, kept)
            why = str(exc) if isinstance(exc, LaunchError) else _UNEXPECTED
            return plain_page("Not registered", f"<p>{html.escape(why)}</p>", 400)
        return plain_page(
            "Registered",
            f"<p>archive-qa is registered with <bdi>{html.escape(platform.issuer)}</bdi> "
            f"(client {html.escape(platform.client_id)}). You can close this window.</p>"
            "<script>(window.opener || window.parent).postMessage("
            "{subject: 'org.imsglobal.lti.close'}, '*')</script>",
        )


def _check_address(url: str) -> None:
    """`LaunchError` unless `url` is an HTTPS address (or this machine's, for trying it out)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise LaunchError("a platform's configuration is read over HTTPS only.")


def _base(request: Request) -> str:
    """This server's address as the request reached it."""
    return str(request.base_url).rstrip("/")


def _json(answer: httpx.Response, what: str) -> dict[str, Any]:
    if answer.status_code >= 300:
        raise LaunchError(f"{what} answered {answer.status_code}.")
    found: dict[str, Any] = answer.json()
    return found


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
