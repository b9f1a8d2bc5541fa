"""Which activities the bot takes in: those from Microsoft Teams in the tenants it serves.

A valid Bot Framework token says the activity was sent to this app by the Bot Framework, not by whom: a
multi-tenant app registration can be added to Teams in any organisation, and the same registration may have
other channels switched on (Web Chat, Direct Line). So after authentication every activity must come through
the ``msteams`` channel from an allowed tenant, or the endpoint refuses it before anything is stored or
answered. The tenant comes from the activity itself (``conversation.tenantId`` and ``channelData.tenant.id``,
both checked when both are present), which the Bot Framework fills in for Teams.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from botbuilder.schema import Activity

from adapters.teams import messages
from adapters.teams.references import tenants_named
from bot.config import is_tenant_id
from bot.errors import ConfigError

TEAMS_CHANNEL = "msteams"
EMULATOR_CHANNEL = "emulator"  # the Bot Framework Emulator, only ever without authentication


@dataclass(frozen=True)
class Admission:
    tenants: frozenset[str]  # lower case; empty (any tenant) only without authentication
    channels: frozenset[str]

    def refusal(self, activity: Activity) -> str | None:
        """Why this activity is refused ("channel" or "tenant"), or None when it is taken in."""
        if activity.channel_id not in self.channels:
            return "channel"
        if not self.tenants:
            return None
        tenants = frozenset(tenant.lower() for tenant in tenants_named(activity))
        if not tenants or not tenants <= self.tenants:
            return "tenant"
        return None


def admission_for(tenants: Iterable[str], app_tenant: str | None, *, authenticated: bool) -> Admission:
    """The tenants named in lorebot.toml (``[msteams] tenants``), else the app's own (MicrosoftAppTenantId).

    With authentication on, knowing neither is refused (ConfigError): the endpoint would otherwise answer any
    organisation that installs the app. Without authentication the request body can claim any tenant anyway,
    so tenants are not checked (the Emulator names none), and the Emulator's channel is taken too."""
    if not authenticated:
        return Admission(tenants=frozenset(), channels=frozenset({TEAMS_CHANNEL, EMULATOR_CHANNEL}))
    allowed = frozenset(tenant.strip().lower() for tenant in tenants if tenant.strip())
    app_tenant = (app_tenant or "").strip()
    if not allowed and app_tenant:
        if not is_tenant_id(app_tenant):  # a domain name would match no activity: every one would get 403
            raise ConfigError(messages.APP_TENANT_NOT_AN_ID)
        allowed = frozenset({app_tenant.lower()})
    if not allowed:
        raise ConfigError(messages.TENANTS_MISSING)
    return Admission(tenants=allowed, channels=frozenset({TEAMS_CHANNEL}))
