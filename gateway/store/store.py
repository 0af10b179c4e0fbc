"""The message store: every query the gateway makes lives here.

Each public method is one database transaction: a stage of the pipeline hands over
what it decided and the store commits it together with the event rows and the next
work item, or not at all. A crash (kill -9) between two methods loses nothing: the
claimed work item's lease runs out (or its worker is found dead) and the stage runs
again from what is committed.

Work claims: ``claim`` takes ready items with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share one store without taking the same item;
on SQLite the transaction holds the write lock from its start (``engine.py``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import contextmanager
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from ..errors import StoreError
from . import schema as t
from .engine import make_engine, migrate

# recorded: kept with nothing to deliver (a partner's 997/999 when no route asks for acknowledgements)
TRANSACTION_STATES = ("received", "translated", "delivered", "recorded", "quarantined", "discarded")
RECEIPT_STATES = ("received", "processed", "quarantined", "duplicate", "discarded")
DELIVERY_STATES = ("pending", "delivered", "quarantined", "discarded")


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


# -- what stages hand to the store ----------------------------------------------------------------


@dataclass(slots=True)
class Problem:
    """Why something is quarantined."""

    stage: str
    code: str
    reason: str
    issues: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class TransactionRecord:
    ordinal: int
    set_id: str
    control_number: str | None
    version: str | None
    correlation_id: str
    problem: Problem | None = None  # set: quarantined at the envelope stage (rejected by validation)


@dataclass(slots=True)
class GroupRecord:
    functional_id: str
    control_number: str
    version: str
    state: str
    transactions: list[TransactionRecord] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeRecord:
    sender: str
    receiver: str
    control_number: str
    state: str  # accepted, partial, rejected
    dedupe_key: str | None
    groups: list[GroupRecord] = field(default_factory=list)


@dataclass(slots=True)
class AckRecord:
    kinds: str
    control_number: str
    path: str
    body: str


@dataclass(slots=True)
class EnvelopeRecord:
    """The envelope stage's outcome for one receipt."""

    partner_id: str | None
    interchanges: list[InterchangeRecord] = field(default_factory=list)
    documents: list[TransactionRecord] = field(default_factory=list)  # flat-file documents (no envelope)
    acks: list[AckRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RouteRecord:
    route: int
    connector: str
    idempotency_key: str


@dataclass(slots=True)
class MappedRecord:
    """The mapping stage's outcome for one transaction: a document with its routes, or a problem."""

    transaction_id: int
    correlation_id: str
    document_type: str | None = None
    spec: str | None = None
    body: str | None = None
    keys: dict[str, str | None] = field(default_factory=dict)  # po_number, asn_id, invoice_number
    business_key: str | None = None
    routes: list[RouteRecord] = field(default_factory=list)
    problem: Problem | None = None


@dataclass(slots=True)
class DeliveryOutcome:
    work_id: int
    delivery_id: int
    state: str  # delivered, retry, quarantined
    target: str | None = None
    error: str | None = None
    delay: float = 0.0
    code: str = "delivery.failed"


# -- what the store hands back --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int
    correlation_id: str
    state: str
    new: bool  # False: the same offer was stored before (the channel may acknowledge it again)
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Work:
    id: int
    kind: str
    ref_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    id: int
    correlation_id: str
    channel: str
    partner_id: str | None
    name: str
    sha256: str
    state: str


@dataclass(frozen=True, slots=True)
class PendingTransaction:
    id: int
    correlation_id: str
    receipt_id: int
    partner_id: str | None
    ordinal: int
    set_id: str
    control_number: str | None


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    work_id: int
    id: int
    transaction_id: int
    partner_id: str | None
    route: int
    connector: str
    idempotency_key: str
    attempts: int
    correlation_id: str
    business_key: str | None
    document_type: str
    body: str


@dataclass(frozen=True, slots=True)
class PendingAck:
    work_id: int
    id: int
    path: str
    body: str
    correlation_id: str  # the receipt's
    partner_id: str | None


class Store:
    """A message store at ``url`` (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        try:
            engine = make_engine(url)
        except Exception as exc:  # a malformed URL, a missing driver
            raise StoreError(f"cannot open the store {_hide_password(url)}: {exc}") from exc
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self):
        """A writing transaction. A lost or refused connection becomes a (retryable) ``StoreError``."""
        try:
            with self.engine.begin() as c:
                yield c
        except (OperationalError, InterfaceError) as exc:
            raise StoreError(f"store {self.describe()} is unavailable: {str(exc.orig or exc).strip().splitlines()[0]}") from exc

    @contextmanager
    def _read(self):
        """A read-only transaction: on SQLite it takes no write lock (``engine.py`` starts it DEFERRED)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(gateway_read=True)
                if self.dialect == "postgresql":  # several statements (status, trace) see one snapshot
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except (OperationalError, InterfaceError) as exc:
            raise StoreError(f"store {self.describe()} is unavailable: {str(exc.orig or exc).strip().splitlines()[0]}") from exc

    # -- receive -----------------------------------------------------------------------------------

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

    # -- the work queue ----------------------------------------------------------------------------

    def claim(self, worker: str, *, kinds: Iterable[str] | None = None, limit: int = 1, lease_seconds: float = 300.0) -> list[Work]:
        """Up to ``limit`` ready work items, oldest first, leased to ``worker`` until the lease runs out."""
        at = now()
        w = t.work
        q = select(w.c.id, w.c.kind, w.c.ref_id, w.c.attempts).where(
            w.c.available_at <= at, or_(w.c.claimed_by.is_(None), w.c.claimed_until < at))
        if kinds is not None:
            q = q.where(w.c.kind.in_(list(kinds)))
        q = q.order_by(w.c.available_at, w.c.id).limit(limit)
        if self.dialect == "postgresql":
            q = q.with_for_update(skip_locked=True)
        with self._tx() as c:
            rows = c.execute(q).all()
            if rows:
                c.execute(update(w).where(w.c.id.in_([r.id for r in rows]))
                          .values(claimed_by=worker, claimed_until=at + timedelta(seconds=lease_seconds)))
        return [Work(r.id, r.kind, r.ref_id, r.attempts) for r in rows]

    def next_due(self) -> datetime | None:
        """When the earliest unclaimed work item becomes ready (None: the queue is empty)."""
        with self._read() as c:
            return c.execute(select(func.min(t.work.c.available_at)).where(t.work.c.claimed_by.is_(None))).scalar()

    def in_flight(self) -> int:
        """Work items leased right now (being done somewhere, possibly creating more work)."""
        at = now()
        with self._read() as c:
            return c.execute(select(func.count()).select_from(t.work).where(t.work.c.claimed_by.is_not(None), t.work.c.claimed_until >= at)
                             ).scalar_one()

    def pending_work(self) -> int:
        with self._read() as c:
            return c.execute(select(func.count()).select_from(t.work)).scalar_one()

    def release(self, worker: str, work_ids: Iterable[int] | None = None) -> int:
        """Give claimed work back (shutdown, or a worker found dead)."""
        with self._tx() as c:
            q = update(t.work).where(t.work.c.claimed_by == worker)
            if work_ids is not None:
                q = q.where(t.work.c.id.in_(list(work_ids)))
            return c.execute(q.values(claimed_by=None, claimed_until=None)).rowcount

    def release_dead(self, host: str, alive: Callable[[int], bool]) -> int:
        """Release the claims of workers on ``host`` whose process is gone (kill -9): their work is ready at once."""
        with self._tx() as c:
            owners = c.execute(select(t.work.c.claimed_by).where(t.work.c.claimed_by.like(f"{host}:%")).distinct()).scalars().all()
            dead = [o for o in owners if not alive(_pid(o))]
            if not dead:
                return 0
            return c.execute(update(t.work).where(t.work.c.claimed_by.in_(dead)).values(claimed_by=None, claimed_until=None)).rowcount

    def retry(self, work: Work, error: str, delay: float, owner: str | None = None) -> None:
        """A transient failure: the item is ready again after ``delay`` seconds (with ``owner``: only if still ours)."""
        at = now()
        with self._tx() as c:
            q = update(t.work).where(t.work.c.id == work.id)
            if owner is not None:
                q = q.where(t.work.c.claimed_by == owner)
            c.execute(q.values(
                claimed_by=None, claimed_until=None, attempts=t.work.c.attempts + 1, last_error=error[:2000],
                available_at=at + timedelta(seconds=delay)))

    # -- the envelope stage ------------------------------------------------------------------------

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
            for tid, tr in zip(ids, records, strict=True):
                if tr.problem is not None:
                    problems.append((tid, tr))
                events.append(dict(at=at, correlation_id=tr.correlation_id, receipt_id=receipt_id, transaction_id=tid, delivery_id=None,
                                   stage="envelope", state="quarantined" if tr.problem else "received",
                                   message=f"{tr.set_id} {tr.control_number or ''}".strip()))
            for tid, tr in problems:
                _quarantine(c, at, "transaction", tid, receipt_id, rec.partner_id, tr.correlation_id, tr.problem)
            ack_work: list[Work] = []
            for a in rec.acks:
                aid = c.execute(insert(t.acks).values(receipt_id=receipt_id, partner_id=rec.partner_id, kinds=a.kinds,
                                                      control_number=a.control_number, path=a.path, body=a.body, created_at=at)
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
            _quarantine(c, at, "receipt", receipt_id, receipt_id, partner_id, cid, problem)
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

    # -- the mapping stage -------------------------------------------------------------------------

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
                _quarantine(c, at, "transaction", r.transaction_id, rid, partner, r.correlation_id, r.problem)
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

    def drop_work(self, work_ids: list[int]) -> None:
        """Work that turned out to have nothing to do (its delivery was discarded meanwhile)."""
        with self._tx() as c:
            c.execute(delete(t.work).where(t.work.c.id.in_(work_ids)))

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
                                Problem("deliver", o.code, f"route {row.route} ({row.connector}): {o.error}"))
                    events.append(base | dict(state="quarantined", message=f"route {row.route} ({row.connector}): {o.error}"))
            if delivered:
                c.execute(update(d).where(d.c.id == bindparam("did")).values(state="delivered", target=bindparam("tg"), delivered_at=at,
                                                                              attempts=d.c.attempts + 1, last_error=None), delivered)
            if done_work:
                c.execute(delete(t.work).where(t.work.c.id.in_(done_work)))
            events += self._settle(c, at, touched)
            c.execute(insert(t.events), events)
        return len(outcomes)

    def _settle(self, c: Connection, at: datetime, transaction_ids: Iterable[int]) -> list[dict]:
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

    # -- quarantine --------------------------------------------------------------------------------

    def quarantine_items(self, *, state: str | None = "open", partner_id: str | None = None, limit: int = 1000) -> list[dict]:
        q = t.quarantine
        query = select(q).order_by(q.c.id)
        if state:
            query = query.where(q.c.state == state)
        if partner_id:
            query = query.where(q.c.partner_id == partner_id)
        with self._read() as c:
            rows = c.execute(query.limit(limit)).mappings().all()
        return [_quarantine_dict(r) for r in rows]

    def quarantine_item(self, qid: int) -> dict | None:
        with self._read() as c:
            r = c.execute(select(t.quarantine).where(t.quarantine.c.id == qid)).mappings().first()
            if r is None:
                return None
            out = _quarantine_dict(r)
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
        q = select(t.quarantine).where(t.quarantine.c.id == qid)
        if self.dialect == "postgresql":
            q = q.with_for_update()  # two operators reprocessing the same item: one wins, the other sees it is not open
        return c.execute(q).mappings().first()

    def reprocess(self, qid: int) -> dict:
        """Queue a quarantined item again, from the stage it failed in. Raises KeyError/ValueError when it cannot."""
        at = now()
        with self._tx() as c:
            r = self._open_item(c, qid)
            if r is None:
                raise KeyError(qid)
            if r["state"] != "open":
                raise ValueError(f"quarantine item {qid} is {r['state']}, not open")
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
            if r is None:
                raise KeyError(qid)
            if r["state"] != "open":
                raise ValueError(f"quarantine item {qid} is {r['state']}, not open")
            kind, ref = r["kind"], r["ref_id"]
            table = {"receipt": t.receipts, "transaction": t.transactions, "delivery": t.deliveries}[kind]
            c.execute(update(table).where(table.c.id == ref).values(state="discarded"))
            if kind == "delivery":
                tid = c.execute(select(t.deliveries.c.transaction_id).where(t.deliveries.c.id == ref)).scalar_one()
                self._settle(c, at, [tid])
            c.execute(update(t.quarantine).where(t.quarantine.c.id == qid).values(state="discarded", resolved_at=at))
            _event(c, at, "quarantine", "discarded", r["correlation_id"], receipt_id=r["receipt_id"],
                   transaction_id=ref if kind == "transaction" else None, delivery_id=ref if kind == "delivery" else None,
                   message=f"quarantine item {qid} ({r['code']}) discarded" + (f": {reason}" if reason else ""))
        return dict(r) | {"state": "discarded"}

    # -- operations --------------------------------------------------------------------------------

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


# -- helpers ----------------------------------------------------------------------------------------


class LeaseLost(StoreError):
    """The work item is no longer leased to this worker (its lease ran out and another took it): nothing was recorded."""

    code = "store.lease_lost"


def owner_of(claim: tuple[str, float] | None) -> str | None:
    return claim[0] if claim else None


def _take(c: Connection, work: Work, owner: str | None) -> None:
    """Finish a work item inside the transaction that records its outcome; with ``owner``, only if still ours."""
    q = delete(t.work).where(t.work.c.id == work.id)
    if owner is not None:
        q = q.where(t.work.c.claimed_by == owner)
    if c.execute(q).rowcount == 0 and owner is not None:
        raise LeaseLost(f"work {work.kind}:{work.ref_id} is no longer leased to {owner}")


def _cut(value: str | None, size: int) -> str | None:
    """Values from partner files fit their columns on every database (PostgreSQL refuses what SQLite would keep);
    the full value stays in the stored payload and in the findings."""
    return value if value is None or len(value) <= size else value[:size]


def _hide_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the configured URL)"


def _acks_written(c: Connection, at: datetime, acks: list[PendingAck]) -> None:
    if not acks:
        return
    c.execute(update(t.acks).where(t.acks.c.id.in_([a.id for a in acks])).values(written_at=at))
    receipts = dict(c.execute(select(t.acks.c.id, t.acks.c.receipt_id).where(t.acks.c.id.in_([a.id for a in acks]))).all())
    c.execute(insert(t.events), [dict(at=at, correlation_id=a.correlation_id, receipt_id=receipts[a.id], transaction_id=None, delivery_id=None,
                                      stage="ack", state="sent", message=f"written to {a.path}") for a in acks])
    c.execute(delete(t.work).where(t.work.c.id.in_([a.work_id for a in acks])))


def _owner(claim: tuple[str, float] | None, at: datetime) -> dict:
    if claim is None:
        return {}
    return {"claimed_by": claim[0], "claimed_until": at + timedelta(seconds=claim[1])}


def _pid(owner: str) -> int:
    try:
        return int(owner.rsplit(":", 2)[1])
    except (IndexError, ValueError):
        return -1


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _tx_row(tr: TransactionRecord, receipt_id: int, partner_id: str | None, at: datetime, ix_id: int | None = None,
            g_id: int | None = None) -> dict:
    return dict(correlation_id=tr.correlation_id, receipt_id=receipt_id, interchange_id=ix_id, group_id=g_id, partner_id=partner_id,
                ordinal=tr.ordinal, set_id=_cut(tr.set_id, 6), control_number=_cut(tr.control_number, 9), version=_cut(tr.version, 12),
                document_type=None,
                business_key=None, state="quarantined" if tr.problem else "received", stage="envelope" if tr.problem else "map",
                created_at=at, updated_at=at)


def _event(c: Connection, at: datetime, stage: str, state: str, correlation_id: str | None, *, receipt_id: int | None = None,
           transaction_id: int | None = None, delivery_id: int | None = None, message: str | None = None) -> None:
    c.execute(insert(t.events).values(at=at, correlation_id=correlation_id, receipt_id=receipt_id, transaction_id=transaction_id,
                                      delivery_id=delivery_id, stage=stage, state=state, message=message))


def _quarantine(c: Connection, at: datetime, kind: str, ref: int, receipt_id: int | None, partner_id: str | None,
                correlation_id: str | None, p: Problem) -> None:
    c.execute(insert(t.quarantine).values(kind=kind, ref_id=ref, receipt_id=receipt_id, partner_id=partner_id, correlation_id=correlation_id,
                                          stage=p.stage, code=p.code, reason=p.reason[:4000], issues=json.dumps(p.issues) if p.issues else None,
                                          state="open", created_at=at))


def _requeue(c: Connection, kind: str, ref: int, at: datetime) -> None:
    existing = c.execute(select(t.work.c.id).where(and_(t.work.c.kind == kind, t.work.c.ref_id == ref))).scalar()
    if existing is None:
        c.execute(insert(t.work).values(kind=kind, ref_id=ref, available_at=at, attempts=0))
    else:
        c.execute(update(t.work).where(t.work.c.id == existing).values(available_at=at, claimed_by=None, claimed_until=None, attempts=0))


def _quarantine_dict(r) -> dict:
    return {"id": r["id"], "kind": r["kind"], "ref_id": r["ref_id"], "receipt_id": r["receipt_id"], "partner": r["partner_id"],
            "correlation_id": r["correlation_id"], "stage": r["stage"], "code": r["code"], "reason": r["reason"],
            "issues": json.loads(r["issues"]) if r["issues"] else [], "state": r["state"], "created_at": _iso(r["created_at"]),
            "resolved_at": _iso(r["resolved_at"])}
