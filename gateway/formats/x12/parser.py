"""Parse X12 into segments (streaming) or into an envelope tree (in memory).

``iter_segments`` yields every segment of every interchange with its byte
offset, in constant memory. ``parse`` builds Interchange → Group →
Transaction → segments for inputs that fit in memory; ``Segment.text`` and
``serialize`` give the original bytes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .delimiters import Delimiters
from .lexer import WHITESPACE, Source, lex


class Segment:
    """One segment: ``tag``, ``elements`` (element 01 is ``elements[0]``), where it was."""

    __slots__ = ("delimiters", "elements", "number", "offset", "tag")

    def __init__(self, tag: str, elements: list[str], offset: int, number: int, delimiters: Delimiters) -> None:
        self.tag = tag
        self.elements = elements
        self.offset = offset
        self.number = number
        self.delimiters = delimiters

    def __repr__(self) -> str:
        return f"Segment({self.text!r} @ {self.offset})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Segment) and self.tag == other.tag and self.elements == other.elements

    def __hash__(self) -> int:
        return hash((self.tag, tuple(self.elements)))

    def get(self, n: int, default: str = "") -> str:
        """Element ``n`` (1-based) or ``default`` when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else default

    def components(self, n: int) -> list[str]:
        return self.get(n).split(self.delimiters.component)

    def repetitions(self, n: int) -> list[str]:
        rep = self.delimiters.repetition
        value = self.get(n)
        return value.split(rep) if rep else [value]

    @property
    def text(self) -> str:
        return self.delimiters.element.join([self.tag, *self.elements])

    def values(self) -> list[str]:
        """Elements decoded as UTF-8 where they hold non-ASCII bytes (the lexer reads Latin-1)."""
        return [_text(v) for v in self.elements]


def _text(value: str) -> str:
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return value


def iter_segments(source: Source) -> Iterator[Segment]:
    """Every segment of ``source`` in order, ISA and IEA included; constant memory."""
    number = 0
    d: Delimiters | None = None
    for event in lex(source):
        kind = event[0]
        if kind == "isa":
            scan = event[2]
            d = scan.delimiters
            number += 1
            if d is not None:
                yield Segment("ISA", list(scan.elements), event[1], number, d)
        elif kind == "segments" and d is not None:
            batch = event[1]
            es = d.element
            for i, piece in enumerate(batch.pieces):
                number += 1
                offset = None
                if piece[:1] in WHITESPACE or not piece:
                    stripped = piece.lstrip(WHITESPACE)
                    if not stripped:
                        continue
                    offset = batch.offset(i) + len(piece) - len(stripped)
                    piece = stripped
                parts = piece.split(es)
                yield Segment(parts[0], parts[1:], batch.offset(i) if offset is None else offset, number, d)


@dataclass(slots=True)
class Transaction:
    header: Segment
    segments: list[Segment] = field(default_factory=list)  # ST through SE
    trailer: Segment | None = None

    @property
    def set_id(self) -> str:
        return self.header.get(1)

    @property
    def control_number(self) -> str:
        return self.header.get(2)


@dataclass(slots=True)
class Group:
    header: Segment
    transactions: list[Transaction] = field(default_factory=list)
    trailer: Segment | None = None


@dataclass(slots=True)
class Interchange:
    header: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    other: list[Segment] = field(default_factory=list)  # e.g. TA1 between ISA and GS
    trailer: Segment | None = None

    def segments(self) -> Iterator[Segment]:
        yield self.header
        yield from self.other
        for g in self.groups:
            yield g.header
            for t in g.transactions:
                yield from t.segments
            if g.trailer is not None:
                yield g.trailer
        if self.trailer is not None:
            yield self.trailer


def parse(source: Source) -> list[Interchange]:
    """The envelope tree of ``source`` (in memory). Structure only: use ``Validator`` to check it."""
    out: list[Interchange] = []
    ix: Interchange | None = None
    group: Group | None = None
    tx: Transaction | None = None
    for seg in iter_segments(source):
        tag = seg.tag
        if tag == "ISA":
            ix = Interchange(seg, seg.delimiters)
            out.append(ix)
            group = tx = None
        elif ix is None:
            continue
        elif tag == "GS":
            group = Group(seg)
            ix.groups.append(group)
            tx = None
        elif tag == "ST":
            if group is None:
                group = Group(seg)  # no GS: keep the set anyway
                ix.groups.append(group)
            tx = Transaction(seg, [seg])
            group.transactions.append(tx)
        elif tag == "SE" and tx is not None:
            tx.segments.append(seg)
            tx.trailer = seg
            tx = None
        elif tag == "GE" and group is not None:
            group.trailer = seg
            group = tx = None
        elif tag == "IEA":
            ix.trailer = seg
            ix = group = tx = None
        elif tx is not None:
            tx.segments.append(seg)
        else:
            ix.other.append(seg)
    return out


def serialize(interchanges: list[Interchange]) -> bytes:
    """Interchanges back to bytes with their own delimiters and line endings."""
    parts: list[str] = []
    for ix in interchanges:
        d = ix.delimiters
        term = d.segment + d.suffix
        for seg in ix.segments():
            if seg.tag == "ISA":
                parts.append("ISA" + d.element + d.element.join(seg.elements[:15]) + d.element + seg.elements[15] + term)
            else:
                parts.append(seg.text + term)
    return "".join(parts).encode("latin-1")
