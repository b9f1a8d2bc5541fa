"""The bot's identity towards the Bot Framework: one CloudAdapter shared by the endpoint and the Messenger.

Start-up without credentials is refused: with an empty app id botbuilder accepts anonymous activities from
anyone, so that mode needs the explicit local-development switch, and it is announced loudly in the log.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.integration.aiohttp import (
    CloudAdapter, ConfigurationBotFrameworkAuthentication, ConfigurationServiceClientCredentialFactory,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from adapters.teams import messages
from adapters.teams.msrest_speedup import speed_up_retry_policy
from bot.errors import ConfigError

log = logging.getLogger(__name__)

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


@dataclass(frozen=True)
class _AuthConfiguration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


@dataclass
class TeamsConnection:
    adapter: CloudAdapter
    app_id: str
    auth_enabled: bool
    tenant_id: str | None = None  # the app's own Microsoft Entra tenant (MicrosoftAppTenantId), when given


def connect_teams(*, app_id: str | None, app_password: str | None, tenant_id: str | None = None,
                  app_type: str = "MultiTenant", allow_anonymous: bool = False) -> TeamsConnection:
    """The CloudAdapter for these credentials; raises ConfigError when they are missing, unless
    ``allow_anonymous`` (the command line's ``--insecure-no-auth``) asks for an unauthenticated endpoint."""
    speed_up_retry_policy()
    given_tenant = tenant_id
    app_id, app_password = (app_id or "").strip(), (app_password or "").strip()
    kind = APP_TYPES.get((app_type or "MultiTenant").strip().lower())
    if kind is None:
        raise ConfigError(messages.APP_TYPES_HELP)
    missing = not app_id or (not app_password and kind != "UserAssignedMSI")
    if kind != "MultiTenant" and not (tenant_id or "").strip():
        missing = True
    if missing and not allow_anonymous:
        raise ConfigError(messages.CREDENTIALS_MISSING)
    if missing:
        log.warning(messages.AUTH_OFF_WARNING)
        app_id, app_password, kind, tenant_id = "", "", "MultiTenant", None
    configuration = _AuthConfiguration(APP_ID=app_id, APP_PASSWORD=app_password, APP_TYPE=kind,
                                       APP_TENANTID=(tenant_id or "").strip() or None)
    credentials = _ReusedCredentials(ConfigurationServiceClientCredentialFactory(configuration))
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration, credentials_factory=credentials))
    return TeamsConnection(adapter=adapter, app_id=app_id, auth_enabled=not missing,
                           tenant_id=(given_tenant or "").strip() or None)


class _ReusedCredentials(ServiceClientCredentialsFactory):
    """Hands out one credentials object per audience instead of a new one per connector client.

    Every proactive message builds a new connector client; with fresh credentials each would fetch a new
    token from Microsoft's login service. Reusing them lets msal's token cache serve until the token expires.
    """

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self._inner = inner
        self._made: dict[tuple, object] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self._inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self._inner.is_authentication_disabled()

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool):
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self._made:
            self._made[key] = await self._inner.create_credentials(app_id, oauth_scope, login_endpoint,
                                                                   validate_authority)
        return self._made[key]
