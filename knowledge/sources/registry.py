"""Every source type, by the ``type`` in its ``[sources.NAME]`` section."""
from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from knowledge.sources.confluence import ConfluenceOptions
from knowledge.sources.gdrive import GoogleDriveOptions
from knowledge.sources.git import GitOptions
from knowledge.sources.notion import NotionOptions
from knowledge.sources.sharepoint import SharePointOptions
from knowledge.sources.web import WebOptions

SourceConfig = Annotated[Union[GitOptions, WebOptions, ConfluenceOptions, NotionOptions, GoogleDriveOptions,
                               SharePointOptions], Field(discriminator="type")]
SOURCE_TYPES = ("git", "web", "confluence", "notion", "gdrive", "sharepoint")
