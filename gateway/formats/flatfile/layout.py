"""The typed layout of a partner flat file: ``FlatLayout`` and ``load_layout``.

A layout is the ``source.layout`` of a mapping spec (its ``format`` is the
spec's ``source.format``) or a YAML document of its own. It is validated like
every other YAML model (unknown keys rejected, every problem reported as
``file:line: message``), then checked for sense: record types exist, parents
form a tree, CSV columns and fixed positions are given the way the format
needs them.

Example (a header/detail CSV; a fixed-width file gives ``start`` and
``length`` instead of ``column``, JSON and XML only ``document``)::

    source:
      format: csv
      layout:
        encoding: utf-8          # the default; a byte-order mark is tolerated
        csv: {delimiter: ",", header: false}
        document: header         # the default: the first record type
        records:
          - name: header
            match: {column: 1, equals: H}
            fields:
              - {name: po_number, column: 2}
              - {name: order_date, column: 3}
          - name: line
            match: {column: 1, equals: D}
            parent: header
            fields:
              - {name: line_number, column: 2}
              - {name: sku, column: 3}
              - {name: quantity, column: 4}
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from ...config.typed import Doc, Model, Pattern, Range, Schema
from ...config.yamlio import Loc, Source
from ...errors import ConfigError
from ...mapping.spec import FlatSource

Format = Literal["csv", "fixed", "json", "xml"]
NAME = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"  # what a path step can name (gateway.mapping.paths)
_ELEMENT_REF = re.compile(r"([A-Z][A-Z0-9]{1,2})\d{2}(?:-\d{2})?")  # paths read these as X12 element references
_DOC_PATH = re.compile(r"^(\.|/?[A-Za-z_][A-Za-z0-9_.\-]*(/[A-Za-z_][A-Za-z0-9_.\-]*)*)$")

_ONE_CHAR = {"type": "string", "minLength": 1, "maxLength": 1}
Position = Annotated[int | None, Range(minimum=1)]


@dataclass(repr=False)
class CsvOptions(Model):
    """How a delimited file is split into rows and cells (Python's csv module, strict quoting)."""

    delimiter: Annotated[str, Schema(_ONE_CHAR), Doc("one character; \"\\t\" for tab-separated files")] = ","
    quote: Annotated[
        str | None, Schema({"anyOf": [_ONE_CHAR, {"type": "null"}]}), Doc("quote character; null when the file has no quoting")
    ] = '"'
    header: Annotated[bool, Doc("the first non-blank row names the columns (it is not a record)")] = False
    skip_blank_lines: Annotated[bool, Doc("rows whose cells are all empty are ignored")] = True


@dataclass(repr=False)
class FieldDef(Model):
    """One field of a record: its name, and where its value sits in the line."""

    name: Annotated[str, Pattern(NAME), Doc("the key mapping paths read, e.g. po_number")]
    column: Annotated[
        str | int | None,
        Range(minimum=1),
        Doc("csv: the header name (with header: true) or the 1-based column; by default the header named like the "
            "field, or without a header row the field's position in this list"),
    ] = None
    start: Annotated[Position, Doc("fixed: 1-based position of the first character")] = None
    length: Annotated[Position, Doc("fixed: number of characters")] = None
    strip: Annotated[bool, Doc("remove leading and trailing spaces")] = True


@dataclass(repr=False)
class Match(Model):
    """How a line is recognised: the value (trimmed) at a field, CSV column or fixed position equals ``equals``."""

    equals: Annotated[str | int | list[str | int], Doc("the value, or a list of values any of which matches")]
    field: Annotated[str | None, Doc("a field of this record type")] = None
    column: Annotated[str | int | None, Range(minimum=1), Doc("csv: header name or 1-based column")] = None
    start: Annotated[Position, Doc("fixed: 1-based position")] = None
    length: Annotated[Position, Doc("fixed: number of characters")] = None

    def values(self) -> frozenset[str]:
        items = self.equals if isinstance(self.equals, list) else [self.equals]
        return frozenset(str(v) for v in items)


@dataclass(repr=False)
class RecordType(Model):
    """A kind of line in a CSV or fixed-width file, and the node it becomes."""

    name: Annotated[str, Pattern(NAME), Doc("the node name mapping paths use, e.g. header, line")]
    fields: list[FieldDef]
    match: Annotated[Match | None, Doc("how a line of this type is recognised; absent: every line")] = None
    parent: Annotated[str | None, Doc("the record type this one nests under (the most recent such record)")] = None


@dataclass(repr=False)
class FlatLayout(Model):
    """How a partner flat file (CSV, fixed-width, JSON, XML) becomes one node tree per document."""

    format: Format
    encoding: Annotated[
        str | None,
        Doc("text encoding; default utf-8 with a byte-order mark tolerated (XML: the file's own declaration)"),
    ] = None
    csv: Annotated[CsvOptions, Doc("csv only")] = field(default_factory=CsvOptions)
    records: Annotated[list[RecordType], Doc("csv and fixed: the record types, tried in order")] = field(default_factory=list)
    document: Annotated[
        str | None,
        Doc("csv/fixed: the record type that starts a document (default: the first); json: a key path selecting "
            "the document object(s) (default '.', the whole file); xml: a tag (anywhere) or a path from the root "
            "element (default '.', the root element)"),
    ] = None
    group_by: Annotated[
        str | None,
        Doc("csv/fixed with one record type: rows with the same value of this field form one document"),
    ] = None

    @classmethod
    def load(cls, source: Source) -> FlatLayout:
        layout = super().load(source)
        found = layout.check(source)
        if found:
            raise ConfigError(found)
        return layout

    # -- sense checks beyond the schema -------------------------------------------------------------

    def check(self, source: Source | None = None) -> list[str]:
        """Problems the schema cannot see, as ``where: message`` lines."""
        out: list[str] = []
        data = source.data if source is not None and isinstance(source.data, dict) else {}

        def bad(loc: Loc, message: str) -> None:
            text = "/".join(map(str, loc))
            where = source.where(loc) if source is not None else "(layout)"
            out.append(f"{where}: {text}: {message}" if text else f"{where}: {message}")

        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                bad(("encoding",), f"unknown encoding {self.encoding!r}")
        if self.format in ("json", "xml"):
            for key in ("records", "group_by", "csv"):
                if key in data or (key == "records" and self.records) or (key == "group_by" and self.group_by):
                    bad((key,), f"applies to csv and fixed layouts, not {self.format}")
            if self.document is not None and not _DOC_PATH.match(self.document):
                bad(("document",), f"{self.document!r} is not '.', a {'key' if self.format == 'json' else 'tag'} or a "
                                   "path of them separated by '/'")
            return out
        if self.format == "fixed" and "csv" in data:
            bad(("csv",), "applies to csv layouts, not fixed")
        if self.format == "csv":
            if self.csv.delimiter in "\r\n" or self.csv.delimiter == self.csv.quote:
                bad(("csv", "delimiter"), f"{self.csv.delimiter!r} cannot separate cells (a line break, or the quote)")
            elif self.csv.quote is not None and self.csv.quote in "\r\n":
                bad(("csv", "quote"), f"{self.csv.quote!r} cannot quote cells")
        if not self.records:
            bad(("records",) if "records" in data else (), f"a {self.format} layout needs at least one record type")
            return out
        names = [r.name for r in self.records]
        known = ", ".join(dict.fromkeys(names))
        for i, rec in enumerate(self.records):
            at: Loc = ("records", i)
            if rec.name in names[:i]:
                bad(at + ("name",), f"record type {rec.name!r} is defined twice")
            if rec.parent is not None and rec.parent not in names:
                bad(at + ("parent",), f"no record type {rec.parent!r} (known: {known})")
            elif rec.parent == rec.name:
                bad(at + ("parent",), f"record type {rec.name!r} cannot nest under itself")
            elif rec.parent is not None and rec.name in self.ancestors(rec.parent):
                bad(at + ("parent",), f"parents form a cycle through {rec.name!r}")
            if rec.match is None and i < len(self.records) - 1:
                bad(at, f"record type {rec.name!r} has no match, so it takes every line and the types after it "
                        "are never used (put it last)")
            self._check_fields(rec, at, bad)
            if rec.match is not None:
                self._check_match(rec, at + ("match",), bad)
        doc = self.document_type()
        if self.document is not None and self.document not in names:
            bad(("document",), f"no record type {self.document!r} (known: {known})")
        elif doc.parent is not None:
            bad(("document",) if self.document else ("records", 0, "parent"),
                f"the document record type {doc.name!r} cannot have a parent")
        if self.group_by is not None:
            if len(self.records) != 1:
                bad(("group_by",), f"group_by needs a single record type (found {len(self.records)})")
            elif self.group_by not in [f.name for f in self.records[0].fields]:
                bad(("group_by",), f"no field {self.group_by!r} in record type {self.records[0].name!r}")
        return out

    def _check_fields(self, rec: RecordType, at: Loc, bad) -> None:
        seen: set[str] = set()
        for j, f in enumerate(rec.fields):
            loc = at + ("fields", j)
            if f.name in seen:
                bad(loc + ("name",), f"field {f.name!r} appears twice in record type {rec.name!r}")
            seen.add(f.name)
            ref = _ELEMENT_REF.fullmatch(f.name)
            if ref is not None and ref.group(1) != rec.name:
                bad(loc + ("name",), f"field name {f.name!r} reads as an X12 element reference in mapping paths "
                                     f"({ref.group(1)}/{f.name}); choose another, e.g. {f.name.lower()}")
            self._check_position(f.column, f.start, f.length, loc, bad, what="field")

    def _check_match(self, rec: RecordType, at: Loc, bad) -> None:
        m = rec.match
        assert m is not None
        given = [k for k, v in (("field", m.field), ("column", m.column), ("start", m.start)) if v is not None]
        if m.field is not None:
            if m.field not in [f.name for f in rec.fields]:
                bad(at + ("field",), f"no field {m.field!r} in record type {rec.name!r}")
            if m.column is not None or m.start is not None or m.length is not None:
                bad(at, "give field, or a column (csv), or start and length (fixed): not several")
            return
        if not given and m.length is None:
            bad(at, "say where the value is: field, column (csv) or start and length (fixed)")
            return
        self._check_position(m.column, m.start, m.length, at, bad, what="match")

    def _check_position(self, column, start, length, loc: Loc, bad, what: str) -> None:
        if self.format == "csv":
            if start is not None or length is not None:
                bad(loc, "start and length are for fixed layouts; a csv field has a column")
            if isinstance(column, str) and not self.csv.header:
                bad(loc + ("column",), f"column {column!r} is a header name, but csv.header is false "
                                       "(give a 1-based number, or set header: true)")
            if what == "match" and column is None:
                bad(loc, "a csv match needs a column or a field")
        else:
            if column is not None:
                bad(loc + ("column",), "column is for csv layouts; a fixed field has start and length")
            if start is None or length is None:
                bad(loc, f"a fixed {what} needs start and length")

    # -- derived ---------------------------------------------------------------------------------------

    def record(self, name: str) -> RecordType | None:
        return next((r for r in self.records if r.name == name), None)

    def document_type(self) -> RecordType:
        """The record type that starts a document (csv and fixed)."""
        return self.record(self.document or "") or self.records[0]

    def ancestors(self, name: str) -> list[str]:
        """The record types ``name`` nests under, nearest first (stops at a cycle)."""
        out: list[str] = []
        rec = self.record(name)
        while rec is not None and rec.parent is not None and rec.parent not in out and rec.parent != name:
            out.append(rec.parent)
            rec = self.record(rec.parent)
        return out


def load_layout(
    layout: Mapping[str, Any] | FlatSource,
    where: str | Source = "<layout>",
    *,
    format: Format | None = None,
    at: Loc = (),
) -> FlatLayout:
    """A ``FlatLayout`` from plain data, or ``ConfigError`` listing every problem as ``file:line: message``.

    ``layout`` is a mapping spec's ``source.layout`` dict (give the spec's
    ``source.format`` as ``format``) or the ``FlatSource`` itself. ``where`` is
    the file name, or the ``Source`` the data was loaded from with ``at`` the
    location of the layout inside it (``("source", "layout")`` for a mapping
    spec), so that problems carry line numbers.
    """
    if isinstance(layout, FlatSource):
        format, layout = layout.format, layout.layout
    name = where.name if isinstance(where, Source) else where
    if not isinstance(layout, Mapping):
        raise ConfigError([(f"{where.where(at) if isinstance(where, Source) else name}: a layout is a mapping, "
                           f"got {type(layout).__name__}")])
    data = dict(layout)
    lines: dict[Loc, int] = {}
    if isinstance(where, Source):
        at = tuple(at)
        lines = {loc[len(at):]: line for loc, line in where.lines.items() if loc[: len(at)] == at}
    if format is not None:
        if "format" in data and data["format"] != format:
            loc_where = Source(name, data, lines).where(("format",))
            raise ConfigError([f"{loc_where}: format: the layout says {data['format']!r} but the source is {format!r}"])
        data["format"] = format
    return FlatLayout.load(Source(name, data, lines))
