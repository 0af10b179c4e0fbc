"""The message store's tables (SQLAlchemy Core). Alembic migrations under ``migrations/`` create them;
``tests/unit/store/test_migrations.py`` fails when the two drift.

Lineage: payload (raw bytes, by content hash) ← receipt (one file handed over by a channel) →
interchange → group → transaction → document → delivery (one per route), with the keys read from each
raw set (``transaction_keys``, for ``trace``), acks per interchange and an event row for every state change. ``work`` is the queue the workers claim
from; ``quarantine`` holds what stopped, with its reason, until reprocessed or discarded.
Times are naive UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

payloads = Table(
    "payloads", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

receipts = Table(
    "receipts", metadata,
    Column("id", Integer, primary_key=True),
    Column("correlation_id", String(40), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("partner_id", String(64), index=True),
    Column("name", String(512), nullable=False, index=True),
    Column("sha256", String(64), ForeignKey("payloads.sha256"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("offer_key", String(200), nullable=False, unique=True),  # the same offer twice is one receipt
    Column("meta", Text),
    Column("state", String(20), nullable=False),  # received, processed, quarantined, duplicate, discarded
    Column("duplicate_of", Integer),
    Column("received_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

interchanges = Table(
    "interchanges", metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt_id", Integer, ForeignKey("receipts.id"), nullable=False, index=True),
    Column("sender", String(40), nullable=False),
    Column("receiver", String(40), nullable=False),
    Column("control_number", String(9), nullable=False),
    Column("dedupe_key", String(100), unique=True),  # sender|receiver|ISA13; NULL when processed again on request
    Column("state", String(20), nullable=False),  # accepted, partial, rejected, duplicate
    Column("created_at", DateTime, nullable=False),
)

groups = Table(
    "groups", metadata,
    Column("id", Integer, primary_key=True),
    Column("interchange_id", Integer, ForeignKey("interchanges.id"), nullable=False, index=True),
    Column("functional_id", String(2), nullable=False),
    Column("control_number", String(9), nullable=False),
    Column("version", String(12), nullable=False),
    Column("state", String(20), nullable=False),
)

transactions = Table(
    "transactions", metadata,
    Column("id", Integer, primary_key=True),
    Column("correlation_id", String(40), nullable=False, unique=True),
    Column("receipt_id", Integer, ForeignKey("receipts.id"), nullable=False, index=True),
    Column("interchange_id", Integer, ForeignKey("interchanges.id"), index=True),
    Column("group_id", Integer, ForeignKey("groups.id")),
    Column("partner_id", String(64), index=True),
    Column("ordinal", Integer, nullable=False),  # position in the file, for reprocessing one set
    Column("set_id", String(6), nullable=False),  # 850, ... or "file" for a flat-file document
    Column("control_number", String(9)),
    Column("version", String(12)),
    Column("document_type", String(40)),
    Column("business_key", String(80), index=True),
    Column("state", String(20), nullable=False, index=True),  # received, translated, delivered, quarantined, discarded
    Column("stage", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=False, index=True),
    Column("document_type", String(40), nullable=False),
    Column("spec", String(200)),
    Column("body", Text, nullable=False),
    Column("po_number", String(80), index=True),
    Column("asn_id", String(80), index=True),
    Column("invoice_number", String(80), index=True),
    Column("created_at", DateTime, nullable=False),
)

# Keys read from the raw transaction set at the envelope stage (BEG03, BSN02, PRF01, BIG02...), so that
# ``trace`` finds a set whether or not it was ever mapped (rejected by validation, quarantined by mapping).
transaction_keys = Table(
    "transaction_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=False, index=True),
    Column("name", String(20), nullable=False),  # po_number, asn_id, invoice_number
    Column("element", String(20), nullable=False),  # where it was read: BEG03, PRF01, ... (the field name for flat files)
    Column("value", String(80), nullable=False, index=True),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=False, index=True),
    Column("partner_id", String(64)),
    Column("route", Integer, nullable=False),  # index in the profile's routes
    Column("connector", String(40), nullable=False),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("state", String(20), nullable=False, index=True),  # pending, delivered, quarantined, discarded
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("target", Text),
    Column("created_at", DateTime, nullable=False),
    Column("delivered_at", DateTime),
)

acks = Table(
    "acks", metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt_id", Integer, ForeignKey("receipts.id"), nullable=False, index=True),
    Column("partner_id", String(64)),
    Column("kinds", String(20), nullable=False),  # e.g. "997", "TA1+999"
    Column("control_number", String(9), nullable=False),
    Column("path", Text, nullable=False),
    Column("body", Text, nullable=False),  # kept so that a crash before the file is written loses nothing
    Column("verdicts", Text),  # JSON list of what the ack says: TA104 per interchange, AK9 per group, AK5/IK5 per set
    Column("created_at", DateTime, nullable=False),
    Column("written_at", DateTime),
)

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid is 64-bit; PostgreSQL's int4 would run out

work = Table(
    "work", metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(20), nullable=False),  # receipt, reprocess, map, transaction, ack, delivery
    Column("ref_id", Integer, nullable=False),
    Column("available_at", DateTime, nullable=False),
    Column("claimed_by", String(80)),
    Column("claimed_until", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    UniqueConstraint("kind", "ref_id", name="uq_work_kind_ref"),
    Index("ix_work_ready", "kind", "available_at", "id"),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # receipt, transaction, delivery
    Column("ref_id", Integer, nullable=False),
    Column("receipt_id", Integer, index=True),
    Column("partner_id", String(64)),
    Column("correlation_id", String(40), index=True),
    Column("stage", String(20), nullable=False),
    Column("code", String(60), nullable=False),
    Column("reason", Text, nullable=False),
    Column("issues", Text),  # JSON list of {code, message, path, where, severity}
    Column("state", String(20), nullable=False, index=True),  # open, reprocessed, discarded
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    # The reprocessed item this one follows: the same thing (or what its file became) failed again.
    Column("previous_id", Integer, index=True),
    Index("ix_quarantine_ref", "kind", "ref_id"),
)

events = Table(
    "events", metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("correlation_id", String(40), index=True),
    Column("receipt_id", Integer, index=True),
    Column("transaction_id", Integer, index=True),
    Column("delivery_id", Integer),
    Column("stage", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("message", Text),
)

counters = Table(
    "counters", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
