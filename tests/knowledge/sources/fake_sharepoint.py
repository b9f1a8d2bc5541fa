"""A loopback stand-in for Microsoft Graph (one SharePoint site) and the Entra sign-in service, recording requests.

It answers what the SharePoint source asks: the client-credentials token (a form POST, or MSAL's discovery and
token calls when served over TLS), the site by host and path, its drives, a folder by path and its children, the
driveItem delta (from scratch, or from a link: every change since it, deleted items included, without
``parentReference.path`` as on SharePoint), an item, its content (a 302 to a download address, as Graph does), its
permissions (inherited from the library unless the file has its own), the library's permissions, and the site's
pages with their canvas layouts. Tests edit the corpus (``add``, ``edit``, ``rename``, ``move``, ``delete``,
``share_only_with``, ``page``), script faults (``Fault`` from the Confluence fake: a status, a Retry-After, an
empty body), make delta links unknown (``forget_delta_links``: a 410), cap pages (``page_size``), hold every answer
(``gate``) or slow them (``delay``).
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.loopback import Answer, Fault, Incoming, StandIn, scripted  # noqa: F401 - Fault for the tests

TENANT = "6f1c2b7e-0000-4000-8000-00000000a11e"
CLIENT_ID = "3b9d0c6a-1111-4111-8111-000000000c1d"
SECRET = "fake-secret~Q8x.7Zp"
HOST = "acme.sharepoint.com"
SITE_ID = f"{HOST},1a2b3c4d-0000-0000-0000-000000000001,5e6f7a8b-0000-0000-0000-000000000002"
ROOT = "01ROOT"
LIBRARY = [{"id": "perm-owners", "roles": ["owner"],
            "grantedToV2": {"siteGroup": {"id": "3", "displayName": "HR Owners"}}},
           {"id": "perm-members", "roles": ["write"],
            "grantedToV2": {"group": {"id": "g-hr", "displayName": "HR Members", "email": "hr@acme.example"}}},
           {"id": "perm-carol", "roles": ["read"],
            "grantedToV2": {"user": {"id": "u-carol", "displayName": "Carol", "email": "Carol@acme.example"}}}]


@dataclass
class Item:
    id: str
    name: str
    parent: str
    folder: bool = False
    data: bytes = b""
    version: int = 1
    content_version: int = 1
    seq: int = 0  # the change number of its last change
    shared: int = 0  # the change number of its last sharing change (in a delta only when asked for)
    deleted: bool = False
    when: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    permissions: list[dict] | None = None  # its own (inheritance broken); None: the library's


@dataclass
class Page:
    id: str
    title: str
    html: str
    version: int = 1


@dataclass
class Request:
    method: str
    path: str  # below the server, e.g. "/v1.0/drives/D/root/delta"
    query: dict[str, str]
    authorization: str | None
    at: float
    prefer: str = ""
    status: int = 0


class FakeSharePoint(StandIn):
    def __init__(self, *, tls=None) -> None:
        self.items: dict[str, Item] = {ROOT: Item(ROOT, "root", "", folder=True)}
        self.pages: dict[str, Page] = {}
        self.drive_id = "b!drive-documents"
        self.page_size = 200
        self.oldest_link = 0  # delta links from before this change number answer 410
        self.tokens: set[str] = set()
        self.token_lifetime = 3599
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        super().__init__(tls=tls)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def site(self) -> str:
        return f"https://{HOST}/sites/HR"

    def options(self, **options) -> dict:
        return {"type": "sharepoint", "tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret_env": "SP_SECRET",
                "site": self.site, "graph_url": self.url + "/v1.0", "login_url": self.url, **options}

    # -- the corpus -------------------------------------------------------------------------------------------
    def folder(self, name: str, parent: str = ROOT) -> str:
        return self._new(Item(f"01F{next(self._ids):04d}", name, parent, folder=True))

    def add(self, name: str, data: bytes, parent: str = ROOT) -> str:
        return self._new(Item(f"01I{next(self._ids):04d}", name, parent, data=data))

    def edit(self, ident: str, data: bytes) -> None:
        with self._lock:
            item = self.items[ident]
            item.data, item.version, item.content_version = data, item.version + 1, item.content_version + 1
            self._touch(item)

    def rename(self, ident: str, name: str) -> None:
        with self._lock:
            item = self.items[ident]
            item.name, item.version = name, item.version + 1
            self._touch(item)

    def move(self, ident: str, parent: str) -> None:
        with self._lock:
            item = self.items[ident]
            item.parent, item.version = parent, item.version + 1
            self._touch(item)

    def delete(self, ident: str) -> None:
        with self._lock:
            self.items[ident].deleted = True
            self._touch(self.items[ident])

    def share_only_with(self, ident: str, *emails: str) -> None:
        """Break inheritance and grant only these people: no new version, and in a delta only when asked."""
        with self._lock:
            item = self.items[ident]
            item.permissions = [{"id": f"perm-{email}", "roles": ["read"],
                                 "grantedToV2": {"user": {"id": f"u-{email}", "email": email}}} for email in emails]
            item.shared = next(self._seq)

    def page(self, title: str, html: str) -> str:
        ident = f"pg-{next(self._ids):04d}"
        with self._lock:
            self.pages[ident] = Page(ident, title, html)
        return ident

    def edit_page(self, ident: str, html: str) -> None:
        with self._lock:
            self.pages[ident].html, self.pages[ident].version = html, self.pages[ident].version + 1

    def forget_delta_links(self) -> None:
        """Every delta link handed out so far answers 410 Gone (resyncRequired)."""
        with self._lock:
            self.oldest_link = next(self._seq)

    def _new(self, item: Item) -> str:
        with self._lock:
            self.items[item.id] = item
            self._touch(item)
        return item.id

    def _touch(self, item: Item) -> None:
        item.seq, item.when = next(self._seq), datetime.now(timezone.utc)

    # -- what was asked ----------------------------------------------------------------------------------------
    def downloads(self) -> list[str]:
        return [r.path.split("/")[-1] for r in self.requests if r.path.startswith("/download/") and r.status == 200]

    def count(self, fragment: str) -> int:
        return sum(fragment in request.path for request in self.requests)

    # -- answering ----------------------------------------------------------------------------------------------
    def _answer(self, incoming: Incoming) -> Answer:
        self._held()
        parts = urlsplit(incoming.target)
        request = Request(incoming.method, unquote(parts.path), dict(parse_qsl(parts.query)),
                          incoming.headers.get("Authorization"), time.monotonic(),
                          incoming.headers.get("Prefer", ""))
        return self._recorded(request, lambda request: self._respond(request, incoming.body))

    def _respond(self, request: Request, body: bytes) -> Answer:
        fault = scripted(self.hooks, self.faults, request)
        if fault is not None:
            payload = fault.body if fault.body is not None else json.dumps(
                {"error": {"code": "fault", "message": "scripted"}}).encode()
            return fault.status, payload, {"Content-Type": "application/json", **fault.headers}
        path = request.path
        if path.startswith(f"/{TENANT}/"):
            return self._login(path.removeprefix(f"/{TENANT}"), dict(parse_qsl(body.decode())))
        if path.startswith("/download/"):
            item = self.items.get(path.rsplit("/", 1)[1])
            return (200, item.data, {"Content-Type": "application/octet-stream"}) if item else _json(404, {})
        if not path.startswith("/v1.0/"):
            return _json(404, {"error": {"code": "itemNotFound"}})
        if (request.authorization or "").removeprefix("Bearer ") not in self.tokens:
            return _json(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
        return self._graph(path.removeprefix("/v1.0"), request)

    def _login(self, path: str, form: dict[str, str]) -> Answer:
        base = f"{self.url}/{TENANT}"
        if path == "/v2.0/.well-known/openid-configuration":
            return _json(200, {"token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": f"{base}/v2.0",
                               "authorization_endpoint": f"{base}/oauth2/v2.0/authorize"})
        if path != "/oauth2/v2.0/token":
            return _json(404, {"error": "not_found"})
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, SECRET):
            return _json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client "
                                                                                 "secret provided."})
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "https://graph.microsoft.com/.default":
            return _json(400, {"error": "invalid_request"})
        token = f"eyJ0-token-{next(self._ids)}"
        self.tokens.add(token)
        return _json(200, {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token})

    def _graph(self, path: str, request: Request) -> Answer:
        drive = f"/drives/{self.drive_id}"
        if path == f"/sites/{HOST}:/sites/HR":
            return _json(200, {"id": SITE_ID, "name": "HR", "webUrl": self.site, "displayName": "Human Resources"})
        if path == f"/sites/{SITE_ID}/drive":
            return _json(200, self._drive())
        if path == f"/sites/{SITE_ID}/drives":
            return _json(200, {"value": [self._drive(), {"id": "b!drive-archive", "name": "Archive"}]})
        if path == f"{drive}/root/delta":
            return self._delta(request)
        if path == f"{drive}/root/permissions":
            return _json(200, {"value": LIBRARY})
        if path.startswith(f"{drive}/root:/"):
            return self._by_path(path.removeprefix(f"{drive}/root:/"))
        if path.startswith(f"{drive}/items/"):
            return self._item_request(path.removeprefix(f"{drive}/items/").split("/"), request)
        if path == f"/sites/{SITE_ID}/pages":
            return self._paged(request, [{"id": p.id, "title": p.title, "eTag": f'"{p.id},{p.version}"',
                                          "webUrl": f"SitePages/{p.id}.aspx"} for p in self.pages.values()])
        if path.startswith(f"/sites/{SITE_ID}/pages/") and path.endswith("/microsoft.graph.sitePage"):
            page = self.pages.get(path.split("/")[4])
            if page is None:
                return _json(404, {"error": {"code": "itemNotFound"}})
            return _json(200, self._site_page(page))
        return _json(404, {"error": {"code": "itemNotFound", "message": path}})

    def _drive(self) -> dict:
        return {"id": self.drive_id, "name": "Documents", "driveType": "documentLibrary"}

    def _item_request(self, parts: list[str], request: Request) -> Answer:
        item = self.items.get(parts[0])
        if item is None or item.deleted:
            return _json(404, {"error": {"code": "itemNotFound"}})
        if len(parts) == 1:
            return _json(200, self._item(item))
        if parts[1] == "content":
            return 302, b"", {"Location": f"{self.url}/download/{item.id}"}
        if parts[1] == "permissions":
            if item.permissions is None:
                return _json(200, {"value": [{**p, "inheritedFrom": {"driveId": self.drive_id, "id": ROOT}}
                                             for p in LIBRARY]})
            return _json(200, {"value": item.permissions})
        if parts[1] == "children":
            return self._paged(request, [self._item(child) for child in self.items.values()
                                         if child.parent == item.id and not child.deleted])
        return _json(404, {"error": {"code": "itemNotFound"}})

    def _by_path(self, path: str) -> Answer:
        current = self.items[ROOT]
        for name in filter(None, path.split("/")):
            current = next((i for i in self.items.values() if i.parent == current.id and i.name == name
                            and not i.deleted), None)
            if current is None:
                return _json(404, {"error": {"code": "itemNotFound"}})
        return _json(200, self._item(current))

    def _delta(self, request: Request) -> Answer:
        since = int(request.query.get("token", "0"))
        if since and since < self.oldest_link:
            return _json(410, {"error": {"code": "resyncRequired", "message": "Resync required."}})
        at = int(request.query.get("at", "0")) or next(self._seq)
        sharing = "deltashowsharingchanges" in request.prefer and since > 0
        changed = sorted((i for i in self.items.values() if (i.seq > since or sharing and i.shared > since)
                          and not (since == 0 and i.deleted)), key=lambda i: (not i.folder, i.seq))
        skip = int(request.query.get("skip", "0"))
        chunk = changed[skip:skip + self.page_size]
        answer: dict = {"value": [self._item(item, delta=True) for item in chunk]}
        for item, data in zip(chunk, answer["value"]):
            if sharing and item.shared > since:
                data["@microsoft.graph.sharedChanged"] = "True"
        base = f"{self.url}/v1.0/drives/{self.drive_id}/root/delta"
        if skip + len(chunk) < len(changed):
            answer["@odata.nextLink"] = f"{base}?token={since}&at={at}&skip={skip + len(chunk)}"
        else:
            answer["@odata.deltaLink"] = f"{base}?token={at}"
        return _json(200, answer)

    def _paged(self, request: Request, values: list[dict]) -> Answer:
        skip = int(request.query.get("skip", "0"))
        answer: dict = {"value": values[skip:skip + self.page_size]}
        if skip + self.page_size < len(values):
            answer["@odata.nextLink"] = f"{self.url}{request.path}?skip={skip + self.page_size}"
        return _json(200, answer)

    def _item(self, item: Item, delta: bool = False) -> dict:
        data: dict = {"id": item.id, "name": item.name, "eTag": f'"{{{item.id}}},{item.version}"',
                      "lastModifiedDateTime": item.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "webUrl": f"{self.site}/Shared%20Documents/{item.name}",
                      "parentReference": {"driveId": self.drive_id, "id": item.parent}}
        if item.id == ROOT:
            data["root"], data["folder"] = {}, {"childCount": 0}
            del data["parentReference"]
        elif item.folder:
            data["folder"] = {"childCount": 0}
        else:
            data["cTag"] = f'"c:{{{item.id}}},{item.content_version}"'
            data["file"] = {"mimeType": "application/octet-stream"}
            data["lastModifiedBy"] = {"user": {"displayName": "Alice Example"}}
        if item.deleted:
            data = {"id": item.id, "deleted": {"state": "deleted"},
                    "parentReference": {"driveId": self.drive_id, "id": item.parent}}
        if not delta and "parentReference" in data:
            data["parentReference"]["path"] = "/drive/root:"  # delta answers leave it out on SharePoint
        return data

    def _site_page(self, page: Page) -> dict:
        parts = [{"id": "wp-1", "innerHtml": html} for html in page.html.split("<!--part-->")]
        return {"id": page.id, "title": page.title, "name": f"{page.id}.aspx", "webUrl": f"SitePages/{page.id}.aspx",
                "eTag": f'"{page.id},{page.version}"', "lastModifiedDateTime": "2026-01-05T10:00:00Z",
                "canvasLayout": {"horizontalSections": [{"id": "1", "columns": [{"id": "1", "webparts": parts}]}]}}


def _json(status: int, payload: dict) -> Answer:
    return status, json.dumps(payload).encode(), {"Content-Type": "application/json"}
