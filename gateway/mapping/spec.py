"""Mapping specs: the typed model of ``mappings/<owner>/<name>.yaml``.

One spec per (partner or default, transaction set or file layout, version,
direction). A spec is named by its path under ``mappings/`` without the
extension (``default/850-004010-in``); ``extends`` names another spec whose
tables and fields it inherits, overriding only what it restates (a field set
to ``null`` is removed). The vocabulary below is closed: nothing is evaluated.

Inbound (partner document → canonical): ``fields`` maps each canonical field
to a rule. A rule is a path (string) or an object:

* where the value comes from (one of): ``path``, ``paths`` (first non-empty),
  ``const``, ``collect`` (all non-empty values, a list), ``count`` (how many
  nodes a path selects), ``pairs`` (qualifier/value element pairs → a list of
  ``{type, value, qualifier}``; a qualifier written ``=VN`` is that literal code; ``derive`` adds items looked up in the partner's
  cross-references, e.g. our SKU for their item number), ``each`` + ``fields`` (a list of objects, one per
  node), ``fields`` (an object; ``context`` moves to another node first);
* then, in order: ``transform`` (trim, upper, lower, strip_zeros, digits, clean, sscc,
  sscc_with_ai: see ``transforms.py``; ``sscc`` gives the 18 digits of an SSCC-18 sent
  with or without the 00 application identifier and keeps any other form as sent,
  with a ``mapping.kept_as_sent`` warning; outbound, ``sscc_with_ai`` writes 00 + SSCC-18),
  ``table`` (code table; ``strict`` makes an unknown code an error), ``xref``
  (the partner's cross-reference table), ``type`` with ``format`` or
  ``implied_decimals`` (string, integer, decimal, date, time, boolean),
  ``scale_by`` (multiply by a factor looked up by another value: unit conversion),
  ``default``, ``required``;
* ``fallback`` (instead of ``default``) names how a value the partner left out is
  derived: ``position`` is the item's place in the list ``each`` builds (1, 2, ...),
  for a line number the standard does not require (PO101, IT101); each use is a
  ``mapping.derived`` warning naming the field and the source line;
* ``when`` maps the field only when a condition holds; ``where`` filters ``each``.

Outbound (canonical → X12): ``segments`` is a list; each item is a segment
``{TAG: [elements]}`` (or ``{segment: TAG, elements: [...], when: ...}``), a
repetition ``{each: FIELD, segments: [...]}``, a context ``{context: FIELD,
segments: [...]}``, or a hierarchical level ``{hl: CODE, each: FIELD,
segments: [...], children: [...]}`` whose HL segment (ID, parent, level, child
code) is written for you. An element is a literal string, a list (a
composite), or ``{field: PATH}`` with ``table``, ``format``,
``implied_decimals``, ``decimals``, ``transform``, ``max_length``, ``default``,
``required``, or ``{count: FIELD}`` / ``{sum: FIELD, of: SUBFIELD}``. Field
paths are dotted, with filters on lists: ``parties[role=ship_to].name``;
``$root.`` and ``$parent.`` reach outer objects.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal, Union

from ..config.typed import Doc, Model, Pattern
from ..config.yamlio import Source, kind_of, load_yaml
from ..errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")  # a spec's path under mappings/, no .. nor /
MAX_EXTENDS = 16  # specs in one extends chain

DocumentType = Literal["purchase_order", "purchase_order_acknowledgment", "ship_notice", "invoice", "functional_ack"]
Transform = Literal["trim", "upper", "lower", "strip_zeros", "digits", "clean", "sscc", "sscc_with_ai"]
Fallback = Literal["position"]
ValueType = Literal["string", "integer", "decimal", "date", "time", "boolean"]
DateFormat = Literal["CCYYMMDD", "YYMMDD", "MMDDYY", "MMDDCCYY", "CCYY-MM-DD", "MM/DD/CCYY", "HHMM", "HHMMSS", "HH:MM", "HH:MM:SS"]


@dataclass(repr=False)
class Condition(Model):
    """True when the value at ``path`` equals ``equals``, is one of ``one_of``, or exists (``exists``)."""

    path: str
    equals: str | None = None
    one_of: list[str] | None = None
    exists: bool | None = None


@dataclass(repr=False)
class ScaleBy(Model):
    """Multiply a decimal by the factor ``table`` gives for the value at ``path`` (unit conversion)."""

    path: str
    table: str


@dataclass(repr=False)
class Derive(Model):
    """With ``pairs``: for an item of type ``of`` whose value is in the partner's cross-reference
    ``xref``, add an item of type ``type`` with the cross-referenced value (their item number → our SKU)."""

    of: str
    xref: str
    type: str


@dataclass(repr=False)
class FieldRule(Model):
    """How one canonical field is filled (inbound)."""

    path: str | None = None
    paths: list[str] | None = None
    const: Annotated[Any, Doc("a constant value")] = None
    collect: Annotated[str | list[str] | None, Doc("every non-empty value of these paths, as a list")] = None
    count: Annotated[str | None, Doc("how many nodes this path selects")] = None
    pairs: Annotated[list[list[str]] | None, Doc("[[qualifier path, value path], ...] -> [{type, value, qualifier}]")] = None
    derive: Annotated[list[Derive] | None, Doc("with pairs: items added from the partner's cross-references")] = None
    each: Annotated[str | None, Doc("one object per node this path selects")] = None
    where: Condition | None = None
    context: Annotated[str | None, Doc("the node the nested fields are read from")] = None
    fields: dict[str, Union[FieldRule, str, None]] | None = None
    transform: list[Transform] | None = None
    table: str | None = None
    strict: Annotated[bool, Doc("an unknown code is an error (else a warning, and the code is kept)")] = False
    xref: str | None = None
    type: ValueType = "string"
    format: DateFormat | None = None
    implied_decimals: int | None = None
    scale_by: ScaleBy | None = None
    default: Any = None
    fallback: Annotated[Fallback | None, Doc("how an absent value is derived: 'position' is the item's place in its list (1, 2, ...), "
                                             "with a mapping.derived warning")] = None
    required: bool = False
    when: Condition | None = None


@dataclass(repr=False)
class ElementRule(Model):
    """One element of an outbound segment."""

    field: str | None = None
    const: str | None = None
    count: Annotated[str | None, Doc("number of items in this list field")] = None
    sum: Annotated[str | None, Doc("list field whose items' 'of' values are added up")] = None
    of: str | None = None
    table: str | None = None
    format: DateFormat | None = None
    implied_decimals: int | None = None
    decimals: Annotated[int | None, Doc("round to this many decimals")] = None
    transform: list[Transform] | None = None
    max_length: int | None = None
    default: str | None = None
    required: bool = False


ElementValue = Annotated[
    Union[str, int, ElementRule, list[Union[str, int, ElementRule, None]], None],
    Doc("a literal, a composite (list) or a rule"),
]


@dataclass(repr=False)
class SegmentRule(Model):
    """An outbound segment, repetition, context or HL level."""

    segment: Annotated[str | None, Pattern("^[A-Z][A-Z0-9]{1,2}$")] = None
    elements: list[ElementValue] | None = None
    each: str | None = None
    context: str | None = None
    hl: Annotated[str | None, Doc("HL03 level code; the HL segment is written automatically")] = None
    segments: list[SegmentRule] | None = None
    children: list[SegmentRule] | None = None
    when: Annotated[Condition | None, Doc("'path' here is a canonical field path")] = None


@dataclass(repr=False)
class X12Source(Model):
    format: Literal["x12"] = "x12"
    set: Annotated[str, Pattern("^[0-9]{3}$")] = "850"
    version: Annotated[str, Pattern("^[0-9]{6}")] = "004010"


@dataclass(repr=False)
class FlatSource(Model):
    """A partner flat file; ``layout`` is read by ``gateway.formats.flatfile``."""

    format: Literal["csv", "fixed", "json", "xml"]
    layout: Annotated[dict[str, Any], Doc("record types and fields (see gateway/formats/flatfile)")] = field(default_factory=dict)


@dataclass(repr=False)
class MappingSpec(Model):
    """A declarative mapping between a partner document and a canonical document."""

    document: DocumentType
    direction: Literal["inbound", "outbound"]
    description: str | None = None
    extends: Annotated[str | None, Doc("name of the spec this one builds on, e.g. default/850-004010-in")] = None
    source: X12Source | FlatSource | None = None
    target: X12Source | None = None
    tables: Annotated[dict[str, dict[str, Any]], Doc("code tables: name -> {from: to}")] = field(default_factory=dict)
    fields: dict[str, Union[FieldRule, str, None]] = field(default_factory=dict)
    segments: list[SegmentRule] = field(default_factory=list)
    name: Annotated[str, Doc("set from the file path; do not write it")] = ""


# -- loading ----------------------------------------------------------------------------------------


def normalize_segments(items: Any) -> Any:
    """``{REF: [...]}`` -> ``{segment: REF, elements: [...]}``, recursively (before validation)."""
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, dict) and len(item) >= 1:
            tags = [k for k in item if isinstance(k, str) and k.isupper() and 2 <= len(k) <= 3 and k not in ("HL",)]
            if len(tags) == 1 and "segment" not in item:
                tag = tags[0]
                rest = {k: v for k, v in item.items() if k != tag}
                item = {"segment": tag, "elements": item[tag], **rest}
            item = dict(item)
            for key in ("segments", "children"):
                if key in item:
                    item[key] = normalize_segments(item[key])
        out.append(item)
    return out


class SpecLibrary:
    """Mapping specs under one or more roots (``mappings/`` dirs); resolves ``extends``."""

    def __init__(self, roots: list[FsPath]) -> None:
        self.roots = [FsPath(r) for r in roots]
        self._raw: dict[str, tuple[dict, Source]] = {}
        self._resolved: dict[str, MappingSpec] = {}

    def names(self) -> list[str]:
        out = set()
        for root in self.roots:
            for p in root.rglob("*.yaml"):
                if ".fixtures" not in p.parts[-2]:
                    out.add(p.relative_to(root).with_suffix("").as_posix())
        return sorted(out)

    def path_of(self, name: str) -> FsPath | None:
        """The file of spec ``name``; None when there is none, or ``name`` is no spec name (nothing outside the roots is found)."""
        if not isinstance(name, str) or not NAME.match(name):
            return None
        for root in self.roots:
            p = root / f"{name}.yaml"
            if p.is_file():
                return p
        return None

    def _load_raw(self, name: str, wanted_at: str | None = None) -> tuple[dict, Source]:
        """The spec's data as written (segments normalised) and its source; ``wanted_at`` is the ``file:line`` that names it."""
        if name not in self._raw:
            path = self.path_of(name)
            if path is None:
                where = f"{wanted_at}: " if wanted_at else ""
                if not isinstance(name, str) or not NAME.match(name):
                    raise ConfigError([f"{where}{name!r} is not a mapping spec name (owner/name, e.g. default/850-004010-in)"])
                raise ConfigError([f"{where}mapping spec {name!r} not found under {', '.join(map(str, self.roots))}"])
            source = load_yaml(path)
            if source.data is None:
                raise ConfigError([f"{source.name}:1: the mapping spec is empty"])
            if not isinstance(source.data, dict):
                raise ConfigError([f"{source.name}:1: a mapping spec is a YAML mapping (key: value), not {kind_of(source.data)}"])
            data = dict(source.data)
            parent = data.get("extends")
            if parent is not None and not (isinstance(parent, str) and NAME.match(parent)):
                what = kind_of(parent) if not isinstance(parent, str) else repr(parent)
                raise ConfigError([f"{source.where(('extends',))}: extends names one mapping spec (owner/name, e.g. "
                                   f"default/850-004010-in), not {what}"])
            if "segments" in data:
                data["segments"] = normalize_segments(data["segments"])
            self._raw[name] = (data, source)
        return self._raw[name]

    def chain(self, name: str) -> list[tuple[dict, Source]]:
        """The data and source of ``name`` and of each spec it extends, ``name`` first (to say where a rule is written)."""
        out, seen, wanted_at = [], set(), None
        while name and name not in seen and len(out) <= MAX_EXTENDS:
            seen.add(name)
            data, source = self._load_raw(name, wanted_at)
            out.append((data, source))
            name, wanted_at = data.get("extends"), source.where(("extends",))
        return out

    def get(self, name: str) -> MappingSpec:
        if name not in self._resolved:
            self._resolved[name] = self._resolve(name, ())
        return self._resolved[name]

    def _resolve(self, name: str, seen: tuple[str, ...], wanted_at: str | None = None) -> MappingSpec:
        where = f"{wanted_at}: " if wanted_at else ""
        if name in seen:
            raise ConfigError([f"{where}mapping spec {name!r}: extends forms a cycle ({' -> '.join(seen + (name,))})"])
        if len(seen) >= MAX_EXTENDS:
            raise ConfigError([f"{where}extends chains more than {MAX_EXTENDS} mapping specs ({' -> '.join(seen[:3])} -> ...)"])
        data, source = self._load_raw(name, wanted_at)
        merged = copy.deepcopy(data)
        parent_name = data.get("extends")
        if parent_name:
            parent = self._resolve(parent_name, seen + (name,), source.where(("extends",)))
            base = parent.to_data(reveal=True)
            base.pop("name", None)
            base.pop("extends", None)
            merged = _merge(base, {k: v for k, v in data.items() if k != "extends"})
            merged["extends"] = parent_name
        source_for_errors = Source(source.name, merged, source.lines)
        problems = MappingSpec.problems(merged, source_for_errors)
        if problems:
            raise ConfigError(problems)
        spec = MappingSpec.load(source_for_errors)
        spec.name = name
        return spec


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            if v is None and k in out and k not in ("description",):
                out.pop(k)  # a field restated as null is removed
            elif k in out:
                out[k] = _merge(out[k], v)
            else:
                out[k] = v
        return out
    return copy.deepcopy(override)
