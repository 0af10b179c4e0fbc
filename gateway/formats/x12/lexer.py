"""Streaming X12 lexer: bytes in, interchanges and segment batches out.

Memory stays constant whatever the file size: the input is read in chunks of
``CHUNK`` bytes and split on the segment terminator, one interchange at a time
(each ISA brings its own delimiters). Text is decoded as Latin-1 so that one
character is one byte: offsets are byte offsets and bytes round-trip exactly.

Events (tuples, first item is the kind):

``("isa", offset, scan, raw)``
    an ISA segment at byte ``offset``; ``scan`` is the ``IsaScan``; ``raw`` its text.
``("segments", batch)``
    a ``Batch`` of segment texts that follow (terminators removed).
``("no_iea", offset)``
    the interchange ended (end of file, or a new ISA) without an IEA.
``("junk", offset, sample, length)``
    ``length`` bytes outside any interchange that are not white space; ``sample``: the first of them.
``("overlong", offset, length)``
    no segment terminator in the ``length`` bytes from ``offset`` (more than ``MAX_SEGMENT``): the
    terminator is not what the ISA says. The interchange ends there (``no_iea`` follows); what comes
    after is junk up to the next ISA, so memory stays bounded whatever the file holds.
``("end", offset)``
    end of input.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO, Union

from ...errors import NotX12, UnreadableInput
from .delimiters import Delimiters, scan_isa

CHUNK = 1 << 20
MAX_SEGMENT = 1 << 20  # bytes without a terminator before the interchange is given up (X12 segments are far shorter)
WHITESPACE = " \t\r\n\x00\x1a"  # NUL and SUB pad some mailbox files
BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, as Latin-1

Source = Union[bytes, bytearray, str, os.PathLike, BinaryIO]


@dataclass(slots=True)
class Batch:
    """Consecutive segments of one interchange.

    Segment ``i`` starts at ``offset(i)``. In the fast case every terminator is
    followed by the interchange's line ending, which is removed (``gap`` counts
    terminator plus line ending). Otherwise pieces may still start with white
    space, which the consumer strips (see ``strip``).
    """

    start: int  # byte offset of pieces[0]
    pieces: list[str]
    gap: int
    _acc: list[int] | None = None

    def offset(self, i: int) -> int:
        if i == 0:
            return self.start
        if self._acc is None:
            self._acc = list(accumulate(map(len, self.pieces)))
        return self.start + self._acc[i - 1] + i * self.gap


def open_source(source: Source) -> tuple[BinaryIO, str]:
    """A binary stream and a display name for ``source`` (path, bytes or stream)."""
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source)), "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            return open(path, "rb"), str(path)
        except IsADirectoryError:
            raise UnreadableInput(f"{path}: is a directory") from None
        except FileNotFoundError:
            raise UnreadableInput(f"{path}: no such file") from None
        except PermissionError:
            raise UnreadableInput(f"{path}: permission denied") from None
        except OSError as exc:
            raise UnreadableInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    if hasattr(source, "read"):
        return source, getattr(source, "name", "<stream>")
    raise TypeError(f"cannot read X12 from {type(source).__name__}")


def read_all(source: Source) -> tuple[bytes, str]:
    """All bytes of ``source`` and its display name (for inputs that are parsed in memory)."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "<bytes>"
    stream, name = open_source(source)
    try:
        return stream.read(), name
    except OSError as exc:
        raise UnreadableInput(f"{name}: read failed ({exc.strerror or exc})") from None
    finally:
        if stream is not source:
            stream.close()


class Lexer:
    """Splits one input into interchange events; see the module docstring."""

    def __init__(self, stream: BinaryIO, name: str = "<stream>", chunk: int = CHUNK) -> None:
        self.stream = stream
        self.name = name
        self.chunk = chunk
        self.buf = ""
        self.base = 0  # absolute offset of buf[0]
        self.pos = 0  # read position inside buf
        self.eof = False

    # -- buffer ---------------------------------------------------------------

    def _fill(self) -> bool:
        """Read one more chunk; False at end of input."""
        if self.eof:
            return False
        try:
            data = self.stream.read(self.chunk)
        except OSError as exc:
            raise UnreadableInput(f"{self.name}: read failed ({exc.strerror or exc})") from None
        if not data:
            self.eof = True
            return False
        if self.pos:
            self.buf = self.buf[self.pos :]
            self.base += self.pos
            self.pos = 0
        self.buf += data.decode("latin-1")
        return True

    def _ensure(self, n: int) -> bool:
        while len(self.buf) - self.pos < n:
            if not self._fill():
                return False
        return True

    # -- events ---------------------------------------------------------------

    def events(self) -> Iterator[tuple]:
        first = True
        while True:
            self._ensure(3)
            if first and self.buf.startswith(BOM, self.pos):
                self.pos += len(BOM)
            # Skip white space between interchanges.
            while True:
                while self.pos < len(self.buf) and self.buf[self.pos] in WHITESPACE:
                    self.pos += 1
                if self.pos < len(self.buf) or not self._fill():
                    break
            if self.pos >= len(self.buf):
                yield ("end", self.base + self.pos)
                return
            self._ensure(3)
            if not self.buf.startswith("ISA", self.pos):
                start = self.base + self.pos
                sample, length = self._skip_to_isa()
                if first and not self.buf.startswith("ISA", self.pos):
                    raise NotX12(f"{self.name}: not an X12 interchange (no ISA segment; starts with {sample[:20]!r})")
                yield ("junk", start, sample, length)
                first = False
                continue
            first = False
            yield from self._interchange()

    def _skip_to_isa(self) -> tuple[str, int]:
        """Consume bytes up to the next plausible ISA; return the first of them and how many there were
        (only a sample is kept: a file may hold gigabytes of junk)."""
        sample = ""
        length = 0
        while True:
            i = self.buf.find("ISA", self.pos + 1)
            while i >= 0 and (i + 3 >= len(self.buf) or self.buf[i + 3].isalnum()):
                if i + 3 >= len(self.buf):
                    break
                i = self.buf.find("ISA", i + 1)
            end = i if i >= 0 and i + 3 < len(self.buf) else max(self.pos, len(self.buf) - 3)
            if len(sample) < 64:
                sample += self.buf[self.pos : min(end, self.pos + 64)]
            length += end - self.pos
            self.pos = end
            if i >= 0 and i + 3 < len(self.buf):
                return sample, length
            if not self._fill():
                if len(sample) < 64:
                    sample += self.buf[self.pos : self.pos + 64]
                length += len(self.buf) - self.pos
                self.pos = len(self.buf)
                return sample, length

    def _interchange(self) -> Iterator[tuple]:
        self._ensure(400)
        isa_at = self.base + self.pos
        scan = scan_isa(self.buf[self.pos : self.pos + 400])
        if scan.delimiters is None:
            # Cannot split this interchange: report it and resynchronise on the next ISA.
            yield ("isa", isa_at, scan, self.buf[self.pos : self.pos + 106])
            self._skip_to_isa()
            return
        d = scan.delimiters
        raw = self.buf[self.pos : self.pos + scan.length - 1]
        self.pos += scan.length
        yield ("isa", isa_at, scan, raw)
        yield from self._body(d)

    def _boundary(self, d: Delimiters, start: int) -> int:
        """Index in buf of the next IEA or ISA segment at or after ``start``, or -1."""
        buf, term, pos = self.buf, d.segment, self.pos
        best = -1
        for tag in ("IEA" + d.element, "ISA"):
            i = buf.find(tag, start)
            while i >= 0:
                j = i - 1
                while j >= pos and buf[j] in WHITESPACE and buf[j] != term:
                    j -= 1
                at_start = j < pos or buf[j] == term
                if at_start and (tag != "ISA" or (i + 3 < len(buf) and not buf[i + 3].isalnum())):
                    break
                i = buf.find(tag, i + 1)
            if i >= 0 and (best < 0 or i < best):
                best = i
        return best

    def _emit(self, d: Delimiters, start: int, end: int) -> Batch | None:
        """A batch of the segments in buf[start:end] (``end`` = just before a terminator)."""
        if end <= start:
            return None
        span = self.buf[start:end]
        term, suffix = d.segment, d.suffix
        if suffix and span.startswith(suffix):
            pieces = span[len(suffix) :].split(term + suffix)
            # Every terminator followed by the line ending: one terminator per split.
            if span.count(term) == len(pieces) - 1:
                return Batch(self.base + start + len(suffix), pieces, len(term) + len(suffix))
        # No line endings, or not after every terminator: pieces may start with white space.
        return Batch(self.base + start, span.split(term), len(term))

    def _body(self, d: Delimiters) -> Iterator[tuple]:
        term = d.segment
        scan_from = self.pos
        while True:
            b = self._boundary(d, scan_from)
            if b < 0:
                last = self.buf.rfind(term, self.pos)
                if last >= self.pos:
                    batch = self._emit(d, self.pos, last)
                    if batch:
                        yield ("segments", batch)
                    self.pos = last + 1
                keep = len(self.buf) - self.pos
                if keep > MAX_SEGMENT:
                    yield ("overlong", self.base + self.pos, keep)
                    yield ("no_iea", self.base + self.pos)
                    return
                if not self._fill():
                    rest = self.buf[self.pos :]
                    if rest.strip(WHITESPACE):
                        yield ("segments", Batch(self.base + self.pos, [rest.rstrip(WHITESPACE)], len(term)))
                    self.pos = len(self.buf)
                    yield ("no_iea", self.base + self.pos)
                    return
                # Look again only where a boundary could now be complete.
                scan_from = max(self.pos, self.pos + keep - 8)
                continue
            if self.buf.startswith("IEA", b):
                e = self.buf.find(term, b)
                if e < 0:
                    if self._fill():
                        scan_from = self.pos
                        continue
                    e = len(self.buf)
                    while e > b and self.buf[e - 1] in WHITESPACE:
                        e -= 1
                batch = self._emit(d, self.pos, e)
                if batch:
                    yield ("segments", batch)
                self.pos = min(e + 1, len(self.buf))
                return
            # A new ISA before this interchange's IEA.
            cut = b
            while cut > self.pos and self.buf[cut - 1] != term:
                cut -= 1
            batch = self._emit(d, self.pos, cut - 1) if cut > self.pos else None
            if batch:
                yield ("segments", batch)
            self.pos = b
            yield ("no_iea", self.base + b)
            return


def lex(source: Source) -> Iterator[tuple]:
    """Events for ``source``; the file is closed when the iterator is exhausted or closed."""
    stream, name = open_source(source)
    try:
        yield from Lexer(stream, name).events()
    finally:
        if not isinstance(source, (bytes, bytearray)) and not hasattr(source, "read"):
            stream.close()
