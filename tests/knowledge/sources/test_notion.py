"""The Notion source on the real sync engine and the real notion-client, against a loopback Notion, on SQLite and
PostgreSQL."""
from __future__ import annotations

import json
import logging
import time

import pytest
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.notion import NotionOptions
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.status import source_health
from knowledge.sources.syncing import SyncOptions
from knowledge.store import KbChunk, KbDocument
from tests.knowledge.sources.fake_notion import TOKEN, FakeNotion, Fault, block, minutes_ago, paragraph, table
from tests.knowledge.sources.scenarios import failing_document_is_kept_and_retried, top

SECRETS = {"NOTION_TOKEN": TOKEN}
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_wait=5)
LEAVE = [block("heading_2", "Allowance"), paragraph("Everyone gets 25 days of annual leave a year, booked in Breathe."),
         block("heading_2", "By grade"), table([["Grade", "Days"], ["Junior", "25"], ["Senior", "28"]])]
PARKING = [paragraph("Staff park for free in lot B behind the warehouse.")]
VPN = [paragraph("Connect to the VPN with WireGuard before opening the intranet."),
       block("code", "wg-quick up office", language="bash"),
       block("bulleted_list_item", "On a laptop", [block("to_do", "Install the client", checked=True)]),
       block("numbered_list_item", "Ask IT for a key"), block("numbered_list_item", "Import it")]
MEALS = [block("callout", "Meals while travelling are capped at 40 pounds a day.", icon={"emoji": "💡"}),
         block("toggle", "Receipts", [paragraph("Photograph every receipt for the claim.")]),
         block("quote", "Frugal, not stingy.")]


class Workspace:
    """A fake Notion with a handbook page, two pages under it, and a database row, edited an hour or more ago."""

    def __init__(self) -> None:
        self.fake = FakeNotion()
        self.handbook = self.fake.page("Handbook", [paragraph("The Northwind handbook.")], when=minutes_ago(200))
        self.leave = self.fake.page("Annual leave", LEAVE, when=minutes_ago(180), parent=self.handbook)
        self.parking = self.fake.page("Parking", PARKING, when=minutes_ago(150), parent=self.handbook)
        self.it = self.fake.database("IT guides", parent=self.handbook)
        self.vpn = self.fake.row(self.it, "VPN", VPN, when=minutes_ago(120))
        self.meals = self.fake.page("Meals", MEALS, when=minutes_ago(90))

    def options(self, **options) -> dict:
        return {"type": "notion", "token_env": "NOTION_TOKEN", "api_url": self.fake.url,
                "requests_per_second": 1000, **options}


@pytest.fixture
def space() -> Workspace:
    workspace = Workspace()
    yield workspace
    workspace.fake.close()


def sync(kb: KnowledgeBase, space: Workspace, policy: RetryPolicy = FAST, secrets=SECRETS, **options):
    config = NotionOptions(**space.options(**options))
    source = config.open("notion", home=kb.home, secrets=secrets.get, policy=policy)
    try:
        return kb.sync("notion", source, SyncOptions(collection="notion", type="notion", audience=True))
    finally:
        source.close()


def stored(kb: KnowledgeBase) -> dict[str, KbDocument]:
    with Session(kb.engine) as session:
        return {doc.path.removeprefix("source:notion/"): doc for doc in session.exec(select(KbDocument)).all()}


def text_of(kb: KnowledgeBase, key: str) -> str:
    with Session(kb.engine) as session:
        document = session.exec(select(KbDocument).where(KbDocument.path == f"source:notion/{key}")).one()
        chunks = session.exec(select(KbChunk).where(KbChunk.document_id == document.id).order_by(KbChunk.ordinal))
        return "\n".join(chunk.heading + "\n" + chunk.text for chunk in chunks)


def test_first_sync_answers_from_the_right_page_with_its_link(kb, space) -> None:
    fake = space.fake
    report = sync(kb, space)
    assert (report.added, report.changed, report.removed, report.failed) == (5, 0, 0, 0)
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "Annual leave"
    assert hit.url == f"https://www.notion.so/Annual-leave-{space.leave.replace('-', '')}"
    leave = text_of(kb, space.leave)
    assert "Allowance" in leave and "25 days" in leave
    assert "| Grade | Days |" in leave and "| Senior | 28 |" in leave
    vpn = text_of(kb, space.vpn)
    assert "wg-quick up office" in vpn and "- On a laptop" in vpn and "    - [x] Install the client" in vpn
    assert "1. Ask IT for a key" in vpn and "2. Import it" in vpn
    meals = text_of(kb, space.meals)
    assert "💡 Meals while travelling" in meals and "Photograph every receipt" in meals and "Frugal" in meals
    document = stored(kb)[space.leave]
    assert document.version == fake.pages[space.leave].edited.strftime("%Y-%m-%dT%H:%M:00.000Z")
    assert document.modified_at is not None
    assert {request.version for request in fake.requests} == {"2025-09-03"}
    assert all(request.status != 401 for request in fake.requests)


def test_an_unchanged_resync_downloads_no_body_and_embeds_nothing(kb, space, counting_embedder) -> None:
    fake = space.fake
    for number in range(15):
        fake.page(f"Note {number}", [paragraph(f"Fact {number} is about office {number}.")],
                  when=minutes_ago(300 + number))
    sync(kb, space)
    fake.forget()
    before = counting_embedder.texts_embedded
    report = sync(kb, space)
    assert (report.added, report.changed, report.removed, report.failed) == (0, 0, 0, 0)
    assert report.unchanged == 1  # only what the overlap lists again: the listing stopped at the cursor
    assert fake.bodies_read() == [] and counting_embedder.texts_embedded == before
    assert fake.count() == {"listing": 2}  # the changes (stopping at the cursor) and the key listing


def test_an_edit_costs_one_body_and_its_passages_only(kb, space, counting_embedder) -> None:
    fake = space.fake
    sync(kb, space)
    fake.forget()
    edited = LEAVE[:1] + [paragraph("Everyone gets 30 days of annual leave a year, booked in Breathe.")] + LEAVE[2:]
    fake.edit(space.leave, edited, when=minutes_ago(10))
    before = counting_embedder.texts_embedded
    report = sync(kb, space)
    assert (report.added, report.changed, report.removed, report.failed) == (0, 1, 0, 0)
    assert fake.bodies_read() == [space.leave]
    assert 0 < counting_embedder.texts_embedded - before <= 3
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    assert report.changed_paths == [f"source:notion/{space.leave}"]
    first = fake.searches()[0]
    assert first.body["sort"] == {"direction": "descending", "timestamp": "last_edited_time"}


def test_the_change_listing_stops_at_the_cursor_less_the_overlap(kb, space) -> None:
    fake = space.fake
    for number in range(8):
        fake.page(f"Old {number}", [paragraph(f"Old fact {number}.")], when=minutes_ago(500 + number))
    fake.page_cap = 2
    sync(kb, space)
    fake.forget()
    fake.edit(space.parking, [paragraph("Staff park for free in lot C.")], when=minutes_ago(60))
    report = sync(kb, space)
    assert report.changed == 1
    changes = [request for request in fake.searches()]
    # the changes: two pages of two (parking is fourth newest, the page after holds the first older than the
    # cursor less 5 minutes); then the key listing of all 13 pages
    assert len(changes) == 2 + 7
    assert "lot C" in top(kb, "Where can staff park?").text


def test_a_page_edited_in_the_last_minutes_is_read_again_once_it_settles(kb, space, counting_embedder) -> None:
    """Notion's edit times are to the minute: an edit in the minute a page was read must not be lost."""
    fake = space.fake
    fake.edit(space.parking, when=minutes_ago(0))
    sync(kb, space)
    assert "(settling" in stored(kb)[space.parking].version
    fake.edit(space.parking, [paragraph("Staff park for free in lot D.")], when=fake.pages[space.parking].edited)
    fake.forget()
    report = sync(kb, space)
    assert report.changed == 1 and fake.bodies_read() == [space.parking]
    assert "lot D" in top(kb, "Where can staff park?").text


def test_an_archived_page_is_removed(kb, space) -> None:
    sync(kb, space)
    space.fake.archive(space.parking, when=minutes_ago(30))
    report = sync(kb, space)
    assert (report.removed, report.removal_blocked) == (1, None)
    assert space.parking not in stored(kb)


def test_a_page_no_longer_shared_is_removed(kb, space) -> None:
    sync(kb, space)
    space.fake.unshare(space.meals)
    report = sync(kb, space)
    assert (report.removed, report.removal_blocked) == (1, None)
    assert space.meals not in stored(kb)


def test_a_failing_page_keeps_its_last_version_is_named_and_retried(kb, space) -> None:
    fake = space.fake
    sync(kb, space)
    fake.edit(space.leave, [paragraph("Everyone gets 30 days of annual leave a year.")], when=minutes_ago(10))
    fake.faults.append(Fault(lambda request: request.path == f"/blocks/{space.leave}/children", 500, times=None))
    failing_document_is_kept_and_retried(
        kb, lambda: sync(kb, space), fake, key=space.leave, reason="cannot read its blocks: HTTP 500 after 3 attempts",
        url=f"https://www.notion.so/Annual-leave-{space.leave.replace('-', '')}",
        question="How many days of annual leave do I get?", before="25 days", after="30 days",
        read=fake.bodies_read, ident=space.leave)


def test_a_failing_page_that_was_unshared_meanwhile_is_removed(kb, space) -> None:
    fake = space.fake
    sync(kb, space)
    fake.edit(space.meals, [paragraph("Meals are capped at 45 pounds.")], when=minutes_ago(10))
    fake.faults.append(Fault(lambda request: request.path == f"/blocks/{space.meals}/children", 503, times=None))
    assert sync(kb, space).failed == 1
    fake.faults.clear()
    fake.unshare(space.meals)
    report = sync(kb, space)
    assert (report.failed, report.removed) == (0, 1)


def test_a_rate_limit_is_waited_for_never_skipped(kb, space) -> None:
    fake = space.fake
    path = f"/blocks/{space.vpn}/children"
    fake.faults.append(Fault(lambda request: request.path == path, 429, headers={"Retry-After": "1"}))
    report = sync(kb, space, policy=RetryPolicy(attempts=3, base_delay=5))  # a backoff would take 5 s or more
    assert (report.added, report.failed) == (5, 0)
    limited, retried = [request for request in fake.requests if request.path == path][:2]
    assert (limited.status, retried.status) == (429, 200)
    assert 0.9 <= retried.at - limited.at < 4


def test_a_server_error_is_retried(kb, space) -> None:
    fake = space.fake
    fake.faults.append(Fault(lambda request: request.path == "/search", 500, times=1))
    fake.faults.append(Fault(lambda request: request.path == f"/blocks/{space.meals}/children", 502, times=1,
                             body=b"<html>Bad gateway</html>"))
    report = sync(kb, space)
    assert (report.added, report.failed, report.error) == (5, 0, None)
    assert [request.status for request in fake.searches()][:2] == [500, 200]
    assert not fake.faults


def test_requests_are_paced_to_the_rate_notion_allows(kb, space) -> None:
    fake = space.fake
    sync(kb, space, requests_per_second=20)
    arrivals = [request.at for request in fake.requests]
    assert len(arrivals) >= 8
    windows = [later - earlier for earlier, later in zip(arrivals, arrivals[4:])]
    assert min(windows) >= 4 / 20 - 0.08  # four gaps in a row take what 20 a second allows, less arrival jitter


def test_short_pages_still_list_everything(kb, space) -> None:
    fake = space.fake
    for number in range(5):
        fake.page(f"Policy {number}", [paragraph(f"Policy {number} says room {number} is bookable."),
                                       paragraph(f"Its key is at desk {number}."),
                                       paragraph(f"Book it in Outlook as room {number}.")],
                  when=minutes_ago(60 - number))
    fake.page_cap = 2  # asked for 100, sends 2 with has_more, as Notion may
    report = sync(kb, space)
    assert report.added == 10
    changes = fake.searches()[:5]
    assert [request.body.get("start_cursor") for request in changes] == [None, "2", "4", "6", "8"]
    assert "Book it in Outlook as room 3." in text_of(kb, fake_title_key(fake, "Policy 3"))  # children paged too
    fake.unshare(space.parking)
    report = sync(kb, space)
    assert (report.removed, report.removal_blocked) == (1, None)


def fake_title_key(fake: FakeNotion, title: str) -> str:
    return next(page.id for page in fake.pages.values() if page.title == title)


def test_a_listing_that_fails_half_way_removes_nothing(kb, space) -> None:
    fake = space.fake
    sync(kb, space)
    fake.page_cap = 2
    fake.unshare(space.parking)
    searches = len(fake.searches())
    fake.faults.append(Fault(lambda request: request.path == "/search" and len(fake.searches()) > searches + 2
                             and request.body.get("start_cursor"), 500, times=None))
    report = sync(kb, space)
    assert report.error is None and report.removed == 0
    assert "did not finish" in report.removal_blocked and "HTTP 500" in report.removal_blocked
    assert space.parking in stored(kb)


def test_a_change_listing_that_fails_part_way_stops_the_run_and_the_next_finishes(kb, space) -> None:
    fake = space.fake
    fake.page_cap = 2
    fake.faults.append(Fault(lambda request: request.path == "/search" and request.body.get("start_cursor") == "2",
                             503, times=None))
    report = sync(kb, space)
    assert report.error == (f"cannot list the changed pages in Notion at {fake.url}: rate limited (HTTP 503) "
                            "after 3 attempts")
    assert report.removed == 0 and len(stored(kb)) == 2
    fake.faults.clear()
    fake.forget()
    report = sync(kb, space)
    assert (report.error, report.added) == (None, 3)
    assert sorted(fake.bodies_read()) == sorted([space.parking, space.leave, space.handbook])


def test_removing_most_of_the_workspace_at_once_is_refused(kb, space) -> None:
    sync(kb, space)
    for ident in (space.leave, space.parking, space.vpn):
        space.fake.unshare(ident)
    report = sync(kb, space)
    assert report.removed == 0 and "max_removal_share" in report.removal_blocked
    assert len(stored(kb)) == 5


def test_root_pages_limit_the_sync_to_their_trees(kb, space) -> None:
    fake = space.fake
    address = f"https://www.notion.so/acme/Handbook-{space.handbook.replace('-', '')}"
    report = sync(kb, space, root_pages=[address])
    assert report.added == 4 and space.meals not in stored(kb)  # the database row is in, via its database
    assert space.vpn in stored(kb)
    lookups = [request.path for request in fake.requests if request.path.startswith(("/pages/", "/databases/"))]
    assert len(lookups) == len(set(lookups))  # each parent read once a run
    # a page moved out of the tree leaves it
    fake.pages[space.parking].parent = {"type": "workspace", "workspace": True}
    fake.edit(space.parking, when=minutes_ago(20))
    report = sync(kb, space, root_pages=[address])
    assert report.removed == 1 and space.parking not in stored(kb)


def test_a_root_page_that_is_not_an_id_is_named() -> None:
    with pytest.raises(ValueError, match="neither a Notion page id"):
        NotionOptions(type="notion", token_env="NOTION_TOKEN", root_pages=["handbook"])


def test_a_page_that_is_not_shared_anymore_is_never_widened(kb, space) -> None:
    """Notion does not tell an integration who else may read a page; what it stops sharing with the integration
    (the only narrowing it shows) leaves at once, and nothing is ever synced the integration cannot read."""
    sync(kb, space)
    space.fake.unshare(space.leave)
    space.fake.edit(space.leave, when=minutes_ago(5))
    report = sync(kb, space)
    assert report.removed == 1 and space.leave not in stored(kb)
    assert top(kb, "How many days of annual leave do I get?").title != "Annual leave"


def test_the_source_says_it_cannot_tell_who_may_read(kb, space) -> None:
    sync(kb, space)
    [health] = source_health(kb.engine, ["notion"])
    assert health.audience is None and health.audience_known is False


def test_a_killed_sync_resumes_and_embeds_nothing_twice(kb, database_url, space, monkeypatch,
                                                         counting_embedder) -> None:
    from tests.knowledge.sources.sync_process import kill_after_checkpoint

    fake = space.fake
    for number in range(55):
        fake.page(f"Note {number}", [paragraph(f"Fact number {number} is about topic {number * 7 % 101} and office "
                                               f"{number % 13}.")], when=minutes_ago(100 + number))
    fake.page_cap, fake.delay = 5, 0.01
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    assert kill_after_checkpoint(kb.home, database_url, "notion", space.options()), "finished before the kill"
    before = set(stored(kb))
    written = len(before)
    assert 0 < written < 60
    fake.delay = 0
    fake.forget()
    report = sync(kb, space)
    assert report.error is None and len(stored(kb)) == 60
    assert report.added == 60 - written
    with Session(kb.engine) as session:
        new = [document.id for key, document in stored(kb).items() if key not in before]
        passages = session.exec(select(KbChunk).where(KbChunk.document_id.in_(new))).all()
    assert counting_embedder.texts_embedded == len(passages)  # nothing the killed run wrote is embedded twice
    assert len(fake.bodies_read()) == 60 - written  # what the killed run wrote is not downloaded again


def test_two_processes_syncing_at_once_one_reports_busy(kb, database_url, space, monkeypatch) -> None:
    from tests.knowledge.sources.sync_process import two_at_once

    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    space.fake.gate.clear()  # whoever asks first holds the lock and waits here
    busy, worker = two_at_once(kb.home, database_url, "notion", space.options(), space.fake.gate)
    assert busy["busy"] is True
    assert (worker["busy"], worker["added"]) == (False, 5)


def test_a_refused_token_stops_the_run_in_one_line_without_the_secret(kb, space) -> None:
    report = sync(kb, space, secrets={"NOTION_TOKEN": "secret_not-it"})
    assert report.error == f"Notion at {space.fake.url} refused the token in NOTION_TOKEN (HTTP 401)"
    assert "not-it" not in report.error


def test_the_secret_never_reaches_the_logs_or_the_report(kb, space, caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG)
    sync(kb, space)
    fake = space.fake
    fake.faults.append(Fault(lambda request: request.path == f"/blocks/{space.leave}/children", 500, times=None))
    fake.edit(space.leave, [paragraph("Everyone gets 26 days.")], when=minutes_ago(10))
    report = sync(kb, space)
    assert report.failed == 1
    out = capsys.readouterr()
    for text in (caplog.text, out.out, out.err, json.dumps(report.to_json())):
        assert TOKEN not in text


def test_a_missing_secret_variable_is_named(kb, space) -> None:
    with pytest.raises(SourceConfigError, match="^sources.notion.token_env: the environment variable NOTION_TOKEN "
                                                "is not set$"):
        NotionOptions(**space.options()).open("notion", home=kb.home, secrets={}.get)


def test_an_unreachable_server_fails_the_source_and_keeps_everything(kb, space) -> None:
    sync(kb, space)
    space.fake.close()
    report = sync(kb, space)
    assert report.error.startswith(f"cannot list the changed pages in Notion at {space.fake.url}: connection failed")
    assert report.removed == 0 and len(stored(kb)) == 5
