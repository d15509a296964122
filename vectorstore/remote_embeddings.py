"""Embeddings from an OpenAI-compatible server (`/v1/embeddings`: vLLM, Text Embeddings Inference,
Infinity, OpenAI), in place of the bundled model: for a large ingest on a GPU server.

The index records the server's model name, so an index built there is only ever searched with
questions embedded there too (vectorstore.store refuses any other).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.errors import StoreError

if TYPE_CHECKING:
    from openai import OpenAI

# Texts per request: Text Embeddings Inference takes at most 32 by default.
BATCH = 32


class RemoteEncoder:
    """Unit vectors from the `/v1/embeddings` endpoint of the server at `base_url`."""

    def __init__(
        self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 60.0
    ) -> None:
        self.base_url, self.model = base_url, model
        self.model_id = f"openai-compatible:{model}"
        """What the index records: the model's name on the server, whichever server it is."""
        self._api_key, self._timeout = api_key, timeout
        self._client: OpenAI | None = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in the order given, `BATCH` texts a request."""
        rows = [self._embed(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = np.concatenate(rows)
        norms = np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(vectors / norms, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """A question is embedded as any other text."""
        return np.asarray(self.encode([text])[0])

    def _embed(self, texts: list[str]) -> np.ndarray:
        import openai

        try:
            found = self._open().embeddings.create(model=self.model, input=texts)
        except openai.APIError as exc:
            raise StoreError(
                f"the embeddings server at {self.base_url} failed: {_reason(exc)}. Check that "
                f"it is running and serves the model {self.model!r} "
                "(ARCHIVE_QA_EMBEDDING_SERVER_MODEL), or unset ARCHIVE_QA_EMBEDDING_URL to "
                "embed on this machine."
            ) from exc
        ordered = sorted(found.data, key=lambda row: row.index)
        if len(ordered) != len(texts):
            raise StoreError(
                f"the embeddings server at {self.base_url} sent {len(ordered)} vectors for "
                f"{len(texts)} texts; is it an OpenAI-compatible /v1/embeddings endpoint?"
            )
        return np.asarray([row.embedding for row in ordered], dtype=np.float32)

    def _open(self) -> OpenAI:
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                # Local servers want no key, but the client insists on one.
                self._client = OpenAI(
                    base_url=self.base_url, api_key=self._api_key or "not-needed",
                    timeout=self._timeout, max_retries=2,
                )  # fmt: skip
            return self._client


def _reason(exc: Exception) -> str:
    """What went wrong, without the request (which may hold a key)."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "no reply in time"
    return "could not connect" if isinstance(exc, openai.APIConnectionError) else type(exc).__name__
