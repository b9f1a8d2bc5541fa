"""Test harness for the Teams adapter: one background event loop serving the real aiohttp endpoint (the real
CloudAdapter behind it) and the loopback connector, both on 127.0.0.1 port 0; requests arrive over real HTTP.
Activities are shaped as Teams sends them."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone

import requests
from aiohttp import web

from adapters import web_server
from adapters.teams import TeamsMessenger, connect_teams
from adapters.teams.directory import TeamsDirectory
from adapters.teams.app import TURNS_KEY, turns_finished
from tests.adapters.loopback import LoopThread
from bot.people.contacts import StoredContacts
from bot.ports import system_clock
from tests.adapters.teams.fake_connector import FakeConnector

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
BOT_ID = "28:00000000-0000-0000-0000-00000000b07"
BOT = {"id": BOT_ID, "name": "Lorebot"}
TEAM = "19:team-ops@thread.tacv2"
GENERAL = "19:general@thread.tacv2"
CHAMPIONS = "19:champions@thread.tacv2"


async def start_site(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


class Servers:
    """The connector and (once started) the bot's endpoint, on one loop."""

    def __init__(self) -> None:
        self.loop = LoopThread()
        self.connector = FakeConnector()
        self._runners: list[web.AppRunner] = []
        runner, self.connector.url = self.loop.run(start_site(self.connector.app()))
        self._runners.append(runner)
        self.bot_url: str | None = None
        self._apps: list[web.Application] = []

    def serve(self, app: web.Application) -> str:
        """Serve the bot's application as ``lorebot serve`` does (its limits and timeouts), on a free port."""
        listening = self.loop.run(web_server.start(app, "127.0.0.1", 0))
        self._runners.append(listening.runner)
        self._apps.append(app)
        self.bot_url = listening.url + "/api/messages"
        return self.bot_url

    def post(self, activity: dict | None = None, *, data: bytes | None = None, content_type: str = "application/json",
             headers: dict | None = None) -> requests.Response:
        body = data if data is not None else json.dumps(activity).encode("utf-8")
        response = requests.post(self.bot_url, data=body, headers={"Content-Type": content_type, **(headers or {})},
                                 timeout=120)
        self.settle()
        return response

    def settle(self) -> None:
        """Wait for the turns the endpoint acknowledged to run (it answers before it acts)."""
        for app in self._apps:
            if TURNS_KEY in app:
                assert self.loop.run(turns_finished(app, 60)), "teams turns did not finish"

    def close(self) -> None:
        for runner in reversed(self._runners):
            self.loop.run(runner.cleanup())
        self.loop.stop()


class Teams:
    """Builds activities exactly as Teams sends them, each with a fresh id."""

    def __init__(self, service_url: str) -> None:
        self.service_url = service_url + "/"
        self._ids = itertools.count(1)

    def next_id(self) -> str:
        return f"1700100{next(self._ids):06d}"

    @staticmethod
    def user(handle: str, name: str | None = None) -> dict:
        return {"id": f"29:1{handle}", "name": name or handle.title(), "aadObjectId": f"aad-{handle}"}

    @staticmethod
    def personal_conversation(handle: str) -> str:
        return f"a:1{handle}-personal"

    def _base(self, kind: str, sender: dict, conversation: dict, channel_data: dict, **extra) -> dict:
        activity = {
            "type": kind,
            "id": self.next_id(),
            "timestamp": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "localTimestamp": datetime.now(timezone.utc).isoformat(),
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": sender,
            "conversation": conversation,
            "recipient": BOT,
            "channelData": channel_data,
            "locale": "en-GB",
        }
        activity.update(extra)
        return activity

    def _personal(self, handle: str, conversation_id: str | None = None) -> tuple[dict, dict]:
        conversation = {"conversationType": "personal", "tenantId": TENANT,
                        "id": conversation_id or self.personal_conversation(handle)}
        return conversation, {"tenant": {"id": TENANT}}

    @staticmethod
    def _channel(channel: str, root: str | None) -> tuple[dict, dict]:
        conversation = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT,
                        "id": f"{channel};messageid={root}" if root else channel}
        data = {"teamsChannelId": channel, "teamsTeamId": TEAM, "channel": {"id": channel},
                "team": {"id": TEAM}, "tenant": {"id": TENANT}}
        return conversation, data

    # -- what people do ------------------------------------------------------------------------------------
    def personal_message(self, handle: str, text: str, *, conversation: str | None = None,
                         quoting: str | None = None, **extra) -> dict:
        """A message in a personal chat; ``quoting`` makes it a reply to that message, as Teams sends those."""
        conversation, data = self._personal(handle, conversation)
        if quoting:
            quote = (f'<blockquote itemscope="" itemtype="http://schema.skype.com/Reply" itemid="{quoting}">'
                     f'<strong itemprop="mri" itemid="{BOT_ID}">Lorebot</strong><span itemprop="time" '
                     f'itemid="{quoting}"></span><p itemprop="preview">…</p></blockquote>')
            extra["attachments"] = [{"contentType": "text/html", "content": f"{quote}<p>{text}</p>"}]
        return self._base("message", self.user(handle), conversation, data, text=text, textFormat="plain",
                          entities=[{"type": "clientInfo", "locale": "en-GB", "country": "GB",
                                     "platform": "Web", "timezone": "Europe/London"}], **extra)

    def channel_message(self, handle: str, text: str, *, channel: str = GENERAL, root: str | None = None,
                        mention: bool = True) -> dict:
        message_id = self.next_id()
        conversation, data = self._channel(channel, root or message_id)
        entities = [{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web",
                     "timezone": "Europe/London"}]
        if mention:
            text = f"<at>Lorebot</at> {text}"
            entities.insert(0, {"type": "mention", "text": "<at>Lorebot</at>", "mentioned": BOT})
        activity = self._base("message", self.user(handle), conversation, data, text=text, textFormat="plain",
                              entities=entities)
        activity["id"] = message_id
        if root:
            activity["replyToId"] = root
        return activity

    def card_action(self, handle: str, data: dict, *, card_id: str, channel: str | None = None,
                    root: str | None = None, conversation: str | None = None) -> dict:
        if channel:
            conversation, channel_data = self._channel(channel, root)
        else:
            conversation, channel_data = self._personal(handle, conversation)
        channel_data = {**channel_data, "source": {"name": "message"}, "legacy": {"replyToId": card_id}}
        return self._base("message", self.user(handle), conversation, channel_data, replyToId=card_id,
                          value=data)

    def edit(self, handle: str, message_id: str, text: str, *, channel: str, root: str) -> dict:
        """The ``messageUpdate`` Teams sends when ``handle`` edits message ``message_id`` in a channel thread."""
        conversation, data = self._channel(channel, root)
        activity = self._base("messageUpdate", self.user(handle), conversation, {**data, "eventType": "editMessage"},
                              text=text, textFormat="plain", replyToId=root)
        activity["id"] = message_id
        return activity

    def reaction(self, handle: str, message_id: str, kind: str = "like", *, added: bool = True,
                 channel: str | None = None, root: str | None = None, conversation: str | None = None) -> dict:
        if channel:
            conversation, data = self._channel(channel, root)
        else:
            conversation, data = self._personal(handle, conversation)
        key = "reactionsAdded" if added else "reactionsRemoved"
        return self._base("messageReaction", self.user(handle), conversation, data, replyToId=message_id,
                          **{key: [{"type": kind}]})

    def bot_installed_in_team(self, channel: str, members: list[str] = ()) -> dict:
        """The conversationUpdate Teams sends when the app is added to a team (and when members join)."""
        conversation, data = self._channel(channel, None)
        data = {**data, "eventType": "teamMemberAdded"}
        added = [BOT] + [self.user(handle) for handle in members]
        return self._base("conversationUpdate", self.user("installer"), conversation, data, membersAdded=added)

    def personal_install(self, handle: str, action: str = "add") -> dict:
        conversation, data = self._personal(handle)
        return self._base("installationUpdate", self.user(handle), conversation, data, action=action)


class RecordedSleep:
    """Backoff delays are recorded, not slept, so retry tests run fast and can check the delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class RecordingCore:
    """Stands where the core goes when a test is about the transport: it records what reached it."""

    def __init__(self) -> None:
        self.events: list = []

    def handle(self, event) -> None:
        self.events.append(event)


# The flows' configuration: Teams ids for everyone, the office champions post in CHAMPIONS.
CONFIG = {
    "timezone": "Europe/London",
    "answers": {"answer_threshold": 0.5, "verified_threshold": 0.6},
    "people": {
        "alice": {"name": "Alice", "team": "ops", "ids": {"teams": "aad-alice"}},
        "carol": {"name": "Carol", "team": "ops", "ids": {"teams": "aad-carol"}},
        "dave": {"name": "Dave", "team": "ops", "ids": {"teams": "aad-dave"}},
        "erin": {"name": "Erin", "ids": {"teams": "aad-erin"}},
    },
    "teams": {"ops": {"manager": "erin"}},
    "topics": {
        "leave": {"description": "Annual leave, holidays, sick leave and time off",
                  "keywords": ["leave", "holiday", "sick"], "champions": ["carol"]},
        "office": {"description": "Office life: desks, the kitchen, pets, parking and visitors",
                   "keywords": ["office", "dog", "pet", "parking", "desk"], "champions": ["dave"],
                   "channel": {"teams": CHAMPIONS}},
        "security": {"description": "Passwords, phishing, device encryption and security incidents",
                     "keywords": ["password", "phishing", "security"], "champions": ["carol"]},
    },
}


def storing_messenger(engine, *, clock=system_clock, **options) -> TeamsMessenger:
    """A messenger without authentication (its replies need no token from Microsoft's login service) that still
    keeps its contacts in the database, as an authenticated one does, so the directory's rules run on the real
    tables. Without ``directory`` an unauthenticated messenger keeps them in memory only."""
    connection = connect_teams(app_id=None, app_password=None, allow_anonymous=True)
    return TeamsMessenger(connection, engine, clock=clock,
                          directory=TeamsDirectory(StoredContacts(engine), clock), **options)
