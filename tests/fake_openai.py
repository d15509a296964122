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
    pause: float = 0.0
    """Seconds before each line of a streamed reply (a model writing slowly)."""
    hold: threading.Event | None = None
    """A streamed reply waits after its first line until this is set (a model still writing,
    or one that hangs), for at most a minute."""


@dataclass
class FakeOpenAI:
    """Replies are served in order; every request body is kept for inspection."""

    replies: list[Reply | Callable[[dict[str, Any]], Reply]] = field(default_factory=list)
    """What to answer, in order: a reply, or what makes it from the request body."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    otherwise: Callable[[dict[str, Any]], Reply] | None = None
    """Makes the reply to a request body when no scripted reply is left (for load tests)."""
    finished: int = 0
    """How many streamed replies have been sent to their end."""
    left: int = 0
    """How many streamed replies their client closed before the end."""

    def answer_with(self, content: dict[str, Any]) -> None:
        """An answer given as {"answerable", "sentences": [{"text", "quotes": [{"passage",
        "quote"}]}]}, written in the line format the answerer asks models for."""
        self.replies.append(Reply(200, _completion(as_lines(content))))

    def say(
        self,
        text: str,
        *,
        finish_reason: str = "stop",
        pause: float = 0.0,
        hold: threading.Event | None = None,
    ) -> None:
        """A plain text reply; `finish_reason="length"` for one cut off at the length bound.

        Streamed when the request asks for a stream, a line at a time, `pause` seconds before
        each line; with `hold`, the rest waits after the first line until it is set."""
        self.replies.append(Reply(200, _completion(text, finish_reason), pause, hold))

    def cite(self, *claims: tuple[str, str], hold: threading.Event | None = None) -> None:
        """A reply of one line per (sentence, quote), each quote cited from the passage of the
        prompt that holds it ("P0" if none does); `hold` as for `say`."""

        def reply(body: dict[str, Any]) -> Reply:
            prompt = body["messages"][-1]["content"]
            lines = [
                f'{text} [{passage_holding(prompt, quote)}] "{quote}"' for text, quote in claims
            ]
            return Reply(200, _completion("\n".join(lines)), hold=hold)

        self.replies.append(reply)

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


def passage_holding(prompt: str, text: str) -> str:
    """The id the prompt gives the passage that holds `text` (P1, P2, ...), or P0."""
    if text not in prompt:
        return "P0"
    before = prompt[: prompt.index(text)]
    return before[before.rindex('<passage id="') + len('<passage id="') :].split('"')[0]


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
                reply = reply(body) if callable(reply) else reply
            elif fake.otherwise is not None:
                reply = fake.otherwise(body)
            else:
                reply = Reply(500, {"error": {"message": "no reply"}})
            if body.get("stream") and reply.status == 200:
                self._stream(reply)
                return
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply) -> None:
            """The reply as server-sent chunks, a line each, as the OpenAI API streams."""
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            choice = reply.body["choices"][0]
            lines = choice["message"]["content"].splitlines(keepends=True)
            try:
                for i, line in enumerate(lines):
                    if i == 1 and reply.hold is not None:
                        reply.hold.wait(60)
                    time.sleep(reply.pause)
                    self._send_chunk({"content": line}, None)
                self._send_chunk({}, choice["finish_reason"])
                self.wfile.write(b"data: [DONE]\n\n")
                fake.finished += 1
            except (BrokenPipeError, ConnectionResetError):
                fake.left += 1  # the client gave up

        def _send_chunk(self, delta: dict[str, Any], finish_reason: str | None) -> None:
            chunk = {
                "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
                "model": "test-model",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }  # fmt: skip
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as fake.base_url:
        yield fake


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 (a free port) on a thread of its own; yields the server's
    OpenAI-style base URL (ending in /v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
