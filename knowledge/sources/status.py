"""How each source is doing, read from the store: what ``lorebot sources``, ``lorebot stats``, App Home and the
admins' digest show an admin."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, select

from knowledge.sources.documents import Audience
from knowledge.sources.reports import DocumentProblem
from knowledge.sources.syncing import source_root
from knowledge.sources.tables import KbSourceFailure, KbSourceState
from knowledge.store import KbDocument, aware


@dataclass(frozen=True)
class SourceHealth:
    name: str
    documents: int = 0
    last_run: datetime | None = None  # when the last run ended, however it ended
    last_success: datetime | None = None  # when a run last read the whole source
    last_error: str | None = None  # why the last run could not read the source (None after a success)
    last_counts: dict = field(default_factory=dict)  # the last run's added, changed, ... and removal_blocked
    failures: tuple[DocumentProblem, ...] = ()  # documents waiting for another try
    audience: Audience | None = None  # who may read it, as the source last said (visible_to_from_source)
    audience_known: bool | None = None  # False: the source cannot tell; None: never asked

    @property
    def healthy(self) -> bool:
        return self.last_error is None and not self.failures and not self.last_counts.get("removal_blocked")

    @property
    def never_synced(self) -> bool:
        return self.last_run is None


def source_health(engine: sqlalchemy.Engine, names: list[str]) -> list[SourceHealth]:
    """The health of each named source, in the order given (a source never synced has an empty record)."""
    with Session(engine) as session:
        states = {state.name: state for state in session.exec(
            select(KbSourceState).where(KbSourceState.name.in_(names))).all()} if names else {}
        roots = [source_root(name) for name in names]
        counts = dict(session.exec(select(KbDocument.root, sqlalchemy.func.count()).where(
            KbDocument.root.in_(roots)).group_by(KbDocument.root)).all()) if roots else {}
        failures: dict[str, list[DocumentProblem]] = {}
        for row in session.exec(select(KbSourceFailure).where(KbSourceFailure.source.in_(names))
                                .order_by(KbSourceFailure.key)).all() if names else []:
            failures.setdefault(row.source, []).append(DocumentProblem(row.key, row.url, row.reason))
    out = []
    for name in names:
        state = states.get(name)
        out.append(SourceHealth(
            name=name, documents=int(counts.get(source_root(name), 0)),
            last_run=aware(state.finished_at) if state else None,
            last_success=aware(state.succeeded_at) if state else None,
            last_error=state.last_error if state else None,
            last_counts=json.loads(state.last_report) if state and state.last_report else {},
            failures=tuple(failures.get(name, ())), **_audience(state)))
    return out


def _audience(state: KbSourceState | None) -> dict:
    if state is None or state.audience is None:
        return {}
    said = json.loads(state.audience)
    return {"audience": Audience.from_json(said) if said is not None else None, "audience_known": said is not None}
