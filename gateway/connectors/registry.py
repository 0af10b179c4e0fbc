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

Named connectors (``connectors:`` in gateway.yaml, e.g. ``erp: {type: folder, options: {path: erp}}``)
are added with ``with_named``: a route's ``connector`` may then name one of them or a type. A route
naming ``erp`` builds a ``folder`` from the named connector's options with the route's own options
laid over them, key by key (``options: {path: erp/orders}`` sends that route's documents elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..config.typed import Model, build
from ..errors import ConfigError
from ..home import Home
from ..masking import mask_settings
from .base import Connector

ENTRY_POINT_GROUP = "edi_gateway.connectors"


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What a factory may use besides its options: the home (relative paths), the environment (secrets) and the
    folders outside the home that gateway.yaml allows (``allowed_roots``): a path an option names goes through
    ``confine(value, what)``, which refuses one outside them (see ``gateway.config.confine``)."""

    home: Home
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    allowed_roots: tuple[str, ...] = ()

    def confine(self, value: str, what: str, *, folder: bool = False) -> Path:
        """``value`` resolved against the home; ``ConfigError`` when it lies outside the home and the allowed roots
        (``folder``, one the connector writes in: or overlaps the home's partners/, mappings/ or store/)."""
        from ..config.confine import Confinement

        return Confinement.of(self.home, self.allowed_roots).check(value, what, folder=folder)


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
        self._named: dict[str, tuple[str, dict[str, Any]]] = {}  # name -> (type, options)
        for kind in types:
            self.add(kind)

    def add(self, kind: ConnectorType) -> None:
        if kind.name in self._types:
            raise ValueError(f"connector {kind.name!r} is registered twice")
        self._types[kind.name] = kind

    def names(self) -> list[str]:
        """What a route may name: the types and the named connectors."""
        return sorted({*self._types, *self._named})

    def get(self, name: str) -> ConnectorType:
        return self._types[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types or name in self._named

    def copy(self) -> Registry:
        out = Registry(self._types.values())
        out._named = dict(self._named)
        return out

    def with_named(self, named: Mapping[str, Any], where: Callable[[str], str] = lambda name: name) -> Registry:
        """A copy that also knows ``named`` connectors (name -> an object with ``type`` and ``options``, as in
        gateway.yaml). ``ConfigError`` lists each name that is a type already and each unknown type, prefixed
        with ``where(name)``."""
        out, problems = self.copy(), []
        for name, spec in named.items():
            if name in self._types:
                problems.append(f"{where(name)}: connector name {name!r} is a connector type; give the named connector another name")
            elif spec.type not in self._types:
                known = ", ".join(sorted(self._types)) or "none"
                problems.append(f"{where(name)}: connector {name!r}: unknown type {spec.type!r} (known: {known})")
            else:
                out._named[name] = (spec.type, dict(spec.options or {}))
        if problems:
            raise ConfigError(problems)
        return out

    def create(self, name: str, options: Mapping[str, Any] | None, context: ConnectorContext, *, where: str = "options") -> Connector:
        """Build connector ``name`` from a route's ``options``; ``where`` prefixes problems (e.g. ``acme.yaml routes/0``)."""
        if name in self._named:
            kind_name, base = self._named[name]
            if options is not None and not isinstance(options, Mapping):
                raise ConfigError([f"{where}: options of connector {name!r} must be a mapping, not {type(options).__name__}"])
            return self.create(kind_name, {**base, **(options or {})}, context, where=f"{where} (connector {name!r}, a {kind_name})")
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
