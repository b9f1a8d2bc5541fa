"""Talking to the Drive API for the Google Drive source: the client and its retries, file contents, who may read.

``DriveClient.call`` runs one request through ``retrying.with_retries``. google-api-python-client raises its own
``HttpError`` (over httplib2), which the retry policy does not know, so each is handed on as the
``requests.HTTPError`` it stands for, with the status and headers (``Retry-After``) the policy reads. Drive answers
a spent quota with 403 and the reason ``rateLimitExceeded`` or ``userRateLimitExceeded``, and asks that it be
treated as a 429: it is handed on as one. A refused service account (the token endpoint says no) stops the run
with a line that names the variable holding the key, never the key or a token.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Callable, Iterable

import requests

from knowledge.sources.documents import OPEN, Access, Audience
from knowledge.sources.retrying import FetchFailed, RetryPolicy, with_retries
from knowledge.sources.source import SourceUnavailable

DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
QUOTA_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
PERMISSION_FIELDS = "nextPageToken,permissions(id,type,emailAddress,domain,role,deleted)"


class DriveClient:
    """The Drive v3 service for one run, authorised as the service account; ``call`` is the only way out."""

    def __init__(self, credentials, api_url: str, key_variable: str, policy: RetryPolicy) -> None:
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        self.policy, self.key_variable = policy, key_variable
        self.account = getattr(credentials, "service_account_email", None) or "the service account"
        self.http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=policy.timeout))
        self.service = build("drive", "v3", http=self.http, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": api_url.rstrip("/") + "/drive/v3/"})

    def call(self, request: Callable[[object], object]) -> object:
        """``request(service).execute()`` with retries; ``FetchFailed`` (with the status) when it cannot be had."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        def attempt() -> object:
            try:
                return request(self.service).execute(num_retries=0)
            except HttpError as exc:
                raise _as_http_error(exc) from None
            except RefreshError:
                raise SourceUnavailable(f"Google refused the service account key in {self.key_variable} "
                                        f"({self.account}); check the key and its access") from None
            except TimeoutError:
                raise requests.Timeout() from None
            except (TransportError, HttpLib2Error, OSError) as exc:
                raise requests.ConnectionError(exc.__class__.__name__) from None

        return with_retries(attempt, self.policy)

    def content(self, file: dict, kind: str) -> tuple[bytes, str]:
        """A file's bytes and their media type: a Doc exported (Markdown, else HTML), a Sheet as a Markdown table,
        any other file downloaded as it is."""
        ident = file["id"]
        if kind == SHEET:
            data = self.call(lambda drive: drive.files().export(fileId=ident, mimeType="text/csv"))
            return csv_table(data), "text/markdown"
        if kind == DOC:
            try:
                return self.call(lambda drive: drive.files().export(fileId=ident, mimeType="text/markdown")), \
                    "text/markdown"
            except FetchFailed as exc:
                if exc.status != 400:  # 400: this Doc (or this Drive) has no Markdown export
                    raise
            return self.call(lambda drive: drive.files().export(fileId=ident, mimeType="text/html")), "text/html"
        return self.call(lambda drive: drive.files().get_media(fileId=ident, supportsAllDrives=True)), kind

    def close(self) -> None:
        self.service.close()


def _as_http_error(exc) -> requests.HTTPError:
    """A googleapiclient ``HttpError`` as the ``requests.HTTPError`` the retry policy reads."""
    status = int(exc.resp.status)
    if status == 403 and _reason(exc.content) in QUOTA_REASONS:
        status = 429
    response = requests.Response()
    response.status_code = status
    response.headers.update({name: value for name, value in exc.resp.items() if isinstance(value, str)})
    return requests.HTTPError(f"HTTP {status}", response=response)


def _reason(content: bytes) -> str | None:
    try:
        errors = json.loads(content)["error"]["errors"]
        return errors[0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def csv_table(data: bytes) -> bytes:
    """A CSV export as a Markdown table (its first row the header), so a row's cells stay together."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return b""
    width = max(len(row) for row in rows)

    def line(row: list[str]) -> str:
        cells = [cell.replace("|", "\\|").replace("\n", " ").strip() for cell in row] + [""] * (width - len(row))
        return "| " + " | ".join(cells) + " |"

    lines = [line(rows[0]), "|" + " --- |" * width, *map(line, rows[1:])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def access_of(file: dict, root: str | None, root_permissions: dict[str, frozenset[str]],
              root_names: dict[str, str]) -> Access:
    """Restricted when the file is shared more narrowly than the root it is synced from: its inherited sharing is
    off, or it lacks one of the root's permissions (a person or group who may open the folder but not the file)."""
    if file.get("inheritedPermissionsDisabled"):
        return Access(restricted=True, detail="its inherited sharing is turned off (limited access)")
    if root is None:
        return OPEN
    missing = root_permissions.get(root, frozenset()) - set(file.get("permissionIds") or ())
    if missing:
        count = len(missing)
        return Access(restricted=True, detail=f"shared more narrowly than {root_names.get(root, root)!r} "
                                              f"({count} of its {'permission' if count == 1 else 'permissions'} "
                                              "missing)")
    return OPEN


def audience(client: DriveClient, roots: Iterable[str]) -> Audience | None:
    """Who may read every synced root: for a shared drive its members, for a folder its sharing; people by email,
    groups by email, a domain or anyone-with-the-link share as ``anyone``.

    With several roots the answer is what they have in common (a person must be able to read everything in the
    collection, which holds them all; one named by a group on one root and by email on another is left out, which
    narrows and never widens). None when Drive will not list a root's permissions (403, 404: a reader may not see
    them): Lorebot cannot tell, and ``visible_to`` from lorebot.toml stays."""
    common: Audience | None = None
    for root in roots:
        try:
            permissions = _permissions(client, root)
        except FetchFailed as exc:
            if exc.status in (403, 404):
                return None
            raise
        found = Audience(
            emails=frozenset(p["emailAddress"].lower() for p in permissions
                             if p.get("type") == "user" and p.get("emailAddress")),
            groups=frozenset(p["emailAddress"].lower() for p in permissions
                             if p.get("type") == "group" and p.get("emailAddress")),
            anyone=any(p.get("type") in ("domain", "anyone") for p in permissions))
        common = found if common is None else _both(common, found)
    return common


def _permissions(client: DriveClient, root: str) -> list[dict]:
    permissions, page = [], None
    while True:
        answer = client.call(lambda drive: drive.permissions().list(
            fileId=root, supportsAllDrives=True, fields=PERMISSION_FIELDS, pageToken=page))
        permissions += [p for p in answer.get("permissions") or [] if not p.get("deleted")]
        page = answer.get("nextPageToken")
        if not page:
            return permissions


def _both(one: Audience, other: Audience) -> Audience:
    """Who is in both audiences; anyone in one is no restriction on the other."""
    if one.anyone:
        return other
    if other.anyone:
        return one
    return Audience(emails=one.emails & other.emails, groups=one.groups & other.groups)
