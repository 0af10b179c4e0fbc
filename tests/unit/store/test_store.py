"""The message store on SQLite and PostgreSQL: receipts, claims, stage records, quarantine, status, trace."""

from __future__ import annotations

import threading

import pytest
from gateway.store import (
    AckRecord,
    DeliveryOutcome,
    EnvelopeRecord,
    GroupRecord,
    InterchangeRecord,
    MappedRecord,
    Problem,
    RouteRecord,
    Store,
    TransactionRecord,
    Work,
    new_correlation_id,
)


@pytest.fixture
def store(store_url):
    s = Store.open(store_url)
    yield s
    s.close()


def receive(store, name="po.x12", data=b"ISA*00*...", partner="acme", mtime=1):
    return store.receive(name=name, data=data, channel="drop_folder", partner_id=partner, meta={"mtime_ns": mtime})


def envelope_with(n_sets: int, rejected: set[int] = frozenset(), control="000000101") -> EnvelopeRecord:
    sets = [TransactionRecord(i, "850", f"{i:04d}", "004010", new_correlation_id(),
                              Problem("validate", "x12.rejected", f"set {i} rejected") if i in rejected else None)
            for i in range(1, n_sets + 1)]
    ix = InterchangeRecord("ZZ:ACME", "ZZ:US", control, "accepted", f"ZZ:ACME|ZZ:US|{control}",
                           [GroupRecord("PO", "1", "004010", "A", sets)])
    return EnvelopeRecord("acme", [ix])


def run_to_deliveries(store, n_sets=2, routes=1, rejected=frozenset(), worker="host:1:0"):
    r = receive(store, data=f"file {new_correlation_id()}".encode())
    [w] = store.claim(worker)
    _, follow = store.record_envelope(w, r.id, envelope_with(n_sets, rejected), claim=(worker, 60))
    pending = store.transactions_to_map(follow)
    records = [MappedRecord(p.id, p.correlation_id, "purchase_order", "default/850-004010-in", '{"po_number": "%s"}' % p.control_number,
                            {"po_number": f"PO{p.ordinal}"}, f"PO{p.ordinal}",
                            [RouteRecord(k, "folder", f"{p.correlation_id}-r{k}") for k in range(routes)]) for p in pending]
    pending = store.record_mapping(follow, records, claim=(worker, 60))
    assert [(p.route, p.attempts, p.body) for p in pending] == [(k, 0, r.body) for r in records for k in range(routes)]
    return r, [Work(p.work_id, "delivery", p.id, 0) for p in pending]


# -- receive ----------------------------------------------------------------------------------------


def test_the_same_offer_twice_is_one_receipt(store):
    first = receive(store)
    again = receive(store)
    assert first.new and not again.new
    assert again.id == first.id
    assert store.status()["receipts"]["received"] == 1


def test_same_content_under_another_name_is_a_reported_duplicate_not_processed(store):
    first = receive(store, name="a.x12")
    dup = receive(store, name="b.x12", mtime=2)
    assert dup.state == "duplicate" and dup.duplicate_of == first.id
    [item] = store.quarantine_items()
    assert item["code"] == "duplicate.file" and "a.x12" in item["reason"]
    assert [w.ref_id for w in store.claim("host:1:0", limit=10)] == [first.id]  # only the first is queued


def test_payload_is_stored_once_per_content(store):
    receive(store, name="a.x12", data=b"same bytes")
    r = receive(store, name="b.x12", data=b"same bytes", partner="other")
    assert store.payload(store.receipt(r.id).sha256) == b"same bytes"


# -- claims -----------------------------------------------------------------------------------------


def test_claimed_work_is_not_claimed_again_until_released(store):
    receive(store)
    assert len(store.claim("host:1:0")) == 1
    assert store.claim("host:2:0") == []
    assert store.release("host:1:0") == 1
    assert len(store.claim("host:2:0")) == 1


def test_an_expired_lease_makes_work_claimable(store):
    receive(store)
    store.claim("host:1:0", lease_seconds=-1)
    assert len(store.claim("host:2:0")) == 1


def test_claims_of_a_dead_worker_on_this_host_are_released(store):
    receive(store)
    store.claim("thishost:4242:0")
    assert store.release_dead("thishost", alive=lambda pid: pid != 4242) == 1
    assert store.release_dead("otherhost", alive=lambda pid: False) == 0
    assert len(store.claim("thishost:5000:0")) == 1


def test_concurrent_claimers_never_take_the_same_item(store_url):
    setup = Store.open(store_url)
    for i in range(60):
        receive(setup, name=f"f{i}.x12", data=f"content {i}".encode())
    setup.close()
    taken: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        s = Store.open(store_url)
        got = taken.setdefault(name, [])
        while True:
            work = s.claim(name, limit=3)
            if not work:
                break
            got.extend(w.ref_id for w in work)
        s.close()

    threads = [threading.Thread(target=claimer, args=(f"host:{n}:0",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [ref for refs in taken.values() for ref in refs]
    assert sorted(everything) == sorted(set(everything)), "an item was claimed twice"
    assert len(everything) == 60


def test_retry_makes_work_wait(store):
    receive(store)
    [w] = store.claim("host:1:0")
    store.retry(w, "connection refused", delay=3600)
    assert store.claim("host:1:0") == []
    assert store.status()["work"]["waiting"] == 1


# -- stages -----------------------------------------------------------------------------------------


def test_envelope_record_creates_the_lineage_and_queues_mapping(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    acks, follow = store.record_envelope(w, r.id, envelope_with(3, rejected={2}), claim=("host:1:0", 60))
    assert acks == [] and follow is not None and follow.kind == "map"
    status = store.status()
    assert status["transactions"]["received"] == 2 and status["transactions"]["quarantined"] == 1
    assert status["receipts"]["processed"] == 1
    assert [p.ordinal for p in store.transactions_to_map(follow)] == [1, 3]
    assert store.seen_interchanges(["ZZ:ACME|ZZ:US|000000101", "ZZ:ACME|ZZ:US|999"]) == {"ZZ:ACME|ZZ:US|000000101": r.id}
    assert store.claim("host:2:0") == []  # the follow-up work is leased to the worker that parsed the file


def test_a_duplicate_interchange_key_cannot_be_recorded_twice(store):
    from sqlalchemy.exc import IntegrityError

    r1 = receive(store, name="a", data=b"a")
    r2 = receive(store, name="b", data=b"b")
    w1, w2 = store.claim("host:1:0", limit=2)
    store.record_envelope(w1, r1.id, envelope_with(1))
    with pytest.raises(IntegrityError):
        store.record_envelope(w2, r2.id, envelope_with(1))
    assert store.status()["receipts"]["processed"] == 1  # the second commit rolled back entirely


def test_transactions_are_delivered_when_every_route_is(store):
    r, deliveries = run_to_deliveries(store, n_sets=2, routes=2)
    assert len(deliveries) == 4
    assert store.status()["transactions"]["translated"] == 2
    pending = store.pending_deliveries(deliveries)
    first_half = [p for p in pending if p.route == 0]
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "delivered", target=f"/erp/{p.idempotency_key}") for p in first_half])
    assert store.status()["transactions"]["translated"] == 2  # route 1 still pending
    rest = [p for p in pending if p.route == 1]
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "delivered", target=f"/erp/{p.idempotency_key}") for p in rest])
    s = store.status()
    assert s["transactions"]["delivered"] == 2 and s["deliveries"]["delivered"] == 4 and s["work"]["ready"] == 0


def test_delivery_retry_then_quarantine_then_reprocess(store):
    _, deliveries = run_to_deliveries(store, n_sets=1)
    [p] = store.pending_deliveries(deliveries)
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "retry", error="503", delay=0)])
    [w] = store.claim("host:1:0", kinds=["delivery"])
    [p] = store.pending_deliveries([w])
    assert p.attempts == 1
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "quarantined", error="400 bad request", code="delivery.rejected")])
    status = store.status()
    assert status["transactions"]["quarantined"] == 1 and status["deliveries"]["quarantined"] == 1
    [q] = store.quarantine_items()
    assert q["kind"] == "delivery" and q["code"] == "delivery.rejected"
    store.reprocess(q["id"])
    assert store.status()["transactions"]["translated"] == 1
    [w] = store.claim("host:1:0", kinds=["delivery"])
    [p] = store.pending_deliveries([w])
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "delivered", target="/erp/x")])
    assert store.status()["transactions"]["delivered"] == 1
    with pytest.raises(ValueError, match="not open"):
        store.reprocess(q["id"])


def test_discarding_a_quarantined_transaction(store):
    run_to_deliveries(store, n_sets=2, rejected={1})
    [q] = store.quarantine_items()
    store.discard(q["id"], "partner resent it")
    assert store.status()["transactions"]["discarded"] == 1
    assert store.quarantine_items() == []
    [item] = store.quarantine_items(state="discarded")
    assert item["resolved_at"] is not None


def test_mapping_problems_quarantine_the_transaction_with_issues(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    _, follow = store.record_envelope(w, r.id, envelope_with(1))
    [p] = store.transactions_to_map(follow)
    issues = [{"code": "mapping.required_missing", "message": "BEG03 is missing", "field": "/po_number"}]
    store.record_mapping(follow, [MappedRecord(p.id, p.correlation_id, problem=Problem("map", "mapping.required_missing", "no PO", issues))])
    [q] = store.quarantine_items()
    assert q["issues"] == issues and q["stage"] == "map"
    store.reprocess(q["id"])
    [w] = store.claim("host:1:0")
    assert w.kind == "transaction" and [t.id for t in store.transactions_to_map(w)] == [p.id]


# -- operations -------------------------------------------------------------------------------------


def test_status_has_every_state_even_when_zero(store):
    s = store.status()
    assert set(s["transactions"]) >= {"received", "delivered", "quarantined"}
    assert all(v == 0 for v in s["transactions"].values())


def test_trace_by_po_number_correlation_id_and_file_name(store):
    r, deliveries = run_to_deliveries(store, n_sets=2)
    pending = store.pending_deliveries(deliveries)
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "delivered", target=f"/erp/{p.idempotency_key}") for p in pending])
    [by_po] = store.trace("PO2")
    assert [t["business_key"] for t in by_po["transactions"]] == ["PO2"]  # the one document the key names
    assert by_po["transactions"][0]["deliveries"][0]["state"] == "delivered"
    stages = [(e["stage"], e["state"]) for e in by_po["events"]]
    assert stages[0] == ("receive", "received") and ("deliver", "delivered") in stages
    [by_file] = store.trace("po.x12")
    assert len(by_file["transactions"]) == 2
    [by_corr] = store.trace(r.correlation_id)
    assert by_corr["receipt"]["id"] == r.id
    assert store.trace("no such key") == []


def test_a_set_rejected_at_the_envelope_is_traced_by_the_keys_read_from_it(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    rec = envelope_with(2, rejected={1})
    sets = rec.interchanges[0].groups[0].transactions
    sets[0].keys = [("po_number", "BEG03", "PO-REJECTED"), ("po_number", "BEG03-LONG", "P" * 120)]
    sets[1].keys = [("po_number", "BEG03", "PO-FINE")]
    store.record_envelope(w, r.id, rec)
    [lineage] = store.trace("PO-REJECTED")
    [tx] = lineage["transactions"]  # the rejected set only, never mapped
    assert tx["state"] == "quarantined" and tx["document_type"] is None
    assert tx["keys"] == [{"name": "po_number", "element": "BEG03", "value": "PO-REJECTED"},
                          {"name": "po_number", "element": "BEG03-LONG", "value": "P" * 80}]  # cut to the column on every database
    assert [t["keys"][0]["value"] for t in store.trace("PO-FINE")[0]["transactions"]] == ["PO-FINE"]
    assert store.trace("P" * 80)[0]["transactions"][0]["id"] == tx["id"]


def test_an_acks_verdicts_are_kept_and_each_set_shows_its_own(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    rec = envelope_with(2, rejected={1}, control="000000202")
    said = [{"segment": "AK5", "interchange": "000000202", "functional_id": "PO", "group": "1", "set": "850", "control_number": "0001", "code": "R"},
            {"segment": "AK5", "interchange": "000000202", "functional_id": "PO", "group": "1", "set": "850", "control_number": "0002", "code": "A"},
            {"segment": "AK9", "interchange": "000000202", "functional_id": "PO", "group": "1", "code": "P"}]
    rec.acks.append(AckRecord("997", "000000017", "/out/ack.x12", "ISA*...", said))
    store.record_envelope(w, r.id, rec)
    [lineage] = store.trace("po.x12")
    assert lineage["acks"][0]["verdicts"] == said
    assert [t["ack"] for t in lineage["transactions"]] == [{"segment": "AK5", "code": "R"}, {"segment": "AK5", "code": "A"}]


def test_a_delivery_that_fails_again_after_reprocess_names_the_new_item(store):
    _, deliveries = run_to_deliveries(store, n_sets=1)
    [p] = store.pending_deliveries(deliveries)
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "quarantined", error="400 bad request", code="delivery.rejected")])
    [first] = store.quarantine_items()
    assert first["previous_id"] is None and first["replaced_by"] == []
    store.reprocess(first["id"])
    assert store.reprocess_outcome(first["id"])["outcome"] == "pending"
    [w] = store.claim("host:1:0", kinds=["delivery"])
    [p] = store.pending_deliveries([w])
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "quarantined", error="400 still bad", code="delivery.rejected")])
    [second] = store.quarantine_items()
    assert second["previous_id"] == first["id"] and store.quarantine_item(first["id"])["replaced_by"] == [second["id"]]
    outcome = store.reprocess_outcome(first["id"])
    assert outcome["outcome"] == "failed_again" and [n["id"] for n in outcome["replaced_by"]] == [second["id"]]
    assert store.reprocess_outcome(second["id"])["outcome"] == "open"
    with pytest.raises(KeyError):
        store.reprocess_outcome(9999)


def test_counters_hand_out_disjoint_ranges(store):
    assert store.next_counter("ack:acme:isa") == 1
    assert store.next_counter("ack:acme:isa", 3) == 2
    assert store.next_counter("ack:acme:isa") == 5
    assert store.next_counter("ack:other:isa") == 1


# -- review findings: ownership, reprocess rules, settle, values that do not fit ---------------------


def test_a_worker_whose_lease_ran_out_records_nothing(store):
    from gateway.store.store import LeaseLost

    r = receive(store)
    [stale] = store.claim("host:1:0", lease_seconds=-1)  # A's lease has run out...
    [fresh] = store.claim("host:2:0")  # ...and B took the file over
    assert fresh.id == stale.id
    with pytest.raises(LeaseLost):
        store.record_envelope(stale, r.id, envelope_with(2), claim=("host:1:0", 60))
    store.record_envelope(fresh, r.id, envelope_with(2), claim=("host:2:0", 60))
    assert store.status()["transactions"]["received"] == 2  # B's outcome only, once


def test_stale_delivery_outcomes_are_dropped(store):
    _, deliveries = run_to_deliveries(store, n_sets=1, worker="host:1:0")
    [p] = store.pending_deliveries(deliveries)
    store.release("host:1:0")
    store.claim("host:2:0", kinds=["delivery"])
    assert store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "quarantined", error="late")], owner="host:1:0") == 0
    assert store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "delivered", target="/erp/x")], owner="host:2:0") == 1
    assert store.status()["transactions"]["delivered"] == 1 and store.quarantine_items() == []


def test_only_a_reported_duplicate_is_reprocessed_past_the_duplicate_checks(store):
    a = receive(store, name="a", data=b"x")
    receive(store, name="b", data=b"x", mtime=2)  # duplicate.file
    [w] = store.claim("host:1:0")
    store.quarantine_receipt(w, a.id, Problem("identify", "partner.unknown", "who?"))
    unknown, dup = sorted(store.quarantine_items(), key=lambda q: q["code"], reverse=True)
    assert unknown["code"] == "partner.unknown" and dup["code"] == "duplicate.file"
    store.reprocess(unknown["id"])
    store.reprocess(dup["id"])
    assert sorted(w.kind for w in store.claim("host:1:0", limit=5)) == ["receipt", "reprocess"]


def test_a_file_whose_documents_exist_cannot_be_reprocessed_whole(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    store.record_envelope(w, r.id, envelope_with(1))
    [w2] = store.claim("host:1:0")
    [p] = store.transactions_to_map(w2)
    store.record_mapping(w2, [MappedRecord(p.id, p.correlation_id, problem=Problem("map", "mapping.x", "boom"))])
    from sqlalchemy import insert

    from gateway.store import schema

    with store.engine.begin() as c:  # as a pipeline.error on the receipt after its envelope was recorded would leave it
        c.execute(insert(schema.quarantine).values(kind="receipt", ref_id=r.id, receipt_id=r.id, stage="pipeline", code="pipeline.error",
                                                   reason="late failure", state="open", created_at=schema_now()))
    item = next(q for q in store.quarantine_items() if q["kind"] == "receipt")
    with pytest.raises(ValueError, match="already recorded"):
        store.reprocess(item["id"])


def schema_now():
    from gateway.store.store import now

    return now()


def test_a_set_already_mapped_is_not_mapped_again_by_a_second_work_item(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    _, follow = store.record_envelope(w, r.id, envelope_with(1))
    [p] = store.transactions_to_map(follow)
    twin = Work(follow.id + 1000, "transaction", p.id, 0)  # e.g. a reprocess queued next to the file's own map work
    rec = MappedRecord(p.id, p.correlation_id, "purchase_order", "s", "{}", {}, "PO1", [RouteRecord(0, "folder", f"{p.correlation_id}-r0")])
    assert len(store.record_mapping(follow, [rec])) == 1
    assert store.record_mapping(twin, [rec]) == []  # the set is no longer waiting: nothing recorded twice
    assert store.status()["deliveries"]["pending"] == 1


def test_discarding_the_only_quarantined_delivery_discards_the_transaction(store):
    _, deliveries = run_to_deliveries(store, n_sets=1)
    [p] = store.pending_deliveries(deliveries)
    store.record_deliveries([DeliveryOutcome(p.work_id, p.id, "quarantined", error="400", code="delivery.rejected")])
    [q] = store.quarantine_items()
    store.discard(q["id"])
    s = store.status()
    assert s["transactions"]["quarantined"] == 0 and s["transactions"]["discarded"] == 1


def test_partner_values_longer_than_their_columns_are_kept_cut_on_every_database(store):
    r = receive(store)
    [w] = store.claim("host:1:0")
    long_control = "1234567890123"
    sets = [TransactionRecord(1, "850", long_control, "004010XXXXXXXXXX", new_correlation_id())]
    ix = InterchangeRecord("ZZ:" + "A" * 60, "ZZ:US", long_control, "accepted", "k" * 150, [GroupRecord("POX", long_control, "0" * 20, "A", sets)])
    store.record_envelope(w, r.id, EnvelopeRecord("acme", [ix]))
    assert store.status()["transactions"]["received"] == 1


def test_an_unreachable_database_is_a_store_error(tmp_path):
    from gateway.errors import StoreError

    store = Store(__import__("gateway.store.engine", fromlist=["make_engine"]).make_engine("postgresql+psycopg://127.0.0.1:1/nowhere"))
    with pytest.raises(StoreError) as err:
        store.claim("host:1:0")
    assert err.value.retryable
