"""The Microsoft Teams adapter (botbuilder).

Wiring, in the command line::

    connection = connect_teams(app_id=..., app_password=..., tenant_id=..., app_type=...,
                               allow_anonymous=args.insecure_no_auth)   # refuses to start without credentials
    create_schema(kb.engine)                                             # adapters.wiring: every table, once
    messenger = TeamsMessenger(connection, kb.engine)
    core = Lorebot(config=config, knowledge=kb, messenger=messenger)     # or a MessengerRouter holding it
    app = new_application()                                              # adapters.web_server
    add_teams_routes(app, core=core, messenger=messenger)
    run_until_signalled(app, host="0.0.0.0", port=3000, ready=print)

Names are imported on first use, so ``import adapters.teams`` stays cheap (botbuilder loads only when needed).
"""
from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "connect_teams": "adapters.teams.connection",
    "TeamsConnection": "adapters.teams.connection",
    "TeamsMessenger": "adapters.teams.messenger",
    "TeamsPeople": "adapters.teams.people",
    "TeamsDeliveryError": "adapters.teams.connector",
    "build_teams_app": "adapters.teams.app",
    "add_teams_routes": "adapters.teams.app",
    "build_teams_package": "adapters.teams.package",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'adapters.teams' has no attribute {name!r}")
