"""Feedback that carries to rewordings: which source answers a question, as people judged it before.

When someone said a document answered (Helpful) or did not (Not helpful, a champion's ❌) and a later question
asks the same thing, that later question's passages are reordered. "The same thing" is the decision verified
answers are matched with (meaning, word contrast, the same documents found: ``knowledge.entry_matching``), so
"Can I bring a cat?" does not inherit what was learned for "…a dog?".

One person cannot swing an answer alone. A document's standing for a question is the sum of the judgments of
distinct people (each person counts once, by their latest judgment; a judgment made before the document
changed counts half). Below ``[answers] feedback_askers`` (default 2) the preference only breaks near-ties:
a preferred passage goes first when it was about as good as the top one (within ``NEAR_TIE``), a judged-unhelpful
top passage gives way to an about-as-good one, and the answer's confidence stays what the search said, so one
person never turns "not sure" into an answer or the reverse. From ``feedback_askers`` on (or by a champion's ❌),
the preference decides: the preferred passage goes first wherever the search found it, and a rejected document
is left out. A verified answer is never overridden: only passages move, and a verified match sure enough to be
served is served before any of this runs.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Sequence

import numpy as np
from sqlalchemy import Row
from sqlmodel import Session, select

from bot.config import LorebotConfig
from bot.people import audiences
from bot.ports import Knowledge
from bot.tables.preferences import HELPFUL, REJECTED, LearnedPreference
from knowledge.types import Hit

SAME_QUESTION = 0.45  # a judgment reaches a question at least this surely the same (a verified entry's "related")
NEAR_TIE = 0.10  # how close to the top passage one person's preference may lift another
CANDIDATES = 5  # judged wordings scored in full per question, after a cosine pre-selection
HALF = 0.5  # the weight of a judgment made before its document changed


def to_blob(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype="float32").tobytes()


def standings(session: Session, config: LorebotConfig, knowledge: Knowledge, reader: audiences.Reader, text: str,
              vector: Sequence[float] | None, hits: list[Hit], collections: Sequence[str] | None) -> dict[str, float]:
    """Each document's standing for this question, from the judgments of questions that ask the same thing
    (only documents among ``hits``, only judgments whose question's audience the reader belongs to)."""
    found = {hit.document for hit in hits if hit.kind == "chunk"}
    if not found:
        return {}
    table = LearnedPreference
    columns = (table.id, table.question_text, table.question_vector, table.person_id, table.kind, table.document,
               table.content_hash, table.audience, table.at)
    rows = [row for row in session.exec(select(*columns).where(table.document.in_(sorted(found))))
            if row.audience == "[]" or audiences.may_read_all(config, reader, audiences.loads(row.audience))]
    rows = _may_matter(rows, hits, config.answers.feedback_askers)
    if not rows:
        return {}
    query = np.asarray(vector if vector is not None else knowledge.embed_question(text), dtype="float32")
    vectors = {row.question_text: row.question_vector for row in rows}
    closeness = dict(zip(vectors, np.frombuffer(b"".join(vectors.values()), dtype="float32")
                         .reshape(len(vectors), -1) @ query))
    wordings = [(wording, np.frombuffer(vectors[wording], dtype="float32"))
                for wording in sorted(vectors, key=lambda wording: -closeness[wording])[:CANDIDATES]]
    sureness = knowledge.same_question(text, wordings, collections=collections, vector=query, floor=SAME_QUESTION)
    same = {wording for (wording, _), sure in zip(wordings, sureness) if sure >= SAME_QUESTION}
    matching = [row for row in rows if row.question_text in same]
    if not matching:
        return {}
    versions = knowledge.document_versions({row.document for row in matching})
    latest: dict[tuple[str, str], Row] = {}
    for row in sorted(matching, key=lambda r: (r.at, r.id or 0)):
        latest[(row.document, row.person_id)] = row  # one voice per person and document: their latest
    standing: dict[str, float] = defaultdict(float)
    for row in latest.values():
        weight = 1.0 if row.content_hash == versions.get(row.document) else HALF
        votes = config.answers.feedback_askers if row.kind == REJECTED else 1
        standing[row.document] += (1 if row.kind == HELPFUL else -1) * votes * weight
    return dict(standing)


def _may_matter(rows: list[Row], hits: list[Hit], decides: int) -> list[Row]:
    """The judgments that could move this question's passages, before the costlier same-question check: all of
    them when some document has enough voices (or a champion's ❌) to decide, else those of the top passage's
    document and of documents about as good as it (one voice only breaks near-ties)."""
    people: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        people[row.document].add(row.person_id)
    if any(row.kind == REJECTED for row in rows) or any(len(who) >= decides for who in people.values()):
        return rows
    passages = [hit for hit in hits if hit.kind == "chunk"]
    close = {hit.document for hit in passages if hit.confidence >= passages[0].confidence - NEAR_TIE}
    return [row for row in rows if row.document in close]


def reorder(hits: list[Hit], standing: dict[str, float], decides: int) -> list[Hit]:
    """``hits`` with their passages reordered (or left out) by the documents' standings; entries stay put."""
    passages = [hit for hit in hits if hit.kind == "chunk"]
    if not passages or not standing:
        return hits
    dropped = {document for document, value in standing.items() if value <= -decides}
    kept = [hit for hit in passages if hit.document not in dropped]
    if not kept:
        return [hit for hit in hits if hit.kind != "chunk"]
    top = kept[0]
    first = _preferred(kept, standing, decides) or _giving_way(kept, standing)
    if first is not None and first is not top:
        kept.remove(first)
        # A preference picks between passages; how sure the search is that the documents answer stays its own.
        kept.insert(0, dataclasses.replace(first, confidence=max(first.confidence, top.confidence)))
    rest = iter(kept)
    return [hit if hit.kind != "chunk" else next(rest) for hit in hits
            if hit.kind != "chunk" or hit.document not in dropped]


def _preferred(passages: list[Hit], standing: dict[str, float], decides: int) -> Hit | None:
    """The first passage of the best-standing preferred document that may go first."""
    top = passages[0]
    ranked = sorted({hit.document for hit in passages if standing.get(hit.document, 0.0) >= 1.0},
                    key=lambda document: -standing[document])
    for document in ranked:
        passage = next(hit for hit in passages if hit.document == document)
        if standing[document] >= decides or passage.confidence >= top.confidence - NEAR_TIE:
            return passage
    return None


def _giving_way(passages: list[Hit], standing: dict[str, float]) -> Hit | None:
    """When the top passage's document was judged unhelpful by someone, an about-as-good passage of another
    document that nobody judged so."""
    top = passages[0]
    if standing.get(top.document, 0.0) > -1.0:
        return None
    return next((hit for hit in passages[1:] if hit.document != top.document
                 and standing.get(hit.document, 0.0) > -1.0 and hit.confidence >= top.confidence - NEAR_TIE), None)
