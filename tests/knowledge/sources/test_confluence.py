"""The Confluence source on the real sync engine and the real atlassian client, against a loopback Confluence
(Cloud and Data Center), on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.confluence import ConfluenceOptions, cql_time
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.syncing import SyncOptions
from knowledge.store import KbChunk, KbDocument
from tests.knowledge.pdfs import pdf_with_text
from tests.knowledge.sources.fake_confluence import TOKEN, USER, FakeConfluence, Fault, minutes_ago
from tests.knowledge.sources.scenarios import failing_document_is_kept_and_retried, top

SECRETS = {"WIKI_USER": USER, "WIKI_TOKEN": TOKEN}
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_wait=5)
LEAVE = ("<h2>Allowance</h2><p>Everyone gets 25 days of annual leave a year, booked in Breathe.</p>"
         "<h2>By grade</h2><table><tbody><tr><th><p>Grade</p></th><th><p>Days</p></th></tr>"
         "<tr><td><p>Junior</p></td><td><p>25</p></td></tr><tr><td><p>Senior</p></td><td><p>28</p></td></tr>"
         "</tbody></table>")
PARKING = "<p>Staff park for free in lot B behind the warehouse.</p>"
VPN = ('<p>Connect to the VPN with WireGuard before opening the intranet.</p><ac:structured-macro ac:name="code">'
       '<ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[wg-quick up office]]>'
       '</ac:plain-text-body></ac:structured-macro>')
MEALS = ('<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Meals while travelling are capped at 40 pounds '
         'a day.</p></ac:rich-text-body></ac:structured-macro>')


class Wiki:
    """A fake Confluence with four pages in two spaces, last changed an hour or more ago."""

    def __init__(self, cloud: bool) -> None:
        self.fake = FakeConfluence(cloud=cloud)
        self.leave = self.fake.page("Annual leave", LEAVE, when=minutes_ago(180))
        self.parking = self.fake.page("Parking", PARKING, when=minutes_ago(150))
        self.vpn = self.fake.page("VPN", VPN, space="IT", when=minutes_ago(120))
        self.meals = self.fake.page("Meals", MEALS, when=minutes_ago(90))

    def options(self, **options) -> dict:
        fake = self.fake
        return {"type": "confluence", "url": fake.url, "spaces": ["HR", "IT"], "cloud": fake.cloud,
                "token_env": "WIKI_TOKEN", **({"user_env": "WIKI_USER"} if fake.cloud else {}), **options}


def _served(cloud: bool):
    wiki = Wiki(cloud)
    yield wiki
    wiki.fake.close()


@pytest.fixture(params=["cloud", "data-center"])
def wiki(request) -> Wiki:
    yield from _served(request.param == "cloud")


@pytest.fixture
def cloud() -> Wiki:
    yield from _served(True)


@pytest.fixture
def data_center() -> Wiki:
    yield from _served(False)


def sync(kb: KnowledgeBase, wiki: Wiki, policy: RetryPolicy = FAST, **options):
    config = ConfluenceOptions(**wiki.options(**options))
    source = config.open("wiki", home=kb.home, secrets=SECRETS.get, policy=policy)
    try:
        return kb.sync("wiki", source, SyncOptions(collection="wiki", type="confluence"))
    finally:
        source.close()


def stored(kb: KnowledgeBase) -> dict[str, KbDocument]:
    with Session(kb.engine) as session:
        return {doc.path.removeprefix("source:wiki/"): doc for doc in session.exec(select(KbDocument)).all()}


def passages(kb: KnowledgeBase, key: str) -> list[tuple[str, str]]:
    """The stored passages of a document: (heading path, text)."""
    with Session(kb.engine) as session:
        document = session.exec(select(KbDocument).where(KbDocument.path == f"source:wiki/{key}")).one()
        chunks = session.exec(select(KbChunk).where(KbChunk.document_id == document.id).order_by(KbChunk.ordinal))
        return [(chunk.heading, chunk.text) for chunk in chunks]


def test_first_sync_answers_from_the_right_page_with_its_link(kb, wiki) -> None:
    fake = wiki.fake
    report = sync(kb, wiki)
    assert (report.added, report.changed, report.removed, report.failed) == (4, 0, 0, 0)
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "Annual leave"
    assert hit.url == f"{fake.url}/spaces/HR/pages/{wiki.leave}/Annual+leave"
    (allowance, leave_text), (grades, table) = passages(kb, f"page/{wiki.leave}")
    assert allowance.endswith("Allowance") and "25 days" in leave_text
    assert grades.endswith("By grade") and "| Grade | Days |" in table and "| Senior | 28 |" in table
    assert "wg-quick up office" in passages(kb, f"page/{wiki.vpn}")[0][1]
    leave = stored(kb)[f"page/{wiki.leave}"]
    assert (leave.version, leave.author) == ("1", "Alice Example") and leave.modified_at is not None
    scheme = "Basic " if fake.cloud else "Bearer "
    assert fake.requests and all(request.authorization.startswith(scheme) for request in fake.requests)
    assert all(request.status != 401 for request in fake.requests)


def test_an_edit_costs_one_body_and_its_passages_only(kb, cloud, counting_embedder) -> None:
    fake = cloud.fake
    sync(kb, cloud)
    fake.forget()
    fake.edit(cloud.leave, LEAVE.replace("25 days", "30 days"))
    before = counting_embedder.texts_embedded
    report = sync(kb, cloud)
    assert (report.added, report.changed, report.removed, report.failed) == (0, 1, 0, 0)
    assert fake.bodies_read() == [cloud.leave]
    assert 0 < counting_embedder.texts_embedded - before <= 3
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    assert report.changed_paths == [f"source:wiki/page/{cloud.leave}"]
    assert all('lastmodified >= "' in cql for cql in fake.searches() if "order by lastmodified" in cql)

    fake.forget()
    before = counting_embedder.texts_embedded
    again = sync(kb, cloud)
    assert (again.added, again.changed, again.removed, again.failed) == (0, 0, 0, 0)
    assert fake.bodies_read() == [] and counting_embedder.texts_embedded == before


def test_a_renamed_page_keeps_its_key_and_takes_its_new_link(kb, cloud) -> None:
    sync(kb, cloud)
    cloud.fake.edit(cloud.vpn, title="Remote access")
    report = sync(kb, cloud)
    assert (report.added, report.changed, report.removed) == (0, 1, 0)
    hit = top(kb, "How do I connect to the VPN?")
    assert hit.title == "Remote access" and hit.url.endswith(f"/pages/{cloud.vpn}/Remote+access")


def test_a_page_gone_from_the_listing_is_removed(kb, cloud) -> None:
    sync(kb, cloud)
    cloud.fake.delete(cloud.parking)
    report = sync(kb, cloud)
    assert (report.removed, report.removal_blocked) == (1, None)
    assert f"page/{cloud.parking}" not in stored(kb)
    assert len(stored(kb)) == 3


def test_cql_dates_are_written_in_the_zone_confluence_reads_them_in(kb, wiki) -> None:
    """Cloud names the account's zone; Data Center does not, so the window starts as early as any zone needs."""
    fake = wiki.fake
    sync(kb, wiki)
    newest = fake.contents[wiki.meals].when
    fake.forget()
    fake.edit(wiki.parking, PARKING.replace("lot B", "lot C"))
    report = sync(kb, wiki)
    assert report.changed == 1
    zone = ZoneInfo("America/Los_Angeles") if fake.cloud else timezone(timedelta(hours=-12))
    assert f'lastmodified >= "{cql_time(newest - timedelta(minutes=15), zone)}"' in fake.searches()[0]
    assert "lot C" in top(kb, "Where can staff park?").text


def test_cql_time_is_minute_precision_and_early_in_the_hour_that_repeats() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert cql_time(datetime(2024, 6, 1, 8, 30, 59, tzinfo=timezone.utc), berlin) == "2024-06-01 10:30"
    # 2024-10-27 00:30 UTC is 02:30 CEST, a wall time that comes again at 01:30 UTC (02:30 CET)
    assert cql_time(datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc), berlin) == "2024-10-27 01:30"
    assert cql_time(datetime(2024, 10, 27, 1, 30, tzinfo=timezone.utc), berlin) == "2024-10-27 02:30"


def test_a_killed_sync_resumes_from_its_checkpoint_and_embeds_nothing_twice(kb, database_url, cloud, monkeypatch,
                                                                             counting_embedder) -> None:
    from tests.knowledge.sources.sync_process import kill_after_checkpoint

    fake = cloud.fake
    for number in range(56):
        fake.page(f"Note {number}", f"<p>Fact number {number} is about topic {number * 7 % 101} and office "
                                    f"{number % 13}.</p>", when=minutes_ago(100 - number))
    fake.page_cap, fake.delay = 5, 0.01
    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    assert kill_after_checkpoint(kb.home, database_url, "wiki", cloud.options()), "the sync finished before the kill"
    written = len(stored(kb))
    assert 0 < written < 60
    fake.delay = 0
    report = sync(kb, cloud)
    assert report.error is None and len(stored(kb)) == 60
    assert report.added == 60 - written
    assert counting_embedder.texts_embedded == 60 - written  # one passage per page: nothing twice


def test_a_failing_page_keeps_its_last_version_and_is_retried_next_run(kb, cloud) -> None:
    fake = cloud.fake
    sync(kb, cloud)
    fake.edit(cloud.leave, LEAVE.replace("25 days", "30 days"))
    fake.faults.append(Fault(lambda request: request.path == f"/rest/api/content/{cloud.leave}", 500, times=None))
    failing_document_is_kept_and_retried(
        kb, lambda: sync(kb, cloud), fake, key=f"page/{cloud.leave}", reason="HTTP 500 after 3 attempts",
        url=f"{fake.url}/spaces/HR/pages/{cloud.leave}/Annual+leave",
        question="How many days of annual leave do I get?", before="25 days", after="30 days",
        read=fake.bodies_read, ident=cloud.leave)


def test_a_rate_limit_is_waited_for_never_skipped(kb, cloud) -> None:
    fake = cloud.fake
    path = f"/rest/api/content/{cloud.vpn}"
    fake.faults.append(Fault(lambda request: request.path == path, 429, headers={"Retry-After": "1"}))
    report = sync(kb, cloud, policy=RetryPolicy(attempts=3, base_delay=5))  # a backoff would take 5 s or more
    assert (report.added, report.failed) == (4, 0)
    limited, retried = [request for request in fake.requests if request.path == path][:2]
    assert (limited.status, retried.status) == (429, 200)
    assert 0.9 <= retried.at - limited.at < 4


def test_short_pages_from_a_capped_server_still_list_everything(kb, data_center) -> None:
    fake = data_center.fake
    for number in range(5):
        fake.page(f"Policy {number}", f"<p>Policy {number} says room {number} is bookable.</p>",
                  when=minutes_ago(60 - number))
    fake.page_cap = 2  # asked for 100, sends 2, as Data Center does
    report = sync(kb, data_center)
    assert report.added == 9
    starts = [request.query.get("start") for request in fake.requests
              if request.path == "/rest/api/search" and "order by lastmodified" in request.cql]
    assert starts == ["0", "2", "4", "6", "8"]
    fake.delete(data_center.parking)
    report = sync(kb, data_center)
    assert (report.removed, report.removal_blocked) == (1, None)


def test_an_empty_answer_is_retried(kb, cloud) -> None:
    fake = cloud.fake
    fake.faults += [Fault(lambda request: request.path == "/rest/api/search", 200, body=b""),
                    Fault(lambda request: request.path == f"/rest/api/content/{cloud.meals}", 200, body=b"")]
    report = sync(kb, cloud)
    assert (report.added, report.failed, report.error) == (4, 0, None)
    assert [request.status for request in fake.requests if request.path == f"/rest/api/content/{cloud.meals}"] \
        == [200, 200]
    assert not fake.faults


def test_a_listing_that_fails_half_way_removes_nothing(kb, cloud) -> None:
    fake = cloud.fake
    sync(kb, cloud)
    fake.page_cap = 2
    fake.delete(cloud.parking)
    fake.faults.append(Fault(lambda request: "order by created" in request.cql and request.offset > 0, 500,
                             times=None))
    report = sync(kb, cloud)
    assert report.error is None and report.removed == 0
    assert "did not finish" in report.removal_blocked and "HTTP 500" in report.removal_blocked
    assert f"page/{cloud.parking}" in stored(kb)


def test_a_listing_that_shrinks_while_it_is_read_removes_nothing(kb, cloud) -> None:
    fake = cloud.fake
    sync(kb, cloud)
    fake.page_cap = 2
    fake.hooks.append((lambda request: "order by created" in request.cql and request.offset == 2,
                       lambda: fake.delete(cloud.leave)))  # the page at the front goes: the rest move up a place
    report = sync(kb, cloud)
    assert report.removed == 0 and "deleted while the list was read" in report.removal_blocked
    report = sync(kb, cloud)
    assert (report.removed, report.removal_blocked) == (1, None)


def test_a_change_listing_that_fails_part_way_stops_the_run_and_the_next_resumes(kb, cloud) -> None:
    fake = cloud.fake
    fake.page_cap = 2
    fake.faults.append(Fault(lambda request: "order by lastmodified" in request.cql and request.offset == 2, 503,
                             times=None))
    report = sync(kb, cloud)
    assert report.error == (f"cannot list the changed pages of HR, IT in Confluence at {fake.url}: rate limited "
                            "(HTTP 503) after 3 attempts")
    assert report.removed == 0 and len(stored(kb)) == 2
    fake.faults.clear()
    fake.forget()
    report = sync(kb, cloud)
    assert (report.error, report.added) == (None, 2)
    assert sorted(fake.bodies_read()) == sorted([cloud.vpn, cloud.meals])


def test_removing_most_of_a_space_at_once_is_refused(kb, cloud) -> None:
    sync(kb, cloud)
    for ident in (cloud.leave, cloud.parking, cloud.vpn):
        cloud.fake.delete(ident)
    report = sync(kb, cloud)
    assert report.removed == 0 and "max_removal_share" in report.removal_blocked
    assert len(stored(kb)) == 4


def test_restricted_pages_are_skipped_reported_and_taken_out(kb, cloud) -> None:
    fake = cloud.fake
    salaries = fake.page("Salaries", "<p>Salary bands for 2025.</p>", when=minutes_ago(80))
    fake.restrict(salaries, people=["carol", "dave"])
    bands = fake.page("Band details", "<p>Band C pays more than band B.</p>", parent=salaries, when=minutes_ago(70))
    report = sync(kb, cloud)
    assert report.added == 4
    skipped = {problem.key: problem for problem in report.skipped}
    assert skipped[f"page/{salaries}"].reason == "not synced: view restricted to 2 people"
    assert "'Salaries', is view restricted to 2 people" in skipped[f"page/{bands}"].reason
    assert skipped[f"page/{bands}"].url.endswith(f"/pages/{bands}/Band+details")
    assert f"page/{salaries}" not in stored(kb) and f"page/{bands}" not in stored(kb)

    fake.restrict(cloud.leave, groups=["hr-team"])
    fake.edit(cloud.leave, LEAVE.replace("25 days", "27 days"))
    report = sync(kb, cloud)
    assert report.removed == 1
    assert f"page/{cloud.leave}" in {problem.key for problem in report.skipped}
    assert f"page/{cloud.leave}" not in stored(kb)


def test_a_page_changed_while_listed_is_not_allowed_to_hide_another(kb, cloud) -> None:
    fake = cloud.fake
    fake.page_cap = 2
    first_sighting = fake.contents[cloud.leave].when
    fake.hooks.append((lambda request: "order by lastmodified" in request.cql and request.offset == 2,
                       lambda: fake.edit(cloud.leave, LEAVE.replace("25 days", "26 days"))))
    report = sync(kb, cloud)
    assert f"page/{cloud.vpn}" not in stored(kb)  # moved up a place when the leave page went to the end
    assert report.added == 3
    fake.forget()
    report = sync(kb, cloud)
    assert report.added == 1 and f"page/{cloud.vpn}" in stored(kb)
    since = cql_time(first_sighting - timedelta(minutes=15), ZoneInfo("America/Los_Angeles"))
    assert f'lastmodified >= "{since}"' in fake.searches()[0]


def test_two_processes_syncing_one_space_at_once_one_reports_busy(kb, database_url, cloud, monkeypatch) -> None:
    from tests.knowledge.sources.sync_process import two_at_once

    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    busy, worker = two_at_once(kb.home, database_url, "wiki", cloud.options(), cloud.fake.gate)
    assert busy["busy"] is True
    assert (worker["busy"], worker["added"]) == (False, 4)


def test_wrong_credentials_stop_the_run_in_one_line_without_the_secret(kb, cloud) -> None:
    config = ConfluenceOptions(**cloud.options())
    source = config.open("wiki", home=kb.home, secrets={"WIKI_USER": USER, "WIKI_TOKEN": "not-it"}.get, policy=FAST)
    report = kb.sync("wiki", source, SyncOptions(collection="wiki", type="confluence"))
    assert report.error == (f"Confluence at {cloud.fake.url} refused the credentials in WIKI_USER and WIKI_TOKEN "
                            "(HTTP 401)")
    assert "not-it" not in report.error and "\n" not in report.error


def test_the_secret_never_reaches_the_logs(kb, wiki, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sync(kb, wiki)
    fake = wiki.fake
    fake.faults.append(Fault(lambda request: request.path == f"/rest/api/content/{wiki.leave}", 500, times=None))
    fake.edit(wiki.leave, LEAVE.replace("25 days", "26 days"))
    sync(kb, wiki)
    assert "rest/api/content" in caplog.text  # the client did log its requests
    encoded = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert TOKEN not in caplog.text and encoded not in caplog.text


def test_an_unreachable_server_fails_the_source_and_keeps_everything(kb, cloud) -> None:
    sync(kb, cloud)
    cloud.fake.close()
    report = sync(kb, cloud)
    assert report.error.startswith(f"cannot reach Confluence at {cloud.fake.url}: connection failed")
    assert report.removed == 0 and len(stored(kb)) == 4


def test_an_unknown_space_is_named(kb, cloud) -> None:
    report = sync(kb, cloud, spaces=["HR", "FINANCE"])
    assert report.error == (f"space FINANCE is not in Confluence at {cloud.fake.url}, or this account cannot "
                            "see it")


@pytest.mark.parametrize("variable, secrets", [("WIKI_TOKEN", {"WIKI_USER": USER}), ("WIKI_USER", {})])
def test_a_missing_secret_variable_is_named(kb, cloud, variable, secrets) -> None:
    config = ConfluenceOptions(**cloud.options())
    key = "token_env" if variable == "WIKI_TOKEN" else "user_env"
    with pytest.raises(SourceConfigError, match=f"^sources.wiki.{key}: the environment variable {variable} is not "
                                                "set$"):
        config.open("wiki", home=kb.home, secrets=secrets.get)


def test_cloud_needs_a_user_variable(kb, cloud) -> None:
    options = cloud.options()
    del options["user_env"]
    with pytest.raises(SourceConfigError, match="^sources.wiki.user_env: Confluence Cloud signs in with an email"):
        ConfluenceOptions(**options).open("wiki", home=kb.home, secrets=SECRETS.get)


def test_attachments_of_readable_types_are_synced_when_asked(kb, wiki) -> None:
    fake = wiki.fake
    policy_pdf = fake.attach(wiki.meals, "travel-policy.pdf",
                             pdf_with_text(["Train tickets over 200 pounds need approval from finance."]),
                             "application/pdf", when=minutes_ago(50))
    notes = fake.attach(wiki.vpn, "setup.md", b"# Setup\n\nInstall the WireGuard client from the company portal.\n",
                        "application/octet-stream", when=minutes_ago(40))
    fake.attach(wiki.vpn, "diagram.png", b"\x89PNG not really", "image/png", when=minutes_ago(30))
    report = sync(kb, wiki)
    assert (report.added, report.failed) == (4, 0)
    assert not any(key.startswith("attachment/") for key in stored(kb))

    report = sync(kb, wiki, attachments=True)
    assert (report.added, report.failed) == (2, 0)
    assert {f"attachment/{policy_pdf}", f"attachment/{notes}"} <= set(stored(kb))
    hit = top(kb, "Who approves expensive train tickets?")
    assert hit.title == "travel-policy.pdf" and f"pageId={wiki.meals}" in hit.url
    assert len(fake.downloads()) == 2 and not any("diagram" in path for path in fake.downloads())


def test_attachments_of_a_restricted_page_are_not_downloaded(kb, cloud) -> None:
    fake = cloud.fake
    fake.restrict(cloud.meals, people=["erin"])
    fake.attach(cloud.meals, "travel-policy.pdf", pdf_with_text(["Taxis are allowed after 10 pm."]),
                "application/pdf", when=minutes_ago(50))
    below = fake.page("Meal receipts", "<p>Keep every receipt.</p>", parent=cloud.meals, when=minutes_ago(40))
    fake.attach(below, "receipts.md", b"# Receipts\n\nPhotograph them.\n", "text/markdown", when=minutes_ago(30))
    report = sync(kb, cloud, attachments=True)
    assert report.added == 3
    assert sorted(problem.reason.removeprefix("not synced: ") for problem in report.skipped) == [
        "its page is view restricted to 1 person", "the page above it, 'Meals', is view restricted to 1 person",
        "the page above it, 'Meals', is view restricted to 1 person", "view restricted to 1 person"]
    assert fake.downloads() == []


def test_blog_posts_are_synced_when_asked(kb, cloud) -> None:
    post = cloud.fake.page("Office move", "<p>The office moves to Canal Street on 1 March.</p>", kind="blogpost",
                           when=minutes_ago(45))
    report = sync(kb, cloud)
    assert report.added == 4 and f"blogpost/{post}" not in stored(kb)
    report = sync(kb, cloud, blog_posts=True)
    assert report.added == 1 and f"blogpost/{post}" in stored(kb)
    assert "/blog/" in top(kb, "Where does the office move to?").url
