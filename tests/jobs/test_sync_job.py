"""The scheduled ``sync`` job: each source on its own schedule, exactly once across replicas, and a changed
document sends the verified answers built on it back to their champions."""
from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.config import parse_config
from bot.tables.curation import VerifiedAnswer
from bot.tables.reverification import ReverificationRequest
from jobs import JobRunner, format_job_list
from jobs.tables import JobRun
from tests.jobs.conftest import CONFIG, FakeClock, console, london
from tests.knowledge.sources.gitrepo import Repo

LEAVE = "# Leave\n\nEveryone gets 25 days of annual leave a year, booked in Breathe.\n"


def setup(kb, tmp_path):
    repo = Repo(tmp_path / "wiki")
    repo.write("leave.md", LEAVE)
    repo.commit("first")
    config = parse_config({**CONFIG, "sources": {"wiki": {"type": "git", "repo": str(repo.path),
                                                          "schedule": "0 * * * *", "collection": "wiki"}}})
    return repo, config


def runner(kb, config, clock) -> JobRunner:
    sources = {name: options.open(name, home=kb.home, secrets=lambda variable: None)
               for name, options in config.sources.items()}
    return JobRunner(config=config, engine=kb.engine, knowledge=kb, messengers=console(), clock=clock,
                     sources=sources)


def test_each_fire_time_syncs_once_across_two_replicas(kb, tmp_path) -> None:
    repo, config = setup(kb, tmp_path)
    clock = FakeClock(london(2026, 3, 16, 9, 5))
    first, second = runner(kb, config, clock), runner(kb, config, clock)
    ran = [result for result in first.catch_up() + second.catch_up() if result.job.startswith("sync")]
    assert [result.job for result in ran] == ["sync:wiki"]
    assert "1 new" in ran[0].summary()
    assert any(hit.collection == "wiki" for hit in kb.search("How many days of annual leave?", k=3))
    with Session(kb.engine) as session:
        assert session.exec(select(JobRun.period).where(JobRun.job == "sync")).all() == ["wiki@2026-03-16T09:00"]
    assert first.tick("sync:wiki") is None and second.tick("sync:wiki") is None  # the same hour again

    repo.write("leave.md", LEAVE.replace("25 days", "30 days"))
    repo.commit("more leave")
    clock.advance(hours=1)
    assert [result.job for result in second.catch_up() + first.catch_up()
            if result.job.startswith("sync")] == ["sync:wiki"]
    assert "30 days" in kb.search("How many days of annual leave?", k=1, collections=["wiki"])[0].text


def test_jobs_list_shows_each_source_with_its_schedule(kb, tmp_path) -> None:
    _, config = setup(kb, tmp_path)
    listing = format_job_list(runner(kb, config, FakeClock(london(2026, 3, 16, 9, 5))).list_jobs())
    assert "sync:wiki" in listing and "0 * * * *" in listing and "Mon 2026-03-16 10:00" in listing


def test_a_changed_document_sends_its_verified_answers_to_re_verification(kb, tmp_path) -> None:
    repo, config = setup(kb, tmp_path)
    clock = FakeClock(london(2026, 3, 16, 9, 5))
    jobs = runner(kb, config, clock)
    jobs.run("sync")
    with Session(kb.engine) as session:
        answer = VerifiedAnswer(topic="hr", question_text="How much leave?", answer_text="25 days",
                                champion_id="console:cara", champion_name="Cara", verified_at=clock(),
                                last_verified_at=clock(), source_documents=json.dumps(["source:wiki/leave.md"]))
        session.add(answer)
        session.commit()
        answer_id = answer.id
    repo.write("leave.md", LEAVE.replace("25 days", "30 days"))
    repo.commit("more leave")
    assert "1 changed" in jobs.run("sync").summary()
    with Session(kb.engine) as session:
        request = session.exec(select(ReverificationRequest)).one()
    assert request.verified_answer_id == answer_id and request.document_list() == ["source:wiki/leave.md"]


def test_the_admins_digest_names_sources_that_need_a_look(kb, tmp_path) -> None:
    repo, _ = setup(kb, tmp_path)
    raw = {**CONFIG, "admins": ["mia"], "sources": {
        "wiki": {"type": "git", "repo": str(repo.path)},
        "gone": {"type": "git", "repo": str(tmp_path / "nowhere")}}}
    config = parse_config(raw)
    clock = FakeClock(london(2026, 3, 16, 9, 5))
    jobs = runner(kb, config, clock)
    jobs.run("sync")
    digest = jobs.run("digest", dry_run=True).text()
    assert "Sources needing a look" in digest
    assert "gone: the last sync failed: cannot read the default branch of" in digest
    assert "wiki" not in digest.split("Sources needing a look")[1]  # a healthy source is not named
