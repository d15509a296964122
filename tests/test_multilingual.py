"""The multilingual embedding model (multilingual-e5-small, `ARCHIVE_QA_EMBEDDING_MODEL=e5`): an
English question finds a Russian or Chinese original; an index built with one model is refused
by the other, with the command that rebuilds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.assembly import open_archive, open_store
from tests.conftest import make_settings
from vectorstore.documents import parse_document
from vectorstore.errors import ModelMismatchError

# The telegram's offer in the languages a library may hold its originals in (our own
# translations of the English text).
RUSSIAN = (
    "Мы намерены в течение двух-трех месяцев обучить китайских летчиков при помощи наших "
    "летчиков, а затем передать всю технику вашим летчикам."
)
CHINESE = (
    "我们打算在两到三个月内，在我们飞行员的帮助下训练中国飞行员，然后把全部装备移交给你们的飞行员。"
)
DISTRACTORS = [
    "The harvest in the northern provinces was poor this year because of the long drought.",
    "The conference on shipping tariffs adjourned without agreement on the customs schedule.",
    "Mr. Hay instructs the minister to protest against the new duties on cotton goods.",
]


@pytest.mark.parametrize(("name", "original"), [("russian.txt", RUSSIAN), ("chinese.txt", CHINESE)])
def test_an_english_question_finds_an_original_in_another_language(
    tmp_path: Path, name: str, original: str
) -> None:
    archive = open_archive(make_settings(tmp_path, archive_qa_embedding_model="e5"))
    archive.store.delete("document-110692")  # the English telegram says it too
    for i, text in enumerate(DISTRACTORS):
        archive.store.ingest(parse_document(text, source=f"distractor-{i}.txt"))
    original_document = archive.store.ingest(parse_document(original, source=name))
    question = "How long would it take to train the Chinese pilots?"
    # By meaning, the original is nearest; word search, which needs shared words, cannot find
    # it, so it must stand among the passages the answerer reads.
    ((nearest, _),) = archive.store.by_meaning(
        archive.store.encoder.encode_query(question).tolist(), k=1
    )
    assert nearest.startswith(f"{original_document.document_id}:")
    found = [p.document.id for p in archive.retrieve(question)]
    assert original_document.document_id in found


def test_an_index_built_with_one_model_is_refused_by_the_other(tmp_path: Path) -> None:
    open_archive(make_settings(tmp_path))  # built with the default MiniLM
    with pytest.raises(ModelMismatchError, match="archive-qa reset --yes"):
        open_store(make_settings(tmp_path, archive_qa_embedding_model="e5"))
