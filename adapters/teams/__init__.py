"""The Microsoft Teams adapter (botbuilder).

Wiring, in the command line::

    connection = connect_teams(app_id=..., app_password=..., tenant_id=..., app_type=...,
                               allow_anonymous=args.insecure_no_auth)   # refuses to start without credentials
    messenger = TeamsMessenger(connection, kb.engine)
    core = Lorebot(config=config, knowledge=kb, messenger=messenger)     # or a MessengerRouter holding it
    serve_teams(build_teams_app(core=core, messenger=messenger), port=3978)

Names are imported on first use, so ``import adapters.teams`` stays cheap (botbuilder loads only when needed).
"""
from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "connect_teams": "adapters.teams.connection",
    "TeamsConnection": "adapters.teams.connection",
    "TeamsMessenger": "adapters.teams.messenger",
    "TeamsDeliveryError": "adapters.teams.connector",
    "build_teams_app": "adapters.teams.app",
    "serve_teams": "adapters.teams.app",
    "build_teams_package": "adapters.teams.package",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'adapters.teams' has no attribute {name!r}")
