"""SharePoint and OneDrive (``type = "sharepoint"``): the files of one document library, and the site's pages.

Files come from Microsoft Graph's driveItem delta query. The first run (and any run whose saved link Graph no
longer knows: a 410) reads the whole drive from ``root/delta``; later runs follow the saved ``@odata.deltaLink`` and
see only what changed. Each page of the delta ends in a checkpoint holding the link to the next one, so a killed
run resumes where it stopped; the final ``deltaLink`` is the cursor. The item id is the key (``file/ID``), so a
renamed or moved file is changed, not removed and added. A file's bytes are downloaded only when its ``cTag``
(content) or its name moved; items with a ``deleted`` facet, and files that left the synced ``folder``, are
removed. Graph supports delta only on a SharePoint drive's root and leaves ``parentReference.path`` out of delta
answers, so a ``folder`` is followed by the ids of its folders (listed each run, then extended by the delta).

Which documents still exist (``keys``) is known from the delta itself: after a delta from scratch, exactly the
files it listed; after an incremental one, what was stored, plus what it listed, minus what it reported deleted.
A delta reports a deletion once, so the deletions not yet carried out travel in the cursor (and in checkpoints)
until the files are gone from the store: a run stopped part-way, or held back by the removal guard, loses none. A
full listing that settles removals (after a 410) and is cut short starts again from scratch, not from its
checkpoint, since only a whole listing proves what is missing. Delta requests ask for sharing changes too
(``Prefer: deltashowsharingchanges``), so a file newly shared more narrowly is checked again without a download.
Site pages (``pages = true``) are listed in full each run and read (``canvasLayout``, its web parts' HTML as
Markdown) only when their ``eTag`` moved; they inherit the site's permissions.

A file whose permissions are its own (none inherited) and leave out someone the library grants is restricted, so
the engine skips it; when Graph will not show a file's permissions (403, 404) it is taken for restricted too,
never for open. ``audience`` reads the library's permissions: people by email, groups by email or name, and a
link for the whole organisation as anyone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Literal, Mapping
from urllib.parse import quote, urljoin, urlparse

from pydantic import field_validator

from knowledge.loaders import media_type_of
from knowledge.sources.confluence_storage import storage_to_markdown
from knowledge.sources.documents import (OPEN, Access, Audience, Change, Checkpoint, Failed, Removed, SourceDocument,
                                         Stored, Unchanged)
from knowledge.sources.msgraph import AppToken, Graph
from knowledge.sources.options import Secrets, SourceOptions
from knowledge.sources.retrying import FetchFailed, RetryPolicy, http_session
from knowledge.sources.source import ListingIncomplete, SourceUnavailable

GONE = frozenset({404, 410})
ITEM_FIELDS = "id,name,eTag,cTag,lastModifiedDateTime,lastModifiedBy,webUrl,file,folder,deleted,root,parentReference"
# Deleted items as items (not absent), and items whose sharing alone changed (marked ``sharedChanged``).
DELTA_PREFER = {"Prefer": "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges"}
EVERYONE = ("everyone", "everyone except external users")


class SharePointOptions(SourceOptions):
    type: Literal["sharepoint"]
    tenant_id: str  # the directory (tenant) id of the Entra app registration
    client_id: str  # its application (client) id
    client_secret_env: str  # the variable holding its client secret
    site: str  # e.g. https://acme.sharepoint.com/sites/HR (a OneDrive: https://acme-my.sharepoint.com/personal/…)
    drive: str | None = None  # a document library's name; default: the site's default library ("Documents")
    folder: str | None = None  # only files under this folder of the library, e.g. "Policies/Current"
    pages: bool = True  # the site's pages too
    graph_url: str = "https://graph.microsoft.com/v1.0"
    login_url: str = "https://login.microsoftonline.com"

    @field_validator("site", "graph_url", "login_url")
    @classmethod
    def _address(cls, url: str) -> str:
        if urlparse(url).scheme not in {"http", "https"} or not urlparse(url).hostname:
            raise ValueError("must be an http(s) address, e.g. https://acme.sharepoint.com/sites/HR")
        return url.rstrip("/")

    @field_validator("folder")
    @classmethod
    def _folder(cls, folder: str | None) -> str | None:
        return folder.strip("/") or None if folder is not None else None

    def open(self, name: str, *, home: Path, secrets: Secrets,
             policy: RetryPolicy | None = None) -> "SharePointSource":
        secret = self.secret(name, "client_secret_env", self.client_secret_env, secrets)
        return SharePointSource(self, secret=secret, policy=policy or RetryPolicy())


@dataclass
class _Drive:
    site: str  # Graph's site id
    site_url: str
    id: str
    folders: set[str] | None  # ids of the synced folder and the folders below it; None: the whole drive
    scope: str  # what a cursor covers


class SharePointSource:
    def __init__(self, options: SharePointOptions, *, secret: str, policy: RetryPolicy) -> None:
        self.options, self.policy = options, policy
        self.session = http_session()
        token = AppToken(options.login_url, options.tenant_id, options.client_id, secret, self.session, policy)
        self.graph = Graph(options.graph_url, token, self.session, policy)
        self._drive: _Drive | None = None
        self._root_grants: frozenset[str] | None = None
        self._fetched: set[str] = set()  # keys read this run through ``fetch`` (earlier failures)
        self._live: set[str] | None = None  # known once ``changes`` ran to its end

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        drive = self._connect()
        link, carried = self._resume(cursor, drive, stored)
        files = {key for key in stored if key.startswith("file/")}
        seen: set[str] = set()
        gone = set(carried)  # reported deleted, not removed yet (a stop, or a guard, may hold them for a later run)
        try:
            while True:
                fresh = link is None  # a delta from scratch lists every file there is
                page = self.graph.json(link or f"drives/{drive.id}/root/delta?$select={ITEM_FIELDS}",
                                       passthrough=frozenset({410}), headers=DELTA_PREFER)
                if page.get("_status") != 410:
                    break
                if fresh:
                    raise FetchFailed("Graph answered 410 to a delta from scratch")
                link = None  # Graph forgot the link: read everything again; unchanged files cost nothing
            again = fresh and bool(files)  # a full listing that settles removals: a killed one starts over
            while True:
                for item in page.get("value") or []:
                    change = self._item(item, drive, stored)
                    if change is not None:
                        removed = isinstance(change, Removed)
                        (gone if removed else seen).add(change.key)
                        (seen if removed else gone).discard(change.key)
                        yield change
                link = page.get("@odata.nextLink") or page.get("@odata.deltaLink")
                if not link:
                    raise FetchFailed("a delta page had neither a nextLink nor a deltaLink")
                yield Checkpoint(self._cursor(drive, link, gone, again))
                if "@odata.nextLink" not in page:
                    break
                page = self.graph.json(link, headers=DELTA_PREFER)
        except FetchFailed as exc:
            raise SourceUnavailable(f"cannot list the changed files of {self._where()}: {exc}") from None
        pages = set()
        if self.options.pages:
            for change in self._site_pages(drive, stored):
                pages.add(change.key)
                yield change
        self._live = (seen if fresh else (files | seen) - gone) | pages
        yield Checkpoint(self._cursor(drive, link, gone, False))

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        drive = self._connect()
        self._fetched.add(key)
        kind, _, ident = key.partition("/")
        try:
            if kind == "page" and self.options.pages:
                return self._page(drive, ident, None, stored.url if stored else None)
            if kind != "file":
                return Removed(key, "no longer synced (pages = false)")
            item = self.graph.json(f"drives/{drive.id}/items/{ident}?$select={ITEM_FIELDS}", passthrough=GONE)
        except FetchFailed as exc:
            return Failed(key, stored.url if stored else None, str(exc))
        if "_status" in item:
            return Removed(key, "deleted in SharePoint, or no longer visible to the app")
        change = self._item(item, drive, {key: stored} if stored else {}, again=True)
        return change or Removed(key, "not a file type Lorebot reads")

    def keys(self) -> Iterable[str]:
        if self._live is None:
            raise ListingIncomplete("the changes were not read to the end")
        return self._live

    def audience(self) -> Audience | None:
        """Who may read the library: its root's permissions. None when Graph will not show them (403)."""
        drive = self._connect()
        try:
            answer = self.graph.json(f"drives/{drive.id}/root/permissions", passthrough=frozenset({403}))
        except FetchFailed as exc:
            raise SourceUnavailable(f"cannot read who may read {self._where()}: {exc}") from None
        if "_status" in answer:
            return None
        emails, groups, anyone = set(), set(), False
        for permission in answer.get("value") or []:
            if (permission.get("link") or {}).get("scope") in ("organization", "anonymous"):
                anyone = True
            for identity in _identities(permission):
                user, group = identity.get("user"), identity.get("group") or identity.get("siteGroup")
                if user and user.get("email"):
                    emails.add(user["email"].lower())
                elif group:
                    label = (group.get("email") or group.get("displayName") or "").strip()
                    if label.lower() in EVERYONE:
                        anyone = True
                    elif label:
                        groups.add(label)
        return Audience(emails=frozenset(emails), groups=frozenset(groups), anyone=anyone)

    def close(self) -> None:
        self.session.close()

    # -- files ------------------------------------------------------------------------------------------------
    def _item(self, item: dict, drive: _Drive, stored: Mapping[str, Stored], *, again: bool = False) -> Change | None:
        """What one delta item means: a folder noted (for ``folder``), a file removed, unchanged or read."""
        key = f"file/{item.get('id')}"
        parent = (item.get("parentReference") or {}).get("id")
        inside = drive.folders is None or parent in drive.folders or item.get("id") in drive.folders
        if "folder" in item or "root" in item:
            if drive.folders is not None and not item.get("deleted"):
                (drive.folders.add if inside else drive.folders.discard)(item["id"])
            return None
        if item.get("deleted") is not None:
            return Removed(key, "deleted in SharePoint") if key in stored else None
        media_type = media_type_of(item.get("name") or "")
        if not inside or media_type is None:
            why = "moved out of the synced folder" if not inside else "renamed to a type Lorebot does not read"
            return Removed(key, why) if key in stored else None
        if key in self._fetched and not again:
            return Unchanged(key)  # read a moment ago as an earlier failure; the engine has it
        version = f"{item.get('cTag') or item.get('eTag')}|{item.get('name')}"
        previous = stored.get(key)
        same = previous is not None and previous.version == version
        if same and not item.get("@microsoft.graph.sharedChanged"):
            return Unchanged(key, version)
        url = item.get("webUrl")
        try:
            access = self._access(drive, item["id"])
            if same and not access.restricted:
                return Unchanged(key, version)  # shared differently, still as widely as its library
            data = b"" if access.restricted else self.graph.get(f"drives/{drive.id}/items/{item['id']}/content").content
        except FetchFailed as exc:
            return Failed(key, url, f"cannot download it: {exc}")
        by = ((item.get("lastModifiedBy") or {}).get("user") or {}).get("displayName")
        return SourceDocument(key=key, data=data, media_type=media_type, title=item["name"].rsplit(".", 1)[0],
                              url=url, modified=_moment(item.get("lastModifiedDateTime")), author=by,
                              version=version, access=access)

    def _access(self, drive: _Drive, ident: str) -> Access:
        """Restricted when the file's permissions are its own and leave out someone the library grants."""
        try:
            answer = self.graph.json(f"drives/{drive.id}/items/{ident}/permissions", passthrough=frozenset({403, 404}))
        except FetchFailed as exc:
            raise FetchFailed(f"its permissions could not be read ({exc})", exc.status) from None
        if "_status" in answer:
            return Access(restricted=True, detail=f"its permissions are hidden from the app (HTTP {answer['_status']})")
        permissions = answer.get("value") or []
        if any(permission.get("inheritedFrom") for permission in permissions):
            return OPEN
        if any((permission.get("link") or {}).get("scope") == "organization" for permission in permissions):
            return OPEN
        own = _grantees(permissions)
        missing = self._library_grants(drive) - own
        if not missing:
            return OPEN
        count = len(own)
        return Access(restricted=True, detail=f"shared with {count} {'grantee' if count == 1 else 'grantees'} "
                                              "of its own, fewer than its library")

    def _library_grants(self, drive: _Drive) -> frozenset[str]:
        if self._root_grants is None:
            answer = self.graph.json(f"drives/{drive.id}/root/permissions")
            self._root_grants = frozenset(_grantees(answer.get("value") or []))
        return self._root_grants

    # -- site pages -------------------------------------------------------------------------------------------
    def _site_pages(self, drive: _Drive, stored: Mapping[str, Stored]) -> Iterator[Change]:
        try:
            for page in self.graph.pages(f"sites/{drive.site}/pages?$select=id,title,eTag,webUrl,"
                                         "lastModifiedDateTime"):
                for listed in page.get("value") or []:
                    key = f"page/{listed['id']}"
                    previous = stored.get(key)
                    if key in self._fetched or (previous is not None and previous.version == listed.get("eTag")):
                        yield Unchanged(key)
                        continue
                    yield self._page(drive, listed["id"], listed.get("eTag"), self._page_url(drive, listed))
        except FetchFailed as exc:
            hint = " (a site without pages, such as a OneDrive: set pages = false)" if exc.status in (403, 404) else ""
            raise SourceUnavailable(f"cannot list the pages of {self.options.site}: {exc}{hint}") from None

    def _page(self, drive: _Drive, ident: str, version: str | None, url: str | None) -> Change:
        key = f"page/{ident}"
        try:
            page = self.graph.json(f"sites/{drive.site}/pages/{ident}/microsoft.graph.sitePage"
                                   "?$expand=canvasLayout", passthrough=GONE)
        except FetchFailed as exc:
            return Failed(key, url, str(exc))
        if "_status" in page:
            return Removed(key, "deleted from the site")
        html = "".join(part.get("innerHtml") or "" for part in _web_parts(page.get("canvasLayout") or {}))
        text = storage_to_markdown(html)
        if not text:
            return Removed(key, "the page has no text")
        title = page.get("title") or page.get("name") or ident
        by = ((page.get("lastModifiedBy") or {}).get("user") or {}).get("displayName")
        return SourceDocument(key=key, data=f"# {title}\n\n{text}".encode(), media_type="text/markdown", title=title,
                              url=self._page_url(drive, page) or url, author=by, version=version or page.get("eTag"),
                              modified=_moment(page.get("lastModifiedDateTime")))

    @staticmethod
    def _page_url(drive: _Drive, page: dict) -> str | None:
        """A page's address: Graph gives it relative to the site (``SitePages/Leave.aspx``)."""
        web = page.get("webUrl")
        return urljoin(drive.site_url.rstrip("/") + "/", web) if web else None

    # -- talking to Graph -------------------------------------------------------------------------------------
    def _connect(self) -> _Drive:
        """Find the site, its library and the folder once a run; a wrong name stops the run and says which."""
        if self._drive is not None:
            return self._drive
        site_address = urlparse(self.options.site)
        path = site_address.path.strip("/")
        try:
            site = self.graph.json(f"sites/{site_address.hostname}" + (f":/{quote(path)}" if path else ""))
            if self.options.drive is None:
                drive = self.graph.json(f"sites/{site['id']}/drive")
            else:
                drives = [d for page in self.graph.pages(f"sites/{site['id']}/drives") for d in page.get("value") or []]
                drive = next((d for d in drives if d.get("name") == self.options.drive), None)
                if drive is None:
                    names = ", ".join(sorted(d.get("name", "") for d in drives)) or "none"
                    raise SourceUnavailable(f"{self.options.site} has no document library named "
                                            f"{self.options.drive!r} (it has: {names})")
            folders = self._folders(drive["id"]) if self.options.folder else None
        except FetchFailed as exc:
            reason = {401: "the app was refused (check its secret)", 403: "the app may not read it (grant "
                      "Sites.Read.All and give admin consent)", 404: "not found"}.get(exc.status, str(exc))
            raise SourceUnavailable(f"cannot open {self._where()}: {reason}") from None
        scope = drive["id"] + "|" + (min(folders) if folders else "")
        self._drive = _Drive(site["id"], site.get("webUrl") or self.options.site, drive["id"], folders, scope)
        return self._drive

    def _folders(self, drive: str) -> set[str]:
        """The synced folder and every folder below it, by id (delta answers name a file's parent only by id)."""
        top = self.graph.json(f"drives/{drive}/root:/{quote(self.options.folder)}")
        found, waiting = {top["id"]}, [top["id"]]
        while waiting:
            for page in self.graph.pages(f"drives/{drive}/items/{waiting.pop()}/children?$select=id,folder"):
                for child in page.get("value") or []:
                    if "folder" in child and child["id"] not in found:
                        found.add(child["id"])
                        waiting.append(child["id"])
        return found

    def _resume(self, cursor: str | None, drive: _Drive, stored: Mapping[str, Stored]) -> tuple[str | None, set[str]]:
        """The delta link a cursor holds (None: from scratch, for a cursor of another library or folder, or a
        full listing cut short), and the files it reported deleted that are still stored."""
        try:
            position = json.loads(cursor) if cursor else {}
        except ValueError:
            position = {}
        if not isinstance(position, dict) or position.get("scope") != drive.scope:
            return None, set()
        gone = {key for key in position.get("gone") or () if key in stored}
        return (None if position.get("again") else position.get("link") or None), gone

    @staticmethod
    def _cursor(drive: _Drive, link: str, gone: set[str], again: bool) -> str:
        return json.dumps({"scope": drive.scope, "link": link, "gone": sorted(gone), "again": again})

    def _where(self) -> str:
        folder = f", folder {self.options.folder}" if self.options.folder else ""
        return f"{self.options.site} (library {self.options.drive or 'default'}{folder})"


def _identities(permission: dict) -> list[dict]:
    return [identity for identity in [permission.get("grantedToV2"), *(permission.get("grantedToIdentitiesV2") or [])]
            if identity]


def _grantees(permissions: list[dict]) -> set[str]:
    """Who the permissions name, as comparable ids (sharing links aside)."""
    found = set()
    for permission in permissions:
        for identity in _identities(permission):
            for kind in ("user", "group", "siteGroup", "siteUser"):
                if (identity.get(kind) or {}).get("id"):
                    found.add(f"{kind}:{identity[kind]['id']}")
    return found


def _web_parts(layout: dict) -> Iterator[dict]:
    for section in layout.get("horizontalSections") or []:
        for column in section.get("columns") or []:
            yield from column.get("webparts") or []
    yield from (layout.get("verticalSection") or {}).get("webparts") or []


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None
    except ValueError:
        return None
