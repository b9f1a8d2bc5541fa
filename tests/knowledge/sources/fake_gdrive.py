"""A loopback stand-in for Google's OAuth token endpoint and the Drive v3 API, recording every request.

It answers what the Google Drive source asks through the real google-api-python-client and google-auth: the
token endpoint takes the JWT-bearer grant (the assertion's RS256 signature is checked against the service
account's public key) and hands out an access token, which every API call must carry. Files live in folders and
shared drives; a file's permissions are its own plus, unless its inherited sharing is off, its parent's. Every
change (``file``, ``edit``, ``move``, ``trash``, ``delete``, ``share``) is appended to a changes log read by
``changes.list`` from a page token, coalesced per file as Drive does. ``page_cap`` sends fewer results than asked
for; ``Fault`` scripts a status (with a Google error reason, a Retry-After); ``gate`` holds every answer and
``delay`` slows them down.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import Answer, Incoming, StandIn, scripted

FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
ACCOUNT = "lorebot-sync@lorebot-test.iam.gserviceaccount.com"


def new_private_key_pem() -> str:
    """An RSA private key in PEM, as a service account's JSON key holds it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@lru_cache(maxsize=1)
def private_key_pem() -> str:
    """The service account's key, one for the test session (making one takes a moment)."""
    return new_private_key_pem()


@dataclass
class Item:
    id: str
    name: str
    mime: str
    parents: list[str]
    data: bytes = b""
    version: int = 1
    modified: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    trashed: bool = False
    own: list[dict] = field(default_factory=list)  # permissions set on the item itself
    inherit: bool = True  # False: inherited sharing turned off (limited access)
    drive: str | None = None  # the shared drive it lives in
    markdown_export: bool = True  # False: Drive answers 400 to a Markdown export of this Doc


@dataclass
class Request:
    method: str
    path: str  # below /drive/v3, or /token
    query: dict[str, str]
    authorization: str | None
    at: float
    status: int = 0

    @property
    def kind(self) -> str:
        if self.path == "/token":
            return "token"
        if self.path == "/changes/startPageToken":
            return "start"
        if self.path == "/changes":
            return "changes"
        if self.path == "/files":
            return "list"
        if self.path.endswith("/export"):
            return "export"
        if self.path.endswith("/permissions"):
            return "permissions"
        if self.query.get("alt") == "media":
            return "download"
        return "get"

    @property
    def file(self) -> str:
        return self.path.split("/")[2] if self.path.startswith("/files/") else ""


@dataclass
class Fault:
    """Answer requests that ``matches`` with ``status`` ``times`` times (None: always), as Google writes errors."""

    matches: Callable[[Request], bool]
    status: int = 500
    times: int | None = 1
    reason: str = "backendError"
    headers: dict[str, str] = field(default_factory=dict)


class FakeDrive(StandIn):
    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, Item] = {}
        self.deleted: set[str] = set()
        self.log: list[tuple[int, str]] = []  # (change number, file id)
        self._numbers = itertools.count(1)
        self._ids = itertools.count(1001)
        self.tokens: set[str] = set()
        self.subjects: list[str | None] = []  # the JWT's sub, per token granted
        self.page_cap: int | None = None
        self.my_drive = self._add(Item("my-drive", "My Drive", FOLDER, []))

    @property
    def url(self) -> str:
        return self.server.url + "/"

    def key_json(self, pem: str | None = None) -> str:
        """A service account's JSON key, its ``token_uri`` pointing here."""
        return json.dumps({"type": "service_account", "project_id": "lorebot-test", "private_key_id": "k1",
                           "private_key": pem or private_key_pem(), "client_email": ACCOUNT,
                           "client_id": "1001", "token_uri": self.server.url + "/token"})

    # -- the corpus -------------------------------------------------------------------------------------------
    def _add(self, item: Item) -> str:
        with self._lock:
            self.items[item.id] = item
            self._changed(item.id)
        return item.id

    def _changed(self, ident: str) -> None:
        self.log.append((next(self._numbers), ident))

    def _new_id(self) -> str:
        return f"id{next(self._ids)}"

    def folder(self, name: str, parent: str | None = None, *, people: tuple[str, ...] = (),
               groups: tuple[str, ...] = (), inherit: bool = True) -> str:
        parent = parent or self.my_drive
        return self._add(Item(self._new_id(), name, FOLDER, [parent], own=self._permissions(people, groups),
                              inherit=inherit, drive=self.items[parent].drive))

    def shared_drive(self, name: str, *, people: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> str:
        ident = "drive" + self._new_id()
        return self._add(Item(ident, name, FOLDER, [], own=self._permissions(people, groups), drive=ident))

    def file(self, name: str, data: bytes, mime: str, parent: str, *, people: tuple[str, ...] = (),
             inherit: bool = True) -> str:
        return self._add(Item(self._new_id(), name, mime, [parent], data=data, own=self._permissions(people, ()),
                              inherit=inherit, drive=self.items[parent].drive))

    def doc(self, name: str, markdown: str, parent: str, **options) -> str:
        return self.file(name, markdown.encode(), DOC, parent, **options)

    def edit(self, ident: str, data: bytes | None = None, *, name: str | None = None) -> None:
        with self._lock:
            item = self.items[ident]
            item.data = item.data if data is None else data
            item.name = name or item.name
            item.version += 1
            item.modified = datetime.now(timezone.utc)
            self._changed(ident)

    def move(self, ident: str, parent: str) -> None:
        with self._lock:
            self.items[ident].parents = [parent]
            self.items[ident].version += 1
            self._changed(ident)

    def trash(self, ident: str) -> None:
        with self._lock:
            self.items[ident].trashed = True
            self.items[ident].version += 1
            self._changed(ident)

    def delete(self, ident: str) -> None:
        with self._lock:
            del self.items[ident]
            self.deleted.add(ident)
            self._changed(ident)

    def limit(self, ident: str, people: tuple[str, ...]) -> None:
        """Turn the item's inherited sharing off and share it with ``people`` only (Drive's limited access)."""
        with self._lock:
            item = self.items[ident]
            item.inherit, item.own = False, self._permissions(people, ())
            item.version += 1
            self._changed(ident)

    def _permissions(self, people, groups) -> list[dict]:
        return ([{"id": f"p-{person}", "type": "user", "emailAddress": person, "role": "reader"} for person in people]
                + [{"id": f"g-{group}", "type": "group", "emailAddress": group, "role": "reader"} for group in groups])

    def effective(self, item: Item) -> list[dict]:
        inherited = []
        if item.inherit:
            for parent in item.parents:
                if parent in self.items:
                    inherited += self.effective(self.items[parent])
        seen, permissions = set(), []
        for permission in item.own + inherited:
            if permission["id"] not in seen:
                seen.add(permission["id"])
                permissions.append(permission)
        return permissions

    # -- what was asked ----------------------------------------------------------------------------------------
    def of_kind(self, *kinds: str) -> list[Request]:
        return [request for request in self.requests if request.kind in kinds]

    def contents_sent(self) -> list[str]:
        """The ids whose content was sent (downloads and exports that answered 200)."""
        return [request.file for request in self.of_kind("download", "export") if request.status == 200]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for request in self.requests:
            counted[request.kind] = counted.get(request.kind, 0) + 1
        return counted

    # -- answering ----------------------------------------------------------------------------------------------
    def _answer(self, incoming: Incoming) -> Answer:
        self._held()
        parts = urlsplit(incoming.target)
        path = parts.path.removeprefix("/drive/v3")
        query = dict(parse_qsl(parts.query))
        if incoming.method == "POST" and path == "/token":
            query = dict(parse_qsl(incoming.body.decode()))
        request = Request(incoming.method, path, query, incoming.headers.get("Authorization"), time.monotonic())
        return self._recorded(request, self._respond)

    def _respond(self, request: Request) -> Answer:
        if request.kind == "token":
            return self._grant(request.query)
        if request.authorization is None or request.authorization.removeprefix("Bearer ") not in self.tokens:
            return _error(401, "authError", "Invalid Credentials")
        fault = scripted(self.hooks, self.faults, request)
        if fault is not None:
            status, body, headers = _error(fault.status, fault.reason, "fault")
            return status, body, {**headers, **fault.headers}
        path, query = request.path, request.query
        if path == "/changes/startPageToken":
            return _json(200, {"startPageToken": str(len(self.log) + 1)})
        if path == "/changes":
            return self._changes(query)
        if path == "/files":
            return self._list(query)
        if match := re.fullmatch(r"/files/([^/]+)(/export|/permissions)?", path):
            item = self.items.get(match.group(1))
            if item is None:
                return _error(404, "notFound", f"File not found: {match.group(1)}.")
            if match.group(2) == "/export":
                return self._export(item, query.get("mimeType", ""))
            if match.group(2) == "/permissions":
                return _json(200, {"permissions": self.effective(item)})
            if query.get("alt") == "media":
                if item.mime.startswith("application/vnd.google-apps."):
                    return _error(403, "fileNotDownloadable", "Only files with binary content can be downloaded")
                return 200, item.data, {"Content-Type": item.mime}
            return _json(200, self._metadata(item))
        return _error(404, "notFound", "not found")

    def _grant(self, form: dict[str, str]) -> Answer:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _json(400, {"error": "unsupported_grant_type"})
        claims = _verified(form.get("assertion", ""))
        if claims is None:
            return _json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        token = "ya29.fake-" + secrets.token_hex(8)
        self.tokens.add(token)
        self.subjects.append(claims.get("sub"))
        return _json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _size(self, query: dict[str, str]) -> int:
        size = int(query.get("pageSize", "100"))
        return min(size, self.page_cap) if self.page_cap else size

    def _list(self, query: dict[str, str]) -> Answer:
        match = re.fullmatch(r"'([^']+)' in parents and trashed=false", query.get("q", ""))
        if match is None:
            return _error(400, "invalid", "unsupported query")
        children = sorted((item for item in self.items.values()
                           if match.group(1) in item.parents and not item.trashed), key=lambda item: item.id)
        start, size = int(query.get("pageToken") or 0), self._size(query)
        answer: dict = {"files": [self._metadata(item) for item in children[start:start + size]]}
        if start + size < len(children):
            answer["nextPageToken"] = str(start + size)
        return _json(200, answer)

    def _changes(self, query: dict[str, str]) -> Answer:
        since, drive = int(query["pageToken"]), query.get("driveId")
        latest: dict[str, int] = {}
        for number, ident in self.log:
            if number >= since:
                latest[ident] = number
        entries = sorted((number, ident) for ident, number in latest.items()
                         if drive is None or (self.items.get(ident) and self.items[ident].drive == drive)
                         or (ident in self.deleted and drive is None))
        size = self._size(query)
        changes = [{"kind": "drive#change", "changeType": "file", "fileId": ident, "removed": ident not in self.items,
                    **({"file": self._metadata(self.items[ident])} if ident in self.items else {})}
                   for _, ident in entries[:size]]
        answer: dict = {"changes": changes}
        if len(entries) > size:
            answer["nextPageToken"] = str(entries[size][0])
        else:
            answer["newStartPageToken"] = str(len(self.log) + 1)
        return _json(200, answer)

    def _export(self, item: Item, mime: str) -> Answer:
        if item.mime == SHEET and mime == "text/csv":
            return 200, item.data, {"Content-Type": mime}
        if item.mime != DOC:
            return _error(403, "fileNotExportable", "Export only supports Docs Editors files.")
        if mime == "text/markdown" and item.markdown_export:
            return 200, item.data, {"Content-Type": mime}
        if mime == "text/html":
            return 200, _html(item.data.decode()), {"Content-Type": "text/html; charset=utf-8"}
        return _error(400, "badRequest", "The requested conversion is not supported.")

    def _metadata(self, item: Item) -> dict:
        link = (f"https://docs.google.com/document/d/{item.id}/edit" if item.mime == DOC
                else f"https://drive.google.com/file/d/{item.id}/view?usp=drivesdk")
        metadata = {"kind": "drive#file", "id": item.id, "name": item.name, "mimeType": item.mime,
                    "parents": item.parents, "trashed": item.trashed, "version": str(item.version),
                    "modifiedTime": item.modified.isoformat().replace("+00:00", "Z"), "webViewLink": link,
                    "permissionIds": [permission["id"] for permission in self.effective(item)],
                    "inheritedPermissionsDisabled": not item.inherit,
                    "lastModifyingUser": {"displayName": "Alice Example"}}
        if item.drive:
            metadata["driveId"] = item.drive
        if not item.mime.startswith("application/vnd.google-apps."):
            metadata["md5Checksum"] = hashlib.md5(item.data).hexdigest()
        return metadata


def _verified(assertion: str) -> dict | None:
    """The claims of a JWT signed with the service account's key; None when the signature does not hold."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        header, claims, signature = assertion.split(".")
        key = serialization.load_pem_private_key(private_key_pem().encode(), password=None).public_key()
        key.verify(_unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return json.loads(_unb64(claims))
    except (ValueError, InvalidSignature):
        return None


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _html(markdown: str) -> bytes:
    """What a Doc's HTML export looks like, near enough: headings and paragraphs."""
    parts = []
    for line in filter(None, (line.strip() for line in markdown.splitlines())):
        level = len(line) - len(line.lstrip("#"))
        parts.append(f"<h{level}>{line[level:].strip()}</h{level}>" if level else f"<p>{line}</p>")
    return f"<html><head><title>export</title></head><body>{''.join(parts)}</body></html>".encode()


def _json(status: int, body: dict) -> Answer:
    return status, json.dumps(body).encode(), {"Content-Type": "application/json"}


def _error(status: int, reason: str, message: str) -> Answer:
    return _json(status, {"error": {"code": status, "message": message,
                                    "errors": [{"domain": "global", "reason": reason, "message": message}]}})
