"""Private collections: a course's collection, whose own documents only its members see.

A collection made private (a course's, ui/courses.py) keeps the documents added through it out of
every other reader's sight: the library's lists, the pages and the API, and every question not
asked by one of its members (`qa.answer.Scope`). Documents of the shared library put into it stay
public. What is private to what is kept in one note in the store, read and written under the
store's lease, for every replica.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from vectorstore.catalogue import collection_name
from vectorstore.errors import StoreError
from vectorstore.store import Store

NOTE = "private-collections"
_NOT_IN_NAMES = re.compile(r"[^\w .,:()'&+-]+")
_PLACE = "private-place:"  # + an outside key (a course's): the private collection kept for it


@dataclass
class Privacy:
    """The private collections, and the private collection(s) each private document is of."""

    collections: set[str] = field(default_factory=set)
    documents: dict[str, set[str]] = field(default_factory=dict)

    def hidden_from(self, member_of: str | None) -> frozenset[str]:
        """The documents a member of the private collection `member_of` (None: a reader of
        none) may not see: those private to other collections only."""
        return frozenset(i for i, owners in self.documents.items() if member_of not in owners)

    def owner_of(self, document_id: str) -> str | None:
        """The private collection a private document is of (None for a public one)."""
        owners = self.documents.get(document_id)
        return min(owners) if owners else None

    def members(self, store: Store, name: str, member_of: str | None) -> list[str]:
        """The documents of collection `name` that a member of `member_of` may see; a
        `StoreError` naming only the collections they may know of when `name` is not one."""
        known = [n for n in store.collections() if n not in self.collections or n == member_of]
        if name not in known:
            listed = ", ".join(known) or "none yet"
            raise StoreError(f"no collection {name!r} (collections: {listed}).")
        hidden = self.hidden_from(member_of)
        return [i for i in store.members(name) if i not in hidden]

    def as_json(self) -> str:
        documents = {i: sorted(owners) for i, owners in sorted(self.documents.items())}
        return json.dumps({"collections": sorted(self.collections), "documents": documents})


def privacy_of(store: Store) -> Privacy:
    """What is private in `store` (nothing, in a library without courses)."""
    text = store.note(NOTE)
    if not text:
        return Privacy()
    kept = json.loads(text)
    documents = {i: set(owners) for i, owners in kept["documents"].items()}
    return Privacy(set(kept["collections"]), documents)


def private_place(store: Store, key: str, title: str, *, make: bool) -> str | None:
    """The private collection kept for the outside `key` (a course on a platform): made, named
    after `title` and tagged with the key's fingerprint (so that no two share a name, and no
    name tells of another), when it is new and `make` is asked; None when it is new and not."""
    with store.lease.held():  # two first launches at once make one collection
        known = store.note(_PLACE + key)
        if known or not make:
            return known
        name = _name_after(title, hashlib.sha256(key.encode()).hexdigest()[:6])
        if name in store.collections():
            raise StoreError(f"a collection is already named {name!r}: rename it to go on.")
        privacy = privacy_of(store)
        privacy.collections.add(name)
        store.put_note(NOTE, privacy.as_json())  # private before it exists
        store.add_to_collection(name, [])
        store.put_note(_PLACE + key, name)
    return name


def _name_after(title: str, tag: str) -> str:
    """A collection name after `title`, made of what a name may hold, ending in `(tag)`."""
    words = " ".join(_NOT_IN_NAMES.sub(" ", title).split())[:50].strip()
    if not words[:1].isalnum():
        words = f"Course {words}"[:50].strip()
    return collection_name(f"{words} ({tag})")


def own_id(collection: str, document_id: str) -> str:
    """The id a document added through a private collection is kept under: its own id, tagged
    with the collection's, so that no other course's or the shared library's is ever taken."""
    return f"{hashlib.sha256(collection.encode()).hexdigest()[:6]}-{document_id}"


def claim(store: Store, document_ids: Iterable[str], collection: str) -> None:
    """Make these documents private to `collection` (before they are stored, so that none is
    ever seen outside it)."""
    with store.lease.held():
        privacy = privacy_of(store)
        for document_id in document_ids:
            privacy.documents.setdefault(document_id, set()).add(collection)
        store.put_note(NOTE, privacy.as_json())


def release(store: Store, document_ids: Iterable[str], collection: str) -> None:
    """These documents are no longer private to `collection` (they have left the library)."""
    with store.lease.held():
        privacy = privacy_of(store)
        for document_id in document_ids:
            owners = privacy.documents.get(document_id, set())
            owners.discard(collection)
            if not owners:
                privacy.documents.pop(document_id, None)
        store.put_note(NOTE, privacy.as_json())
