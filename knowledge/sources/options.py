"""What every source's section in lorebot.toml (``[sources.NAME]``) shares, and how a source reaches its secret.

Each source module declares its own options class on this base; ``registry.SourceConfig`` joins them by
``type``. Secrets are never in the file: a source names the environment variable that holds one
(``token_env``), and the command line, the only reader of the environment, hands over a lookup.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.errors import KnowledgeError

Secrets = Callable[[str], "str | None"]  # environment variable name -> its value, None when unset
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
DEFAULT_SCHEDULE = "0 * * * *"  # hourly, on the hour, in the configured timezone


class SourceConfigError(KnowledgeError):
    """A source's configuration cannot work (a missing secret, a bad address); one line names the key."""


class SourceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    collection: str | None = None  # default: the source's name
    schedule: str = DEFAULT_SCHEDULE
    max_removal_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    # The collection's readers follow the source's own (a shared drive's members), refreshed on every sync.
    visible_to_from_source: bool = False

    @field_validator("collection")
    @classmethod
    def _named(cls, collection: str | None) -> str | None:
        if collection is not None and not collection.strip():
            raise ValueError("must not be empty (leave it out to use the source's name)")
        return collection

    def collection_for(self, name: str) -> str:
        return self.collection or name

    def secret(self, name: str, key: str, variable: str | None, secrets: Secrets) -> str | None:
        """The value of the variable ``variable`` names; a named variable that is not set stops the start."""
        if variable is None:
            return None
        value = secrets(variable)
        if not value:
            raise SourceConfigError(f"sources.{name}.{key}: the environment variable {variable} is not set")
        return value


def work_folder(home: Path, name: str) -> Path:
    """Where a source keeps what it needs between runs (a Git clone)."""
    return home / "sources" / name
