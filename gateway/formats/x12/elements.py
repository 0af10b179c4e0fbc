"""Segment content checks: the reference checker and the compiled fast path.

``check_segment`` is the reference: plain Python, one rule at a time, and it
says exactly what is wrong (codes, element, component, repetition).

``segment_pattern`` compiles the same rules for one segment definition into a
single regular expression that accepts a segment text if and only if
``check_segment`` finds nothing. The validator runs the regex on every segment
(in C, one call) and falls back to ``check_segment`` only when it fails. The
equivalence is a tested property (tests/unit/formats/x12/test_elements.py).

Code lists: a short list (up to ``SHORT_LIST`` codes) is written into the
pattern as an alternation. A longer one (element 128 has some 1,500 codes)
would make the pattern slow to compile, so the pattern only checks the
element's type and length and captures the value in a named group, and the
matcher then looks the value up in the list's frozenset. Every captured value
is exactly the text between two delimiters (no value pattern can stop short:
a separator or the end must follow), so the two steps accept exactly what one
alternation would.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from .delimiters import Delimiters
from .model import CompositeDef, ElementDef, SegmentDef, SyntaxRule

# Characters pyx12 and X12.6 call control characters; they never belong in data.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Printable ASCII minus what each character set leaves out.
_EXCLUDED = {"00401": "^`", "00501": ""}


@dataclass(frozen=True, slots=True)
class Charset:
    """Which characters AN/ID data may hold (besides the delimiters, never allowed).

    ``extended``: printable ASCII (X12.6 extended set; before 00501 without ^ and `).
    ``any``: anything but control characters (for partners sending UTF-8 names).
    """

    name: str = "extended"
    version: str = "00401"

    def excluded(self) -> str:
        return "" if self.name == "any" else _EXCLUDED["00501" if self.version >= "00501" else "00401"]

    def allows(self, ch: str) -> bool:
        o = ord(ch)
        if o < 0x20 or o == 0x7F:
            return False
        if self.name == "any":
            return True
        return o < 0x7F and ch not in self.excluded()

    def char_class(self, d: Delimiters, extra_excluded: str = "") -> str:
        """Regex class body of the allowed characters (without brackets)."""
        banned = {d.element, d.component, d.segment} | ({d.repetition} if d.repetition else set())
        banned |= set(self.excluded()) | set(extra_excluded)
        top = 0x10FFFF if self.name == "any" else 0x7E
        ranges: list[tuple[int, int]] = []
        start = None
        for o in range(0x20, min(top, 0xFF) + 1):
            ok = chr(o) not in banned and o != 0x7F
            if ok and start is None:
                start = o
            elif not ok and start is not None:
                ranges.append((start, o - 1))
                start = None
        if start is not None:
            ranges.append((start, min(top, 0xFF)))
        if top > 0xFF:
            ranges.append((0x100, top))
        return "".join(_range(a, b) for a, b in ranges)


def _range(a: int, b: int) -> str:
    if a == b:
        return _esc_class(chr(a))
    return f"{_esc_class(chr(a))}-{_esc_class(chr(b))}"


def _esc_class(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch)


# ---------------------------------------------------------------------------
# reference checker


@dataclass(slots=True)
class Problem:
    """One content problem in a segment (positions are 1-based)."""

    code: str
    message: str
    element: int | None = None
    component: int | None = None
    repetition: int | None = None
    ref: str | None = None
    value: str | None = None
    data_element: str | None = None


_NUMBER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]*(?:\.[0-9]+)?")
_TIME = re.compile(r"(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9][0-9]{0,2})?")
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def valid_date(value: str) -> bool:
    """CCYYMMDD, YYMMDD (years below 50 are 20YY) or CCYYMMDDHHMM; years from 1800."""
    if not value.isdigit() or not value.isascii() or len(value) not in (6, 8, 12):
        return False
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year < 1800 or not 1 <= month <= 12 or day < 1 or day > _MONTH_DAYS[month]:
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    return len(value) != 12 or bool(_TIME.fullmatch(value[8:]))


def valid_time(value: str) -> bool:
    """HHMM, HHMMSS, HHMMSSd or HHMMSSdd."""
    return bool(_TIME.fullmatch(value)) and value.isascii()


def check_value(e: ElementDef, value: str, charset: Charset, codes: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """Problems of one non-empty simple value against its element definition."""
    if e.usage == "N":
        return [("element.not_used", f"{e.ref} is marked not used but holds {value!r}")]
    t = e.data_ele.type
    out: list[tuple[str, str]] = []
    numeric = t == "R" or t[:1] == "N"
    length = len(value.replace("-", "").replace(".", "")) if numeric else len(value)
    if length < e.data_ele.min_len:
        out.append(("element.too_short", f"{e.ref} is too short: {length} < {e.data_ele.min_len} ({value!r})"))
    if length > e.data_ele.max_len:
        out.append(("element.too_long", f"{e.ref} is too long: {length} > {e.data_ele.max_len} ({value!r})"))
    if _CONTROL.search(value):
        out.append(("element.invalid_character", f"{e.ref} contains a control character ({value!r})"))
        return out
    if t in ("AN", "ID") and value[-1] == " " and len(value.rstrip(" ")) >= e.data_ele.min_len:
        out.append(("element.trailing_spaces", f"{e.ref} has trailing spaces ({value!r})"))
    allowed = codes if codes is not None else (frozenset(e.codes) if e.codes else None)
    if allowed is not None and value not in allowed:
        out.append(("element.invalid_code", f"{e.ref} code {value!r} is not valid"))
    if t[:1] == "N":
        if not _NUMBER.fullmatch(value):
            out.append(("element.invalid_character", f"{e.ref} is numeric ({t}), got {value!r}"))
    elif t == "R":
        if not _DECIMAL.fullmatch(value):
            out.append(("element.invalid_character", f"{e.ref} is a decimal number, got {value!r}"))
    elif t in ("AN", "ID"):
        if not all(charset.allows(ch) for ch in value):
            out.append(("element.invalid_character", f"{e.ref} contains a character outside the {charset.name} set ({value!r})"))
    elif t == "DT":
        if not valid_date(value):
            out.append(("element.invalid_date", f"{e.ref} is not a valid date ({value!r})"))
    elif t == "TM":
        if not valid_time(value):
            out.append(("element.invalid_time", f"{e.ref} is not a valid time ({value!r})"))
    if e.regex and not re.search(e.regex, value):
        out.append(("element.pattern_mismatch", f"{e.ref} value {value!r} does not match {e.regex!r}"))
    return out


class SegmentChecker:
    """Reference checks for one segment definition under one set of delimiters."""

    def __init__(self, seg: SegmentDef, d: Delimiters, charset: Charset, code_sets: dict[str, frozenset[str]] | None = None) -> None:
        self.seg = seg
        self.d = d
        self.charset = charset
        self.code_sets = code_sets or {}

    def codes_for(self, e: ElementDef) -> frozenset[str] | None:
        return codes_for(e, self.code_sets)

    def check(self, text: str) -> list[Problem]:
        d, seg = self.d, self.seg
        parts = text.split(d.element)
        values = parts[1:]
        out: list[Problem] = []
        if values and values[-1] == "":
            out.append(Problem("segment.trailing_separators", f"{seg.id} ends with element separators"))
            while values and values[-1] == "":
                values.pop()
        defs = seg.elements
        if len(values) > len(defs):
            n = len(defs) + 1
            out.append(Problem("element.too_many_elements", f"{seg.id} has {len(values)} elements, at most {len(defs)} are defined",
                               element=n, ref=f"{seg.id}{n:02d}", value=values[len(defs)]))
        for i, e in enumerate(defs):
            value = values[i] if i < len(values) else ""
            if isinstance(e, CompositeDef):
                out += self._composite(e, i + 1, value)
            else:
                out += self._simple(e, i + 1, value)
        present = [self._present(values[i]) if i < len(values) else False for i in range(len(defs))]
        for rule in seg.syntax:
            for p in _syntax(rule, present, seg.id, None, {i + 1: defs[i].ref for i in range(len(defs))}):
                if p.element and p.element <= len(defs):
                    p.data_element = _num(defs[p.element - 1])
                out.append(p)
        return out

    def _present(self, value: str) -> bool:
        d = self.d
        stripped = value.replace(d.component, "")
        if d.repetition:
            stripped = stripped.replace(d.repetition, "")
        return stripped != ""

    def _repetitions(self, e: ElementDef | CompositeDef, pos: int, value: str) -> tuple[list[str], list[Problem]]:
        d = self.d
        if not d.repetition or d.repetition not in value:
            return [value], []
        reps = value.split(d.repetition)
        if len(reps) > e.repeat:
            return reps[: e.repeat], [Problem("element.too_many_repetitions", f"{e.ref} repeats {len(reps)} times, at most {e.repeat}",
                                              element=pos, ref=e.ref, value=value, data_element=_num(e))]
        return reps, []

    def _simple(self, e: ElementDef, pos: int, value: str) -> list[Problem]:
        if value == "":
            if e.usage == "R":
                return [Problem("element.mandatory_missing", f"mandatory element {e.ref} ({e.name}) is missing", element=pos, ref=e.ref, data_element=e.data_ele.num)]
            return []
        if e.usage == "N":
            return [Problem("element.not_used", f"{e.ref} is marked not used but holds {value!r}", element=pos, ref=e.ref, value=value, data_element=e.data_ele.num)]
        reps, out = self._repetitions(e, pos, value)
        for r, rep in enumerate(reps, 1):
            rnum = r if len(reps) > 1 else None
            if rep == "":
                if e.usage == "R":
                    out.append(Problem("element.mandatory_missing", f"mandatory element {e.ref} repetition {r} is empty", element=pos, repetition=rnum, ref=e.ref, data_element=e.data_ele.num))
                continue
            if self.d.component in rep:
                out.append(Problem("element.invalid_character", f"{e.ref} is a simple element but holds component separators ({rep!r})",
                                   element=pos, repetition=rnum, ref=e.ref, value=rep, data_element=e.data_ele.num))
                continue
            for code, msg in check_value(e, rep, self.charset, self.codes_for(e)):
                out.append(Problem(code, msg, element=pos, repetition=rnum, ref=e.ref, value=rep, data_element=e.data_ele.num))
        return out

    def _composite(self, c: CompositeDef, pos: int, value: str) -> list[Problem]:
        d = self.d
        if not self._present(value):
            if c.usage == "R":
                return [Problem("element.mandatory_missing", f"mandatory composite {c.ref} ({c.name}) is missing", element=pos, ref=c.ref, data_element=c.data_ele)]
            return []
        if c.usage == "N":
            return [Problem("element.not_used", f"composite {c.ref} is marked not used but present", element=pos, ref=c.ref, value=value, data_element=c.data_ele)]
        reps, out = self._repetitions(c, pos, value)
        for r, rep in enumerate(reps, 1):
            rnum = r if len(reps) > 1 else None
            if not self._present(rep):
                if c.usage == "R":
                    out.append(Problem("element.mandatory_missing", f"mandatory composite {c.ref} repetition {r} is empty", element=pos, repetition=rnum, ref=c.ref, data_element=c.data_ele))
                continue
            comps = rep.split(d.component)
            while len(comps) > 1 and comps[-1] == "":
                comps.pop()
            if len(comps) > len(c.components):
                out.append(Problem("element.too_many_components", f"{c.ref} has {len(comps)} components, at most {len(c.components)}",
                                   element=pos, component=len(c.components) + 1, repetition=rnum, ref=c.ref, value=rep, data_element=c.data_ele))
            for j, sub in enumerate(c.components):
                v = comps[j] if j < len(comps) else ""
                if v == "":
                    if sub.usage == "R":
                        out.append(Problem("element.mandatory_missing", f"mandatory component {sub.ref} ({sub.name}) is missing",
                                           element=pos, component=j + 1, repetition=rnum, ref=sub.ref, data_element=sub.data_ele.num))
                    continue
                for code, msg in check_value(sub, v, self.charset, self.codes_for(sub)):
                    out.append(Problem(code, msg, element=pos, component=j + 1, repetition=rnum, ref=sub.ref, value=v, data_element=sub.data_ele.num))
            present = [j < len(comps) and comps[j] != "" for j in range(len(c.components))]
            for rule in c.syntax:
                for p in _syntax(rule, present, c.ref, pos, {j + 1: s.ref for j, s in enumerate(c.components)}):
                    p.repetition = rnum
                    if p.component and p.component <= len(c.components):
                        p.data_element = c.components[p.component - 1].data_ele.num
                    out.append(p)
        return out


def codes_for(e: ElementDef, code_sets: dict[str, frozenset[str]]) -> frozenset[str] | None:
    """The codes an element accepts (its own list, its external set, codes a partner added), or None for any."""
    if e.external:
        shared = code_sets.get(e.external, frozenset())
        return shared | frozenset(e.codes + e.extra) if e.codes or e.extra else shared
    return frozenset(e.codes + e.extra) if e.codes else None


def _num(e: ElementDef | CompositeDef) -> str:
    return e.data_ele if isinstance(e, CompositeDef) else e.data_ele.num


def _syntax(rule: SyntaxRule, present: list[bool], owner: str, element: int | None, refs: dict[int, str]) -> list[Problem]:
    def has(p: int) -> bool:
        return 0 < p <= len(present) and present[p - 1]

    ps = rule.positions
    count = sum(1 for p in ps if has(p))
    names = ", ".join(refs.get(p, f"{owner}{p:02d}") for p in ps)
    bad: tuple[str, str, int] | None = None
    if rule.kind == "P" and 0 < count < len(ps):
        missing = next(p for p in ps if not has(p))
        bad = ("element.conditional_missing", f"{rule}: if any of {names} is present, all are required", missing)
    elif rule.kind == "R" and count == 0:
        bad = ("element.conditional_missing", f"{rule}: at least one of {names} is required", ps[0])
    elif rule.kind == "E" and count > 1:
        second = [p for p in ps if has(p)][1]
        bad = ("element.exclusion_violated", f"{rule}: only one of {names} may be present", second)
    elif rule.kind == "C" and has(ps[0]) and count < len(ps):
        missing = next(p for p in ps[1:] if not has(p))
        bad = ("element.conditional_missing", f"{rule}: if {refs.get(ps[0], ps[0])} is present, {names.split(', ', 1)[1]} required", missing)
    elif rule.kind == "L" and has(ps[0]) and count == 1:
        bad = ("element.conditional_missing", f"{rule}: if {refs.get(ps[0], ps[0])} is present, one of {names.split(', ', 1)[1]} is required", ps[1])
    if bad is None:
        return []
    code, msg, where = bad
    if element is None:
        return [Problem(code, msg, element=where, ref=refs.get(where))]
    return [Problem(code, msg, element=element, component=where, ref=refs.get(where))]


# ---------------------------------------------------------------------------
# compiled fast path


def _alt(words: list[str]) -> str:
    """A regex matching exactly one of ``words``, factored as a trie (fast for long code lists)."""
    if not words:
        return "(?!)"
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie(trie)


def _trie(node: dict) -> str:
    end = "" in node
    branches = [re.escape(ch) + _trie(child) for ch, child in sorted(node.items()) if ch != ""]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if end:
        return "(?:" + body + ")?"
    return body


_CODED: dict[tuple, str] = {}  # (codes, data element, regex, charset, delimiters) -> code alternation

# Code lists up to this long are alternations in the pattern; longer ones are captured and looked up.
SHORT_LIST = 10
# Uses after which a pattern with lookups gives way to one with every list compiled in (see SegmentPatterns).
WARM = 2000
_WARMED: set[tuple] = set()  # (pattern, lookups) used WARM times in this process: compile the lists in at once


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    # Every Validator compiles the same patterns; a big segment's still takes a millisecond or two.
    return re.compile(pattern, re.DOTALL)


Checks = tuple[tuple[str, frozenset[str]], ...]  # (group name, codes its value must be one of)


def checked(pattern: re.Pattern[str], checks: Checks) -> Callable[[str], object]:
    """``pattern.fullmatch``, then each captured code looked up in its list: the match or None."""
    fullmatch = pattern.fullmatch
    if not checks:
        return fullmatch
    if len(checks) == 1:
        index, codes = pattern.groupindex[checks[0][0]], checks[0][1]

        def one(text: str) -> object:
            m = fullmatch(text)
            if m is None:
                return None
            v = m.group(index)
            return m if v is None or v in codes else None

        return one
    indexes = tuple(pattern.groupindex[name] for name, _ in checks)
    lists = tuple(codes for _, codes in checks)

    def many(text: str) -> object:
        m = fullmatch(text)
        if m is None:
            return None
        for v, codes in zip(m.group(*indexes), lists):
            if v is not None and v not in codes:
                return None
        return m

    return many


class PatternBuilder:
    """Builds the fast-path regex for segment definitions; see module docstring.

    ``short_list``: code lists up to this many codes are written into the pattern,
    longer ones are captured and looked up after the match (see module docstring).
    ``warm``: uses of a pattern with lookups before it is replaced (see ``SegmentPatterns``);
    None keeps it for good.
    """

    def __init__(self, d: Delimiters, charset: Charset, code_sets: dict[str, frozenset[str]] | None = None,
                 short_list: int = SHORT_LIST, warm: int | None = WARM) -> None:
        self.d = d
        self.charset = charset
        self.code_sets = code_sets or {}
        self.short_list = short_list
        self.warm = warm
        self.es = re.escape(d.element)
        self.cs = re.escape(d.component)
        self.rs = re.escape(d.repetition) if d.repetition else None
        self.cls = charset.char_class(d)
        self.cls_nospace = charset.char_class(d, " ")
        delim = d.element + d.component + d.segment + (d.repetition or "")
        self.delim_chars = set(delim)
        self.not_delim = "".join(_esc_class(c) for c in delim)
        self._coded: dict[int, str] = {}  # id(element) -> its code alternation
        self._codes: dict[int, frozenset[str] | None] = {}  # id(element) -> codes_for(element)
        self._checks: list[tuple[str, frozenset[str]]] | None = None  # captures of the segment being built

    # value patterns ----------------------------------------------------------

    def codes(self, e: ElementDef) -> frozenset[str] | None:
        try:
            return self._codes[id(e)]
        except KeyError:
            codes = self._codes[id(e)] = codes_for(e, self.code_sets)
            return codes

    def value(self, e: ElementDef, capture: bool = False) -> str:
        """Pattern for one non-empty value that ``check_value`` accepts.

        ``capture``: the pattern occurs once in the segment's (no repetition), so a long
        code list may be captured and looked up after the match instead of compiled.
        """
        if e.usage == "N":
            return "(?!)"
        codes = self.codes(e)
        if codes is None:
            return self._typed(e)
        if capture and self._checks is not None and len(codes) > self.short_list:
            name = f"c{len(self._checks)}"
            self._checks.append((name, codes))
            return f"(?P<{name}>{self._typed(e)})"
        done = self._coded.get(id(e))
        if done is None:
            # Shared across builders and validators.
            key = (codes, e.data_ele, e.regex, self.charset, self.d)
            done = _CODED.get(key)
            if done is None:
                ok = sorted(c for c in codes if c and not (set(c) & self.delim_chars) and not check_value(e, c, self.charset, codes))
                done = _CODED[key] = _alt(ok)
            self._coded[id(e)] = done
        return done

    def _typed(self, e: ElementDef) -> str:
        """Pattern for a value of ``e``'s type and length, whatever its code list."""
        t, lo, hi = e.data_ele.type, e.data_ele.min_len, e.data_ele.max_len
        if e.regex:
            return "(?!)"  # element regexes are checked by the reference path only
        if lo > hi or hi < 1:
            return "(?!)"
        lo = max(lo, 1)
        if t in ("AN", "ID"):
            c, n = self.cls, self.cls_nospace
            if lo == hi:
                # Fixed length: a trailing space always leaves the value shorter than min, which is allowed.
                return f"[{c}]{{{lo}}}"
            # Common case first: allowed characters, right length, no trailing space.
            # (A longer value leaves data characters behind, which the separator that must follow rejects.)
            plain = f"[{c}]{{{lo},{hi}}}+(?<! )"
            # Trailing spaces are allowed only while the value without them is shorter than min.
            if lo >= 2:
                spaces = f"(?=[{c}]{{{lo},{hi}}}+(?![{c}]))(?:[{c}]{{0,{lo - 2}}}[{n}])? +(?![{c}])"
            else:
                spaces = f" {{1,{hi}}}+(?![{c}])"
            return f"(?:{plain}|{spaces})"
        if t == "R":
            # Digits only, or one decimal point with digits after it (it does not count in the length).
            return (f"-?(?:[0-9]{{{lo},{hi}}}+(?![0-9.])"
                    f"|(?=[0-9.]{{{lo + 1},{hi + 1}}}+(?![0-9.]))[0-9]*+\\.[0-9]++)")
        if t[:1] == "N":
            return f"-?[0-9]{{{lo},{hi}}}+(?![0-9])"
        if t == "DT":
            alts = [_DATE_BY_LEN[n] for n in (6, 8, 12) if lo <= n <= hi]
            return "(?:" + "|".join(alts) + ")" if alts else "(?!)"
        if t == "TM":
            alts = [_TIME_BY_LEN[n] for n in (4, 6, 7, 8) if lo <= n <= hi]
            return "(?:" + "|".join(alts) + ")" if alts else "(?!)"
        # B and unknown types: any characters of the right length
        return f"[^{self.not_delim}]{{{lo},{hi}}}"

    def _repeated(self, one: str, optional_each: bool, e: ElementDef | CompositeDef) -> str:
        if not self.rs or e.repeat <= 1:
            return one
        more = f"(?:{self.rs}{'(?:' + one + ')?' if optional_each else one}){{0,{e.repeat - 1}}}"
        return f"(?:{one}){more}" if not optional_each else f"(?:{one})?{more}"

    def simple(self, e: ElementDef) -> str:
        """Pattern for an element slot (may be empty when the element is optional)."""
        if e.usage == "N":
            return ""
        v = self.value(e)
        if e.usage == "R":
            return self._repeated(v, False, e)
        if self.rs and e.repeat > 1:
            return self._repeated(v, True, e)
        return f"(?:{v})?"

    def composite(self, c: CompositeDef) -> str:
        cs = self.cs
        # Only separators: the composite counts as absent (as in the reference checker).
        empty = f"[{cs}{self.rs or ''}]*"
        if c.usage == "N":
            return empty
        comps = c.components
        n = len(comps)
        once = not (self.rs and c.repeat > 1)
        slots = [self.value(s, once) if s.usage == "R" else (f"(?:{self.value(s, once)})?" if s.usage == "S" else "") for s in comps]
        inner = ""
        for j in range(n - 1, 0, -1):
            optional_tail = all(s.usage != "R" for s in comps[j:])
            part = f"{cs}{slots[j]}{inner}"
            inner = f"(?:{part})?" if optional_tail else part
        # Trailing empty components are tolerated, as by the reference checker.
        body = f"{slots[0]}{inner}{cs}*" if n else ""
        look = "".join(self._component_rule(rule) for rule in c.syntax)
        present = f"(?=[{cs}]*[^{self.not_delim}])"
        one = f"{present}{look}{body}"
        if c.usage == "R":
            return self._repeated(one, False, c)
        # Optional: absent, only separators, or present and valid.
        if self.rs and c.repeat > 1:
            one_or_empty = f"(?:{one}|{cs}*)"
            return f"(?:{one_or_empty}(?:{self.rs}{one_or_empty}){{0,{c.repeat - 1}}}|{empty})"
        return f"(?:{one}|{empty})"

    def _component_rule(self, rule: SyntaxRule) -> str:
        """Lookaheads, at the start of a composite, enforcing one rule between its components
        (composites can repeat, so presence flags would outlive their repetition)."""

        def present(p: int) -> str:
            skip = f"(?:[^{self.not_delim}]*+{self.cs}){{{p - 1}}}" if p > 1 else ""
            return f"{skip}[^{self.not_delim}]"

        ps = rule.positions
        P = {p: present(p) for p in ps}
        parts: list[str] = []
        if rule.kind == "P":
            for a in ps:
                for b in ps:
                    if a != b:
                        parts.append(f"(?!(?={P[a]})(?!{P[b]}))")
        elif rule.kind == "R":
            parts.append("(?=" + "|".join(f"(?:{P[p]})" for p in ps) + ")")
        elif rule.kind == "E":
            for i, a in enumerate(ps):
                for b in ps[i + 1 :]:
                    parts.append(f"(?!(?={P[a]})(?={P[b]}))")
        elif rule.kind == "C":
            for b in ps[1:]:
                parts.append(f"(?!(?={P[ps[0]]})(?!{P[b]}))")
        elif rule.kind == "L":
            others = "|".join(f"(?:{P[b]})" for b in ps[1:])
            parts.append(f"(?!(?={P[ps[0]]})(?!{others}))")
        return "".join(parts)

    def segment(self, seg: SegmentDef, count: int) -> str:
        """The pattern ``matcher`` uses for ``seg`` written with ``count`` separators."""
        return self.pattern(seg, count)[0]

    def pattern(self, seg: SegmentDef, count: int, lookups: bool = True) -> tuple[str, Checks]:
        """The pattern and the code-list lookups of its captured values (see ``checked``).
        ``lookups=False``: every code list is compiled into the pattern, nothing is looked up."""
        self._checks = [] if lookups else None
        try:
            text = self._segment(seg, count)
            return text, tuple(self._checks or ())
        finally:
            self._checks = None

    def _segment(self, seg: SegmentDef, count: int) -> str:
        """Pattern for ``fullmatch`` on one segment's text (terminator removed)
        that holds ``count`` element separators, i.e. ``count`` written elements.

        Knowing the count first (one ``str.count``) makes the pattern flat:
        exactly ``count`` slots, no nested optional tails, the elements beyond
        it known to be absent. That is several times cheaper for the regex
        engine than one pattern for every length.

        Relational conditions: each element a rule names sets an empty named
        group when present (only a flat pattern can do this, as nothing repeats
        there), and the rules are conditionals on those groups at the end.
        Rules whose elements all lie beyond ``count`` hold (or, for R, fail)
        without looking.
        """
        if any(isinstance(e, ElementDef) and e.regex for e in seg.elements) or any(
            isinstance(e, CompositeDef) and any(s.regex for s in e.components) for e in seg.elements
        ):
            return "(?!)"
        n = len(seg.elements)
        if count > n or any(e.usage == "R" for e in seg.elements[count:]):
            return "(?!)"
        rules = []
        for rule in seg.syntax:
            if not any(p <= count for p in rule.positions):
                if rule.kind == "R":
                    return "(?!)"
                continue
            rules.append(rule)
        pairs, rules = self._pair_rules(seg, rules, count)
        flagged: set[int] = {p for rule in rules for p in rule.positions if p <= count}
        es = self.es
        slots = []
        i = 0
        while i < count:
            i += 1
            e = seg.elements[i - 1]
            if i in pairs:
                kind, b = pairs[i]
                slots.append(es + self._pair_slot(kind, e, seg.elements[b - 1]))
                i = b
                continue
            flag = i in flagged
            if isinstance(e, CompositeDef) or (self.rs and e.repeat > 1):
                body = self.composite(e) if isinstance(e, CompositeDef) else self.simple(e)
                if flag:
                    body = f"(?>(?:(?=[{self.cs}{self.rs or ''}]*[^{self.not_delim}])(?P<g{i}>))?){body}"
            elif e.usage == "N":
                body = ""  # must be empty, so never present
                flagged.discard(i)
            elif e.usage == "R":
                body = (f"(?P<g{i}>)" if flag else "") + self.value(e, True)
            else:
                body = f"(?:{'(?P<g%d>)' % i if flag else ''}{self.value(e, True)})?"
            slots.append(es + body)
        conditions = "".join(_rule_conditional(rule, flagged) for rule in rules)
        return f"{re.escape(seg.id)}{''.join(slots)}(?<!{es}){conditions}"

    def _pair_rules(self, seg: SegmentDef, rules: list[SyntaxRule], count: int) -> tuple[dict[int, tuple[str, int]], list[SyntaxRule]]:
        """Rules between two neighbouring optional simple elements, both written, each in no
        other rule: these become one joint slot of alternatives (no flags, no conditionals).

        Returns {first position: (rule kind as seen from it, second position)} and the rules left.
        """
        uses: dict[int, int] = {}
        for rule in rules:
            for p in rule.positions:
                uses[p] = uses.get(p, 0) + 1
        pairs: dict[int, tuple[str, int]] = {}
        rest: list[SyntaxRule] = []
        for rule in rules:
            ps = rule.positions
            a, b = (min(ps), max(ps)) if len(ps) == 2 else (0, 0)
            ok = (
                len(ps) == 2 and b == a + 1 and b <= count and uses[a] == 1 and uses[b] == 1
                and all(isinstance(x, ElementDef) and x.usage == "S" and not (self.rs and x.repeat > 1)
                        for x in (seg.elements[a - 1], seg.elements[b - 1]))
            )
            if not ok:
                rest.append(rule)
                continue
            kind = rule.kind
            if kind in "CL":
                kind = "C>" if ps[0] == a else "C<"  # C>: first present -> second; C<: second present -> first
            pairs[a] = (kind, b)
        return pairs, rest

    def _pair_slot(self, kind: str, a: ElementDef, b: ElementDef) -> str:
        """Elements a and a+1 (and the separator between them) under one rule.
        (An element written twice gets a group in each place: only one can take part in a match.)"""
        es = self.es
        va, vb = (lambda: self.value(a, True)), (lambda: self.value(b, True))
        if kind == "P":
            return f"(?:{va()}{es}{vb()}|{es})"
        if kind == "C>":
            return f"(?:{va()}{es}{vb()}|{es}(?:{vb()})?)"
        if kind == "C<":
            return f"(?:{va()}{es}(?:{vb()})?|{es})"
        if kind == "E":
            return f"(?:{va()}{es}|{es}(?:{vb()})?)"
        return f"(?:{va()}{es}(?:{vb()})?|{es}{vb()})"  # R

    def compile(self, seg: SegmentDef, count: int, lookups: bool = True) -> Callable[[str], object]:
        """``text -> match or None`` for ``seg`` written with ``count`` separators."""
        text, checks = self.pattern(seg, count, lookups)
        return checked(_compile(text), checks)

    def matcher(self, seg: SegmentDef) -> Callable[[str], object]:
        """``text -> match or None``: None exactly when ``SegmentChecker.check`` finds a problem."""
        table = SegmentPatterns(self, seg)

        def match(text: str) -> object:
            return table.get(text.count(self.d.element))(text)

        return match


class SegmentPatterns:
    """Per-element-count matchers of one segment, made on first use.

    A matcher with code-list lookups is quick to compile, which is what a short run needs,
    but each lookup costs a Python call after the match. After ``warm`` uses in this process
    (a big file, or many files), it gives way to the pattern with every code list compiled in:
    slower to compile, faster per segment. Both accept exactly what ``SegmentChecker`` accepts.
    """

    __slots__ = ("builder", "patterns", "seg")

    def __init__(self, builder: PatternBuilder, seg: SegmentDef) -> None:
        self.builder = builder
        self.seg = seg
        # One slot per element count up to 63 (more separators than that is never valid X12 for
        # our specs; the last slot answers "too many elements" for anything longer).
        self.patterns: list = [None] * max(64, len(seg.elements) + 2)

    def get(self, count: int) -> Callable[[str], object]:
        if count >= len(self.patterns):
            count = len(self.patterns) - 1
        m = self.patterns[count]
        if m is None:
            m = self.patterns[count] = self._first(count)
        return m

    def _first(self, count: int) -> Callable[[str], object]:
        builder, seg = self.builder, self.seg
        text, checks = builder.pattern(seg, count)
        if not checks or builder.warm is None:
            return checked(_compile(text), checks)
        key = (text, checks)
        if key in _WARMED:
            return builder.compile(seg, count, lookups=False)
        quick = checked(_compile(text), checks)
        left = builder.warm

        def warming(text: str) -> object:
            nonlocal left
            left -= 1
            if left == 0:
                _WARMED.add(key)
                self.patterns[count] = builder.compile(seg, count, lookups=False)
            return quick(text)

        return warming


_FAIL = "(?!)"


def _rule_conditional(rule: SyntaxRule, flagged: set[int]) -> str:
    """One relational condition as conditionals on presence groups ``g<n>``;
    an element without a group (beyond the written ones, or not used) is absent."""

    def when(p: int, yes: str, no: str) -> str:
        return f"(?(g{p}){yes}|{no})" if p in flagged else no

    ps = list(rule.positions)
    if rule.kind == "P":  # all or none
        return when(ps[0], "".join(when(p, "", _FAIL) for p in ps[1:]), "".join(when(p, _FAIL, "") for p in ps[1:]))
    if rule.kind == "R":  # at least one
        out = _FAIL
        for p in reversed(ps):
            out = when(p, "", out)
        return out
    if rule.kind == "E":  # at most one
        return "".join(when(a, when(b, _FAIL, ""), "") for i, a in enumerate(ps) for b in ps[i + 1 :])
    if rule.kind == "C":  # first present -> all others
        return when(ps[0], "".join(when(p, "", _FAIL) for p in ps[1:]), "")
    if rule.kind == "L":  # first present -> at least one other
        some = _FAIL
        for p in reversed(ps[1:]):
            some = when(p, "", some)
        return when(ps[0], some, "")
    raise ValueError(f"unknown syntax rule {rule}")


def _date_patterns() -> dict[int, str]:
    md31 = "(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])"
    md30 = "(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
    feb = "02(?:0[1-9]|1[0-9]|2[0-8])"
    md = f"(?:{md31}|{md30}|{feb})"
    yy_leap = "(?:[02468][048]|[13579][26])"
    ccyy = "(?:1[89]|[2-9][0-9])[0-9]{2}"
    ccyy_leap = "(?:(?:1[89]|[2-9][0-9])(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
    d8 = f"(?:{ccyy}{md}|{ccyy_leap}0229)"
    d6 = f"(?:[0-9]{{2}}{md}|{yy_leap}0229)"
    return {6: d6, 8: d8, 12: f"{d8}{_TIME_BY_LEN[4]}"}


_TIME_BY_LEN = {
    4: "(?:[01][0-9]|2[0-3])[0-5][0-9]",
    6: "(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]",
    7: "(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9][0-9]",
    8: "(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9][0-9]{2}",
}
_DATE_BY_LEN = _date_patterns()
