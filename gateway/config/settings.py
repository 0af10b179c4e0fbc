"""Gateway settings: the typed model of a home's ``gateway.yaml``.

Every key is optional to load; ``gateway init`` writes a commented file with the defaults.
``${ENV}`` references are resolved as in partner profiles, and ``GATEWAY_STORE_URL``
overrides ``store.url`` (so a deployment can point several workers at one
PostgreSQL store without editing files)::

    identity: {isa_qualifier: ZZ, isa_id: OURCO, gs_ids: [OURCO]}   # who we are on the wire
    connectors:
      erp: {type: folder, options: {path: erp}}   # a named connector routes can use
    store:
      url: postgresql+psycopg://gateway@db/gateway   # default: SQLite in store/gateway.db
    workers: {batch: 100, lease_seconds: 300, poll_seconds: 1, rescan_seconds: 10}
    retry: {base_seconds: 2, cap_seconds: 600, max_attempts: 10}
    logging: {format: text, level: info}
    allowed_roots: [/srv/edi]   # folders outside the home that profiles and routes may name (default: none)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from ..errors import ConfigError
from ..home import Home
from .identifiers import GS_ID, GS_ID_TEXT, ISA_ID, ISA_ID_TEXT, ISA_QUALIFIER, QUALIFIER_TEXT
from .partner import NAME
from .typed import Doc, Keys, Model, Pattern, Range
from .yamlio import Source, kind_of as _kind, load_yaml, resolve_env

STORE_URL_ENV = "GATEWAY_STORE_URL"
PLACEHOLDER_ID = "CHANGE-ME"  # what init writes when it was not told who we are; serve refuses to start with it
DEFAULT_CONNECTOR = "erp"  # the connector init defines and partner add routes to


@dataclass(repr=False, kw_only=True)
class OwnIdentity(Model):
    """Who we are on the wire: the receiver partners address (ISA07/ISA08, GS03) and the sender of our acknowledgements.

    A partner profile may override it for one partner (``identity.us``). An AS2 name will sit here
    once AS2 is served; until then there is no key for it (what is not honoured is not accepted)."""

    isa_qualifier: Annotated[str, Pattern(ISA_QUALIFIER, QUALIFIER_TEXT), Doc("our ISA qualifier: ISA07 on partners' interchanges, ISA05 on ours")]
    isa_id: Annotated[str, Pattern(ISA_ID, ISA_ID_TEXT), Doc("our interchange ID, without padding: ISA08 on partners' interchanges, ISA06 on ours")]
    gs_ids: Annotated[
        list[Annotated[str, Pattern(GS_ID, GS_ID_TEXT)]],
        Doc("our application IDs: GS03 partners may address us by; the first is GS02 on our groups (empty: isa_id)"),
    ] = field(default_factory=list)

    @property
    def application_ids(self) -> list[str]:
        return self.gs_ids or [self.isa_id]

    @property
    def is_placeholder(self) -> bool:
        return PLACEHOLDER_ID in (self.isa_id, *self.gs_ids)


@dataclass(repr=False, kw_only=True)
class NamedConnector(Model):
    """A connector routes name (``connector: erp``): a connector type and its options."""

    type: Annotated[str, Pattern(NAME), Doc("connector type: folder, http, memory or an installed plugin's")]
    options: Annotated[dict[str, Any], Doc("the type's options; a route's own options are laid over them, key by key")] = field(
        default_factory=dict
    )


@dataclass(repr=False, kw_only=True)
class StoreSettings(Model):
    """Where the message store is."""

    url: Annotated[str | None, Doc("SQLAlchemy URL: sqlite:///path or postgresql+psycopg://...; default: SQLite in the home's store/")] = None


@dataclass(repr=False, kw_only=True)
class WorkerSettings(Model):
    """How workers take and hold work."""

    batch: Annotated[int, Range(1, 10000), Doc("work items claimed at once (deliveries are batched; files one at a time)")] = 100
    lease_seconds: Annotated[int, Range(5), Doc("a claim is released after this long if its worker neither finishes nor dies visibly")] = 300
    poll_seconds: Annotated[float, Range(0.05), Doc("how long an idle worker sleeps before looking for work again")] = 1.0
    rescan_seconds: Annotated[float, Range(0.1), Doc("drop folders are listed at least this often, whatever the file watcher says")] = 10.0


@dataclass(repr=False, kw_only=True)
class RetrySettings(Model):
    """Retries of transient failures (a connector timing out, an HTTP 503): exponential backoff with a cap."""

    base_seconds: Annotated[float, Range(0), Doc("first wait; doubles with each attempt")] = 2.0
    cap_seconds: Annotated[float, Range(0), Doc("longest wait between two attempts")] = 600.0
    max_attempts: Annotated[int, Range(1), Doc("attempts before the item is quarantined")] = 10

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1-based)."""
        return min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempts - 1)))


@dataclass(repr=False, kw_only=True)
class LogSettings(Model):
    format: Annotated[Literal["text", "json"], Doc("json: one JSON object per line, with the correlation id")] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


@dataclass(repr=False, kw_only=True)
class Settings(Model):
    """A gateway home's settings (gateway.yaml)."""

    schema_title = "Gateway settings"

    identity: Annotated[OwnIdentity | None, Doc("who we are on the wire; gateway serve refuses to start without it")] = None
    connectors: Annotated[
        dict[str, NamedConnector],
        Keys(NAME, "a connector name: lower-case letters, digits, '_', '.', '-'"),
        Doc("named connectors (name -> type and options); a route's connector names one of these or a connector type"),
    ] = field(default_factory=dict)
    allowed_roots: Annotated[
        list[Annotated[str, Pattern(r"^[/~]"), Doc("an absolute folder")]],
        Doc("folders outside the home that profiles and routes may name (drop folders, cross-reference files, ERP folders); "
            "see gateway.config.confine"),
    ] = field(default_factory=list)
    store: StoreSettings = field(default_factory=StoreSettings)
    workers: WorkerSettings = field(default_factory=WorkerSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    logging: LogSettings = field(default_factory=LogSettings)

    def store_url(self, home: Home, environ: Mapping[str, str] | None = None) -> str:
        from ..store.engine import sqlite_url

        env = os.environ if environ is None else environ
        return env.get(STORE_URL_ENV) or self.store.url or sqlite_url(home.store_dir / "gateway.db")


def load_settings(home: Home, environ: Mapping[str, str] | None = None) -> Settings:
    """The home's ``gateway.yaml`` (defaults when there is none); ``ConfigError`` lists every problem."""
    return read_settings(home, environ)[0]


def read_settings(home: Home, environ: Mapping[str, str] | None = None) -> tuple[Settings, Source]:
    """``load_settings`` and the source it came from, for ``file:line`` in later checks."""
    path = home.config_file
    name = home.display(path)
    if not path.exists():
        return Settings(), Source(name, None, {})
    source = load_yaml(path, name)
    if source.data is None:
        return Settings(), source
    if not isinstance(source.data, dict):
        raise ConfigError([f"{name}:1: gateway.yaml is a YAML mapping (key: value), not {_kind(source.data)}"])
    problems = resolve_env(source, dict(environ) if environ is not None else None)
    problems += Settings.problems(source.data, source)
    if problems:
        raise ConfigError(problems)
    return Settings.load(source), source


def identity_problems(home: Home, settings: Settings, source: Source) -> list[str]:
    """Why the gateway does not know who it is (no identity, or init's placeholder), as ``file:line: ...``."""
    fix = f"gateway init {home.display(home.root)} --isa-qualifier Q --isa-id ID [--gs-id G]"
    ident = settings.identity
    if ident is None and not home.config_file.is_file():
        return [f"{source.name}: no such file, so our own identity (ISA qualifier and ID) is not set: run {fix}"]
    if ident is None:
        return [f"{source.where(())}: our own identity is not set (identity: ISA qualifier and ID, GS IDs): set it with {fix}"]
    if ident.is_placeholder:
        key = "isa_id" if ident.isa_id == PLACEHOLDER_ID else "gs_ids"
        return [f"{source.where(('identity', key))}: identity.{key} is the placeholder {PLACEHOLDER_ID}: "
                f"set our own ISA qualifier and ID with {fix} (or edit the file)"]
    if not ident.gs_ids and len(ident.isa_id) < 2:  # GS02/GS03 take 2-15 characters
        return [f"{source.where(('identity', 'isa_id'))}: identity.gs_ids is needed: our ISA ID {ident.isa_id!r} is too short "
                "to be a GS ID (2-15 characters)"]
    return []


def connector_registry(settings: Settings, source: Source, base=None):
    """What routes may name: ``base`` (default: the shipped and installed connector types) and gateway.yaml's
    named connectors (``ConfigError`` at their file:line when one is a type's name or of an unknown type)."""
    from ..connectors import default_registry

    return (base or default_registry()).with_named(settings.connectors, lambda name: source.where(("connectors", name)))


def home_registry(home: Home, base=None, environ: Mapping[str, str] | None = None):
    """``connector_registry`` for ``home``'s gateway.yaml; only ``base`` (the types) when it does not load (``gateway
    partner check`` and ``serve`` say why)."""
    from ..connectors import default_registry

    try:
        return connector_registry(*read_settings(home, environ), base)
    except ConfigError:
        return base or default_registry()


def _quoted(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar: IDs like 01 or 123 stay text


def identity_block(identity: OwnIdentity | None) -> str:
    """The ``identity:`` section of gateway.yaml: ours, or init's placeholder."""
    if identity is None:
        return (f"identity:   # PLACEHOLDER: gateway serve refuses to start until this is our own ISA ID:\n"
                f"            #   gateway init DIR --isa-qualifier Q --isa-id ID [--gs-id G]\n"
                f"  isa_qualifier: \"ZZ\"\n  isa_id: \"{PLACEHOLDER_ID}\"\n  gs_ids: [\"{PLACEHOLDER_ID}\"]\n")
    gs = ", ".join(_quoted(g) for g in identity.application_ids)
    return f"identity:\n  isa_qualifier: {_quoted(identity.isa_qualifier)}\n  isa_id: {_quoted(identity.isa_id)}\n  gs_ids: [{gs}]\n"


def settings_file(identity: OwnIdentity | None = None) -> str:
    """The commented gateway.yaml ``gateway init`` writes: our identity (or a placeholder), the erp connector, defaults."""
    return f"""\
# Gateway settings. The values shown under store, workers, retry and logging are the defaults.
# Who we are on the wire: partners address their interchanges to this ISA qualifier and ID (ISA07/ISA08)
# and one of these GS IDs (GS03); our acknowledgements come from it. Interchanges addressed to anyone
# else are refused (TA1, quarantine). A partner profile may override it (identity.us).
{identity_block(identity)}
# Named connectors: a route in a partner profile names one of these (connector: {DEFAULT_CONNECTOR}) or a
# connector type (folder, http, memory). gateway partner add --receives routes to {DEFAULT_CONNECTOR}.
connectors:
  {DEFAULT_CONNECTOR}:
    type: folder
    options: {{path: erp}}   # one canonical JSON file per document, under erp/ in the home
store:
  # SQLAlchemy URL of the message store; GATEWAY_STORE_URL overrides it.
  # e.g. postgresql+psycopg://gateway@127.0.0.1:5432/gateway for several workers
  url: null            # SQLite in store/gateway.db
workers:
  batch: 100           # work items claimed at once
  lease_seconds: 300   # a claim is released after this long
  poll_seconds: 1      # idle wait
  rescan_seconds: 10   # drop folders are listed at least this often
retry:
  base_seconds: 2      # transient failures: 2, 4, 8, ... seconds
  cap_seconds: 600
  max_attempts: 10     # then the item is quarantined
logging:
  format: text         # or json
  level: info
"""


_IDENTITY_BLOCK = re.compile(r"^identity:.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def with_identity(text: str, identity: OwnIdentity) -> str:
    """gateway.yaml's text with its ``identity:`` section replaced (or added at the top, after the comments)."""
    block = identity_block(identity)
    if _IDENTITY_BLOCK.search(text):
        # the blank line that ended the old section ends the new one
        return _IDENTITY_BLOCK.sub(lambda m: block + "\n" * m.group(0).endswith("\n\n"), text, count=1)
    lines = text.splitlines(keepends=True)
    head = 0
    while head < len(lines) and lines[head].lstrip().startswith("#"):
        head += 1
    return "".join(lines[:head]) + block + "".join(lines[head:])
