"""Errors of the knowledge base. Each message is one line a person can act on."""
from __future__ import annotations


class KnowledgeError(Exception):
    """Base of every knowledge-base error."""


class StoreUnavailable(KnowledgeError):
    """The database cannot be reached or opened."""


class ModelUnavailable(KnowledgeError):
    """The embedding model cannot be loaded from the given path or name."""


class EvaluationInputError(KnowledgeError):
    """A corpus or query file for `lorebot eval` has a bad line."""
