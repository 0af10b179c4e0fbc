"""Delimiters of one interchange, read from its ISA segment.

The ISA is fixed width: the element separator is its 4th character, ISA16 the
component separator and the character after ISA16 the segment terminator. For
ISA12 00402 and later, ISA11 is the repetition separator. Line endings written
after each terminator (CR, LF, CRLF) are recorded as ``suffix``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Offsets of the 16 element separators in a fixed-width ISA.
ISA_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
ISA_LENGTH = 106  # through the segment terminator
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
LINE_ENDINGS = ("\r\n", "\n", "\r")


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str | None = None
    suffix: str = ""

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.segment] + ([self.repetition] if self.repetition else [])
        if any(len(c) != 1 for c in chars):
            raise ValueError("each delimiter must be exactly one character")
        if len(set(chars)) != len(chars):
            raise ValueError(f"delimiters must differ from each other: {chars!r}")

    @property
    def terminator(self) -> str:
        return self.segment + self.suffix


def bad_delimiter(ch: str) -> bool:
    """Characters that cannot delimit: letters, digits and space (they occur in data)."""
    return ch.isalnum() or ch == " " or ch == ""


@dataclass(slots=True)
class IsaScan:
    """What reading the delimiters out of an ISA found."""

    delimiters: Delimiters | None
    length: int  # characters of the ISA segment including its terminator (0 if unknown)
    elements: list[str]  # ISA01..ISA16 as found
    problems: list[tuple[str, str]]  # (finding code, message)


def scan_isa(text: str) -> IsaScan:
    """Find the delimiters of the ISA at the start of ``text``.

    ``text`` must start with ``ISA`` and hold at least the whole ISA segment and
    a few characters after it (for the line ending). Never raises.
    """
    problems: list[tuple[str, str]] = []
    if len(text) < 4:
        return IsaScan(None, 0, [], [("isa.truncated", "the file ends inside the ISA segment")])
    es = text[3]
    if bad_delimiter(es) or es in "\r\n":
        return IsaScan(None, 0, [], [("isa.element_separator_invalid", f"invalid element separator {es!r} in ISA")])
    fixed = len(text) >= ISA_LENGTH and all(text[i] == es for i in ISA_SEPARATOR_OFFSETS)
    if fixed:
        elements = [text[ISA_SEPARATOR_OFFSETS[i] + 1 : (ISA_SEPARATOR_OFFSETS[i + 1] if i < 15 else 105)] for i in range(16)]
        elements[15] = text[104]
        term_at = 105
    else:
        # Not fixed width: count 16 separators; ISA16 is one character, the terminator follows.
        pos, elements = 3, []
        for _ in range(15):
            nxt = text.find(es, pos + 1, pos + 200)
            if nxt < 0:
                return IsaScan(None, 0, [], [("isa.truncated", "ISA segment has fewer than 16 elements")])
            elements.append(text[pos + 1 : nxt])
            pos = nxt
        if len(text) < pos + 3:
            return IsaScan(None, 0, [], [("isa.truncated", "the file ends inside the ISA segment")])
        elements.append(text[pos + 1])
        term_at = pos + 2
        for i, (value, width) in enumerate(zip(elements, ISA_WIDTHS, strict=True)):
            if len(value) != width:
                problems.append((f"isa.{i + 1:02d}", f"ISA{i + 1:02d} must be {width} characters wide, found {len(value)} ({value!r})"))
    cs = elements[15]
    term = text[term_at] if term_at < len(text) else ""
    if bad_delimiter(cs) or cs in (es,):
        problems.append(("isa.component_separator_invalid", f"invalid component separator {cs!r} in ISA16"))
    if bad_delimiter(term) and term not in ("\r", "\n"):
        problems.append(("isa.segment_terminator_invalid", f"invalid segment terminator {term!r} after ISA16"))
        return IsaScan(None, 0, elements, problems)
    if term in (es, cs):
        problems.append(("isa.segment_terminator_invalid", f"segment terminator {term!r} equals another delimiter"))
        return IsaScan(None, 0, elements, problems)
    version = elements[11]
    rep = None
    if version >= "00402" and version[:1] == "0":
        candidate = elements[10]
        if len(candidate) == 1 and not bad_delimiter(candidate) and candidate not in (es, cs, term):
            rep = candidate
        else:
            problems.append(("isa.repetition_separator_invalid", f"ISA11 {candidate!r} is not a usable repetition separator for version {version}"))
    suffix = ""
    after = text[term_at + 1 : term_at + 3]
    for ending in LINE_ENDINGS:
        if after.startswith(ending) and term not in ending:
            suffix = ending
            break
    if term == "\r" and after.startswith("\n"):
        suffix = "\n"
    if bad_delimiter(cs) or cs in (es, term):
        cs = _spare(es, term, rep)
    try:
        delims = Delimiters(es, cs, term, rep, suffix)
    except ValueError as exc:  # e.g. two delimiters the same character
        problems.append(("isa.element_separator_invalid", f"unusable delimiters: {exc}"))
        return IsaScan(None, 0, elements, problems)
    return IsaScan(delims, term_at + 1, elements, problems)


def _spare(*used: str | None) -> str:
    # A stand-in component separator so a broken ISA16 does not stop the parse.
    for ch in "\x1f:>^|\\":
        if ch not in used:
            return ch
    return "\x1e"
