"""CSV (and any delimited text) into record trees, with Python's csv module in strict mode."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from .layout import FlatLayout, RecordType
from .records import DocumentNode, Slot, build_documents, compile_kinds
from .text import decode, fail


def read_csv(layout: FlatLayout, data: bytes, name: str) -> list[DocumentNode]:
    opts = layout.csv
    text = decode(data, layout.encoding, name)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=opts.delimiter,
        quotechar=opts.quote or '"',
        quoting=csv.QUOTE_MINIMAL if opts.quote else csv.QUOTE_NONE,
        strict=True,
    )
    rows = _rows(reader, opts.skip_blank_lines, name)
    header: dict[str, int] | None = None
    header_line = 0
    if opts.header:
        first = next(rows, None)
        if first is None:
            return []
        header_line, cells = first
        header = {}
        for i, cell in enumerate(cells):
            header.setdefault(cell.strip(), i)

    def slot_of(rec: RecordType, item: Any, position: int) -> Slot:
        strip = getattr(item, "strip", True)
        column = item.column
        if column is None:
            column = item.name if header is not None else position
        if isinstance(column, str):
            assert header is not None  # the layout check requires header: true for names
            if column not in header:
                found = ", ".join(repr(h) for h in header) or "none"
                raise fail(name, header_line, f"the header row has no column {column!r} (record type {rec.name!r} "
                                              f"needs it; found {found})")
            return Slot(f"column {column!r}", index=header[column], strip=strip)
        return Slot(f"column {column}", index=column - 1, strip=strip)

    kinds = compile_kinds(layout, slot_of)
    return build_documents(layout, rows, _cell, kinds, name)


def _cell(cells: list[str], slot: Slot) -> str:
    return cells[slot.index] if slot.index < len(cells) else ""


def _rows(reader: Any, skip_blank: bool, name: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, cells); a malformed row raises ``FlatFileError``."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise fail(name, start, f"malformed CSV: {exc}") from None
        if skip_blank and all(c.strip() == "" for c in cells):
            continue
        yield start, cells
