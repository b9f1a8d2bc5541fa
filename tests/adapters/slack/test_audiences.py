"""Restricted collections through the real Bolt app: a direct message reads what its person may read, a
channel only what everyone in it may (signed requests, fake Web API, real core and knowledge base)."""
from __future__ import annotations

import json

import pytest

from tests.adapters.slack.conftest import CONFIG, serve_rig

SALARIES = "# Salary bands\n\n## Engineering\n\nLevel L5 engineers earn between 95,000 and 120,000 pounds a year.\n"
QUESTION = "What do L5 engineers earn a year?"


@pytest.fixture
def rig(kb, tmp_path):
    folder = tmp_path / "finance"
    folder.mkdir()
    (folder / "salaries.md").write_text(SALARIES, encoding="utf-8")
    kb.ingest([folder], collection="finance", progress=False)
    config = {**CONFIG, "people": {**CONFIG["people"], "fiona": {"name": "Fiona", "team": "finance",
                                                                "ids": {"slack": "UFIONA"}}},
              "teams": {**CONFIG["teams"], "finance": {"manager": "fiona"}},
              "collections": {"finance": {"visible_to": ["team:finance", "channel:slack:CFIN"]}}}
    yield from serve_rig(kb, config)


def _said(rig, channel: str, thread: str) -> str:
    return json.dumps(rig.api.posts_to(channel, thread=thread))


def test_a_direct_message_reads_what_its_person_may(rig) -> None:
    assert rig.dm("UFIONA", QUESTION, "300.1") == 200
    assert rig.dm("UERIN", QUESTION, "300.2") == 200
    rig.settle()
    assert "95,000" in _said(rig, "DUFIONA", "300.1")
    assert "95,000" not in _said(rig, "DUERIN", "300.2")


def test_a_channel_reads_only_what_everyone_in_it_may(rig) -> None:
    for channel, ts in (("CGENERAL", "400.1"), ("CFIN", "400.2")):
        assert rig.event({"type": "app_mention", "channel": channel, "user": "UFIONA",
                          "text": f"<@UBOT> {QUESTION}", "ts": ts}) == 200
    rig.settle()
    assert "95,000" not in _said(rig, "CGENERAL", "400.1")  # Fiona may, but not everyone in #general
    assert "95,000" in _said(rig, "CFIN", "400.2")
