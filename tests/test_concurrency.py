"""Several users at once: shared state that threads touch together stays correct."""

from __future__ import annotations

import random
import string
import threading

import snowballstemmer

from vectorstore.text import terms


def test_words_are_stemmed_alike_on_many_threads_at_once() -> None:
    rng = random.Random(7)
    suffixes = ["ing", "ed", "ation", "ness", "ly", "s", "ful"]
    words = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 12))) + rng.choice(suffixes)
        for _ in range(6000)
    ]
    alone = snowballstemmer.stemmer("english")
    expected = [alone.stemWord(w) for w in words]
    wrong: list[str] = []

    def stem_all(part: list[str], want: list[str]) -> None:
        got = terms(" ".join(part))
        if len(got) != len(part):  # a failure here must fail the test, not die in its thread
            wrong.append(f"{len(part) - len(got)} words lost")
        wrong.extend(w for w, g, e in zip(part, got, want, strict=False) if g != e)

    threads = [
        threading.Thread(target=stem_all, args=(words[i::8], expected[i::8])) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
