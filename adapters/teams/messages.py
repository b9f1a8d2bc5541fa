"""Everything the Teams adapter itself says, to people and to operators, in one place."""
from __future__ import annotations

CREDENTIALS_MISSING = (
    "Microsoft Teams needs MicrosoftAppId and MicrosoftAppPassword (and MicrosoftAppTenantId for a "
    "SingleTenant app); for local development only, start with --insecure-no-auth"
)
AUTH_OFF_WARNING = (
    "AUTHENTICATION IS OFF: the Teams endpoint accepts unauthenticated requests from anyone who can reach it. "
    "Use this only for local development with the Bot Framework Emulator or a tunnel you control."
)
TENANTS_MISSING = (
    "Microsoft Teams needs to know which tenants it serves: set MicrosoftAppTenantId (your organisation's "
    "tenant id) or list them in lorebot.toml under [msteams] tenants"
)
APP_TENANT_NOT_AN_ID = (
    "MicrosoftAppTenantId must be the tenant id (a GUID, Entra admin center > Overview > Tenant ID), not a "
    "domain name; or list the tenants in lorebot.toml under [msteams] tenants"
)
APP_TYPES_HELP = "MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI"

SOURCES_HEADING = "Sources"
VERIFIED_SOURCE = "✅ verified by {name}"
TRIMMED = "…"
MORE_SOURCES = "and {count} more"

# Answers for the HTTP endpoint (never shown in Teams; for whoever is testing the endpoint).
NOT_JSON = "Send the activity as application/json."
BAD_JSON = "The body is not a valid activity."
UNAUTHORIZED = "Missing or invalid authorization."
NOT_SERVED = "This bot does not serve this tenant or channel."
