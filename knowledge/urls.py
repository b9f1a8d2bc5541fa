"""Web addresses that are shown to people as links: only an absolute http(s) URL qualifies, because anything
else (a relative path, ``javascript:``, ``file:``) would be a broken or a hostile link in a chat answer."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_CHARACTERS = 2048  # what browsers and chat platforms reliably carry


def web_url(value: object) -> str | None:
    """``value`` stripped when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARACTERS or any(char.isspace() or not char.isprintable() for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url
