"""The envelope stage: interchanges, groups, transactions, the acks we send, counters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import schema as t
from .base import Connected, _acks_written, _cut, _event, _owner, _previous, _quarantine, _take, now, owner_of
from .records import EnvelopeRecord, PendingAck, Problem, TransactionRecord, Work


class Envelopes(Connected):
    """What the envelope stage decided about a receipt, in one commit."""

    def seen_interchanges(self, keys: list[str]) -> dict[str, int]:
        """Interchange dedupe keys already recorded -> the receipt that brought them."""
        if not keys:
            return {}
        with self._read() as c:
            rows = c.execute(select(t.interchanges.c.dedupe_key, t.interchanges.c.receipt_id)
                             .where(t.interchanges.c.dedupe_key.in_(keys))).all()
        return {r.dedupe_key: r.receipt_id for r in rows}

    def next_counter(self, name: str, count: int = 1, start: int = 1) -> int:
        """Reserve ``count`` numbers of counter ``name``; returns the first. Gaps (a crash after reserving) are fine."""
        return self.next_counters({name: count}, start)[name]

    def next_counters(self, wanted: dict[str, int], start: int = 1) -> dict[str, int]:
        """``next_counter`` for several counters in one transaction: name -> first number reserved."""
        out = {}
        with self._tx() as c:
            for name, count in wanted.items():
                q = select(t.counters.c.value).where(t.counters.c.name == name)
                if self.dialect == "postgresql":
                    q = q.with_for_update()
                value = c.execute(q).scalar()
                if value is None:
                    try:
                        with c.begin_nested():
                            c.execute(insert(t.counters).values(name=name, value=start - 1 + count))
                        out[name] = start
                        continue
                    except IntegrityError:  # another worker created it meanwhile
                        value = c.execute(q).scalar_one()
                c.execute(update(t.counters).where(t.counters.c.name == name).values(value=value + count))
                out[name] = value + 1
        return out

    def record_envelope(self, work: Work, receipt_id: int, rec: EnvelopeRecord, claim: tuple[str, float] | None = None
                        ) -> tuple[list[Work], Work | None]:
        """Interchanges, groups, transactions (received, or quarantined when rejected) and acks of a receipt,
        then the next work: writing the acks, mapping the transactions. ``claim`` (worker, lease seconds)
        leases that work to the caller in the same commit, so it can go on without parsing again.
        Returns the ack work items and the map work item (None when nothing is left to map)."""
        at = now()
        owner = _owner(claim, at)
        with self._tx() as c:
            cid = c.execute(select(t.receipts.c.correlation_id).where(t.receipts.c.id == receipt_id)).scalar_one()
            c.execute(update(t.receipts).where(t.receipts.c.id == receipt_id).values(
                state="processed", partner_id=rec.partner_id, updated_at=at))
            tx_rows: list[dict] = []
            problems: list[tuple[int, TransactionRecord]] = []
            for ix in rec.interchanges:
                ix_id = c.execute(insert(t.interchanges).values(
                    receipt_id=receipt_id, sender=_cut(ix.sender, 40), receiver=_cut(ix.receiver, 40), control_number=_cut(ix.control_number, 9),
                    dedupe_key=_cut(ix.dedupe_key, 100), state=ix.state, created_at=at).returning(t.interchanges.c.id)).scalar_one()
                for g in ix.groups:
                    g_id = c.execute(insert(t.groups).values(
                        interchange_id=ix_id, functional_id=_cut(g.functional_id, 2), control_number=_cut(g.control_number, 9),
                        version=_cut(g.version, 12), state=g.state).returning(t.groups.c.id)).scalar_one()
                    for tr in g.transactions:
                        tx_rows.append(_tx_row(tr, receipt_id, rec.partner_id, at, ix_id, g_id))
            for tr in rec.documents:
                tx_rows.append(_tx_row(tr, receipt_id, rec.partner_id, at))
            ids: list[int] = []
            if tx_rows:
                ids = list(c.execute(insert(t.transactions).returning(t.transactions.c.id, sort_by_parameter_order=True), tx_rows).scalars())
            records = [tr for ix in rec.interchanges for g in ix.groups for tr in g.transactions] + list(rec.documents)
            events = [dict(at=at, correlation_id=cid, receipt_id=receipt_id, transaction_id=None, delivery_id=None, stage="envelope",
                           state="processed", message="; ".join(rec.notes)[:4000] or None)]
            key_rows: list[dict] = []
            for tid, tr in zip(ids, records, strict=True):
                if tr.problem is not None:
                    problems.append((tid, tr))
                key_rows += [dict(transaction_id=tid, name=name, element=_cut(element, 20), value=_cut(value, 80))
                             for name, element, value in tr.keys]
                events.append(dict(at=at, correlation_id=tr.correlation_id, receipt_id=receipt_id, transaction_id=tid, delivery_id=None,
                                   stage="envelope", state="quarantined" if tr.problem else "received",
                                   message=f"{tr.set_id} {tr.control_number or ''}".strip()))
            if key_rows:
                c.execute(insert(t.transaction_keys), key_rows)
            # New sets can only follow their file's reprocessed item (the file failed before, now its sets do).
            previous = _previous(c, "receipt", receipt_id, None) if problems else None
            for tid, tr in problems:
                _quarantine(c, at, "transaction", tid, receipt_id, rec.partner_id, tr.correlation_id, tr.problem, previous)
            ack_work: list[Work] = []
            for a in rec.acks:
                aid = c.execute(insert(t.acks).values(receipt_id=receipt_id, partner_id=rec.partner_id, kinds=a.kinds,
                                                      control_number=a.control_number, path=a.path, body=a.body,
                                                      verdicts=json.dumps(a.verdicts) if a.verdicts else None, created_at=at)
                                .returning(t.acks.c.id)).scalar_one()
                wid = c.execute(insert(t.work).values(kind="ack", ref_id=aid, available_at=at, attempts=0, **owner)
                                .returning(t.work.c.id)).scalar_one()
                ack_work.append(Work(wid, "ack", aid, 0))
                events.append(dict(at=at, correlation_id=cid, receipt_id=receipt_id, transaction_id=None, delivery_id=None, stage="ack",
                                   state="queued", message=f"{a.kinds} {a.control_number} -> {a.path}"))
            c.execute(insert(t.events), events)
            _take(c, work, owner_of(claim))
            map_work = None
            if len(problems) < len(ids):
                wid = c.execute(insert(t.work).values(kind="map", ref_id=receipt_id, available_at=at, attempts=0, **owner)
                                .returning(t.work.c.id)).scalar_one()
                map_work = Work(wid, "map", receipt_id, 0)
        return ack_work, map_work

    def quarantine_receipt(self, work: Work, receipt_id: int, problem: Problem, partner_id: str | None = None,
                           owner: str | None = None) -> None:
        """The whole file stops (unreadable, not X12, unknown partner, duplicate interchange...)."""
        at = now()
        with self._tx() as c:
            _take(c, work, owner)
            cid = c.execute(select(t.receipts.c.correlation_id).where(t.receipts.c.id == receipt_id)).scalar_one()
            values: dict[str, Any] = {"state": "quarantined", "updated_at": at}
            if partner_id is not None:
                values["partner_id"] = partner_id
            c.execute(update(t.receipts).where(t.receipts.c.id == receipt_id).values(**values))
            _quarantine(c, at, "receipt", receipt_id, receipt_id, partner_id, cid, problem, _previous(c, "receipt", receipt_id, None))
            _event(c, at, problem.stage, "quarantined", cid, receipt_id=receipt_id, message=f"{problem.code}: {problem.reason}"[:4000])

    def hold_receipt(self, receipt_id: int, problem: Problem) -> bool:
        """Quarantine a stored file no worker has started on (its work unclaimed, or its lease run out): True.
        One already being processed, or done, keeps its course and the problem is only recorded as an event: False."""
        at = now()
        w = t.work
        with self._tx() as c:
            r = c.execute(select(t.receipts.c.correlation_id, t.receipts.c.partner_id).where(t.receipts.c.id == receipt_id)).one()
            held = c.execute(delete(w).where(w.c.kind == "receipt", w.c.ref_id == receipt_id,
                                             or_(w.c.claimed_by.is_(None), w.c.claimed_until < at))).rowcount > 0
            if held:
                c.execute(update(t.receipts).where(t.receipts.c.id == receipt_id).values(state="quarantined", updated_at=at))
                _quarantine(c, at, "receipt", receipt_id, receipt_id, r.partner_id, r.correlation_id, problem)
            _event(c, at, problem.stage, "quarantined" if held else problem.code, r.correlation_id, receipt_id=receipt_id,
                   message=f"{problem.code}: {problem.reason}"[:4000])
        return held

    # -- acks --------------------------------------------------------------------------------------

    def pending_acks(self, work_ids: list[int]) -> list[PendingAck]:
        with self._read() as c:
            rows = c.execute(select(t.work.c.id.label("work_id"), t.acks.c.id, t.acks.c.path, t.acks.c.body, t.receipts.c.correlation_id,
                                    t.acks.c.partner_id)
                             .join(t.acks, t.acks.c.id == t.work.c.ref_id).join(t.receipts, t.receipts.c.id == t.acks.c.receipt_id)
                             .where(t.work.c.id.in_(work_ids), t.work.c.kind == "ack")).all()
        return [PendingAck(r.work_id, r.id, r.path, r.body, r.correlation_id, r.partner_id) for r in rows]

    def ack_written(self, ack: PendingAck) -> None:
        self.acks_written([ack])

    def acks_written(self, acks: list[PendingAck]) -> None:
        """Acknowledgement files are in the partner's outbound folder: recorded, their work done."""
        if acks:
            with self._tx() as c:
                _acks_written(c, now(), acks)


def _tx_row(tr: TransactionRecord, receipt_id: int, partner_id: str | None, at: datetime, ix_id: int | None = None,
            g_id: int | None = None) -> dict:
    return dict(correlation_id=tr.correlation_id, receipt_id=receipt_id, interchange_id=ix_id, group_id=g_id, partner_id=partner_id,
                ordinal=tr.ordinal, set_id=_cut(tr.set_id, 6), control_number=_cut(tr.control_number, 9), version=_cut(tr.version, 12),
                document_type=None,
                business_key=None, state="quarantined" if tr.problem else "received", stage="envelope" if tr.problem else "map",
                created_at=at, updated_at=at)
