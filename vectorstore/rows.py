"""Chroma as a key-value store: the rows looked up by id only (records, collections, the store's
bookkeeping and the writer's lease). Chroma wants a vector for every row; these get one number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chromadb.api.models.Collection import Collection

_PLACEHOLDER_VECTOR = [1.0]


def put_row(
    rows: Collection,
    row_id: str,
    *,
    document: str = "",
    metadata: Mapping[str, Any] | None = None,
    only_if_absent: bool = False,
) -> None:
    """Write one row (replacing it, unless `only_if_absent`: of two adds of one id Chroma keeps
    the first)."""
    write = rows.add if only_if_absent else rows.upsert
    fields: dict[str, Any] = {"ids": [row_id], "documents": [document]}
    if metadata is not None:
        fields["metadatas"] = [dict(metadata)]
    write(embeddings=[_PLACEHOLDER_VECTOR], **fields)  # type: ignore[arg-type]  # stubs want arrays


def put_rows(
    rows: Collection,
    row_ids: Sequence[str],
    *,
    documents: Sequence[str],
    metadatas: Sequence[Mapping[str, Any]],
) -> None:
    """Write (or replace) several rows in one write."""
    if row_ids:
        rows.upsert(
            ids=list(row_ids),
            embeddings=[_PLACEHOLDER_VECTOR] * len(row_ids),  # type: ignore[arg-type]
            documents=list(documents),
            metadatas=[dict(m) for m in metadatas],
        )
