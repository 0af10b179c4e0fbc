"""Receipts and their payloads: the bytes as a channel handed them over."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import insert, select

from . import schema as t
from .base import Connected, _event, _quarantine, new_correlation_id, now
from .records import Problem, Receipt, ReceiptRow


class Receipts(Connected):
    """Store the bytes a channel offers, once; read them back."""

    def receive(self, *, name: str, data: bytes, channel: str, partner_id: str | None, meta: dict | None = None) -> Receipt:
        """Store the bytes and a receipt row, queue it for processing, commit. Idempotent on the offer
        (channel, partner, name, content, mtime): the same file offered again returns the first receipt.
        The same content under another name, or later, is a duplicate: stored, reported, not processed."""
        meta = dict(meta or {})
        digest = hashlib.sha256(data).hexdigest()
        # A channel that re-offers after a crash presents the same name, bytes and mtime; a partner resending does not.
        offer = hashlib.sha256(json.dumps([channel, partner_id, name, digest, meta.get("mtime_ns", meta.get("offer"))]).encode()).hexdigest()
        at = now()
        with self._tx() as c:
            row = c.execute(select(t.receipts.c.id, t.receipts.c.correlation_id, t.receipts.c.state, t.receipts.c.duplicate_of)
                            .where(t.receipts.c.offer_key == offer)).first()
            if row is not None:
                return Receipt(row.id, row.correlation_id, row.state, False, row.duplicate_of)
            if c.execute(select(t.payloads.c.sha256).where(t.payloads.c.sha256 == digest)).first() is None:
                c.execute(insert(t.payloads).values(sha256=digest, size=len(data), data=data, created_at=at))
            first = c.execute(select(t.receipts.c.id, t.receipts.c.name).where(
                t.receipts.c.sha256 == digest, t.receipts.c.state != "discarded",
                (t.receipts.c.partner_id == partner_id) if partner_id is not None else t.receipts.c.partner_id.is_(None),
            ).order_by(t.receipts.c.id).limit(1)).first()
            state = "duplicate" if first is not None else "received"
            cid = new_correlation_id()
            rid = c.execute(insert(t.receipts).values(
                correlation_id=cid, channel=channel, partner_id=partner_id, name=name, sha256=digest, size=len(data), offer_key=offer,
                meta=json.dumps(meta, default=str), state=state, duplicate_of=first.id if first else None, received_at=at, updated_at=at,
            ).returning(t.receipts.c.id)).scalar_one()
            _event(c, at, "receive", state, cid, receipt_id=rid, message=f"{name} ({len(data)} bytes, sha256 {digest[:12]}) via {channel}")
            if first is not None:
                _quarantine(c, at, "receipt", rid, rid, partner_id, cid, Problem(
                    "receive", "duplicate.file", f"{name} has the same content as {first.name} (receipt {first.id}), received before"))
            else:
                c.execute(insert(t.work).values(kind="receipt", ref_id=rid, available_at=at, attempts=0))
        return Receipt(rid, cid, state, True, first.id if first else None)

    def receipt_and_payload(self, receipt_id: int) -> tuple[ReceiptRow, bytes]:
        with self._read() as c:
            r = c.execute(select(t.receipts, t.payloads.c.data).join(t.payloads, t.payloads.c.sha256 == t.receipts.c.sha256)
                          .where(t.receipts.c.id == receipt_id)).one()
        return ReceiptRow(r.id, r.correlation_id, r.channel, r.partner_id, r.name, r.sha256, r.state), r.data

    def receipt(self, receipt_id: int) -> ReceiptRow:
        with self._read() as c:
            r = c.execute(select(t.receipts).where(t.receipts.c.id == receipt_id)).one()
        return ReceiptRow(r.id, r.correlation_id, r.channel, r.partner_id, r.name, r.sha256, r.state)

    def payload(self, sha256: str) -> bytes:
        with self._read() as c:
            return c.execute(select(t.payloads.c.data).where(t.payloads.c.sha256 == sha256)).scalar_one()
