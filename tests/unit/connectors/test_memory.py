"""The memory connector: a fake ERP keeping documents by key, with fault injection."""

from __future__ import annotations

import pytest

from gateway.connectors import default_registry
from gateway.connectors.memory import MemoryConnector, MemoryTarget, memory_connector_type
from gateway.errors import DeliveryError
from gateway.testing.connectors import SAMPLE_PURCHASE_ORDER, ConnectorContract, Harness, make_item


class TestMemoryContract(ConnectorContract):
    @pytest.fixture
    def harness(self):
        connector = MemoryConnector()
        return Harness(connector, connector.target.delivered, MemoryConnector(fail_first=1))


def outcomes(connector: MemoryConnector, keys: list[str]) -> list[str]:
    out = []
    for key in keys:
        try:
            connector.deliver(make_item(key))
            out.append("ok")
        except DeliveryError as exc:
            out.append("retry" if exc.retryable else "terminal")
    return out


def test_a_repeated_key_is_one_document_and_two_calls():
    connector = MemoryConnector()
    assert connector.deliver(make_item("k1")) == "memory:k1"
    connector.deliver(make_item("k1"))
    assert list(connector.documents) == ["k1"]
    assert connector.target.calls["k1"] == 2 and connector.calls == 2


def test_fail_first_then_succeed():
    connector = MemoryConnector(fail_first=2)
    assert outcomes(connector, ["k1", "k1", "k1", "k2"]) == ["retry", "retry", "ok", "ok"]
    assert connector.target.calls["k1"] == 3
    assert connector.target.delivered("k1") == [SAMPLE_PURCHASE_ORDER]


def test_fail_every_nth_call():
    assert outcomes(MemoryConnector(fail_every=3), [f"k{i}" for i in range(7)]) == ["ok", "ok", "retry", "ok", "ok", "retry", "ok"]


def test_fail_keys_always_fail_and_terminal_makes_them_final():
    connector = MemoryConnector(fail_keys=["bad"], terminal=True)
    assert outcomes(connector, ["good", "bad", "bad"]) == ["ok", "terminal", "terminal"]
    assert connector.target.delivered("bad") == []


def test_fail_after_delivery_keeps_the_document_but_reports_failure():
    connector = MemoryConnector(fail_first=1, fail_after_delivery=True)
    with pytest.raises(DeliveryError, match="after the document was kept") as caught:
        connector.deliver(make_item("k1"))
    assert caught.value.retryable is True
    assert connector.target.delivered("k1") == [SAMPLE_PURCHASE_ORDER]
    connector.deliver(make_item("k1"))  # the pipeline's redelivery: still one document
    assert len(connector.documents) == 1 and connector.target.calls["k1"] == 2


def test_documents_are_copies():
    connector = MemoryConnector()
    item = make_item("k1")
    connector.deliver(item)
    item.document["po_number"] = "changed later"
    assert connector.documents["k1"]["po_number"] == "PO-1001"


def test_options_through_the_registry(context):
    connector = default_registry(plugins=False).create("memory", {"fail_keys": ["k2"], "terminal": True}, context)
    assert outcomes(connector, ["k1", "k2"]) == ["ok", "terminal"]


def test_a_shared_target_sees_every_connector_built_for_it(context):
    target = MemoryTarget()
    registry = default_registry(plugins=False).copy()
    registry.add(memory_connector_type("erp", target))
    registry.create("erp", {}, context).deliver(make_item("k1"))
    registry.create("erp", {}, context).deliver(make_item("k2"))
    assert sorted(target.documents) == ["k1", "k2"]


def test_close_is_counted():
    connector = MemoryConnector()
    connector.close()
    connector.close()
    assert connector.closed == 2
