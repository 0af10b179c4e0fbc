"""What every part of the store shares: the connection, and the rows each stage writes alongside its own
(events, quarantine items, work items)."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from ..errors import StoreError
from ..masking import mask_urls
from . import schema as t
from .engine import shown_url
from .records import PendingAck, Problem, Work


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


class Connected:
    """The engine and its two kinds of transaction, which every aggregate's queries run in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return shown_url(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def _unavailable(self, exc: OperationalError | InterfaceError) -> StoreError:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        return StoreError(f"store {self.describe()} is unavailable: {mask_urls(reason)}")

    @contextmanager
    def _tx(self):
        """A writing transaction. A lost or refused connection becomes a (retryable) ``StoreError``."""
        try:
            with self.engine.begin() as c:
                yield c
        except (OperationalError, InterfaceError) as exc:
            raise self._unavailable(exc) from exc

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
            raise self._unavailable(exc) from exc


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


def _owner(claim: tuple[str, float] | None, at: datetime) -> dict:
    if claim is None:
        return {}
    return {"claimed_by": claim[0], "claimed_until": at + timedelta(seconds=claim[1])}


def _cut(value: str | None, size: int) -> str | None:
    """Values from partner files fit their columns on every database (PostgreSQL refuses what SQLite would keep);
    the full value stays in the stored payload and in the findings."""
    return value if value is None or len(value) <= size else value[:size]


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _event(c: Connection, at: datetime, stage: str, state: str, correlation_id: str | None, *, receipt_id: int | None = None,
           transaction_id: int | None = None, delivery_id: int | None = None, message: str | None = None) -> None:
    c.execute(insert(t.events).values(at=at, correlation_id=correlation_id, receipt_id=receipt_id, transaction_id=transaction_id,
                                      delivery_id=delivery_id, stage=stage, state=state, message=message))


def _quarantine(c: Connection, at: datetime, kind: str, ref: int, receipt_id: int | None, partner_id: str | None,
                correlation_id: str | None, p: Problem, previous_id: int | None = None) -> None:
    c.execute(insert(t.quarantine).values(kind=kind, ref_id=ref, receipt_id=receipt_id, partner_id=partner_id, correlation_id=correlation_id,
                                          stage=p.stage, code=p.code, reason=p.reason[:4000], issues=json.dumps(p.issues) if p.issues else None,
                                          state="open", created_at=at, previous_id=previous_id))


def _previous(c: Connection, kind: str, ref: int, receipt_id: int | None, transaction_id: int | None = None) -> int | None:
    """The reprocessed quarantine item a new one follows, when it failed again: the newest of the same thing's,
    else of its transaction's, else of its file's (a reprocessed file whose set now fails mapping failed again too)."""
    q = t.quarantine
    wanted = [(kind, ref)]
    if transaction_id is not None and kind != "transaction":
        wanted.append(("transaction", transaction_id))
    if receipt_id is not None and kind != "receipt":
        wanted.append(("receipt", receipt_id))
    rows = c.execute(select(q.c.id, q.c.kind, q.c.ref_id).where(
        q.c.state == "reprocessed", or_(*[and_(q.c.kind == k, q.c.ref_id == r) for k, r in wanted]))).all()
    for thing in wanted:
        ids = [row.id for row in rows if (row.kind, row.ref_id) == thing]
        if ids:
            return max(ids)
    return None


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
            "resolved_at": _iso(r["resolved_at"]), "previous_id": r["previous_id"]}


def _acks_written(c: Connection, at: datetime, acks: list[PendingAck]) -> None:
    if not acks:
        return
    c.execute(update(t.acks).where(t.acks.c.id.in_([a.id for a in acks])).values(written_at=at))
    receipts = dict(c.execute(select(t.acks.c.id, t.acks.c.receipt_id).where(t.acks.c.id.in_([a.id for a in acks]))).all())
    c.execute(insert(t.events), [dict(at=at, correlation_id=a.correlation_id, receipt_id=receipts[a.id], transaction_id=None, delivery_id=None,
                                      stage="ack", state="sent", message=f"written to {a.path}") for a in acks])
    c.execute(delete(t.work).where(t.work.c.id.in_([a.work_id for a in acks])))
