"""Who archive-qa trusts as a course site: the learning platforms registered with it (their
issuer, the tool's client id and deployments there, and where they publish their keys), and the
tool's own key pair, whose public half platforms check what it signs against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from qa.errors import ArchiveQAError


@dataclass(frozen=True)
class Platform:
    """A learning platform registered with this tool (its values are on the platform's page for
    the tool: Canvas's developer key, Moodle's external tool)."""

    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    login_url: str
    """The platform's OIDC authorization endpoint, where a login is sent on."""
    jwks_url: str
    """Where the platform publishes the keys its id_tokens are signed with."""
    token_url: str | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Platform:
        return cls(
            issuer=str(item["issuer"]), client_id=str(item["client_id"]),
            deployment_ids=tuple(str(d) for d in item.get("deployment_ids", ())),
            login_url=str(item["login_url"]), jwks_url=str(item["jwks_url"]),
            token_url=item.get("token_url"),
        )  # fmt: skip


def load_platforms(path: Path) -> list[Platform]:
    """The platforms registered in `path` (a JSON list; none when it does not exist)."""
    if not path.exists():
        return []
    try:
        return [Platform.from_json(item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveQAError(
            f"{path} is not a list of platforms (issuer, client_id, deployment_ids, login_url, "
            f"jwks_url): {exc}. Fix it or register the platforms again."
        ) from exc


def register_platform(path: Path, platform: Platform) -> None:
    """Add `platform` to the registrations in `path` (replacing one with its issuer and client
    id), owner-only like the tool's key."""
    kept = [
        p for p in load_platforms(path)
        if (p.issuer, p.client_id) != (platform.issuer, platform.client_id)
    ]  # fmt: skip
    listed = [asdict(p) | {"deployment_ids": list(p.deployment_ids)} for p in [*kept, platform]]
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(listed, file, indent=2)


@dataclass
class ToolKey:
    """The tool's RSA key pair, made on first use and kept owner-only in the data folder; the
    platforms verify what the tool signs with its public half (`jwks`)."""

    path: Path
    _private: rsa.RSAPrivateKey | None = field(default=None, repr=False)

    @property
    def private(self) -> rsa.RSAPrivateKey:
        if self._private is None:
            self._private = self._load_or_make()
        return self._private

    @property
    def kid(self) -> str:
        numbers = self.private.public_key().public_numbers()
        return f"aqa-{numbers.n % (1 << 64):016x}"

    def secret(self, purpose: str) -> bytes:
        """A secret for `purpose` drawn from the private key: the same on every replica that
        shares the key, and changed with it."""
        der = self.private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return hmac.new(der, purpose.encode(), hashlib.sha256).digest()

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public key as a JSON Web Key Set."""
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {"keys": [public | {"kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def _load_or_make(self) -> rsa.RSAPrivateKey:
        if self.path.exists():
            loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ArchiveQAError(f"{self.path} is not an RSA key: move it away to make one.")
            return loaded
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made a moment ago by another request or process
            time.sleep(0.2)
            return self._load_or_make()
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        return key
