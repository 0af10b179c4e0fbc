"""Tracing and feedback on SQLite and PostgreSQL: trace finds orders that never reached mapping, shows what
each ack said, and a reprocessed item that fails again names the item that replaced it."""

from __future__ import annotations

import pytest
from helpers import ROOT
from pipeline_helpers import pipeline_home
from serve_helpers import drop, edit_profile

from gateway.connectors import default_registry
from gateway.connectors.memory import MemoryTarget, memory_connector_type
from gateway.pipeline import Gateway

ACME_850 = ROOT / "samples" / "partners" / "acme-retail" / "850-store-replenishment.x12"  # POs 4500020001, 4500020002
WIDGET_856 = ROOT / "samples" / "partners" / "widget-supply" / "pick-pack-shipment-with-sscc-labels.x12"  # SHP0001234, PO4500012345

# A partner mapping that takes the shipment id from a REF*ZZ the sample ASN does not carry: a mapping error.
OWN_ASN_NUMBER = """\
extends: widget-supply/856-005010-in
description: Widget Supply ship notice with their own ASN number (REF*ZZ) as the shipment id
document: ship_notice
direction: inbound
fields:
  shipment_id: {path: "HL_LOOP[HL03=S]/REF[REF01=ZZ]/REF02", required: true}  # a path the 856 has (partner check and serve lint it), a REF this ASN lacks
"""


@pytest.fixture
def erp() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def home(tmp_path, store_url):
    return pipeline_home(tmp_path / "home", "retry: {base_seconds: 0, cap_seconds: 0, max_attempts: 2}\nworkers: {poll_seconds: 0.05}\n"
                                            f"store: {{url: '{store_url}'}}\n")


def erp_routes(home, partner: str, *documents: str, **options) -> None:
    edit_profile(home.root, partner, lambda d: d.__setitem__("routes", [{"document": doc, "connector": "erp", "options": options}
                                                                   for doc in documents]))


@pytest.fixture
def serve_once(home, erp):
    """``serve_once()`` runs the pipeline over the home until nothing is left (the ERP: the memory connector ``erp``)."""
    registry = default_registry(plugins=False)
    registry.add(memory_connector_type("erp", erp))

    def once() -> Gateway:
        gw = Gateway(home, environ={}, registry=registry)
        gw.serve(once=True)
        return gw
    return once


def rejected_850() -> bytes:
    """PO 4500020001 with an order type (BEG02 KN) that Acme's profile does not allow: rejected by validation."""
    return ACME_850.read_bytes().replace(b"BEG*00*SA*", b"BEG*00*KN*", 1)


def test_trace_finds_a_po_whose_850_was_rejected_by_validation(home, erp, serve_once):
    erp_routes(home, "acme-retail", "purchase_order")
    drop(home.root, "rejected-order.x12", rejected_850())
    gw = serve_once()
    [lineage] = gw.store.trace("4500020001")
    [tx] = lineage["transactions"]  # only the set the key names
    assert tx["state"] == "quarantined" and tx["stage"] == "envelope" and tx["document_type"] is None
    assert tx["keys"] == [{"name": "po_number", "element": "BEG03", "value": "4500020001"}]
    [q] = lineage["quarantine"]
    assert q["code"] == "x12.rejected" and q["ref_id"] == tx["id"]
    assert [d["po_number"] for d in erp.documents.values()] == ["4500020002"]  # the other order of the file went through
    [other] = gw.store.trace("4500020002")[0]["transactions"]
    assert other["state"] == "delivered" and other["keys"][0]["element"] == "BEG03"


def test_trace_finds_an_asn_quarantined_for_a_mapping_error(home, erp, serve_once):
    (home.root / "mappings" / "widget-supply").mkdir(parents=True, exist_ok=True)
    (home.root / "mappings" / "widget-supply" / "856-own-asn-number-in.yaml").write_text(OWN_ASN_NUMBER)

    def strict_856(profile):
        for doc in profile["documents"]["receives"]:
            if doc["set"] == "856":
                doc["spec"] = "widget-supply/856-own-asn-number-in"
    edit_profile(home.root, "widget-supply", strict_856)
    erp_routes(home, "widget-supply", "ship_notice")
    drop(home.root, "asn.x12", WIDGET_856.read_bytes(), partner="widget-supply")
    gw = serve_once()
    [lineage] = gw.store.trace("SHP0001234")  # BSN02, although the mapping never produced a shipment id
    [tx] = lineage["transactions"]
    assert tx["state"] == "quarantined" and tx["stage"] == "map" and tx["business_key"] is None
    assert {(k["element"], k["value"]) for k in tx["keys"]} == {("BSN02", "SHP0001234"), ("PRF01", "PO4500012345")}
    assert [q["code"] for q in lineage["quarantine"]] == ["mapping.required_missing"]
    assert tx["ack"] == {"segment": "IK5", "code": "A"}  # valid X12: the 999 accepted it; the mapping is ours to fix
    assert [x["transactions"][0]["id"] for x in gw.store.trace("PO4500012345")] == [tx["id"]]  # the PO it ships (PRF01)
    assert erp.documents == {}


def test_trace_shows_what_each_ack_said(home, serve_once):
    erp_routes(home, "acme-retail", "purchase_order")
    drop(home.root, "one-rejected.x12", rejected_850())
    text = ACME_850.read_bytes().decode("latin-1").replace("000007101", "000007102").replace("45000200", "45000300")
    drop(home.root, "broken-envelope.x12", text.replace("IEA*1*000007102", "IEA*1*000007999").encode("latin-1"))
    gw = serve_once()

    [partial] = gw.store.trace("one-rejected.x12")
    [ack] = partial["acks"]
    assert ack["kinds"] == "997" and ack["written_at"] is not None
    assert [(v["segment"], v.get("control_number"), v["code"]) for v in ack["verdicts"]] == [
        ("AK5", "0001", "R"), ("AK5", "0002", "A"), ("AK9", None, "P")]
    assert {t["control_number"]: t["ack"] for t in partial["transactions"]} == {
        "0001": {"segment": "AK5", "code": "R"}, "0002": {"segment": "AK5", "code": "A"}}

    [broken] = gw.store.trace("4500030001")  # an interchange rejected whole: its sets carry the TA1's verdict
    assert [(v["segment"], v["interchange"], v["code"]) for v in broken["acks"][0]["verdicts"]] == [("TA1", "000007102", "R")]
    assert broken["transactions"][0]["ack"] == {"segment": "TA1", "code": "R"} and broken["transactions"][0]["state"] == "quarantined"


def test_a_reprocessed_item_that_fails_again_names_the_new_item(home, serve_once):
    erp_routes(home, "acme-retail", "purchase_order")
    drop(home.root, "rejected-order.x12", rejected_850())
    gw = serve_once()
    [first] = gw.store.quarantine_items()
    gw.store.reprocess(first["id"])
    assert gw.store.reprocess_outcome(first["id"])["outcome"] == "pending"  # queued, no worker has run yet
    gw = serve_once()  # nothing was fixed: rejected again

    [second] = gw.store.quarantine_items()
    assert second["id"] != first["id"] and second["previous_id"] == first["id"] and second["replaced_by"] == []
    outcome = gw.store.reprocess_outcome(first["id"])
    assert outcome["outcome"] == "failed_again" and [n["id"] for n in outcome["replaced_by"]] == [second["id"]]
    assert outcome["replaced_by"][0]["code"] == "x12.rejected"
    assert gw.store.quarantine_item(first["id"])["replaced_by"] == [second["id"]]
    with pytest.raises(ValueError, match=f"failed again as #{second['id']}"):
        gw.store.reprocess(first["id"])
    linked = {q["id"]: (q["previous_id"], q["replaced_by"]) for q in gw.store.trace("4500020001")[0]["quarantine"]}
    assert linked == {first["id"]: (None, [second["id"]]), second["id"]: (first["id"], [])}


def test_a_reprocessed_file_whose_sets_then_fail_name_the_new_items(home, serve_once):
    erp_routes(home, "acme-retail", "purchase_order")
    drop(home.root, "po.x12", ACME_850.read_bytes())
    serve_once()
    drop(home.root, "po-copy.x12", ACME_850.read_bytes())  # the same bytes again: a duplicate file
    gw = serve_once()
    [first] = gw.store.quarantine_items()
    assert first["kind"] == "receipt" and first["code"] == "duplicate.file"
    erp_routes(home, "acme-retail")  # meanwhile the route went away: processed on purpose, the orders now have nowhere to go
    gw.store.reprocess(first["id"])
    gw = serve_once()
    outcome = gw.store.reprocess_outcome(first["id"])
    assert outcome["outcome"] == "failed_again" and len(outcome["replaced_by"]) == 2
    assert {(n["kind"], n["code"], n["previous_id"]) for n in outcome["replaced_by"]} == {("transaction", "route.missing", first["id"])}


def test_a_reprocessed_item_that_goes_through_says_so(home, serve_once):
    erp_routes(home, "acme-retail", "purchase_order", fail_first=1, terminal=True)
    drop(home.root, "po.x12", ACME_850.read_bytes())
    gw = serve_once()
    [q] = gw.store.quarantine_items()
    assert q["kind"] == "delivery"
    erp_routes(home, "acme-retail", "purchase_order")
    gw.store.reprocess(q["id"])
    gw = serve_once()
    assert gw.store.reprocess_outcome(q["id"]) | {"replaced_by": None} == {
        "id": q["id"], "kind": "delivery", "ref_id": q["ref_id"], "replaced_by": None, "outcome": "done", "state": "delivered"}
    assert gw.store.quarantine_items() == []


def test_trace_finds_a_flat_file_order_that_has_no_route(home, serve_once):
    edit_profile(home.root, "corner-hardware", lambda p: p.__setitem__("routes", []))
    drop(home.root, "orders.csv", (ROOT / "samples" / "partners" / "corner-hardware" / "orders-2024-11-12.csv").read_bytes(),
         partner="corner-hardware")
    gw = serve_once()
    [lineage] = gw.store.trace("CH-10452")  # read from the document the layout gave at the envelope stage; no document row exists
    [tx] = lineage["transactions"]
    assert tx["state"] == "quarantined" and tx["keys"] == [{"name": "po_number", "element": "po_number", "value": "CH-10452"}]
    assert [q["code"] for q in lineage["quarantine"]] == ["route.missing", "route.missing"]


def test_a_set_rejected_alone_in_its_group_shows_its_own_ak5_not_the_groups_ak9(home, serve_once):
    # one set, rejected: AK9 is R too (nothing in the group accepted), but the set's AK5 says why
    erp_routes(home, "acme-retail", "purchase_order")
    text = ACME_850.read_bytes().decode("latin-1").replace("BEG*00*SA*", "BEG*00*XX*")
    first_st, second_st = text.index("ST*850*0001"), text.index("ST*850*0002")
    one_set = text[:first_st] + text[first_st:second_st] + text[text.index("GE*"):].replace("GE*2*", "GE*1*")
    drop(home.root, "one-set.x12", one_set.encode("latin-1"))
    gw = serve_once()
    [lineage] = gw.store.trace("one-set.x12")
    assert [(v["segment"], v["code"]) for v in lineage["acks"][0]["verdicts"]] == [("AK5", "R"), ("AK9", "R")]
    assert [t["ack"] for t in lineage["transactions"]] == [{"segment": "AK5", "code": "R"}]
