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

import json
from typing import Any, Protocol


class DeliveryItem:
    """One document on its way to one route.

    ``document`` is the canonical document (JSON-ready). The pipeline passes the stored JSON text as
    ``raw`` instead and the document is decoded only if a connector asks for it (the folder connector
    writing JSON and the HTTP connector send ``raw`` as is). Treat items as read-only.
    """

    __slots__ = ("_document", "business_key", "correlation_id", "document_type", "key", "meta", "partner_id", "raw")

    def __init__(self, key: str, document: dict[str, Any] | None = None, document_type: str = "", partner_id: str | None = None,
                 correlation_id: str = "", business_key: str | None = None, meta: dict[str, Any] | None = None,
                 raw: str | None = None) -> None:
        if document is None and raw is None:
            raise TypeError("DeliveryItem needs the document or its JSON text (raw)")
        self.key = key  # idempotency key: stable for (document, route) across retries and restarts
        self._document = document
        self.document_type = document_type  # purchase_order, ship_notice, ...
        self.partner_id = partner_id
        self.correlation_id = correlation_id
        self.business_key = business_key  # PO number, ASN id or invoice number, for file names and logs
        self.meta = dict(meta or {})
        self.raw = raw

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = json.loads(self.raw)
        return self._document

    def __repr__(self) -> str:
        return f"DeliveryItem(key={self.key!r}, document_type={self.document_type!r}, partner_id={self.partner_id!r})"


class Connector(Protocol):
    """Delivers canonical documents to one target (see the module docstring for the contract)."""

    name: str

    def deliver(self, item: DeliveryItem) -> str: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
