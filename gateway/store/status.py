"""Read queries for operators: status counts and the lineage behind ``trace``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from . import schema as t
from .base import Connected, _iso, _quarantine_dict, now

# recorded: kept with nothing to deliver (a partner's 997/999 when no route asks for acknowledgements)
TRANSACTION_STATES = ("received", "translated", "delivered", "recorded", "quarantined", "discarded")
RECEIPT_STATES = ("received", "processed", "quarantined", "duplicate", "discarded")
DELIVERY_STATES = ("pending", "delivered", "quarantined", "discarded")


class StatusAndTrace(Connected):
    """Counts by state, and a file's whole lineage found by any of its keys."""

    def status(self) -> dict:
        """Counts by state (every known state present, zero or not) and by partner."""
        with self._read() as c:
            def counts(table, states, extra=()):
                got = dict(c.execute(select(table.c.state, func.count()).group_by(table.c.state)).all())
                out = {s: int(got.pop(s, 0)) for s in states}
                out.update({k: int(v) for k, v in got.items()})
                return out

            doc = {
                "receipts": counts(t.receipts, RECEIPT_STATES),
                "transactions": counts(t.transactions, TRANSACTION_STATES),
                "deliveries": counts(t.deliveries, DELIVERY_STATES),
                "quarantine": counts(t.quarantine, ("open", "reprocessed", "discarded")),
                "acks": {"written": int(c.execute(select(func.count()).select_from(t.acks).where(t.acks.c.written_at.is_not(None))).scalar_one()),
                         "pending": int(c.execute(select(func.count()).select_from(t.acks).where(t.acks.c.written_at.is_(None))).scalar_one())},
            }
            at = now()
            w = t.work
            doc["work"] = {
                "ready": int(c.execute(select(func.count()).select_from(w).where(w.c.available_at <= at, or_(
                    w.c.claimed_by.is_(None), w.c.claimed_until < at))).scalar_one()),
                "claimed": int(c.execute(select(func.count()).select_from(w).where(w.c.claimed_by.is_not(None), w.c.claimed_until >= at))
                               .scalar_one()),
                "waiting": int(c.execute(select(func.count()).select_from(w).where(w.c.available_at > at, w.c.claimed_by.is_(None)))
                               .scalar_one()),
            }
            partners: dict[str, dict[str, int]] = {}
            for pid, state, n in c.execute(select(t.transactions.c.partner_id, t.transactions.c.state, func.count())
                                           .group_by(t.transactions.c.partner_id, t.transactions.c.state)).all():
                partners.setdefault(pid or "(unknown)", {s: 0 for s in TRANSACTION_STATES})[state] = int(n)
            for pid, n in c.execute(select(t.receipts.c.partner_id, func.count()).group_by(t.receipts.c.partner_id)).all():
                partners.setdefault(pid or "(unknown)", {s: 0 for s in TRANSACTION_STATES})["files"] = int(n)
            for pid, n in c.execute(select(t.acks.c.partner_id, func.count()).where(t.acks.c.written_at.is_not(None))
                                    .group_by(t.acks.c.partner_id)).all():
                partners.setdefault(pid or "(unknown)", {s: 0 for s in TRANSACTION_STATES})["acks"] = int(n)
            for entry in partners.values():
                entry.setdefault("files", 0)
                entry.setdefault("acks", 0)
            doc["partners"] = dict(sorted(partners.items()))
        return doc

    def trace(self, key: str) -> list[dict]:
        """Every receipt whose lineage matches ``key`` (PO number, ASN id, invoice number, business key,
        correlation id of a file or transaction, file name), with its whole lineage and events."""
        tr, doc, rc = t.transactions, t.documents, t.receipts
        with self._read() as c:
            ids: set[int] = set()
            ids |= set(c.execute(select(rc.c.id).where(or_(rc.c.correlation_id == key, rc.c.name == key))).scalars())
            ids |= set(c.execute(select(tr.c.receipt_id).where(or_(tr.c.correlation_id == key, tr.c.business_key == key))).scalars())
            ids |= set(c.execute(select(tr.c.receipt_id).join(doc, doc.c.transaction_id == tr.c.id).where(
                or_(doc.c.po_number == key, doc.c.asn_id == key, doc.c.invoice_number == key))).scalars())
            return [self._lineage(c, rid, key) for rid in sorted(ids)]

    def _lineage(self, c: Connection, rid: int, key: str) -> dict:
        r = c.execute(select(t.receipts).where(t.receipts.c.id == rid)).mappings().one()
        out: dict[str, Any] = {
            "receipt": {"id": r["id"], "correlation_id": r["correlation_id"], "file": r["name"], "channel": r["channel"], "partner": r["partner_id"],
                        "size": r["size"], "sha256": r["sha256"], "state": r["state"], "received_at": _iso(r["received_at"]),
                        "duplicate_of": r["duplicate_of"]},
            "interchanges": [], "transactions": [], "acks": [], "quarantine": [], "events": [],
        }
        for ix in c.execute(select(t.interchanges).where(t.interchanges.c.receipt_id == rid)).mappings():
            out["interchanges"].append({"id": ix["id"], "sender": ix["sender"], "receiver": ix["receiver"], "control_number": ix["control_number"],
                                        "state": ix["state"]})
        matched = set(c.execute(select(t.transactions.c.id).outerjoin(t.documents, t.documents.c.transaction_id == t.transactions.c.id).where(
            t.transactions.c.receipt_id == rid, or_(t.transactions.c.correlation_id == key, t.transactions.c.business_key == key,
                                                    t.documents.c.po_number == key, t.documents.c.asn_id == key,
                                                    t.documents.c.invoice_number == key))).scalars())
        for tx in c.execute(select(t.transactions).where(t.transactions.c.receipt_id == rid).order_by(t.transactions.c.ordinal)).mappings():
            if matched and tx["id"] not in matched:
                continue  # the key names one document of the file: show that one
            entry = {"id": tx["id"], "correlation_id": tx["correlation_id"], "set": tx["set_id"], "control_number": tx["control_number"],
                     "version": tx["version"], "document_type": tx["document_type"], "business_key": tx["business_key"], "state": tx["state"],
                     "stage": tx["stage"], "deliveries": []}
            for dv in c.execute(select(t.deliveries).where(t.deliveries.c.transaction_id == tx["id"]).order_by(t.deliveries.c.route)).mappings():
                entry["deliveries"].append({"id": dv["id"], "route": dv["route"], "connector": dv["connector"], "state": dv["state"],
                                            "attempts": dv["attempts"], "target": dv["target"], "last_error": dv["last_error"],
                                            "delivered_at": _iso(dv["delivered_at"])})
            out["transactions"].append(entry)
        shown = {tx["id"] for tx in out["transactions"]}
        for a in c.execute(select(t.acks).where(t.acks.c.receipt_id == rid)).mappings():
            out["acks"].append({"kinds": a["kinds"], "control_number": a["control_number"], "path": a["path"], "written_at": _iso(a["written_at"])})
        for q in c.execute(select(t.quarantine).where(t.quarantine.c.receipt_id == rid).order_by(t.quarantine.c.id)).mappings():
            out["quarantine"].append(_quarantine_dict(q))
        ev = t.events
        for e in c.execute(select(ev).where(or_(ev.c.receipt_id == rid, ev.c.transaction_id.in_(shown or {-1}),
                                                ev.c.correlation_id == r["correlation_id"])).order_by(ev.c.at, ev.c.id)).mappings():
            if e["transaction_id"] is not None and e["transaction_id"] not in shown:
                continue
            out["events"].append({"at": _iso(e["at"]), "stage": e["stage"], "state": e["state"], "correlation_id": e["correlation_id"],
                                  "transaction_id": e["transaction_id"], "delivery_id": e["delivery_id"], "message": e["message"]})
        return out
