"""Outbound X12: serialise segments and wrap them in ISA/GS/ST envelopes.

``EnvelopeWriter`` keeps the counts (SE01, GE01, IEA01) and control numbers
(ST02=SE02, GS06=GE02, ISA13=IEA02) consistent and writes a fixed-width ISA.
Control numbers are supplied by the caller, who owns their sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Union

from ...errors import GatewayError
from .delimiters import Delimiters

Value = Union[str, int, None, Sequence[str]]


class WriterError(GatewayError, ValueError):
    """The caller asked for something that cannot be written as X12."""

    code = "x12.unwritable"


def serialize_segment(tag: str, elements: Iterable[Value], d: Delimiters) -> str:
    """One segment (without terminator); trailing empty elements/components are dropped."""
    out = [tag]
    for value in elements:
        if value is None:
            out.append("")
        elif isinstance(value, (list, tuple)):
            comps = [("" if c is None else str(c)) for c in value]
            while comps and comps[-1] == "":
                comps.pop()
            for c in comps:
                _check(c, d, tag)
            out.append(d.component.join(comps))
        else:
            text = str(value)
            _check(text, d, tag)
            out.append(text)
    while len(out) > 1 and out[-1] == "":
        out.pop()
    return d.element.join(out)


def _check(text: str, d: Delimiters, tag: str) -> None:
    if text.isalnum():
        return  # the usual case; delimiters are never letters or digits
    for ch in (d.element, d.component, d.segment) + ((d.repetition,) if d.repetition else ()):
        if ch in text:
            raise WriterError(f"{tag}: value {text!r} contains the delimiter {ch!r}")


def clean(text: str, d: Delimiters, limit: int | None = None) -> str:
    """Free text made safe to embed (delimiters and control characters become spaces)."""
    bad = {d.element, d.component, d.segment} | ({d.repetition} if d.repetition else set())
    out = "".join(" " if (ch in bad or ord(ch) < 0x20 or ord(ch) == 0x7F) else ch for ch in text)
    return out[:limit] if limit else out


def serialize(segments: Iterable[Sequence[str]], d: Delimiters) -> str:
    """Segments given as element lists (tag first) back to text, with the delimiters' line ending."""
    term = d.segment + d.suffix
    return "".join(d.element.join(parts) + term for parts in segments)


class EnvelopeWriter:
    def __init__(self, d: Delimiters | None = None, *, now: datetime | None = None) -> None:
        self.d = d or Delimiters("*", ":", "~", None, "\n")
        self.now = now or datetime.now(UTC)
        self.parts: list[str] = []
        self._isa: list[str] | None = None
        self._groups = 0
        self._gs: str | None = None
        self._sets = 0
        self._st: str | None = None
        self._segments = 0

    def _emit(self, tag: str, *elements: Value) -> None:
        self.parts.append(serialize_segment(tag, elements, self.d) + self.d.segment + self.d.suffix)

    def interchange(self, sender: tuple[str, str], receiver: tuple[str, str], control_number: int, *, version: str = "00401",
                    usage: str = "P", ack_requested: bool = False) -> EnvelopeWriter:
        if self._isa is not None:
            raise WriterError("an interchange is already open")
        if not 0 < control_number < 10**9:
            raise WriterError(f"interchange control number {control_number} out of range 1..999999999")
        for ident in (sender[1], receiver[1]):
            if len(ident) > 15:
                raise WriterError(f"interchange ID {ident!r} is longer than 15 characters")
        d = self.d
        for value in (*sender, *receiver):  # the ISA is written by hand below: a delimiter in an ID would corrupt it
            _check(value, d, "ISA")
        rep = d.repetition if version >= "00402" else "U"
        if rep is None:
            raise WriterError(f"version {version} needs a repetition separator")
        fields = [
            "00", " " * 10, "00", " " * 10,
            sender[0].ljust(2)[:2], sender[1].ljust(15), receiver[0].ljust(2)[:2], receiver[1].ljust(15),
            self.now.strftime("%y%m%d"), self.now.strftime("%H%M"), rep, version, f"{control_number:09d}",
            "1" if ack_requested else "0", usage, d.component,
        ]
        self.parts.append("ISA" + d.element + d.element.join(fields) + d.segment + d.suffix)
        self._isa = fields
        self._groups = 0
        return self

    def segment(self, tag: str, *elements: Value) -> None:
        """A segment inside the open transaction set (or a TA1 between ISA and GS)."""
        if self._st is None and tag != "TA1":
            raise WriterError(f"{tag} outside a transaction set")
        self._emit(tag, *elements)
        if self._st is not None:
            self._segments += 1

    def plain(self, tag: str, *values: str) -> None:
        """A segment of already-clean values (letters, digits, inner spaces), without checks."""
        if self._st is None:
            raise WriterError(f"{tag} outside a transaction set")
        d = self.d
        self.parts.append(d.element.join((tag, *values)) + d.segment + d.suffix)
        self._segments += 1

    def group(self, functional_id: str, sender: str, receiver: str, control_number: int, version: str) -> None:
        if self._isa is None or self._gs is not None:
            raise WriterError("GS needs an open interchange and no open group")
        if not 0 < control_number < 10**9:
            raise WriterError(f"group control number {control_number} out of range")
        self._emit("GS", functional_id, sender, receiver, self.now.strftime("%Y%m%d"), self.now.strftime("%H%M"), str(control_number), "X", version)
        self._gs = str(control_number)
        self._sets = 0
        self._groups += 1

    def transaction(self, set_id: str, control_number: int | str, convention: str | None = None) -> None:
        if self._gs is None or self._st is not None:
            raise WriterError("ST needs an open group and no open transaction set")
        ctrl = f"{int(control_number):04d}" if str(control_number).isascii() and str(control_number).isdigit() else str(control_number)
        self._emit("ST", set_id, ctrl, convention)
        self._st = ctrl
        self._segments = 1
        self._sets += 1

    def end_transaction(self) -> None:
        if self._st is None:
            raise WriterError("no open transaction set")
        self._segments += 1
        self._emit("SE", str(self._segments), self._st)
        self._st = None

    def end_group(self) -> None:
        if self._gs is None or self._st is not None:
            raise WriterError("no open group, or a transaction set is still open")
        self._emit("GE", str(self._sets), self._gs)
        self._gs = None

    def end_interchange(self) -> None:
        if self._isa is None or self._gs is not None:
            raise WriterError("no open interchange, or a group is still open")
        self._emit("IEA", str(self._groups), self._isa[12])
        self._isa = None

    def text(self) -> str:
        if self._isa is not None:
            raise WriterError("the interchange is still open")
        return "".join(self.parts)
