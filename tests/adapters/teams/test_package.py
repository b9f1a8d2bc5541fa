"""The Teams app package for sideloading."""
from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.teams.package import PROJECT_URL, build_teams_package
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
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


@pytest.mark.parametrize("app_id", ["00000000-0000-0000-0000-000000000000", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                                    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fz", ""])
def test_a_zero_or_malformed_app_id_is_refused_in_one_line(tmp_path, app_id):
    with pytest.raises(ConfigError) as refused:
        build_teams_package(app_id, tmp_path / "x.zip")
    assert "\n" not in str(refused.value) and "Microsoft App ID" in str(refused.value)
    assert not (tmp_path / "x.zip").exists()


def test_the_default_privacy_and_terms_pages_exist_in_this_repository(tmp_path):
    with zipfile.ZipFile(build_teams_package(APP_ID, tmp_path / "x.zip")) as bundle:
        developer = json.loads(bundle.read("manifest.json"))["developer"]
    privacy, terms = developer["privacyUrl"], developer["termsOfUseUrl"]
    assert privacy == f"{PROJECT_URL}#security-and-privacy" and terms == f"{PROJECT_URL}/blob/main/LICENSE"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert privacy.split("#")[1] in {github_anchor(line) for line in readme.splitlines() if line.startswith("#")}
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Lorebot contributors" in licence
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_privacy_and_terms_urls_are_options(tmp_path):
    path = build_teams_package(APP_ID, tmp_path / "x.zip", privacy_url="https://example.com/privacy",
                               terms_url="https://example.com/terms")
    with zipfile.ZipFile(path) as bundle:
        developer = json.loads(bundle.read("manifest.json"))["developer"]
    assert (developer["privacyUrl"], developer["termsOfUseUrl"]) == ("https://example.com/privacy",
                                                                     "https://example.com/terms")


@pytest.mark.parametrize("option", ["privacy_url", "terms_url"])
@pytest.mark.parametrize("url", ["http://example.com/privacy", "example.com/privacy", "https://", "",
                                 "https://example.com/a page"])
def test_a_url_that_is_not_https_is_refused(tmp_path, option, url):
    flag = "--" + option.replace("_", "-")
    with pytest.raises(ConfigError, match=flag):
        build_teams_package(APP_ID, tmp_path / "x.zip", **{option: url})
    assert not (tmp_path / "x.zip").exists()


def test_teams_package_command_refuses_a_zero_app_id_with_one_line(tmp_path, capsys):
    from adapters.cli import main

    code = main(["--home", str(tmp_path), "teams-package", "--app-id", "00000000-0000-0000-0000-000000000000",
                 "--output", str(tmp_path / "x.zip")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "all zeros" in err
    code = main(["--home", str(tmp_path), "teams-package", "--app-id", APP_ID, "--privacy-url",
                 "http://example.com", "--output", str(tmp_path / "x.zip")])
    assert code == 2 and "--privacy-url must be an https:// address" in capsys.readouterr().err


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
