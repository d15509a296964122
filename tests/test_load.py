"""A short form of bench/load.py: students asking at once get answers, never errors, and never
another student's text (the full run, 50 students for 60 s, is in the README)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from bench.load import run_load
from qa.assembly import open_archive
from tests.conftest import make_settings, serving
from tests.fake_openai import fake_openai_server, quoting_reply
from ui.app import build_app
from ui.guards import Limits


@pytest.mark.parametrize("mode", ["offline", "llm"])
def test_students_asking_at_once_get_their_own_answers_and_no_errors(
    tmp_path: Path, mode: str
) -> None:
    limits = Limits(trusted_proxies=["127.0.0.1"], requests_per_minute=60)
    with fake_openai_server() as model:
        model.otherwise = partial(quoting_reply, delay=0.1)
        extra = {"openai_base_url": model.base_url} if mode == "llm" else {}
        archive = open_archive(make_settings(tmp_path, **extra))
        with serving(build_app(archive, limits)) as url:
            report = run_load(url, students=12, seconds=4)
        if mode == "llm":
            assert len(model.requests) >= report.requests  # the model really answered
    assert report.requests >= 24
    assert (report.errors, report.rate_limited, report.leaks) == (0, 0, 0)
