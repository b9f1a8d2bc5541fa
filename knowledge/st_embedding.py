"""Sentence embeddings through sentence-transformers (torch): the path for any model other than the bundled
one, and the fallback when the bundled model cannot run on ONNX Runtime."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from knowledge.errors import ModelUnavailable


class SentenceTransformerEncoder:
    """A loaded SentenceTransformer behind the same small interface as the ONNX encoder."""

    def __init__(self, target: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # the weight-loading bar is noise in a command's output
        try:
            self.model = SentenceTransformer(target, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure means the same thing to the user
            raise ModelUnavailable(f"cannot load the embedding model {target!r} ({exc.__class__.__name__})") from None
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(get_dimension())
        self.max_tokens = int(getattr(self.model, "max_seq_length", 256) or 256)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.tokenize(text))

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress)
