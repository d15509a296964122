"""Chroma as a key-value store: the rows looked up by id only (documents, collections, the store's
bookkeeping and the writer's lease). Chroma wants a vector for every row; these get one number.
And getting a whole collection, which Chroma gives only a page at a time."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chromadb.api.models.Collection import Collection
from chromadb.api.types import GetResult, Where

_PLACEHOLDER_VECTOR = [1.0]
PAGE = 5000
"""Rows got at a time: Chroma refuses more than about 32,000 (SQLite's limit on a query's
variables)."""


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


def get_pages(
    rows: Collection, *, include: Sequence[str], where: Where | None = None, page: int = PAGE
) -> Iterator[GetResult]:
    """Every row (or every row `where` matches), `page` rows at a time."""
    for offset in itertools.count(0, page):
        got = rows.get(where=where, include=list(include), limit=page, offset=offset)  # type: ignore[arg-type]
        yield got
        if len(got["ids"]) < page:
            return


def get_all(
    rows: Collection, *, include: Sequence[str], where: Where | None = None, page: int = PAGE
) -> dict[str, list[Any]]:
    """`get_pages`, joined: {"ids": [...], and a list for each field in `include`}."""
    found: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    for got in get_pages(rows, include=include, where=where, page=page):
        found["ids"] += got["ids"]
        for field in include:
            values = got[field]  # type: ignore[literal-required]
            found[field] += list(values) if values is not None else [None] * len(got["ids"])
    return found
