"""A learning platform for tests, speaking LTI 1.3 for real: its own RSA key, its key set served
over HTTP on 127.0.0.1, and id_tokens signed as Canvas or Moodle signs them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_openai import loopback_server
from ui.lti import CONTEXT, DEPLOYMENT, LTI, ROLES, Platform

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

    @property
    def registration(self) -> Platform:
        return Platform(
            issuer=self.url, client_id=self.client_id, deployment_ids=(self.deployment_id,),
            login_url=f"{self.url}/auth", jwks_url=f"{self.url}/jwks",
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

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": self.kid, "alg": "RS256", "use": "sig"}]}


@contextmanager
def lti_platform() -> Iterator[CoursePlatform]:
    """A platform serving its key set on 127.0.0.1."""
    served: list[CoursePlatform] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(served[0].jwks()).encode()
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as base:
        served.append(CoursePlatform(base.removesuffix("/v1")))
        yield served[0]
