"""The bot's tables in the knowledge base's database, created in one call."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from knowledge import schema

from bot.tables import claims, curation, feedback, joining, llm_health, people, preferences, questions

TABLES = (
    people.PersonRow,
    questions.Question,
    questions.AnswerShown,
    questions.RoutedPost,
    questions.ChampionAnswer,
    curation.VerifiedAnswer,
    curation.Rejection,
    curation.CurationAudit,
    feedback.Feedback,
    preferences.LearnedPreference,
    claims.ProcessedEvent,
    claims.AskClaim,
    joining.OpenWording,
    llm_health.LlmHealth,
)


def create_tables(engine: Engine) -> None:
    """Create the bot's tables if missing (existing tables and rows are left alone).

    Tables declared by other ``bot`` modules that are already imported (lessons, re-verification) are created
    too, so one call prepares everything the core and its extensions use.
    """
    tables = {table.__table__ for table in TABLES}
    for mapper in SQLModel._sa_registry.mappers:  # noqa: SLF001 - the registry is how SQLModel lists tables
        if mapper.class_.__module__.startswith("bot.") and mapper.local_table is not None:
            tables.add(mapper.local_table)
    schema.create_tables(engine, sorted(tables, key=lambda t: t.name))
