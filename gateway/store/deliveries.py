"""The mapping and delivery stages: documents, their deliveries, and the transaction states that follow."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from . import schema as t
from .base import Connected, _acks_written, _cut, _owner, _previous, _quarantine, _take, now, owner_of
from .records import DeliveryOutcome, MappedRecord, PendingAck, PendingDelivery, PendingTransaction, Problem, Work


class Deliveries(Connected):
    """Mapped documents with one delivery per route; outcomes of delivering them."""

    def transactions_to_map(self, work: Work) -> list[PendingTransaction]:
        """For a ``map`` item: the receipt's transactions still received; for a ``transaction`` item: that one."""
        q = select(t.transactions.c.id, t.transactions.c.correlation_id, t.transactions.c.receipt_id, t.transactions.c.partner_id,
                   t.transactions.c.ordinal, t.transactions.c.set_id, t.transactions.c.control_number)
        if work.kind == "map":
            q = q.where(t.transactions.c.receipt_id == work.ref_id, t.transactions.c.state == "received")
        else:
            q = q.where(t.transactions.c.id == work.ref_id, t.transactions.c.state == "received")
        with self._read() as c:
            rows = c.execute(q.order_by(t.transactions.c.ordinal)).all()
        return [PendingTransaction(*r) for r in rows]

    def record_mapping(self, work: Work, records: list[MappedRecord], claim: tuple[str, float] | None = None,
                       acks: list[PendingAck] | None = None) -> list[PendingDelivery]:
        """Documents and their deliveries (queued; leased to ``claim`` when given), or quarantine rows; one commit,
        which also records ``acks`` written meanwhile (saving a commit of their own). Returns the deliveries,
        ready to deliver without reading them back."""
        at = now()
        owner = _owner(claim, at)
        with self._tx() as c:
            _take(c, work, owner_of(claim))
            _acks_written(c, at, acks or [])
            # Only sets still waiting to be mapped: another item (a reprocess next to a file's own map work) may have been first.
            q = select(t.transactions.c.id).where(t.transactions.c.id.in_([r.transaction_id for r in records]), t.transactions.c.state == "received")
            if self.dialect == "postgresql":
                q = q.with_for_update()
            waiting = set(c.execute(q).scalars())
            records = [r for r in records if r.transaction_id in waiting]
            ok = [r for r in records if r.problem is None]
            doc_ids: list[int] = []
            if ok:
                doc_ids = list(c.execute(insert(t.documents).returning(t.documents.c.id, sort_by_parameter_order=True), [
                    dict(transaction_id=r.transaction_id, document_type=r.document_type, spec=_cut(r.spec, 200), body=r.body,
                         po_number=_cut(r.keys.get("po_number"), 80), asn_id=_cut(r.keys.get("asn_id"), 80),
                         invoice_number=_cut(r.keys.get("invoice_number"), 80), created_at=at) for r in ok]).scalars())
            delivery_rows = []
            delivery_docs: list[MappedRecord] = []
            events = []
            partners = dict(c.execute(select(t.transactions.c.id, t.transactions.c.partner_id)
                                      .where(t.transactions.c.id.in_([r.transaction_id for r in records]))).all())
            if ok:  # one statement for all: executemany
                c.execute(update(t.transactions).where(t.transactions.c.id == bindparam("tid")).values(
                    state=bindparam("st"), stage=bindparam("sg"), document_type=bindparam("dt"), business_key=bindparam("bk"), updated_at=at),
                    [{"tid": r.transaction_id, "dt": r.document_type, "bk": _cut(r.business_key, 80), "st": "translated" if r.routes else "recorded",
                      "sg": "route" if r.routes else "done"} for r in ok])
            for r, did in zip(ok, doc_ids, strict=True):
                partner = partners.get(r.transaction_id)
                for rt in r.routes:
                    delivery_rows.append(dict(document_id=did, transaction_id=r.transaction_id, partner_id=partner, route=rt.route,
                                              connector=rt.connector, idempotency_key=rt.idempotency_key, state="pending", attempts=0,
                                              created_at=at))
                    delivery_docs.append(r)
                events.append(dict(at=at, correlation_id=r.correlation_id, receipt_id=None, transaction_id=r.transaction_id, delivery_id=None,
                                   stage="map", state="translated" if r.routes else "recorded",
                                   message=f"{r.document_type} {r.business_key or ''} -> {len(r.routes)} route(s)".strip()))
            delivery_work: list[PendingDelivery] = []
            if delivery_rows:
                dids = list(c.execute(insert(t.deliveries).returning(t.deliveries.c.id, sort_by_parameter_order=True), delivery_rows).scalars())
                wids = list(c.execute(insert(t.work).returning(t.work.c.id, sort_by_parameter_order=True),
                                      [dict(kind="delivery", ref_id=d, available_at=at, attempts=0, **owner) for d in dids]).scalars())
                delivery_work = [PendingDelivery(w, d, row["transaction_id"], row["partner_id"], row["route"], row["connector"],
                                                 row["idempotency_key"], 0, r.correlation_id, r.business_key, r.document_type, r.body)
                                 for w, d, row, r in zip(wids, dids, delivery_rows, delivery_docs, strict=True)]
            for r in records:
                if r.problem is None:
                    continue
                c.execute(update(t.transactions).where(t.transactions.c.id == r.transaction_id).values(
                    state="quarantined", stage=r.problem.stage, document_type=r.document_type, business_key=_cut(r.business_key, 80), updated_at=at))
                rid, partner = c.execute(select(t.transactions.c.receipt_id, t.transactions.c.partner_id)
                                         .where(t.transactions.c.id == r.transaction_id)).one()
                _quarantine(c, at, "transaction", r.transaction_id, rid, partner, r.correlation_id, r.problem,
                            _previous(c, "transaction", r.transaction_id, rid))
                events.append(dict(at=at, correlation_id=r.correlation_id, receipt_id=rid, transaction_id=r.transaction_id, delivery_id=None,
                                   stage=r.problem.stage, state="quarantined", message=f"{r.problem.code}: {r.problem.reason}"[:4000]))
            if events:
                c.execute(insert(t.events), events)
        return delivery_work

    # -- the delivery stage ------------------------------------------------------------------------

    def pending_deliveries(self, work: list[Work]) -> list[PendingDelivery]:
        if not work:
            return []
        by_ref = {w.ref_id: w for w in work if w.kind == "delivery"}
        d, tr, doc = t.deliveries, t.transactions, t.documents
        with self._read() as c:
            rows = c.execute(select(d.c.id, d.c.transaction_id, d.c.partner_id, d.c.route, d.c.connector, d.c.idempotency_key, d.c.attempts,
                                    tr.c.correlation_id, tr.c.business_key, doc.c.document_type, doc.c.body)
                             .join(tr, tr.c.id == d.c.transaction_id).join(doc, doc.c.id == d.c.document_id)
                             .where(d.c.id.in_(list(by_ref)), d.c.state == "pending")).all()
        return [PendingDelivery(by_ref[r.id].id, *r) for r in rows]

    def record_deliveries(self, outcomes: list[DeliveryOutcome], owner: str | None = None) -> int:
        """Delivered, to retry (after ``delay``) or quarantined; a transaction whose deliveries are all
        delivered becomes delivered. One commit for the batch. With ``owner``, outcomes whose work item is no
        longer leased to it (the lease ran out and another worker took over) are dropped: that worker's word
        counts. Returns how many outcomes were recorded."""
        if not outcomes:
            return 0
        at = now()
        d, tr = t.deliveries, t.transactions
        with self._tx() as c:
            if owner is not None:
                q = select(t.work.c.id).where(t.work.c.id.in_([o.work_id for o in outcomes]), t.work.c.claimed_by == owner)
                if self.dialect == "postgresql":
                    q = q.with_for_update()
                mine = set(c.execute(q).scalars())
                outcomes = [o for o in outcomes if o.work_id in mine]
                if not outcomes:
                    return 0
            info = {r.id: r for r in c.execute(select(d.c.id, d.c.transaction_id, d.c.connector, d.c.route, tr.c.correlation_id,
                                                      tr.c.receipt_id, tr.c.partner_id)
                                               .join(tr, tr.c.id == d.c.transaction_id)
                                               .where(d.c.id.in_([o.delivery_id for o in outcomes]))).all()}
            events = []
            touched: set[int] = set()
            done_work = []
            delivered: list[dict] = []
            for o in outcomes:
                row = info[o.delivery_id]
                touched.add(row.transaction_id)
                base = dict(at=at, correlation_id=row.correlation_id, receipt_id=row.receipt_id, transaction_id=row.transaction_id,
                            delivery_id=o.delivery_id, stage="deliver")
                if o.state == "delivered":
                    delivered.append({"did": o.delivery_id, "tg": o.target})
                    done_work.append(o.work_id)
                    events.append(base | dict(state="delivered", message=f"route {row.route} ({row.connector}): {o.target}"))
                elif o.state == "retry":
                    c.execute(update(d).where(d.c.id == o.delivery_id).values(attempts=d.c.attempts + 1, last_error=(o.error or "")[:2000]))
                    c.execute(update(t.work).where(t.work.c.id == o.work_id).values(
                        claimed_by=None, claimed_until=None, attempts=t.work.c.attempts + 1, last_error=(o.error or "")[:2000],
                        available_at=at + timedelta(seconds=o.delay)))
                    events.append(base | dict(state="retry", message=f"route {row.route} ({row.connector}): {o.error} (again in {o.delay:.1f}s)"))
                else:
                    c.execute(update(d).where(d.c.id == o.delivery_id).values(state="quarantined", attempts=d.c.attempts + 1,
                                                                                last_error=(o.error or "")[:2000]))
                    done_work.append(o.work_id)
                    _quarantine(c, at, "delivery", o.delivery_id, row.receipt_id, row.partner_id, row.correlation_id,
                                Problem("deliver", o.code, f"route {row.route} ({row.connector}): {o.error}"),
                                _previous(c, "delivery", o.delivery_id, row.receipt_id, row.transaction_id))
                    events.append(base | dict(state="quarantined", message=f"route {row.route} ({row.connector}): {o.error}"))
            if delivered:
                c.execute(update(d).where(d.c.id == bindparam("did")).values(state="delivered", target=bindparam("tg"), delivered_at=at,
                                                                              attempts=d.c.attempts + 1, last_error=None), delivered)
            if done_work:
                c.execute(delete(t.work).where(t.work.c.id.in_(done_work)))
            events += _settle(c, at, touched)
            c.execute(insert(t.events), events)
        return len(outcomes)


def _settle(c: Connection, at: datetime, transaction_ids: Iterable[int]) -> list[dict]:
    """Transaction states that follow from their deliveries."""
    d, tr = t.deliveries, t.transactions
    ids = list(transaction_ids)
    if not ids:
        return []
    counts: dict[int, dict[str, int]] = {}
    for tid, state, n in c.execute(select(d.c.transaction_id, d.c.state, func.count()).where(d.c.transaction_id.in_(ids))
                                   .group_by(d.c.transaction_id, d.c.state)).all():
        counts.setdefault(tid, {})[state] = n
    current = dict(c.execute(select(tr.c.id, tr.c.state).where(tr.c.id.in_(ids))).all())
    corr = dict(c.execute(select(tr.c.id, tr.c.correlation_id).where(tr.c.id.in_(ids))).all())
    events = []
    delivered_ids = []
    for tid, by in counts.items():
        if by.get("pending"):
            continue
        if by.get("quarantined"):
            new = "quarantined"
        elif by.get("delivered"):
            new = "delivered"
        elif by.get("discarded"):
            new = "discarded"  # every route given up
        else:
            new = current.get(tid)
        if new != current.get(tid):
            if new == "delivered":
                delivered_ids.append(tid)
            else:
                c.execute(update(tr).where(tr.c.id == tid).values(state=new, stage="deliver", updated_at=at))
                events.append(dict(at=at, correlation_id=corr[tid], receipt_id=None, transaction_id=tid, delivery_id=None,
                                   stage="deliver", state=new, message=None))
    if delivered_ids:
        c.execute(update(tr).where(tr.c.id.in_(delivered_ids)).values(state="delivered", stage="done", updated_at=at))
        events += [dict(at=at, correlation_id=corr[tid], receipt_id=None, transaction_id=tid, delivery_id=None, stage="deliver",
                        state="delivered", message=None) for tid in delivered_ids]
    return events
