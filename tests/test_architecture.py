"""The dependency rule, checked on every module: adapters -> jobs -> bot -> knowledge, and platform packages
stay inside their adapter. A wrong-way import fails here before it spreads."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("knowledge", "bot", "jobs", "adapters")
ALLOWED = {
    "knowledge": {"knowledge"},
    "bot": {"bot", "knowledge"},
    "jobs": {"jobs", "bot", "knowledge"},
    "adapters": {"adapters", "jobs", "bot", "knowledge"},
}
# Third-party packages that may appear only below the given folder.
CONFINED = {
    "slack_bolt": "adapters/slack",
    "slack_sdk": "adapters/slack",
    "botbuilder": "adapters/teams",
    "faiss": "knowledge",
    "bm25s": "knowledge",
    "Stemmer": "knowledge",
    "sentence_transformers": "knowledge",
    "torch": "knowledge",
    "transformers": "knowledge",
    "onnxruntime": "knowledge",
    "tokenizers": "knowledge",
    "atlassian": "knowledge/sources",
    "markdownify": "knowledge/sources",
    "notion_client": "knowledge/sources",
    "googleapiclient": "knowledge/sources",
    "google": "knowledge/sources",
    "httplib2": "knowledge/sources",
    "msal": "knowledge/sources",
    "openai": "knowledge/llm",
}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_dependency_rule(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    layer = relative.split("/")[0]
    for name in _imports(path):
        top = name.split(".")[0]
        if top in PACKAGES:
            assert top in ALLOWED[layer], f"{relative} imports {name}: {layer}/ may not depend on {top}/"
        if top in CONFINED:
            assert relative.startswith(CONFINED[top] + "/"), f"{relative} imports {top}, allowed only in {CONFINED[top]}/"


def test_rule_is_checked_on_real_code() -> None:
    """Guards the guard: the walk must find modules in every layer, or the rule above checks nothing."""
    found = {p.relative_to(ROOT).parts[0] for p in _modules()}
    assert found == set(PACKAGES)


def test_only_the_command_line_reads_the_environment() -> None:
    offenders = []
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative in {"adapters/cli.py", "bot/settings.py"}:
            continue
        source = path.read_text(encoding="utf-8")
        if "os.environ[" in source or "os.getenv(" in source or "os.environ.get(" in source:
            offenders.append(relative)
    assert not offenders, f"modules reading the environment outside the command line: {offenders}"
