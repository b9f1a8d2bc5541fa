"""Whether the company's LLM is being skipped (its circuit breaker is open), as the serving process last saw it.

The breaker lives in the process that calls the model; ``lorebot stats`` and the admins' digest run elsewhere
or later, so the state is written down here, one row, only when it changes."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from bot.columns import UTCDateTime

ROW = "llm"


class LlmHealth(SQLModel, table=True):
    __tablename__ = "llm_health"

    name: str = Field(default=ROW, primary_key=True, max_length=32)
    open: bool = False  # calls are being skipped
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when the breaker opened
    consecutive_failures: int = 0
    last_reason: str | None = Field(default=None, max_length=500)  # a short transport reason, never a prompt
    updated_at: datetime = Field(sa_type=UTCDateTime)


def record(session: Session, state, now: datetime) -> None:
    """Write the breaker's ``state`` (``knowledge.llm.BreakerState``) when it differs from what is stored."""
    since = datetime.fromtimestamp(state.since, timezone.utc) if state.since is not None else None
    row = session.get(LlmHealth, ROW)
    if row is not None and (row.open, row.since, row.last_reason) == (state.open, since, state.last_reason):
        return
    row = row or LlmHealth(updated_at=now)
    row.open, row.since, row.last_reason = state.open, since, (state.last_reason or "")[:500] or None
    row.consecutive_failures, row.updated_at = state.consecutive_failures, now
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # another replica wrote the first row at the same moment: its word is as good
        session.rollback()


def skipped(engine: Engine) -> LlmHealth | None:
    """The stored state when the LLM is being skipped; None while it is called as usual (or never was)."""
    with Session(engine) as session:
        row = session.get(LlmHealth, ROW)
    return row if row is not None and row.open else None
