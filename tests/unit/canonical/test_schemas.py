"""The published canonical schemas are exactly what the models generate, and they mean what we think."""

from __future__ import annotations

import json

import pytest

from gateway.canonical import DOCUMENTS, validate_document
from gateway.canonical.schemas import PUBLISHED, render


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_published_schema_matches_the_model(kind):
    path = PUBLISHED / f"{kind}.schema.json"
    assert path.read_text(encoding="utf-8") == render(kind), f"{path} is stale: run python -m gateway.canonical.schemas --write"


def test_no_stray_published_schemas():
    assert sorted(p.name for p in PUBLISHED.glob("*.schema.json")) == sorted(f"{k}.schema.json" for k in DOCUMENTS)


MINIMAL = {
    "purchase_order": {"document_type": "purchase_order", "po_number": "1", "order_date": "2024-03-01",
                       "lines": [{"line_number": "1", "quantity": {"value": "2", "unit": "EA"}}]},
    "invoice": {"document_type": "invoice", "invoice_number": "I1", "invoice_date": "2024-03-01", "total_amount": "10.00",
                "lines": [{"line_number": "1", "quantity": {"value": "2"}, "unit_price": {"amount": "5"}}]},
    "ship_notice": {"document_type": "ship_notice", "shipment_id": "S1", "ship_date": "2024-03-01",
                    "orders": [{"po_number": "1", "packs": [{"sscc": "001234567890123456", "packs": [{"level": "pack"}]}]}]},
}


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_minimal_documents_are_valid(kind):
    assert validate_document(MINIMAL[kind]) == []


@pytest.mark.parametrize("change, path", [
    (lambda d: d.pop("po_number"), "/"),
    (lambda d: d.update(order_date="2024-02-30"), "/order_date"),
    (lambda d: d["lines"][0]["quantity"].update(value="1,5"), "/lines/0/quantity/value"),
    (lambda d: d.update(surprise=1), "/"),
    (lambda d: d.update(purpose="maybe"), "/purpose"),
    (lambda d: d["lines"][0].update(identifiers=[{"type": "upc"}]), "/lines/0/identifiers/0"),
])
def test_invalid_purchase_orders_are_pinpointed(change, path):
    doc = json.loads(json.dumps(MINIMAL["purchase_order"]))
    change(doc)
    issues = validate_document(doc)
    assert [i.path for i in issues] == [path]


def test_unknown_document_type():
    assert validate_document({"document_type": "memo"})[0].path == "/document_type"
