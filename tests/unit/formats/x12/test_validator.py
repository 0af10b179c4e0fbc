"""Structure rules, envelopes, overlays and streaming, on a small made-up set (cases/toy/901.xml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import SpecError
from gateway.formats.x12 import GroupResult, InterchangeResult, Overlay, SpecLibrary, TransactionResult, Validator

TOY = Path(__file__).with_name("cases") / "toy"
ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~"


def doc(*body: str, set_id: str = "901", control: str = "0001") -> bytes:
    segs = [f"ST*{set_id}*{control}", *body]
    segs.append(f"SE*{len(segs) + 1}*{control}")
    text = ISA + "GS*ZZ*SENDER*RECEIVER*20240101*1200*7*X*004010~" + "~".join(segs) + "~GE*1*7~IEA*1*000000001~"
    return text.encode()


VALID = ("BGN*REF1", "REF*IA*123", "N1*ST*STORE", "N3*MAIN ST", "N1*BT*HQ", "LIN*1", "QTY*5", "LIN*2", "CTT*2")


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(SpecLibrary([TOY]))


def codes(validator: Validator, data: bytes) -> list[str]:
    report = validator.validate(data)
    return [f.code for t in report.transactions() for f in t.findings if f.code != "transaction.segment_errors"]


def test_valid_document(validator):
    assert codes(validator, doc(*VALID)) == []


@pytest.mark.parametrize("change, expected", [
    (lambda b: b + ("LIN*3",), ["segment.out_of_sequence"]),  # detail after summary
    (lambda b: tuple(x for x in b if x != "CTT*2") + ("LIN*3", "LIN*4", "CTT*4"), ["loop.max_exceeded"]),
    (lambda b: b[:2] + ("REF*DP*1", "REF*DP*2") + b[2:], ["segment.max_use_exceeded"]),
    (lambda b: b[:7] + ("NTE*NOTE",) + b[7:], ["segment.not_used"]),
    (lambda b: tuple(x for x in b if x != "N1*BT*HQ"), ["loop.mandatory_missing"]),
    (lambda b: b[1:], ["segment.mandatory_missing"]),
    (lambda b: tuple(x for x in b if x != "CTT*2"), []),  # the summary table is optional
    (lambda b: ("BGN*REF1", "N1*BT*HQ", "N1*ST*STORE") + b[5:], ["segment.out_of_sequence"]),  # ship-to must come first
    (lambda b: b[:4] + ("N1*XX*WHO",) + b[4:], ["segment.out_of_sequence"]),  # no loop takes N1*XX
    (lambda b: b[:1] + ("REF*IA",) + b[2:], ["element.conditional_missing"]),
    (lambda b: b[:5] + ("FOO*1",) + b[5:], ["segment.not_in_set"]),
    (lambda b: b[:5] + ("lin*1",) + b[5:], ["segment.unrecognized"]),
])
def test_structure_rules(validator, change, expected):
    assert codes(validator, doc(*change(VALID))) == expected


def test_qualified_loops_are_chosen_by_code(validator):
    report = validator.validate(doc(*VALID))
    assert report.ok
    # A second ship-to loop is fine (repeat 2); a third is one too many.
    twice = VALID[:4] + ("N1*ST*STORE 2",) + VALID[4:]
    assert codes(validator, doc(*twice)) == []
    thrice = VALID[:4] + ("N1*ST*STORE 2", "N1*ST*STORE 3") + VALID[4:]
    assert codes(validator, doc(*thrice)) == ["loop.max_exceeded"]


def test_findings_carry_positions(validator):
    data = doc(*VALID[:2], "REF*IA*12345678901", *VALID[3:])
    report = validator.validate(data)
    f = next(f for t in report.transactions() for f in t.findings if f.code == "element.too_long")
    assert (f.segment, f.element, f.position.set_position, f.position.element) == ("REF", "REF02", 4, 2)
    assert data[f.position.offset:].startswith(b"12345678901")
    assert f.loop == "/ST_LOOP/HEADER"


def test_unsupported_set_is_rejected_but_counted(validator):
    report = validator.validate(doc("FOO*1", set_id="902"))
    (t,) = report.transactions()
    assert [f.code for f in t.findings] == ["st.set_unsupported"]
    assert t.segment_count == 3


def test_events_stream_results_in_order(validator):
    events = list(validator.events(doc(*VALID)))
    assert [type(e) for e in events] == [TransactionResult, GroupResult, InterchangeResult]
    assert events[1].transactions == []  # streaming keeps nothing behind


def test_overlay_tightens_and_loosens():
    strict = Validator(SpecLibrary([TOY]), overlay=Overlay(require=["QTY", "REF03"], codes={"REF01": ["IA"]}, max_use={"LIN_LOOP": 1}))
    found = codes(strict, doc(*VALID))
    assert sorted(found) == ["element.mandatory_missing", "loop.max_exceeded", "segment.mandatory_missing"]
    loose = Validator(SpecLibrary([TOY]), overlay=Overlay(relax=["N1_BT"], forbid=["N3"]))
    assert codes(loose, doc(*(x for x in VALID if x != "N1*BT*HQ" and x != "N3*MAIN ST"))) == []
    assert codes(loose, doc(*(x for x in VALID if x != "N1*BT*HQ"))) == ["segment.not_used"]


def test_overlay_names_unknown_references():
    with pytest.raises(SpecError, match="NOPE01"):
        Validator(SpecLibrary([TOY]), overlay=Overlay(require=["NOPE01"])).validate(doc(*VALID))


def test_requiring_a_loop_id_found_in_several_places_asks_for_its_path():
    sample = Path(__file__).parents[4] / "samples" / "x12" / "850-004010-retail-replenishment-order.x12"
    with pytest.raises(SpecError) as err:
        Validator(overlay=Overlay(require=["N1_LOOP"], name="partner acme")).validate(sample)
    assert str(err.value) == (
        "partner acme: require N1_LOOP fits 4 places in the 850 spec (/ST_LOOP/HEADER/N1_LOOP, "
        "/ST_LOOP/HEADER/SPI_LOOP/N1_LOOP, /ST_LOOP/DETAIL/PO1_LOOP/N1_LOOP, /ST_LOOP/DETAIL/PO1_LOOP/SLN_LOOP/N1_LOOP); "
        "name one by its path")
    report = Validator(overlay=Overlay(require=["/ST_LOOP/HEADER/N1_LOOP"])).validate(sample)
    assert [t.status for t in report.transactions()] == ["accepted"]


def test_spec_errors_name_file_and_line(tmp_path):
    for name in ("maps.xml", "codes.xml"):
        (tmp_path / name).write_bytes((TOY / name).read_bytes())
    (tmp_path / "dataele.xml").write_text('<data_elements><data_ele ele_num="143" data_type="ID" min_len="3" max_len="3"/></data_elements>')
    (tmp_path / "901.xml").write_bytes((TOY / "901.xml").read_bytes())
    with pytest.raises(SpecError) as err:
        SpecLibrary([tmp_path]).find("00401", "004010", "ZZ", "901")
    assert "901.xml:7: data element '329' is not in dataele.xml" in str(err.value)


@pytest.mark.parametrize("old, new, code", [
    (b"SE*29*0001", b"SE*\xb929*0001", "se.count_mismatch"),  # a superscript one: a digit to str.isdigit, not to int()
    (b"GE*1*1001", b"GE*\xb2*1001", "ge.count_mismatch"),
    (b"IEA*1*", b"IEA*\xb3*", "iea.group_count"),
])
def test_counts_written_with_non_ascii_digits_are_findings_not_crashes(old, new, code):
    sample = (Path(__file__).parents[4] / "samples" / "x12" / "850-004010-retail-replenishment-order.x12").read_bytes()
    assert old in sample
    report = Validator().validate(sample.replace(old, new))
    found = [f.code for f in report.findings] + [f.code for _, _, f in report.envelope_findings()]
    found += [f.code for t in report.transactions() for f in t.findings]
    assert code in found
