"""The Slack adapter (slack-bolt): events, commands and clicks in; Block Kit out."""
from adapters.slack.app import build_app
from adapters.slack.client import check_token, make_web_client
from adapters.slack.http import add_slack_routes
from adapters.slack.messenger import SlackMessenger
from adapters.slack.people import SlackPeople
from adapters.slack.socket_mode import add_socket_mode

__all__ = ["SlackMessenger", "SlackPeople", "add_slack_routes", "add_socket_mode", "build_app", "check_token",
           "make_web_client"]
