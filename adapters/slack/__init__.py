"""The Slack adapter (slack-bolt): events, commands and clicks in; Block Kit out."""
from adapters.slack.app import build_app
from adapters.slack.client import make_web_client
from adapters.slack.http import serve_http, start_in_background
from adapters.slack.messenger import SlackMessenger
from adapters.slack.socket_mode import serve_socket_mode

__all__ = ["SlackMessenger", "build_app", "make_web_client", "serve_http", "serve_socket_mode", "start_in_background"]
