"""A deterministic stand-in for the embedding model, for the fast tests of everything but meaning.

Each text's word stems are hashed into the model's 384 dimensions: no model loads, the same text
always gives the same vector, and texts that share words lie near each other, so a question still
finds the passage that uses its words. Tests of answer quality use the real model.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from qa.assembly import Archive, ensure_default_document
from qa.offline import ExtractiveAnswerer
from qa.retrieval import ArchiveRetriever
from qa.sourcing import ProvenanceAnswerer
from vectorstore.client import connect
from vectorstore.encoders import DIMENSION
from vectorstore.store import Store
from vectorstore.text import terms


class HashingEncoder:
    """Bag of hashed word stems, L2-normalised (an `Encoder`)."""

    model_id = "hashing-test"

    def __init__(self) -> None:
        self.texts = 0
        """How many texts it has embedded."""

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                out[row, zlib.crc32(term.encode()) % DIMENSION] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self.encode([text])[0])


def quick_archive(data_dir: Path) -> Archive:
    """The default archive (the bundled telegram, offline answers) on the hashing encoder."""
    encoder = HashingEncoder()
    store = Store(connect(data_dir=data_dir), encoder=encoder)
    ensure_default_document(store)
    retriever = ArchiveRetriever(store=store, k=6)
    return Archive(store, retriever, ProvenanceAnswerer(ExtractiveAnswerer(encoder), store))
