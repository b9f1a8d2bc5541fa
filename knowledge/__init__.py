"""Lorebot's knowledge base: ingest documents, keep curated answers, search both (dense + keyword, fused).

Imports nothing else of Lorebot's, so it can be used alone. Heavy libraries load only when first needed.
"""
from knowledge.embed import Embedder
from knowledge.errors import KnowledgeError
from knowledge.entries import VERIFIED_COLLECTION
from knowledge.kb import KnowledgeBase
from knowledge.ingesting import TextItem
from knowledge.types import DocumentInfo, Hit, IngestReport, SkippedFile

__all__ = ["DocumentInfo", "Embedder", "Hit", "IngestReport", "KnowledgeBase", "KnowledgeError", "SkippedFile", "TextItem",
           "VERIFIED_COLLECTION"]
