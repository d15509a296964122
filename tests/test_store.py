"""The store: idempotent and replacing ingest, model checks, real embeddings, Chroma's server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api import ClientAPI
from snowballstemmer.english_stemmer import EnglishStemmer

from tests.conftest import FRUS
from tests.fake_encoder import HashingEncoder
from vectorstore.client import connect
from vectorstore.documents import Document, load_document
from vectorstore.embeddings import EncoderEmbeddings
from vectorstore.encoders import _SPREAD, RememberingEncoder, _batches, shared_encoder
from vectorstore.errors import ModelMismatchError, StoreError
from vectorstore.passages import split_document
from vectorstore.remembered import Kept
from vectorstore.store import EF_SEARCH, PASSAGES, Store
from vectorstore.text import terms


def test_ingesting_the_same_file_twice_changes_nothing(
    chroma_client: ClientAPI, seed: Document
) -> None:
    encoder = HashingEncoder()
    store = Store(chroma_client, encoder=encoder)
    first = store.ingest(seed)
    count, embedded = store.passage_count(), encoder.texts
    second = store.ingest(seed)
    assert first.added == count == embedded > 0
    assert second.unchanged
    assert store.passage_count() == count and encoder.texts == embedded  # nothing embedded again


def test_an_edited_file_replaces_its_old_passages(tmp_path: Path, chroma_client: ClientAPI) -> None:
    store = Store(chroma_client)
    path = tmp_path / "memo.md"
    path.write_text("# Memo\n\nThe convoy left Pusan on Monday.\n\nIt reached Seoul on Friday.\n")
    store.ingest(load_document(path), origin=str(path))
    path.write_text("# Memo\n\nThe convoy left Inchon on Tuesday.\n")
    result = store.ingest(load_document(path), origin=str(path))
    assert result.removed >= 1
    vector = shared_encoder().encode(["convoy"])[0]
    nearest = [i for i, _ in store.by_meaning(vector, k=10)]
    assert set(nearest) <= {p.id for p in split_document(load_document(path))}  # none stale
    texts = [p.text for p in store.passages(nearest, vector)]
    lexical = [i for i, _ in store.by_words(terms("Pusan Seoul Inchon"), k=10)]
    assert [p.text for p in store.passages(lexical, vector)] == [
        "# Memo\n\nThe convoy left Inchon on Tuesday."
    ]
    assert not any("Pusan" in t or "Seoul" in t for t in texts)
    assert any("Inchon" in t for t in texts)
    document = store.document("memo")
    assert document is not None and "Inchon" in document.text


def test_the_full_text_is_stored_for_checking_quotes(
    chroma_client: ClientAPI, seed: Document
) -> None:
    store = Store(chroma_client, encoder=HashingEncoder())
    store.ingest(seed)
    stored = store.document(seed.id)
    assert stored is not None
    assert stored.text == seed.text
    assert stored.sections == seed.sections
    assert stored.citation == seed.citation


def test_a_collection_built_with_another_model_is_refused(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path))
    client.create_collection(PASSAGES, metadata={"embedding_model": "text-embedding-3-small"})
    with pytest.raises(ModelMismatchError, match=r"text-embedding-3-small.*archive-qa reset --yes"):
        Store(client)


def test_embeddings_put_related_sentences_closer_than_unrelated_ones() -> None:
    embeddings = EncoderEmbeddings()
    query = np.array(embeddings.embed_query("training fighter pilots"))
    near, far = (np.array(v) for v in embeddings.embed_documents(
        ["We intend to train Chinese pilots with the help of our pilots.", "Borscht is a beet soup."]
    ))  # fmt: skip
    assert query @ near > query @ far + 0.2
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-4)


def test_batched_and_single_embeddings_agree() -> None:
    texts = [  # longest first: the model reads them shortest first, and in batches
        "A somewhat longer sentence about the Security Council and North Korea.",
        "Short.",
        "A somewhat longer sentence about the Security Council and Korea.",  # padded by 1
    ]
    batched = shared_encoder().encode(texts)
    single = np.stack([shared_encoder().encode([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-4)


def test_texts_are_batched_only_with_texts_of_nearly_their_length() -> None:
    lengths = [224, 41, 46, 47, 59, 44, 230, 43]
    batches = _batches(lengths)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert batches[0] == [1, 7, 5]  # 41, 43, 44: then 46 would pad 41 by more than a tenth
    for batch in batches:
        assert len(batch) <= 4
        assert max(lengths[i] for i in batch) <= _SPREAD * min(lengths[i] for i in batch)


def test_a_process_loads_each_model_once_however_it_is_named() -> None:
    # The store asks for the model by its setting's name, the reader for the default: one model.
    assert shared_encoder() is shared_encoder("minilm")
    assert shared_encoder("minilm") is not shared_encoder("e5")


class _CountingEncoder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return shared_encoder().encode(texts)


def test_a_remembering_encoder_encodes_each_text_once_and_forgets_the_oldest() -> None:
    counting = _CountingEncoder()
    remembering = RememberingEncoder(counting, size=2)
    texts = ["Nine divisions.", "Jet fighters.", "Nine divisions."]
    assert np.allclose(remembering.encode(texts), shared_encoder().encode(texts), atol=1e-4)
    assert counting.seen == ["Nine divisions.", "Jet fighters."]
    remembering.encode(["Jet fighters.", "Two to three months."])  # "Nine divisions." drops out
    remembering.encode(["Nine divisions.", "Jet fighters."])
    assert counting.seen[2:] == ["Two to three months.", "Nine divisions."]
    assert remembering.encode([]).shape == (0, 384)


def test_words_are_stemmed_as_the_word_indexes_on_disk_were() -> None:
    # The C stemmer that snowballstemmer now picks (PyStemmer) must give the pure Python
    # Snowball's stems, or indexes made before it would no longer find what they hold.
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(FRUS.parent.glob("*/*.txt")))
    words = sorted(set(re.findall(r"[a-z0-9]+", text.lower())))
    python = EnglishStemmer()
    assert len(words) > 5_000
    assert terms(" ".join(words)) == [python.stemWord(w) for w in words if terms(w)]


def test_word_search_follows_edits_and_deletes(tmp_path: Path, chroma_client: ClientAPI) -> None:
    store = Store(chroma_client, encoder=HashingEncoder())
    path = tmp_path / "memo.md"
    path.write_text("# Memo\n\nThe convoy left Pusan on Monday.\n")
    store.ingest(load_document(path), origin=str(path))
    assert store.by_words(terms("Pusan"), k=5)
    path.write_text("# Memo\n\nThe convoy left Inchon on Tuesday.\n")
    store.ingest(load_document(path), origin=str(path))
    assert store.by_words(terms("Pusan"), k=5) == []
    assert store.by_words(terms("Inchon"), k=5)
    assert store.delete("memo")
    assert store.by_words(terms("Inchon"), k=5) == []


def test_a_scoped_search_by_meaning_follows_an_edit_of_a_document_in_its_scope(
    tmp_path: Path, chroma_client: ClientAPI
) -> None:
    # A scope of a few documents is searched over their vectors, kept for the next question:
    # exactly, since the memo has fewer passages than the k=5 asked for.
    store = Store(chroma_client, encoder=HashingEncoder())
    path = tmp_path / "memo.md"
    path.write_text("# Memo\n\nThe convoy left Pusan on Monday.\n")
    store.ingest(load_document(path), origin=str(path))
    question = store.encoder.encode(["convoy"])[0]
    before = store.by_meaning(question, k=5, within={"memo"})
    path.write_text("# Memo\n\nThe convoy left Inchon on Tuesday.\n")
    store.ingest(load_document(path), origin=str(path))
    after = store.by_meaning(question, k=5, within={"memo"})
    assert before and after and {i for i, _ in after}.isdisjoint(i for i, _ in before)
    found = store.passages([i for i, _ in after], question)
    assert [p.text for p in found] == ["# Memo\n\nThe convoy left Inchon on Tuesday."]


def test_the_word_index_is_kept_on_disk_and_takes_in_only_the_documents_that_changed(
    tmp_path: Path, chroma_client: ClientAPI
) -> None:
    folder = tmp_path / "word-index"
    memo, note = tmp_path / "memo.md", tmp_path / "note.md"
    memo.write_text("# Memo\n\nThe convoy left Pusan on Monday.\n")
    note.write_text("# Note\n\nGrain prices rose in Shanghai.\n")
    writer = Store(chroma_client, word_index_dir=folder, encoder=HashingEncoder())
    writer.ingest_many([(load_document(memo), str(memo)), (load_document(note), str(note))])
    assert writer.by_words(terms("Pusan"), k=5)
    before = writer.catalogue.generation()
    # Another process opening the store finds the index up to date on disk.
    reader = Store(writer.client, word_index_dir=folder, encoder=HashingEncoder())
    assert reader.search.word_index().generation == before
    memo.write_text("# Memo\n\nThe convoy left Inchon on Tuesday.\n")
    writer.ingest(load_document(memo), origin=str(memo))
    assert writer.catalogue.changed_since(before) == {"memo"}  # what the reader takes in
    assert reader.by_words(terms("Pusan"), k=5) == []
    assert reader.by_words(terms("Inchon"), k=5)
    assert reader.documents_with(terms("Shanghai Inchon")) == {"memo", "note"}
    assert len(reader.search.word_index()) == writer.passage_count() == 2
    assert json.loads((folder / "state.json").read_text())["generation"] == before + 1


def test_a_damaged_word_index_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "word-index"
    folder.mkdir()
    (folder / "state.json").write_text("{not json")
    (folder / "meta.json").write_text("nor this")
    store = Store(
        connect(data_dir=tmp_path / "db"), word_index_dir=folder, encoder=HashingEncoder()
    )
    path = tmp_path / "memo.md"
    path.write_text("# Memo\n\nThe convoy left Pusan on Monday.\n")
    store.ingest(load_document(path), origin=str(path))
    assert store.by_words(terms("Pusan"), k=5)


def test_deleting_several_documents_says_which_were_there(
    chroma_client: ClientAPI, seed: Document
) -> None:
    store = Store(chroma_client, encoder=HashingEncoder())
    memo = load_document(FRUS / "0001.txt")
    store.ingest_many([(seed, None), (memo, None)])
    assert store.delete(seed.id, "nope", memo.id) == [seed.id, memo.id]
    assert store.passage_count() == 0 and store.by_words(terms("Stalin"), k=5) == []


def test_collections_group_documents_and_forget_deleted_ones(
    chroma_client: ClientAPI, seed: Document
) -> None:
    store = Store(chroma_client, encoder=HashingEncoder())
    store.ingest(seed)
    memo = load_document(FRUS / "0001.txt")
    store.ingest(memo)
    assert store.add_to_collection("  Korea   1950 ", [seed.id]) == [seed.id]
    assert store.add_to_collection("Korea 1950", [memo.id, seed.id]) == [seed.id, memo.id]
    assert store.collections() == {"Korea 1950": [seed.id, memo.id]}
    store.delete(memo.id)
    assert store.members("Korea 1950") == [seed.id]
    with pytest.raises(StoreError, match="no document 'nope'"):
        store.add_to_collection("Korea 1950", ["nope"])
    with pytest.raises(StoreError, match="cannot name a collection"):
        store.add_to_collection("<script>", [seed.id])
    with pytest.raises(StoreError, match=r"no collection 'Korea' \(collections: Korea 1950\)"):
        store.members("Korea")
    with pytest.raises(StoreError, match=r"no collection 'Korea'"):
        store.remove_from_collection("Korea")
    assert store.remove_from_collection("Korea 1950") == []
    assert store.collections() == {} and store.document_ids() == [seed.id]


def test_whole_collections_are_read_a_page_at_a_time(
    chroma_client: ClientAPI, seed: Document
) -> None:
    # Chroma refuses to read more than about 32,000 rows at once; pages of 5 stand in for that.
    store = Store(chroma_client, encoder=HashingEncoder(), page=5)
    store.ingest_many(
        [(seed, None), *((load_document(FRUS / f"000{i}.txt"), None) for i in (1, 2))]
    )
    assert store.passage_count() > 10
    assert store.verify() == []
    assert len(store.documents()) == len(store.document_ids()) == 3
    assert len(store.search.word_index()) == store.passage_count()


def test_a_store_made_before_searches_as_widely_as_a_new_one(chroma_client: ClientAPI) -> None:
    chroma_client.create_collection(
        PASSAGES, configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": HashingEncoder.model_id},
    )  # fmt: skip
    Store(chroma_client, encoder=HashingEncoder())
    hnsw = chroma_client.get_collection(PASSAGES).configuration_json["hnsw"]
    assert hnsw["ef_search"] == EF_SEARCH and hnsw["space"] == "cosine"


def test_the_list_of_documents_follows_changes_made_by_another_store_on_the_same_chroma(
    chroma_client: ClientAPI, seed: Document
) -> None:
    # A replica lists the documents once per change (a sourcing question lists them all); a
    # change by another replica must still show in its next listing.
    here, other = (
        Store(chroma_client, encoder=HashingEncoder()),
        Store(chroma_client, encoder=HashingEncoder()),
    )
    here.ingest(seed)
    assert [d.id for d in here.documents(with_text=False)] == [seed.id]
    memo = load_document(FRUS / "0001.txt")
    other.ingest(memo)
    assert {d.id for d in here.documents(with_text=False)} == {seed.id, memo.id}
    other.delete(seed.id)
    assert [d.id for d in here.documents(with_text=False)] == [memo.id]
    assert all(d.text == "" for d in here.documents(with_text=False))


def test_what_the_reader_keeps_stays_within_its_bounds() -> None:
    # Sections are weighed by the sentences read in them: a long document read far cannot
    # hold the server's memory however few sections are kept.
    made: list[str] = []
    kept: Kept[list[int]] = Kept(3, budget=10, weight=len)

    def get(key: str, weight: int) -> None:
        kept.get(key, lambda: made.append(key) or [0] * weight)

    for key in "abc":
        get(key, 4)  # a weight of 12: the oldest goes
    get("c", 4)
    get("a", 4)
    assert made == ["a", "b", "c", "a"]
    for key in "xyz":
        get(key, 0)  # at most three kept
    get("c", 0)
    assert made[-1] == "c"
