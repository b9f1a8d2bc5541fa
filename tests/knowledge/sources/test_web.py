"""The web source on the real sync engine, against a loopback website, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.syncing import SyncOptions
from knowledge.sources.tables import KbSourceFailure
from knowledge.sources.web import WebOptions, WebSource
from knowledge.store import KbChunk
from tests.knowledge.sources import sync_process
from tests.knowledge.sources.fake_site import BOILERPLATE, FakeSite, page_html

QUICK = RetryPolicy(attempts=3, base_delay=0.01, timeout=10)  # a real policy, with short backoffs
LEAVE = page_html("Annual leave", "Everyone gets 25 days of annual leave a year, plus public holidays. Book your "
                                  "leave in Breathe at least two weeks ahead and tell your team.")
PARKING = page_html("Parking", "Staff park for free in lot B behind the warehouse. Visitors use lot A by the main "
                               "gate and sign in at reception.")
VPN = page_html("VPN", "Connect to the VPN with WireGuard before you open the intranet from home. The IT helpdesk "
                       "sends the configuration file on your first day.")
EXPENSES = page_html("Expenses", "Submit expense claims in Payhawk within 30 days, with a photo of every receipt. "
                                 "Your manager approves them every Friday.")
SALARIES = page_html("Salary bands", "Salary bands are reviewed every April by the remuneration committee.")


@pytest.fixture
def site() -> FakeSite:
    with FakeSite() as site:
        site.put("/handbook/leave.html", LEAVE)
        site.put("/handbook/parking.html", PARKING)
        site.put("/handbook/vpn.html", VPN)
        site.put("/handbook/expenses.html", EXPENSES)
        site.put("/handbook/private/salaries.html", SALARIES)
        site.robots = "User-agent: *\nDisallow: /handbook/private/\n"
        yield site


def source(site: FakeSite, path: str = "/sitemap.xml", **options) -> WebSource:
    return WebSource(WebOptions(type="web", url=site.url(path), **options), policy=QUICK)


def sync(kb: KnowledgeBase, site: FakeSite, path: str = "/sitemap.xml", **options):
    return kb.sync("intranet", source(site, path, **options), SyncOptions(collection="intranet", type="web"))


def top(kb: KnowledgeBase, question: str):
    hits = kb.search(question, k=1)
    return hits[0] if hits else None


def answered_from(kb: KnowledgeBase, question: str) -> str | None:
    hit = top(kb, question)
    return hit.url if hit else None


def stored_urls(kb: KnowledgeBase) -> set[str]:
    return {doc.path.removeprefix("source:intranet/") for doc in kb.documents()}


def test_first_sync_answers_from_the_page_with_its_link_and_indexes_no_boilerplate(kb, site) -> None:
    report = sync(kb, site)
    assert (report.added, report.failed, report.error) == (4, 0, None)
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.url == site.url("/handbook/leave.html")  # the sitemap's "#top" fragment is not part of the key
    assert hit.title == "Annual leave" and "25 days" in hit.text
    assert answered_from(kb, "Where can staff park?") == site.url("/handbook/parking.html")
    with Session(kb.engine) as session:
        texts = session.exec(select(KbChunk.text)).all()
    assert texts and not [word for word in BOILERPLATE for text in texts if word.lower() in text.lower()]


def test_a_page_robots_txt_disallows_is_never_requested_and_leaves_the_index(kb, site) -> None:
    sync(kb, site)
    assert site.requests_for("/handbook/private/salaries.html") == []
    assert site.url("/handbook/private/salaries.html") not in stored_urls(kb)
    site.robots += "Disallow: /handbook/parking.html\n"
    mark = len(site.log)
    report = sync(kb, site)
    assert report.removed == 1 and site.url("/handbook/parking.html") not in stored_urls(kb)
    assert {r.status for r in site.log[mark:] if r.path.startswith("/handbook/")} == {304}  # nothing re-read
    assert site.requests_for("/handbook/parking.html")[-1].at < site.log[mark].at


def test_an_edit_a_removal_and_a_failing_page(kb, site, counting_embedder) -> None:
    sync(kb, site)
    site.put("/handbook/leave.html", LEAVE.replace("25 days", "30 days"))
    site.pages["/handbook/parking.html"].in_sitemap = False
    site.fail("/handbook/vpn.html", 500)  # its lastmod has not moved, but the sitemap has: every page is asked for
    before = counting_embedder.texts_embedded
    report = sync(kb, site)
    assert (report.added, report.changed, report.removed, report.error) == (0, 1, 1, None)
    assert 0 < counting_embedder.texts_embedded - before <= 2  # the edited page's passages only
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    assert answered_from(kb, "Where can staff park?") != site.url("/handbook/parking.html")
    assert answered_from(kb, "How do I connect to the VPN from home?") == site.url("/handbook/vpn.html")
    vpn = site.url("/handbook/vpn.html")
    assert [problem.to_json() for problem in report.failures] == [
        {"key": vpn, "url": vpn, "reason": "HTTP 500 after 3 attempts"}]
    assert sorted(report.changed_paths) == [f"source:intranet/{site.url('/handbook/leave.html')}",
                                            f"source:intranet/{site.url('/handbook/parking.html')}"]

    site.clear("/handbook/vpn.html")
    mark = len(site.log)
    again = sync(kb, site)
    assert again.failed == 0 and again.error is None
    assert [r.path for r in site.log[mark:]].count("/handbook/vpn.html") == 1  # retried once, not read twice
    with Session(kb.engine) as session:
        assert session.exec(select(KbSourceFailure)).all() == []  # nothing left to retry


@pytest.mark.parametrize("path, status, error", [
    ("/sitemap.xml", 500, "cannot read the sitemap {url}: HTTP 500 after 3 attempts"),
    ("/robots.txt", 503, "cannot read {url}: rate limited (HTTP 503) after 3 attempts"),
], ids=["sitemap", "robots.txt"])
def test_a_sitemap_or_robots_txt_that_cannot_be_read_removes_nothing_and_says_so(kb, site, path, status,
                                                                                   error) -> None:
    sync(kb, site)
    site.fail(path, status)
    report = sync(kb, site)
    assert report.error == error.format(url=site.url(path))
    assert (report.removed, len(kb.documents())) == (0, 4)
    assert len(site.requests_for(path)) == 1 + 3


def test_max_pages_and_include_limit_what_a_sitemap_syncs(kb, site) -> None:
    site.put("/files/wifi.md", "# Wi-Fi\n\nThe guest Wi-Fi password is on the board in reception.\n",
             content_type="text/markdown")
    report = sync(kb, site, include=["/handbook/"], max_pages=2)
    assert report.added == 2
    assert stored_urls(kb) == {site.url("/handbook/expenses.html"), site.url("/handbook/leave.html")}
    assert {r.path for r in site.page_requests()} == {"/handbook/expenses.html", "/handbook/leave.html"}


def test_a_sitemap_index_whose_second_sitemap_fails_removes_nothing(kb, site) -> None:
    site.sitemap_parts = 2
    assert sync(kb, site).added == 4
    first = [path for path in sorted(site.pages) if site.sitemap_part(path) == 0 and "private" not in path]
    second = [path for path in sorted(site.pages) if site.sitemap_part(path) == 1 and "private" not in path]
    assert first and second
    site.pages[second[0]].in_sitemap = False  # gone from the sitemap that fails: not known to be gone
    site.put(first[0], site.pages[first[0]].body.replace(b"<h1>", b"<h1>New: "))
    site.fail("/sitemap-2.xml", 500)
    report = sync(kb, site)
    assert report.error is None and report.removed == 0 and len(kb.documents()) == 4
    assert report.removal_blocked.startswith("the list of documents did not finish (the sitemap "
                                             f"{site.url('/sitemap-2.xml')} could not be read (HTTP 500")
    assert report.changed == 1  # what the first sitemap lists is still synced


def test_a_sitemap_that_suddenly_lists_far_fewer_pages_removes_nothing(kb, site) -> None:
    for number in range(6):
        site.put(f"/handbook/note-{number}.html", page_html(f"Note {number}", f"Office {number} opens at {7 + number} "
                                                                              "in the morning on weekdays."))
    assert sync(kb, site).added == 10
    for path in list(site.pages)[2:]:
        site.pages[path].in_sitemap = False
    report = sync(kb, site)
    assert report.removed == 0 and len(kb.documents()) == 10
    assert report.removal_blocked.startswith("8 of the 10 documents in intranet are gone from the source")


def test_a_rate_limited_page_is_waited_for_and_synced(kb, site) -> None:
    site.fail("/handbook/leave.html", 429, retry_after="1", times=1)
    report = sync(kb, site)
    assert (report.added, report.failed) == (4, 0)
    first, second = site.requests_for("/handbook/leave.html")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95


def test_an_empty_answer_is_retried(kb, site) -> None:
    site.fail("/handbook/vpn.html", 200, times=1)
    report = sync(kb, site)
    assert (report.added, report.failed) == (4, 0)
    assert [r.body_bytes > 0 for r in site.requests_for("/handbook/vpn.html")] == [False, True]


@pytest.mark.parametrize("status", [404, 410])
def test_a_page_that_is_gone_is_removed(kb, site, status) -> None:
    sync(kb, site)
    site.fail("/handbook/parking.html", status)
    site.touch("/handbook/parking.html")
    report = sync(kb, site)
    assert report.removed == 1 and site.url("/handbook/parking.html") not in stored_urls(kb)
    assert answered_from(kb, "Where can staff park?") != site.url("/handbook/parking.html")


@pytest.mark.parametrize("lastmod, etag, last_modified", [(True, False, False), (True, True, True),
                                                          (False, True, False), (False, False, True)],
                         ids=["lastmod-only", "lastmod-and-validators", "if-none-match", "if-modified-since"])
def test_a_second_sync_of_an_unchanged_site_embeds_nothing_and_reads_no_page(kb, site, counting_embedder,
                                                                              lastmod, etag, last_modified) -> None:
    """While the sitemap is as it was, lastmod is trusted and no page is asked for; without lastmod a page with
    a validator costs one 304."""
    for page in site.pages.values():
        page.lastmod, page.etag, page.last_modified = lastmod, etag, last_modified
    sync(kb, site)
    before, mark = counting_embedder.texts_embedded, len(site.log)
    report = sync(kb, site)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 4)
    assert counting_embedder.texts_embedded == before
    pages = [r for r in site.page_requests() if r.at >= site.log[mark].at]
    assert [r.status for r in pages] == ([] if lastmod else [304] * 4)


def test_a_newer_lastmod_over_the_same_page_is_kept_so_it_is_not_asked_again(kb, site) -> None:
    for page in site.pages.values():
        page.etag, page.last_modified = False, False  # no validator: the sitemap's lastmod decides
    sync(kb, site)
    site.touch("/handbook/leave.html")
    mark = len(site.log)
    assert sync(kb, site).unchanged == 4
    assert [r.status for r in site.log[mark:] if r.path == "/handbook/leave.html"] == [200]  # same body
    mark = len(site.log)
    sync(kb, site)
    assert site.page_requests()[-1].at < site.log[mark].at


def test_markdown_and_text_from_a_sitemap_are_read_and_other_types_are_named(kb, site) -> None:
    site.put("/files/wifi.md", "# Wi-Fi\n\nThe guest Wi-Fi password is on the board in reception.\n",
             content_type="text/markdown")
    site.put("/files/printer.txt", "Printers\n\nThe printer on floor two takes badge releases only.\n",
             content_type="application/octet-stream")
    site.put("/files/canteen", page_html("Canteen", "The canteen serves lunch from noon until two o'clock every "
                                                    "weekday, with a vegetarian dish each day."), content_type="")
    site.put("/files/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    report = sync(kb, site)
    assert report.added == 7
    assert answered_from(kb, "What is the guest Wi-Fi password?") == site.url("/files/wifi.md")
    assert answered_from(kb, "When does the canteen serve lunch?") == site.url("/files/canteen")
    assert [(p.key, p.reason) for p in report.failures] == [
        (site.url("/files/logo.png"), "not a document Lorebot can read (image/png); leave it out with exclude")]
    assert sync(kb, site, exclude=["/files/logo.png"]).failed == 0


def test_a_page_that_redirects_to_another_site_is_a_named_failure(kb, site) -> None:
    with FakeSite() as login:
        login.put("/sso/login.html", page_html("Sign in", "Sign in with your company account to continue to the "
                                                          "intranet. Forgotten your password? Ask the helpdesk."))
        site.fail("/handbook/vpn.html", 302, location=login.url("/sso/login.html"))
        report = sync(kb, site)
    assert report.added == 3
    assert [(p.key, p.reason) for p in report.failures] == [(
        site.url("/handbook/vpn.html"),
        f"redirected to another site ({login.url('').rstrip('/')}); if that is a login page, set token_env")]


def test_a_redirect_is_followed_on_the_site_and_never_to_a_disallowed_page(kb, site) -> None:
    site.put("/handbook/remote-access.html", VPN, in_sitemap=False)
    site.fail("/handbook/vpn.html", 301, location="/handbook/remote-access.html")
    site.fail("/handbook/parking.html", 302, location=site.url("/handbook/private/salaries.html"))
    report = sync(kb, site)
    assert answered_from(kb, "How do I connect to the VPN from home?") == site.url("/handbook/vpn.html")
    assert [(p.key, p.reason) for p in report.failures] == [(
        site.url("/handbook/parking.html"),
        f"redirected to {site.url('/handbook/private/salaries.html')}, which robots.txt disallows")]
    assert site.requests_for("/handbook/private/salaries.html") == []


def test_a_bearer_token_is_sent_from_the_variable_named(kb, site) -> None:
    options = WebOptions(type="web", url=site.url("/sitemap.xml"), token_env="INTRANET_TOKEN")
    web = options.open("intranet", home=kb.home, secrets={"INTRANET_TOKEN": "s3cret"}.get)
    kb.sync("intranet", web, SyncOptions(collection="intranet", type="web"))
    assert {r.headers.get("Authorization") for r in site.log} == {"Bearer s3cret"}
    with FakeSite() as elsewhere:  # a sitemap moved to another site: followed, without the token
        elsewhere.put("/leave.html", LEAVE)
        site.fail("/sitemap.xml", 302, location=elsewhere.url("/sitemap.xml"))
        report = kb.sync("intranet", options.open("intranet", home=kb.home, secrets={"INTRANET_TOKEN": "s3cret"}.get),
                         SyncOptions(collection="intranet", type="web"))
    assert [(r.path, r.headers.get("Authorization")) for r in elsewhere.log] == [("/sitemap.xml", None)]
    assert report.error == ("none of the 1 pages the sitemap lists may be read: they are on another site, outside "
                            "include/exclude, or disallowed by robots.txt")
    with pytest.raises(SourceConfigError, match="sources.intranet.token_env: the environment variable "
                                                "INTRANET_TOKEN is not set"):
        options.open("intranet", home=kb.home, secrets=lambda name: None)


def test_options_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="absolute http"):
        WebOptions(type="web", url="intranet.example.com/sitemap.xml")
    with pytest.raises(ValidationError, match="use a path on the site"):
        WebOptions(type="web", url="https://intranet.example.com/", exclude=["handbook/"])
    assert WebOptions(type="web", url="https://intranet.example.com/").max_pages == 10_000


# -- a crawl from a start page ------------------------------------------------------------------------------------

@pytest.fixture
def handbook(site: FakeSite) -> FakeSite:
    """A handbook whose start page links to its pages, to a page outside the handbook and to another site."""
    site.put("/handbook/", page_html("Handbook", "Everything about working at Northwind, one topic per page.",
                                     links=["leave.html", "parking.html", "vpn.html", "archive/2019.html",
                                            "private/salaries.html", "/news/picnic.html", "logo.png#x",
                                            "https://example.com/elsewhere.html", "mailto:hr@example.com"]))
    site.put("/handbook/vpn.html", page_html("VPN", "Connect to the VPN with WireGuard before you open the intranet "
                                                    "from home.", links=["/handbook/expenses.html#claims"]))
    site.put("/handbook/archive/2019.html", page_html("Archive", "The 2019 handbook is kept for reference only."))
    site.put("/news/picnic.html", page_html("Picnic", "The summer picnic is on the last Friday of June."))
    return site


def test_a_crawl_stays_under_its_start_folder_and_obeys_robots(kb, handbook) -> None:
    report = sync(kb, handbook, "/handbook/")
    assert report.error is None and report.failed == 0
    assert stored_urls(kb) == {handbook.url(f"/handbook/{name}") for name in
                               ("", "leave.html", "parking.html", "vpn.html", "expenses.html", "archive/2019.html")}
    asked = {r.path for r in handbook.log}
    assert not asked & {"/news/picnic.html", "/handbook/private/salaries.html", "/handbook/logo.png", "/news/"}
    assert answered_from(kb, "How do I submit an expense claim?") == handbook.url("/handbook/expenses.html")


def test_a_crawl_honours_include_and_exclude(kb, handbook) -> None:
    report = sync(kb, handbook, "/handbook/", include=["/handbook/vpn", "/handbook/expenses"])
    assert report.added == 2  # the start page is read for its links, and not synced: include leaves it out
    assert stored_urls(kb) == {handbook.url("/handbook/vpn.html"), handbook.url("/handbook/expenses.html")}
    assert not {r.path for r in handbook.log} & {"/handbook/leave.html", "/handbook/archive/2019.html"}
    report = sync(kb, handbook, "/handbook/", exclude=[handbook.url("/handbook/archive/")])
    assert (report.added, report.unchanged) == (3, 2)
    assert handbook.requests_for("/handbook/archive/2019.html") == []


def test_a_crawl_takes_at_most_max_pages_breadth_first(kb, handbook) -> None:
    report = sync(kb, handbook, "/handbook/", max_pages=3)
    assert report.added == 3
    assert stored_urls(kb) == {handbook.url(p) for p in ("/handbook/", "/handbook/leave.html",
                                                         "/handbook/parking.html")}


def test_a_crawl_again_reads_only_what_changed_and_follows_new_links(kb, handbook, counting_embedder) -> None:
    sync(kb, handbook, "/handbook/")
    before, mark = counting_embedder.texts_embedded, len(handbook.log)
    report = sync(kb, handbook, "/handbook/")
    assert (report.unchanged, report.added, report.changed) == (6, 0, 0)
    assert counting_embedder.texts_embedded == before
    assert {r.status for r in handbook.log[mark:] if r.path.startswith("/handbook/")} == {304}
    handbook.put("/handbook/parking.html", page_html("Parking", "Staff park for free in lot C. Bikes go in the "
                                                                "shed by the gate.", links=["bikes.html"]))
    handbook.put("/handbook/bikes.html", page_html("Bikes", "The bike shed by the gate opens with your badge."))
    handbook.remove("/handbook/archive/2019.html")
    report = sync(kb, handbook, "/handbook/")
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    assert answered_from(kb, "How do I open the bike shed?") == handbook.url("/handbook/bikes.html")


def test_a_crawl_that_cannot_read_a_page_removes_nothing_and_finds_its_links_later(kb, handbook) -> None:
    handbook.fail("/handbook/vpn.html", 500)  # the only page that links to expenses
    report = sync(kb, handbook, "/handbook/")
    vpn = handbook.url("/handbook/vpn.html")
    assert [p.key for p in report.failures] == [vpn] and report.error is None
    assert report.removal_blocked == (f"the list of documents did not finish ({vpn} could not be read (HTTP 500 "
                                      "after 3 attempts), so the pages it links to are not known); nothing was "
                                      "removed")
    assert handbook.url("/handbook/expenses.html") not in stored_urls(kb)
    handbook.clear("/handbook/vpn.html")
    report = sync(kb, handbook, "/handbook/")
    assert (report.failed, report.added, report.removal_blocked) == (0, 2, None)
    assert answered_from(kb, "How do I submit an expense claim?") == handbook.url("/handbook/expenses.html")
    assert len(handbook.requests_for("/handbook/vpn.html")) == 3 + 1  # the retry's read served the crawl too


def test_a_crawl_delay_sends_one_request_at_a_time_with_that_pause(kb, handbook) -> None:
    handbook.robots = "User-agent: *\nDisallow: /handbook/private/\nCrawl-delay: 0.2\n"
    sync(kb, handbook, "/handbook/")
    moments = [r.at for r in handbook.log if r.path != "/robots.txt"]
    assert len(moments) == 6
    # Paced at the client; arrival times on a busy machine can come a little closer together.
    assert min(later - earlier for earlier, later in zip(moments, moments[1:])) >= 0.15


# -- several processes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["/sitemap.xml", "/notes/"], ids=["sitemap", "crawl"])
def test_a_killed_sync_resumes_from_its_checkpoint_and_embeds_nothing_twice(kb, database_url, counting_embedder,
                                                                             start) -> None:
    with FakeSite() as site:
        notes = [f"/notes/{number:03}.html" for number in range(240)]
        for number, path in enumerate(notes):
            site.put(path, page_html(f"Note {number}", f"Fact number {number} is about topic {number * 7 % 101} and "
                                                       f"office {number % 13}, which opens at {number % 9 + 7}."))
        site.put("/notes/", page_html("Notes", "Every note the office keeps, one fact per note.",
                                      links=[path.removeprefix("/notes/") for path in notes]),
                 in_sitemap=False)
        total = 240 if start == "/sitemap.xml" else 241
        options = {"type": "web", "url": site.url(start)}
        assert sync_process.kill_after_checkpoint(kb.home, database_url, "intranet", options), \
            "the sync finished before the kill"
        written = len(kb.documents())
        assert 0 < written < total
        mark = len(site.log)
        report = sync(kb, site, start)
        assert report.error is None and len(kb.documents()) == total
        assert report.added == total - written
        assert counting_embedder.texts_embedded == total - written  # one passage per page: nothing twice
        bodies = [r.path for r in site.log[mark:] if r.status == 200 and r.path in notes]
        assert len(bodies) == total - written  # what the killed run wrote is not read again


def test_two_processes_syncing_one_site_do_the_work_once(kb, database_url, site) -> None:
    import threading
    import time

    site.gate = threading.Event()  # pages wait, so the first sync is still running when the second starts
    options = {"type": "web", "url": site.url("/sitemap.xml")}
    processes = [sync_process.start(kb.home, database_url, "intranet", options) for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while all(process.poll() is None for process in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
        site.gate.set()
        reports = [json.loads(process.communicate(timeout=120)[0].strip().splitlines()[-1]) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert sorted(report["busy"] for report in reports) == [False, True]
    assert sorted(report["added"] for report in reports) == [0, 4]
    assert len(kb.documents()) == 4
