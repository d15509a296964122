"""A small OpenAI-compatible embeddings server for tests: `POST /v1/embeddings` on 127.0.0.1,
answered with real vectors (the bundled MiniLM, as Text Embeddings Inference would serve it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_openai import loopback_server
from vectorstore.encoders import shared_encoder


@dataclass
class EmbeddingsServer:
    base_url: str = ""
    batches: list[int] = field(default_factory=list)
    """How many texts each request held."""
    failing: bool = False
    """Answer every request with HTTP 503 (a server that is down for maintenance)."""


@contextmanager
def embeddings_server() -> Iterator[EmbeddingsServer]:
    state = EmbeddingsServer()
    encoder = shared_encoder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["content-length"])))
            texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
            state.batches.append(len(texts))
            if self.path != "/v1/embeddings" or state.failing:
                self._send(503 if state.failing else 404, {"error": {"message": "unavailable"}})
                return
            rows = [
                {"object": "embedding", "index": i, "embedding": vector.tolist()}
                for i, vector in enumerate(encoder.encode(texts))
            ]
            usage = {"prompt_tokens": 0, "total_tokens": 0}
            self._send(
                200, {"object": "list", "data": rows, "model": body["model"], "usage": usage}
            )

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as state.base_url:
        yield state
