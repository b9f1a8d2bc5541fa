"""The manifest asks for exactly the scopes and events the adapter uses."""
from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[3] / "adapters" / "slack" / "manifest.yml"


def test_manifest_scopes_and_events_match_the_features() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "assistant:write", "channels:history", "groups:history", "chat:write", "commands", "im:history",
        "im:write", "reactions:read", "reactions:write", "users:read", "users:read.email", "usergroups:read"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "app_mention", "assistant_thread_context_changed", "assistant_thread_started",
        "message.channels", "message.groups", "message.im", "reaction_added",
        "reaction_removed"}
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask", "/lorebot"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["assistant_view"]["assistant_description"]


def test_socket_mode_entry_point_imports() -> None:
    from adapters.slack import add_socket_mode
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert callable(add_socket_mode) and SocketModeHandler is not None
