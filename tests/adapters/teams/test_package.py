"""The Teams app package for sideloading."""
from __future__ import annotations

import json
import struct
import zipfile

import pytest

from adapters.teams.package import build_teams_package
from bot.errors import ConfigError

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_package_holds_the_filled_manifest_and_both_icons(tmp_path):
    path = build_teams_package(APP_ID, tmp_path / "out" / "lorebot-teams.zip")
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(bundle.read("manifest.json"))
        assert png_size(bundle.read("color.png")) == (192, 192)
        assert png_size(bundle.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert "{{" not in json.dumps(manifest)
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert not list(tmp_path.joinpath("out").glob("*.partial"))


def test_a_wrong_app_id_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="Microsoft App ID"):
        build_teams_package("my-bot", tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()
