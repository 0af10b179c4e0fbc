"""The HTTP connector: POST (or PUT) each canonical document as JSON to an ERP endpoint.

Options (``connector: http``)::

    url: https://erp.example.com/api/orders   # required, http or https, no user:password@
    method: POST                              # or PUT
    headers: {X-Tenant: east}                 # extra headers (not the ones below)
    auth: {bearer_env: ERP_TOKEN}             # or {basic_user_env: U, basic_password_env: P}
                                              # or {header: X-Api-Key, value_env: ERP_KEY}
    timeout_seconds: 30                       # per connect and per read
    retries: 2                                # quick retries inside one delivery call
    backoff_seconds: 0.2                      # waits 0.2 s, 0.4 s, ... between them
    retry_after_max_seconds: 5                # longest Retry-After waited for in the call
    ca_file: certs/erp-ca.pem                 # extra CA bundle for https (relative to the home)

Each request carries ``Content-Type: application/json``, ``Idempotency-Key: <item.key>`` (the same
on every retry and redelivery, for the receiver to deduplicate), ``X-Correlation-Id`` and
``User-Agent: edi-gateway/<version>``. Secrets are read from the environment when the connector is
built (a variable that is not set is a ``ConfigError`` naming it) and never appear in descriptions,
errors or ``repr``; a response body quoted in an error has them masked. Descriptions and errors
show the URL without its query string.

Outcomes: 2xx returns ``POST https://host/path -> 201``. 408, 429, 5xx, timeouts and connection
failures are retried in the call (``retries`` times, exponential backoff; on 429/503 a
``Retry-After`` of up to ``retry_after_max_seconds`` is waited instead, a longer one ends the call
at once), then raise a retryable ``DeliveryError`` with the status and the start of the body, so
the pipeline retries later with its own, longer backoff. Other 4xx, 3xx (redirects are not
followed: a POST must not turn into a GET elsewhere) and a TLS certificate that does not verify
raise a terminal ``DeliveryError`` at once. Connections are kept alive and reused; the connector
is safe to use from several threads.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import re
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from .. import __version__
from ..config.typed import Doc, Keys, Model, Pattern, Range, Schema, Secret
from ..errors import ConfigError, DeliveryError
from ..masking import MASK
from .base import DeliveryItem
from .registry import ConnectorContext, ConnectorType

USER_AGENT = f"edi-gateway/{__version__}"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
RESERVED_HEADERS = frozenset({"content-length", "host", "transfer-encoding", "connection", "idempotency-key", "x-correlation-id"})
RETRY_STATUSES = frozenset({408, 429})  # and every 5xx
RETRY_AFTER_STATUSES = frozenset({429, 503})
MAX_BODY = 1 << 20  # read at most this much of an answer; a longer one closes the connection
SNIPPET = 200
MAX_IDLE = 8


# -- options --------------------------------------------------------------------------------------


@dataclass(repr=False, kw_only=True)
class BearerAuth(Model):
    """``Authorization: Bearer <token>``, the token from an environment variable."""

    bearer_env: Annotated[str, Pattern(ENV_NAME), Doc("environment variable holding the token")]


@dataclass(repr=False, kw_only=True)
class BasicAuth(Model):
    """HTTP basic authentication, user and password from environment variables."""

    basic_user_env: Annotated[str, Pattern(ENV_NAME), Doc("environment variable holding the user name")]
    basic_password_env: Annotated[str, Pattern(ENV_NAME), Doc("environment variable holding the password")]


@dataclass(repr=False, kw_only=True)
class HeaderAuth(Model):
    """A header of your choice (e.g. X-Api-Key), its value from an environment variable."""

    header: Annotated[str, Pattern(HEADER_NAME), Doc("header name")]
    value_env: Annotated[str, Pattern(ENV_NAME), Doc("environment variable holding the value")]


@dataclass(repr=False, kw_only=True)
class HttpOptions(Model):
    """Send each document as JSON to an HTTP endpoint."""

    url: Annotated[str, Pattern(r"^https?://[^/?#\s]+[^\s]*$"), Doc("endpoint, http:// or https://")]
    method: Annotated[Literal["POST", "PUT"], Doc("HTTP method")] = "POST"
    # Values are treated as secrets (an API key may sit here through ${ENV}): masked in messages and to_data().
    headers: Annotated[dict[str, str], Keys(HEADER_NAME, "an HTTP header name"), Secret(), Schema({"type": "object", "additionalProperties": {
        "type": "string", "pattern": r"^[^\r\n]*$", "writeOnly": True}}), Doc("extra request headers")] = field(default_factory=dict)
    auth: Annotated[BearerAuth | BasicAuth | HeaderAuth | None, Doc("credentials, read from environment variables")] = None
    timeout_seconds: Annotated[float, Schema({"type": "number", "exclusiveMinimum": 0}), Doc("connect and read timeout")] = 30.0
    retries: Annotated[int, Range(0, 10), Doc("quick retries within one delivery call")] = 2
    backoff_seconds: Annotated[float, Schema({"type": "number", "minimum": 0}), Doc("first wait between quick retries; doubles")] = 0.2
    retry_after_max_seconds: Annotated[float, Schema({"type": "number", "minimum": 0}), Doc("longest Retry-After waited in the call")] = 5.0
    ca_file: Annotated[str | None, Doc("CA bundle (PEM) to verify the server with, relative to the home (outside it: allowed_roots)")] = None


# -- the connector --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None  # None: no answer (timeout, refused, reset, TLS refused)
    detail: str  # the reason and the start of the body, or the error
    retryable: bool
    retry_after: float | None = None


class HttpConnector:
    """Delivers by sending the canonical JSON to one URL (see the module docstring)."""

    name = "http"

    def __init__(self, url: str, *, method: str = "POST", headers: Mapping[str, str] | None = None,
                 secret_headers: Mapping[str, str] | None = None, timeout_seconds: float = 30.0, retries: int = 2,
                 backoff_seconds: float = 0.2, retry_after_max_seconds: float = 5.0, ssl_context: ssl.SSLContext | None = None) -> None:
        problems = url_problems(url)
        if problems:
            raise ConfigError(problems)
        parts = urlsplit(url)
        port = parts.port
        self.url = url
        self.method = method
        self.timeout = timeout_seconds
        self.retries = retries
        self.backoff = backoff_seconds
        self.retry_after_max = retry_after_max_seconds
        self._public_url = _public(url)
        self._target = parts.path or "/"
        if parts.query:
            self._target += "?" + parts.query
        self._headers = {"Content-Type": "application/json", "Accept": "application/json, */*;q=0.5", "User-Agent": USER_AGENT}
        self._headers.update(headers or {})
        self._headers.update(secret_headers or {})
        # Plain header values are secrets too (an API key put there through ${ENV}), as the options say.
        masked = {**(headers or {}), **(secret_headers or {})}
        self._secrets = sorted({v for v in masked.values() if v and len(v) >= 4} | _inner_secrets(secret_headers or {}), key=len, reverse=True)
        self._pool = _Pool(parts.scheme, parts.hostname, port, timeout_seconds, ssl_context)

    def __repr__(self) -> str:
        return f"HttpConnector(method={self.method!r}, url={self._public_url!r})"

    def deliver(self, item: DeliveryItem) -> str:
        try:
            text = item.raw if item.raw is not None else json.dumps(item.document, ensure_ascii=False, allow_nan=False)
            body = text.encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"{self.method} {self._public_url}: the document is not JSON-ready: {exc}", retryable=False,
                                target=self._public_url) from exc
        bad = [name for name, value in (("key", item.key), ("correlation_id", item.correlation_id)) if not _header_value_ok(value)]
        if bad:
            raise DeliveryError(f"{self.method} {self._public_url}: the item's {' and '.join(bad)} cannot be sent as a header value",
                                retryable=False, target=self._public_url)
        headers = dict(self._headers, **{"Idempotency-Key": item.key, "X-Correlation-Id": item.correlation_id})
        attempts = 0
        while True:
            attempts += 1
            answer = self._send(body, headers)
            if answer.status is not None and 200 <= answer.status < 300:
                return f"{self.method} {self._public_url} -> {answer.status}"
            if not answer.retryable:
                raise self._error(answer, attempts, retryable=False)
            if attempts > self.retries:
                raise self._error(answer, attempts, retryable=True)
            wait = self.backoff * 2 ** (attempts - 1)
            if answer.retry_after is not None:
                if answer.retry_after > self.retry_after_max:
                    # Waiting that long would hold a worker; the pipeline's own backoff is the place for it.
                    raise self._error(answer, attempts, retryable=True, note=f"Retry-After {answer.retry_after:g}s")
                wait = max(wait, answer.retry_after)
            time.sleep(wait)

    def flush(self) -> None:
        pass  # a delivery is done when the call returns

    def close(self) -> None:
        self._pool.close()

    # -- one request ------------------------------------------------------------------------------

    def _send(self, body: bytes, headers: dict[str, str]) -> _Answer:
        conn, reused = self._pool.take()
        try:
            conn.request(self.method, self._target, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(MAX_BODY + 1)
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            return _Answer(None, f"TLS certificate not accepted: {exc.verify_message or exc}", retryable=False)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if reused and isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                # The server closed a kept-alive connection while it sat idle: try once on a new one, not counted as an attempt.
                return self._send(body, headers)
            return _Answer(None, _describe_os_error(exc, self.timeout), retryable=True)
        if len(data) > MAX_BODY or response.will_close:
            conn.close()
        else:
            self._pool.give(conn)
        retry_after = _retry_after(response.getheader("Retry-After")) if response.status in RETRY_AFTER_STATUSES else None
        status = response.status
        return _Answer(status, self._snippet(response, data), status in RETRY_STATUSES or 500 <= status < 600, retry_after)

    def _snippet(self, response: http.client.HTTPResponse, data: bytes) -> str:
        text = " ".join(data[: SNIPPET * 4].decode("utf-8", "replace").split())
        text = self._mask(text)
        if len(text) > SNIPPET:
            text = text[:SNIPPET] + "…"
        detail = response.reason or ""
        if 300 <= response.status < 400:
            location = response.getheader("Location")
            detail += f" (redirects are not followed; Location: {_public(self._mask(location))})" if location else " (redirects are not followed)"
        return f"{detail}: {text}" if text else detail

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _error(self, answer: _Answer, attempts: int, *, retryable: bool, note: str = "") -> DeliveryError:
        outcome = f"-> {answer.status}" if answer.status is not None else "failed"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        extra = f" ({note})" if note else ""
        return DeliveryError(f"{self.method} {self._public_url} {outcome}{tries}{extra}: {answer.detail}".rstrip(": "),
                             retryable=retryable, target=self._public_url)


def url_problems(url: str) -> list[str]:
    parts = urlsplit(url)
    bad = f"url: not an http(s) URL with a host and a valid port: {_public(url)!r}"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        return [bad]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [bad]
    if parts.username is not None or parts.password is not None:
        return ["url: must not carry user:password@ (use auth)"]
    return []


def _header_value_ok(value: str) -> bool:
    """http.client sends header values as Latin-1 and refuses line breaks."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in value and "\n" not in value


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe_os_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    return f"{type(exc).__name__}: {exc}"


def _public(url: str) -> str:
    """``url`` without user info, query or fragment: safe to show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _inner_secrets(secret_headers: Mapping[str, str]) -> set[str]:
    """The parts of auth header values a server might echo on their own (a bearer token, a basic password)."""
    out = set()
    for value in secret_headers.values():
        scheme, _, credential = value.partition(" ")
        if scheme == "Bearer" and credential:
            out.add(credential)
        elif scheme == "Basic" and credential:
            out.add(credential)
            _, _, password = base64.b64decode(credential).decode("utf-8").partition(":")
            if password:
                out.add(password)
    return out


class _Pool:
    """Idle kept-alive connections to one host; a delivery takes one and gives it back when it can be reused."""

    def __init__(self, scheme: str, host: str, port: int | None, timeout: float, context: ssl.SSLContext | None) -> None:
        self._scheme, self._host, self._port, self._timeout = scheme, host, port, timeout
        self._context = context
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._context), False
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout), False

    def give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


# -- building from options ------------------------------------------------------------------------


def auth_headers(auth: BearerAuth | BasicAuth | HeaderAuth | None, environ: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The secret headers ``auth`` asks for, and the problems (never quoting a value)."""
    if auth is None:
        return {}, []
    problems: list[str] = []

    def secret(option: str, var: str, *, in_header: bool = True) -> str:
        value = environ.get(var)
        if value is None:
            problems.append(f"auth.{option}: environment variable {var} is not set")
        elif value == "":
            problems.append(f"auth.{option}: environment variable {var} is empty")
        elif not _header_value_ok(value) if in_header else ("\r" in value or "\n" in value):
            problems.append(f"auth.{option}: environment variable {var} cannot be sent in a header (a line break or a non-Latin-1 character)")
        else:
            return value
        return ""

    if isinstance(auth, BearerAuth):
        token = secret("bearer_env", auth.bearer_env)
        return ({"Authorization": f"Bearer {token}"} if not problems else {}), problems
    if isinstance(auth, BasicAuth):
        user = secret("basic_user_env", auth.basic_user_env, in_header=False)  # sent base64-encoded UTF-8
        password = secret("basic_password_env", auth.basic_password_env, in_header=False)
        if ":" in user:
            problems.append(f"auth.basic_user_env: the user name in {auth.basic_user_env} contains ':'")
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return ({"Authorization": f"Basic {encoded}"} if not problems else {}), problems
    value = secret("value_env", auth.value_env)
    return ({auth.header: value} if not problems else {}), problems


def _ssl_context(ca_file: str | None, context: ConnectorContext) -> tuple[ssl.SSLContext | None, list[str]]:
    if ca_file is None:
        return None, []
    try:
        path = context.confine(ca_file, "ca_file")
    except ConfigError as exc:
        return None, exc.problems
    try:
        return ssl.create_default_context(cafile=str(path)), []
    except (OSError, ssl.SSLError) as exc:
        return None, [f"ca_file: cannot load {path}: {getattr(exc, 'strerror', None) or exc}"]


def _build(options: HttpOptions, context: ConnectorContext) -> HttpConnector:
    problems = url_problems(options.url)
    taken = {h.lower() for h in options.headers}
    for h in sorted(options.headers):
        if h.lower() in RESERVED_HEADERS:
            problems.append(f"headers.{h}: set by the connector, cannot be configured")
        elif not _header_value_ok(options.headers[h]):
            problems.append(f"headers.{h}: the value cannot be sent in a header (a line break or a non-Latin-1 character)")
    secret_headers, auth_problems = auth_headers(options.auth, context.environ)
    problems += auth_problems
    auth_name = "Authorization" if isinstance(options.auth, (BearerAuth, BasicAuth)) else getattr(options.auth, "header", None)
    if auth_name and auth_name.lower() in taken:
        problems.append(f"headers.{auth_name}: also set by auth; keep one")
    if auth_name and auth_name.lower() in RESERVED_HEADERS:
        problems.append(f"auth.header: {auth_name} is set by the connector")
    ssl_context, ssl_problems = _ssl_context(options.ca_file, context)
    problems += ssl_problems
    if options.ca_file and not options.url.lower().startswith("https://"):
        problems.append("ca_file: only used with an https:// url")
    if problems:
        raise ConfigError(problems)
    return HttpConnector(options.url, method=options.method, headers=options.headers, secret_headers=secret_headers,
                         timeout_seconds=options.timeout_seconds, retries=options.retries, backoff_seconds=options.backoff_seconds,
                         retry_after_max_seconds=options.retry_after_max_seconds, ssl_context=ssl_context)


HTTP = ConnectorType("http", HttpOptions, _build, "POST or PUT the canonical JSON to a URL, with an Idempotency-Key")
