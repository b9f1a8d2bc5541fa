"""A small Microsoft Graph client for one sync run: an app-only token, GETs with retries, and paging.

The token is the client-credentials grant of an Entra app registration (``scope = https://graph.microsoft.com/
.default``). Against Microsoft's sign-in service (an https ``login_url``, as always in production) MSAL's
``ConfidentialClientApplication`` fetches and caches it. MSAL accepts only https authorities, so against an http
``login_url`` (a loopback stand-in in tests) the same grant is one plain form POST to
``{login_url}/{tenant}/oauth2/v2.0/token``, cached until a minute before it expires. Either way a 401 from Graph
drops the token and asks again once: a token revoked or rotated mid-run costs one request, not the run.

Every GET goes through ``retrying.get``: a 429 or 503 is waited for as its ``Retry-After`` says, a 500 or an
empty 2xx body is retried with backoff. The bearer token is sent only to Graph's own origin (a ``nextLink`` that
points elsewhere is refused), and neither the secret nor the token ever appears in a message.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator
from urllib.parse import urlparse

import requests

from knowledge.sources.retrying import FetchFailed, RetryPolicy, get, with_retries
from knowledge.sources.source import SourceUnavailable

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
EARLY = 60.0  # seconds before its expiry a token is taken for expired


class AppToken:
    """The app's bearer token for Graph, fetched when first needed and again when it expires or is refused."""

    def __init__(self, login_url: str, tenant: str, client_id: str, secret: str, session: requests.Session,
                 policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.authority = f"{login_url.rstrip('/')}/{tenant}"
        self.client_id, self._secret, self.session, self.policy, self.clock = client_id, secret, session, policy, clock
        self._token: str | None = None
        self._expires = 0.0
        self._msal = None

    def value(self) -> str:
        if self._token is None or self.clock() >= self._expires:
            self._token, lifetime = (self._from_msal() if urlparse(self.authority).scheme == "https"
                                     else self._from_form())
            self._expires = self.clock() + max(0.0, lifetime - EARLY)
        return self._token

    def refresh(self) -> None:
        """Forget the token (Graph refused it): the next ``value`` asks for a new one."""
        self._token = None
        if self._msal is not None:
            self._msal.remove_tokens_for_client()

    def _from_msal(self) -> tuple[str, float]:
        import msal

        if self._msal is None:
            self._msal = msal.ConfidentialClientApplication(
                self.client_id, client_credential=self._secret, authority=self.authority, http_client=self.session,
                timeout=self.policy.timeout, instance_discovery=False)  # the authority is the configured one
        answer = with_retries(lambda: self._msal.acquire_token_for_client(scopes=[GRAPH_SCOPE]), self.policy)
        return self._token_of(answer)

    def _from_form(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret,
                "scope": GRAPH_SCOPE}

        def attempt() -> dict:
            response = self.session.post(f"{self.authority}/oauth2/v2.0/token", data=form,
                                         timeout=self.policy.timeout)
            if response.status_code >= 500 or response.status_code == 429:
                response.raise_for_status()
            try:
                return response.json()
            except ValueError:
                raise FetchFailed(f"the sign-in service answered HTTP {response.status_code} without JSON") from None

        return self._token_of(with_retries(attempt, self.policy))

    def _token_of(self, answer: dict) -> tuple[str, float]:
        if "access_token" not in answer:
            raise SourceUnavailable(f"Microsoft sign-in at {self.authority} refused app {self.client_id}: "
                                    f"{answer.get('error') or 'no token'} (check tenant_id, client_id and the "
                                    "secret's variable)")
        return answer["access_token"], float(answer.get("expires_in") or 3600)


class Graph:
    """GETs to Graph with the app's token; ``FetchFailed`` (with its status) when one cannot be had."""

    def __init__(self, base: str, token: AppToken, session: requests.Session, policy: RetryPolicy) -> None:
        self.base, self.token, self.session, self.policy = base.rstrip("/"), token, session, policy
        parts = urlparse(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}/"

    def get(self, path: str, *, passthrough: frozenset[int] = frozenset(),
            headers: dict[str, str] | None = None) -> requests.Response:
        """``path`` below the base (or an absolute Graph address, such as a ``nextLink``)."""
        url = path if "://" in path else self.base + "/" + path.lstrip("/")
        if not url.startswith(self.origin):
            raise FetchFailed("Graph pointed to an address outside Graph; not followed")
        for attempt in range(2):
            sent = {**(headers or {}), "Authorization": f"Bearer {self.token.value()}"}
            response = get(self.session, url, self.policy, headers=sent, passthrough=passthrough | {401, 403, 404})
            if response.status_code == 401 and attempt == 0:
                self.token.refresh()
                continue
            if response.status_code in (401, 403, 404) and response.status_code not in passthrough:
                raise FetchFailed(f"HTTP {response.status_code}", response.status_code)
            return response
        raise FetchFailed("HTTP 401", 401)  # not reached: the second 401 is raised above

    def json(self, path: str, *, passthrough: frozenset[int] = frozenset(),
             headers: dict[str, str] | None = None) -> dict:
        response = self.get(path, passthrough=passthrough, headers=headers)
        if response.status_code in passthrough:
            return {"_status": response.status_code}
        try:
            value = response.json()
        except ValueError:
            raise FetchFailed("Graph answered with something other than JSON") from None
        if not isinstance(value, dict):
            raise FetchFailed("Graph answered with something other than a JSON object")
        return value

    def pages(self, path: str) -> Iterator[dict]:
        """Each page of a collection, following ``@odata.nextLink`` to the end."""
        following: str | None = path
        while following:
            page = self.json(following)
            yield page
            following = page.get("@odata.nextLink")
