"""Quarantine: what stopped, and the operator's answers (reprocess, discard)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from . import schema as t
from .base import Connected, _event, _iso, _quarantine_dict, _requeue, now
from .deliveries import _settle


class Quarantine(Connected):
    """Items listed and shown; reprocess queues one again from the stage it failed in."""

    def quarantine_items(self, *, state: str | None = "open", partner_id: str | None = None, limit: int = 1000) -> list[dict]:
        q = t.quarantine
        query = select(q).order_by(q.c.id)
        if state:
            query = query.where(q.c.state == state)
        if partner_id:
            query = query.where(q.c.partner_id == partner_id)
        with self._read() as c:
            items = [_quarantine_dict(r) for r in c.execute(query.limit(limit)).mappings().all()]
            _successors(c, items)
        return items

    def quarantine_item(self, qid: int) -> dict | None:
        with self._read() as c:
            r = c.execute(select(t.quarantine).where(t.quarantine.c.id == qid)).mappings().first()
            if r is None:
                return None
            out = _quarantine_dict(r)
            _successors(c, [out])
            receipt = c.execute(select(t.receipts.c.name, t.receipts.c.channel, t.receipts.c.received_at)
                                .where(t.receipts.c.id == r["receipt_id"])).first() if r["receipt_id"] else None
            if receipt is not None:
                out["file"] = receipt.name
                out["channel"] = receipt.channel
                out["received_at"] = _iso(receipt.received_at)
            if r["kind"] == "transaction":
                tx = c.execute(select(t.transactions).where(t.transactions.c.id == r["ref_id"])).mappings().first()
                if tx is not None:
                    out["transaction"] = {"set": tx["set_id"], "control_number": tx["control_number"], "version": tx["version"],
                                          "state": tx["state"], "business_key": tx["business_key"]}
            if r["kind"] == "delivery":
                dv = c.execute(select(t.deliveries).where(t.deliveries.c.id == r["ref_id"])).mappings().first()
                if dv is not None:
                    out["delivery"] = {"route": dv["route"], "connector": dv["connector"], "attempts": dv["attempts"], "state": dv["state"],
                                       "last_error": dv["last_error"]}
        return out

    def _open_item(self, c: Connection, qid: int):
        """The item, locked; KeyError when there is none, ValueError when it is no longer open."""
        q = select(t.quarantine).where(t.quarantine.c.id == qid)
        if self.dialect == "postgresql":
            q = q.with_for_update()  # two operators reprocessing the same item: one wins, the other sees it is not open
        r = c.execute(q).mappings().first()
        if r is None:
            raise KeyError(qid)
        if r["state"] != "open":
            later = list(c.execute(select(t.quarantine.c.id).where(t.quarantine.c.previous_id == qid).order_by(t.quarantine.c.id)).scalars())
            again = f"; it failed again as {', '.join(f'#{n}' for n in later)}" if later else ""
            raise ValueError(f"quarantine item {qid} is {r['state']}, not open{again}")
        return r

    def reprocess(self, qid: int) -> dict:
        """Queue a quarantined item again, from the stage it failed in. Raises KeyError/ValueError when it cannot."""
        at = now()
        with self._tx() as c:
            r = self._open_item(c, qid)
            kind, ref = r["kind"], r["ref_id"]
            if kind == "receipt":
                if c.execute(select(t.transactions.c.id).where(t.transactions.c.receipt_id == ref).limit(1)).first() is not None:
                    raise ValueError(f"quarantine item {qid}: the file's documents were already recorded; reprocess those instead")
                c.execute(update(t.receipts).where(t.receipts.c.id == ref).values(state="received", updated_at=at))
                # Only a reported duplicate is let through the duplicate checks: reprocessing is the operator's "yes, again".
                _requeue(c, "reprocess" if r["code"].startswith("duplicate.") else "receipt", ref, at)
            elif kind == "transaction":
                c.execute(update(t.transactions).where(t.transactions.c.id == ref).values(state="received", stage="map", updated_at=at))
                _requeue(c, "transaction", ref, at)
            else:
                c.execute(update(t.deliveries).where(t.deliveries.c.id == ref).values(state="pending", attempts=0))
                tid = c.execute(select(t.deliveries.c.transaction_id).where(t.deliveries.c.id == ref)).scalar_one()
                c.execute(update(t.transactions).where(t.transactions.c.id == tid).values(state="translated", stage="deliver", updated_at=at))
                _requeue(c, "delivery", ref, at)
            c.execute(update(t.quarantine).where(t.quarantine.c.id == qid).values(state="reprocessed", resolved_at=at))
            _event(c, at, "quarantine", "reprocess", r["correlation_id"], receipt_id=r["receipt_id"],
                   transaction_id=ref if kind == "transaction" else None, delivery_id=ref if kind == "delivery" else None,
                   message=f"quarantine item {qid} ({r['code']}) queued again")
        return dict(r) | {"state": "reprocessed"}

    def discard(self, qid: int, reason: str | None = None) -> dict:
        at = now()
        with self._tx() as c:
            r = self._open_item(c, qid)
            kind, ref = r["kind"], r["ref_id"]
            table = {"receipt": t.receipts, "transaction": t.transactions, "delivery": t.deliveries}[kind]
            c.execute(update(table).where(table.c.id == ref).values(state="discarded"))
            if kind == "delivery":
                tid = c.execute(select(t.deliveries.c.transaction_id).where(t.deliveries.c.id == ref)).scalar_one()
                _settle(c, at, [tid])
            c.execute(update(t.quarantine).where(t.quarantine.c.id == qid).values(state="discarded", resolved_at=at))
            _event(c, at, "quarantine", "discarded", r["correlation_id"], receipt_id=r["receipt_id"],
                   transaction_id=ref if kind == "transaction" else None, delivery_id=ref if kind == "delivery" else None,
                   message=f"quarantine item {qid} ({r['code']}) discarded" + (f": {reason}" if reason else ""))
        return dict(r) | {"state": "discarded"}

    def reprocess_outcome(self, qid: int) -> dict:
        """What became of a reprocessed item: ``outcome`` is ``failed_again`` (``replaced_by`` lists the new items),
        ``pending`` (still being worked on: waiting for a worker, a retry), ``done`` (went through), or the item's
        own state when it was not reprocessed (``open``, ``discarded``). ``state``: the receipt's, set's or delivery's."""
        with self._read() as c:
            r = c.execute(select(t.quarantine).where(t.quarantine.c.id == qid)).mappings().first()
            if r is None:
                raise KeyError(qid)
            out = {"id": qid, "kind": r["kind"], "ref_id": r["ref_id"], "replaced_by": []}
            if r["state"] != "reprocessed":
                return out | {"outcome": r["state"], "state": None}
            q, tr = t.quarantine, t.transactions
            out["replaced_by"] = [_quarantine_dict(n) for n in c.execute(select(q).where(q.c.previous_id == qid).order_by(q.c.id)).mappings()]
            table = {"receipt": t.receipts, "transaction": tr, "delivery": t.deliveries}[r["kind"]]
            state = c.execute(select(table.c.state).where(table.c.id == r["ref_id"])).scalar()
            if r["kind"] == "receipt":
                busy = state == "received" or c.execute(select(tr.c.id).where(
                    tr.c.receipt_id == r["ref_id"], tr.c.state.in_(_BUSY)).limit(1)).first() is not None
            else:
                busy = state in _BUSY or state == "pending"
        if out["replaced_by"]:
            return out | {"outcome": "failed_again", "state": state}
        return out | {"outcome": "pending" if busy else "done", "state": state}


_BUSY = ("received", "translated")  # a set not yet mapped, or mapped with deliveries to go


def _successors(c: Connection, items: list[dict]) -> None:
    """``replaced_by``: the items that followed each one (it was reprocessed and failed again)."""
    if not items:
        return
    q = t.quarantine
    after: dict[int, list[int]] = {}
    for nid, prev in c.execute(select(q.c.id, q.c.previous_id).where(q.c.previous_id.in_([i["id"] for i in items])).order_by(q.c.id)):
        after.setdefault(prev, []).append(nid)
    for i in items:
        i["replaced_by"] = after.get(i["id"], [])
