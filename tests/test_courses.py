"""A course launched from a learning platform is a collection of its own: made on its teacher's
first launch and named after the course, changed by its teachers alone (with the page's CSRF
token), asked and read by its students within it, and never seen from outside it: not by
another course, not by a visitor without a session. Over real HTTP, launched through a platform
that signs for real (tests/lti_platform.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, expect

from qa.assembly import BUNDLED_DOCUMENT_ID, Archive, bundled_document, open_archive
from tests.conftest import make_settings, screenshot, serving, study_pack
from tests.lti_platform import (
    INSTRUCTOR,
    CoursePlatform,
    Member,
    enter,
    lti_platform,
    post_launch,
    start_login,
)
from ui.app import build_app
from ui.courses import COOKIE, Course
from ui.grades import Gradebook
from ui.guards import Limits
from ui.lti import (
    AGS_ENDPOINT,
    CONTEXT,
    CUSTOM,
    DEEP_LINKING,
    LTI,
    SCORE_SCOPE,
    Launch,
    Tool,
)
from ui.platforms import Platform, ToolKey
from vectorstore.privacy import privacy_of

FRUS = Path(__file__).parents[1] / "eval" / "corpus" / "frus1951v07p2"
SECOND = ("course-305", "HIST 305: Decolonisation")
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"


@pytest.fixture(scope="module")
def platform() -> Iterator[CoursePlatform]:
    with lti_platform() as serving_platform:
        yield serving_platform


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory, platform: CoursePlatform) -> Tool:
    return Tool([platform.registration], ToolKey(tmp_path_factory.mktemp("lti") / "key.pem"))


@pytest.fixture(scope="module")
def courses(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return open_archive(make_settings(tmp_path_factory.mktemp("courses")))


@pytest.fixture(scope="module")
def url(courses: Archive, tool: Tool) -> Iterator[str]:
    # A read-only server, as a public one is: a course's teachers change their course all the same.
    # A score the gradebook did not take is sent again after a fifth of a second. Every teacher
    # and student here comes from 127.0.0.1, one client to the rate limit, which answers fast
    # enough to exceed it: no limit (tests/test_limits.py tests it).
    gradebook = Gradebook(tool, courses.store, retries=(0.2,))
    limits = Limits(read_only=True, requests_per_minute=0)
    app = build_app(courses, limits, lti=tool, gradebook=gradebook)
    with serving(app) as served:
        yield served


@pytest.fixture(scope="module")
def course(url: str, platform: CoursePlatform) -> dict[str, Any]:
    """HIST 201 as its teacher set it up: the telegram from the library and two records of
    their own, uploaded from the course page."""
    teacher = enter(url, platform, role=INSTRUCTOR)
    name = httpx.get(f"{url}/api/collections", headers=teacher.headers).json()[0]["name"]
    put = httpx.put(
        f"{url}/api/collections/{name}", json={"documents": [BUNDLED_DOCUMENT_ID]},
        headers=teacher.headers,
    )  # fmt: skip
    assert put.status_code == 200, put.text
    files = [("files", (p.name, p.read_bytes())) for p in (FRUS / "0001.txt", FRUS / "0002.txt")]
    added = httpx.post(f"{url}/api/documents", files=files, headers=teacher.headers, timeout=120)
    assert added.status_code == 200, added.text
    own = [a["document_id"] for a in added.json()]
    assert [a["status"] for a in added.json()] == ["added", "added"] and all(own)
    return {"name": name, "teacher": teacher, "own": own}


def test_a_teachers_first_launch_makes_the_courses_collection_named_after_the_course(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    assert re.fullmatch(r"HIST 201: Cold War Asia \([0-9a-f]{6}\)", course["name"])
    student = enter(url, platform)  # a student of the same course, launched after the teacher
    listed = httpx.get(f"{url}/api/collections", headers=student.headers).json()
    assert listed == [{"name": course["name"], "documents": [BUNDLED_DOCUMENT_ID, *course["own"]]}]
    page = httpx.get(f"{url}/lti/course/", headers=student.headers).text
    assert 'data-role="student"' in page and 'data-csrf=""' in page
    documents = httpx.get(f"{url}/api/documents", headers=student.headers).json()
    assert {d["id"] for d in documents} == {BUNDLED_DOCUMENT_ID, *course["own"]}


def test_a_student_cannot_launch_a_course_its_teacher_has_not_opened(
    url: str, platform: CoursePlatform
) -> None:
    state, nonce = start_login(url, platform)
    context = {"id": "course-999", "title": "HIST 999: Not yet"}
    token = platform.id_token(nonce, changes={CONTEXT: context})
    refused = post_launch(url, token, state, state)
    assert refused.status_code == 400
    assert "your teacher has not opened archive-qa in this course yet" in refused.text


def test_a_student_asks_within_the_course_and_is_answered_from_its_documents_only(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    student = enter(url, platform)
    members = {BUNDLED_DOCUMENT_ID, *course["own"]}
    # Whatever collection or documents the request names, the session keeps it in its course.
    for scope in ({}, {"collection": "Elsewhere"}, {"documents": [BUNDLED_DOCUMENT_ID, "x"]}):
        answered = httpx.post(
            f"{url}/api/ask", json={"question": "What did Stalin offer?", **scope},
            headers=student.headers, timeout=60,
        )  # fmt: skip
        assert answered.status_code == 200, answered.text
        body = answered.json()
        assert not body["abstained"] and body["citations"]
        assert {c["document_id"] for c in body["citations"]} <= members
    formosa = _ask(url, "What did the Joint Chiefs of Staff say about Formosa?", student.headers)
    assert course["own"][0] in {c["document_id"] for c in formosa["citations"]}


def test_a_course_is_unseen_from_another_course_and_without_a_session(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    enter(url, platform, role=INSTRUCTOR, course=SECOND)
    other = enter(url, platform, course=SECOND)
    for headers in (other.headers, {}):
        documents = {d["id"] for d in httpx.get(f"{url}/api/documents", headers=headers).json()}
        assert not documents & set(course["own"])
        for document_id in course["own"]:
            seen = httpx.get(f"{url}/api/documents/{document_id}", headers=headers)
            assert seen.status_code == 404
        names = [c["name"] for c in httpx.get(f"{url}/api/collections", headers=headers).json()]
        assert course["name"] not in names
        formosa = _ask(url, "What did the Joint Chiefs of Staff say about Formosa?", headers)
        assert not {c["document_id"] for c in formosa["citations"]} & set(course["own"])
    # Named outright, the course's collection is not there for a visitor (nor its title told).
    asked = httpx.post(
        f"{url}/api/ask", json={"question": "What is Formosa?", "collection": course["name"]}
    )
    error = asked.json()["error"]
    assert asked.status_code == 400 and "HIST" not in error.split("collections:")[1]
    assert httpx.get(f"{url}/api/documents", headers=other.headers).json() == []


def test_only_the_courses_teachers_change_it_and_each_change_carries_the_pages_token(
    url: str, course: dict[str, Any], platform: CoursePlatform, courses: Archive
) -> None:
    student = enter(url, platform)
    upload = [("files", ("notes.txt", b"A student's own notes on Formosa."))]
    refused = httpx.post(f"{url}/api/documents", files=upload, headers=student.headers)
    assert refused.status_code == 403 and "only the course's teachers" in refused.json()["error"]
    teacher: Member = course["teacher"]
    tokenless = {"cookie": teacher.headers["cookie"]}
    removal = httpx.delete(f"{url}/api/documents/{BUNDLED_DOCUMENT_ID}", headers=tokenless)
    assert removal.status_code == 403 and "CSRF token" in removal.json()["error"]
    # From another site, the wall refuses it before it is read.
    foreign = dict(teacher.headers, origin="https://elsewhere.example")
    assert httpx.delete(f"{url}/api/documents/x", headers=foreign).status_code == 403
    # A visitor cannot take a course's document out of a read-only library, nor name it.
    assert httpx.delete(f"{url}/api/documents/{course['own'][1]}").status_code == 403


def test_taking_documents_out_of_a_course_removes_its_own_and_leaves_the_librarys(
    url: str, platform: CoursePlatform, courses: Archive
) -> None:
    third = ("course-410", "HIST 410: Archives")
    teacher = enter(url, platform, role=INSTRUCTOR, course=third)
    name = httpx.get(f"{url}/api/collections", headers=teacher.headers).json()[0]["name"]
    httpx.put(f"{url}/api/collections/{name}", json={"documents": [BUNDLED_DOCUMENT_ID]},
              headers=teacher.headers)  # fmt: skip
    added = httpx.post(
        f"{url}/api/documents", files=[("files", ("0003.txt", (FRUS / "0003.txt").read_bytes()))],
        headers=teacher.headers, timeout=120,
    ).json()  # fmt: skip
    own = added[0]["document_id"]
    for document_id in (own, BUNDLED_DOCUMENT_ID):
        gone = httpx.delete(f"{url}/api/documents/{document_id}", headers=teacher.headers)
        assert gone.status_code == 204, gone.text
    assert httpx.get(f"{url}/api/documents", headers=teacher.headers).json() == []
    assert own not in courses.store.document_ids()  # its own upload is out of the library
    assert BUNDLED_DOCUMENT_ID in courses.store.document_ids()  # the library's stays


def test_a_courses_own_document_is_studied_as_the_course_sees_the_library(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    student = enter(url, platform)
    pack = study_pack(url, course["own"][0], student.headers)
    answered = [q for q in pack["guide"] if q["answer"]]
    assert answered, "no question of the guide was answered from the course's own document"
    members = {BUNDLED_DOCUMENT_ID, *course["own"]}
    cited = {c["document_id"] for q in answered for c in q["answer"]["citations"]}
    assert cited <= members


def test_a_courses_teacher_chooses_the_study_materials_its_students_see(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    teacher: Member = course["teacher"]
    student = enter(url, platform)
    document_id = course["own"][1]
    first = study_pack(url, document_id, student.headers)["guide"][0]["key"]
    edits_url = f"{url}/api/documents/{document_id}/study/edits"
    refused = httpx.put(edits_url, json={"hidden": [first]}, headers=student.headers)
    assert refused.status_code == 403 and "only the course's teachers" in refused.json()["error"]
    hidden = httpx.put(edits_url, json={"hidden": [first]}, headers=teacher.headers)
    assert hidden.status_code == 200, hidden.text
    assert first not in [q["key"] for q in study_pack(url, document_id, student.headers)["guide"]]
    # The course's edits are its own: a visitor naming its collection gets none of them.
    named = httpx.get(
        f"{url}/api/documents/{BUNDLED_DOCUMENT_ID}/study", params={"collection": course["name"]}
    )
    assert named.status_code == 400 and "no collection" in named.json()["error"]


def test_the_course_page_lists_the_study_items_a_teacher_may_hide_from_students(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    teacher: Member = course["teacher"]
    document_id = course["own"][0]
    items_url = f"{url}/api/documents/{document_id}/study/items"
    study_pack(url, document_id, teacher.headers)  # made
    items = httpx.get(items_url, headers=teacher.headers).json()
    assert items and not any(i["hidden"] for i in items)
    assert any(i["label"].startswith("Quiz: ") for i in items)
    edits_url = f"{url}/api/documents/{document_id}/study/edits"
    httpx.put(edits_url, json={"hidden": [items[0]["key"]]}, headers=teacher.headers)
    again = httpx.get(items_url, headers=teacher.headers).json()
    assert [i["hidden"] for i in again] == [True] + [False] * (len(items) - 1)
    student = enter(url, platform)
    assert httpx.get(items_url, headers=student.headers).status_code == 403
    httpx.put(edits_url, json={"hidden": []}, headers=teacher.headers)


def test_the_librarys_study_materials_draw_on_nothing_of_a_course(
    url: str, course: dict[str, Any], tmp_path: Path
) -> None:
    # The telegram is in the course, beside the course's own records; studied by a visitor,
    # it is studied as in a library that has no course at all.
    visited = study_pack(url, BUNDLED_DOCUMENT_ID)
    alone = open_archive(make_settings(tmp_path / "alone"))
    assert visited == alone.study(alone.library.document(BUNDLED_DOCUMENT_ID)).model_dump()


def test_a_course_has_a_name_of_its_own_and_changes_only_its_own_collection(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    # Another course of the same title (another school, another term): another collection,
    # and nothing in either name tells of the other.
    namesake = enter(
        url, platform, role=INSTRUCTOR, course=("course-777", "HIST 201: Cold War Asia")
    )
    (listed,) = httpx.get(f"{url}/api/collections", headers=namesake.headers).json()
    assert listed["name"] != course["name"] and listed["documents"] == []
    assert re.fullmatch(r"HIST 201: Cold War Asia \([0-9a-f]{6}\)", listed["name"])
    elsewhere = httpx.put(
        f"{url}/api/collections/Week 3", json={"documents": [BUNDLED_DOCUMENT_ID]},
        headers=namesake.headers,
    )  # fmt: skip
    assert elsewhere.status_code == 400
    assert "changes its own collection alone" in elsewhere.json()["error"]


@pytest.mark.parametrize(
    ("roles", "teaches"),
    [
        ([MEMBERSHIP + "#Instructor"], True),
        ([MEMBERSHIP + "/Instructor#TeachingAssistant"], True),
        ([MEMBERSHIP + "#Learner", INSTITUTION + "#Instructor"], False),
        ([MEMBERSHIP + "#Learner", INSTITUTION + "#Administrator"], False),
    ],
)
def test_only_a_courses_own_teachers_teach_it(roles: list[str], teaches: bool) -> None:
    # An instructor of the institution may be a student of this course.
    launch = Launch(
        platform=Platform("i", "c", ("d",), "l", "j"), deployment_id="d", user="u", name=None,
        roles=tuple(roles), course_id="c1", course_title="T",
    )  # fmt: skip
    assert launch.teaches is teaches


def test_a_teacher_places_a_documents_study_materials_and_its_link_opens_them(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    study = f"study:{course['own'][0]}"
    teacher = enter(url, platform, role=INSTRUCTOR, changes=_placing(platform), lands="/lti/place/")
    assert (
        f"value='{study}'" in teacher.page
        and f"value='study:{BUNDLED_DOCUMENT_ID}'" in teacher.page
    )
    # A graded quiz of the course's own documents only: the library's are studied with their keys.
    assert f"value='quiz:{course['own'][0]}'" in teacher.page
    assert f"value='quiz:{BUNDLED_DOCUMENT_ID}'" not in teacher.page
    place = f"{url}/lti/place/"
    cookie = {"cookie": teacher.headers["cookie"]}
    tokenless = httpx.post(place, data={"place": study}, headers=cookie)
    assert tokenless.status_code == 403 and "CSRF token" in tokenless.text
    unoffered = httpx.post(place, data={"place": "study:x", "csrf": teacher.csrf}, headers=cookie)
    assert unoffered.status_code == 400
    shared = {"place": f"quiz:{BUNDLED_DOCUMENT_ID}", "csrf": teacher.csrf}
    assert httpx.post(place, data=shared, headers=cookie).status_code == 400
    placed = httpx.post(place, data={"place": study, "csrf": teacher.csrf}, headers=cookie)
    assert placed.status_code == 200, placed.text
    back = re.search(r"action='([^']*)'.*name='JWT' value='([^']*)'", placed.text)
    assert back and back[1] == f"{platform.url}/placed"
    assert "Placed in the module" in platform.take_placement(back[2])  # checks the signature
    link = platform.placed[-1]
    assert link["custom"] == {"archive_qa": study} and link["url"] == f"{url}/lti/launch"
    # A student follows the placed link: it opens that document's study materials.
    student = enter(url, platform, changes={CUSTOM: link["custom"]})
    assert f'src="/embed/?study={course["own"][0]}&amp;chat=0"' in student.page
    # Only a teacher places the tool.
    state, nonce = start_login(url, platform)
    claims = {
        CONTEXT: {"id": "course-201", "title": "HIST 201: Cold War Asia"},
        **_placing(platform),
    }
    refused = post_launch(url, platform.id_token(nonce, changes=claims), state, state)
    assert refused.status_code == 400 and "only the course&#x27;s teachers place" in refused.text


def test_a_students_first_attempt_is_graded_and_reaches_the_gradebook_once(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    link = _place(url, platform, f"quiz:{course['own'][1]}")
    assert link["lineItem"]["scoreMaximum"] > 0 and link["lineItem"]["resourceId"].startswith(
        "quiz:"
    )
    student = _follow(url, platform, link)
    assert 'src="/lti/quiz/"' in student.page
    quiz = httpx.get(f"{url}/lti/quiz/", headers=student.headers).text
    # No key in the page: not in a class, not in a field's name.
    names = set(re.findall(r"type='radio' name='([^']+)'", quiz))
    assert "aqa-key" not in quiz and names == {f"q{n}" for n in range(1, len(names) + 1)}
    assert len(names) == link["lineItem"]["scoreMaximum"]
    # Nor anywhere else a student of the course can read.
    own = httpx.get(f"{url}/api/documents/{course['own'][1]}/study", headers=student.headers)
    assert own.status_code == 200 and own.json()["quiz"] == []
    answers = {**_hidden(quiz), **{name: "A" for name in names}, "q1": "<img src=x>"}
    before = len(platform.scores)
    result = httpx.post(f"{url}/lti/quiz/", data=answers, headers=student.headers).text
    right = int(re.search(r"You answered (\d+) of", result)[1])  # type: ignore[index]
    assert "its score is in the course&#x27;s gradebook" in result and "<blockquote>" in result
    assert "&lt;img src=x&gt;" in result and "<img" not in result
    ((lineitem, score),) = platform.scores[before:]
    assert lineitem == link["lineitem_url"] and score["scoreGiven"] == right
    assert score["scoreMaximum"] == len(names) and score["gradingProgress"] == "FullyGraded"
    # Every later attempt is practice: shown, never sent.
    again = httpx.post(f"{url}/lti/quiz/", data=answers | {"q1": "B"}, headers=student.headers)
    assert f"Your first attempt is the graded one ({right} of" in again.text
    assert len(platform.scores) == before + 1
    forged = httpx.post(f"{url}/lti/quiz/", data=answers | {"csrf": "x"}, headers=student.headers)
    assert forged.status_code == 403 and len(platform.scores) == before + 1
    stale = httpx.post(f"{url}/lti/quiz/", data=answers | {"version": "0"}, headers=student.headers)
    assert stale.status_code == 409 and "changed since you opened it" in stale.text


def test_a_score_the_gradebook_did_not_take_is_sent_once_it_does(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    student = _follow(url, platform, _place(url, platform, f"quiz:{course['own'][0]}"))
    quiz = httpx.get(f"{url}/lti/quiz/", headers=student.headers).text
    before = len(platform.scores)
    platform.down = True
    try:
        result = httpx.post(f"{url}/lti/quiz/", data=_hidden(quiz), headers=student.headers)
        assert "did not answer: the score will reach it when it does" in result.text
        time.sleep(1.0)  # tried again, and again refused
        assert len(platform.scores) == before
    finally:
        platform.down = False
    deadline = time.monotonic() + 20
    while len(platform.scores) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # nothing more comes: sent once
    ((_, score),) = platform.scores[before:]
    assert score["scoreGiven"] == 0  # nothing was answered


def test_a_score_the_gradebook_refuses_for_good_is_not_sent_again(
    url: str, course: dict[str, Any], platform: CoursePlatform
) -> None:
    link = _place(url, platform, f"quiz:{course['own'][0]}")
    student = _follow(url, platform, link | {"lineitem_url": f"{platform.url}/lineitems/deleted"})
    quiz = httpx.get(f"{url}/lti/quiz/", headers=student.headers).text
    tries = platform.tries
    result = httpx.post(f"{url}/lti/quiz/", data=_hidden(quiz), headers=student.headers)
    assert "refused its score: tell your teacher" in result.text
    time.sleep(1.0)  # retries come every fifth of a second here: none came
    assert platform.tries == tries + 1


def test_a_courses_teachers_read_what_its_students_asked_with_names_only_if_they_turn_them_on(
    url: str, platform: CoursePlatform
) -> None:
    seminar = ("course-620", "HIST 620: Questions")
    teacher = enter(url, platform, role=INSTRUCTOR, course=seminar)
    student = enter(url, platform, course=seminar)  # the platform sends "Ada Student"
    _ask(url, "What did Stalin offer?", student.headers)
    (first,) = _asked(url, teacher, 1)
    assert first["question"] == "What did Stalin offer?" and first["name"] is None
    assert httpx.get(f"{url}/lti/asked", headers=student.headers).status_code == 403
    cookie = {"cookie": teacher.headers["cookie"]}
    assert httpx.put(f"{url}/lti/asked", json={"names": True}, headers=cookie).status_code == 403
    named = httpx.put(f"{url}/lti/asked", json={"names": True}, headers=teacher.headers)
    assert named.status_code == 200 and named.json()["names"] is True
    _ask(url, "Who wrote the telegram?", student.headers)
    newest, _ = _asked(url, teacher, 2)
    assert newest == newest | {"question": "Who wrote the telegram?", "name": "Ada Student"}
    # Turned off, the names kept are forgotten.
    unnamed = httpx.put(f"{url}/lti/asked", json={"names": False}, headers=teacher.headers).json()
    assert [a["name"] for a in unnamed["asked"]] == [None, None]
    elsewhere = enter(url, platform, role=INSTRUCTOR, course=SECOND)
    assert all(
        a["question"] not in {"What did Stalin offer?", "Who wrote the telegram?"}
        for a in httpx.get(f"{url}/lti/asked", headers=elsewhere.headers).json()["asked"]
    )


def test_a_session_that_is_forged_or_over_is_no_session(url: str, tool: Tool) -> None:
    course = Course("HIST 201: Cold War Asia", "HIST 201", teaches=True, csrf="t")
    forged = Tool([], ToolKey(tool.key.path.with_name("other.pem"))).sessions.issue(course)
    tool.sessions.life, over = -1, None
    try:
        over = tool.sessions.issue(course)
    finally:
        tool.sessions.life = 8 * 3600
    for cookie in (forged, over, "not-a-token"):
        page = httpx.get(f"{url}/lti/course/", headers={"cookie": f"{COOKIE}={cookie}"})
        assert page.status_code == 401 and "open archive-qa again from the course" in page.text
        assert "This session has ended" in page.text
        listed = httpx.get(f"{url}/api/collections", headers={"cookie": f"{COOKIE}={cookie}"})
        assert "HIST 201" not in listed.text


def _ask(url: str, question: str, headers: dict[str, str]) -> dict[str, Any]:
    answered = httpx.post(
        f"{url}/api/ask", json={"question": question}, headers=headers, timeout=60
    )
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


def test_in_chromium_a_teacher_fills_a_course_and_a_student_asks_it_inside_the_platforms_page(
    browser: Browser, url: str, platform: CoursePlatform, courses: Archive
) -> None:
    # The tool on another site than the platform's page (localhost against 127.0.0.1): its
    # cookies live in the course page's iframe only because they are Partitioned.
    tool = url.replace("127.0.0.1", "localhost")
    course = {"tool": tool, "id": "course-500", "title": "HIST 500: Korea, 1950-51"}
    teaching = browser.new_context(viewport={"width": 1280, "height": 900})
    page = teaching.new_page()
    page.goto(f"{platform.url}/course?{urlencode(course | {'as': 'teacher'})}")
    frame = page.frame_locator("#tool")
    expect(frame.get_by_role("heading", name=course["title"])).to_be_visible(timeout=30_000)
    expect(frame.get_by_text("No documents yet")).to_be_visible()
    frame.locator("#files").set_input_files(
        [bundled_document(), FRUS / "0002.txt", FRUS / "0025.txt"]
    )
    frame.get_by_role("button", name="Add to the course").click()
    expect(frame.locator("#status")).to_contain_text("0025.txt: added", timeout=120_000)
    expect(frame.locator("#document-list li")).to_have_count(3)
    screenshot(page, "course-teacher")
    # The teacher chooses what students see of the telegram's study materials.
    telegram = frame.locator("#document-list li", has_text="Ciphered telegram")
    deadline = time.monotonic() + 120
    while not frame.locator("#study-list input").count() and time.monotonic() < deadline:
        telegram.get_by_role("button", name=re.compile("Choose what students see")).click()
        page.wait_for_timeout(2_000)  # the first time, the materials are being made
    frame.locator("#study-list input").first.uncheck()
    frame.get_by_role("button", name="Save what students see").click()
    expect(frame.locator("#status")).to_have_text("Saved: 1 item hidden from students.")
    # From a module, the teacher places the telegram's quiz as a graded activity.
    page.goto(f"{platform.url}/course?{urlencode(course | {'as': 'teacher', 'kind': 'place'})}")
    frame = page.frame_locator("#tool")
    frame.get_by_label(re.compile("Graded quiz: Ciphered telegram")).check(timeout=30_000)
    screenshot(page, "course-placing")
    frame.get_by_role("button", name="Place it").click()
    expect(frame.get_by_role("heading", name="Placed in the module")).to_be_visible(timeout=60_000)
    link = len(platform.placed) - 1
    teaching.close()

    studying = browser.new_context(viewport={"width": 1280, "height": 900})
    page = studying.new_page()
    page.goto(f"{platform.url}/course?{urlencode(course | {'as': 'student'})}")
    frame = page.frame_locator("#tool")
    expect(frame.get_by_text("signed in from the course as a student")).to_be_visible(
        timeout=30_000
    )
    expect(frame.locator("#documents")).to_be_hidden()
    chat = frame.frame_locator("#chat")
    expect(chat.get_by_role("heading", name=course["title"])).to_be_visible(timeout=60_000)
    chat.get_by_label("Your question").fill("What did Stalin offer?")
    chat.get_by_role("button", name="Ask", exact=True).click()
    expect(chat.locator("#aqa-chat a.aqa-cite").first).to_be_visible(timeout=60_000)
    screenshot(page, "course-student")
    # The student follows the placed link, takes the quiz, and the gradebook gets one score.
    before = len(platform.scores)
    page.goto(f"{platform.url}/course?{urlencode(course | {'as': 'student', 'link': link})}")
    quiz = page.frame_locator("#tool").frame_locator("#chat")
    expect(quiz.get_by_role("heading", name=re.compile("^Quiz: "))).to_be_visible(timeout=60_000)
    choices = quiz.locator("input[type=radio][value=B]")
    questions = choices.count()
    for i in range(questions):
        choices.nth(i).check()
    quiz.get_by_role("button", name="Hand it in").click()
    expect(quiz.get_by_text("its score is in the course's gradebook")).to_be_visible(timeout=60_000)
    screenshot(page, "course-quiz-result")
    studying.close()
    # A student of another course asks the same on the page: nothing of this course answers.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    page = other.new_page()
    elsewhere = course | {"id": "course-501", "title": "HIST 501: Elsewhere"}
    page.goto(f"{platform.url}/course?{urlencode(elsewhere | {'as': 'teacher'})}")
    expect(page.frame_locator("#tool").get_by_text("No documents yet")).to_be_visible(
        timeout=30_000
    )
    page.goto(f"{platform.url}/course?{urlencode(elsewhere | {'as': 'student'})}")
    chat = page.frame_locator("#tool").frame_locator("#chat")
    chat.get_by_label("Your question").fill("What did Stalin offer?")
    chat.get_by_role("button", name="Ask", exact=True).click()
    expect(chat.locator("#aqa-chat .aqa-abstained").first).to_be_visible(timeout=60_000)
    assert chat.locator("#aqa-chat a.aqa-cite").count() == 0
    other.close()
    # The question asked on the page is kept for the course's teachers.
    teacher = enter(url, platform, role=INSTRUCTOR, course=(course["id"], course["title"]))
    assert "What did Stalin offer?" in [a["question"] for a in _asked(url, teacher, 1)]
    ((lineitem, score),) = platform.scores[before:]
    assert lineitem == platform.placed[link]["lineitem_url"]
    assert score["scoreMaximum"] == questions > 0
    (name,) = [n for n in privacy_of(courses.store).collections if n.startswith("HIST 500")]
    members = courses.library.for_members_of(name).document_ids()
    # The teacher's copy of the telegram is the course's own, like the two records.
    assert len(members) == 3 and BUNDLED_DOCUMENT_ID not in members


def _placing(platform: CoursePlatform) -> dict[str, Any]:
    """The claims of a deep-linking launch: a teacher adding the tool to a module."""
    return {
        LTI + "message_type": "LtiDeepLinkingRequest",
        DEEP_LINKING + "deep_linking_settings": {
            "deep_link_return_url": f"{platform.url}/placed", "data": "module-3",
            "accept_types": ["ltiResourceLink"],
        },
    }  # fmt: skip


def _place(url: str, platform: CoursePlatform, place: str) -> dict[str, Any]:
    """HIST 201's teacher places `place` in a module: the link the platform keeps."""
    teacher = enter(url, platform, role=INSTRUCTOR, changes=_placing(platform), lands="/lti/place/")
    form = {"place": place, "csrf": teacher.csrf}
    placed = httpx.post(f"{url}/lti/place/", data=form, headers=teacher.headers, timeout=120)
    back = re.search(r"name='JWT' value='([^']*)'", placed.text)
    assert back, placed.text
    platform.take_placement(back[1])
    return platform.placed[-1]


def _follow(url: str, platform: CoursePlatform, link: dict[str, Any]) -> Member:
    """A student of HIST 201 follows a placed `link`, as the platform launches it."""
    changes: dict[str, Any] = {CUSTOM: link["custom"]}
    if "lineitem_url" in link:
        changes[AGS_ENDPOINT] = {"scope": [SCORE_SCOPE], "lineitem": link["lineitem_url"]}
    return enter(url, platform, changes=changes)


def _hidden(page: str) -> dict[str, str]:
    """A form's hidden fields."""
    return dict(re.findall(r"type='hidden' name='([^']+)' value='([^']*)'", page))


def _asked(url: str, teacher: Member, count: int) -> list[dict[str, Any]]:
    """What the course's students asked, as its teacher reads it, once `count` are kept (they
    are written in the background)."""
    deadline = time.monotonic() + 20
    while True:
        found: list[dict[str, Any]] = httpx.get(f"{url}/lti/asked", headers=teacher.headers).json()[
            "asked"
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
