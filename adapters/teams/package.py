"""The Teams app package for sideloading: manifest.json with the bot's app id and the publisher's privacy and
terms pages filled in, plus the two icons, zipped flat (Teams expects the three files at the root of the zip).

Teams rejects a package whose ids or URLs are malformed only at upload, with little explanation, so they are
checked here first."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import ConfigError

MANIFEST_DIR = Path(__file__).parent / "manifest"
PLACEHOLDER = "{{MICROSOFT_APP_ID}}"
ICONS = ("color.png", "outline.png")
PROJECT_URL = "https://github.com/lorebot/lorebot"
DEFAULT_PRIVACY_URL = f"{PROJECT_URL}#security-and-privacy"  # README's "Security and privacy" section
DEFAULT_TERMS_URL = f"{PROJECT_URL}/blob/main/LICENSE"
MAX_URL = 2048  # the manifest schema's limit
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_app_id(app_id: str | None) -> str:
    """The bot's Microsoft App ID, trimmed; a malformed or all-zero id is refused in one line."""
    app_id = (app_id or "").strip()
    if not _GUID.match(app_id):
        raise ConfigError(f"the Microsoft App ID must be a GUID like 1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b (Azure "
                          f"portal > your bot > Configuration), got {app_id!r}")
    if not app_id.strip("0-"):
        raise ConfigError("the Microsoft App ID is all zeros, a placeholder: use your bot's own id (Azure portal > "
                          "your bot > Configuration)")
    return app_id


def check_https_url(url: str, option: str) -> str:
    """A URL Teams accepts in the manifest: https, with a host, at most MAX_URL characters."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or " " in url or len(url) > MAX_URL:
        raise ConfigError(f"{option} must be an https:// address of a page people can open, got {url!r}")
    return url


def build_teams_package(app_id: str, output_path: Path, *, privacy_url: str | None = None,
                        terms_url: str | None = None) -> Path:
    """Write the zip to ``output_path`` and return it; the app id must be the bot's Microsoft App ID (a GUID).
    ``privacy_url`` and ``terms_url`` are the pages Teams links from the app's details (None: Lorebot's own)."""
    app_id = check_app_id(app_id)
    privacy_url = check_https_url(DEFAULT_PRIVACY_URL if privacy_url is None else privacy_url, "--privacy-url")
    terms_url = check_https_url(DEFAULT_TERMS_URL if terms_url is None else terms_url, "--terms-url")
    template = (MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(template.replace(PLACEHOLDER, app_id))  # must still be valid JSON
    manifest["developer"].update(privacyUrl=privacy_url, termsOfUseUrl=terms_url)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for icon in ICONS:
            bundle.write(MANIFEST_DIR / icon, arcname=icon)
    partial.replace(output_path)
    return output_path
