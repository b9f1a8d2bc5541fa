"""Typing at the console: line editing and history where the standard library has readline, and keys the
terminal sent as escape sequences (arrows on a terminal without line editing) kept out of questions."""
from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

HISTORY_LENGTH = 1000
# CSI (ESC [ ... final byte), SS3 (ESC O x), any other ESC pair, and the C0/C1 control characters.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[O\]][^\x1b]?|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The same keys as people see them when the terminal echoes them: ^[[A, ^[OB, ^C.
_CARET_ESCAPES = re.compile(r"\^\[\[[0-?]*[ -/]*[@-~]|\^\[O.|\^\[|\^[@-_?]")


def without_keys(line: str) -> str:
    """The line without the escape sequences and control characters a terminal sends for keys."""
    return _ESCAPES.sub("", line).strip()


def only_keys(line: str) -> bool:
    """True for a line that held something, but only keys: raw escape sequences or their echo (``^[[A``)."""
    return bool(line.strip()) and not _CARET_ESCAPES.sub("", without_keys(line)).strip()


@contextlib.contextmanager
def line_editing(history: Path | None) -> Iterator[bool]:
    """Turn on readline for ``input()`` (arrows, Ctrl-R, history kept in ``history``); yields whether it is on.
    Without readline (some Windows or minimal Pythons) input still works, only without editing."""
    try:
        import readline
    except ImportError:
        yield False
        return
    if history is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        yield True
    finally:
        if history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
            except OSError as exc:
                log.info("console history not saved: %s", type(exc).__name__)
