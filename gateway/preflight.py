"""What this version of the gateway honours in a partner profile, and which partners ``serve`` serves.

"Never accept what you don't honour": a profile may only say what the running gateway does.
The profile model accepts more than this version implements (it describes the channels and
settings to come), so two checks stand between a profile and ``gateway serve``:

* ``unsupported``: settings the model accepts but this version does not act on: channels other
  than ``drop_folder`` (sftp, as2, api), ``documents.sends`` (nothing is sent to partners yet),
  ``acks.expect`` of a 997 or 999 and ``acks.overdue_hours`` (nothing is sent, so nothing is
  awaited) and ``acks.request_ta1``;
* ``route_problems``: routes naming a connector the registry does not know (a type, or a named
  connector of gateway.yaml), or options it rejects.

``gateway partner check`` reports both (with everything else it checks). ``gateway serve``
serves only partners whose profile loads and passes both (``not_served``): the others are logged
at error level with every problem, listed by ``gateway status``, their drop folders are not read
(files wait there) and work already queued for them is quarantined with
``partner.profile_invalid`` until the profile is fixed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .config.partner import LoadedProfile, Partners
from .errors import ConfigError
from .home import Home

NOT_SUPPORTED = "not supported by this version"
SERVED_CHANNELS = ("drop_folder",)


def unsupported(loaded: LoadedProfile) -> list[str]:
    """``file:line: ...`` for each setting of the profile this version would not act on."""
    p, source = loaded.profile, loaded.source
    out: list[str] = []

    def flag(loc: tuple, what: str, why: str) -> None:
        out.append(f"{source.where(loc)}: {what}: {NOT_SUPPORTED} ({why})")

    for name in p.channels.names():
        if name not in SERVED_CHANNELS:
            out.append(f"{source.where(('channels', name))}: channel {name} is not served by this version "
                       f"(gateway serve reads drop folders only); remove it and use drop_folder")
    if p.documents.sends:
        flag(("documents", "sends"), "documents.sends", "the gateway does not send documents to partners yet; remove the entries")
    if p.acks.expect in ("997", "999"):
        flag(("acks", "expect"), f"acks.expect {p.acks.expect!r}",
             "the gateway sends no documents, so it awaits no acknowledgement; use auto or none")
    if p.acks.overdue_hours is not None:
        flag(("acks", "overdue_hours"), "acks.overdue_hours", "acknowledgements are not tracked as overdue; remove it")
    if p.acks.request_ta1:
        flag(("acks", "request_ta1"), "acks.request_ta1", "a TA1 the partner sends back is not reconciled; remove it")
    return out


def route_problems(loaded: LoadedProfile, registry, context) -> list[str]:
    """``file:line: ...`` for each route whose connector the registry does not know or cannot build."""
    out: list[str] = []
    for i, route in enumerate(loaded.profile.routes):
        if route.connector not in registry:
            known = ", ".join(registry.names()) or "none"
            out.append(f"{loaded.source.where(('routes', i, 'connector'))}: unknown connector {route.connector!r} (known: {known})")
            continue
        where = f"{loaded.source.where(('routes', i, 'options'))}: connector {route.connector!r}"
        out += registry.check(route.connector, dict(route.options), context, where=where)
    return out


def not_served(partners: Partners, registry=None, context=None) -> dict[str, list[str]]:
    """Partner ID -> why ``gateway serve`` does not serve it (its profile does not load, or fails the checks above)."""
    from .connectors import ConnectorContext, default_registry

    registry = registry or default_registry()
    context = context or ConnectorContext(partners.home, dict(os.environ if partners.environ is None else partners.environ))
    out: dict[str, list[str]] = {}
    for pid in partners.ids():
        try:
            loaded = partners.read(pid)
        except ConfigError as exc:
            out[pid] = exc.problems
            continue
        problems = unsupported(loaded) + route_problems(loaded, registry, context)
        if problems:
            out[pid] = problems
    return out


def home_not_served(home: Home, environ: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """``not_served`` for a home's partners (``gateway status``), with gateway.yaml's named connectors."""
    from .config.settings import home_registry

    return not_served(Partners(home, environ=environ), home_registry(home, environ=environ))
