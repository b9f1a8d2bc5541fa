"""One exception family, so the CLI can turn any of them into a one-line message and exit code 2."""
from __future__ import annotations


class LorebotError(Exception):
    """A problem the person running Lorebot can fix; its message is shown as is, on one line."""


class ConfigError(LorebotError):
    """lorebot.toml or the environment holds a bad value."""
