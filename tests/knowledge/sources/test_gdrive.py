"""The Google Drive source on the real sync engine, the real google-api-python-client and google-auth, against a
loopback Drive and token endpoint, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import json
import logging

import pytest
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.documents import Audience
from knowledge.sources.gdrive import GoogleDriveOptions
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.syncing import SyncOptions
from knowledge.sources.tables import KbSourceState
from knowledge.store import KbDocument
from tests.knowledge.pdfs import pdf_with_text
from tests.knowledge.sources.fake_gdrive import ACCOUNT, SHEET, FakeDrive, Fault, new_private_key_pem
from tests.knowledge.sources.scenarios import failing_document_is_kept_and_retried, top

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_wait=5)
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LEAVE = "# Annual leave\n\n## Allowance\n\nEveryone gets 25 days of annual leave a year, booked in Breathe.\n"
TEAM = ("alice@example.com", "bob@example.com", ACCOUNT)


def docx(heading: str, text: str) -> bytes:
    from docx import Document

    document, buffer = Document(), io.BytesIO()
    document.add_heading(heading, level=1)
    document.add_paragraph(text)
    document.save(buffer)
    return buffer.getvalue()


class Drive:
    """A fake Drive with a shared HR folder (a Doc, a PDF, a Word file, a Markdown file, a subfolder with a note,
    a Sheet and an image) and the service account's JSON key."""

    def __init__(self) -> None:
        fake = self.fake = FakeDrive()
        self.hr = fake.folder("HR", people=TEAM, groups=("hr@example.com",))
        self.leave = fake.doc("Annual leave", LEAVE, self.hr)
        self.travel = fake.file("travel-policy.pdf", pdf_with_text(["Train tickets over 200 pounds need approval "
                                                                    "from finance."]), PDF, self.hr)
        self.expenses = fake.file("Expenses.docx", docx("Expenses", "Meals are capped at 40 pounds a day."), DOCX,
                                  self.hr)
        self.parking = fake.file("parking.md", b"# Parking\n\nStaff park for free in lot B behind the warehouse.\n",
                                 "text/markdown", self.hr)
        self.it = fake.folder("IT", self.hr)
        self.vpn = fake.file("vpn.txt", b"Connect to the VPN with WireGuard before opening the intranet.\n",
                             "text/plain", self.it)
        self.bands = fake.file("Salary bands", b"Grade,Days\nJunior,25\nSenior,28\n", SHEET, self.hr)
        fake.file("logo.png", b"\x89PNG not really", "image/png", self.hr)
        self.secrets = {"GDRIVE_KEY": fake.key_json()}

    def options(self, **options) -> dict:
        return {"type": "gdrive", "credentials_env": "GDRIVE_KEY", "folders": [self.hr], "api_url": self.fake.url,
                **options}


@pytest.fixture
def drive() -> Drive:
    served = Drive()
    yield served
    served.fake.close()


def sync(kb: KnowledgeBase, drive: Drive, policy: RetryPolicy = FAST, *, secrets: dict | None = None,
         audience: bool = False, **options):
    config = GoogleDriveOptions(**drive.options(**options))
    source = config.open("drive", home=kb.home, secrets=(secrets or drive.secrets).get, policy=policy)
    try:
        return kb.sync("drive", source, SyncOptions(collection="drive", type="gdrive",
                                                    max_removal_share=config.max_removal_share, audience=audience))
    finally:
        source.close()


def stored(kb: KnowledgeBase) -> dict[str, KbDocument]:
    with Session(kb.engine) as session:
        return {doc.path.removeprefix("source:drive/"): doc for doc in session.exec(select(KbDocument)).all()}


def counts(report) -> tuple[int, int, int, int]:
    return report.added, report.changed, report.removed, report.failed


def test_first_sync_reads_docs_pdfs_word_markdown_and_text_below_the_folder_with_their_links(kb, drive) -> None:
    fake = drive.fake
    report = sync(kb, drive)
    assert counts(report) == (5, 0, 0, 0) and report.error is None
    assert set(stored(kb)) == {drive.leave, drive.travel, drive.expenses, drive.parking, drive.vpn}
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "Annual leave" and hit.url == f"https://docs.google.com/document/d/{drive.leave}/edit"
    assert "25 days" in hit.text and hit.heading.endswith("Allowance")
    assert top(kb, "Who approves expensive train tickets?").url.startswith(
        f"https://drive.google.com/file/d/{drive.travel}/view")
    assert "40 pounds" in top(kb, "How much can I spend on meals?").text
    assert "WireGuard" in top(kb, "How do I connect to the VPN?").text
    assert stored(kb)[drive.leave].version == "1" and stored(kb)[drive.leave].author == "Alice Example"
    exports = [request.query["mimeType"] for request in fake.of_kind("export")]
    assert exports == ["text/markdown"]  # the Doc; the Sheet is skipped unless asked
    assert all(request.authorization.startswith("Bearer ya29.fake-") for request in fake.requests
               if request.kind != "token")
    assert all(request.status != 401 for request in fake.requests)
    assert [request.query["q"] for request in fake.of_kind("list")][:2] == [
        f"'{drive.hr}' in parents and trashed=false", f"'{drive.it}' in parents and trashed=false"]
    start = fake.of_kind("start")[0]
    assert start.at < fake.of_kind("list")[0].at  # the feed's start is taken before anything is listed


def test_an_edit_costs_one_export_and_its_passages_only_and_an_unchanged_resync_costs_nothing(
        kb, drive, counting_embedder) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.edit(drive.leave, LEAVE.replace("25 days", "30 days").encode())
    fake.forget()
    before = counting_embedder.texts_embedded
    report = sync(kb, drive)
    assert counts(report) == (0, 1, 0, 0)
    assert fake.contents_sent() == [drive.leave]
    assert 0 < counting_embedder.texts_embedded - before <= 2
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    assert report.changed_paths == [f"source:drive/{drive.leave}"]
    assert fake.of_kind("changes") and not fake.of_kind("start")  # the feed, from the saved token

    fake.forget()
    before = counting_embedder.texts_embedded
    again = sync(kb, drive)
    assert counts(again) == (0, 0, 0, 0)
    assert fake.contents_sent() == [] and counting_embedder.texts_embedded == before


def test_deleted_trashed_and_moved_out_files_are_removed(kb, drive) -> None:
    fake = drive.fake
    elsewhere = fake.folder("Archive", people=TEAM)
    sync(kb, drive)
    fake.delete(drive.parking)
    fake.trash(drive.vpn)
    fake.move(drive.travel, elsewhere)
    fake.forget()
    report = sync(kb, drive, max_removal_share=1)
    assert (report.removed, report.removal_blocked) == (3, None)
    assert set(stored(kb)) == {drive.leave, drive.expenses}
    assert fake.contents_sent() == []


def test_a_folder_moved_out_takes_its_files_and_one_moved_in_brings_them(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    outside = fake.folder("Finance", people=TEAM)
    budget = fake.file("budget.md", b"# Budget\n\nThe travel budget is 5,000 pounds a quarter.\n", "text/markdown",
                       outside)
    fake.move(drive.it, fake.my_drive)
    fake.move(outside, drive.hr)
    report = sync(kb, drive)
    assert (report.added, report.removed, report.removal_blocked) == (1, 1, None)
    assert drive.vpn not in stored(kb) and budget in stored(kb)
    fake.forget()
    fake.file("forecast.md", b"# Forecast\n\nNext quarter looks busy.\n", "text/markdown", outside)
    assert sync(kb, drive).added == 1  # the folder that moved in is followed from now on


def test_a_killed_sync_resumes_from_its_checkpoint_and_embeds_nothing_twice(kb, database_url, drive, monkeypatch,
                                                                             counting_embedder) -> None:
    from tests.knowledge.sources.sync_process import kill_after_checkpoint

    fake = drive.fake
    for number in range(55):
        fake.file(f"note-{number}.md", f"Fact number {number} is about topic {number * 7 % 101} and office "
                                       f"{number % 13}.\n".encode(), "text/markdown", drive.hr)
    fake.page_cap, fake.delay = 5, 0.01
    monkeypatch.setenv("GDRIVE_KEY", drive.secrets["GDRIVE_KEY"])
    assert kill_after_checkpoint(kb.home, database_url, "drive", drive.options()), "the sync finished before the kill"
    written = len(stored(kb))
    assert 0 < written < 60
    fake.delay = 0
    fake.forget()
    report = sync(kb, drive)
    assert report.error is None and len(stored(kb)) == 60
    assert report.added == 60 - written
    assert len(fake.contents_sent()) == 60 - written  # what was written is not downloaded again
    assert counting_embedder.texts_embedded == report.chunks_added  # what the killed run embedded is not again


def test_a_failing_download_keeps_the_last_version_is_named_and_retried_next_run(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.edit(drive.parking, b"# Parking\n\nStaff park in lot C now.\n")
    fake.faults.append(Fault(lambda request: request.kind == "download" and request.file == drive.parking, 500,
                             times=None))
    failing_document_is_kept_and_retried(
        kb, lambda: sync(kb, drive), fake, key=drive.parking, reason="HTTP 500 after 3 attempts",
        url=f"https://drive.google.com/file/d/{drive.parking}/view?usp=drivesdk", question="Where can staff park?",
        before="lot B", after="lot C", read=fake.contents_sent, ident=drive.parking)


def test_a_failing_file_trashed_or_moved_out_before_its_retry_is_removed(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    for ident in (drive.parking, drive.vpn):
        fake.edit(ident, b"# Changed\n\nSomething else.\n")
    fake.faults.append(Fault(lambda request: request.kind == "download", 500, times=None))
    assert sync(kb, drive).failed == 2
    fake.faults.clear()
    fake.trash(drive.parking)
    fake.move(drive.vpn, fake.folder("Elsewhere", people=TEAM))
    fake.forget()
    report = sync(kb, drive, max_removal_share=1)
    assert (report.removed, report.failed) == (2, 0)
    assert not {drive.parking, drive.vpn} & set(stored(kb)) and fake.contents_sent() == []


def test_a_deleted_folder_leaves_the_tree_for_good(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.delete(drive.it)  # its file stays behind, orphaned, as Drive keeps files whose folder went
    report = sync(kb, drive)
    assert report.removed == 1 and drive.vpn not in stored(kb)
    fake.edit(drive.vpn, b"Connect with WireGuard 2.\n")
    report = sync(kb, drive)
    assert (report.added, report.skipped) == (0, []) and drive.vpn not in stored(kb)  # outside the tree: not looked at


def test_a_doc_whose_export_fails_is_kept_and_named(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.edit(drive.leave, LEAVE.replace("25 days", "27 days").encode())
    fake.faults.append(Fault(lambda request: request.kind == "export", 500, times=None))
    report = sync(kb, drive)
    assert [(problem.key, problem.reason) for problem in report.failures] == [
        (drive.leave, "HTTP 500 after 3 attempts")]
    assert "25 days" in top(kb, "How many days of annual leave do I get?").text


def test_a_doc_without_a_markdown_export_is_read_as_html(kb, drive) -> None:
    fake = drive.fake
    fake.items[drive.leave].markdown_export = False
    report = sync(kb, drive)
    assert counts(report) == (5, 0, 0, 0)
    assert [request.query["mimeType"] for request in fake.of_kind("export")] == ["text/markdown", "text/html"]
    hit = top(kb, "How many days of annual leave do I get?")
    assert hit.title == "Annual leave" and "25 days" in hit.text


def test_sheets_are_read_as_tables_when_asked(kb, drive) -> None:
    report = sync(kb, drive, include_sheets=True)
    assert report.added == 6
    hit = top(kb, "How many days does a senior grade get?")
    assert hit.title == "Salary bands" and "| Senior | 28 |" in hit.text


def test_removing_most_of_a_folder_at_once_is_refused(kb, drive) -> None:
    sync(kb, drive)
    for ident in (drive.parking, drive.vpn, drive.travel):
        drive.fake.delete(ident)
    report = sync(kb, drive)
    assert report.removed == 0 and "max_removal_share" in report.removal_blocked
    assert len(stored(kb)) == 5


def test_files_shared_more_narrowly_than_their_folder_are_skipped_and_taken_out(kb, drive) -> None:
    fake = drive.fake
    salaries = fake.file("salaries.md", b"# Salaries\n\nBand C pays more than band B.\n", "text/markdown",
                         drive.hr, people=("carol@example.com",), inherit=False)
    board = fake.folder("Board", drive.hr, people=("dave@example.com",), inherit=False)
    minutes = fake.file("minutes.md", b"# Minutes\n\nThe board met on Monday.\n", "text/markdown", board)
    report = sync(kb, drive)
    assert report.added == 5
    skipped = {problem.key: problem.reason for problem in report.skipped}
    assert skipped[salaries] == "not synced: its inherited sharing is turned off (limited access)"
    assert skipped[minutes] == "not synced: shared more narrowly than 'HR' (4 of its permissions missing)"
    assert salaries not in stored(kb) and minutes not in stored(kb)
    assert not {salaries, minutes} & set(fake.contents_sent())  # never downloaded

    fake.limit(drive.parking, ("erin@example.com",))
    report = sync(kb, drive)
    assert report.removed == 1 and drive.parking in {problem.key for problem in report.skipped}
    assert drive.parking not in stored(kb)


def test_two_processes_syncing_one_folder_at_once_one_reports_busy(kb, database_url, drive, monkeypatch) -> None:
    from tests.knowledge.sources.sync_process import two_at_once

    monkeypatch.setenv("GDRIVE_KEY", drive.secrets["GDRIVE_KEY"])
    busy, worker = two_at_once(kb.home, database_url, "drive", drive.options(), drive.fake.gate)
    assert busy is not None, "neither process finished while the other was held"
    assert busy["busy"] is True
    assert (worker["busy"], worker["added"]) == (False, 5)


def test_a_429_is_waited_for_as_retry_after_says(kb, drive) -> None:
    fake = drive.fake
    fake.faults.append(Fault(lambda request: request.kind == "download" and request.file == drive.vpn, 429,
                             reason="rateLimitExceeded", headers={"Retry-After": "1"}))
    report = sync(kb, drive, policy=RetryPolicy(attempts=3, base_delay=5))  # a backoff would take 5 s or more
    assert (report.added, report.failed) == (5, 0)
    limited, retried = [request for request in fake.of_kind("download") if request.file == drive.vpn][:2]
    assert (limited.status, retried.status) == (429, 200)
    assert 0.9 <= retried.at - limited.at < 4


def test_a_403_quota_error_is_retried_with_backoff(kb, drive) -> None:
    fake = drive.fake
    fake.faults.append(Fault(lambda request: request.kind == "list", 403, times=2, reason="userRateLimitExceeded"))
    report = sync(kb, drive)
    assert (report.added, report.error) == (5, None)
    assert [request.status for request in fake.of_kind("list")][:3] == [403, 403, 200]


def test_a_403_that_is_not_a_quota_error_is_not_retried(kb, drive) -> None:
    fake = drive.fake
    fake.faults.append(Fault(lambda request: request.kind == "download" and request.file == drive.vpn, 403,
                             times=None, reason="cannotDownloadFile"))
    report = sync(kb, drive)
    assert [(problem.key, problem.reason) for problem in report.failures] == [(drive.vpn, "HTTP 403")]
    assert len([request for request in fake.of_kind("download") if request.file == drive.vpn]) == 1


def test_a_500_is_retried(kb, drive) -> None:
    fake = drive.fake
    fake.faults += [Fault(lambda request: request.kind == "changes" or request.kind == "start", 500),
                    Fault(lambda request: request.kind == "export", 503)]
    report = sync(kb, drive)
    assert (report.added, report.failed, report.error) == (5, 0, None)
    assert [request.status for request in fake.of_kind("export")] == [503, 200]
    assert not fake.faults


def test_a_page_token_drive_no_longer_knows_starts_the_listing_again(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.edit(drive.parking, b"# Parking\n\nStaff park in lot C now.\n")
    fake.faults.append(Fault(lambda request: request.kind == "changes", 400, reason="invalid"))
    fake.forget()
    report = sync(kb, drive)
    assert (report.error, report.changed, report.removed) == (None, 1, 0)
    assert fake.contents_sent() == [drive.parking] and len(fake.of_kind("start")) == 1
    assert "lot C" in top(kb, "Where can staff park?").text
    fake.forget()
    assert counts(sync(kb, drive)) == (0, 0, 0, 0) and not fake.of_kind("start")


def test_short_pages_still_list_everything(kb, drive) -> None:
    fake = drive.fake
    fake.page_cap = 2
    report = sync(kb, drive)
    assert report.added == 5
    assert [request.query.get("pageToken") for request in fake.of_kind("list")
            if request.query["q"].startswith(f"'{drive.hr}'")][:4] == [None, "2", "4", "6"]
    fake.delete(drive.parking)
    for number in range(3):
        fake.edit(drive.vpn, f"Connect with WireGuard, version {number}.\n".encode())
    report = sync(kb, drive)
    assert (report.removed, report.changed, report.removal_blocked) == (1, 1, None)


def test_a_listing_that_fails_half_way_removes_nothing(kb, drive) -> None:
    fake = drive.fake
    sync(kb, drive)
    fake.page_cap = 2
    fake.delete(drive.parking)
    fake.faults.append(Fault(lambda request: request.kind == "list" and request.query.get("pageToken") == "2", 500,
                             times=None))
    report = sync(kb, drive)
    assert report.error is None and report.removed == 0
    assert "did not finish" in report.removal_blocked and "HTTP 500" in report.removal_blocked
    assert drive.parking in stored(kb)


def test_a_first_listing_that_fails_stops_the_run_and_the_next_resumes(kb, drive) -> None:
    fake = drive.fake
    fake.page_cap = 2
    fake.faults.append(Fault(lambda request: request.kind == "list" and request.query.get("pageToken") == "4", 500,
                             times=None))
    report = sync(kb, drive)
    assert report.error == "cannot read the changes in Google Drive (HR): HTTP 500 after 3 attempts"
    assert report.removed == 0 and 0 < len(stored(kb)) < 5
    fake.faults.clear()
    fake.forget()
    report = sync(kb, drive)
    assert report.error is None and len(stored(kb)) == 5
    assert fake.of_kind("list")[0].query.get("pageToken") == "4"  # resumed where it stopped


def test_a_shared_drive_is_synced_and_its_members_are_the_audience(kb, drive) -> None:
    fake = drive.fake
    handbook = fake.shared_drive("Handbook", people=("alice@example.com", ACCOUNT), groups=("all@example.com",))
    fake.file("holidays.md", b"# Holidays\n\nThe office closes between Christmas and New Year.\n",
              "text/markdown", handbook)
    report = sync(kb, drive, folders=[], shared_drives=[handbook], audience=True)
    assert report.added == 1
    listing = fake.of_kind("list")[0]
    assert (listing.query["corpora"], listing.query["driveId"]) == ("drive", handbook)
    assert fake.of_kind("start")[0].query["driveId"] == handbook
    with Session(kb.engine) as session:
        state = session.get(KbSourceState, "drive")
    assert Audience.from_json(json.loads(state.audience)) == Audience(
        emails=frozenset({"alice@example.com", ACCOUNT}), groups=frozenset({"all@example.com"}))
    fake.file("closing.md", b"# Closing\n\nThe office closes at 6 pm.\n", "text/markdown", handbook)
    fake.forget()
    report = sync(kb, drive, folders=[], shared_drives=[handbook])
    assert report.added == 1 and fake.of_kind("changes")[0].query["driveId"] == handbook


def test_the_audience_of_several_roots_is_what_they_share_and_unknown_when_drive_will_not_say(kb, drive) -> None:
    fake = drive.fake
    legal = fake.folder("Legal", people=("alice@example.com", ACCOUNT))
    fake.file("nda.md", b"# NDA\n\nEvery contractor signs one.\n", "text/markdown", legal)
    sync(kb, drive, folders=[drive.hr, legal], audience=True, max_removal_share=1)
    with Session(kb.engine) as session:
        state = session.get(KbSourceState, "drive")
        assert Audience.from_json(json.loads(state.audience)) == Audience(
            emails=frozenset({"alice@example.com", ACCOUNT}))
    fake.faults.append(Fault(lambda request: request.kind == "permissions", 403, times=None,
                             reason="insufficientFilePermissions"))
    sync(kb, drive, folders=[drive.hr, legal], audience=True)
    with Session(kb.engine) as session:
        assert json.loads(session.get(KbSourceState, "drive").audience) is None


def test_a_folder_shared_with_the_domain_adds_no_restriction_of_its_own(kb, drive) -> None:
    fake = drive.fake
    fake.items[drive.hr].own.append({"id": "domain-example", "type": "domain", "domain": "example.com",
                                     "role": "reader"})
    sync(kb, drive, audience=True)
    with Session(kb.engine) as session:
        audience = Audience.from_json(json.loads(session.get(KbSourceState, "drive").audience))
    assert audience.anyone and "alice@example.com" in audience.emails and audience.groups == {"hr@example.com"}
    legal = fake.folder("Legal", people=("alice@example.com", ACCOUNT))
    fake.file("nda.md", b"# NDA\n\nEvery contractor signs one.\n", "text/markdown", legal)
    sync(kb, drive, folders=[drive.hr, legal], audience=True, max_removal_share=1)
    with Session(kb.engine) as session:
        audience = Audience.from_json(json.loads(session.get(KbSourceState, "drive").audience))
    assert audience == Audience(emails=frozenset({"alice@example.com", ACCOUNT}))  # Legal's people


def test_domain_wide_delegation_signs_in_as_the_subject(kb, drive) -> None:
    sync(kb, drive, subject="alice@example.com")
    assert drive.fake.subjects == ["alice@example.com"]


def test_a_refused_key_stops_the_run_in_one_line_without_the_secret(kb, drive) -> None:
    wrong = drive.fake.key_json(new_private_key_pem())
    report = sync(kb, drive, secrets={"GDRIVE_KEY": wrong})
    assert report.error == f"Google refused the service account key in GDRIVE_KEY ({ACCOUNT}); check the key and " \
                           "its access"
    assert "PRIVATE KEY" not in report.error and "\n" not in report.error


def test_an_unknown_folder_is_named(kb, drive) -> None:
    report = sync(kb, drive, folders=[drive.hr, "nope"])
    assert report.error == f"folder or shared drive nope is not in Google Drive, or not shared with {ACCOUNT}"


def test_secrets_never_reach_the_logs_or_the_reports(kb, drive, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sync(kb, drive)
    fake = drive.fake
    fake.edit(drive.parking, b"# Parking\n\nLot D.\n")
    fake.faults.append(Fault(lambda request: request.kind == "download", 500, times=None))
    report = sync(kb, drive)
    assert report.failures
    assert "drive/v3/files" in caplog.text  # the client did log its requests
    key = json.loads(drive.secrets["GDRIVE_KEY"])["private_key"]
    body = "".join(key.splitlines()[1:-1])
    texts = [caplog.text, json.dumps(report.to_json())]
    for text in texts:
        assert body[:40] not in text and not any(token in text for token in fake.tokens)


@pytest.mark.parametrize("secrets, message", [
    ({}, "^sources.drive.credentials_env: the environment variable GDRIVE_KEY is not set$"),
    ({"GDRIVE_KEY": "{not json"}, "^sources.drive.credentials_env: GDRIVE_KEY does not hold a service account's "
                                  "JSON key$"),
    ({"GDRIVE_KEY": '{"type": "service_account"}'}, "does not hold a service account's JSON key$")])
def test_a_missing_or_broken_key_is_named_without_its_value(kb, drive, secrets, message) -> None:
    config = GoogleDriveOptions(**drive.options())
    with pytest.raises(SourceConfigError, match=message):
        config.open("drive", home=kb.home, secrets=secrets.get)


def test_a_source_without_folders_or_drives_is_refused() -> None:
    with pytest.raises(ValueError, match="name at least one folder id"):
        GoogleDriveOptions(type="gdrive", credentials_env="GDRIVE_KEY")
