"""The connectors' public API is small and pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

from gateway import connectors


def test_connectors_public_names():
    assert sorted(connectors.__all__) == ["Connector", "ConnectorContext", "ConnectorType", "DeliveryItem", "Registry", "default_registry"]
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None


def test_importing_registers_nothing_globally():
    first = connectors.default_registry(plugins=False)
    first.add(connectors.ConnectorType("extra", first.get("memory").options, first.get("memory").factory))
    assert "extra" not in connectors.default_registry(plugins=False)
