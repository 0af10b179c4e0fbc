"""What the gateway never prints: credentials in settings, headers and URLs.

One rule, used by everything that shows a setting, a URL or an error about one (``partner show``,
``status``, the ``serve`` log, store connection errors, configuration errors):

1. A field a model marks ``Secret`` (``gateway.config.typed``): channel passwords and keys, every
   HTTP header value of the http connector (an API key may sit in any header).
2. A setting no model types (a route's connector options), a header or a query parameter named like
   a credential (``is_credential_name``): its name, case ignored and ``-``, ``_``, ``.`` and spaces
   removed, contains ``authorization``, ``cookie``, ``password``, ``passwd``, ``passphrase``,
   ``secret``, ``token``, ``apikey``, ``accesskey``, ``privatekey``, ``signature``, ``credential`` or
   ``sessionid``; or one of its words (split at those separators and where a lower-case letter meets
   an upper-case one) is ``auth``, ``key``, ``pass``, ``pwd``, ``sig``, ``session`` or ``jwt``. So
   ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``X-Api-Key``, ``apiKey``,
   ``access_token``, ``client_secret``, ``X-Amz-Signature``, ``sig`` and ``key`` are masked; so are
   ``Idempotency-Key`` and ``session_timeout`` (the rule errs on the side of hiding). Typed
   settings (channels) are left to rule 1, so ``signature_algorithm: sha256`` stays visible there.
   A setting whose name ends in ``_env`` names an environment variable: the name is shown (the
   variable's value is never read for display).
3. In a URL (``scheme://...``, also inside a longer text): the password of ``user:password@`` (the
   user stays, as in SQLAlchemy's own rendering) and the value of every query parameter named like a
   credential (``?password=``, ``?token=``, ``&sig=``).
4. A value that came from ``${ENV}`` substitution is never echoed in a configuration error, whatever
   its field (``gateway.config.yamlio.Source.hide``).

A masked value reads ``********`` (``MASK``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

MASK = "********"

_CREDENTIAL_PARTS = ("authorization", "cookie", "password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
                     "privatekey", "signature", "credential", "sessionid")
_CREDENTIAL_WORDS = frozenset({"auth", "key", "pass", "pwd", "sig", "session", "jwt"})
_SEPARATORS = re.compile(r"[-_.\s]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_credential_name(name: str) -> bool:
    """Whether a setting, header or query parameter called ``name`` holds a credential (rule 2 above)."""
    compact = _SEPARATORS.sub("", name).lower()
    if any(part in compact for part in _CREDENTIAL_PARTS):
        return True
    words = _SEPARATORS.split(_CAMEL.sub("-", name))
    return any(w.lower() in _CREDENTIAL_WORDS for w in words)


def mask_url(url: str) -> str:
    """``url`` with the password of its user info and its credential query values masked (rule 3)."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)$", url, re.DOTALL)
    if m is None:
        return url
    scheme, authority, rest = m.groups()
    userinfo, at, host = authority.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        authority = f"{user}:{MASK}@{host}" if colon else authority
    path, question, query = rest.partition("?")
    if question:
        query, hash_, fragment = query.partition("#")
        query = "&".join(_mask_parameter(p) for p in query.split("&")) + hash_ + fragment
    return f"{scheme}{authority}{path}{question}{query}"


def _mask_parameter(parameter: str) -> str:
    name, eq, value = parameter.partition("=")
    return f"{name}={MASK}" if eq and value and is_credential_name(unquote_plus(name)) else parameter


def mask_urls(text: str) -> str:
    """``text`` with every URL in it masked (``mask_url``): for messages that quote a URL, such as a driver's error."""
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


def mask_url_values(data: Any) -> Any:
    """Plain data with every URL in its strings masked (rule 3 alone: for typed settings, whose secrets rule 1 finds)."""
    if isinstance(data, dict):
        return {k: mask_url_values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_url_values(v) for v in data]
    return mask_urls(data) if isinstance(data, str) else data


def mask_settings(data: Any, *, secret: bool = False) -> Any:
    """Plain settings data whose keys no model types (a route's options, a plugin's settings) with rules 2 and 3
    applied: credential-named scalars masked, URLs masked. Mappings and lists are walked; a scalar in a list
    under a credential name is masked."""
    if isinstance(data, dict):
        return {k: _mask_entry(str(k), v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_settings(v, secret=secret) for v in data]
    if secret and data is not None and not isinstance(data, bool):  # a flag (verify_signature: true) is no secret
        return MASK
    return mask_urls(data) if isinstance(data, str) else data


def _mask_entry(name: str, value: Any) -> Any:
    if name.endswith("_env") and isinstance(value, str) and _ENV_NAME.match(value):
        return value
    return mask_settings(value, secret=is_credential_name(name) and not isinstance(value, dict))
