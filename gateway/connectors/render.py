"""Canonical documents as bytes for ERP targets: JSON (the document itself), a flat CSV, a generic XML.

All three are pure functions of the document; none of them loses a value:

- ``to_json``: the canonical document, UTF-8, keys in document order; on one line (the C encoder, some
  50 times faster than indenting), or pretty (two-space indent) on request.
- ``to_csv``: one row per line item, the document's own fields repeated on each row; column names
  are dotted paths (``lines.quantity.value``) and lists that are not rows are numbered
  (``lines.identifiers.0.value``). Rows come from ``lines``, ``items``, ``orders`` and ``packs``
  lists of objects, nested as deep as they go (an 856 gives one row per shipped item:
  ``orders.packs.items.quantity.value``); a document without them (a 997) is one row.
  Columns are the union over all rows in order of first appearance; a row leaves blank what it
  lacks. RFC 4180 quoting and CRLF line ends, UTF-8 without a byte order mark.
  With ``formula_guard`` (the default) a cell a spreadsheet would run as a formula is neutralised
  (see "Formula guard" below).
- ``to_xml``: the root element is the document type; an object is an element with children, a
  list is the same element repeated, ``None`` is left out, booleans are ``true``/``false``. Keys
  that are not XML names are made into one (invalid characters become ``_``; a leading ``_`` is
  added before a digit, ``-``, ``.`` or ``xml``); characters XML cannot carry become U+FFFD.

A document that is not JSON-ready (a ``set``, a ``datetime``) raises ``TypeError``; connectors
turn that into a terminal ``DeliveryError``.

Formula guard (CSV injection, as OWASP's "CSV Injection" page recommends): a partner's text such as
``=cmd|' /C calc'!A0`` or ``=HYPERLINK(...)`` must not become a live formula when someone opens the
delivery in a spreadsheet. A cell (header cells too) whose text starts with ``=``, ``+``, ``-``,
``@``, tab, carriage return or NUL (OWASP's list plus ASVS's NUL) gets a single quote in front
(``'=cmd|' /C calc'!A0``), which spreadsheets show as text; and every cell is written in double
quotes with inner quotes doubled, so the quote sits inside the cell and a ``,`` or ``;`` in the text
cannot start a new cell in a spreadsheet that splits on the other separator. Exception: a cell that
is a plain number (``-5``, ``+3``, ``-12.50``, ``1e-05``: optional sign, digits, optional fraction and
exponent) is left alone. It cannot be a formula (there is no operator, reference or function after
the sign), and prefixing it would turn a negative quantity or a credit amount into text for the ERP.
Anything else after a sign (``-2+3``, ``+A1``, ``-cmd|...``) is guarded. Readers that parse CSV
(rather than open it as a spreadsheet) see the quote as part of the value: routes into an ERP that
needs raw values turn the guard off (the folder connector's ``csv_formula_guard: false``), which
also gives back minimal quoting.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from lxml import etree

ROW_LISTS = ("lines", "items", "orders", "packs")

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF"
                            r"\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]")
_NOT_XML_CHAR = re.compile("[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def to_json(document: Any, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    return (json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# -- CSV ------------------------------------------------------------------------------------------


def csv_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    """The rows ``to_csv`` writes, as dicts of dotted column -> text."""
    _check_json_ready(document)
    return _rows(document, "")


def to_csv(document: dict[str, Any], *, formula_guard: bool = True) -> bytes:
    rows = csv_rows(document)
    columns = list(dict.fromkeys(col for row in rows for col in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL if formula_guard else csv.QUOTE_MINIMAL)
    cell = guard_formula if formula_guard else str
    writer.writerow([cell(c) for c in columns])
    writer.writerows([cell(row.get(c, "")) for c in columns] for row in rows)
    return out.getvalue().encode("utf-8")


FORMULA_START = frozenset("=+-@\t\r\0")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def guard_formula(text: str) -> str:
    """``text`` as a spreadsheet must show it: with a leading ``'`` when it would start a formula (plain numbers
    excepted; see the module docstring)."""
    if text and text[0] in FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _rows(obj: dict[str, Any], prefix: str) -> list[dict[str, str]]:
    own: dict[str, str] = {}
    children: list[dict[str, str]] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if key in ROW_LISTS and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for child in value:
                children.extend(_rows(child, name + "."))
        else:
            _cells(value, name, own)
    return [{**own, **child} for child in children] if children else [own]


def _cells(value: Any, name: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, v in value.items():
            _cells(v, f"{name}.{key}", out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _cells(v, f"{name}.{i}", out)
    else:
        out[name] = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_json_ready(document: Any) -> None:
    json.dumps(document, allow_nan=False)  # raises TypeError/ValueError like to_json would


# -- XML ------------------------------------------------------------------------------------------


def xml_name(key: str) -> str:
    """``key`` as an XML element name (deterministic, so the same key always gives the same name)."""
    name = _NOT_NAME_CHAR.sub("_", str(key)) or "_"
    if not (name[0].isalpha() or name[0] == "_") or name.lower().startswith("xml"):
        name = "_" + name
    return name


def to_xml(document: dict[str, Any], document_type: str) -> bytes:
    _check_json_ready(document)
    root = etree.Element(xml_name(document_type))
    _fill(root, document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _fill(element: etree._Element, obj: dict[str, Any]) -> None:
    for key, value in obj.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            child = etree.SubElement(element, xml_name(key))
            _set(child, item)


def _set(element: etree._Element, value: Any) -> None:
    if isinstance(value, dict):
        _fill(element, value)
    elif isinstance(value, list):  # a list inside a list: its items are <item> children
        for item in value:
            if item is not None:
                _set(etree.SubElement(element, "item"), item)
    else:
        element.text = _NOT_XML_CHAR.sub("\uFFFD", _text(value))
