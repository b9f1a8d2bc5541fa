"""Re-verification buttons over the real Bolt app: they act only on the message the weekly run sent."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from adapters.wiring import extensions
from bot.config import parse_config
from bot.tables.curation import VerifiedAnswer
from bot.tables.reverification import CONFIRMED, REQUESTED, ReverificationRequest
from jobs import JobRunner
from tests.adapters.slack.conftest import CONFIG, serve_rig

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)


@pytest.fixture
def rig(kb):
    yield from serve_rig(kb, CONFIG, extensions=tuple(extensions(parse_config(CONFIG))))


def _old_answer(engine) -> int:
    with Session(engine) as session:
        answer = VerifiedAnswer(topic="leave", question_text="How many leave days do I get?",
                                answer_text="25 days a year.", champion_id="slack:UCAROL", champion_name="Carol",
                                verified_at=LONG_AGO, last_verified_at=LONG_AGO)
        session.add(answer)
        session.commit()
        return answer.id


def _request(engine, answer_id: int) -> ReverificationRequest:
    with Session(engine) as session:
        return session.exec(select(ReverificationRequest).where(
            ReverificationRequest.verified_answer_id == answer_id)).one()


def test_a_forged_click_from_another_conversation_changes_nothing(rig) -> None:
    answer_id = _old_answer(rig.kb.engine)
    assert JobRunner(rig.core).run("reverify").sent == 1
    sent = rig.api.posts_to("DUCAROL")[0]
    ts = next(ts for (channel, ts) in rig.api.texts if channel == "DUCAROL")
    button = next(e for b in sent["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].startswith("lorebot:still_right"))

    # Carol's own genuine, signed click, but from a channel message that never showed this request.
    assert rig.click("UCAROL", button["action_id"], button["value"], "CGENERAL", "999.1") == 200
    rig.settle()
    assert _request(rig.kb.engine, answer_id).status == REQUESTED
    assert "no longer works" in rig.api.posts_to("CGENERAL")[-1]["text"]
    with Session(rig.kb.engine) as session:
        assert session.get(VerifiedAnswer, answer_id).last_verified_at == LONG_AGO

    assert rig.click("UCAROL", button["action_id"], button["value"], "DUCAROL", ts) == 200
    rig.settle()
    assert _request(rig.kb.engine, answer_id).status == CONFIRMED
    assert "stays verified" in rig.api.posts_to("DUCAROL")[-1]["text"]
