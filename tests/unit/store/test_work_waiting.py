"""What waits for a retry (``Store.waiting``), on SQLite and PostgreSQL: what ``serve --once`` reports when it leaves work behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gateway.store import (
    DeliveryOutcome,
    EnvelopeRecord,
    GroupRecord,
    InterchangeRecord,
    MappedRecord,
    RouteRecord,
    Store,
    TransactionRecord,
    Work,
    new_correlation_id,
)
from gateway.store.base import now


@pytest.fixture
def store(store_url):
    s = Store.open(store_url)
    yield s
    s.close()


def deliveries(store: Store, n_sets: int) -> list[Work]:
    """A received file with ``n_sets`` 850s, mapped, each with one route: its delivery work, claimed by no one."""
    r = store.receive(name=f"{new_correlation_id()}.x12", data=new_correlation_id().encode(), channel="drop_folder", partner_id="acme",
                      meta={})
    [w] = store.claim("host:1:0", kinds=["receipt"])
    sets = [TransactionRecord(i, "850", f"{i:04d}", "004010", new_correlation_id()) for i in range(1, n_sets + 1)]
    control = f"{r.id:09d}"
    ix = InterchangeRecord("ZZ:ACME", "ZZ:US", control, "accepted", f"ZZ:ACME|ZZ:US|{control}", [GroupRecord("PO", "1", "004010", "A", sets)])
    _, follow = store.record_envelope(w, r.id, EnvelopeRecord("acme", [ix]), claim=("host:1:0", 60))
    mapped = [MappedRecord(p.id, p.correlation_id, "purchase_order", "default/850-004010-in", "{}", {"po_number": f"PO{p.ordinal}"},
                           f"PO{p.ordinal}", [RouteRecord(0, "http", f"{p.correlation_id}-r0")]) for p in store.transactions_to_map(follow)]
    pending = store.record_mapping(follow, mapped, claim=("host:1:0", 60))
    store.release("host:1:0")
    return [Work(p.work_id, "delivery", p.id, 0) for p in pending]


def test_nothing_waits_in_an_empty_queue_nor_for_ready_or_claimed_work(store):
    assert store.waiting() == []
    store.receive(name="a.x12", data=b"a", channel="drop_folder", partner_id="acme", meta={})  # ready
    store.receive(name="b.x12", data=b"b", channel="drop_folder", partner_id="acme", meta={})
    store.claim("host:1:0")  # claimed
    assert store.waiting() == []


def test_deliveries_waiting_for_a_retry_are_counted_with_the_first_due_and_its_error(store):
    pending = store.pending_deliveries(deliveries(store, 3))
    before = now()
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "retry", error=f"POST http://erp/orders -> 503 ({n})", delay=60 + n * 60)
                             for n, p in enumerate(pending)])
    [waiting] = store.waiting()
    assert (waiting.kind, waiting.count, waiting.last_error) == ("delivery", 3, "POST http://erp/orders -> 503 (0)")
    assert before + timedelta(seconds=59) <= waiting.next_at <= now() + timedelta(seconds=61)


def test_waiting_work_of_several_kinds_is_reported_per_kind(store):
    [p] = store.pending_deliveries(deliveries(store, 1))
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "retry", error="timed out", delay=120)])
    r = store.receive(name=f"{new_correlation_id()}.x12", data=b"c", channel="drop_folder", partner_id="acme", meta={})
    [w] = store.claim("host:1:0", kinds=["receipt"])
    assert w == Work(w.id, "receipt", r.id, 0)
    store.retry(w, "OperationalError: disk I/O error", delay=30)
    assert [(x.kind, x.count, x.last_error) for x in store.waiting()] == [("delivery", 1, "timed out"),
                                                                          ("receipt", 1, "OperationalError: disk I/O error")]
    store.retry(Work(w.id, "receipt", r.id, 1), "gone", delay=-1)  # due again: ready, no longer waiting
    assert [x.kind for x in store.waiting()] == ["delivery"]
