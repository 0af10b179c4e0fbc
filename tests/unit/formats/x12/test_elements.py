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
from gateway.formats.x12.elements import Charset, PatternBuilder, SegmentChecker, SegmentPatterns, valid_date, valid_time
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
    external = None
    extra: tuple[str, ...] = ()
    if allow_codes and t in ("ID", "AN", "N0") and draw(st.booleans()):
        alphabet = "0129-" if t == "N0" else "ABZ01 ^"
        codes = tuple(draw(st.lists(st.text(alphabet, min_size=1, max_size=hi + 1), min_size=1, max_size=14, unique=True)))
        if draw(st.integers(0, 2)) == 0:
            # A code set of codes.xml (EXTERNAL), maybe with codes a partner added.
            external, extra, codes = "EXTERNAL", codes[: draw(st.integers(0, 2))], ()
    usage = draw(st.sampled_from("RSSN"))
    repeat = draw(st.sampled_from([1, 1, 3]))
    return ElementDef(ref, 0, DataElement("9999", t, lo, hi), usage, ref, codes, external, None, repeat, extra)


# The code set elements name with external="EXTERNAL": long enough to be looked up, never compiled.
CODE_SETS = {"EXTERNAL": frozenset(["A", "AB", "ABZ", "Z", "ZZ", "01", "0", "1", "12", "A B", "ZZ ", "B", "0101", "AB^", "9"])}


@st.composite
def segment_defs(draw, element=element_defs):
    n = draw(st.integers(1, 5))
    elements = []
    for i in range(1, n + 1):
        if draw(st.integers(0, 4)) == 0:
            m = draw(st.integers(1, 3))
            comps = [draw(element(f"ZZ{i:02d}-{j:02d}")) for j in range(1, m + 1)]
            for j, c in enumerate(comps, 1):
                c.seq = j
                c.repeat = 1
            syntax = []
            if m >= 2 and draw(st.booleans()):
                syntax = [SyntaxRule(draw(st.sampled_from("PRECL")), (1, 2))]
            elements.append(CompositeDef(f"ZZ{i:02d}", i, "C999", draw(st.sampled_from("RSN")), "", comps, syntax, draw(st.sampled_from([1, 2]))))
        else:
            e = draw(element(f"ZZ{i:02d}"))
            e.seq = i
            elements.append(e)
    syntax = []
    if n >= 2:
        for _ in range(draw(st.integers(0, 2))):
            ps = sorted(draw(st.lists(st.integers(1, n), min_size=2, max_size=min(3, n), unique=True)))
            syntax.append(SyntaxRule(draw(st.sampled_from("PRECL")), tuple(ps)))
    return SegmentDef("ZZ", "test", "S", 10, 1, elements, syntax)


def _value_like(draw, d: Delimiters, codes: list[str]) -> str:
    alphabet = "AB z0129 .-" + d.component + (d.repetition or "") + "\x07é^"
    pieces = st.one_of(
        st.sampled_from(["", "A", "AB", "ABZ", "0", "01", "12.5", "-3", ".5", "5.", "20240229", "20230229", "240101", "1259",
                         "2460", "123456", "ZZ ", " ", "A B", "0101", "1"]),
        st.text(alphabet, max_size=9),
        st.sampled_from(codes),  # the segment's codes, so that code lists accept as often as they reject
    )
    return draw(pieces)


def _codes_of(seg: SegmentDef) -> list[str]:
    simple = [s for e in seg.elements for s in (e.components if isinstance(e, CompositeDef) else [e])]
    return sorted({c for e in simple for c in e.codes + e.extra} | CODE_SETS["EXTERNAL"])


@st.composite
def segment_texts(draw, seg: SegmentDef, d: Delimiters):
    n = draw(st.integers(0, len(seg.elements) + 1))
    codes = _codes_of(seg)
    values = []
    for _ in range(n):
        value = _value_like(draw, d, codes)
        if draw(st.integers(0, 3)) == 0:  # a composite or repeated value made of codes
            sep = draw(st.sampled_from([d.component] + ([d.repetition] if d.repetition else [])))
            value = sep.join([value, _value_like(draw, d, codes)])
        values.append(value)
    return d.element.join(["ZZ", *values])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_compiled_pattern_agrees_with_reference_checker(data):
    d = data.draw(st.sampled_from(DELIMS))
    charset = Charset(data.draw(st.sampled_from(["extended", "any"])), data.draw(st.sampled_from(["00401", "00501"])))
    seg = data.draw(segment_defs())
    # 0: every code list captured and looked up; 3: both ways in one segment; 20: all alternations;
    # warm 1: lookups for the first text of each length, then every list compiled in.
    builder = PatternBuilder(d, charset, CODE_SETS, short_list=data.draw(st.sampled_from([0, 3, 20])), warm=data.draw(st.sampled_from([1, None])))
    match = builder.matcher(seg)
    checker = SegmentChecker(seg, d, charset, CODE_SETS)
    for _ in range(8):
        text = data.draw(segment_texts(seg, d))
        problems = checker.check(text)
        assert (match(text) is not None) == (not problems), (text, [p.code for p in problems], builder.segment(seg, text.count(d.element)))


@st.composite
def coded_element(draw, ref: str):
    """An ID element with a code list of its own or the shared EXTERNAL one (codes of 1-3 characters)."""
    usage = draw(st.sampled_from("RSS"))
    if draw(st.booleans()):
        return ElementDef(ref, 0, DataElement("9999", "ID", 1, 3), usage, ref, (), "EXTERNAL", None, draw(st.sampled_from([1, 3])),
                          tuple(draw(st.lists(st.sampled_from(["Q", "QQ", "Z9"]), max_size=2, unique=True))))
    codes = draw(st.lists(st.text("ABQZ01", min_size=1, max_size=3), min_size=1, max_size=16, unique=True))
    return ElementDef(ref, 0, DataElement("9999", "ID", 1, 3), usage, ref, tuple(codes), None, None, draw(st.sampled_from([1, 3])))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_code_lists_looked_up_after_the_match_agree_with_reference_checker(data):
    """Texts made of codes, wrong codes and near misses, so that most verdicts turn on a code list."""
    d = data.draw(st.sampled_from(DELIMS))
    charset = Charset("extended", data.draw(st.sampled_from(["00401", "00501"])))
    seg = data.draw(segment_defs(element=coded_element))
    builder = PatternBuilder(d, charset, CODE_SETS, short_list=data.draw(st.sampled_from([0, 3, 20])), warm=data.draw(st.sampled_from([1, None])))
    match = builder.matcher(seg)
    checker = SegmentChecker(seg, d, charset, CODE_SETS)
    codes = _codes_of(seg)
    value = st.one_of(st.sampled_from(codes), st.sampled_from(codes).map(lambda c: c + "Q"), st.sampled_from(["", "X", "QQQQ", "A "]))
    for _ in range(8):
        values = []
        for _ in range(data.draw(st.integers(0, len(seg.elements)))):
            sep = data.draw(st.sampled_from([d.component, d.repetition or d.component]))
            values.append(sep.join(data.draw(st.lists(value, min_size=1, max_size=3))))
        text = d.element.join(["ZZ", *values])
        problems = checker.check(text)
        assert (match(text) is not None) == (not problems), (text, [p.code for p in problems], builder.pattern(seg, text.count(d.element)))


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


def test_big_file_swaps_lookups_for_compiled_code_lists_after_warm_uses():
    codes = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "0123456789"]
    seg = _seg(_el("BEG01", "ID", 2, 2, codes=codes))
    table = SegmentPatterns(PatternBuilder(Delimiters("*", ":", "~"), Charset(), warm=3), seg)
    first = table.get(1)
    assert [first(t) is not None for t in ("BEG*A1", "BEG*ZZ")] == [True, False]
    assert table.patterns[1] is first  # two uses: still looking codes up
    assert first("BEG*J9") is not None and table.patterns[1] is not first
    assert "J" in table.patterns[1].__self__.pattern  # now a compiled pattern holding the list
    assert [table.get(1)(t) is not None for t in ("BEG*A1", "BEG*ZZ", "BEG*J9")] == [True, False, True]


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


@pytest.mark.parametrize("short_list, compiled", [(1000, True), (10, False)], ids=["trie", "looked_up"])
def test_long_code_list_is_exact_whether_compiled_or_looked_up(short_list, compiled):
    codes = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "0123456789"] + ["A", "ZZ"]
    seg = _seg(_el("BEG01", "ID", 1, 2, codes=codes), _el("BEG02", "ID", 2, 2, "S", codes=["SA", "NE"], seq=2))
    d = Delimiters("*", ":", "~")
    builder = PatternBuilder(d, Charset(), short_list=short_list)
    match = builder.matcher(seg)
    assert all(match(f"BEG*{c}*SA") for c in codes)
    assert not match("BEG*B*SA")
    assert not match("BEG*ZZZ")
    assert not match("BEG*A*XX")  # the short list stays an alternation either way
    pattern, lookups = builder.pattern(seg, 2)
    assert ("(?P<c0>" in pattern) is not compiled
    assert [codes_ for _, codes_ in lookups] == ([] if compiled else [frozenset(codes)])
