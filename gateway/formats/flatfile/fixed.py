"""Fixed-width text into record trees: fields are slices of the decoded line.

Positions count characters of the decoded text (not bytes). A line shorter
than a field's end gives a short or empty value; blank lines are skipped.
"""

from __future__ import annotations

from typing import Any

from .layout import FlatLayout, RecordType
from .records import DocumentNode, Slot, build_documents, compile_kinds
from .text import decode, split_lines


def read_fixed(layout: FlatLayout, data: bytes, name: str) -> list[DocumentNode]:
    text = decode(data, layout.encoding, name)
    rows = ((n, line) for n, line in enumerate(split_lines(text), 1) if line.strip() != "")

    def slot_of(rec: RecordType, item: Any, position: int) -> Slot:
        start = item.start - 1
        end = start + item.length
        label = f"position {item.start}" if item.length == 1 else f"positions {item.start}-{end}"
        return Slot(label, start=start, end=end, strip=getattr(item, "strip", True))

    return build_documents(layout, rows, _slice, compile_kinds(layout, slot_of), name)


def _slice(line: str, slot: Slot) -> str:
    return line[slot.start : slot.end]
