"""Where the exported ONNX model lives on disk, and how a new copy is published there safely.

One cache serves every Lorebot home on the machine (the model is the same everywhere), so the export is paid
once, not once per home or per test. The folder name carries a fingerprint of the model files, so a new
model version never runs with a stale export. A new file is written under a temporary name and renamed into
place; a lock file makes a second process wait for the first export instead of repeating it, and the rename
keeps the cache valid even where locks are not available.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

# Bumped whenever the exported graph changes shape (inputs, outputs, pooling), so old exports are not reused.
EXPORT_FORMAT = 1
MODEL_FILE = "model.onnx"


def default_cache_dir() -> Path:
    """The user's cache folder, shared by every Lorebot home on the machine."""
    return Path.home() / ".cache" / "lorebot"


def model_fingerprint(model_dir: Path) -> str:
    """A cheap stand-in for the model's identity: names, sizes and times of its files (no 90 MB hash per start)."""
    digest = hashlib.sha256(f"format={EXPORT_FORMAT}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_dir)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def cache_folder(cache_dir: Path, model_dir: Path, name: str) -> Path:
    """The folder of one model's export: its readable ``name`` and the fingerprint of its files."""
    return Path(cache_dir) / "onnx" / f"{name}-{model_fingerprint(model_dir)}"


def publish(target: Path, write: Callable[[Path], None]) -> Path:
    """Make sure ``target`` exists: if not, ``write`` a temporary file beside it and rename it into place.

    Under the lock a waiting process finds the file its peer just published and returns at once.
    """
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if target.is_file():
            return target
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        try:
            write(Path(temporary))
            os.chmod(temporary, 0o644)  # readable by everyone sharing the cache, like any other cached file
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return target


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory lock across processes where the platform has one (POSIX); elsewhere only the rename protects."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
