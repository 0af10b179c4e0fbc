"""Segment content checks: the compiled pattern must agree with the reference checker.

The fast path (one regex per segment) and the reference checker are two
implementations of the same rules; a generated definition and a generated
segment text must get the same verdict from both.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.formats.x12.delimiters import Delimiters
from gateway.formats.x12.elements import Charset, PatternBuilder, SegmentChecker, valid_date, valid_time
from gateway.formats.x12.model import CompositeDef, DataElement, ElementDef, SegmentDef, SyntaxRule

DELIMS = [
    Delimiters("*", ":", "~", None),
    Delimiters("*", ">", "~", "^"),
    Delimiters("|", "^", "\n", "\\"),
    Delimiters("\x1d", "\x1f", "\x1c", "\x1e"),
    Delimiters("+", ":", "'", "*"),
]
TYPES = ["AN", "ID", "N0", "N2", "R", "DT", "TM"]


@st.composite
def element_defs(draw, ref: str, allow_codes: bool = True):
    t = draw(st.sampled_from(TYPES))
    if t == "DT":
        lo, hi = draw(st.sampled_from([(6, 6), (8, 8), (6, 8)]))
    elif t == "TM":
        lo, hi = draw(st.sampled_from([(4, 4), (4, 6), (4, 8)]))
    else:
        lo = draw(st.integers(1, 4))
        hi = draw(st.integers(lo, 8))
    codes: tuple[str, ...] = ()
    if allow_codes and t in ("ID", "AN") and draw(st.booleans()):
        codes = tuple(draw(st.lists(st.text("ABZ01 ", min_size=1, max_size=hi + 1), min_size=1, max_size=6, unique=True)))
    usage = draw(st.sampled_from("RSSN"))
    repeat = draw(st.sampled_from([1, 1, 3]))
    return ElementDef(ref, 0, DataElement("9999", t, lo, hi), usage, ref, codes, None, None, repeat)


@st.composite
def segment_defs(draw):
    n = draw(st.integers(1, 5))
    elements = []
    for i in range(1, n + 1):
        if draw(st.integers(0, 4)) == 0:
            m = draw(st.integers(1, 3))
            comps = [draw(element_defs(f"ZZ{i:02d}-{j:02d}", allow_codes=False)) for j in range(1, m + 1)]
            for j, c in enumerate(comps, 1):
                c.seq = j
                c.repeat = 1
            syntax = []
            if m >= 2 and draw(st.booleans()):
                syntax = [SyntaxRule(draw(st.sampled_from("PRECL")), (1, 2))]
            elements.append(CompositeDef(f"ZZ{i:02d}", i, "C999", draw(st.sampled_from("RSN")), "", comps, syntax, draw(st.sampled_from([1, 2]))))
        else:
            e = draw(element_defs(f"ZZ{i:02d}"))
            e.seq = i
            elements.append(e)
    syntax = []
    if n >= 2:
        for _ in range(draw(st.integers(0, 2))):
            ps = sorted(draw(st.lists(st.integers(1, n), min_size=2, max_size=min(3, n), unique=True)))
            syntax.append(SyntaxRule(draw(st.sampled_from("PRECL")), tuple(ps)))
    return SegmentDef("ZZ", "test", "S", 10, 1, elements, syntax)


def _value_like(draw, d: Delimiters) -> str:
    alphabet = "AB z0129 .-" + d.component + (d.repetition or "") + "\x07é^"
    pieces = st.one_of(
        st.sampled_from(["", "A", "AB", "ABZ", "0", "01", "12.5", "-3", ".5", "5.", "20240229", "20230229", "240101", "1259",
                         "2460", "123456", "ZZ ", " ", "A B", "0101", "1"]),
        st.text(alphabet, max_size=9),
    )
    return draw(pieces)


@st.composite
def segment_texts(draw, seg: SegmentDef, d: Delimiters):
    n = draw(st.integers(0, len(seg.elements) + 1))
    values = [_value_like(draw, d) for _ in range(n)]
    return d.element.join(["ZZ", *values])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_compiled_pattern_agrees_with_reference_checker(data):
    d = data.draw(st.sampled_from(DELIMS))
    charset = Charset(data.draw(st.sampled_from(["extended", "any"])), data.draw(st.sampled_from(["00401", "00501"])))
    seg = data.draw(segment_defs())
    builder = PatternBuilder(d, charset)
    match = builder.matcher(seg)
    checker = SegmentChecker(seg, d, charset)
    for _ in range(8):
        text = data.draw(segment_texts(seg, d))
        problems = checker.check(text)
        assert (match(text) is not None) == (not problems), (text, [p.code for p in problems], builder.segment(seg, text.count(d.element)))


def _seg(*elements, syntax=()):
    return SegmentDef("BEG", "Beginning", "R", 20, 1, list(elements), list(syntax))


def _el(ref, t, lo, hi, usage="R", codes=(), repeat=1, seq=1):
    return ElementDef(ref, seq, DataElement("1", t, lo, hi), usage, ref, tuple(codes), None, None, repeat)


@pytest.mark.parametrize(
    "text, codes",
    [
        ("BEG*00*SA", []),
        ("BEG*00", ["element.mandatory_missing"]),
        ("BEG*00*SA*", ["segment.trailing_separators"]),
        ("BEG*00*SAXY", ["element.too_long"]),
        ("BEG*0*SA", ["element.too_short", "element.invalid_code"]),
        ("BEG*00*SA*X", ["element.too_many_elements"]),
        ("BEG*00*S\x07", ["element.invalid_character"]),
        ("BEG*00*S ", ["element.trailing_spaces"]),
        ("BEG*00* ", []),  # all spaces: shorter than min once stripped, so allowed
        ("BEG*00*S:A", ["element.invalid_character"]),
    ],
)
def test_reference_checker_names_each_problem(text, codes):
    seg = _seg(_el("BEG01", "ID", 2, 2, codes=["00", "05"]), _el("BEG02", "AN", 1, 3, seq=2))
    d = Delimiters("*", ":", "~")
    found = [p.code for p in SegmentChecker(seg, d, Charset()).check(text)]
    assert sorted(found) == sorted(codes)
    assert (PatternBuilder(d, Charset()).matcher(seg)(text) is not None) == (not codes)


@pytest.mark.parametrize("rule, text, code", [
    ("P0203", "X*A*1*2", None),
    ("P0203", "X*A", None),
    ("P0203", "X*A*1", "element.conditional_missing"),
    ("R0203", "X*A", "element.conditional_missing"),
    ("E0203", "X*A*1*2", "element.exclusion_violated"),
    ("C0203", "X*A*1", "element.conditional_missing"),
    ("C0203", "X*A**2", None),
    ("L020304", "X*A*1", "element.conditional_missing"),
    ("L020304", "X*A*1**3", None),
])
def test_syntax_rules(rule, text, code):
    seg = SegmentDef("X", "x", "R", 1, 1, [
        _el("X01", "AN", 1, 5), _el("X02", "AN", 1, 5, "S", seq=2), _el("X03", "AN", 1, 5, "S", seq=3), _el("X04", "AN", 1, 5, "S", seq=4)],
        [SyntaxRule.parse(rule)])
    d = Delimiters("*", ":", "~")
    text = text.rstrip("*")
    found = [p.code for p in SegmentChecker(seg, d, Charset()).check(text)]
    assert found == ([code] if code else [])
    assert (PatternBuilder(d, Charset()).matcher(seg)(text) is not None) == (code is None)


@pytest.mark.parametrize("value, ok", [
    ("20240229", True), ("20230229", False), ("19000229", False), ("20000229", True), ("17991231", False),
    ("240229", True), ("000229", True), ("991231", True), ("20241301", False), ("20240431", False), ("2024010", False),
    ("202401011230", True), ("202401012460", False),
])
def test_dates(value, ok):
    assert valid_date(value) is ok


@pytest.mark.parametrize("value, ok", [("0000", True), ("2359", True), ("2400", False), ("1260", False), ("123059", True),
                                       ("1230599", True), ("12305999", True), ("12305", False), ("123", False)])
def test_times(value, ok):
    assert valid_time(value) is ok


def test_code_lists_are_compiled_as_a_trie_and_still_exact():
    codes = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "0123456789"] + ["A", "ZZ"]
    seg = _seg(_el("BEG01", "ID", 1, 2, codes=codes))
    d = Delimiters("*", ":", "~")
    match = PatternBuilder(d, Charset()).matcher(seg)
    assert all(match(f"BEG*{c}") for c in codes)
    assert not match("BEG*B")
    assert not match("BEG*ZZZ")
