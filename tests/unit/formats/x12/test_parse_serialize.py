"""parse then serialize gives the input back byte for byte, whatever stands around and between segments."""

from __future__ import annotations

import io

import pytest

from gateway.errors import NotX12, UnreadableInput
from gateway.formats.x12 import Delimiters, Segment, iter_segments, parse, serialize

ISA4 = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>"
ISA5 = "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |240101|1200|^|00501|000000002|0|P|:"
GS = "GS*PO*SENDER*RECEIVER*20240101*1200*1*X*004010"
SET = ["ST*850*0001", "BEG*00*SA*PO1**20240101", "SE*3*0001"]
GE = "GE*1*1"
IEA = "IEA*1*000000001"


def lines(*segments: str, end: str = "~\n") -> str:
    return "".join(s + end for s in segments)


def round_trips(text: str | bytes) -> list:
    data = text if isinstance(text, bytes) else text.encode("latin-1")
    interchanges = parse(data)
    assert serialize(interchanges) == data
    return interchanges


def test_trailing_crlf_after_each_segment_is_kept():
    (ix,) = round_trips(lines(ISA4, GS, *SET, GE, IEA, end="~\r\n"))
    assert {s.tail for s in ix.segments()} == {"~\r\n"}


def test_trailing_crlf_after_each_segment_but_the_last_is_kept():
    (ix,) = round_trips(lines(ISA4, GS, *SET, GE, end="~\r\n") + IEA + "~")
    assert ix.trailer.tail == "~"


def test_mixed_line_ends_and_spaces_after_terminators_are_kept():
    text = ISA4 + "~\r\n" + GS + "~ \n" + SET[0] + "~" + SET[1] + "~\n\n" + SET[2] + "~\r" + GE + "~   " + IEA + "~\n\n\n"
    (ix,) = round_trips(text)
    tails = [s.tail for s in ix.segments()]
    assert tails == ["~\r\n", "~ \n", "~", "~\n\n", "~\r", "~   ", "~\n\n\n"]


def test_lines_indented_after_terminators_are_kept():
    text = ISA4 + "~\r\n  " + GS + "~\r\n    " + "~\r\n    ".join(SET) + "~\r\n  " + GE + "~\r\n" + IEA + "~\r\n"
    round_trips(text)


def test_utf8_bom_is_kept():
    text = b"\xef\xbb\xbf" + lines(ISA4, GS, *SET, GE, IEA).encode()
    (ix,) = round_trips(text)
    assert ix.before == "\xef\xbb\xbf" and ix.header.offset == 3


def test_bom_and_blank_lines_before_the_isa_are_kept():
    round_trips(b"\xef\xbb\xbf\r\n\r\n" + lines(ISA4, GS, *SET, GE, IEA, end="~\r\n").encode())


def test_segment_between_groups_is_kept_in_place():
    gs2 = GS.replace("*1*X", "*2*X")
    text = lines(ISA4, GS, *SET, GE, "TA1*000000001*240101*1200*A*000", gs2, *SET, "GE*1*2", "IEA*2*000000001")
    (ix,) = round_trips(text)
    assert [s.tag for s in ix.other] == ["TA1"]
    assert [s.tag for s in ix.segments()].index("TA1") == 6


def test_segment_before_gs_is_kept_in_place():
    (ix,) = round_trips(lines(ISA4, "TA1*000000001*240101*1200*A*000", GS, *SET, GE, IEA))
    assert [s.tag for s in ix.segments()][:3] == ["ISA", "TA1", "GS"]


def test_segment_between_sets_inside_a_group_is_kept_in_place():
    text = lines(ISA4, GS, *SET, "ZZZ*stray", *SET, "NTE*after", "GE*2*1", IEA)
    (ix,) = round_trips(text)
    (group,) = ix.groups
    assert [s.tag for s in group.other] == ["ZZZ", "NTE"]
    assert len(group.transactions) == 2 and ix.other == []


def test_segment_after_the_last_group_is_kept_before_the_iea():
    (ix,) = round_trips(lines(ISA4, GS, *SET, GE, "ZZZ*late", IEA))
    assert [s.tag for s in ix.segments()][-2:] == ["ZZZ", "IEA"]


def test_st_without_gs_is_written_once():
    (ix,) = round_trips(lines(ISA4, *SET, "ST*850*0002", "BEG*00*SA*PO2**20240101", "SE*3*0002", GE, IEA))
    (group,) = ix.groups
    assert group.header is None
    assert [t.control_number for t in group.transactions] == ["0001", "0002"]
    assert [s.tag for s in ix.segments()].count("ST") == 2


def test_gozer_wrong_gs_shape_writes_each_st_once():
    # gozer's x12.wrong.GS.txt: the first group's GS is damaged (XX), its sets stand in the interchange.
    text = (ISA4.replace("*00401*", "*00400*") + "\nXX*SH*A*B*20111206*1045*00*X*004060\nST*AAA*0001\nTEST*1\nSE*1*0001\nGE*1*00\n"
            "GS*SH*A*B*20111206*1045*99*X*004060\nST*AAA*0003\nTEST*3\nSE*1*0003\nGE*1*99\nIEA*2*000000001")
    (ix,) = round_trips(text)
    assert [g.header.tag if g.header else None for g in ix.groups] == [None, "GS"]
    assert [s.tag for s in ix.other] == ["XX"]


def test_junk_after_iea_is_kept():
    text = lines(ISA4, GS, *SET, GE, IEA) + "this is not X12\n\x1a"
    (ix,) = round_trips(text)
    assert ix.trailer.tail == "~\n" and ix.after == "this is not X12\n\x1a"


def test_last_segment_without_terminator_is_written_without_one():
    (ix,) = round_trips(lines(ISA4, GS, *SET, GE) + IEA)
    assert ix.trailer.tail == ""


def test_interchange_without_iea_keeps_its_last_terminator():
    round_trips(lines(ISA4, GS, *SET, GE))


def test_several_interchanges_with_their_own_delimiters_and_line_ends_round_trip():
    first = lines(ISA4, GS, *SET, GE, IEA, end="~\r\n")
    second = lines(ISA5, *(s.replace("*", "|") for s in (GS, *SET, GE)), "IEA|1|000000002", end="\x1c")
    third = lines(ISA4, GS, *SET, GE, IEA, end="~")
    ixs = round_trips(first + "\n" + second + "junk between\n" + third)
    assert [ix.delimiters.element for ix in ixs] == ["*", "|", "*"]
    assert ixs[1].after == "junk between\n"


def test_unreadable_interchange_between_readable_ones_is_kept_as_it_was():
    broken = "ISA*00*short~GS*PO~IEA*1*1~\n"
    ixs = round_trips(lines(ISA4, GS, *SET, GE, IEA) + broken + lines(ISA4, GS, *SET, GE, IEA))
    assert len(ixs) == 2 and ixs[0].after == broken


def test_segment_text_wrapped_over_lines_is_kept():
    # staedi's ts210_80char: a file cut into 80-column lines, newlines inside segments and after terminators.
    text = ISA4[:70] + "\n" + ISA4[70:] + "~" + GS + "~ST*850*0\n001~" + SET[1] + "~\n" + SET[2] + "~" + GE + "~" + IEA + "~"
    round_trips(text)


def test_hand_built_segments_get_the_interchange_terminator():
    d = Delimiters("*", ":", "~", None, "\r\n")
    (ix,) = parse(lines(ISA4, GS, *SET, GE, IEA, end="~\r\n").encode())
    note = Segment("NTE", ["GEN", "added"], 0, ix.groups[0].transactions[0].segments[1].number, d)
    assert note.tail is None
    ix.groups[0].transactions[0].segments.insert(2, note)
    assert b"BEG*00*SA*PO1**20240101~\r\nNTE*GEN*added~\r\nSE*3*0001~\r\n" in serialize([ix])


def test_parse_reads_paths_and_streams_and_names_the_file_in_errors(tmp_path):
    data = b"\xef\xbb\xbf" + lines(ISA4, GS, *SET, GE, IEA, end="~\r\n").encode()
    (tmp_path / "po.x12").write_bytes(data)
    assert serialize(parse(tmp_path / "po.x12")) == data
    assert serialize(parse(io.BytesIO(data))) == data
    (tmp_path / "orders.csv").write_bytes(b"po,qty\n1,2\n")
    with pytest.raises(NotX12, match="orders.csv: not an X12 interchange"):
        parse(tmp_path / "orders.csv")
    with pytest.raises(UnreadableInput, match="missing.x12: no such file"):
        parse(tmp_path / "missing.x12")


def test_streamed_segments_have_no_tail_and_no_other_unknown_attribute():
    seg = next(iter_segments(lines(ISA4, GS, *SET, GE, IEA).encode()))
    assert seg.tail is None
    with pytest.raises(AttributeError, match="no attribute 'tial'"):
        seg.tial  # noqa: B018
