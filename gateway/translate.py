"""Translation: a partner file in, canonical documents (with issues) out; and canonical to X12.

Inbound X12: the interchange is validated (with the partner's overlay, if the
sender is a known partner), each accepted transaction set is laid out as a
loop tree, mapped with the partner's spec for (set, version) or the default
one, stamped with its correlation keys and checked against the canonical
schema. A set X12 validation rejected is reported, not mapped.

Inbound flat files: the partner's spec for the file says the layout.
Outbound: a canonical document, through an outbound spec, to an X12
transaction set (``render_set``) that the envelope writer wraps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .canonical import validate_document
from .errors import ConfigError, GatewayError, InputError, NotX12, UnreadableInput
from .formats.x12 import (
    Delimiters,
    Finding,
    GroupResult,
    InterchangeResult,
    Overlay,
    Report,
    SpecLibrary,
    TransactionResult,
    Validator,
    bundled_dirs,
)
from .formats.x12.ack_reader import ACK_SETS, read_functional_ack
from .formats.x12.delimiters import scan_isa
from .formats.x12.lexer import BOM, WHITESPACE, open_source
from .formats.x12.tree import build_tree
from .formats.x12.writer import serialize_segment
from .mapping.engine import InboundMapper, Issue, OutboundMapper, Tables
from .mapping.spec import MappingSpec
from .mapping.spec import SpecLibrary as Mappings


class PartnerView(Protocol):
    """What translation needs from a partner profile."""

    id: str

    def inbound_spec(self, set_id: str, version: str) -> str | None: ...

    def overlay(self, set_id: str) -> Overlay | None: ...

    @property
    def tables(self) -> dict[str, dict[str, Any]]: ...

    @property
    def xref(self) -> dict[str, dict[str, str]]: ...


class PartnerDirectory(Protocol):
    def by_interchange_id(self, qualifier: str, ident: str, gs_id: str | None = None) -> PartnerView | None: ...

    def get(self, partner_id: str) -> PartnerView: ...


@dataclass(slots=True)
class Translated:
    """One canonical document (or the attempt at one)."""

    document: dict | None
    issues: list[Issue] = field(default_factory=list)
    set_id: str = ""
    control_number: str = ""
    spec: str = ""
    offset: int = 0  # of its ST in the file (X12): how far reading has got, for progress

    @property
    def ok(self) -> bool:
        return self.document is not None and not any(i.severity == "error" for i in self.issues)


@dataclass(slots=True)
class Translation:
    source: str
    partner: str | None
    documents: list[Translated] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.documents) and all(d.ok for d in self.documents)


USAGES = {"P": "production", "T": "test", "I": "information"}  # ISA15


def default_spec_name(set_id: str, version: str, direction: str = "in") -> str:
    return f"default/{set_id}-{version[:6]}-{direction}"


class Translator:
    """Translates files with the mapping specs under ``mapping_roots`` and the given partners."""

    def __init__(self, mapping_roots: list[Path], partners: PartnerDirectory | None = None, spec_dirs: list[Path] | None = None,
                 charset: str = "extended") -> None:
        self.mappings = Mappings(mapping_roots)
        self.partners = partners
        self.x12_library = SpecLibrary(bundled_dirs() + list(spec_dirs or []))
        self._validators: dict[tuple, Validator] = {}
        self._mappers: dict[tuple, InboundMapper] = {}
        self._layouts: dict[str, Any] = {}
        self._forced: str | None = None
        self.charset = charset

    # -- inbound ------------------------------------------------------------------------------------

    def translate(self, path: str | Path, partner_id: str | None = None, spec: str | None = None,
                  anonymous: bool = False) -> Translation:
        """``spec`` forces one mapping spec for every document and ``anonymous`` ignores partner
        profiles (the mapping test harness uses both for the default specs)."""
        data = _read(path)
        self._forced = spec
        if looks_like_x12(data):
            return self._x12(data, str(path), partner_id, anonymous)
        return self._flat(data, str(path), partner_id)

    def _partner_for(self, data: bytes, partner_id: str | None, notes: list[str]) -> PartnerView | None:
        if self.partners is None:
            if partner_id:
                raise ConfigError([f"no partner profiles are configured, cannot use partner {partner_id!r}"])
            return None
        if partner_id:
            return self.partners.get(partner_id)
        sender = sender_ids(data)
        if sender is None:
            return None
        partner = self.partners.by_interchange_id(*sender)
        if partner is None:
            notes.append(f"sender {sender[0]}:{sender[1]} is not a known partner: translated with the default specs")
        return partner

    def _validator(self, partner: PartnerView | None) -> Validator:
        key = (partner.id if partner else None,)
        v = self._validators.get(key)
        if v is None:
            overlay = _PartnerOverlay(partner) if partner is not None else None
            v = self._validators[key] = Validator(self.x12_library, charset=self.charset, overlay=overlay, keep_segments=True)
        return v

    def _x12(self, data: bytes, name: str, partner_id: str | None, anonymous: bool = False) -> Translation:
        notes: list[str] = []
        partner = None if anonymous else self._partner_for(data, partner_id, notes)
        result = Translation(name, partner.id if partner else None, notes=notes)
        result.documents.extend(self._x12_stream(data, name, partner, notes))
        return result

    def stream(self, path: str | Path, partner_id: str | None = None, spec: str | None = None) -> tuple[Translation, Iterator[Translated]]:
        """Like ``translate`` for X12, but documents come one at a time (constant memory):
        returns the (empty) Translation, whose notes fill in as the iterator runs, and the iterator.
        X12 is read from the file as it is validated, never whole."""
        head = _head(path)
        self._forced = spec
        if not looks_like_x12(head):
            result = self._flat(_read(path), str(path), partner_id)
            return result, iter(result.documents)
        notes: list[str] = []
        partner = self._partner_for(head, partner_id, notes)
        result = Translation(str(path), partner.id if partner else None, notes=notes)
        return result, self._x12_stream(path, str(path), partner, notes, release=True)

    def _x12_stream(self, data: bytes | str | Path, name: str, partner: PartnerView | None, notes: list[str],
                    release: bool = False) -> Iterator[Translated]:
        validator = self._validator(partner)
        seen_interchange = False
        # Each set is mapped as soon as it is validated, then its segments are dropped.
        for event in validator.events(data):
            if isinstance(event, TransactionResult):
                group = event.group
                yield self._x12_set(validator, group.interchange, group, event, partner, name, release)
            elif isinstance(event, (GroupResult, InterchangeResult, Finding)):
                seen_interchange |= isinstance(event, InterchangeResult)
                for f in ([event] if isinstance(event, Finding) else event.findings):
                    if f.severity == "error":
                        notes.append(f"{f.code}: {f.message}")
        if not seen_interchange:
            notes.append("no interchange found")

    def _x12_set(self, validator: Validator, ix, group, t, partner: PartnerView | None, name: str, release: bool = False) -> Translated:
        """``release``: drop the set's segments once its loop tree holds them (a big set's tree and document
        are large enough without them; see ``validator.MAX_SET_BYTES``)."""
        version = (t.convention or group.version or "")[:6] or "004010"
        out = Translated(None, set_id=t.set_id, control_number=t.control_number, offset=t.offset)
        if t.status == "rejected":
            for f in t.findings:
                if f.severity == "error" and f.code != "transaction.segment_errors":
                    where = f.element or f.segment or ""
                    out.issues.append(Issue(f"x12.{f.code}", f.message, "", f"{where} segment {f.position.segment_number or '?'}"))
            return out
        spec_name = self._forced or (partner.inbound_spec(t.set_id, version) if partner else None)
        if spec_name is None and t.set_id in ACK_SETS:  # a partner's 997/999: the engine reads its own protocol
            out.spec = "built-in/functional-ack"
            doc = read_functional_ack(t.set_id, t.segments or [], ix.delimiters)
            doc["correlation"] = _correlation(partner, ix, group, t, name)
            out.document = doc
            out.issues = _schema_issues(doc)
            return out
        spec_name = spec_name or default_spec_name(t.set_id, version)
        out.spec = spec_name
        try:
            spec = self.mappings.get(spec_name)
        except ConfigError as exc:
            out.issues.append(Issue("mapping.spec_missing", f"no mapping for {t.set_id} {version}: {exc.problems[0]}"))
            return out
        x12spec = validator.find_spec(ix.version, t.convention or group.version, group.functional_id, t.set_id)
        machine = validator.compiled(x12spec, ix.delimiters, ix.version).machine
        tree = build_tree(machine, t.segments or [], ix.delimiters)
        if release:
            t.segments = None
        doc, issues = self._mapper(spec, partner).map(tree)
        del tree  # before the schema check and whatever the caller does with the document
        doc["correlation"] = _correlation(partner, ix, group, t, name)
        out.document = doc
        out.issues = issues + _schema_issues(doc)
        return out

    # -- for the pipeline: the same steps, one at a time ----------------------------------------------

    def validate_x12(self, data: bytes, name: str, partner: PartnerView | None) -> tuple[Validator, Report]:
        """The whole interchange validated with the partner's overlay; transaction sets keep their segments
        so that ``map_set`` can lay them out (the pipeline acknowledges before it maps)."""
        validator = self._validator(partner)
        return validator, validator.validate(data, name=name)

    def map_set(self, validator: Validator, t: TransactionResult, partner: PartnerView | None, name: str) -> Translated:
        """One accepted (or rejected) transaction set of a ``validate_x12`` report to a canonical document."""
        self._forced = None
        return self._x12_set(validator, t.group.interchange, t.group, t, partner, name)

    def translate_flat(self, data: bytes, name: str, partner_id: str) -> Translation:
        """A partner flat file's documents (raises ``InputError``/``FlatFileError``/``ConfigError`` as ``translate``)."""
        self._forced = None
        return self._flat(data, name, partner_id)

    def _mapper(self, spec: MappingSpec, partner: PartnerView | None) -> InboundMapper:
        key = (spec.name, partner.id if partner else None)
        mapper = self._mappers.get(key)
        if mapper is None:  # compiled once per (spec, partner)
            tables = Tables(spec.tables, partner.tables if partner else {})
            mapper = self._mappers[key] = InboundMapper(spec, tables, partner.xref if partner else {})
        return mapper

    def _flat(self, data: bytes, name: str, partner_id: str | None) -> Translation:
        from .formats.flatfile import (  # flat files only need the reader when used
            load_layout,
            read,
        )

        if self.partners is None or partner_id is None:
            raise NotX12(f"{name}: not an X12 interchange; a flat file needs --partner (its profile names the file layout)")
        partner = self.partners.get(partner_id)
        spec_name = self._forced or partner.inbound_spec("file", "")
        if not spec_name:
            raise InputError(f"{name}: not an X12 interchange (no ISA at byte 0), and partner {partner_id!r} sends no flat files "
                             "(a flat-file mapping is listed in documents.receives by its spec alone, e.g. - {spec: "
                             f"{partner_id}/orders-csv-in" + "})")
        spec = self.mappings.get(spec_name)
        if spec.source is None or getattr(spec.source, "format", "x12") == "x12":
            raise ConfigError([f"mapping spec {spec_name!r} is not a flat-file mapping (source.format)"])
        result = Translation(name, partner.id)
        layout = self._layouts.get(spec_name)
        if layout is None:
            layout = self._layouts[spec_name] = load_layout(spec.source, spec_name)
        for root in read(layout, data, name):
            doc, issues = self._mapper(spec, partner).map(root)
            doc["correlation"] = _drop_empty({"partner": partner.id, "usage": "production", "source_file": Path(name).name})
            result.documents.append(Translated(doc, issues + _schema_issues(doc), spec=spec_name))
        if not result.documents:
            result.notes.append("the file holds no document")
        return result

    # -- outbound ------------------------------------------------------------------------------------

    def render_set(self, spec_name: str, document: dict, control: str = "0001", d: Delimiters | None = None,
                   tables: dict | None = None) -> tuple[list[list], list[Issue]]:
        """ST..SE segments (element lists) of one transaction set for ``document``."""
        spec = self.mappings.get(spec_name)
        if spec.target is None:
            raise ConfigError([f"mapping spec {spec_name!r} has no target"])
        body, issues = OutboundMapper(spec, Tables(spec.tables, tables or {})).map(document)
        version = spec.target.version
        st = ["ST", spec.target.set, control] + ([version] if version >= "005010" else [])
        segments = [st] + body
        segments.append(["SE", str(len(segments) + 1), control])
        return segments, issues


def render_text(segments: list[list], d: Delimiters | None = None) -> str:
    d = d or Delimiters("*", ":", "~", "^", "\n")
    return "".join(serialize_segment(s[0], s[1:], d) + d.segment + d.suffix for s in segments)


class _PartnerOverlay:
    """Applies the partner's overlay for the spec's transaction set (identity when none)."""

    def __init__(self, partner: PartnerView) -> None:
        self.partner = partner

    def __call__(self, spec):
        overlay = self.partner.overlay(spec.set_id)
        return overlay(spec) if overlay is not None else spec


def _correlation(partner, ix, group, t, name: str) -> dict:
    return _drop_empty({
        "partner": partner.id if partner else None,
        "sender": f"{ix.sender_qualifier}:{ix.sender_id.strip()}",
        "receiver": f"{ix.receiver_qualifier}:{ix.receiver_id.strip()}",
        "interchange_control": ix.control_number,
        "group_control": group.control_number,
        "transaction_control": t.control_number,
        "transaction_set": t.set_id,
        "version": group.version,
        "usage": USAGES.get(ix.usage),
        "source_file": Path(name).name,
    })


def _schema_issues(doc: dict) -> list[Issue]:
    return [Issue("schema.invalid", i.message, i.path, "canonical schema") for i in validate_document(doc)]


def _drop_empty(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "")}


def _head(path: str | Path | bytes, size: int = 4096) -> bytes:
    """The first ``size`` bytes: enough to tell X12 and its sender (ISA, GS)."""
    if isinstance(path, (bytes, bytearray)):
        return bytes(path[:size])
    stream, name = open_source(path)
    try:
        return stream.read(size)
    except OSError as exc:
        raise UnreadableInput(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        stream.close()


def _read(path: str | Path) -> bytes:
    stream, name = open_source(path)
    try:
        return stream.read()
    except OSError as exc:
        raise UnreadableInput(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        stream.close()


def sender_ids(data: bytes) -> tuple[str, str, str | None] | None:
    """ISA05, ISA06 and the first GS02 of an interchange (None when its ISA cannot be read): who sent it."""
    text = data[:4096].lstrip(b"\xef\xbb\xbf" + WHITESPACE.encode())[:700].decode("latin-1")
    scan = scan_isa(text[:400])
    if scan.delimiters is None or len(scan.elements) < 8:
        return None
    d = scan.delimiters
    gs = text[scan.length:].lstrip(WHITESPACE).split(d.segment, 1)[0].split(d.element)
    return scan.elements[4].strip(), scan.elements[5].strip(), (gs[2].strip() or None) if gs[0] == "GS" and len(gs) > 2 else None


def looks_like_x12(data: bytes) -> bool:
    head = data[:64]
    if head.startswith(BOM.encode("latin-1")):
        head = head[3:]
    return head.lstrip(WHITESPACE.encode()).startswith(b"ISA")


KEY_FIELDS = {  # the business number operations search by, per canonical document type
    "purchase_order": "po_number",
    "purchase_order_acknowledgment": "po_number",
    "ship_notice": "shipment_id",
    "invoice": "invoice_number",
}


def describe(translated: Translated) -> str:
    """``850 0001 (po_number 4500012345)``: a document as people find it in a log."""
    head = " ".join(x for x in (translated.set_id, translated.control_number) if x) or "document"
    doc = translated.document or {}
    key = KEY_FIELDS.get(doc.get("document_type", ""))
    if key and doc.get(key):
        head += f" ({key} {doc[key]})"
    return head


def to_json(translation: Translation) -> str:
    return json.dumps([d.document for d in translation.documents if d.document is not None], indent=2, ensure_ascii=False)


class ProfileView:
    """A partner profile as translation sees it (``PartnerView``)."""

    def __init__(self, profile, partners) -> None:
        self.profile = profile
        self.id = profile.id
        self._xref = None
        self._partners = partners

    def inbound_spec(self, set_id: str, version: str) -> str | None:
        for entry in self.profile.documents.receives:
            if set_id == "file" and entry.set is None and entry.spec:
                return entry.spec  # a flat-file document: named only by its spec
            if entry.set == set_id and entry.version[:6] == version[:6]:
                return entry.spec_name("receives")
        return None

    def overlay(self, set_id: str):
        return self.profile.overlay_for(set_id)

    @property
    def tables(self) -> dict:
        return self.profile.tables

    @property
    def xref(self) -> dict:
        if self._xref is None:
            self._xref = self._partners.xref(self.profile)
        return self._xref


class ProfileDirectory:
    """``PartnerDirectory`` over a home's ``partners/`` (``gateway.config.partner.Partners``)."""

    def __init__(self, partners) -> None:
        self.partners = partners
        self._views: dict[str, ProfileView] = {}

    def _view(self, profile) -> ProfileView:
        if profile.id not in self._views:
            self._views[profile.id] = ProfileView(profile, self.partners)
        return self._views[profile.id]

    def by_interchange_id(self, qualifier: str, ident: str, gs_id: str | None = None) -> ProfileView | None:
        profile = self.partners.find(isa_qualifier=qualifier, isa_id=ident, gs_id=gs_id)
        return self._view(profile) if profile is not None else None

    def get(self, partner_id: str) -> ProfileView:
        return self._view(self.partners.load(partner_id))


def translator_for(home, spec_dirs: list[Path] | None = None, charset: str = "extended") -> Translator:
    """The translator of a home: its partners and mapping specs (then the bundled defaults)."""
    from .config.partner import Partners

    return Translator(home.mapping_roots(), ProfileDirectory(Partners(home)), spec_dirs, charset)


__all__ = ["KEY_FIELDS", "GatewayError", "ProfileDirectory", "Translated", "Translation", "Translator", "default_spec_name",
           "describe", "render_text", "to_json", "translator_for"]
