"""Socket Mode: Slack pushes events over a websocket the app opens, so no public URL is needed."""
from __future__ import annotations

from slack_bolt import App


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
