"""LTI 1.3 launches from a course site: a registered platform's signed launch is let in with its
course and the launcher's role; every other kind is refused with a page saying why. Against a
test platform that signs for real (tests/lti_platform.py), over real HTTP."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.assembly import Archive, open_archive
from tests.conftest import make_settings, serving
from tests.lti_platform import (
    INSTRUCTOR,
    CoursePlatform,
    _key,
    enter,
    lti_platform,
    post_launch,
    start_login,
)
from tests.test_cli import run
from ui.app import build_app
from ui.lti import Tool
from ui.platforms import ToolKey, load_platforms
from ui.registration import invite


@pytest.fixture(scope="module")
def platform() -> Iterator[CoursePlatform]:
    with lti_platform() as serving_platform:
        yield serving_platform


@pytest.fixture(scope="module")
def courses(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """An archive of its own: launches make courses' collections in it."""
    return open_archive(make_settings(tmp_path_factory.mktemp("courses")))


@pytest.fixture(scope="module")
def tool_url(
    courses: Archive, platform: CoursePlatform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    key = ToolKey(tmp_path_factory.mktemp("lti") / "lti-key.pem")
    with serving(build_app(courses, lti=Tool([platform.registration], key))) as url:
        yield url


def test_a_signed_launch_from_a_registered_platform_is_let_in_with_its_course_and_role(
    tool_url: str, platform: CoursePlatform
) -> None:
    teacher = enter(tool_url, platform, role=INSTRUCTOR)  # checks the session cookie's kind
    page = httpx.get(f"{tool_url}/lti/course/", headers=teacher.headers)
    assert "<bdi>HIST 201: Cold War Asia</bdi>" in page.text and 'data-role="teacher"' in page.text
    keys = httpx.get(f"{tool_url}/lti/jwks.json").json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]


REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "forged": ({"signed_by": _key()}, "signature or claims are not valid"),
    "expired": ({"exp": 1_000, "iat": 500}, "the launch has expired"),
    "wrong audience": ({"aud": "another-tool"}, "meant for another tool"),
    "wrong deployment": (
        {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-9"},
        "the deployment 'deployment-9' is not registered",
    ),
    "another kind of message": (
        {"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"},
        "only a resource-link or a deep-linking launch",
    ),
    "deep linking with nowhere to return": (
        {"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"},
        "does not say where to return",
    ),
    "not LTI 1.3": ({"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"}, "not LTI 1.3.0"),
    "another nonce": ({"nonce": "made-up"}, "was not issued here or was used already"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_each_kind_of_bad_launch_is_refused_with_a_page_saying_why(
    tool_url: str, platform: CoursePlatform, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    changes, why = dict(REFUSED[kind][0]), REFUSED[kind][1]
    state, nonce = start_login(tool_url, platform)
    forger = changes.pop("signed_by", None)
    token = platform.id_token(nonce, signed_by=forger, changes=changes)
    refused = post_launch(tool_url, token, state, state)
    assert refused.status_code == 400 and "This launch was refused" in refused.text
    assert html.escape(why) in refused.text
    logged = [r.getMessage() for r in caplog.records if r.name == "ui.lti"]
    assert any(m.startswith("LTI launch refused") and why in m for m in logged), logged


def test_a_replayed_launch_and_one_without_its_login_cookie_are_refused(
    tool_url: str, platform: CoursePlatform
) -> None:
    state, nonce = start_login(tool_url, platform)
    token = platform.id_token(nonce, role=INSTRUCTOR)
    assert post_launch(tool_url, token, state, state).status_code == 303
    replayed = post_launch(tool_url, token, state, state)
    assert replayed.status_code == 400 and "was used already" in replayed.text
    state, nonce = start_login(tool_url, platform)
    elsewhere = post_launch(tool_url, platform.id_token(nonce), state, None)
    assert elsewhere.status_code == 400 and "does not match this browser" in elsewhere.text


def test_a_login_from_an_unregistered_platform_is_refused(tool_url: str) -> None:
    started = httpx.get(
        f"{tool_url}/lti/login",
        params={"iss": "https://stranger.example", "login_hint": "u", "client_id": "x"},
    )
    assert started.status_code == 400
    assert "no platform &#x27;https://stranger.example&#x27; is registered" in started.text


def test_the_tools_key_is_made_once_and_kept_owner_only(tmp_path: Path) -> None:
    key = ToolKey(tmp_path / "lti-key.pem")
    published = key.jwks()
    assert (tmp_path / "lti-key.pem").stat().st_mode & 0o777 == 0o600
    assert ToolKey(tmp_path / "lti-key.pem").jwks() == published


def test_a_platform_is_registered_from_the_command_line_and_replaced_when_registered_again(
    tmp_path: Path,
) -> None:
    data = tmp_path / "db"
    values = [
        "--issuer", "https://canvas.example.edu", "--client-id", "10000000000001",
        "--deployment", "1:abc", "--login-url", "https://sso.canvas.example.edu/api/lti/authorize",
        "--jwks-url", "https://sso.canvas.example.edu/api/lti/security/jwks",
    ]  # fmt: skip
    registered = run(data, "lti-register", *values)
    assert registered.returncode == 0, registered.stderr
    assert "Registered https://canvas.example.edu (client 10000000000001)" in registered.stdout
    again = run(data, "lti-register", *values, "--deployment", "2:def")
    assert again.returncode == 0
    (platform,) = load_platforms(data / "lti-platforms.json")
    assert platform.deployment_ids == ("1:abc", "2:def")
    assert platform.login_url == "https://sso.canvas.example.edu/api/lti/authorize"
    assert (data / "lti-platforms.json").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700  # the data folder, made here, is owner-only


def test_schools_on_one_issuer_are_told_apart_by_client_id(
    courses: Archive, platform: CoursePlatform, tmp_path: Path
) -> None:
    # Canvas Cloud is one issuer for every school; each school's developer key is a client id.
    other = replace(platform.registration, client_id="school-2")
    tool = Tool([platform.registration, other], ToolKey(tmp_path / "lti-key.pem"))
    with serving(build_app(courses, lti=tool)) as url:
        state, nonce = start_login(url, replace(platform, client_id="school-2"))
        token = platform.id_token(nonce, role=INSTRUCTOR, changes={"aud": "school-2"})
        assert post_launch(url, token, state, state).status_code == 303
        # A state that is not ASCII is refused like any other mismatch, not a server error.
        assert post_launch(url, token, "état", "etat").status_code == 400


def test_a_canvas_administrator_pastes_the_tools_configuration_from_its_url(tool_url: str) -> None:
    found = httpx.get(f"{tool_url}/lti/canvas.json").json()
    assert found["oidc_initiation_url"] == f"{tool_url}/lti/login"
    assert found["target_link_uri"] == f"{tool_url}/lti/launch"
    assert found["public_jwk_url"] == f"{tool_url}/lti/jwks.json"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in found["scopes"]
    (canvas,) = found["extensions"]
    assert canvas["privacy_level"] == "anonymous"  # Canvas sends no names this way
    kinds = {p["placement"]: p["message_type"] for p in canvas["settings"]["placements"]}
    assert kinds["course_navigation"] == "LtiResourceLinkRequest"
    assert kinds["assignment_selection"] == "LtiDeepLinkingRequest"


def test_a_platform_registers_itself_through_an_administrators_invitation(
    courses: Archive, platform: CoursePlatform, tmp_path: Path
) -> None:
    tool = Tool([], ToolKey(tmp_path / "lti-key.pem"))
    code = invite(tmp_path)
    (kept,) = (tmp_path / "lti-invites").iterdir()
    assert kept.stat().st_mode & 0o777 == 0o600 and code not in kept.name  # kept hashed
    configuration = f"{platform.url}/.well-known/openid-configuration"
    query = {"openid_configuration": configuration, "registration_token": "registration-token-1"}
    with serving(build_app(courses, lti=tool)) as url:
        page = httpx.get(f"{url}/lti/register/{code}", params=query)
        assert page.status_code == 200, page.text
        assert "org.imsglobal.lti.close" in page.text and "dynamic-client-1" in page.text
        asked = platform.registered[-1]
        assert asked["initiate_login_uri"] == f"{url}/lti/login"
        assert asked["redirect_uris"] == [f"{url}/lti/launch"]
        assert asked["jwks_uri"] == f"{url}/lti/jwks.json"
        (kept,) = load_platforms(tmp_path / "lti-platforms.json")
        assert (kept.client_id, kept.deployment_ids) == (
            "dynamic-client-1",
            ("dynamic-deployment-1",),
        )
        assert kept.token_url == f"{platform.url}/token"
        # The platform launches through its new registration at once.
        registered = replace(platform, client_id="dynamic-client-1",
                             deployment_id="dynamic-deployment-1")  # fmt: skip
        enter(url, registered, role=INSTRUCTOR, course=("course-dr", "HIST 101"))
        again = httpx.get(f"{url}/lti/register/{code}", params=query)
        assert again.status_code == 400 and "used already" in again.text
        # A configuration whose issuer is not where it was read from is not registered (and the
        # link is kept for another try).
        forged = f"{configuration}?issuer=https://lms.example.edu"
        second = f"{url}/lti/register/{invite(tmp_path)}"
        other = httpx.get(second, params=query | {"openid_configuration": forged})
        assert other.status_code == 400 and "not where it was read from" in other.text
        # A registration never replaces another: not even the platform's own, again.
        taken = httpx.get(second, params=query)
        assert taken.status_code == 400 and "is registered already" in taken.text
        assert len(load_platforms(tmp_path / "lti-platforms.json")) == 1


def test_the_command_line_makes_a_registration_link(tmp_path: Path) -> None:
    made = run(tmp_path / "db", "lti-invite", "--url", "https://qa.example.edu/")
    assert made.returncode == 0, made.stderr
    link = made.stdout.split()[0]
    assert link.startswith("https://qa.example.edu/lti/register/") and len(link) > 60
    assert "within a week" in made.stdout
