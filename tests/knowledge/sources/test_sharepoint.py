"""The SharePoint source on the real sync engine, talking HTTP through requests (and MSAL, over TLS) to a loopback
Microsoft Graph and sign-in service, on SQLite and PostgreSQL."""
from __future__ import annotations

import ipaddress
import json
import logging
import ssl
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from knowledge import KnowledgeBase
from knowledge.sources.options import SourceConfigError
from knowledge.sources.retrying import RetryPolicy
from knowledge.sources.sharepoint import SharePointOptions
from knowledge.sources.syncing import SyncOptions
from knowledge.sources.tables import KbSourceState
from knowledge.store import KbDocument
from tests.knowledge.pdfs import pdf_with_text
from tests.knowledge.sources.fake_confluence import Fault
from tests.knowledge.sources.fake_sharepoint import SECRET, FakeSharePoint
from tests.knowledge.sources.scenarios import failing_document_is_kept_and_retried, top

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
        return kb.sync("hr", source, SyncOptions(collection="hr", type="sharepoint",
                                                 max_removal_share=config.max_removal_share))
    finally:
        source.close()


def stored(kb: KnowledgeBase) -> dict[str, KbDocument]:
    with Session(kb.engine) as session:
        return {doc.path.removeprefix("source:hr/"): doc for doc in session.exec(select(KbDocument)).all()}


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


def test_an_edit_costs_one_download_and_its_passages_only(kb, site, counting_embedder) -> None:
    fake = site.fake
    sync(kb, site)
    fake.forget()
    fake.edit(site.leave, LEAVE.replace(b"25 days", b"30 days"))
    before = counting_embedder.texts_embedded
    report = sync(kb, site)
    assert (report.added, report.changed, report.removed, report.failed) == (0, 1, 0, 0)
    assert fake.downloads() == [site.leave]
    assert 0 < counting_embedder.texts_embedded - before <= 2
    assert "30 days" in top(kb, "How many days of annual leave do I get?").text
    assert report.changed_paths == [f"source:hr/file/{site.leave}"]
    assert [r.query.get("token") for r in fake.requests if r.path.endswith("/root/delta")] != [None]


def test_an_unchanged_resync_downloads_and_embeds_nothing(kb, site, counting_embedder) -> None:
    fake = site.fake
    for number in range(20):
        fake.add(f"note-{number}.md", f"# Note {number}\n\nFact {number} is about office {number % 7}.\n".encode())
    first = sync(kb, site)
    assert first.added == 25
    fake.forget()
    before = counting_embedder.texts_embedded
    again = sync(kb, site)
    assert (again.added, again.changed, again.removed, again.failed) == (0, 0, 0, 0)
    assert fake.downloads() == [] and fake.count("/permissions") == 0 and fake.count("microsoft.graph.sitePage") == 0
    assert counting_embedder.texts_embedded == before


def test_a_renamed_file_keeps_its_key_and_takes_its_new_name(kb, site) -> None:
    sync(kb, site)
    site.fake.rename(site.vpn, "remote-access.txt")
    report = sync(kb, site)
    assert (report.added, report.changed, report.removed) == (0, 1, 0)
    renamed = stored(kb)[f"file/{site.vpn}"]
    assert renamed.url.endswith("/remote-access.txt") and renamed.title == "remote-access"


def test_a_deleted_file_is_removed(kb, site) -> None:
    sync(kb, site)
    site.fake.delete(site.parking)
    report = sync(kb, site)
    assert (report.removed, report.removal_blocked) == (1, None)
    assert f"file/{site.parking}" not in stored(kb) and len(stored(kb)) == 4


def test_a_removed_site_page_is_removed_and_an_edited_one_read_again(kb, site) -> None:
    fake = site.fake
    other = fake.page("Canteen", "<p>The canteen opens at noon.</p>")
    sync(kb, site)
    fake.edit_page(site.news, NEWS.replace("Canal Street", "Mill Lane"))
    del fake.pages[other]
    fake.forget()
    report = sync(kb, site)
    assert (report.changed, report.removed) == (1, 1)
    assert fake.count("microsoft.graph.sitePage") == 1
    assert "Mill Lane" in top(kb, "Where does the office move to?").text


def test_only_the_folder_asked_for_is_synced_and_a_file_moved_out_leaves(kb, site) -> None:
    fake = site.fake
    current = fake.folder("Current", parent=site.policies)
    expenses = fake.add("expenses.md", b"# Expenses\n\nSubmit claims within 30 days.\n", parent=current)
    report = sync(kb, site, folder="Policies", pages=False)
    assert report.added == 2 and set(stored(kb)) == {f"file/{site.leave}", f"file/{expenses}"}
    later = fake.folder("Later", parent=current)  # a folder made after the first sync, found through the delta
    meals = fake.add("meals.md", b"# Meals\n\nMeals are capped at 40 pounds a day.\n", parent=later)
    fake.move(expenses, "01ROOT")
    report = sync(kb, site, folder="Policies", pages=False)
    assert (report.added, report.removed) == (1, 1)
    assert set(stored(kb)) == {f"file/{site.leave}", f"file/{meals}"}


def test_a_library_is_chosen_by_name_and_an_unknown_one_is_named(kb, site) -> None:
    assert sync(kb, site, drive="Documents").added == 5
    report = sync(kb, site, drive="Policies")
    assert report.error == (f"{site.fake.site} has no document library named 'Policies' (it has: Archive, "
                            "Documents)")


def test_a_killed_sync_resumes_from_its_checkpoint_and_embeds_nothing_twice(kb, database_url, site, monkeypatch,
                                                                             counting_embedder) -> None:
    from tests.knowledge.sources.sync_process import kill_after_checkpoint

    fake = site.fake
    for number in range(55):
        fake.add(f"note-{number}.md", f"# Note {number}\n\nFact {number} is about topic {number * 7 % 101}.\n".encode())
    fake.page_size, fake.delay = 5, 0.01
    monkeypatch.setenv("SP_SECRET", SECRET)
    assert kill_after_checkpoint(kb.home, database_url, "hr", fake.options()), "the sync finished before the kill"
    written = len(stored(kb))
    assert 0 < written < 60
    fake.delay = 0
    fake.forget()
    report = sync(kb, site)
    assert report.error is None and len(stored(kb)) == 60
    assert report.added == 60 - written
    assert counting_embedder.texts_embedded == 60 - written  # one passage per document: nothing twice
    first = next(r for r in fake.requests if r.path.endswith("/root/delta"))
    assert first.query.get("skip")  # resumed from the saved nextLink, not from scratch


def test_a_failing_download_keeps_its_last_version_is_named_and_retried(kb, site) -> None:
    fake = site.fake
    sync(kb, site)
    fake.edit(site.leave, LEAVE.replace(b"25 days", b"30 days"))
    fake.faults.append(Fault(lambda r: r.path == f"/download/{site.leave}", 500, times=None))
    failing_document_is_kept_and_retried(
        kb, lambda: sync(kb, site), fake, key=f"file/{site.leave}",
        reason="cannot download it: HTTP 500 after 3 attempts", url=f"{fake.site}/Shared%20Documents/leave.md",
        question="How many days of annual leave do I get?", before="25 days", after="30 days",
        read=fake.downloads, ident=site.leave)


def test_removing_most_of_a_library_at_once_is_refused(kb, site) -> None:
    sync(kb, site)
    for ident in (site.leave, site.parking, site.vpn):
        site.fake.delete(ident)
    report = sync(kb, site)
    assert report.removed == 0 and "max_removal_share" in report.removal_blocked
    assert len(stored(kb)) == 5
    report = sync(kb, site)  # the delta will not report them again: the deletions are kept until they happen
    assert report.removed == 0 and "max_removal_share" in report.removal_blocked
    report = sync(kb, site, max_removal_share=1)
    assert (report.removed, report.removal_blocked) == (3, None) and len(stored(kb)) == 2


def test_a_file_shared_more_narrowly_than_its_library_is_skipped_and_taken_out(kb, site) -> None:
    fake = site.fake
    salaries = fake.add("salaries.md", b"# Salaries\n\nSalary bands for 2025.\n")
    fake.share_only_with(salaries, "dave@acme.example")
    report = sync(kb, site)
    assert report.added == 5 and f"file/{salaries}" not in stored(kb)
    [skipped] = report.skipped
    assert skipped.key == f"file/{salaries}"
    assert skipped.reason == "not synced: shared with 1 grantee of its own, fewer than its library"
    assert site.fake.downloads().count(salaries) == 0

    fake.share_only_with(site.parking, "dave@acme.example")
    report = sync(kb, site)
    assert report.removed == 1 and f"file/{site.parking}" not in stored(kb)
    assert f"file/{site.parking}" in {problem.key for problem in report.skipped}


def test_hidden_permissions_fail_closed(kb, site) -> None:
    fake = site.fake
    fake.faults.append(Fault(lambda r: r.path.endswith(f"/items/{site.vpn}/permissions"), 403, times=None))
    report = sync(kb, site)
    assert report.added == 4 and f"file/{site.vpn}" not in stored(kb)
    [skipped] = report.skipped
    assert skipped.reason == "not synced: its permissions are hidden from the app (HTTP 403)"
    assert site.vpn not in fake.downloads()


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_is_waited_for_as_retry_after_says(kb, site, status) -> None:
    fake = site.fake
    fake.faults.append(Fault(lambda r: r.path == f"/download/{site.vpn}", status, headers={"Retry-After": "1"}))
    report = sync(kb, site, policy=RetryPolicy(attempts=3, base_delay=5))  # a backoff would take 5 s or more
    assert (report.added, report.failed) == (5, 0)
    limited, retried = [r for r in fake.requests if r.path == f"/download/{site.vpn}"][:2]
    assert (limited.status, retried.status) == (status, 200)
    assert 0.9 <= retried.at - limited.at < 4


def test_a_server_error_and_an_empty_answer_are_retried(kb, site) -> None:
    fake = site.fake
    fake.faults += [Fault(lambda r: r.path.endswith("/root/delta"), 500),
                    Fault(lambda r: r.path.endswith("/root/delta"), 200, body=b""),
                    Fault(lambda r: r.path == f"/download/{site.parking}", 200, body=b"")]
    report = sync(kb, site)
    assert (report.added, report.failed, report.error) == (5, 0, None)
    assert [r.status for r in fake.requests if r.path.endswith("/root/delta")] == [500, 200, 200]
    assert [r.status for r in fake.requests if r.path == f"/download/{site.parking}"] == [200, 200]
    assert not fake.faults


def test_short_pages_still_list_everything(kb, site) -> None:
    fake = site.fake
    fake.page_size = 2
    report = sync(kb, site)
    assert report.added == 5
    assert [r.query.get("skip") for r in fake.requests if r.path.endswith("/root/delta")] == [None, "2", "4"]
    fake.delete(site.parking)
    report = sync(kb, site)
    assert (report.removed, report.removal_blocked) == (1, None)


def test_a_delta_page_that_fails_stops_the_run_removes_nothing_and_the_next_resumes(kb, site) -> None:
    fake = site.fake
    sync(kb, site)
    fake.page_size = 2
    fake.delete(site.parking)
    for number in range(4):
        fake.add(f"new-{number}.md", f"# New {number}\n\nNew fact {number}.\n".encode())
    fake.faults.append(Fault(lambda r: r.path.endswith("/root/delta") and r.query.get("skip") == "4", 503,
                             times=None))
    report = sync(kb, site)
    assert report.error.startswith(f"cannot list the changed files of {fake.site} (library default): rate "
                                   "limited (HTTP 503) after 3 attempts")
    assert report.removed == 0 and f"file/{site.parking}" in stored(kb)
    with Session(kb.engine) as session:
        state = session.get(KbSourceState, "hr")
        assert "skip=4" in json.loads(state.checkpoint)["link"] and "skip" not in json.loads(state.cursor)["link"]
    fake.faults.clear()
    fake.forget()
    report = sync(kb, site)
    assert (report.error, report.removed) == (None, 1) and len(stored(kb)) == 8  # the deletion seen before the stop
    assert [r.query.get("skip") for r in fake.requests if r.path.endswith("/root/delta")][0] == "4"


def test_a_forgotten_delta_link_means_a_full_resync_that_loses_nothing(kb, site, counting_embedder) -> None:
    fake = site.fake
    sync(kb, site)
    fake.forget_delta_links()
    fake.delete(site.parking)  # while the link is forgotten: only the full listing can tell
    fake.edit(site.vpn, VPN + b"Use the office profile.\n")
    fake.forget()
    before = counting_embedder.texts_embedded
    report = sync(kb, site)
    assert (report.error, report.changed, report.removed) == (None, 1, 1)
    deltas = [r for r in fake.requests if r.path.endswith("/root/delta")]
    assert [r.status for r in deltas] == [410, 200] and deltas[1].query.get("token") is None
    assert fake.downloads() == [site.vpn]
    assert counting_embedder.texts_embedded - before == 1
    assert len(stored(kb)) == 4


def test_a_full_resync_cut_short_starts_again_so_removals_stay_exact(kb, site) -> None:
    fake = site.fake
    sync(kb, site)
    fake.forget_delta_links()
    fake.delete(site.parking)  # only a full listing can tell
    fake.page_size = 2
    fake.faults.append(Fault(lambda r: r.path.endswith("/root/delta") and r.query.get("skip") == "4", 500,
                             times=None))
    assert sync(kb, site).error is not None
    fake.faults.clear()
    fake.forget()
    report = sync(kb, site)
    assert (report.error, report.removed) == (None, 1) and f"file/{site.parking}" not in stored(kb)
    assert [r.query.get("skip") for r in fake.requests if r.path.endswith("/root/delta")][0] is None
    assert fake.downloads() == []


def test_two_processes_syncing_one_site_at_once_one_reports_busy(kb, database_url, site, monkeypatch) -> None:
    from tests.knowledge.sources.sync_process import two_at_once

    monkeypatch.setenv("SP_SECRET", SECRET)
    busy, worker = two_at_once(kb.home, database_url, "hr", site.fake.options(), site.fake.gate)
    assert busy["busy"] is True
    assert (worker["busy"], worker["added"]) == (False, 5)


def test_a_refused_token_is_fetched_again_once(kb, site) -> None:
    fake = site.fake
    sync(kb, site)
    fake.edit(site.leave, LEAVE.replace(b"25 days", b"31 days"))
    fake.token_lifetime = 3600
    fake.faults.append(Fault(lambda r: r.path.endswith("/root/delta"), 401))  # revoked mid-run
    fake.forget()
    report = sync(kb, site)
    assert (report.error, report.changed) == (None, 1)
    assert len([r for r in fake.requests if r.path.endswith("/oauth2/v2.0/token")]) == 2


def test_wrong_credentials_stop_the_run_in_one_line_without_the_secret(kb, site) -> None:
    report = sync(kb, site, secrets={"SP_SECRET": "not-it-9x"})
    assert report.error.startswith(f"Microsoft sign-in at {site.fake.url}/")
    assert "invalid_client" in report.error and "not-it-9x" not in report.error and "\n" not in report.error


def test_no_secret_or_token_reaches_the_logs_or_the_report(kb, site, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sync(kb, site)
    site.fake.faults.append(Fault(lambda r: r.path == f"/download/{site.leave}", 500, times=None))
    site.fake.edit(site.leave, LEAVE.replace(b"25 days", b"26 days"))
    report = sync(kb, site)
    assert "/root/delta" in caplog.text  # the HTTP client did log its requests
    tokens = site.fake.tokens
    for text in (caplog.text, json.dumps(report.to_json())):
        assert SECRET not in text and not any(token in text for token in tokens)


def test_a_missing_secret_variable_is_named(kb, site) -> None:
    config = SharePointOptions(**site.fake.options())
    with pytest.raises(SourceConfigError, match="^sources.hr.client_secret_env: the environment variable SP_SECRET "
                                                "is not set$"):
        config.open("hr", home=kb.home, secrets={}.get)


def test_the_library_members_are_the_audience(kb, site) -> None:
    config = SharePointOptions(**site.fake.options())
    source = config.open("hr", home=kb.home, secrets=SECRETS.get, policy=FAST)
    try:
        audience = source.audience()
        assert (audience.emails, audience.groups, audience.anyone) == (
            frozenset({"carol@acme.example"}), frozenset({"HR Owners", "hr@acme.example"}), False)
        site.fake.faults.append(Fault(lambda r: r.path.endswith("/root/permissions"), 403))
        assert source.audience() is None  # Graph will not tell: cannot tell
    finally:
        source.close()


def _tls_for_loopback(folder) -> tuple[ssl.SSLContext, str]:
    """A self-signed certificate for 127.0.0.1: the server's context, and the file a client trusts it by."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "loopback.pem", folder / "loopback.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


def test_over_https_the_token_comes_from_msal(kb, tmp_path, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    context, trusted = _tls_for_loopback(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", trusted)  # requests, under MSAL too, trusts the loopback certificate
    secure = Site(tls=context)
    try:
        assert secure.fake.url.startswith("https://")
        report = sync(kb, secure)
        assert (report.added, report.error) == (5, None)
        paths = [r.path for r in secure.fake.requests if not r.path.startswith(("/v1.0/", "/download/"))]
        assert paths[0].endswith("/v2.0/.well-known/openid-configuration")  # MSAL's discovery, then its token call
        assert paths[-1].endswith("/oauth2/v2.0/token")
        assert "msal" in caplog.text and SECRET not in caplog.text
        assert not any(token in caplog.text for token in secure.fake.tokens)
    finally:
        secure.fake.close()


def test_a_sync_keeps_the_library_members_for_visible_to_from_source(kb, site) -> None:
    def run():
        config = SharePointOptions(**site.fake.options(visible_to_from_source=True))
        source = config.open("hr", home=kb.home, secrets=SECRETS.get, policy=FAST)
        try:
            kb.sync("hr", source, SyncOptions(collection="hr", type="sharepoint", audience=True))
        finally:
            source.close()
        with Session(kb.engine) as session:
            return json.loads(session.get(KbSourceState, "hr").audience)

    assert run() == {"emails": ["carol@acme.example"], "groups": ["HR Owners", "hr@acme.example"], "anyone": False}
    site.fake.faults.append(Fault(lambda r: r.path.endswith("/root/permissions"), 403, times=None))
    assert run() is None  # Graph will not tell: `lorebot sources` says so, and visible_to applies
