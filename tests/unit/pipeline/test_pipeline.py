"""The pipeline in one process over a real home (drop folders, SQLite store), with the memory connector as the ERP."""

from __future__ import annotations

import json
import time

import pytest
from helpers import ROOT

from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.connectors import default_registry
from gateway.connectors.memory import memory_connector_type
from gateway.pipeline import Gateway
from pipeline_helpers import drop, run

ACME_850 = ROOT / "samples" / "partners" / "acme-retail" / "850-store-replenishment.x12"
WIDGET_856 = ROOT / "samples" / "partners" / "widget-supply" / "pick-pack-shipment-with-sscc-labels.x12"
CORNER_CSV = ROOT / "samples" / "partners" / "corner-hardware" / "orders-2024-11-12.csv"


def set_routes(home, partner: str, routes: list[dict]) -> None:
    path = home.partners_dir / f"{partner}.yaml"
    data = parse_yaml(path.read_text(), path.name).data
    data["routes"] = routes
    path.write_text(dump_yaml(data))


def erp_route(document="purchase_order", **options) -> dict:
    return {"document": document, "connector": "erp", "options": options}


def renumbered(data: bytes, isa13: str, po_prefix: bytes | None = None) -> bytes:
    text = data.decode("latin-1")
    old = text[90:99]
    text = text[:90] + isa13 + text[99:]
    text = text.replace(f"IEA*1*{old}", f"IEA*1*{isa13}")
    out = text.encode("latin-1")
    return out.replace(b"45000200", po_prefix) if po_prefix else out


def test_an_order_goes_from_drop_folder_to_the_erp_with_a_997(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    status = gw.store.status()
    assert status["transactions"]["delivered"] == 2 and status["transactions"]["quarantined"] == 0
    assert sorted(d["po_number"] for d in erp.documents.values()) == ["4500020001", "4500020002"]
    assert all(d["correlation"]["partner"] == "acme-retail" and d["correlation"]["correlation_id"] for d in erp.documents.values())
    [ack] = (home.root / "outbound" / "acme-retail").glob("ack-997-*.x12")
    text = ack.read_text()
    assert "ST*997*" in text and "AK9*A*2*2*2" in text
    assert list(home.inbound_dir("acme-retail").glob("*.x12")) == []
    assert len(list((home.root / "archive" / "acme-retail").rglob("po.x12"))) == 1
    assert set(erp.calls.values()) == {1}


def test_a_set_the_partner_profile_forbids_is_rejected_in_the_997_and_quarantined(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "bad.x12", ACME_850.read_bytes().replace(b"BEG*00*SA*", b"BEG*00*KN*"))
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "x12.rejected" and "bad.x12" in q["reason"] and "BEG02" in q["reason"] and "segment 4" in q["reason"]
    assert [d["po_number"] for d in erp.documents.values()] == ["4500020002"]
    [ack] = (home.root / "outbound" / "acme-retail").glob("ack-*.x12")
    assert "AK5*R" in ack.read_text()


def test_a_resent_interchange_is_reported_as_duplicate_and_processed_again_only_on_request(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    run(home, erp)
    drop(home, "acme-retail", "po-resent.x12", ACME_850.read_bytes() + b"\n")  # other bytes, same interchange
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "duplicate.interchange" and "000007101" in q["reason"]
    assert len(erp.documents) == 2
    gw.store.reprocess(q["id"])
    gw = run(home, erp)
    assert len(erp.documents) == 4  # reprocessed on purpose: new documents with their own correlation ids
    assert gw.store.status()["receipts"]["quarantined"] == 0


def test_the_same_file_twice_is_a_duplicate_file(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    run(home, erp)
    drop(home, "acme-retail", "po-copy.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    assert [q["code"] for q in gw.store.quarantine_items()] == ["duplicate.file"]
    assert gw.store.status()["receipts"]["duplicate"] == 1 and len(erp.documents) == 2


def test_a_file_from_another_partners_isa_id_in_acmes_folder_is_a_mismatch(home, erp):
    drop(home, "acme-retail", "asn.x12", WIDGET_856.read_bytes())
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "partner.mismatch" and "widget-supply" in q["reason"] and "asn.x12" in q["reason"]


def test_bytes_that_are_not_x12_from_an_x12_partner_are_quarantined_with_the_reason(home, erp):
    drop(home, "acme-retail", "notes.txt", b"hello, this is not an interchange\n")
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["kind"] == "receipt" and "notes.txt" in q["reason"] and "flat files" in q["reason"]
    assert gw.store.payload(gw.store.receipt(q["receipt_id"]).sha256) == b"hello, this is not an interchange\n"  # kept


def test_csv_orders_are_split_into_documents_and_need_no_ack(home, erp):
    set_routes(home, "corner-hardware", [erp_route()])
    drop(home, "corner-hardware", "orders.csv", CORNER_CSV.read_bytes())
    gw = run(home, erp)
    assert gw.store.status()["transactions"]["delivered"] == 2
    assert sorted(d["po_number"] for d in erp.documents.values()) == ["CH-10452", "CH-10453"]
    assert list((home.root / "outbound" / "corner-hardware").iterdir()) == []


def test_transient_delivery_failures_are_retried_until_delivered(home, erp):
    set_routes(home, "acme-retail", [erp_route(fail_first=2)])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    assert gw.store.status()["transactions"]["delivered"] == 2
    attempts = sorted(d["attempts"] for x in gw.store.trace("po.x12") for t in x["transactions"] for d in t["deliveries"])
    assert attempts == [1, 3] or attempts == [2, 2]  # two failures spread over the two documents, in claim order


def test_retries_run_out_into_quarantine_then_reprocess_after_the_fix(home, erp):
    set_routes(home, "acme-retail", [erp_route(fail_keys=["never"], fail_every=1)])  # every call fails, retryable
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    items = gw.store.quarantine_items()
    assert [q["code"] for q in items] == ["delivery.exhausted"] * 2 and "after 3 attempts" in items[0]["reason"]
    set_routes(home, "acme-retail", [erp_route()])
    for q in items:
        gw.store.reprocess(q["id"])
    gw = run(home, erp)
    assert gw.store.status()["transactions"]["delivered"] == 2


def test_a_terminal_failure_is_quarantined_at_once(home, erp):
    set_routes(home, "acme-retail", [erp_route(fail_first=1, terminal=True)])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "delivery.rejected" and q["kind"] == "delivery"
    assert gw.store.status()["transactions"] == {"received": 0, "translated": 0, "delivered": 1, "recorded": 0, "quarantined": 1, "discarded": 0}


def test_a_document_without_a_route_waits_in_quarantine_for_one(home, erp):
    set_routes(home, "acme-retail", [])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    items = gw.store.quarantine_items()
    assert {q["code"] for q in items} == {"route.missing"} and len(items) == 2
    set_routes(home, "acme-retail", [erp_route()])
    for q in items:
        gw.store.reprocess(q["id"])
    gw = run(home, erp)
    assert gw.store.status()["transactions"]["delivered"] == 2 and len(erp.documents) == 2


def test_two_routes_give_two_deliveries_with_their_own_keys(home, erp, tmp_path):
    set_routes(home, "acme-retail", [erp_route(), {"document": "purchase_order", "connector": "folder", "options": {"path": "erp/copy"}}])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    assert gw.store.status()["deliveries"]["delivered"] == 4
    files = sorted((home.root / "erp" / "copy").glob("*.json"))
    assert len(files) == 2
    assert {json.loads(f.read_text())["po_number"] for f in files} == {"4500020001", "4500020002"}
    assert {k.rsplit("-", 1)[1] for k in erp.documents} == {"r0"} and all("-r1" in f.name for f in files)


def test_work_left_claimed_by_a_dead_worker_is_taken_over(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    registry = default_registry(plugins=False)
    registry.add(memory_connector_type("erp", erp))
    gw = Gateway(home, environ={}, registry=registry)
    gw._open_channels()
    deadline = time.monotonic() + 10
    while gw.poll_channels() == 0:  # the file's quiet period: nobody saw it renamed in
        assert time.monotonic() < deadline
        time.sleep(0.05)
    import socket

    [w] = gw.store.claim(f"{socket.gethostname()}:999999999:0")  # a pid that cannot be running
    assert w.kind == "receipt"
    gw.serve(once=True)
    assert gw.store.status()["transactions"]["delivered"] == 2


def test_identify_names_an_unknown_sender(home):
    from gateway.pipeline.stages import Stop

    gw = Gateway(home, environ={})
    data = ACME_850.read_bytes().replace(b"ZZ*ACMERETAIL     ", b"ZZ*STRANGER       ")
    with pytest.raises(Stop) as stop:
        gw.stages.identify(data, None, "x.x12")
    assert stop.value.problem.code == "partner.unknown" and "ZZ/STRANGER" in stop.value.problem.reason


def test_a_route_with_bad_options_leaves_the_partner_unserved_and_its_file_waiting(home, erp):
    set_routes(home, "acme-retail", [{"document": "purchase_order", "connector": "folder", "options": {"paht": "typo"}}])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    assert any("unknown key 'paht'" in p for p in gw.not_served["acme-retail"])
    assert gw.store.status()["receipts"].get("received", 0) == 0 and gw.store.quarantine_items() == []
    assert [p.name for p in home.inbound_dir("acme-retail").iterdir()] == ["po.x12"]
    set_routes(home, "acme-retail", [erp_route()])  # fixed: the file that waited goes through
    gw = run(home, erp)
    assert gw.not_served == {} and len(erp.documents) == 2


def test_a_rejected_interchange_does_not_block_the_corrected_resend(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    broken = ACME_850.read_bytes().replace(b"IEA*1*000007101", b"IEA*1*000007199")  # IEA02 does not match ISA13
    drop(home, "acme-retail", "po-broken.x12", broken)
    run(home, erp)
    assert erp.documents == {}
    drop(home, "acme-retail", "po-fixed.x12", ACME_850.read_bytes())
    gw = run(home, erp)
    assert len(erp.documents) == 2
    assert "duplicate.interchange" not in {q["code"] for q in gw.store.quarantine_items()}


def test_the_same_interchange_twice_in_one_file_is_a_duplicate_not_a_crash(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "twice.x12", ACME_850.read_bytes() * 2)
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "duplicate.interchange" and "more than once" in q["reason"] and "000007101" in q["reason"]
    assert gw.store.status()["work"] == {"ready": 0, "claimed": 0, "waiting": 0}


def test_a_failure_after_the_envelope_retries_the_mapping_not_the_file(home, erp, monkeypatch):
    from gateway.pipeline.stages import Stages

    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    real = Stages.map_transactions
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected: the mapping stage fell over once")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Stages, "map_transactions", flaky)
    gw = run(home, erp)
    assert len(calls) == 2 and len(erp.documents) == 2
    s = gw.store.status()
    assert s["receipts"]["processed"] == 1 and s["receipts"]["quarantined"] == 0 and s["transactions"]["delivered"] == 2
    assert len(list((home.root / "outbound" / "acme-retail").glob("ack-*.x12"))) == 1


def test_a_mapping_that_always_fails_ends_in_quarantine_not_a_loop(home, erp, monkeypatch):
    from gateway.pipeline.stages import Stages

    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())

    def broken(self, *args, **kwargs):
        raise RuntimeError("injected: a bug in the mapping stage")

    monkeypatch.setattr(Stages, "map_transactions", broken)
    gw = run(home, erp)  # max_attempts 3 with no backoff (the fixture's gateway.yaml)
    items = gw.store.quarantine_items()
    assert {q["code"] for q in items} == {"pipeline.error"} and len(items) == 2 and "failed 3 times" in items[0]["reason"]
    assert gw.store.status()["work"]["ready"] == 0


def test_a_partners_997_is_recorded_and_traceable_not_quarantined(home, erp):
    set_routes(home, "acme-retail", [erp_route()])
    ack = ROOT / "samples" / "x12" / "997-004010-ship-notice-rejected-with-element-errors.x12"
    drop(home, "acme-retail", "997-from-acme.x12", ack.read_bytes())
    gw = run(home, erp)
    assert gw.store.quarantine_items() == []
    assert gw.store.status()["transactions"]["recorded"] == 1 and erp.documents == {}
    [lineage] = gw.store.trace("997-from-acme.x12")
    assert lineage["transactions"][0]["document_type"] == "functional_ack" and lineage["transactions"][0]["state"] == "recorded"
    assert list((home.root / "outbound" / "acme-retail").glob("ack-*.x12")) == []  # acknowledgements are not acknowledged


def test_a_route_for_functional_acks_delivers_them(home, erp):
    set_routes(home, "acme-retail", [erp_route("functional_ack")])
    ack = ROOT / "samples" / "x12" / "997-004010-ship-notice-rejected-with-element-errors.x12"
    drop(home, "acme-retail", "997-from-acme.x12", ack.read_bytes())
    run(home, erp)
    [doc] = erp.documents.values()
    assert doc["status"] == "rejected" and doc["transactions"][0]["errors"][1] == {
        "level": "element", "code": "1", "segment": "SN1", "position": 24, "element": 2, "data_element": "382"}


WIDGET_810 = ROOT / "samples" / "partners" / "widget-supply" / "invoice-with-allowances.x12"


def set_acks(home, partner: str, acks: dict) -> None:
    path = home.partners_dir / f"{partner}.yaml"
    data = parse_yaml(path.read_text(), path.name).data
    data["acks"] = acks
    path.write_text(dump_yaml(data))


def test_work_queued_for_a_partner_no_longer_served_is_quarantined_until_the_profile_is_fixed(home, erp):
    from gateway.channels.base import Inbound

    set_routes(home, "acme-retail", [erp_route()])
    gw = run(home, erp)
    gw.accept(Inbound("po.x12", ACME_850.read_bytes(), "drop_folder", "acme-retail"))  # stored, its work queued
    gw.close()
    path = home.partners_dir / "acme-retail.yaml"
    data = parse_yaml(path.read_text(), path.name).data
    data["channels"]["sftp"] = {"host": "sftp.acme.example", "username": "ourco"}  # while the file waits in the queue
    path.write_text(dump_yaml(data))
    gw = run(home, erp)
    [q] = gw.store.quarantine_items()
    assert q["code"] == "partner.profile_invalid" and q["partner"] == "acme-retail" and erp.documents == {}
    assert q["reason"].startswith("partner acme-retail is not served: ") and "channel sftp is not served by this version" in q["reason"]
    del data["channels"]["sftp"]
    path.write_text(dump_yaml(data))
    gw.store.reprocess(q["id"])
    gw = run(home, erp)
    assert len(erp.documents) == 2


def test_a_sender_whose_profile_does_not_load_is_quarantined_as_such_not_as_unknown(home):
    from gateway.pipeline.stages import Stop

    (home.partners_dir / "stranger.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: STRANGER}\nacks: {send: 998}\n")
    gw = Gateway(home, environ={})
    data = ACME_850.read_bytes().replace(b"ZZ*ACMERETAIL     ", b"ZZ*STRANGER       ")
    with pytest.raises(Stop) as stop:
        gw.stages.identify(data, None, "x.x12")
    assert (stop.value.problem.code, stop.value.partner_id) == ("partner.profile_invalid", "stranger")
    assert "is partner stranger's, whose profile does not load: " in stop.value.problem.reason
    assert "stranger.yaml:2: acks/send: 998 is not one of" in stop.value.problem.reason


def test_partners_sharing_an_isa_id_are_told_apart_by_their_gs_id(home, erp):
    (home.partners_dir / "acme-east.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: ACMERETAIL, gs_ids: [ACMEEAST]}\n")
    gw = Gateway(home, environ={})
    east = ACME_850.read_bytes().replace(b"GS*PO*ACMERETAIL*", b"GS*PO*ACMEEAST*")
    assert gw.stages.identify(east, None, "east.x12")[0].id == "acme-east"
    assert gw.stages.identify(ACME_850.read_bytes(), None, "po.x12")[0].id == "acme-retail"
    set_routes(home, "acme-retail", [erp_route()])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    assert run(home, erp).store.quarantine_items() == [] and len(erp.documents) == 2


def test_a_005010_partner_asking_for_a_997_gets_a_997(home, erp):
    set_acks(home, "widget-supply", {"send": "997"})
    drop(home, "widget-supply", "invoice.x12", WIDGET_810.read_bytes())
    run(home, erp)
    [ack] = (home.root / "outbound" / "widget-supply").glob("ack-*.x12")
    text = ack.read_text()
    assert ack.name.startswith("ack-997-") and "ST*997*" in text and "AK9*A*1*1*1" in text and "ST*999" not in text


def test_send_none_with_ta1_always_acknowledges_the_interchange_only(home, erp):
    set_acks(home, "acme-retail", {"send": "none", "ta1": "always"})
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    run(home, erp)
    [ack] = (home.root / "outbound" / "acme-retail").glob("ack-*.x12")
    assert ack.name.startswith("ack-TA1-") and "TA1*000007101*" in ack.read_text() and "ST*" not in ack.read_text()


def test_ta1_never_holds_even_when_the_interchange_asks_for_one(home, erp):
    set_acks(home, "acme-retail", {"send": "997", "ta1": "never"})
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes().replace(b"*000007101*0*P*", b"*000007101*1*P*"))
    run(home, erp)
    [ack] = (home.root / "outbound" / "acme-retail").glob("ack-*.x12")
    assert ack.name.startswith("ack-997-") and "TA1*" not in ack.read_text()


def test_an_interchange_accepted_with_errors_is_processed_as_its_acknowledgement_says(home, erp):
    # ISA09 241301 (no 13th month): TA104 E, the interchange accepted with errors noted, so the partner must not
    # resend it; its 997 accepts the sets, and so must the pipeline: delivered, never quarantined as rejected.
    set_routes(home, "acme-retail", [erp_route()])
    data = ACME_850.read_bytes()
    assert data[70:76] != b"241301"
    drop(home, "acme-retail", "bad-date.x12", data[:70] + b"241301" + data[76:])
    gw = run(home, erp)
    assert gw.store.quarantine_items() == []
    assert sorted(d["po_number"] for d in erp.documents.values()) == ["4500020001", "4500020002"]
    [ack] = (home.root / "outbound" / "acme-retail").glob("ack-*.x12")
    text = ack.read_text()
    assert "TA1*000007101*" in text and "*E*014" in text and "AK9*A*2*2*2" in text


@pytest.mark.parametrize("retry_after, left", [(1, 0), (30, 1)], ids=["due-in-a-second", "due-in-half-a-minute"])
def test_serve_once_waits_for_a_retry_due_within_a_moment_and_leaves_a_later_one(tmp_path, erp, retry_after, left):
    # a retry due in a second is finished by --once; one due in half a minute is left (serve --once then exits 3)
    from pipeline_helpers import pipeline_home

    home = pipeline_home(tmp_path / "home", f"retry: {{base_seconds: {retry_after}, cap_seconds: {retry_after}, max_attempts: 3}}\n"
                                            "workers: {poll_seconds: 0.05}\n")
    set_routes(home, "acme-retail", [erp_route(fail_first=1)])
    drop(home, "acme-retail", "po.x12", ACME_850.read_bytes())
    started = time.monotonic()
    gw = run(home, erp)
    assert sum(w.count for w in gw.store.waiting()) == left  # the first delivery failed once
    assert len(erp.documents) == 2 - left
    assert time.monotonic() - started < 20
