"""The Teams app package for sideloading: manifest.json with the bot's app id filled in, plus the two icons,
zipped flat (Teams expects the three files at the root of the zip)."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from bot.errors import ConfigError

MANIFEST_DIR = Path(__file__).parent / "manifest"
PLACEHOLDER = "{{MICROSOFT_APP_ID}}"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def build_teams_package(app_id: str, output_path: Path) -> Path:
    """Write the zip to ``output_path`` and return it; the app id must be the bot's Microsoft App ID (a GUID)."""
    app_id = (app_id or "").strip()
    if not _GUID.match(app_id):
        raise ConfigError(f"the Microsoft App ID must look like 00000000-0000-0000-0000-000000000000, got {app_id!r}")
    template = (MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(template.replace(PLACEHOLDER, app_id))  # must still be valid JSON
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for icon in ICONS:
            bundle.write(MANIFEST_DIR / icon, arcname=icon)
    partial.replace(output_path)
    return output_path
