"""Grades (LTI Assignment and Grade Services 2.0): a student's quiz score, posted to the course's
gradebook on the platform.

A student's first attempt at a graded quiz is the one graded: its score is written down in the
store when it is handed in, and sent once. The tool asks the platform's token endpoint for an
access token (OAuth2 client credentials, proving who it is with a JWT signed by its key), then
posts the score to the link's line item. A score the platform does not take now (it is down,
slow, or answers oddly) waits and is sent again, by whichever replica comes to it first, until it
is taken; one the platform refuses for good (the column was deleted) is marked failed and logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import jwt

from qa.errors import GradebookError
from ui.courses import LineItem
from ui.lti import SCORE_SCOPE, Tool
from ui.platforms import Platform
from vectorstore.store import Store

_log = logging.getLogger(__name__)
NOTE = "lti-scores"
RETRIES = (5.0, 30.0, 120.0, 600.0)  # seconds before each try again; the last repeats
_CLAIM = 60.0  # seconds a sender has to send a score before another may
_KEPT = 180 * 24 * 3600  # seconds a sent score's record is kept (a later attempt is known)
_AGAIN = {401, 408, 425, 429}  # a refusal that may pass if asked again (401: a new token)
Status = Literal["sent", "waiting", "failed"]


@dataclass(frozen=True)
class Score:
    """A student's graded attempt: where it goes, what it scored, when it was handed in."""

    lineitem: LineItem
    given: int
    maximum: int
    handed_in: str

    @property
    def attempt(self) -> str:
        """The graded attempt's name: one per student and column."""
        return graded_attempt(self.lineitem)


def graded_attempt(lineitem: LineItem) -> str:
    """The name of a student's graded attempt on a column: one per student and column."""
    return hashlib.sha256(f"{lineitem.url}\n{lineitem.user}".encode()).hexdigest()


@dataclass(frozen=True)
class Recorded:
    """A graded attempt as the gradebook keeps it: its score, and where sending it has got."""

    score: Score
    status: Status


class Gradebook:
    """The scores this tool sends the platforms' gradebooks, and those still waiting."""

    def __init__(
        self,
        tool: Tool,
        store: Store,
        *,
        client: httpx.Client | None = None,
        retries: Sequence[float] = RETRIES,
    ) -> None:
        self._tool, self._store = tool, store
        self._client = client or httpx.Client(timeout=20)
        self._retries = tuple(retries)
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._retrying = False

    def hand_in(self, score: Score) -> Recorded:
        """Grade `score` if it is its student's first attempt (sending it to the gradebook);
        the graded attempt, this one or the first."""
        with self._store.lease.held():
            records = self._records()
            first = records.get(score.attempt)
            if first is None:
                records[score.attempt] = {"score": asdict(score), "status": "waiting",
                                          "next": 0.0, "claim": "", "until": 0.0}  # fmt: skip
                self._save(records)
        if first is not None:
            return _recorded(first)
        return Recorded(score, self._send(score.attempt))

    def graded(self, lineitem: LineItem) -> Recorded | None:
        """The graded attempt of `lineitem`'s student, if they have handed one in."""
        record = self._records().get(graded_attempt(lineitem))
        return _recorded(record) if record else None

    def resume(self) -> None:
        """Send again, in the background, the scores left waiting (by a replica now gone, or
        before a restart)."""
        if any(r["status"] == "waiting" for r in self._records().values()):
            self._retry_later()

    def send_waiting(self) -> int:
        """Send every waiting score whose time has come; how many still wait."""
        now = time.time()
        for attempt, record in self._records().items():
            if record["status"] == "waiting" and record["next"] <= now:
                self._send(attempt)
        return sum(r["status"] == "waiting" for r in self._records().values())

    # -- sending ---------------------------------------------------------------------------

    def _send(self, attempt: str) -> Status:
        claim = uuid.uuid4().hex  # each send its own: two threads never send one score
        record = self._claim(attempt, claim)
        if record is None:  # sent already, or being sent
            graded = self._records().get(attempt)
            return graded["status"] if graded else "waiting"
        score = _recorded(record).score
        try:
            self._post(score)
        except _Refused as exc:
            _log.error("the gradebook refused a score for %s for good: %s", score.lineitem.url, exc)
            return self._mark(attempt, "failed")
        except Exception as exc:  # anything else may pass later: the score waits
            _log.warning("a score for %s waits: %s", score.lineitem.url, exc)
            status = self._mark(attempt, "waiting")
            self._retry_later()
            return status
        return self._mark(attempt, "sent")

    def _post(self, score: Score) -> None:
        platform = self._tool.platform(score.lineitem.issuer, score.lineitem.client_id)
        body = {
            "userId": score.lineitem.user, "scoreGiven": score.given,
            "scoreMaximum": score.maximum, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": score.handed_in,
        }  # fmt: skip
        url, _, query = score.lineitem.url.partition("?")
        answer = self._client.post(
            f"{url.rstrip('/')}/scores" + (f"?{query}" if query else ""),
            content=json.dumps(body),
            headers={
                "authorization": f"Bearer {self._token(platform)}",
                "content-type": "application/vnd.ims.lis.v1.score+json",
            },
        )
        if answer.status_code < 300:
            return
        if answer.status_code == 401:  # the token was revoked or expired early
            with self._lock:
                self._tokens.pop((platform.token_url or "", platform.client_id), None)
        said = f"the gradebook answered {answer.status_code}: {answer.text[:300]!r}"
        if 400 <= answer.status_code < 500 and answer.status_code not in _AGAIN:
            raise _Refused(said)
        raise GradebookError(said)

    def _token(self, platform: Platform) -> str:
        """An access token for posting scores as this tool on `platform` (kept until a minute
        before it expires; Canvas Cloud is one token URL for every school's client id)."""
        if not platform.token_url:
            raise GradebookError(
                f"no token URL is registered for {platform.issuer}: register the platform again "
                "with --token-url."
            )
        kept_as = (platform.token_url, platform.client_id)
        with self._lock:
            kept = self._tokens.get(kept_as)
            if kept and kept[1] > time.time():
                return kept[0]
        now = int(time.time())
        assertion = jwt.encode(
            {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_url,
             "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16)},
            self._tool.key.private, algorithm="RS256", headers={"kid": self._tool.key.kid},
        )  # fmt: skip
        answer = self._client.post(
            platform.token_url,
            data={
                "grant_type": "client_credentials", "scope": SCORE_SCOPE,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )  # fmt: skip
        if answer.status_code != 200:
            raise GradebookError(f"the token endpoint answered {answer.status_code}")
        given: dict[str, Any] = answer.json()
        token = str(given["access_token"])
        with self._lock:
            life = float(given.get("expires_in", 3600)) - 60
            self._tokens[kept_as] = (token, time.time() + life)
        return token

    # -- the record ------------------------------------------------------------------------

    def _claim(self, attempt: str, claim: str) -> dict[str, Any] | None:
        """The attempt's record, now `claim`'s to send for `_CLAIM` seconds; None when it was
        sent or failed already, or another send holds it."""
        with self._store.lease.held():
            records = self._records()
            record = records.get(attempt)
            now = time.time()
            if record is None or record["status"] != "waiting" or record["until"] > now:
                return None
            record |= {"claim": claim, "until": now + _CLAIM}
            self._save(records)
            return record

    def _mark(self, attempt: str, status: Status) -> Status:
        with self._store.lease.held():
            records = self._records()
            record = records[attempt]
            tries = record.get("tries", 0) + 1
            wait = self._retries[min(tries, len(self._retries)) - 1]
            record |= {"status": status, "tries": tries, "claim": "", "until": 0.0,
                       "next": time.time() + wait, "at": time.time()}  # fmt: skip
            self._save(records)
        return status

    def _records(self) -> dict[str, dict[str, Any]]:
        text = self._store.note(NOTE)
        records: dict[str, dict[str, Any]] = json.loads(text) if text else {}
        return records

    def _save(self, records: dict[str, dict[str, Any]]) -> None:
        old = time.time() - _KEPT
        kept = {a: r for a, r in records.items() if r["status"] == "waiting" or r["at"] > old}
        self._store.put_note(NOTE, json.dumps(kept))

    def _retry_later(self) -> None:
        """Send the waiting scores again in the background, until none waits."""
        with self._lock:
            if self._retrying:
                return
            self._retrying = True
        threading.Thread(target=self._retry, daemon=True, name="grades").start()

    def _retry(self) -> None:
        while True:
            time.sleep(self._retries[0])
            try:
                waiting = self.send_waiting()
            except Exception:  # the next round tries again; the log has the cause
                _log.exception("sending waiting scores failed")
                continue
            with self._lock:  # a score that starts waiting now finds the loop still running
                if not waiting and not self._waiting():
                    self._retrying = False
                    return

    def _waiting(self) -> bool:
        return any(r["status"] == "waiting" for r in self._records().values())


class _Refused(Exception):
    """The gradebook refused a score for good (a client error other than a passing one)."""


def handed_in_now() -> str:
    """The time of a hand-in, as scores carry it (ISO 8601, UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _recorded(record: dict[str, Any]) -> Recorded:
    item = record["score"]
    score = Score(LineItem(**item["lineitem"]), item["given"], item["maximum"], item["handed_in"])
    return Recorded(score, record["status"])
