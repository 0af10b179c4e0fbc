"""The streaming lexer: delimiters from each ISA, line endings, BOM, chunk boundaries."""

from __future__ import annotations

import io

import pytest
from helpers import sample_files
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import NotX12, UnreadableInput
from gateway.formats.x12.delimiters import scan_isa
from gateway.formats.x12.lexer import Lexer, open_source
from gateway.formats.x12.parser import iter_segments, parse, serialize


def isa(es="*", cs=":", term="~", version="00501", rep="^", control="000000001", suffix=""):
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15), "240101", "1200",
              rep if version >= "00402" else "U", version, control, "0", "P", cs]
    return "ISA" + es + es.join(fields) + term + suffix


def interchange(es="*", cs=":", term="~", suffix="", version="00501", rep="^", control="000000001"):
    segs = [
        f"GS{es}PO{es}SENDER{es}RECEIVER{es}20240101{es}1200{es}1{es}X{es}005010",
        f"ST{es}850{es}0001",
        f"BEG{es}00{es}SA{es}PO1{es}{es}20240101",
        f"SE{es}3{es}0001",
        f"GE{es}1{es}1",
        f"IEA{es}1{es}{control}",
    ]
    return isa(es, cs, term, version, rep, control, suffix) + "".join(s + term + suffix for s in segs)


def tags(data: bytes, chunk: int = 1 << 20) -> list[tuple]:
    out = []
    for event in Lexer(io.BytesIO(data), "t", chunk=chunk).events():
        if event[0] == "segments":
            b = event[1]
            out += [("seg", b.offset(i), p.lstrip("\r\n")) for i, p in enumerate(b.pieces)]
        elif event[0] == "isa":
            out.append(("isa", event[1], event[2].delimiters))
        else:
            out.append(event[:2])
    return out


@pytest.mark.parametrize("es, cs, term, suffix, rep", [
    ("*", ":", "~", "", "^"), ("*", ">", "~", "\n", "^"), ("|", "^", "\n", "", "!"), ("\x1d", "\x1f", "\x1c", "", "\x1e"),
    ("*", ":", "\x15", "\r\n", "^"), ("^", "|", "\x7f", "\r", "~"), ("*", ":", "'", "\r\n", "^"),
])
def test_unusual_delimiters_are_read_from_the_isa(es, cs, term, suffix, rep):
    data = interchange(es, cs, term, suffix, rep=rep).encode("latin-1")
    d = scan_isa(data.decode("latin-1")).delimiters
    assert (d.element, d.component, d.segment, d.repetition, d.suffix) == (es, cs, term, rep, suffix)
    segs = list(iter_segments(data))
    assert [s.tag for s in segs] == ["ISA", "GS", "ST", "BEG", "SE", "GE", "IEA"]
    assert segs[3].elements == ["00", "SA", "PO1", "", "20240101"]
    assert data[segs[3].offset:].startswith(b"BEG")


def test_repetition_separator_only_from_00402_on():
    d4 = scan_isa(isa(version="00401")).delimiters
    assert d4.repetition is None
    assert scan_isa(isa(version="00501", rep="^")).delimiters.repetition == "^"


def test_several_interchanges_each_with_its_own_delimiters():
    data = (interchange() + "\n" + interchange("|", "^", "\n", "", rep="!", control="000000002")).encode()
    ics = parse(data)
    assert [ix.delimiters.element for ix in ics] == ["*", "|"]
    assert [ix.trailer.get(2) for ix in ics] == ["000000001", "000000002"]


def test_spaces_and_padding_after_an_iea_do_not_hide_the_next_interchange():
    first = interchange().replace("~", "~ ")
    second = interchange("|", "^", "\x1c", " ", rep="!", control="000000002")
    ics = parse((first + "\x00\t" + second).encode("latin-1"))
    assert [ix.delimiters.element for ix in ics] == ["*", "|"]
    assert [ix.trailer.get(2) for ix in ics] == ["000000001", "000000002"]


def test_bom_and_leading_whitespace_are_skipped():
    data = b"\xef\xbb\xbf\r\n" + interchange(suffix="\r\n").encode()
    segs = list(iter_segments(data))
    assert segs[0].tag == "ISA" and segs[0].offset == 5


def test_not_x12_raises_a_clear_error():
    with pytest.raises(NotX12, match="not an X12 interchange"):
        list(iter_segments(b"name,qty\nwidget,1\n"))


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableInput, match="no such file"):
        open_source(tmp_path / "nope.x12")


@settings(max_examples=150, deadline=None)
@given(chunk=st.integers(1, 300), suffix=st.sampled_from(["", "\n", "\r\n"]), n=st.integers(1, 3))
def test_chunk_boundaries_do_not_change_the_result(chunk, suffix, n):
    data = "".join(interchange(suffix=suffix, control=f"{i + 1:09d}") for i in range(n)).encode()
    assert tags(data, chunk) == tags(data)


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_samples_round_trip_byte_for_byte(path):
    data = path.read_bytes()
    assert serialize(parse(data)) == data


def test_inconsistent_line_endings_still_split_correctly():
    text = interchange(suffix="\n").replace("~\nBEG", "~\r\n\nBEG")
    segs = list(iter_segments(text.encode()))
    beg = next(s for s in segs if s.tag == "BEG")
    assert text.encode()[beg.offset:].startswith(b"BEG")
