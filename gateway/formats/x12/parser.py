"""Parse X12 into segments (streaming) or into an envelope tree (in memory).

``iter_segments`` yields every segment of every interchange with its byte
offset, in constant memory. ``parse`` builds Interchange → Group →
Transaction → segments for inputs that fit in memory, and keeps what lies
between segments (terminators, line ends, padding, a byte-order mark, data
outside interchanges) so that ``serialize`` gives the original bytes back.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from .delimiters import Delimiters
from .lexer import WHITESPACE, Lexer, Source, lex, read_all


class Segment:
    """One segment: ``tag``, ``elements`` (element 01 is ``elements[0]``), where it was.

    ``number`` is the segment's ordinal in the input (it only grows). ``tail`` is what ``parse``
    found after the segment's text: its terminator and any white space or line end that followed
    (``""`` for a last segment without terminator). It is ``None`` on segments from
    ``iter_segments`` or built by hand: ``serialize`` then writes the interchange's terminator.
    """

    __slots__ = ("delimiters", "elements", "number", "offset", "tag", "tail")

    def __init__(self, tag: str, elements: list[str], offset: int, number: int, delimiters: Delimiters) -> None:
        self.tag = tag
        self.elements = elements
        self.offset = offset
        self.number = number
        self.delimiters = delimiters
        # ``tail`` is not stored here: iter_segments builds millions of segments and only parse needs it.

    def __getattr__(self, name: str) -> None:
        # Called only when the slot was never set.
        if name == "tail":
            return None
        raise AttributeError(f"'Segment' object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"Segment({self.text!r} @ {self.offset})"

    def __eq__(self, other: object) -> bool:
        # Content only: the same segment is equal whatever line end followed it.
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
    return _segments(lex(source))


def _segments(events: Iterator[tuple]) -> Iterator[Segment]:
    number = 0
    d: Delimiters | None = None
    for event in events:
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
    """A functional group; ``header`` is None for sets that stand in the interchange without a GS."""

    header: Segment | None
    transactions: list[Transaction] = field(default_factory=list)
    trailer: Segment | None = None
    other: list[Segment] = field(default_factory=list)  # segments outside a set, e.g. between SE and ST

    def segments(self) -> Iterator[Segment]:
        if self.header is not None:
            yield self.header
        for item in _in_order(self.other, self.transactions):
            if isinstance(item, Segment):
                yield item
            else:
                yield from item.segments
        if self.trailer is not None:
            yield self.trailer


@dataclass(slots=True)
class Interchange:
    """One ISA..IEA. ``before`` and ``after`` hold input that is no segment of any interchange:
    a byte-order mark, padding or data before the first ISA; data after this interchange's last
    terminator and white space, up to the next ISA or the end of the input."""

    header: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    other: list[Segment] = field(default_factory=list)  # outside groups, e.g. TA1 before the first GS
    trailer: Segment | None = None
    before: str = ""
    after: str = ""

    def segments(self) -> Iterator[Segment]:
        """Every segment in input order (segments outside groups and sets where they stood)."""
        yield self.header
        for item in _in_order(self.other, self.groups):
            if isinstance(item, Segment):
                yield item
            else:
                yield from item.segments()
        if self.trailer is not None:
            yield self.trailer


def _in_order(loose: list[Segment], blocks: list) -> list:
    """Blocks (groups, sets) and the segments outside them, merged by input position."""
    if not loose:
        return blocks
    return sorted([*loose, *blocks], key=_first_number)


def _first_number(item: Segment | Group | Transaction) -> int:
    if isinstance(item, Segment):
        return item.number
    if isinstance(item, Transaction):
        return item.header.number
    first = item.header or (item.transactions[0].header if item.transactions else item.trailer)
    return first.number if first is not None else 0


def parse(source: Source) -> list[Interchange]:
    """The envelope tree of ``source`` (in memory). Structure only: use ``Validator`` to check it."""
    raw, name = read_all(source)
    out: list[Interchange] = []
    kept: list[Segment] = []  # every segment placed in the tree, in input order
    ends: list[int] = []  # indexes in ``kept`` of each interchange's last segment
    ix: Interchange | None = None
    group: Group | None = None
    tx: Transaction | None = None
    for seg in _segments(Lexer(io.BytesIO(raw), name).events()):
        tag = seg.tag
        if tag == "ISA":
            if out:
                ends.append(len(kept) - 1)
            ix = Interchange(seg, seg.delimiters)
            out.append(ix)
            group = tx = None
        elif ix is None:
            continue  # the lexer yields none; were it to, its bytes would stay in the previous tail
        elif tag == "GS":
            group = Group(seg)
            ix.groups.append(group)
            tx = None
        elif tag == "ST":
            if group is None:
                group = Group(None)  # no GS: keep the set anyway
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
        elif group is not None:
            group.other.append(seg)
        else:
            ix.other.append(seg)
        kept.append(seg)
    if out:
        ends.append(len(kept) - 1)
        _keep_between(raw.decode("latin-1"), kept, out, ends)
    return out


def _keep_between(text: str, kept: list[Segment], interchanges: list[Interchange], ends: list[int]) -> None:
    """Give each segment its tail and each interchange what stands before and after it in ``text``."""
    interchanges[0].before = text[: kept[0].offset]
    last = iter(zip(ends, interchanges))
    end, ix = next(last)
    for i, seg in enumerate(kept):
        start = seg.offset + len(seg.text)
        stop = kept[i + 1].offset if i + 1 < len(kept) else len(text)
        if i < end:
            seg.tail = text[start:stop]
            continue
        # The interchange's last segment: its terminator and white space; the rest is outside.
        term = seg.delimiters.segment
        k = start + len(term) if text.startswith(term, start) else start
        while k < stop and text[k] in WHITESPACE:
            k += 1
        seg.tail, ix.after = text[start:k], text[k:stop]
        end, ix = next(last, (len(kept), None))


def serialize(interchanges: list[Interchange]) -> bytes:
    """Interchanges back to bytes: what ``parse`` read, byte for byte, as long as the tree is unchanged.

    A segment without ``tail`` (built by hand) gets its interchange's terminator and line end.
    """
    parts: list[str] = []
    for ix in interchanges:
        term = ix.delimiters.terminator
        parts.append(ix.before)
        for seg in ix.segments():
            parts.append(seg.text)
            parts.append(term if seg.tail is None else seg.tail)
        parts.append(ix.after)
    return "".join(parts).encode("latin-1")
