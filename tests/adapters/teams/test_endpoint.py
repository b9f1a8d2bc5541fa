"""The messaging endpoint refuses what it should, with 4xx and never 5xx, before anything is stored.

Auth-on tests configure a real app id and password, so botbuilder's own JWT validation runs. Tokens that are
missing or not a JWT are refused before botbuilder; a well-formed but forged JWT reaches botbuilder, which
needs the Bot Framework's signing keys to check it: here (no internet) fetching them fails, with internet the
signature check fails; both are answered 401. Replies need an outgoing token from Microsoft's login service,
so the flows that answer run with authentication off (``allow_anonymous``), where botbuilder skips that.
"""
from __future__ import annotations

import logging
import time

import jwt
import pytest
from botbuilder.schema import Activity
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import Session, select

from adapters.teams import TeamsMessenger, build_teams_app, connect_teams
from adapters.teams.app import ADMISSION_KEY
from adapters.teams.messages import AUTH_OFF_WARNING
from bot.errors import ConfigError
from bot.tables.contacts import Contact
from tests.adapters.teams.support import CHAMPIONS, TENANT, RecordingCore

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def stored(engine) -> list[Contact]:
    with Session(engine) as session:
        return session.exec(select(Contact)).all()


@pytest.fixture
def secured(servers, engine):
    """The endpoint with authentication on, as in production."""
    connection = connect_teams(app_id=APP_ID, app_password="not-a-real-secret", app_type="MultiTenant",
                               tenant_id=TENANT)
    messenger = TeamsMessenger(connection, engine)
    core = RecordingCore()
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield core
    messenger.close()


@pytest.fixture
def open_endpoint(servers, messenger):
    core = RecordingCore()
    servers.serve(build_teams_app(core=core, messenger=messenger))
    return core


def forged_token(service_url: str) -> str:
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": service_url,
              "nbf": int(time.time()) - 10, "exp": int(time.time()) + 600}
    return jwt.encode(claims, "a-secret-that-microsoft-never-signed-with!!", algorithm="HS256",
                      headers={"kid": "forged"})


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer garbage", "Basic dXNlcjpwYXNz",
                                           "Bearer a.b.c", "forged"])
def test_missing_or_bad_tokens_get_401_and_store_nothing(servers, teams, engine, secured, authorization):
    activity = teams.personal_message("alice", "How many days of leave do I get?")
    if authorization == "forged":
        authorization = "Bearer " + forged_token(activity["serviceUrl"])
    headers = {} if authorization is None else {"Authorization": authorization}
    response = servers.post(activity, headers=headers)
    assert response.status_code == 401
    assert secured.events == []
    assert stored(engine) == []
    assert servers.connector.calls == []


@pytest.mark.parametrize("body, content_type, status", [
    (b'{"type": "message"}', "text/plain", 415),
    (b"type=message", "application/x-www-form-urlencoded", 415),
    (b'{"type": "message", "text": ', "application/json", 400),
    (b"\xff\xfe not utf-8", "application/json", 400),
    (b"[1, 2, 3]", "application/json", 400),
    (b'"message"', "application/json", 400),
    (b"{}", "application/json", 400),
    (b'{"type": 7}', "application/json", 400),
    (b'{"type": "message", "text": "hi"}', "application/json", 400),  # no conversation, sender or serviceUrl
    (b'{"type": "messageUpdate", "id": "1", "text": "hi", "channelData": {"eventType": "editMessage"}}',
     "application/json", 400),  # an edit must say where and who, too
    (b'{"type": "message", "text": "' + b"x" * 2_000_000 + b'"}', "application/json", 413),  # over the limit
    (b"[" * 200_000 + b"]" * 200_000, "application/json", 400),  # nested deeper than any parser recurses
    (b'{"type": "message", "value": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001, "application/json", 400),
])
def test_malformed_bodies_get_4xx(servers, engine, open_endpoint, body, content_type, status):
    response = servers.post(data=body, content_type=content_type)
    assert response.status_code == status
    assert open_endpoint.events == []
    assert stored(engine) == []


def test_malformed_bodies_get_4xx_with_authentication_on_too(servers, engine, secured):
    assert servers.post(data=b"{oops", content_type="application/json").status_code == 400
    assert servers.post(data=b"{}", content_type="text/html").status_code == 415
    assert stored(engine) == []


def test_a_well_formed_activity_is_accepted_when_authentication_is_off(servers, teams, engine, open_endpoint):
    response = servers.post(teams.personal_message("alice", "How many days of leave do I get?"))
    assert response.status_code == 200
    assert [type(event).__name__ for event in open_endpoint.events] == ["Ask"]
    assert {contact.key for contact in stored(engine)} == {"a:1alice-personal", "aad-alice"}


def test_two_edits_of_one_message_both_reach_the_core_and_a_redelivery_does_not(servers, teams, open_endpoint):
    first = teams.edit("dave", "1700000000070", "Fridays only.", channel=CHAMPIONS, root="1700000000069")
    second = {**first, "text": "Fridays and Mondays.", "timestamp": "2026-03-02T10:00:00Z"}
    for activity in (first, first, second):
        assert servers.post(activity).status_code == 200
    assert [event.text for event in open_endpoint.events] == ["Fridays only.", "Fridays and Mondays."]


def test_activities_the_bot_does_not_use_are_accepted_quietly(servers, teams, open_endpoint):
    typing = teams.personal_message("alice", "")
    typing["type"] = "typing"
    assert servers.post(typing).status_code == 200
    assert open_endpoint.events == []


def test_start_up_without_credentials_is_refused():
    with pytest.raises(ConfigError, match="--insecure-no-auth"):
        connect_teams(app_id=None, app_password=None)
    with pytest.raises(ConfigError, match="MicrosoftAppPassword"):
        connect_teams(app_id=APP_ID, app_password="")
    with pytest.raises(ConfigError, match="MicrosoftAppTenantId"):
        connect_teams(app_id=APP_ID, app_password="secret", app_type="SingleTenant")
    with pytest.raises(ConfigError, match="MicrosoftAppType"):
        connect_teams(app_id=APP_ID, app_password="secret", app_type="Anything")


def test_local_development_flag_turns_authentication_off_loudly(caplog):
    with caplog.at_level(logging.WARNING):
        connection = connect_teams(app_id=None, app_password=None, allow_anonymous=True)
    assert connection.auth_enabled is False
    assert AUTH_OFF_WARNING in caplog.text


def test_credentials_turn_authentication_on():
    connection = connect_teams(app_id=APP_ID, app_password="secret", allow_anonymous=True)
    assert connection.auth_enabled is True and connection.app_id == APP_ID


# -- a genuinely signed token ---------------------------------------------------------------------------------
# Microsoft's signing keys cannot be used here, so botbuilder is pointed (through its own configuration
# settings for other clouds) at a loopback OpenID server publishing our test key. The metadata is fetched with
# blocking ``requests`` inside botbuilder, so that server runs in its own thread, not on the endpoint's loop.

ISSUER = "https://api.botframework.test"


class _OpenIdServer:
    def __init__(self, jwk: dict) -> None:
        import http.server
        import json as json_module
        import threading

        documents = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                body = json_module.dumps(documents[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        documents["/openid"] = {"issuer": ISSUER, "jwks_uri": f"{self.url}/keys"}
        documents["/keys"] = {"keys": [jwk]}
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def trusted_endpoint(servers, engine, signing_key):
    import json as json_module

    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from jwt.algorithms import RSAAlgorithm

    from adapters.teams.connection import TeamsConnection

    jwk = json_module.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update(kid="test-key", use="sig", endorsements=["msteams", "webchat"])  # one registration, two channels
    openid = _OpenIdServer(jwk)

    class Configuration:
        APP_ID = APP_ID
        APP_PASSWORD = "not-a-real-secret"
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = f"{openid.url}/openid"
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = ISSUER

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Configuration()))
    messenger = TeamsMessenger(TeamsConnection(adapter=adapter, app_id=APP_ID, auth_enabled=True, tenant_id=TENANT),
                               engine)
    core = RecordingCore()
    servers.serve(build_teams_app(core=core, messenger=messenger))
    yield core
    messenger.close()
    openid.close()


def signed_token(key, service_url: str, audience: str = APP_ID) -> str:
    claims = {"iss": ISSUER, "aud": audience, "serviceurl": service_url,
              "nbf": int(time.time()) - 10, "exp": int(time.time()) + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})


def test_a_genuinely_signed_token_passes_and_a_wrong_one_does_not(servers, teams, engine, trusted_endpoint,
                                                                 signing_key):
    install = teams.bot_installed_in_team("19:general@thread.tacv2", members=["carol"])
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in (signed_token(other, install["serviceUrl"]),  # right shape, wrong key
                  signed_token(signing_key, install["serviceUrl"], audience="someone-else"),
                  signed_token(signing_key, "https://attacker.example/")):  # replies would go elsewhere
        assert servers.post(install, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert stored(engine) == []

    token = signed_token(signing_key, install["serviceUrl"])
    response = servers.post(install, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert {contact.key for contact in stored(engine)} >= {"19:general@thread.tacv2", "aad-carol"}


# -- which tenants and channels are served ----------------------------------------------------------------------
OTHER_TENANT = "0badc0de-0000-4000-8000-000000000bad"


def signed(servers, key, activity: dict):
    token = signed_token(key, activity["serviceUrl"])
    return servers.post(activity, headers={"Authorization": f"Bearer {token}"})


def _from_tenant(activity: dict, conversation_tenant: str, channel_data_tenant: str | None = None) -> dict:
    activity["conversation"]["tenantId"] = conversation_tenant
    activity["channelData"]["tenant"] = {"id": channel_data_tenant or conversation_tenant}
    return activity


@pytest.mark.parametrize("case", ["other_tenant", "tenant_only_in_channel_data", "no_tenant", "web_chat",
                                  "no_channel"])
def test_an_authenticated_activity_from_elsewhere_gets_403_and_nothing_is_kept(servers, teams, engine, caplog,
                                                                              trusted_endpoint, signing_key, case):
    activity = teams.personal_install("carol")
    if case == "other_tenant":
        _from_tenant(activity, OTHER_TENANT)
    elif case == "tenant_only_in_channel_data":  # the two places disagree: both must be served
        _from_tenant(activity, TENANT, OTHER_TENANT)
    elif case == "no_tenant":
        del activity["conversation"]["tenantId"], activity["channelData"]["tenant"]
    elif case == "web_chat":
        activity["channelId"] = "webchat"
    else:
        del activity["channelId"]
    caplog.set_level(logging.INFO, logger="adapters.teams")
    response = signed(servers, signing_key, activity)
    assert response.status_code == 403
    assert stored(engine) == [] and trusted_endpoint.events == []
    assert [r for r in caplog.records if "refused" in r.getMessage()]
    message = teams.personal_message("carol", "What is the leave policy?")
    _from_tenant(message, OTHER_TENANT)
    assert signed(servers, signing_key, message).status_code == 403
    assert "leave policy" not in caplog.text  # the log names no body
    assert trusted_endpoint.events == [] and servers.connector.calls == []


def test_the_app_tenant_is_served_by_default(servers, teams, engine, trusted_endpoint, signing_key):
    activity = _from_tenant(teams.personal_install("carol"), TENANT.upper())
    assert signed(servers, signing_key, activity).status_code == 200
    assert {contact.key for contact in stored(engine)} == {"a:1carol-personal", "aad-carol"}


def test_tenants_in_the_config_replace_the_app_tenant(teams, engine):
    connection = connect_teams(app_id=APP_ID, app_password="not-a-real-secret", tenant_id=TENANT)
    messenger = TeamsMessenger(connection, engine)
    try:
        admission = build_teams_app(core=RecordingCore(), messenger=messenger, tenants=[OTHER_TENANT])[ADMISSION_KEY]
        assert admission.refusal(Activity().deserialize(teams.personal_install("carol"))) == "tenant"
        other = _from_tenant(teams.personal_install("carol"), OTHER_TENANT)
        assert admission.refusal(Activity().deserialize(other)) is None
    finally:
        messenger.close()


@pytest.mark.parametrize(("app_tenant", "says"), [(None, "which tenants it serves"),
                                                 ("contoso.onmicrosoft.com", "not a domain name")])
def test_serving_with_authentication_needs_the_tenant_ids(engine, app_tenant, says):
    connection = connect_teams(app_id=APP_ID, app_password="not-a-real-secret", tenant_id=app_tenant)
    messenger = TeamsMessenger(connection, engine)
    try:
        with pytest.raises(ConfigError, match=rf"{says}.*\[msteams\] tenants"):
            build_teams_app(core=RecordingCore(), messenger=messenger)
    finally:
        messenger.close()


@pytest.mark.parametrize(("channel", "status"), [("emulator", 200), ("msteams", 200), ("webchat", 403)])
def test_without_authentication_the_emulator_is_served_too(servers, teams, open_endpoint, channel, status):
    activity = teams.personal_message("carol", "hello")
    activity["channelId"] = channel
    del activity["conversation"]["tenantId"], activity["channelData"]["tenant"]  # the Emulator names none
    assert servers.post(activity).status_code == status


def test_without_authentication_tenants_are_not_checked_even_when_known(teams):
    from adapters.teams.admission import admission_for

    admission = admission_for([OTHER_TENANT], TENANT, authenticated=False)
    assert admission.refusal(Activity().deserialize(teams.personal_message("carol", "hello"))) is None
