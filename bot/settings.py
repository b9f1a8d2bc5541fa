"""Locations and secrets from the environment, read once by the command line and passed down."""
from __future__ import annotations

import os

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path(".lorebot"), validation_alias=AliasChoices("LOREBOT_HOME", "home"))
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("LOREBOT_DATABASE_URL", "database_url"))
    config_path: Path | None = Field(default=None, validation_alias=AliasChoices("LOREBOT_CONFIG", "config_path"))
    model: str | None = Field(default=None, validation_alias=AliasChoices("LOREBOT_MODEL", "model"))
    # The bundled model runs on ONNX Runtime, exported once into this cache (default ~/.cache/lorebot).
    model_cache: Path | None = Field(default=None, validation_alias=AliasChoices("LOREBOT_MODEL_CACHE", "model_cache"))
    embedding_runtime: Literal["onnx", "sentence-transformers"] = Field(
        default="onnx", validation_alias=AliasChoices("LOREBOT_EMBEDDING_RUNTIME", "embedding_runtime"))

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="LOREBOT_SLACK_API_URL")

    microsoft_app_id: str | None = Field(default=None, validation_alias="MicrosoftAppId")
    microsoft_app_password: SecretStr | None = Field(default=None, validation_alias="MicrosoftAppPassword")
    microsoft_app_tenant_id: str | None = Field(default=None, validation_alias="MicrosoftAppTenantId")
    microsoft_app_type: str = Field(default="MultiTenant", validation_alias="MicrosoftAppType")

    def resolved_database_url(self) -> str:
        """PostgreSQL when LOREBOT_DATABASE_URL is set, else a SQLite file under LOREBOT_HOME."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'lorebot.db').resolve()}"

    def secret(self, variable: str) -> str | None:
        """The value of an environment variable a source names for its secret (``token_env``): read when the
        source is opened, never stored or logged."""
        return os.environ.get(variable) or None
