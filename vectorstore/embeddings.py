"""The embedding models' seams: Chroma's `EmbeddingFunction` (ingest and query inside Chroma)
and LangChain's `Embeddings` (for anyone piping our store into their own chain), each over one of
the models of vectorstore.encoders.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LangChainEmbeddings

from vectorstore.encoders import E5_MODEL_ID, MODEL_ID, Encoder, shared_encoder


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's seam: embeds documents with the shared MiniLM encoder."""

    def __init__(self) -> None:
        self._encoder: Encoder = shared_encoder("minilm")

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "archive-qa-minilm-int8"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> Any:
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_ID}


@register_embedding_function
class E5EmbeddingFunction(MiniLMEmbeddingFunction):
    """Chroma's seam: embeds documents (as passages) with the shared e5 encoder."""

    def __init__(self) -> None:
        self._encoder = shared_encoder("e5")

    @staticmethod
    def name() -> str:
        return "archive-qa-e5-small-q4"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        return {"model": E5_MODEL_ID}


EMBEDDING_FUNCTIONS = {"minilm": MiniLMEmbeddingFunction, "e5": E5EmbeddingFunction}


class EncoderEmbeddings(LangChainEmbeddings):
    """LangChain's seam over one of the encoders (MiniLM by default)."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder or shared_encoder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [row.tolist() for row in self._encoder.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._encoder.encode_query(text)]
