"""Nothing lost: ids that never collide, writes that finish or leave nothing, one owner per folder.

On the hashing encoder (tests.fake_encoder): what is checked here is bookkeeping, not meaning.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from chromadb.api import ClientAPI

from tests.conftest import ROOT
from tests.fake_encoder import HashingEncoder
from vectorstore.catalogue import DOCUMENTS
from vectorstore.client import connect
from vectorstore.documents import Document, load_document, parse_document
from vectorstore.errors import DocumentConflictError, StoreError
from vectorstore.lease import ROW as LEASE_ROW
from vectorstore.lease import _place
from vectorstore.passages import split_document
from vectorstore.rows import put_row
from vectorstore.store import PASSAGES, Store


def _store(client: ClientAPI) -> Store:
    return Store(client, encoder=HashingEncoder())


def _note(tmp_path: Path, folder: str, text: str) -> Path:
    path = tmp_path / folder / "notes.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_a_different_file_with_the_same_name_is_refused_not_swapped_in(
    tmp_path: Path, chroma_client: ClientAPI
) -> None:
    store = _store(chroma_client)
    first = _note(tmp_path, "week1", "The convoy left Pusan on Monday.")
    second = _note(tmp_path, "week2", "Grain prices rose in Shanghai.")
    store.ingest(load_document(first), origin=str(first))
    with pytest.raises(DocumentConflictError, match=r"already stored as 'notes'.*rename the file"):
        store.ingest(load_document(second), origin=str(second))
    with pytest.raises(DocumentConflictError):
        store.ingest(load_document(second))  # an upload of the same name
    stored = store.document("notes")
    assert stored is not None and "Pusan" in stored.text
    # The same file edited is a new version of it; another replaces it only when asked.
    first.write_text("The convoy left Inchon on Tuesday.")
    assert store.ingest(load_document(first), origin=str(first)).removed == 1
    store.ingest(load_document(second), replace=True)
    assert "Shanghai" in (store.document("notes") or load_document(first)).text


def test_a_file_named_like_an_archive_record_does_not_replace_it(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    store = _store(chroma_client)
    store.ingest(seed)
    impostor = parse_document("Nothing to see here.", source="document-110692.txt")
    assert impostor.id == seed.id
    with pytest.raises(DocumentConflictError, match="Ciphered telegram, Filippov"):
        store.ingest(impostor)
    assert (store.document(seed.id) or impostor).text == seed.text


class _Interrupting:
    """A Chroma client whose writes of these documents' texts fail: a crash in mid-ingest."""

    def __init__(self, client: ClientAPI, *document_ids: str) -> None:
        self._client, self._ids = client, document_ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_or_create_collection(self, name: str, **options: Any) -> Any:
        collection = self._client.get_or_create_collection(name, **options)
        return (
            _FailingUpsert(collection, self._ids) if name == "archive_qa_documents" else collection
        )


class _FailingUpsert:
    def __init__(self, collection: Any, document_ids: tuple[str, ...]) -> None:
        self._collection, self._ids = collection, document_ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def upsert(self, *, ids: list[str], **rows: Any) -> None:
        if ids[0] in self._ids:
            raise KeyboardInterrupt
        self._collection.upsert(ids=ids, **rows)


def test_an_interrupted_ingest_leaves_each_document_whole_or_absent(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    client = chroma_client
    path = _note(tmp_path, "week1", "The convoy left Pusan on Monday.\n\nIt reached Seoul.")
    _store(client).ingest(load_document(path), origin=str(path))
    crashing = _store(_Interrupting(client, seed.id, "notes"))  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        crashing.ingest(seed)  # a new document: its chunks are in, its text never arrives
    path.write_text("The convoy left Inchon on Tuesday.")
    with pytest.raises(KeyboardInterrupt):
        crashing.ingest(load_document(path), origin=str(path))  # a new version, cut off midway
    store = _store(client)
    assert set(store.verify()) == {
        f"{seed.id}: passages left of a document not stored: {len(split_document(seed))}",
        f"{seed.id}: an ingest was interrupted",
        "notes: passages missing: 0, left from another version: 1",
        "notes: an ingest was interrupted",
    }
    assert sorted(store.finish_interrupted()) == sorted([seed.id, "notes"])
    assert store.verify() == []
    assert store.document_ids() == ["notes"]
    vector = [0.0] * 383 + [1.0]
    nearest = [i for i, _ in store.by_meaning(vector, k=50)]
    texts = [p.text for p in store.passages(nearest, vector)]
    assert nearest and len(texts) == len(nearest)  # none left of the version cut off
    assert all("Pusan" in t and "Inchon" not in t for t in texts)


def test_verify_repairs_what_it_finds(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    client = chroma_client
    with pytest.raises(KeyboardInterrupt):
        _store(_Interrupting(client, seed.id)).ingest(seed)  # type: ignore[arg-type]
    store = _store(client)
    assert len(store.verify(repair=True)) == 2
    assert store.verify() == [] and store.passage_count() == 0


def test_removing_a_document_takes_out_what_an_interrupted_ingest_left(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    client = chroma_client
    with pytest.raises(KeyboardInterrupt):
        _store(_Interrupting(client, seed.id)).ingest(seed)  # type: ignore[arg-type]
    store = _store(client)
    assert store.document_ids() == [] and store.passage_count() > 0
    assert store.delete(seed.id)
    assert store.passage_count() == 0 and not store.delete(seed.id)


def test_a_second_process_is_refused_a_folder_in_use_with_what_to_do(tmp_path: Path) -> None:
    connect(data_dir=tmp_path / "db")
    code = (
        "from pathlib import Path; from vectorstore.client import connect; "
        f"connect(data_dir=Path({str(tmp_path / 'db')!r}))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert other.returncode != 0
    assert "FolderInUseError" in other.stderr and "wait for it to finish" in other.stderr
    connect(data_dir=tmp_path / "db")  # this process may open it again


def test_the_folder_is_free_again_when_its_owner_ends(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path; from vectorstore.client import connect; "
        f"connect(data_dir=Path({str(tmp_path / 'db')!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    connect(data_dir=tmp_path / "db")  # no FolderInUseError: the lock went with the process


def test_replicas_sharing_a_store_write_one_at_a_time(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    client = chroma_client
    first, second = _store(client), _store(client)  # two app replicas on one Chroma
    second.lease.wait = 0.5
    refused = pytest.raises(StoreError, match=r"another archive-qa process \(.+pid \d+.+\) is")
    with first.lease.held(), refused:
        second.ingest(seed)
    assert second.ingest(seed).added > 0  # free again once the first is done


def test_a_holder_at_work_keeps_its_lease_past_its_life(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document
) -> None:
    client = chroma_client
    working, waiting = _store(client), _store(client)
    working.lease.ttl, waiting.lease.wait = 0.4, 0.3
    with working.lease.held():  # a long write: its heartbeat renews the lease
        time.sleep(1.0)
        with pytest.raises(StoreError, match="is writing to this store"):
            waiting.ingest(seed)


def test_a_writer_whose_lease_was_taken_over_stops_at_its_next_batch(
    tmp_path: Path, chroma_client: ClientAPI
) -> None:
    client = chroma_client
    stalled, next_writer = _store(client), _store(client)
    with stalled.lease.held():
        # Its heartbeat could not get through for a lease's life: another writer took over.
        stalled.lease.clear()
        lost = pytest.raises(StoreError, match=r"^this write lost the store's lease to .+pid")
        with next_writer.lease.held(), lost:
            stalled.lease.renew()


def _died_writing(client: ClientAPI, seed: Document, lease: dict[str, Any]) -> None:
    """What a replica that died in mid-ingest leaves: its lease, and a document it had begun to
    write (catalogued and marked, its passages not yet all in)."""
    _store(client).ingest(seed)
    passages = client.get_collection(PASSAGES)
    half = passages.get(where={"document_id": seed.id}, include=[])["ids"]
    passages.delete(ids=half[: len(half) // 2])
    _store(client).catalogue.mark([seed.id])
    put_row(client.get_collection(DOCUMENTS), LEASE_ROW, metadata=lease)


@pytest.mark.parametrize(
    ("holder", "lapsed"),
    [("other-host pid 4242 (deadbeef)", True), ("here", False)],
    ids=["its-heartbeat-stopped", "its-process-here-is-gone"],
)
def test_a_writer_that_died_holding_the_lease_is_taken_over_and_its_batch_finished(
    tmp_path: Path, chroma_client: ClientAPI, seed: Document, holder: str, lapsed: bool
) -> None:
    client = chroma_client
    lease: dict[str, Any] = {"holder": holder, "until": time.time() + (-1 if lapsed else 60)}
    if holder == "here":  # a process of this machine that has ended, its lease not yet lapsed
        ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)  # fmt: skip
        pid = int(ended.stdout)
        lease |= {"holder": f"this machine pid {pid}", "place": _place(), "pid": pid}
    _died_writing(client, seed, lease)
    next_writer = _store(client)
    next_writer.lease.wait = 2  # far less than the dead lease's minute
    other = parse_document("# Memo\n\nThe convoy left Pusan at dawn.", source="memo.md")
    assert next_writer.ingest(other).added > 0
    # The dead writer's document is whole again, without `verify --repair`.
    assert next_writer.catalogue.marked() == []
    assert next_writer.verify() == []


def test_two_replicas_replacing_one_document_at_once_leave_it_whole(
    tmp_path: Path, chroma_client: ClientAPI
) -> None:
    client = chroma_client
    stores = [_store(client), _store(client)]
    for round in range(3):
        versions = [
            parse_document(f"# Memo\n\n{f'Convoy {round}-{i} left Pusan. ' * 60}", source="memo.md")
            for i in range(2)
        ]
        threads = [
            threading.Thread(target=stores[i].ingest, args=(versions[i],), kwargs={"replace": True})
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert stores[0].verify() == [], round
