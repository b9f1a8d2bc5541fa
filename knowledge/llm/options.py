"""The ``[llm]`` section of lorebot.toml: which OpenAI-compatible endpoint writes answers, and how patiently.

Absent means off: Lorebot stays fully offline unless a company points it at a model. The key is never in the
file: ``api_key_env`` names the environment variable that holds it, and the command line, the only reader of
the environment, hands over a lookup (``Secrets``), as for sources.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.errors import KnowledgeError
from knowledge.sources.options import Secrets
from knowledge.urls import web_url


class LlmConfigError(KnowledgeError):
    """The ``[llm]`` section cannot work (a key variable that is not set); one line names the key."""


class LlmOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str  # e.g. http://localhost:11434/v1; with api_version, the Azure OpenAI endpoint
    model: str = Field(min_length=1)  # with api_version, the Azure deployment name
    api_key_env: str | None = None  # the variable holding the key; local servers need none
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 20
    answers: bool = True  # write answers from the passages
    judge: bool = True  # confirm whether a new question asks the same as a verified one
    max_passages: Annotated[int, Field(ge=1, le=20)] = 5
    max_tokens: Annotated[int, Field(ge=16, le=8192)] = 400
    api_version: str | None = None  # set: Azure OpenAI
    log_prompts: bool = False  # debugging only: prompts and replies in the log at DEBUG
    breaker_failures: Annotated[int, Field(ge=1)] = 3  # failures in a row before the LLM is skipped a while
    breaker_cooldown_s: Annotated[float, Field(gt=0)] = 300

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        checked = web_url(url)
        if checked is None:
            raise ValueError(f"{url!r} is not an http(s) URL, e.g. \"http://localhost:11434/v1\"")
        return checked

    @field_validator("api_key_env", "api_version")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty (leave it out instead)")
        return value

    @property
    def azure(self) -> bool:
        return self.api_version is not None

    def api_key(self, secrets: Secrets) -> str | None:
        """The key from the variable ``api_key_env`` names; a named variable that is not set stops the start."""
        if self.api_key_env is None:
            return None
        value = secrets(self.api_key_env)
        if not value:
            raise LlmConfigError(f"llm.api_key_env: the environment variable {self.api_key_env} is not set")
        return value
