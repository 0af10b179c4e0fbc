"""A partner's 997/999 read into the canonical FunctionalAck: statuses, errors with their positions, counts."""

from __future__ import annotations

from gateway.canonical import validate_document
from gateway.translate import Translator
from helpers import ROOT, SAMPLES


def translate(name: str) -> dict:
    [doc] = Translator([ROOT / "mappings"]).translate(SAMPLES / name).documents
    assert doc.ok, doc.issues
    return doc.document


def test_997_with_segment_and_element_errors():
    doc = translate("997-004010-ship-notice-rejected-with-element-errors.x12")
    assert (doc["ack_set"], doc["functional_id"], doc["group_control"], doc["status"]) == ("997", "SH", "3001", "rejected")
    assert (doc["included"], doc["received"], doc["accepted"]) == (1, 1, 0)
    [t] = doc["transactions"]
    assert (t["set_id"], t["control_number"], t["status"], t["codes"]) == ("856", "0001", "rejected", ["5"])
    assert [e["level"] for e in t["errors"]] == ["segment", "element", "segment", "element"]
    assert t["errors"][3] == {"level": "element", "code": "4", "segment": "MAN", "position": 21, "element": 2, "data_element": "87",
                              "value": "0001234567"}
    assert validate_document(doc) == []


def test_999_partially_accepted_group():
    doc = translate("999-005010-implementation-ack-with-element-errors.x12")
    assert (doc["ack_set"], doc["status"], doc["version"], doc["accepted"]) == ("999", "partially_accepted", "005010", 1)
    assert [t["status"] for t in doc["transactions"]] == ["accepted", "rejected"]
    assert doc["transactions"][1]["errors"][1]["value"] == "6X"


def test_997_accepting_everything():
    doc = translate("997-004010-purchase-order-accepted.x12")
    assert doc["status"] == "accepted" and all(t["status"] == "accepted" for t in doc.get("transactions", []))
