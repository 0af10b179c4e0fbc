"""Record trees for line-based files (CSV, fixed-width): recognise each line, nest it, cut documents.

A format supplies the lines (line number and raw line: a list of cells or a
string) and a ``Slot`` for every field and match, saying where a value sits
in a raw line; everything else (which record type a line is, which record it
nests under, where documents start, ``group_by``) is shared here.

The tree of one document::

    DocumentNode "document"          value(key): the document record's fields
    ├── header (line 1)              records with no parent, in file order
    │   ├── line (line 2)            records nest under the most recent record of their parent type
    │   └── line (line 3)
    └── trailer (line 4)

Top-level records before the first document record (a file header) belong to
every document. With ``group_by`` the root's values are the first row's and
its children are all the rows of the group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .layout import FlatLayout, RecordType
from .text import fail


class RecordNode:
    """One line of a CSV or fixed-width file: ``value(field)`` its fields, ``children`` the records under it."""

    __slots__ = ("fields", "file", "items", "line", "name")

    def __init__(self, name: str, fields: dict[str, str], file: str, line: int) -> None:
        self.name = name
        self.fields = fields
        self.items: list[RecordNode] = []
        self.file = file
        self.line = line

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line}"

    def children(self, name: str | None = None) -> list[RecordNode]:
        return list(self.items) if name is None else [k for k in self.items if k.name == name]

    def value(self, key: str) -> str | None:
        return self.fields.get(key)

    def __repr__(self) -> str:
        return f"<{self.name} {self.where} {self.fields!r} +{len(self.items)}>"


class DocumentNode:
    """One document of a flat file: its top-level records as children; values are its first record's."""

    __slots__ = ("first", "items", "name")

    def __init__(self, first: RecordNode, items: list[RecordNode]) -> None:
        self.name = "document"
        self.first = first
        self.items = items

    @property
    def where(self) -> str:
        return self.first.where

    def children(self, name: str | None = None) -> list[RecordNode]:
        return list(self.items) if name is None else [k for k in self.items if k.name == name]

    def value(self, key: str) -> str | None:
        return self.first.value(key)

    def __repr__(self) -> str:
        return f"<document {self.where} {self.items!r}>"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a value sits in a raw line; ``label`` names it in messages (``column 1``, ``positions 1-2``)."""

    label: str
    index: int = 0  # csv: 0-based column
    start: int = 0  # fixed: 0-based slice
    end: int = 0
    strip: bool = True


Raw = Any  # list[str] (csv cells) or str (a fixed-width line)
Getter = Callable[[Raw, Slot], str]


@dataclass(slots=True)
class _Kind:
    record: RecordType
    slots: list[tuple[str, Slot]]
    match: Slot | None
    values: frozenset[str]
    closes: frozenset[str]  # record types to close when a record of this kind opens (itself and its descendants)


def compile_kinds(layout: FlatLayout, slot_of: Callable[[RecordType, Any, int], Slot]) -> list[_Kind]:
    """One ``_Kind`` per record type; ``slot_of(record, field_or_match, position)`` comes from the format."""
    kinds = []
    for rec in layout.records:
        slots = [(f.name, slot_of(rec, f, n)) for n, f in enumerate(rec.fields, 1)]
        match = None
        values: frozenset[str] = frozenset()
        if rec.match is not None:
            values = rec.match.values()
            if rec.match.field is not None:
                match = dict(slots)[rec.match.field]
            else:
                match = slot_of(rec, rec.match, 0)
        closes = frozenset([rec.name] + [r.name for r in layout.records if rec.name in layout.ancestors(r.name)])
        kinds.append(_Kind(rec, slots, match, values, closes))
    return kinds


def _recognise(kinds: list[_Kind], raw: Raw, get: Getter, file: str, line: int) -> _Kind:
    for kind in kinds:
        if kind.match is None or get(raw, kind.match).strip() in kind.values:
            return kind
    seen: dict[str, str] = {}
    for kind in kinds:
        if kind.match is not None and kind.match.label not in seen:
            seen[kind.match.label] = get(raw, kind.match).strip()
    found = "; ".join(f"found {value!r} in {label}" for label, value in seen.items())
    expected = ", ".join(f"{'|'.join(sorted(k.values))} ({k.record.name})" for k in kinds)
    raise fail(file, line, f"matches no record type: {found} (expected {expected})")


def build_documents(layout: FlatLayout, rows: Iterable[tuple[int, Raw]], get: Getter, kinds: list[_Kind], file: str) -> list[DocumentNode]:
    """Recognise, nest and cut ``rows`` into documents."""

    def record(kind: _Kind, raw: Raw, line: int) -> RecordNode:
        values = {}
        for name, slot in kind.slots:
            v = get(raw, slot)
            values[name] = v.strip() if slot.strip else v
        return RecordNode(kind.record.name, values, file, line)

    if layout.group_by is not None:
        records = (record(_recognise(kinds, raw, get, file, line), raw, line) for line, raw in rows)
        return _grouped(layout.group_by, records, file)

    doc_type = layout.document_type().name
    docs: list[DocumentNode] = []
    preamble: list[RecordNode] = []  # top-level records before the first document
    preamble_open: dict[str, RecordNode] = {}
    current: DocumentNode | None = None
    open_: dict[str, RecordNode] = {}  # the most recent record of each type that can still take children
    for line, raw in rows:
        kind = _recognise(kinds, raw, get, file, line)
        node = record(kind, raw, line)
        parent_type = kind.record.parent
        for name in kind.closes:
            open_.pop(name, None)
        if kind.record.name == doc_type:
            open_ = dict(preamble_open)
            current = DocumentNode(node, [*preamble, node])
            docs.append(current)
        elif parent_type is None:
            (current.items if current is not None else preamble).append(node)
        else:
            parent = open_.get(parent_type)
            if parent is None:
                if current is None:
                    reason = f"a {kind.record.name!r} record comes before any {parent_type!r} record it could nest under"
                else:
                    reason = (f"a {kind.record.name!r} record has no {parent_type!r} record to nest under in the "
                              f"document that starts at line {current.first.line}")
                raise fail(file, line, reason)
            parent.items.append(node)
        open_[kind.record.name] = node
        if current is None:
            preamble_open[kind.record.name] = node
    return docs


def _grouped(key: str, records: Iterable[RecordNode], file: str) -> list[DocumentNode]:
    groups: dict[str, list[RecordNode]] = {}
    for node in records:
        value = node.fields.get(key, "")
        if value.strip() == "":
            raise fail(file, node.line, f"the group_by field {key!r} is empty, so the row belongs to no document")
        groups.setdefault(value, []).append(node)
    return [DocumentNode(rows[0], rows) for rows in groups.values()]
