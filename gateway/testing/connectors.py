"""Connector conformance suite: one subclass gives a connector the whole contract of ``gateway.connectors.base``.

Subclass ``ConnectorContract`` and supply a ``harness`` fixture (it may ``yield`` and clean up)::

    class TestFolderConnector(ConnectorContract):
        @pytest.fixture
        def harness(self, tmp_path):
            out = tmp_path / "erp"
            return Harness(
                FolderConnector(out),
                delivered=lambda key: [json.loads(p.read_text("utf-8")) for p in out.glob(f"*{key}*")],
                failing=FolderConnector(tmp_path / "a-file" / "erp"),  # after (tmp_path / "a-file").touch()
            )

``delivered(key)`` reads back what the *target* holds for a key, one entry per delivery it kept
(the files named after the key, the documents a receiver stored under that Idempotency-Key).
``failing`` is a connector of the same kind whose deliveries fail (a folder under a file, a closed
port); ``secrets`` are strings that must never show in descriptions, errors or ``repr``.

The checks: delivering returns a short one-line description; the target holds the document as
sent (non-ASCII text intact); the same key twice leaves one delivery, two keys two; the item is not
changed; failures raise ``DeliveryError`` with a bool ``retryable``; a document that is not
JSON-ready is a terminal ``DeliveryError``; ``flush()`` keeps what was delivered and may be called
with nothing pending; ``close()`` may be called twice.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ..connectors.base import Connector, DeliveryItem
from ..errors import DeliveryError

SAMPLE_PURCHASE_ORDER: dict[str, Any] = {
    "schema_version": "1.0",
    "document_type": "purchase_order",
    "po_number": "PO-1001",
    "order_date": "2024-03-18",
    "currency": "EUR",
    "parties": [{"role": "ship_to", "name": "Müller & Söhne, Zürich", "ids": [{"type": "gln", "value": "4012345000009"}]}],
    "lines": [
        {"line_number": "1", "quantity": {"value": "12", "unit": "EA"}, "description": "Crème brûlée torch",
         "identifiers": [{"type": "vendor_part", "value": "CB-1"}], "unit_price": {"amount": "19.90"}},
        {"line_number": "2", "quantity": {"value": "3", "unit": "CA"}, "description": "日本の包丁",
         "identifiers": [{"type": "gtin", "value": "04012345000016"}]},
    ],
    "notes": ["deliver before noon"],
}


def make_item(key: str | None = None, document: dict[str, Any] | None = None, **fields: Any) -> DeliveryItem:
    """A delivery item for tests: a fresh key and a copy of the sample purchase order unless given."""
    doc = copy.deepcopy(SAMPLE_PURCHASE_ORDER if document is None else document)
    values: dict[str, Any] = {
        "key": key or f"contract-{uuid.uuid4().hex[:12]}",
        "document": doc,
        "document_type": doc.get("document_type", "purchase_order"),
        "partner_id": "acme-retail",
        "correlation_id": f"corr-{uuid.uuid4().hex[:8]}",
        "business_key": doc.get("po_number"),
    }
    values.update(fields)
    return DeliveryItem(**values)


@dataclass
class Harness:
    """A connector under test and how to look at its target."""

    connector: Connector
    delivered: Callable[[str], list[dict[str, Any]]]
    failing: Connector | None = None
    secrets: tuple[str, ...] = ()


class ConnectorContract:
    """The connector contract as tests; subclasses provide the ``harness`` fixture (see the module docstring)."""

    @pytest.fixture
    def harness(self) -> Harness:  # pragma: no cover - always overridden
        raise NotImplementedError("a ConnectorContract subclass must provide a harness fixture")

    def test_connector_has_a_name(self, harness: Harness):
        assert isinstance(harness.connector.name, str) and harness.connector.name

    def test_deliver_returns_a_one_line_description(self, harness: Harness):
        where = harness.connector.deliver(make_item())
        assert isinstance(where, str) and where.strip()
        assert "\n" not in where and len(where) < 1000

    def test_target_holds_the_document_as_sent(self, harness: Harness):
        item = make_item()
        harness.connector.deliver(item)
        assert harness.delivered(item.key) == [SAMPLE_PURCHASE_ORDER]

    def test_flush_after_deliveries_keeps_them(self, harness: Harness):
        items = [make_item(), make_item()]
        for item in items:
            harness.connector.deliver(item)
        harness.connector.flush()
        harness.connector.flush()  # nothing new: a no-op
        assert all(harness.delivered(item.key) == [SAMPLE_PURCHASE_ORDER] for item in items)

    def test_same_key_twice_is_one_delivery(self, harness: Harness):
        item = make_item()
        harness.connector.deliver(item)
        harness.connector.deliver(make_item(item.key, correlation_id=item.correlation_id))
        assert harness.delivered(item.key) == [SAMPLE_PURCHASE_ORDER]

    def test_two_keys_are_two_deliveries(self, harness: Harness):
        one, two = make_item(), make_item()
        harness.connector.deliver(one)
        harness.connector.deliver(two)
        assert harness.delivered(one.key) == [SAMPLE_PURCHASE_ORDER]
        assert harness.delivered(two.key) == [SAMPLE_PURCHASE_ORDER]

    def test_deliver_leaves_the_item_unchanged(self, harness: Harness):
        item = make_item()
        before = copy.deepcopy(item.document)
        harness.connector.deliver(item)
        assert item.document == before

    def test_failure_is_a_delivery_error_that_says_whether_to_retry(self, harness: Harness):
        if harness.failing is None:
            pytest.skip("the harness has no failing target")
        with pytest.raises(DeliveryError) as caught:
            harness.failing.deliver(make_item())
        assert isinstance(caught.value.retryable, bool)
        assert str(caught.value)
        harness.failing.close()

    def test_document_that_is_not_json_ready_is_a_terminal_error(self, harness: Harness):
        item = make_item(document=dict(SAMPLE_PURCHASE_ORDER, notes={"a set is not JSON"}))
        with pytest.raises(DeliveryError) as caught:
            harness.connector.deliver(item)
        assert caught.value.retryable is False
        assert harness.delivered(item.key) == []

    def test_secrets_never_show(self, harness: Harness):
        shown = [repr(harness.connector), harness.connector.deliver(make_item())]
        if harness.failing is not None:
            shown.append(repr(harness.failing))
            with pytest.raises(DeliveryError) as caught:
                harness.failing.deliver(make_item())
            shown += [str(caught.value), repr(caught.value), str(caught.value.target)]
        for secret in harness.secrets:
            assert not any(secret in text for text in shown), secret

    def test_close_may_be_called_twice(self, harness: Harness):
        harness.connector.deliver(make_item())
        harness.connector.close()
        harness.connector.close()
