"""Read queries for operators: status counts and the lineage behind ``trace``."""

from __future__ import annotations

import json
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
        correlation id of a file or transaction, file name), with its whole lineage and events. PO numbers,
        ASN ids and invoice numbers are also found in sets that were never mapped (``transaction_keys``)."""
        tr, doc, keys, rc = t.transactions, t.documents, t.transaction_keys, t.receipts
        with self._read() as c:
            ids = set(c.execute(select(rc.c.id).where(or_(rc.c.correlation_id == key, rc.c.name == key))).scalars())
            matched: dict[int, set[int]] = {}  # receipt -> its transactions the key names
            for q in (select(tr.c.receipt_id, tr.c.id).where(or_(tr.c.correlation_id == key, tr.c.business_key == key)),
                      select(tr.c.receipt_id, tr.c.id).join(doc, doc.c.transaction_id == tr.c.id).where(
                          or_(doc.c.po_number == key, doc.c.asn_id == key, doc.c.invoice_number == key)),
                      select(tr.c.receipt_id, tr.c.id).join(keys, keys.c.transaction_id == tr.c.id).where(keys.c.value == key)):
                for rid, tid in c.execute(q).all():
                    matched.setdefault(rid, set()).add(tid)
            return [self._lineage(c, rid, matched.get(rid, set())) for rid in sorted(ids | matched.keys())]

    def _lineage(self, c: Connection, rid: int, matched: set[int]) -> dict:
        """A receipt's lineage; with ``matched``, only those of its transactions (the key names one document of the file)."""
        r = c.execute(select(t.receipts).where(t.receipts.c.id == rid)).mappings().one()
        out: dict[str, Any] = {
            "receipt": {"id": r["id"], "correlation_id": r["correlation_id"], "file": r["name"], "channel": r["channel"], "partner": r["partner_id"],
                        "size": r["size"], "sha256": r["sha256"], "state": r["state"], "received_at": _iso(r["received_at"]),
                        "duplicate_of": r["duplicate_of"]},
            "interchanges": [], "transactions": [], "acks": [], "quarantine": [], "events": [],
        }
        interchanges = {}
        for ix in c.execute(select(t.interchanges).where(t.interchanges.c.receipt_id == rid)).mappings():
            interchanges[ix["id"]] = ix["control_number"]
            out["interchanges"].append({"id": ix["id"], "sender": ix["sender"], "receiver": ix["receiver"], "control_number": ix["control_number"],
                                        "state": ix["state"]})
        groups = dict(c.execute(select(t.groups.c.id, t.groups.c.control_number).where(t.groups.c.interchange_id.in_(list(interchanges))))
                      .all()) if interchanges else {}
        verdicts: list[dict] = []
        for a in c.execute(select(t.acks).where(t.acks.c.receipt_id == rid).order_by(t.acks.c.id)).mappings():
            said = json.loads(a["verdicts"]) if a["verdicts"] else []
            verdicts += said
            out["acks"].append({"kinds": a["kinds"], "control_number": a["control_number"], "path": a["path"], "written_at": _iso(a["written_at"]),
                                "verdicts": said})
        tk = t.transaction_keys
        for tx in c.execute(select(t.transactions).where(t.transactions.c.receipt_id == rid).order_by(t.transactions.c.ordinal)).mappings():
            if matched and tx["id"] not in matched:
                continue
            entry = {"id": tx["id"], "correlation_id": tx["correlation_id"], "set": tx["set_id"], "control_number": tx["control_number"],
                     "version": tx["version"], "document_type": tx["document_type"], "business_key": tx["business_key"], "state": tx["state"],
                     "stage": tx["stage"],
                     "keys": [{"name": k.name, "element": k.element, "value": k.value}
                              for k in c.execute(select(tk.c.name, tk.c.element, tk.c.value).where(tk.c.transaction_id == tx["id"]).order_by(tk.c.id))],
                     "ack": _ack_for(verdicts, interchanges.get(tx["interchange_id"]), groups.get(tx["group_id"]), tx["control_number"]),
                     "deliveries": []}
            for dv in c.execute(select(t.deliveries).where(t.deliveries.c.transaction_id == tx["id"]).order_by(t.deliveries.c.route)).mappings():
                entry["deliveries"].append({"id": dv["id"], "route": dv["route"], "connector": dv["connector"], "state": dv["state"],
                                            "attempts": dv["attempts"], "target": dv["target"], "last_error": dv["last_error"],
                                            "delivered_at": _iso(dv["delivered_at"])})
            out["transactions"].append(entry)
        shown = {tx["id"] for tx in out["transactions"]}
        for q in c.execute(select(t.quarantine).where(t.quarantine.c.receipt_id == rid).order_by(t.quarantine.c.id)).mappings():
            out["quarantine"].append(_quarantine_dict(q))
        for q in out["quarantine"]:  # a reprocessed item's followers come from the same file
            q["replaced_by"] = [n["id"] for n in out["quarantine"] if n["previous_id"] == q["id"]]
        ev = t.events
        for e in c.execute(select(ev).where(or_(ev.c.receipt_id == rid, ev.c.transaction_id.in_(shown or {-1}),
                                                ev.c.correlation_id == r["correlation_id"])).order_by(ev.c.at, ev.c.id)).mappings():
            if e["transaction_id"] is not None and e["transaction_id"] not in shown:
                continue
            out["events"].append({"at": _iso(e["at"]), "stage": e["stage"], "state": e["state"], "correlation_id": e["correlation_id"],
                                  "transaction_id": e["transaction_id"], "delivery_id": e["delivery_id"], "message": e["message"]})
        return out


def _ack_for(verdicts: list[dict], interchange: str | None, group: str | None, control: str | None) -> dict | None:
    """What our ack said about one set: its AK5/IK5, unless its interchange (TA104) or its group (AK9) was
    rejected as a whole, which rejects the set whatever its AK5 says; a set its own AK5 rejects shows that AK5
    (a group of one rejected set has AK9 R too, but the AK5 says why)."""
    mine = [v for v in verdicts if interchange is not None and v.get("interchange") == interchange]
    ta1 = next((v for v in mine if v["segment"] == "TA1"), None)
    ak9 = next((v for v in mine if v["segment"] == "AK9" and v.get("group") == group), None)
    ak5 = next((v for v in mine if v["segment"] in ("AK5", "IK5") and v.get("group") == group and v.get("control_number") == control), None)
    set_rejected = ak5 if ak5 and ak5["code"] == "R" else None
    for v in (ta1 if ta1 and ta1["code"] == "R" else None, set_rejected, ak9 if ak9 and ak9["code"] == "R" else None, ak5, ak9, ta1):
        if v is not None:
            return {"segment": v["segment"], "code": v["code"]}
    return None
