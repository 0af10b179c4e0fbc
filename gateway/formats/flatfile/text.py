"""Bytes to text for the line-based and JSON readers, and the one way they report bad input."""

from __future__ import annotations

import codecs
import re

from ...errors import FlatFileError

_NEWLINE = re.compile(r"\r\n|\r|\n")


def fail(file: str, line: int | None, reason: str, *, at: str | None = None) -> FlatFileError:
    """``orders.csv line 4: reason`` (or ``orders.json /orders[2]: reason``), ready to raise."""
    where = file if line is None else f"{file} line {line}"
    if at:
        where = f"{where} {at}"
    return FlatFileError(f"{where}: {reason}", file=file, line=line)


def decode(data: bytes, encoding: str | None, file: str) -> str:
    """``data`` as text; utf-8 by default, a leading byte-order mark dropped."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"flat file readers take bytes, got {type(data).__name__}")
    data = bytes(data)
    enc = encoding or "utf-8"
    if codecs.lookup(enc).name == "utf-8":
        enc = "utf-8-sig"
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise fail(file, line, f"cannot decode as {encoding or 'utf-8'}: byte 0x{byte} at offset {exc.start} "
                               f"({exc.reason})") from None
    return text.removeprefix("\ufeff")


def split_lines(text: str) -> list[str]:
    """Lines without their terminators (\\n, \\r\\n or \\r); no empty last line for a final newline."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
