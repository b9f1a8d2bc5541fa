"""Answering a question imports neither torch nor transformers once the model's ONNX file is cached: a new
process runs `lorebot ask` and reports every module it loaded."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from knowledge import Embedder, KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers")

ASK_THEN_LIST_MODULES = """
import json, sys
from adapters.cli import main
code = main(["--home", sys.argv[1], "ask", "--json", "How many days of annual leave do I get?"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_lorebot_ask_imports_no_torch_or_transformers(tmp_path: Path, embedder: Embedder, model_cache: Path) -> None:
    kb = KnowledgeBase.open(tmp_path / "home", embedder=embedder)  # the session's model: its ONNX file is cached
    kb.ingest([ROOT / "examples" / "handbook" / "leave.md"], collection="handbook", progress=False)
    kb.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "LOREBOT_MODEL_CACHE": str(model_cache)}
    env.pop("LOREBOT_MODEL", None)
    env.pop("LOREBOT_EMBEDDING_RUNTIME", None)
    result = subprocess.run([sys.executable, "-c", ASK_THEN_LIST_MODULES, str(tmp_path / "home")], env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    answer_text, report_line = result.stdout.rsplit("\n", 2)[0], result.stdout.strip().splitlines()[-1]
    report = json.loads(report_line)
    assert report["code"] == 0 and "25 days" in answer_text
    loaded = [name for name in report["modules"] if name.split(".")[0] in HEAVY]
    assert not loaded, loaded[:10]
    assert "onnxruntime" in report["modules"]
