"""The SharePoint source on the real sync engine, talking HTTP through requests (and MSAL, over TLS) to a loopback
Microsoft Graph and sign-in service, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import logging
import time

import pytest
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.sharepoint import SharePointOptions
from knowledge.sources.syncing import SyncOptions
from knowledge.store import KbDocument
from tests.knowledge.pdfs import pdf_with_text
from tests.knowledge.sources.fake_confluence import Fault
from tests.knowledge.sources.fake_sharepoint import SECRET, FakeSharePoint

SECRETS = {"SP_SECRET": SECRET}
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_wait=5)
LEAVE = b"# Annual leave\n\nEveryone gets 25 days of annual leave a year, booked in Breathe.\n"
PARKING = b"# Parking\n\nStaff park for free in lot B behind the warehouse.\n"
VPN = b"Connect to the VPN with WireGuard before opening the intranet.\n"
NEWS = "<h2>Office move</h2><p>The office moves to Canal Street on 1 March.</p>"


class Site:
    """A fake SharePoint site: three files (one in a folder, one a PDF) and a site page."""

    def __init__(self, tls=None) -> None:
        self.fake = FakeSharePoint(tls=tls)
        self.policies = self.fake.folder("Policies")
        self.leave = self.fake.add("leave.md", LEAVE, parent=self.policies)
        self.parking = self.fake.add("parking.md", PARKING)
        self.vpn = self.fake.add("vpn.txt", VPN)
        self.travel = self.fake.add("travel.pdf", pdf_with_text(["Train tickets over 200 pounds need approval."]))
        self.fake.add("logo.png", b"\x89PNG not really")
        self.news = self.fake.page("Office move", NEWS)


@pytest.fixture
def site() -> Site:
    served = Site()
    yield served
    served.fake.close()


def sync(kb: KnowledgeBase, site: Site, policy: RetryPolicy = FAST, secrets=SECRETS, **options):
    config = SharePointOptions(**site.fake.options(**options))
    source = config.open("hr", home=kb.home, secrets=secrets.get, policy=policy)
    try:
        return kb.sync("hr", source, SyncOptions(collection="hr", type="sharepoint"))
    finally:
        source.close()


def stored(kb: KnowledgeBase) -> dict[str, KbDocument]:
    with Session(kb.engine) as session:
        return {doc.path.removeprefix("source:hr/"): doc for doc in session.exec(select(KbDocument)).all()}


def top(kb: KnowledgeBase, question: str):
    hits = kb.search(question, k=1)
    return hits[0] if hits else None


def test_first_sync_reads_files_and_pages_with_their_links(kb, site) -> None:
    fake = site.fake
    report = sync(kb, site)
    assert (report.added, report.changed, report.removed, report.failed, report.error) == (5, 0, 0, 0, None)
    assert set(stored(kb)) == {f"file/{site.leave}", f"file/{site.parking}", f"file/{site.vpn}",
                               f"file/{site.travel}", f"page/{site.news}"}
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "leave" and hit.url == f"{fake.site}/Shared%20Documents/leave.md"
    assert top(kb, "Who approves expensive train tickets?").title == "travel"
    news = top(kb, "Where does the office move to?")
    assert news.title == "Office move" and news.url == f"{fake.site}/SitePages/{site.news}.aspx"
    assert sorted(fake.downloads()) == sorted([site.leave, site.parking, site.vpn, site.travel])
    logins = [r for r in fake.requests if r.path.endswith("/oauth2/v2.0/token")]
    assert len(logins) == 1  # one token for the whole run
