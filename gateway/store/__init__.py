"""The message store (SQLAlchemy 2, SQLite or PostgreSQL, Alembic migrations): the only package with queries.

    store = Store.open("sqlite:///work/store/gateway.db")     # migrates to the newest schema
    receipt = store.receive(name=..., data=..., channel="drop_folder", partner_id="acme-retail")
"""

from .base import new_correlation_id
from .engine import sqlite_url
from .records import (
    AckRecord,
    DeliveryOutcome,
    EnvelopeRecord,
    GroupRecord,
    InterchangeRecord,
    MappedRecord,
    PendingAck,
    PendingDelivery,
    PendingTransaction,
    Problem,
    Receipt,
    RouteRecord,
    TransactionRecord,
    Work,
)
from .store import Store

__all__ = [
    "AckRecord",
    "DeliveryOutcome",
    "EnvelopeRecord",
    "GroupRecord",
    "InterchangeRecord",
    "MappedRecord",
    "PendingAck",
    "PendingDelivery",
    "PendingTransaction",
    "Problem",
    "Receipt",
    "RouteRecord",
    "Store",
    "TransactionRecord",
    "Work",
    "new_correlation_id",
    "sqlite_url",
]
