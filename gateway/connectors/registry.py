"""Connectors by name: a ``Registry`` object maps a route's ``connector`` name to how to build it.

A ``ConnectorType`` pairs a name with an options model (a ``gateway.config.typed.Model`` dataclass:
it validates, fills defaults, documents itself and gives the JSON Schema) and a factory
``(options, context) -> Connector`` that receives the *validated* options object.

``Registry.create(name, options, context)`` checks in two passes and raises one ``ConfigError``
per pass listing every problem: first the options against the model (unknown keys, wrong types,
missing required keys; an unknown connector name lists the known ones), then what only the
factory can check (an environment variable that is not set, a template with unknown fields).
``Registry.check`` gives the same problems as lines without keeping a connector (``gateway partner
check`` and the start-up of ``gateway serve`` use it). ``Registry.shown`` gives a route's options as
they may be printed: what the options model marks ``Secret`` and whatever ``gateway.masking``'s
rule finds (credential names, URL passwords) masked.

Registries are plain objects, not module state: ``default_registry()`` returns a new one with the
shipped connectors (``folder``, ``http``, ``memory``) plus any installed plugin found through the
``edi_gateway.connectors`` entry point group (each entry point names a ``ConnectorType``); tests
take ``copy()`` and add their own. Registering a name twice raises ``ValueError``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from ..config.typed import Model, build
from ..errors import ConfigError
from ..home import Home
from ..masking import mask_settings
from .base import Connector

ENTRY_POINT_GROUP = "edi_gateway.connectors"


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What a factory may use besides its options: the home (relative paths) and the environment (secrets)."""

    home: Home
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True, slots=True)
class ConnectorType:
    """A named kind of connector: its options model and the factory given validated options."""

    name: str
    options: type[Model]
    factory: Callable[[Any, ConnectorContext], Connector]
    summary: str = ""


class Registry:
    """Connector types by name. Not shared: build one per gateway (``default_registry()``), ``copy()`` in tests."""

    def __init__(self, types: Iterable[ConnectorType] = ()) -> None:
        self._types: dict[str, ConnectorType] = {}
        for kind in types:
            self.add(kind)

    def add(self, kind: ConnectorType) -> None:
        if kind.name in self._types:
            raise ValueError(f"connector {kind.name!r} is registered twice")
        self._types[kind.name] = kind

    def names(self) -> list[str]:
        return sorted(self._types)

    def get(self, name: str) -> ConnectorType:
        return self._types[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def copy(self) -> Registry:
        return Registry(self._types.values())

    def create(self, name: str, options: Mapping[str, Any] | None, context: ConnectorContext, *, where: str = "options") -> Connector:
        """Build connector ``name`` from a route's ``options``; ``where`` prefixes problems (e.g. ``acme.yaml routes/0``)."""
        kind = self._types.get(name)
        if kind is None:
            known = ", ".join(self.names()) or "none"
            raise ConfigError([f"{where}: unknown connector {name!r} (known: {known})"])
        data = {} if options is None else options
        if not isinstance(data, Mapping):
            raise ConfigError([f"{where}: options of connector {name!r} must be a mapping, not {type(data).__name__}"])
        data = dict(data)
        problems = kind.options.problems(data)
        if problems:
            raise ConfigError([f"{where}: {_tidy(p)}" for p in problems])
        typed = build(kind.options, data)  # already validated: only defaults to fill in
        try:
            return kind.factory(typed, context)
        except ConfigError as exc:
            raise ConfigError([f"{where}: {p}" for p in exc.problems]) from None


    def check(self, name: str, options: Mapping[str, Any] | None, context: ConnectorContext, *, where: str = "options") -> list[str]:
        """Every problem ``create`` would raise for this route, as lines (empty: it builds). The connector built
        on the way is closed at once: checking opens nothing that stays open."""
        try:
            conn = self.create(name, options, context, where=where)
        except ConfigError as exc:
            return exc.problems
        conn.close()
        return []

    def shown(self, name: str, options: Mapping[str, Any] | None) -> Any:
        """Route ``options`` for connector ``name`` with every secret masked (valid or not, known connector or not)."""
        data = {} if options is None else options
        kind = self._types.get(name)
        if kind is not None:
            data = kind.options.mask(data)
        return mask_settings(data)


def _tidy(problem: str) -> str:
    """A problem without a file: ``(document): x`` -> ``x`` and ``path: path: x`` -> ``path: x``."""
    if problem.startswith("(document): "):
        return problem.removeprefix("(document): ")
    path, _, rest = problem.partition(": ")
    return rest if rest.startswith(path + ": ") else problem


def default_registry(*, plugins: bool = True) -> Registry:
    """A new registry with the shipped connectors and, unless ``plugins=False``, the installed plugins."""
    from .folder import FOLDER
    from .http import HTTP
    from .memory import MEMORY

    registry = Registry([FOLDER, HTTP, MEMORY])
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            kind = ep.load()
            if not isinstance(kind, ConnectorType):
                raise TypeError(f"entry point {ep.name!r} ({ep.value}) is not a ConnectorType")
            registry.add(kind)
    return registry
