"""Properties of the X12 engine over generated input.

1. A valid document written with any legal delimiters parses to the same tree
   and gets the same verdict.
2. Random damage to a document never makes the engine raise anything but its
   own documented errors, and the acknowledgement can always be built.
3. Whatever stands between segments and around interchanges (line ends, padding,
   a byte-order mark, data outside interchanges, segments outside sets, sets
   without GS), ``serialize(parse(data))`` is ``data``.
"""

from __future__ import annotations

from helpers import sample_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import GatewayError
from gateway.formats.x12 import (
    AckNumbers,
    Delimiters,
    Validator,
    acknowledge_report,
    iter_segments,
    parse,
    serialize,
)

SAMPLES = [p.read_bytes() for p in sample_files()]
VALIDATOR = Validator()
# Characters that never occur in sample data and are legal delimiters.
CANDIDATES = list("~*:^|!\\>`{}[]") + ["\x1c", "\x1d", "\x1e", "\x1f", "\x15", "\x7f", "\n"]


def tree(data: bytes) -> list:
    """Delimiter-free shape of a document: tags, and elements split into repetitions and components."""
    out = []
    for ix in parse(data):
        d = ix.delimiters
        for seg in ix.segments():
            if seg.tag == "ISA":
                out.append(("ISA", tuple(seg.elements[:10]), tuple(seg.elements[11:15])))
                continue
            els = []
            for value in seg.elements:
                reps = value.split(d.repetition) if d.repetition else [value]
                els.append(tuple(tuple(r.split(d.component)) for r in reps))
            out.append((seg.tag, tuple(els)))
    return out


def rewrite(data: bytes, new: Delimiters) -> bytes:
    """The same document written with other delimiters (same line-ending choice as ``new``)."""
    return "".join(p + new.segment + new.suffix for p in respelled(data, new)).encode("latin-1")


def respelled(data: bytes, new: Delimiters) -> list[str]:
    """The segments of ``data`` as texts written with the delimiters ``new`` (no terminators)."""
    parts = []
    for ix in parse(data):
        d = ix.delimiters
        for seg in ix.segments():
            if seg.tag == "ISA":
                els = list(seg.elements)
                if new.repetition:
                    els[10] = new.repetition
                els[15] = new.component
                parts.append("ISA" + new.element + new.element.join(els))
                continue
            vals = []
            for value in seg.elements:
                reps = value.split(d.repetition) if d.repetition else [value]
                vals.append((new.repetition or "").join(new.component.join(r.split(d.component)) for r in reps))
            parts.append(new.element.join([seg.tag, *vals]))
    return parts


@st.composite
def delimiter_sets(draw, repetition: bool):
    inline = [c for c in CANDIDATES if c != "\n"]
    es, cs, rep = draw(st.permutations(inline))[:3]
    term = draw(st.sampled_from([c for c in CANDIDATES if c not in (es, cs, rep)]))
    suffix = "" if term == "\n" else draw(st.sampled_from(["", "\n", "\r\n"]))
    return Delimiters(es, cs, term, rep if repetition else None, suffix)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_documents_parse_to_the_same_tree_with_any_delimiters(data):
    original = data.draw(st.sampled_from(SAMPLES))
    version = parse(original)[0].header.get(12)
    new = data.draw(delimiter_sets(repetition=version >= "00402"))
    rewritten = rewrite(original, new)
    assert tree(rewritten) == tree(original)
    before = VALIDATOR.validate(original)
    after = VALIDATOR.validate(rewritten)
    assert [(t.set_id, t.status) for t in after.transactions()] == [(t.set_id, t.status) for t in before.transactions()]
    assert after.ok == before.ok


PADDING = ["", "", "", "\n", "\r\n", "\r", " ", "  \r\n", "\n\n", "\x00"]
OUTSIDE = ["", "", "junk\n", "\x1a", "not X12 at all\r\n\r\n"]


@st.composite
def laid_out(draw) -> tuple[bytes, list[str]]:
    """1-3 sample interchanges in one file, each with its own delimiters and free layout; and their tags."""
    text = draw(st.sampled_from(["", "\xef\xbb\xbf"])) + draw(st.sampled_from(["", "\r\n", "\n\n"]))
    tags: list[str] = []
    count = draw(st.integers(1, 3))
    for n in range(count):
        original = draw(st.sampled_from(SAMPLES))
        new = draw(delimiter_sets(repetition=parse(original)[0].header.get(12) >= "00402"))
        segments = []
        for seg in respelled(original, new):
            tag = seg.split(new.element, 1)[0]
            if tag == "GS" and draw(st.integers(0, 5)) == 0:
                continue  # its sets now stand in the interchange without a GS
            segments.append(seg)
            if tag in ("SE", "GE") and draw(st.integers(0, 3)) == 0:
                segments.append(new.element.join(["NTE", "GEN", "outside a set"]))
        for i, seg in enumerate(segments):
            last = n == count - 1 and i == len(segments) - 1
            text += seg + ("" if last and draw(st.booleans()) else new.segment) + draw(st.sampled_from(PADDING))
            tags.append(seg.split(new.element, 1)[0])
        text += draw(st.sampled_from(OUTSIDE))
    return text.encode("latin-1"), tags


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=laid_out())
def test_parse_then_serialize_gives_the_input_back(case):
    data, tags = case
    interchanges = parse(data)
    assert serialize(interchanges) == data
    assert [s.tag for ix in interchanges for s in ix.segments()] == tags


@st.composite
def damaged(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate" and data:
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[at:at] = data[at:end]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged())
def test_damaged_input_only_raises_engine_errors(data):
    try:
        segments = list(iter_segments(data))
    except GatewayError:
        segments = None
    try:
        report = VALIDATOR.validate(data)
    except GatewayError:
        assert segments is None or not segments
        return
    text = acknowledge_report(report, AckNumbers())
    if report.interchanges:
        # Whatever we answer must itself be valid X12.
        ack = VALIDATOR.validate(text.encode("latin-1")) if text else None
        if ack is not None:
            assert ack.ok, [f.to_dict() for t in ack.transactions() for f in t.findings] + [f.to_dict() for _, _, f in ack.envelope_findings()]
