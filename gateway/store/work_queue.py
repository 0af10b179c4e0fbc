"""The work queue: claims with leases, release, retry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, func, or_, select, update

from . import schema as t
from .base import Connected, now
from .records import Work


class Waiting(NamedTuple):
    """Work of one kind that waits for a retry: how many items, when the first is due, and its last error."""

    kind: str
    count: int
    next_at: datetime
    last_error: str | None


class WorkQueue(Connected):
    """Work items, leased to one worker at a time; a crashed worker's lease runs out or is released."""

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

    def waiting(self) -> list[Waiting]:
        """Unclaimed work not ready before a later time (a retry after a transient failure), per kind; the error shown
        is that of the item due first."""
        at = now()
        w = t.work
        with self._read() as c:
            kinds = c.execute(select(w.c.kind, func.count(), func.min(w.c.available_at))
                              .where(w.c.claimed_by.is_(None), w.c.available_at > at).group_by(w.c.kind).order_by(w.c.kind)).all()
            return [Waiting(kind, count, first, c.execute(
                select(w.c.last_error).where(w.c.kind == kind, w.c.claimed_by.is_(None), w.c.available_at == first).order_by(w.c.id).limit(1)
            ).scalar()) for kind, count, first in kinds]

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

    def drop_work(self, work_ids: list[int]) -> None:
        """Work that turned out to have nothing to do (its delivery was discarded meanwhile)."""
        with self._tx() as c:
            c.execute(delete(t.work).where(t.work.c.id.in_(work_ids)))


def _pid(owner: str) -> int:
    try:
        return int(owner.rsplit(":", 2)[1])
    except (IndexError, ValueError):
        return -1
