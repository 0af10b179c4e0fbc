"""Input built to exhaust the engine, each case named after the failure it once caused.

- HL levels nested 10,000 deep: the loop tree died with RecursionError while validation had accepted
  the set (and serve had sent a 997 accepting it). Now validation rejects nesting deeper than
  ``MAX_HL_DEPTH`` (``hl.too_deep``, AK4 code 7 at HL02) and the tree is built without recursion.
- One 856 set with millions of HL loops: millions of findings kept in memory. Now a set keeps the first
  ``MAX_FINDINGS`` (then only the first of each new code) and counts the rest; an ack lists at most
  ``MAX_SEGMENT_ERRORS`` segments of a set, whose AK5 still rejects it.
- Our own acks were invalid X12 (GE01 copied into AK902 without a length check, AK103 cut to a trailing space).
- A set too large to map is rejected by validation (``transaction.too_large``), not accepted and then lost.
- An interchange whose terminator never comes was read whole into one segment and split (18 times its size).
"""

from __future__ import annotations

import json
import re
import tracemalloc

from helpers import ROOT
from x12_hostile import deep_hl_856, wide_hl_856

from gateway.formats.x12 import AckNumbers, Validator, acknowledge_report
from gateway.formats.x12.acks import MAX_SEGMENT_ERRORS
from gateway.formats.x12.findings import MAX_FINDINGS, Findings, Finding
from gateway.formats.x12.tree import build_tree
from gateway.formats.x12.validator import MAX_HL_DEPTH
from gateway.mapping.engine import InboundMapper
from gateway.mapping.spec import SpecLibrary as Mappings

SAMPLE_850 = ROOT / "samples" / "x12" / "850-004010-retail-replenishment-order.x12"


def only_set(report):
    (t,) = report.transactions()
    return t


def ack_segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def assert_valid_x12(text: str) -> None:
    report = Validator().validate(text.encode("latin-1"))
    problems = [f.to_dict() for t in report.transactions() for f in t.findings] + [f.to_dict() for _, _, f in report.envelope_findings()]
    assert report.ok, problems


# -- HL nesting ---------------------------------------------------------------------------------------


def test_hl_nested_10000_deep_is_rejected_as_hl_too_deep_and_the_997_says_so():
    report = Validator().validate(deep_hl_856(10_000))
    t = only_set(report)
    assert t.status == "rejected"
    deep = [f for f in t.findings if f.code == "hl.too_deep"]
    assert len(deep) == 1  # hierarchy checks stop at the first level too deep: no cascade
    assert deep[0].element == "HL02" and deep[0].value == str(MAX_HL_DEPTH)
    ack = acknowledge_report(report, AckNumbers())
    assert "AK4*2*734*7*100" in ack_segments(ack) and "AK5*R*5" in ack_segments(ack)
    assert_valid_x12(ack)


def test_hl_nested_exactly_max_hl_depth_is_accepted():
    assert only_set(Validator().validate(deep_hl_856(MAX_HL_DEPTH))).status == "accepted"
    assert only_set(Validator().validate(deep_hl_856(MAX_HL_DEPTH + 1))).status == "rejected"


def test_loop_tree_of_hl_nested_10000_deep_builds_and_maps_without_recursion_error():
    validator = Validator(keep_segments=True, max_hl_depth=20_000)  # let it through, to test what walks the tree
    report = validator.validate(deep_hl_856(10_000))
    t = only_set(report)
    assert t.status == "accepted"
    ix = t.group.interchange
    spec = validator.find_spec(ix.version, t.group.version, t.group.functional_id, t.set_id)
    tree = build_tree(validator.compiled(spec, ix.delimiters, ix.version).machine, t.segments, ix.delimiters)
    depth, node = 0, tree
    while (inner := node.children("HL_LOOP")):
        depth, node = depth + 1, inner[0]
    assert depth == 10_000 and node.value("HL03") == "I"
    assert repr(tree)  # one level only, never the whole depth
    doc, issues = InboundMapper(Mappings([ROOT / "mappings"]).get("default/856-004010-in")).map(tree)
    assert doc["shipment_id"] == "SHP000123" and doc["orders"][0]["packs"][0]["level"] == "pack"
    json.dumps(doc)


# -- millions of findings -------------------------------------------------------------------------------


def test_856_with_400000_hl_loops_keeps_the_first_findings_and_counts_the_rest():
    t = only_set(Validator().validate(wide_hl_856(400_000)))
    over = [f for f in t.findings if f.code == "loop.max_exceeded"]
    assert len(t.findings) <= MAX_FINDINGS + 5
    assert len(over) >= MAX_FINDINGS - 5
    assert t.findings.omitted == 200_000 - len(over)  # the map allows 200,000 HL loops: every one after is an error
    assert t.status == "rejected"
    assert t.to_dict()["errors_omitted"] == t.findings.omitted


def test_findings_past_the_cap_keep_each_new_code_so_verdicts_stay_exact():
    found = Findings(limit=2)
    for code in ["segment.out_of_sequence"] * 5 + ["st.implementation_convention"] + ["segment.out_of_sequence"] * 3:
        found.append(Finding(code, "m", severity="warning" if code.startswith("st.") else "error"))
    found.append(Finding("transaction.segment_errors", "m"))
    assert [f.code for f in found] == ["segment.out_of_sequence", "segment.out_of_sequence", "st.implementation_convention",
                                       "transaction.segment_errors"]
    assert found.omitted == 6


def test_ack_of_a_set_with_200000_errors_lists_at_most_100_segments_and_still_rejects_it():
    report = Validator().validate(wide_hl_856(400_000))
    for kind in ("997", "999"):
        ack = acknowledge_report(report, AckNumbers(), kind=lambda version, kind=kind: kind)
        segs = ack_segments(ack)
        assert sum(s.startswith(("AK3*", "IK3*")) for s in segs) == MAX_SEGMENT_ERRORS
        assert ("AK5*R*5" if kind == "997" else "IK5*R*5") in segs
        assert len(ack) < 20_000
        assert_valid_x12(ack)


# -- acks that were invalid X12 -------------------------------------------------------------------------


def damaged_850(old: str, new: str) -> bytes:
    text = SAMPLE_850.read_text(encoding="latin-1")
    assert old in text
    return text.replace(old, new).encode("latin-1")


def test_ack_of_ge01_999999999999_is_valid_x12_with_the_sets_received_in_ak902():
    report = Validator().validate(damaged_850("GE*1*", "GE*999999999999*"))
    ack = acknowledge_report(report, AckNumbers())
    assert re.search(r"AK9\*\w\*1\*1\*", ack)
    assert_valid_x12(ack)


def test_ack_of_a_gs08_cut_at_a_space_has_no_trailing_space_in_ak103():
    gs08 = "00501000000 X220A1"  # cut to AK103's 12 characters, it ended with a space
    report = Validator().validate(damaged_850("*X*004010VICS~", f"*X*{gs08}~"))
    ack = acknowledge_report(report, AckNumbers(), kind=lambda version: "999")
    ak1 = next(s for s in ack_segments(ack) if s.startswith("AK1*"))
    assert ak1.endswith("*00501000000")
    assert_valid_x12(ack)


def test_ack_of_an_element_error_in_a_composite_names_no_composite_as_data_element():
    report = Validator().validate(damaged_850("REF*DP*0042~", "REF*DP*0042**ZZ>1>ZZ>2>ZZ>3>ZZ>4~"))  # REF04 (C040): too many components
    assert any(f.data_element == "C040" for t in report.transactions() for f in t.findings)
    for kind in ("997", "999"):
        assert_valid_x12(acknowledge_report(report, AckNumbers(), kind=lambda version, kind=kind: kind, ta1="always"))


# -- a set too large to map -----------------------------------------------------------------------------


def test_set_larger_than_max_set_bytes_is_rejected_as_too_large_and_its_segments_are_not_kept():
    data = wide_hl_856(150_000)  # about 2.5 MB in one set
    assert len(data) > 2 << 20
    report = Validator(keep_segments=True, max_set_bytes=1 << 20).validate(data)
    t = only_set(report)
    assert t.status == "rejected" and t.segments is None
    assert [f.code for f in t.findings if f.level == "transaction"] == ["transaction.too_large"]
    ack = acknowledge_report(report, AckNumbers())
    assert "AK5*R*5" in ack_segments(ack)
    assert_valid_x12(ack)
    assert only_set(Validator(keep_segments=True).validate(data)).status == "accepted"  # within the default limit


def test_set_one_byte_over_max_set_bytes_is_too_large_and_one_at_the_limit_is_not():
    data = deep_hl_856(50)
    st, se = data.index(b"ST*"), data.index(b"SE*")
    size = se - st  # ST to the start of SE, as the validator measures it
    assert only_set(Validator(max_set_bytes=size).validate(data)).status == "accepted"
    t = only_set(Validator(max_set_bytes=size - 1).validate(data))
    assert [f.code for f in t.findings if f.level == "transaction"] == ["transaction.too_large"]


# -- no terminator ----------------------------------------------------------------------------------------


def test_interchange_without_a_terminator_after_its_isa_is_given_up_after_a_megabyte_not_read_whole():
    sample = SAMPLE_850.read_bytes()
    body = sample[106:].replace(b"~", b"") * 4000  # about 5 MB of segments the ISA's terminator never ends
    data = sample[:106] + body
    tracemalloc.start()
    try:
        report = Validator().validate(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (ix,) = report.interchanges
    assert "isa.segment_terminator_invalid" in [f.code for f in ix.findings] and ix.ack_code == "R"
    assert [f.code for f in report.findings] == ["interchange.junk"]  # the rest, counted, not kept
    assert peak < 3 * len(data) + 8e6, f"{peak / 1e6:.0f} MB for {len(data) / 1e6:.0f} MB"  # read whole and split, it took 18 times
    assert_valid_x12(acknowledge_report(report, AckNumbers()))
