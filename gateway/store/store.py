"""The message store: every query the gateway makes lives in this package, one module per aggregate.

Each public method is one database transaction: a stage of the pipeline hands over
what it decided and the store commits it together with the event rows and the next
work item, or not at all. A crash (kill -9) between two methods loses nothing: the
claimed work item's lease runs out (or its worker is found dead) and the stage runs
again from what is committed.

Work claims: ``claim`` takes ready items with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share one store without taking the same item;
on SQLite the transaction holds the write lock from its start (``engine.py``).

The aggregates: ``receipts`` (files and payloads), ``work_queue`` (claims, leases, retries),
``envelope`` (interchanges, groups, transactions, acks, counters), ``deliveries`` (mapped
documents and their deliveries), ``quarantine`` (list, show, reprocess, discard) and
``status`` (status counts, trace). ``base`` holds the connection and the rows they share.
"""

from __future__ import annotations

from ..errors import StoreError
from ..masking import mask_urls
from .base import LeaseLost, now
from .deliveries import Deliveries
from .engine import make_engine, migrate, shown_url
from .envelope import Envelopes
from .quarantine import Quarantine
from .receipts import Receipts
from .status import StatusAndTrace
from .work_queue import WorkQueue

__all__ = ["LeaseLost", "Store", "now"]  # LeaseLost and now: imported from here by the worker and tests


class Store(Receipts, WorkQueue, Envelopes, Deliveries, Quarantine, StatusAndTrace):
    """A message store at ``url`` (SQLite file or PostgreSQL)."""

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        try:
            engine = make_engine(url)
        except Exception as exc:  # a malformed URL (quoted whole in the message), a missing driver
            raise StoreError(f"cannot open the store {shown_url(url)}: {mask_urls(str(exc).replace(url, shown_url(url)))}") from exc
        if migrate_schema:
            migrate(engine)
        return cls(engine)

