"""Exports a sentence-transformers BERT model (the bundled all-MiniLM-L6-v2) to one ONNX file, with torch.

This is the only place the ONNX path needs torch, and it runs once per machine: afterwards answering a
question loads the file with ONNX Runtime alone. Mean pooling and L2 normalisation are part of the graph, so
the file's one output is the sentence embedding sentence-transformers would give.
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger("lorebot.knowledge")

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "sentence_embedding"
OPSET = 17


def export_sentence_model(model_dir: Path, target: Path) -> None:
    """Write ``model_dir``'s transformer with pooling and normalisation as ONNX to ``target``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # the weight-loading bar is noise in a command's output

    transformer = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES} | {OUTPUT_NAME: {0: "batch"}}
    log.info("exporting the embedding model to ONNX (once per machine)")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about constant shapes: the axes above stay dynamic
        torch.onnx.export(
            _PooledEncoder(transformer, torch),
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            dynamo=False,  # one self-contained file, so it can be renamed into place atomically
        )


def _PooledEncoder(transformer, torch):  # noqa: N802 - builds a torch Module class without importing torch at top
    class PooledEncoder(torch.nn.Module):
        """The transformer, then the mean of token vectors under the attention mask, then L2 normalisation."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return PooledEncoder()
