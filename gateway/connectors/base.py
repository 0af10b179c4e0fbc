"""The outbound seam: a connector delivers one canonical document to an ERP target.

Contract (every connector, checked by ``gateway.testing.connectors``):

- ``deliver(item)`` delivers ``item.document`` and returns a short description of where it went
  (a path, ``POST https://… -> 201``), kept in the delivery's row and shown by ``gateway trace``.
- It is idempotent on ``item.key``: the pipeline may call it again with the same key after a crash
  between delivering and recording the delivery. A second call must leave the target as one
  delivery (the folder connector overwrites one file named after the key; the HTTP connector sends
  the key as an ``Idempotency-Key`` header for the receiver to deduplicate).
- Failures raise ``gateway.errors.DeliveryError`` with ``retryable`` set: True when the same call
  later may succeed (timeouts, refused connections, HTTP 5xx/429, a full disk), False when it will
  not (HTTP 4xx, an option that makes the target impossible). The pipeline retries the first with
  backoff and quarantines the second. Any other exception is a bug and is treated as retryable.
- ``flush()`` makes every delivery since the last flush durable (on disk, acknowledged by the
  receiver). The pipeline calls it after a batch of ``deliver`` calls and before it records them
  as delivered, so a connector may defer the expensive part (the folder connector syncs the file
  system once per batch instead of fsyncing each file). A connector whose ``deliver`` is durable
  by itself does nothing here. It raises ``DeliveryError`` like ``deliver``; the whole batch is
  then retried.
- ``close()`` releases what the connector holds (connections); it is called once at shutdown.

Connectors are built by name from a route's ``options`` through a ``Registry``; options are
checked when the connector is built (``ConfigError`` listing every problem), not at delivery time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """One document on its way to one route."""

    key: str  # idempotency key: stable for (document, route) across retries and restarts
    document: dict[str, Any]  # the canonical document (JSON-ready)
    document_type: str  # purchase_order, ship_notice, ...
    partner_id: str | None
    correlation_id: str
    business_key: str | None = None  # PO number, ASN id or invoice number, for file names and logs
    meta: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None  # ``document`` as JSON text when the caller has it (the store does): sent as is


class Connector(Protocol):
    """Delivers canonical documents to one target (see the module docstring for the contract)."""

    name: str

    def deliver(self, item: DeliveryItem) -> str: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
