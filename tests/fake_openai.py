"""A small OpenAI-compatible HTTP server for tests: real sockets on 127.0.0.1, scripted replies."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    """Replies are served in order; every request body is kept for inspection."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    otherwise: Callable[[dict[str, Any]], Reply] | None = None
    """Makes the reply to a request body when no scripted reply is left (for load tests)."""

    def answer_with(self, content: dict[str, Any]) -> None:
        """An answer given as {"answerable", "sentences": [{"text", "quotes": [{"passage",
        "quote"}]}]}, written in the line format the answerer asks models for."""
        self.replies.append(Reply(200, _completion(as_lines(content))))

    def say(self, text: str, *, finish_reason: str = "stop") -> None:
        """A plain text reply; `finish_reason="length"` for one cut off at the length bound."""
        self.replies.append(Reply(200, _completion(text, finish_reason)))

    def fail_with(self, status: int, body: dict[str, Any]) -> None:
        self.replies.append(Reply(status, body))


def as_lines(content: dict[str, Any]) -> str:
    """An answer in the answerer's line format: ``Sentence. [P2] "quote"`` per sentence."""
    if not content.get("answerable"):
        return "NOT ANSWERABLE"
    return "\n".join(
        s["text"] + "".join(f' [{q["passage"]}] "{q["quote"]}"' for q in s["quotes"])
        for s in content["sentences"]
    )


def quoting_reply(body: dict[str, Any], *, delay: float = 0.0) -> Reply:
    """A model that answers from the first passage of the prompt, quoting its first words (after
    `delay` seconds, as a model takes its time)."""
    time.sleep(delay)
    prompt = body["messages"][-1]["content"]
    if prompt.startswith("<conversation>"):  # a follow-up to rewrite: it names what it follows
        asked = re.findall(r"^user: (.+)$", prompt, re.MULTILINE)
        return Reply(200, _completion(f"{prompt.rsplit(chr(10), 1)[-1]} (about: {asked[-1]})"))
    found = re.search(r'<passage id="(P\d+)"[^>]*>\n(.+)', prompt)
    if found is None:
        return Reply(200, _completion("NOT ANSWERABLE"))
    quote = " ".join(found[2].split()[:12])
    return Reply(200, _completion(f'The source says so. [{found[1]}] "{quote}"'))


def _completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            fake.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            body = fake.requests[-1]["body"]
            if fake.replies:
                reply = fake.replies.pop(0)
            elif fake.otherwise is not None:
                reply = fake.otherwise(body)
            else:
                reply = Reply(500, {"error": {"message": "no reply"}})
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
