"""Gateway settings: the typed model of a home's ``gateway.yaml``.

Every key is optional; ``gateway init`` writes a commented file with the defaults.
``${ENV}`` references are resolved as in partner profiles, and ``GATEWAY_STORE_URL``
overrides ``store.url`` (so a deployment can point several workers at one
PostgreSQL store without editing files)::

    store:
      url: postgresql+psycopg://gateway@db/gateway   # default: SQLite in store/gateway.db
    workers: {batch: 100, lease_seconds: 300, poll_seconds: 1, rescan_seconds: 10}
    retry: {base_seconds: 2, cap_seconds: 600, max_attempts: 10}
    logging: {format: text, level: info}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from ..errors import ConfigError
from ..home import Home
from .typed import Doc, Model, Range
from .yamlio import parse_yaml, resolve_env

STORE_URL_ENV = "GATEWAY_STORE_URL"


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
    path = home.config_file
    if not path.is_file():
        return Settings()
    name = home.display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{name}: cannot read ({exc})"]) from None
    source = parse_yaml(text, name)
    if source.data is None:
        return Settings()
    if not isinstance(source.data, dict):
        raise ConfigError([f"{name}:1: gateway.yaml is a YAML mapping (key: value)"])
    problems = resolve_env(source, dict(environ) if environ is not None else None)
    problems += Settings.problems(source.data, source)
    if problems:
        raise ConfigError(problems)
    return Settings.load(source)


DEFAULT_FILE = """\
# Gateway settings. Every key is optional; the values shown are the defaults.
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
