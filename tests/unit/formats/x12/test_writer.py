"""Outbound envelopes: counts, control numbers and the fixed-width ISA."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.formats.x12 import Delimiters, EnvelopeWriter, Validator, WriterError, parse, serialize_segment

NOW = datetime(2024, 3, 15, 8, 12, tzinfo=UTC)


def test_envelope_counts_and_fixed_width_isa():
    w = EnvelopeWriter(Delimiters("*", ">", "~", None, "\n"), now=NOW)
    w.interchange(("ZZ", "SUPPLIER"), ("12", "5551234567"), 42, version="00401")
    w.group("PR", "SUPPLIER", "RETAILER", 7, "004010")
    for n in (1, 2):
        w.transaction("855", n)
        w.segment("BAK", "00", "AD", f"PO{n}", "20240315")
        w.end_transaction()
    w.end_group()
    w.end_interchange()
    text = w.text()
    isa = text.split("~")[0]
    assert len(isa) == 105 and isa[103] == "*" and isa[104] == ">"
    assert "ST*855*0001~\nBAK*00*AD*PO1*20240315~\nSE*3*0001~" in text
    assert text.endswith("GE*2*7~\nIEA*1*000000042~\n")
    ix = parse(text.encode())[0]
    assert ix.header.get(13) == "000000042" and ix.header.get(9) == "240315"
    report = Validator().validate(text.encode())
    assert report.interchanges[0].findings == []


def test_composites_and_trailing_empties():
    d = Delimiters("*", ":", "~")
    assert serialize_segment("PO1", ["1", "10", "EA", None, None], d) == "PO1*1*10*EA"
    assert serialize_segment("AK4", [["3", "", ""], "324", "5"], d) == "AK4*3*324*5"
    assert serialize_segment("AK4", [["3", "2"], None, "5"], d) == "AK4*3:2**5"


@pytest.mark.parametrize("action, message", [
    (lambda w: w.segment("BEG", "00"), "outside a transaction set"),
    (lambda w: w.interchange(("ZZ", "A" * 16), ("ZZ", "B"), 1), "longer than 15"),
    (lambda w: w.interchange(("ZZ", "A"), ("ZZ", "B"), 10**9), "out of range"),
    (lambda w: w.interchange(("ZZ", "A"), ("ZZ", "B"), 1, version="00501"), "repetition separator"),
])
def test_writer_refuses_what_cannot_be_x12(action, message):
    with pytest.raises(WriterError, match=message):
        action(EnvelopeWriter(Delimiters("*", ":", "~"), now=NOW))


def test_values_holding_delimiters_are_refused():
    with pytest.raises(WriterError, match="delimiter"):
        serialize_segment("N1", ["ST", "A*B"], Delimiters("*", ":", "~"))
