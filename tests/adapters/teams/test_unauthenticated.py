"""Started with ``--insecure-no-auth``, the Teams endpoint cannot tell who sent a request, so nothing a request
says about conversations outlives the process: a forged install cannot redirect a champion's questions after a
restart, while the caller still gets answered."""
from __future__ import annotations

from sqlmodel import Session, select

from adapters.teams import TeamsMessenger, build_teams_app, connect_teams
from bot.config import parse_config
from bot.core import Lorebot
from bot.tables.contacts import Contact
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.support import CONFIG, RecordingCore, Teams, start_site, storing_messenger
from tests.bot.support import LEAVE_QUESTION


def contacts_table(engine) -> list[tuple]:
    with Session(engine) as session:
        return sorted((c.key, c.kind, c.payload, c.unreachable) for c in session.exec(select(Contact)).all())


def serve(servers, kb, messenger) -> None:
    servers.serve(build_teams_app(core=Lorebot(config=parse_config(CONFIG), knowledge=kb, messenger=messenger),
                                  messenger=messenger))


def test_a_forged_install_is_not_stored_and_a_restart_routes_to_the_real_chat(servers, teams, kb, sleeps):
    attacker = FakeConnector()
    runner, attacker.url = servers.loop.run(start_site(attacker.app()))
    forger = Teams(attacker.url)
    for _ in range(100):  # its activity ids differ from the real ones below
        forger.next_id()
    messengers = []
    try:
        # An authenticated run met Carol, the leave champion, in her personal chat.
        messengers.append(storing_messenger(kb.engine, sleep=sleeps))
        serve(servers, kb, messengers[-1])
        assert servers.post(teams.personal_install("carol")).status_code == 200
        before = contacts_table(kb.engine)

        # Without authentication, someone claims to be Carol installing the app, with their own serviceUrl.
        insecure = TeamsMessenger(connect_teams(app_id=None, app_password=None, allow_anonymous=True), kb.engine,
                                  sleep=sleeps)
        messengers.append(insecure)
        serve(servers, kb, insecure)
        assert servers.post(forger.personal_install("carol")).status_code == 200
        assert servers.post(forger.personal_message("alice", LEAVE_QUESTION)).status_code == 200
        assert len(attacker.delivered()) == 1  # the caller is still answered, in the reply
        assert contacts_table(kb.engine) == before  # and nothing it said was stored
        answered_there = len(attacker.calls)

        # After a restart with authentication, a question routed to Carol reaches her real chat.
        messengers.append(storing_messenger(kb.engine, sleep=sleeps))
        serve(servers, kb, messengers[-1])
        assert servers.post(teams.personal_message("alice", LEAVE_QUESTION)).status_code == 200
        [answer] = servers.connector.delivered("a:1alice-personal")
        clicked = teams.card_action("alice", answer.action("not_helpful"), card_id=answer.id)
        assert servers.post(clicked).status_code == 200
        assert len(servers.connector.delivered("a:1carol-personal")) == 1
        assert len(attacker.calls) == answered_there
    finally:
        for messenger in messengers:
            messenger.close()
        servers.loop.run(runner.cleanup())


def test_without_authentication_the_directory_keeps_nothing_in_the_database(servers, teams, engine, sleeps):
    insecure = TeamsMessenger(connect_teams(app_id=None, app_password=None, allow_anonymous=True), engine,
                              sleep=sleeps)
    try:
        servers.serve(build_teams_app(core=RecordingCore(), messenger=insecure))
        for activity in (teams.personal_install("carol"), teams.bot_installed_in_team("19:x@thread.tacv2",
                                                                                      members=["dave"])):
            assert servers.post(activity).status_code == 200
        assert contacts_table(engine) == []
        assert insecure.directory.person("aad-carol").reference.service_url == teams.service_url  # for this process
    finally:
        insecure.close()


def test_a_trial_endpoint_keeps_nothing_and_lets_nobody_curate(servers, teams, kb, sleeps):
    """What `serve --teams --insecure-no-auth` builds (adapters.wiring): the bot's tables in a throwaway store,
    nobody a champion. Carol, the leave champion by config, cannot verify an answer there, and the real store
    and knowledge base are exactly as before."""
    from adapters import wiring

    before = row_counts(kb.engine)
    entries = kb.stats()["entries"]
    with wiring.trial_store(True) as scratch:
        insecure = TeamsMessenger(connect_teams(app_id=None, app_password=None, allow_anonymous=True), scratch,
                                  sleep=sleeps)
        try:
            servers.serve(build_teams_app(core=wiring.build_core(None, parse_config(CONFIG), kb, insecure,
                                                                 engine=scratch), messenger=insecure))
            assert servers.post(teams.personal_message("carol", LEAVE_QUESTION)).status_code == 200
            [answer] = servers.connector.delivered("a:1carol-personal")
            assert "25 days" in answer.text
            assert servers.post(teams.reaction("carol", answer.id, "like")).status_code == 200
            clicked = teams.card_action("carol", answer.action("helpful"), card_id=answer.id)
            assert servers.post(clicked).status_code == 200
            servers.settle()
            assert row_counts(scratch)["questions"] == 1  # the trial works, in its own store
            assert row_counts(scratch)["verified_answers"] == 0  # a claimed identity curates nothing
            folder = scratch.url.database.rsplit("/", 1)[0]
        finally:
            insecure.close()
    assert row_counts(kb.engine) == before and kb.stats()["entries"] == entries
    import os

    assert not os.path.exists(folder)  # the trial store is gone with the process


def row_counts(engine) -> dict[str, int]:
    import sqlalchemy

    with engine.connect() as connection:
        return {name: connection.execute(sqlalchemy.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in sqlalchemy.inspect(engine).get_table_names()}
