"""`lorebot sync` and `lorebot sources` with a Google Drive source, end to end against the loopback Drive: what an
admin sees never holds the service account's key or an access token, whether the sync worked or failed."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from adapters.cli import main
from tests.knowledge.sources.fake_gdrive import ACCOUNT, FakeDrive, Fault, new_private_key_pem


@pytest.fixture
def served():
    fake = FakeDrive()
    yield fake
    fake.close()


def test_sync_and_sources_never_show_the_key_or_a_token(served, tmp_path: Path, database_url: str, capsys,
                                                         caplog, monkeypatch) -> None:
    caplog.set_level(logging.DEBUG)
    folder = served.folder("HR", people=("alice@example.com", ACCOUNT))
    parking = served.file("parking.md", b"# Parking\n\nStaff park for free in lot B.\n", "text/markdown", folder)
    config = tmp_path / "lorebot.toml"
    config.write_text(f'[sources.drive]\ntype = "gdrive"\ncredentials_env = "LOREBOT_TEST_GDRIVE_KEY"\n'
                      f'folders = ["{folder}"]\napi_url = "{served.url}"\nvisible_to_from_source = true\n',
                      encoding="utf-8")
    base = ["--home", str(tmp_path / "home"), "--database-url", database_url, "--config", str(config)]
    monkeypatch.setenv("LOREBOT_TEST_GDRIVE_KEY", served.key_json())
    assert main([*base, "sync", "--json"]) == 0
    served.edit(parking, b"# Parking\n\nLot C.\n")
    served.faults.append(Fault(lambda request: request.kind == "download", 500, times=None))
    assert main([*base, "sync", "--no-progress"]) == 0
    assert main([*base, "sources", "--json"]) == 0
    assert main([*base, "sources"]) == 0
    monkeypatch.setenv("LOREBOT_TEST_GDRIVE_KEY", served.key_json(new_private_key_pem()))
    assert main([*base, "sync", "--no-progress"]) == 1
    shown = capsys.readouterr()
    text = shown.out + shown.err + caplog.text
    assert "refused the service account key in LOREBOT_TEST_GDRIVE_KEY" in text
    assert "HTTP 500 after" in text and "readers: the 2 people the source names" in text
    key = json.loads(served.key_json())["private_key"]
    for line in key.splitlines()[1:-1]:
        assert line not in text
    assert not any(token in text for token in served.tokens)
