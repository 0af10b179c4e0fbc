"""Acknowledgements compared with reviewed golden files (tests/golden/acks/)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from helpers import ROOT

from gateway.formats.x12 import AckNumbers, Validator, acknowledge_report

GOLDEN = ROOT / "tests" / "golden" / "acks"
INVALID = ROOT / "tests" / "corpus" / "invalid"
NOW = datetime(2024, 3, 16, 9, 30, tzinfo=UTC)
CASES = {
    "850-004010-accepted": ROOT / "samples/x12/850-004010-retail-replenishment-order.x12",
    "mixed-004010-two-groups": ROOT / "samples/x12/mixed-004010-two-functional-groups-orders-and-invoice.x12",
    "856-005010-accepted": ROOT / "samples/x12/856-005010-pick-pack-shipment-with-sscc-labels.x12",
    "850-005010-element-too-long": INVALID / "element.too_long.x12",
    "856-005010-hl-parent-invalid": INVALID / "hl.parent_invalid.x12",
    "850-005010-mandatory-loop-missing": INVALID / "loop.mandatory_missing--no-po1.x12",
    "850-005010-ge-count-mismatch": INVALID / "ge.count_mismatch.x12",
    "850-005010-iea-control-mismatch": INVALID / "iea.control_mismatch.x12",
    "850-005010-isa14-invalid": INVALID / "isa.ack_requested.x12",
    "850-004010-ta1-requested": GOLDEN / "inputs" / "850-004010-ta1-requested.x12",
    "856-005010-leaf-declares-children": INVALID / "hl.child_code--leaf-declares-children.x12",
    "850-005010-duplicate-st02": INVALID / "st.duplicate_control_number.x12",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ack_matches_golden(name):
    report = Validator().validate(CASES[name])
    text = acknowledge_report(report, AckNumbers(900, 90, 1, NOW))
    golden = GOLDEN / f"{name}.x12"
    if os.environ.get("GATEWAY_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="latin-1")
    assert text == golden.read_text(encoding="latin-1")
    if text:
        ack = Validator().validate(text.encode("latin-1"))
        assert ack.ok, "our acknowledgement must itself be valid X12"


def test_acknowledgements_are_not_acknowledged():
    report = Validator().validate(ROOT / "samples/x12/997-004010-purchase-order-accepted.x12")
    assert acknowledge_report(report, AckNumbers(now=NOW)) == ""


def test_control_numbers_advance():
    numbers = AckNumbers(5, 50, 500, NOW)
    report = Validator().validate(CASES["mixed-004010-two-groups"])
    text = acknowledge_report(report, numbers)
    assert "GS*FA*WIDGETCO*ACMERETAIL*20240316*0930*50*X*004010~" in text
    assert "ST*997*0501~" in text and "GE*1*51~" in text
    assert (numbers.interchange, numbers.group, numbers.transaction) == (6, 52, 502)


def _files_with_groups_of(release: str) -> list:
    files = sorted(INVALID.glob("*.x12")) + sorted((ROOT / "samples" / "x12").glob("*.x12"))
    return [f for f in files if f"*{release}" in f.read_text(encoding="latin-1")]


@pytest.mark.parametrize("path", _files_with_groups_of("005010"), ids=lambda p: p.name)
def test_a_997_asked_for_by_a_005010_partner_is_a_005010_997_our_validator_accepts(path):
    """Not a 004010 997 (no AK103) in an 00501 envelope: GS08 is the answered group's release, AK103 its version."""
    report = Validator().validate(path)
    text = acknowledge_report(report, AckNumbers(900, 90, 1, NOW), kind=lambda version: "997")
    groups = [g for ix in report.interchanges for g in ix.groups if not g.synthetic and g.functional_id != "FA"]
    five = [g for g in groups if (g.version or "")[:6] >= "005010"]
    segments = [s.strip().split(text[3]) for s in text.split(text[105])] if text else []
    gs = [s for s in segments if s[0] == "GS"]
    if not gs or not five:
        pytest.skip("no functional acknowledgement of a 005010 group is due (a TA1 R at most)")
    ak1 = [s for s in segments if s[0] == "AK1"]
    assert {s[8] for s in gs} <= {"004010", "005010"} and "005010" in {s[8] for s in gs}
    assert not any(s[0].startswith("IK") or s[0] == "ST" and len(s) > 3 for s in segments)  # a 997, not a 999
    for g in five:
        assert any(s[1] == g.functional_id and s[3:] == [g.version] for s in ak1), (g.version, ak1)
    ack = Validator().validate(text.encode("latin-1"))
    assert ack.ok, [f.message for ix in ack.interchanges for f in ix.findings] + [
        f.message for ix in ack.interchanges for g in ix.groups for t in g.transactions for f in t.findings]
    assert {g.version for ix in ack.interchanges for g in ix.groups} == {s[8] for s in gs}


def test_a_997_for_a_004010_group_stays_the_004010_997():
    report = Validator().validate(CASES["mixed-004010-two-groups"])
    text = acknowledge_report(report, AckNumbers(now=NOW), kind=lambda version: "997")
    assert "*X*004010~" in text and "AK1*PO*6001~" in text and "AK1*IN*6002~" in text
