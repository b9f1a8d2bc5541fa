"""Sentence embeddings from an exported ONNX file with ONNX Runtime and the `tokenizers` library.

This is the answer path's model: it imports neither torch nor transformers, so a cold `lorebot ask` starts
in about a second. Tokenisation follows sentence-transformers (stripped text, the model's max_seq_length in
word pieces, [CLS]/[SEP]), and the graph itself pools and normalises, so vectors match sentence-transformers.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from knowledge.onnx_export import INPUT_NAMES, OUTPUT_NAME

DEFAULT_MAX_TOKENS = 256


class OnnxSentenceEncoder:
    """One ONNX Runtime session and two tokenizers (one truncating for the model, one counting everything)."""

    def __init__(self, onnx_file: Path, model_dir: Path, *, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # All cores for one batch; batches run one after another, so a second pool would only compete.
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Threads sleep between batches instead of spinning: on a machine shared with other work (or a server
        # waiting for the next question) spinning burns CPU for no gain.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.max_tokens = _max_seq_length(model_dir)
        self.dim = _dimension(model_dir)
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()  # batches are padded here, after sorting by length
        self._tokenizer.enable_truncation(max_length=self.max_tokens)

    def count_tokens(self, text: str) -> int:
        """Word pieces without [CLS]/[SEP] and without truncation, as sentence-transformers' tokenizer counts."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], *, batch_size: int = 16, progress: bool = False) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([str(text).strip() for text in texts])
        # Similar lengths share a batch, so little time goes on padding; results return in the callers' order.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids), reverse=True)
        vectors = np.zeros((len(encodings), self.dim), dtype="float32")
        starts = range(0, len(order), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            batch = order[start:start + batch_size]
            vectors[batch] = self._session.run([OUTPUT_NAME], _padded([encodings[i] for i in batch]))[0]
        return vectors


def _padded(encodings: list) -> dict[str, np.ndarray]:
    width = max(len(e.ids) for e in encodings)
    arrays = {name: np.zeros((len(encodings), width), dtype="int64") for name in INPUT_NAMES}
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        arrays["input_ids"][row, :length] = encoding.ids
        arrays["attention_mask"][row, :length] = encoding.attention_mask
        arrays["token_type_ids"][row, :length] = encoding.type_ids
    return arrays


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length") or DEFAULT_MAX_TOKENS)
    return DEFAULT_MAX_TOKENS


def _dimension(model_dir: Path) -> int:
    return int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hidden_size"])
