"""Google Drive folders and shared drives (``type = "gdrive"``), read by a service account.

The first run takes a start page token from Drive's ``changes`` feed *before* it lists anything (what changes
during the listing is then in the feed), and lists the synced folders recursively, one page at a time; each page
is a checkpoint, so a killed first run resumes at the folder and page it had reached. Later runs read only the
feed from the saved token. The cursor carries the tokens and the map of synced folders (each folder's parent, up
to a root), so a change is placed in the tree without a request: a file whose parents left the tree, or which was
removed or trashed, is ``Removed``; a folder that joins the tree is listed; a folder that leaves it leaves the map,
and its files leave the store through the key listing (``keys``), which walks the tree again every run (ids only).

The file id is the key, so a renamed or moved file is changed, not removed and added. Drive's ``version`` goes up
with every change, so a file whose stored version is the same is ``Unchanged`` without a download. Google Docs are
exported as Markdown (HTML where Drive will not), Sheets as CSV turned into a table (first sheet only, and only
with ``include_sheets``), PDF, Word, Markdown, text and HTML files downloaded; other types are not synced.

A file that does not carry every permission of the root it is synced from (or whose inherited sharing is turned
off) is shared more narrowly than its folder: it is handed over restricted, without a download, and the engine
skips it. Who may read the roots (``audience``) is their permission list; see ``gdrive_access``.

The client is google-api-python-client over httplib2 with google-auth's service-account credentials; its own
retries stay off (``num_retries=0``) and every call goes through ``retrying.with_retries``. Drive's quota errors
(403 ``rateLimitExceeded``/``userRateLimitExceeded``) are its way of saying 429 and are retried as one.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Literal, Mapping

from pydantic import field_validator, model_validator

from knowledge.loaders import media_type_of, suffix_for
from knowledge.sources import gdrive_access
from knowledge.sources.gdrive_access import DOC, SHEET
from knowledge.sources.documents import Audience, Change, Checkpoint, Failed, Removed, SourceDocument, Stored, \
    Unchanged
from knowledge.sources.options import Secrets, SourceConfigError, SourceOptions
from knowledge.sources.retrying import FetchFailed, RetryPolicy
from knowledge.sources.source import ListingIncomplete, SourceUnavailable

SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]
PAGE_SIZE = 1000  # Drive's most per page; it may send fewer
FOLDER = "application/vnd.google-apps.folder"
FILE_FIELDS = ("id,name,mimeType,modifiedTime,md5Checksum,version,webViewLink,parents,trashed,permissionIds,"
               "inheritedPermissionsDisabled,driveId,lastModifyingUser(displayName)")
LIST_FIELDS = f"nextPageToken,files({FILE_FIELDS})"
KEY_FIELDS = "nextPageToken,files(id,name,mimeType)"
CHANGE_FIELDS = f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))"
ALL_DRIVES = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}


class GoogleDriveOptions(SourceOptions):
    type: Literal["gdrive"]
    credentials_env: str  # the variable holding the service account's JSON key (the text itself)
    subject: str | None = None  # act as this person (domain-wide delegation); default: the service account
    folders: list[str] = []  # folder ids (the last part of the folder's address)
    shared_drives: list[str] = []  # shared drive ids
    include_sheets: bool = False  # Google Sheets, as a table of their first sheet
    api_url: str = "https://www.googleapis.com/"

    @field_validator("folders", "shared_drives")
    @classmethod
    def _ids(cls, ids: list[str]) -> list[str]:
        ids = [ident.strip() for ident in ids]
        if not all(ids):
            raise ValueError("ids must not be empty")
        return ids

    @model_validator(mode="after")
    def _something(self) -> "GoogleDriveOptions":
        if not self.folders and not self.shared_drives:
            raise ValueError("name at least one folder id in folders or shared drive id in shared_drives")
        return self

    def open(self, name: str, *, home: Path, secrets: Secrets,
             policy: RetryPolicy | None = None) -> "GoogleDriveSource":
        """The source, with credentials read from ``credentials_env``; a key that is not a service account's JSON
        stops the start with one line that names the variable, never its value."""
        from google.oauth2 import service_account

        text = self.secret(name, "credentials_env", self.credentials_env, secrets)
        try:
            info = json.loads(text)
            credentials = service_account.Credentials.from_service_account_info(
                info, scopes=SCOPES, subject=self.subject)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SourceConfigError(f"sources.{name}.credentials_env: {self.credentials_env} does not hold a "
                                    "service account's JSON key") from None
        return GoogleDriveSource(self, credentials, policy=policy or RetryPolicy())


class GoogleDriveSource:
    def __init__(self, options: GoogleDriveOptions, credentials, *, policy: RetryPolicy) -> None:
        self.options, self.policy = options, policy
        self.drive = gdrive_access.DriveClient(credentials, options.api_url, options.credentials_env, policy)
        self.roots = list(dict.fromkeys([*options.folders, *options.shared_drives]))
        self.folders: dict[str, str] = {}  # folder id -> its parent in the tree ("" for a root)
        self.mapped = False  # the folder map is the cursor's (else parents are looked up, for ``fetch``)
        self.root_permissions: dict[str, frozenset[str]] = {}
        self.root_names: dict[str, str] = {}
        self.seen: set[str] = set()  # keys handed over this run

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        self._connect()
        try:
            try:
                yield from self._read(self._position(cursor) or self._fresh(), stored)
            except _StaleToken:  # Drive no longer knows the saved token: list again; unchanged versions cost nothing
                yield from self._read(self._fresh(), stored)
        except FetchFailed as exc:
            raise SourceUnavailable(f"cannot read the changes in Google Drive ({self._where()}): {exc}") from None

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        self._connect()
        try:
            file = self.drive.call(lambda drive: drive.files().get(fileId=key, fields=FILE_FIELDS,
                                                                   supportsAllDrives=True))
        except FetchFailed as exc:
            if exc.status == 404:
                return Removed(key, "deleted in Google Drive, or no longer shared with the service account")
            return Failed(key, stored.url if stored else None, str(exc))
        if file.get("trashed"):
            return Removed(key, "trashed in Google Drive")
        if self._root_of(file) is None:
            return Removed(key, "moved out of the synced folders")
        return next(iter(self._file(file, {key: stored} if stored else {})), Removed(key, "no longer synced"))

    def keys(self) -> Iterable[str]:
        self._connect()
        keys: list[str] = []
        todo, known = list(self.roots), set(self.roots)
        try:
            while todo:
                for files in self._pages(todo.pop(0), None, KEY_FIELDS):
                    for file in files:
                        if file.get("mimeType") == FOLDER and file["id"] not in known:
                            known.add(file["id"])
                            todo.append(file["id"])
                        elif self._kind(file) is not None:
                            keys.append(file["id"])
        except FetchFailed as exc:
            raise ListingIncomplete(f"listing the files in Google Drive stopped part-way: {exc}") from None
        return keys

    def audience(self) -> Audience | None:
        """Who may read every root; None when Drive will not say (see ``gdrive_access.audience``)."""
        return gdrive_access.audience(self.drive, self.roots)

    def close(self) -> None:
        self.drive.close()

    # -- listing the tree and following the feed -------------------------------------------------------------
    def _fresh(self) -> dict:
        """Where a run from scratch starts: the feeds' tokens taken first, so nothing changed meanwhile is missed."""
        tokens = {feed: self._start_token(feed) for feed in self._feeds()}
        return {"scope": self._scope(), "tokens": tokens, "folders": {root: "" for root in self.roots},
                "todo": list(self.roots), "page": None}

    def _read(self, position: dict, stored: Mapping[str, Stored]) -> Iterator[Change]:
        """What is left to list of the tree, then each feed from its token."""
        self.folders, self.mapped = position["folders"], True
        for item in self._list(position, stored):
            yield Checkpoint(json.dumps(position)) if item is None else item
        for feed in list(position["tokens"]):
            yield from self._follow(feed, position, stored)

    def _list(self, position: dict, stored: Mapping[str, Stored]) -> Iterator[Change | None]:
        """The files under the folders still to do, a page at a time; None after each page (a checkpoint)."""
        todo = position["todo"]
        while todo:
            for files in self._pages(todo[0], position["page"], LIST_FIELDS, position):
                for file in files:
                    if file.get("mimeType") == FOLDER:
                        if file["id"] not in self.folders:
                            self.folders[file["id"]] = todo[0]
                            todo.append(file["id"])
                    else:
                        yield from self._file(file, stored)
                if position["page"] is None:
                    todo.pop(0)
                yield None

    def _pages(self, folder: str, page: str | None, fields: str, position: dict | None = None
               ) -> Iterator[list[dict]]:
        """The children of ``folder``, a page at a time from ``page``; ``position["page"]`` follows along."""
        where = ({"corpora": "drive", "driveId": folder} if folder in self.options.shared_drives
                 else {"corpora": "allDrives"})
        while True:
            answer = self.drive.call(lambda drive: drive.files().list(
                q=f"'{folder}' in parents and trashed=false", fields=fields, pageSize=PAGE_SIZE, pageToken=page,
                **where, **ALL_DRIVES))
            page = answer.get("nextPageToken")
            if position is not None:
                position["page"] = page
            yield answer.get("files") or []
            if not page:
                return

    def _follow(self, feed: str, position: dict, stored: Mapping[str, Stored]) -> Iterator[Change]:
        """The feed from its saved token; each page is a checkpoint at the token after it."""
        where = {"driveId": feed} if feed else {}
        while True:
            token = position["tokens"][feed]
            try:
                answer = self.drive.call(lambda drive: drive.changes().list(
                    pageToken=token, fields=CHANGE_FIELDS, pageSize=PAGE_SIZE, includeRemoved=True, **where,
                    **ALL_DRIVES))
            except FetchFailed as exc:
                if exc.status in (400, 404, 410):
                    raise _StaleToken(f"Drive refused the saved page token ({exc})", exc.status) from None
                raise
            for change in answer.get("changes") or []:
                yield from self._change(change, stored)
            following = answer.get("nextPageToken") or answer.get("newStartPageToken")
            if not following:
                raise FetchFailed("Drive answered the changes feed without a next token")
            position["tokens"][feed] = following
            yield Checkpoint(json.dumps(position))
            if not answer.get("nextPageToken"):
                return

    def _change(self, change: dict, stored: Mapping[str, Stored]) -> Iterator[Change]:
        key, file = change.get("fileId") or "", change.get("file") or {}
        gone = change.get("removed") or file.get("trashed")
        if gone and key in self.folders and key not in self.roots:
            self._drop(key)  # a folder deleted, or no longer shared with the account (a removal has no file)
            return
        if file.get("mimeType") == FOLDER:
            inside = not gone and self._parent_in_tree(file) is not None
            if inside and key not in self.folders:  # joined the tree (made, or moved in): list what it holds
                self.folders[key] = self._parent_in_tree(file)
                yield from (item for item in self._list({"todo": [key], "page": None}, stored) if item is not None)
            elif inside and key not in self.roots:
                self.folders[key] = self._parent_in_tree(file)  # moved within the tree
            elif not inside and key in self.folders and key not in self.roots:
                self._drop(key)
            return
        if key in self.seen:
            return
        if gone or self._parent_in_tree(file) is None:
            if key in stored:
                yield Removed(key, "deleted or trashed in Google Drive" if gone else "moved out of the synced folders")
            return
        yield from self._file(file, stored)

    def _drop(self, folder: str) -> None:
        """Take a folder that left the tree out of the map, with every folder below it."""
        del self.folders[folder]
        while orphans := [ident for ident, parent in self.folders.items() if parent and parent not in self.folders]:
            for ident in orphans:
                del self.folders[ident]

    # -- one file ---------------------------------------------------------------------------------------------
    def _file(self, file: dict, stored: Mapping[str, Stored]) -> Iterator[Change]:
        key, kind = file["id"], self._kind(file)
        if kind is None or key in self.seen:
            return
        self.seen.add(key)
        version = str(file.get("version") or file.get("md5Checksum") or file.get("modifiedTime") or "") or None
        document = dict(key=key, title=file.get("name"), url=file.get("webViewLink"), version=version,
                        modified=_when(file.get("modifiedTime")),
                        author=(file.get("lastModifyingUser") or {}).get("displayName"))
        access = gdrive_access.access_of(file, self._root_of(file), self.root_permissions, self.root_names)
        if access.restricted:
            yield SourceDocument(data=b"", media_type=kind, access=access, **document)
            return
        before = stored.get(key)
        if before is not None and version is not None and before.version == version:
            yield Unchanged(key)
            return
        try:
            data, media_type = self.drive.content(file, kind)
        except FetchFailed as exc:
            if exc.status == 404:
                yield Removed(key, "deleted in Google Drive")
            else:
                yield Failed(key, file.get("webViewLink"), str(exc))
            return
        yield SourceDocument(data=data, media_type=media_type, **document)

    def _kind(self, file: dict) -> str | None:
        """What a file is read as (a media type the loaders read, or the Google type to export); None: not synced."""
        mime = file.get("mimeType") or ""
        if mime == DOC or (mime == SHEET and self.options.include_sheets):
            return mime
        if mime.startswith("application/vnd.google-apps."):
            return None
        return mime if suffix_for(mime) else media_type_of(file.get("name") or "")

    # -- where a file is ----------------------------------------------------------------------------------------
    def _parent_in_tree(self, file: dict) -> str | None:
        return next((parent for parent in file.get("parents") or [] if self._root_above(parent)), None)

    def _root_of(self, file: dict) -> str | None:
        return next(filter(None, map(self._root_above, file.get("parents") or [])), None)

    def _root_above(self, folder: str) -> str | None:
        """The synced root ``folder`` is under (or is); None when it is outside the tree. Before the map is read
        (a failed file fetched again), the parents are asked for."""
        for _ in range(100):
            if folder in self.roots:
                return folder
            if folder in self.folders:
                folder = self.folders[folder]
            elif not self.mapped:
                parents = self.drive.call(lambda drive: drive.files().get(
                    fileId=folder, fields="id,parents", supportsAllDrives=True)).get("parents") or []
                if not parents:
                    return None
                folder = parents[0]
            else:
                return None
        return None

    # -- talking to Drive ------------------------------------------------------------------------------------
    def _connect(self) -> None:
        """Check each root once a run and learn the permissions a file under it must carry."""
        if self.root_permissions:
            return
        for root in self.roots:
            try:
                folder = self.drive.call(lambda drive: drive.files().get(
                    fileId=root, fields="id,name,mimeType,permissionIds", supportsAllDrives=True))
            except FetchFailed as exc:
                if exc.status in (403, 404):
                    raise SourceUnavailable(f"folder or shared drive {root} is not in Google Drive, or not shared "
                                            f"with {self.drive.account}") from None
                raise SourceUnavailable(f"cannot read folder {root} in Google Drive: {exc}") from None
            self.root_permissions[root] = frozenset(folder.get("permissionIds") or ())
            self.root_names[root] = folder.get("name") or root

    def _start_token(self, feed: str) -> str:
        try:
            answer = self.drive.call(lambda drive: drive.changes().getStartPageToken(
                supportsAllDrives=True, **({"driveId": feed} if feed else {})))
        except FetchFailed as exc:
            raise SourceUnavailable(f"cannot start reading the changes in Google Drive: {exc}") from None
        return str(answer["startPageToken"])

    def _feeds(self) -> list[str]:
        """The changes feeds to follow: the account's own for folders ("") and each shared drive's."""
        return [""] * bool(self.options.folders) + list(self.options.shared_drives)

    def _scope(self) -> str:
        """What a cursor covers: one from other roots, or without Sheets, would miss their files."""
        return "|".join([",".join(sorted(self.roots)), f"sheets={self.options.include_sheets}"])

    def _position(self, cursor: str | None) -> dict | None:
        try:
            position = json.loads(cursor) if cursor else None
        except ValueError:
            return None
        if not isinstance(position, dict) or position.get("scope") != self._scope():
            return None
        return position

    def _where(self) -> str:
        return ", ".join(self.root_names.get(root, root) for root in self.roots)


class _StaleToken(FetchFailed):
    """The changes feed refused a saved page token (an expired or unknown one)."""


def _when(value: str | None) -> datetime | None:
    """A time as Drive writes it (RFC 3339 in UTC, ending in Z)."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
