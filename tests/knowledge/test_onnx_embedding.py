"""The bundled model on ONNX Runtime gives the vectors and token counts sentence-transformers gives, its cache
survives two processes exporting at once, and a failed export falls back to sentence-transformers."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge import Embedder
from knowledge.chunking import chunk_document
from knowledge.loaders import load

ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = ROOT / "examples" / "handbook"


@pytest.fixture(scope="module")
def reference() -> Embedder:
    """The same bundled model through sentence-transformers (torch), the reference the ONNX path must match."""
    return Embedder(runtime="sentence-transformers")


@pytest.fixture(scope="module")
def handbook_chunks() -> list[str]:
    texts = []
    for path in sorted(HANDBOOK.iterdir()):
        document = load(path)
        texts += [chunk.embedding_text() for chunk in chunk_document(document.text, document.title)]
    return texts


def test_the_bundled_model_runs_on_onnx_runtime(embedder: Embedder) -> None:
    from knowledge.onnx_embedding import OnnxSentenceEncoder

    assert isinstance(embedder.model, OnnxSentenceEncoder)
    assert (embedder.dim, embedder.max_tokens) == (384, 256)


def test_every_handbook_chunk_embeds_as_with_sentence_transformers(embedder: Embedder, reference: Embedder,
                                                                   handbook_chunks: list[str]) -> None:
    texts = handbook_chunks + ["  How many days of annual leave do I get?  ", "word " * 400]
    onnx, torch_vectors = embedder.encode(texts), reference.encode(texts)
    assert onnx.dtype == np.float32 and onnx.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert float((onnx * torch_vectors).sum(axis=1).min()) >= 0.99


def test_token_counts_match_the_models_own_tokenizer(embedder: Embedder, reference: Embedder,
                                                     handbook_chunks: list[str]) -> None:
    texts = handbook_chunks + ["Ünïcode, e-mail addresses (hr@northwind.example) and 2026-11-26!", "word " * 400]
    assert [embedder.count_tokens(t) for t in texts] == [reference.count_tokens(t) for t in texts]


def test_two_processes_exporting_into_one_cache_end_with_one_valid_model(tmp_path: Path, embedder: Embedder) -> None:
    cache = tmp_path / "cache"
    script = "import sys; from knowledge.embed import onnx_model_file; print(onnx_model_file(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    runs = [subprocess.Popen([sys.executable, "-c", script, str(cache)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    model_file = Path(paths.pop())
    assert [p.name for p in model_file.parent.iterdir() if not p.name.endswith(".lock")] == [model_file.name]
    fresh = Embedder(cache_dir=cache)
    question = "Can I carry over unused leave?"
    assert float(fresh.encode([question])[0] @ embedder.encode([question])[0]) >= 0.999


def test_a_failed_export_falls_back_to_sentence_transformers(tmp_path: Path, caplog, reference: Embedder) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be", encoding="utf-8")
    fallback = Embedder(cache_dir=not_a_folder)
    with caplog.at_level(logging.WARNING, logger="lorebot.knowledge"):
        vector = fallback.encode(["Where do I book leave?"])
    assert "using sentence-transformers instead" in caplog.text
    assert float(vector[0] @ reference.encode(["Where do I book leave?"])[0]) >= 0.999


def test_another_model_name_runs_on_sentence_transformers() -> None:
    assert Embedder("some/other-model").runtime == "sentence-transformers"
    with pytest.raises(ValueError):
        Embedder(runtime="gpu")


def test_a_model_loading_in_the_background_serves_the_first_encode(embedder: Embedder, model_cache: Path) -> None:
    early = Embedder(cache_dir=model_cache)
    early.load_in_background()
    question = "Who approves my expense claims?"
    assert float(early.encode([question])[0] @ embedder.encode([question])[0]) >= 0.999


def test_a_process_that_ends_while_the_model_loads_exits_cleanly(model_cache: Path) -> None:
    """A command that is done before the background load (a sync that finds its source busy) must not abort
    on the way out: a runtime torn down mid-start calls std::terminate."""
    script = ("import sys, time; from knowledge.embed import Embedder; "
              f"Embedder(cache_dir={str(model_cache)!r}).load_in_background(); time.sleep(float(sys.argv[1]))")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for pause in ("0.05", "0.2", "0.4", "0.6"):
        run = subprocess.run([sys.executable, "-c", script, pause], capture_output=True, text=True, env=environment,
                             timeout=120)
        assert run.returncode == 0, (pause, run.stderr[-500:])
