"""Outbound ERP connectors: deliver canonical documents to where the ERP takes them.

A route in a partner profile names a connector and its options; a ``Registry`` builds it::

    from gateway.connectors import ConnectorContext, DeliveryItem, default_registry

    registry = default_registry()
    erp = registry.create("folder", {"path": "erp/orders", "format": "csv"}, ConnectorContext(home))
    where = erp.deliver(DeliveryItem(key=..., document=po, document_type="purchase_order",
                                     partner_id="acme-retail", correlation_id=..., business_key="PO1001"))
    erp.close()

Shipped connectors: ``folder`` (one file per document, json/csv/xml, atomic publish), ``http``
(POST/PUT JSON with an Idempotency-Key, quick retries) and ``memory`` (a fake with fault
injection). The contract every connector keeps is in ``gateway.connectors.base``; the
conformance suite that checks it is ``gateway.testing.connectors``.
"""

from .base import Connector, DeliveryItem
from .registry import ConnectorContext, ConnectorType, Registry, default_registry

__all__ = ["Connector", "ConnectorContext", "ConnectorType", "DeliveryItem", "Registry", "default_registry"]
