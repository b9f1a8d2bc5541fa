"""Readers from the source (``visible_to_from_source``): what a source says of who may read it narrows its
collection's audience to the people Lorebot knows by those emails; it never widens what lorebot.toml says."""
from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from adapters.commands import run as run_command
from adapters.wiring import answer_as
from bot.people import source_audiences
from bot.people.audiences import Reader, may_read
from bot.config import parse_config
from bot.source_sync import sync_sources
from bot.tables.people import PersonRow
from knowledge.sources.documents import Audience, Checkpoint, SourceDocument
from knowledge.sources.retrying import FetchFailed

SALARIES = "# Salary bands\n\nEngineers in band E3 earn between 60,000 and 75,000 euros a year.\n"
QUESTION = "What do engineers in band E3 earn?"


class DriveLike:
    """A test stand-in for a source that knows its readers (as a shared drive does), on the real engine."""

    def __init__(self, audience: Audience | None | Exception) -> None:
        self.said = audience

    def changes(self, cursor, stored):
        yield SourceDocument(key="salaries.md", data=SALARIES.encode(), media_type="text/markdown",
                             url="https://drive.example.com/salaries")
        yield Checkpoint(None)

    def fetch(self, key, stored):
        raise AssertionError("nothing failed, so nothing is fetched again")

    def keys(self):
        return ["salaries.md"]

    def audience(self):
        if isinstance(self.said, Exception):
            raise self.said
        return self.said

    def close(self) -> None:
        pass


def config_with(**source):
    return parse_config({
        "people": {"alice": {"name": "Alice", "email": "Alice@Acme.com"}, "bob": {"name": "Bob",
                                                                              "email": "bob@acme.com"}},
        "sources": {"drive": {"type": "git", "repo": "unused", "collection": "hr", "visible_to_from_source": True,
                              **source}}})


def synced(kb, config, audience):
    source_audiences.attach(config, kb.engine)
    report, = sync_sources(kb, config, {"drive": DriveLike(audience)})
    assert report.error is None and report.added + report.unchanged == 1
    return config


def answered_from_hr(config, kb, reader) -> bool:
    answer = answer_as(config, kb, reader, QUESTION)
    return answer.answered and any(source.document == "source:drive/salaries.md" for source in answer.sources)


def test_only_the_people_the_source_names_read_its_collection(kb) -> None:
    config = synced(kb, config_with(), Audience(emails=frozenset({"alice@acme.com"})))
    assert answered_from_hr(config, kb, Reader.of_handle("alice"))
    assert not answered_from_hr(config, kb, Reader.of_handle("bob"))
    assert not may_read(config, Reader.in_channel("slack", "CGENERAL"), "hr")  # a channel's members are unknown


def test_someone_a_platform_introduced_is_matched_by_their_email(kb) -> None:
    config = synced(kb, config_with(), Audience(emails=frozenset({"carol@acme.com"})))
    with Session(kb.engine) as session:
        session.add(PersonRow(platform="slack", user_id="UCAROL", email="carol@acme.com"))
        session.add(PersonRow(platform="slack", user_id="UDAVE", email="dave@acme.com"))
        session.commit()
    source_audiences.of(config).refresh()
    assert may_read(config, Reader.person(config, "slack", "UCAROL"), "hr")
    assert not may_read(config, Reader.person(config, "slack", "UDAVE"), "hr")
    assert not may_read(config, Reader.of_handle("alice"), "hr")


def test_a_source_shared_with_everyone_or_that_cannot_tell_adds_no_restriction(kb) -> None:
    config = synced(kb, config_with(), Audience(anyone=True))
    assert answered_from_hr(config, kb, Reader.of_handle("bob"))
    config = synced(kb, config_with(), None)
    assert answered_from_hr(config, kb, Reader.of_handle("bob"))


def test_the_source_never_widens_what_lorebot_toml_says(kb) -> None:
    raw = config_with().model_dump()
    raw["collections"] = {"hr": {"visible_to": ["person:bob"]}}
    config = synced(kb, parse_config(raw), Audience(emails=frozenset({"alice@acme.com", "bob@acme.com"})))
    assert answered_from_hr(config, kb, Reader.of_handle("bob"))
    assert not answered_from_hr(config, kb, Reader.of_handle("alice"))  # named by the source, not by the file


def test_an_audience_that_cannot_be_read_this_time_keeps_the_last_one(kb) -> None:
    config = synced(kb, config_with(), Audience(emails=frozenset({"alice@acme.com"})))
    synced(kb, config, FetchFailed("HTTP 500 after 5 attempts", 500))
    assert not answered_from_hr(config, kb, Reader.of_handle("bob"))
    assert answered_from_hr(config, kb, Reader.of_handle("alice"))


def test_without_the_option_the_source_is_not_asked(kb) -> None:
    config = synced(kb, config_with(visible_to_from_source=False), Audience(emails=frozenset({"alice@acme.com"})))
    assert answered_from_hr(config, kb, Reader.of_handle("bob"))


@pytest.mark.parametrize(("audience", "line"), [
    (Audience(emails=frozenset({"alice@acme.com", "bob@acme.com"}), groups=frozenset({"hr-team@acme.com"})),
     "readers: the 2 people the source names, and groups Lorebot cannot list: hr-team@acme.com"),
    (None, "readers: the source cannot tell who may read it; visible_to in lorebot.toml applies"),
])
def test_lorebot_sources_says_where_readers_come_from(kb, tmp_path, capsys, audience, line) -> None:
    import argparse

    from bot.settings import Settings

    config_file = tmp_path / "lorebot.toml"
    config_file.write_text('[sources.drive]\ntype = "git"\nrepo = "unused"\ncollection = "hr"\n'
                           'visible_to_from_source = true\n', encoding="utf-8")
    settings = Settings(home=kb.home, database_url=str(kb.engine.url.render_as_string(hide_password=False)),
                        config_path=config_file)
    synced(kb, config_with(), audience)
    assert run_command(argparse.Namespace(command="sources", json=False), settings) == 0
    assert line in capsys.readouterr().out
    assert run_command(argparse.Namespace(command="sources", json=True), settings) == 0
    readers = json.loads(capsys.readouterr().out)[0]["readers"]
    assert readers["known"] is (audience is not None)
