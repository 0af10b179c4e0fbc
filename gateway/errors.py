"""The gateway's exception tree.

Every exception carries a stable ``code`` (documented, safe to match on) and says
whether retrying the same operation could succeed (``retryable``)::

    GatewayError
    ├── InputError            the caller's input cannot be used (terminal)
    │   ├── UnreadableInput   a file or stream cannot be read          input.unreadable
    │   ├── NotX12            the bytes are not an X12 interchange     x12.not_x12
    │   └── FlatFileError     a CSV/fixed/JSON/XML file does not fit   flatfile.invalid
    │                         its layout (or is unsafe XML)
    ├── SpecError             an X12 spec (map) file is missing/invalid spec.invalid
    ├── ConfigError           a YAML document (profile, mapping) is invalid config.invalid
    ├── DeliveryError         a connector could not deliver a document  delivery.failed
    │                         (retryable per instance: 5xx, timeouts, a full disk are; a 4xx is not)
    └── StoreError            the message store cannot be opened or used store.unavailable (retryable)

Validation problems inside an interchange are *not* exceptions: they are
findings (see ``gateway.formats.x12.findings``) that end up in acknowledgements.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class. ``code`` is stable; ``retryable`` tells callers whether to retry."""

    code = "gateway.error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InputError(GatewayError):
    code = "input.invalid"


class UnreadableInput(InputError):
    code = "input.unreadable"


class NotX12(InputError):
    code = "x12.not_x12"


class FlatFileError(InputError):
    """A partner flat file cannot be read with its layout: undecodable, malformed, a line of no known record
    type, a detail record before its parent, XML declaring entities. The message names the file, the line (or
    key path) and the reason: ``orders.csv line 4: ...``; ``file`` and ``line`` are kept for callers."""

    code = "flatfile.invalid"

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.file = file
        self.line = line


class SpecError(GatewayError):
    code = "spec.invalid"


INVALID_REQUEST = "config.invalid_request"  # a ConfigError's code when what was asked cannot be done (a bad partner ID): exit 2


class ConfigError(GatewayError):
    """A YAML document does not fit its model; ``problems`` lists every one as ``file:line: message``."""

    code = "config.invalid"

    def __init__(self, problems: list[str], *, code: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems), code=code)


class DeliveryError(GatewayError):
    """A connector could not deliver. ``retryable`` is set per failure: a timeout, a refused connection, an HTTP
    5xx or 429, a full disk may pass; a 4xx answer or a target that cannot exist will not. ``target`` names
    where it was going (a path, a URL) for messages."""

    code = "delivery.failed"

    def __init__(self, message: str, *, retryable: bool, target: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable
        self.target = target


class StoreError(GatewayError):
    code = "store.unavailable"
    retryable = True
