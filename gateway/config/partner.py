"""Partner profiles: the typed model of ``partners/<id>.yaml``, its loader and the registry of profiles.

A profile says who the partner is (ISA and GS identifiers), which documents go
each way and with which mapping spec, how acknowledgements are exchanged, how
their documents deviate from the standard (a validation overlay per transaction
set), how files travel (channels), where the canonical documents go (routes to
ERP connectors) and the code tables and cross-references the mappings use.

The published JSON Schema (``partners/partner.schema.json``, for editors) is
generated from these dataclasses; a test fails when the two drift::

    python -m gateway.config.partner --write     # regenerate after changing the model

Loading (``load_profile``) resolves ``${ENV}`` and ``${ENV:-default}``
references, then reports every problem at once as ``file:line: message``
(unknown keys included) in a ``ConfigError``. Secrets (passwords, private keys,
API keys) are masked in ``to_data()``, ``repr()`` and error messages.
Relative paths in a profile are relative to the home (see ``gateway.home``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from ..canonical.models import DOCUMENTS
from ..data import DATA_ROOT
from ..errors import INVALID_REQUEST, ConfigError
from ..home import Home
from .confine import Confinement, home_confinement
from .identifiers import GS_ID, GS_ID_TEXT, ISA_ID, ISA_ID_TEXT, ISA_QUALIFIER, QUALIFIER_TEXT
from .typed import Doc, Keys, Model, Pattern, Range, Secret
from .yamlio import MIB, Source, kind_of, load_yaml, read_config_text, resolve_env

PUBLISHED = DATA_ROOT / "partners" / "partner.schema.json"
SCHEMA_ID = "https://schemas.edi-gateway.dev/partner.schema.json"

PARTNER_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
RESERVED_IDS = frozenset({"default"})  # the owner of the default mapping specs
SET_ID = r"^[0-9]{3}$"
VERSION = r"^[0-9]{6}[A-Z0-9]{0,6}$"  # GS08: 004010, 005010, 004010VICS, ...
SPEC_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)+$"
NAME = r"^[a-z][a-z0-9_.-]*$"

DocumentType = Literal[tuple(DOCUMENTS)]  # type: ignore[valid-type]
Direction = Literal["receives", "sends"]
Usage = Literal["production", "test", "both"]
AckChoice = Literal["auto", "997", "999", "none"]



def partner_id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a partner ID, or None. The one rule wherever an ID is taken (``partner add``, ``show``,
    ``check``, ``--partner`` options, ``Partners``): the ID is a file name under ``partners/``, never a path."""
    if not isinstance(value, str) or not re.fullmatch(PARTNER_ID, value):
        return f"partner ID {value!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit"
    return None


# Which canonical document a transaction set carries.
SET_DOCUMENTS = {
    "850": "purchase_order",
    "855": "purchase_order_acknowledgment",
    "856": "ship_notice",
    "810": "invoice",
    "997": "functional_ack",
    "999": "functional_ack",
}


# -- identity -------------------------------------------------------------------------------------


@dataclass(repr=False, kw_only=True)
class OurIdentity(Model):
    """How this partner addresses us, when it differs from the gateway's own (``identity`` in gateway.yaml):
    their interchanges must be addressed to it and our acknowledgements to them come from it."""

    isa_qualifier: Annotated[str, Pattern(ISA_QUALIFIER, QUALIFIER_TEXT), Doc("ISA07 on their interchanges, ISA05 on ours")]
    isa_id: Annotated[str, Pattern(ISA_ID, ISA_ID_TEXT), Doc("ISA08 on their interchanges, ISA06 on ours (without padding)")]
    gs_id: Annotated[str | None, Pattern(GS_ID, GS_ID_TEXT), Doc("GS03 on their groups, GS02 on ours; default: isa_id")] = None


@dataclass(repr=False, kw_only=True)
class Identity(Model):
    """Who the partner is on the wire."""

    name: Annotated[str | None, Doc("the partner's name, for people")] = None
    isa_qualifier: Annotated[
        str | None, Pattern(ISA_QUALIFIER, QUALIFIER_TEXT), Doc("ISA05 interchange ID qualifier, e.g. ZZ, 01, 08, 12 (needed when X12 is exchanged)")
    ] = None
    isa_id: Annotated[
        str | None, Pattern(ISA_ID, ISA_ID_TEXT), Doc("ISA06 interchange sender ID, without the padding spaces (needed when X12 is exchanged)")
    ] = None
    gs_ids: Annotated[
        list[Annotated[str, Pattern(GS_ID, GS_ID_TEXT)]], Doc("GS02 application sender codes they use; empty means the same as isa_id")
    ] = field(default_factory=list)
    us: Annotated[OurIdentity | None, Doc("our IDs as this partner knows us (default: the gateway's settings)")] = None

    @property
    def application_ids(self) -> list[str]:
        return self.gs_ids or ([self.isa_id] if self.isa_id else [])

    def label(self) -> str:
        return f"{self.isa_qualifier or '?'}/{self.isa_id or '?'}" if self.isa_id or self.isa_qualifier else "-"


# -- documents and acknowledgements ---------------------------------------------------------------


@dataclass(repr=False, kw_only=True)
class DocumentEntry(Model):
    """One kind of document exchanged: an X12 transaction set (and version) and the mapping spec for it."""

    set: Annotated[str | None, Pattern(SET_ID), Doc("X12 transaction set ID, e.g. \"850\" (quoted)")] = None
    version: Annotated[str, Pattern(VERSION), Doc("X12 version (GS08), e.g. \"004010\" (quoted)")] = "004010"
    spec: Annotated[
        str | None,
        Pattern(SPEC_NAME),
        Doc("mapping spec name under mappings/, e.g. acme-retail/850-004010-in; default: default/<set>-<version>-in (receives) or -out (sends)"),
    ] = None

    def spec_name(self, direction: Direction) -> str:
        if self.spec:
            return self.spec
        return f"default/{self.set}-{self.version[:6]}-{'in' if direction == 'receives' else 'out'}"

    @property
    def document_type(self) -> str | None:
        return SET_DOCUMENTS.get(self.set or "")

    def label(self) -> str:
        return f"{self.set}/{self.version}" if self.set else (self.spec or "?")


@dataclass(repr=False, kw_only=True)
class Documents(Model):
    """The documents exchanged, per direction, seen from the gateway."""

    receives: Annotated[list[DocumentEntry], Doc("documents the gateway receives from the partner (inbound, mapped with a -in spec)")] = field(
        default_factory=list
    )
    sends: Annotated[list[DocumentEntry], Doc("documents the gateway sends to the partner (outbound, mapped with an -out spec)")] = field(
        default_factory=list
    )

    def entries(self) -> list[tuple[Direction, int, DocumentEntry]]:
        return [("receives", i, e) for i, e in enumerate(self.receives)] + [("sends", i, e) for i, e in enumerate(self.sends)]


@dataclass(repr=False, kw_only=True)
class AckPolicy(Model):
    """Functional and interchange acknowledgements with this partner."""

    send: Annotated[AckChoice, Doc("what we send for their functional groups: auto = 997 for versions before 005010, 999 from 005010 on")] = "auto"
    expect: Annotated[AckChoice, Doc("what we expect back for our functional groups (auto as for send)")] = "auto"
    overdue_hours: Annotated[int | None, Range(1), Doc("an expected acknowledgement is overdue after this many hours")] = None
    ta1: Annotated[
        Literal["never", "on_error", "always"],
        Doc("TA1 for their interchanges: on_error = when the envelope has errors or ISA14 asks for one"),
    ] = "on_error"
    request_ta1: Annotated[bool, Doc("set ISA14 to 1 on our interchanges")] = False

    def ack_to_send(self, version: str) -> str | None:
        return _ack_for(self.send, version)

    def ack_expected(self, version: str) -> str | None:
        return _ack_for(self.expect, version)


def _ack_for(choice: str, version: str) -> str | None:
    if choice == "none":
        return None
    if choice == "auto":
        return "999" if version[:6] >= "005010" else "997"
    return choice


# -- validation overlay ---------------------------------------------------------------------------


# Said when a value under codes: fits neither form (e.g. {remove: [..]}).
CODE_FORMS = ("a list of codes to restrict the standard list to ([SA, NE]), or {add: [XX]} to accept codes beyond it "
              "(to stop checking the element's codes, name it in relax_codes)")


@dataclass(repr=False, kw_only=True)
class CodeAddition(Model):
    """Codes this partner sends beyond the element's standard list (the standard codes stay valid)."""

    add: Annotated[list[str], Doc("codes accepted in addition to the standard list, e.g. {add: [XX]}")]


@dataclass(repr=False, kw_only=True)
class ValidationOverlay(Model):
    """Deviations from the standard for one transaction set (see gateway.formats.x12.Overlay).

    Segments are named by ID or map path (N1, /ST_LOOP/HEADER/N1_LOOP/N1), loops by
    loop ID or map path (N9_LOOP), elements by reference designator (BEG05, PO107).
    """

    require: Annotated[list[str], Doc("segments, loops or elements the partner always sends (usage becomes required)")] = field(
        default_factory=list
    )
    relax: Annotated[list[str], Doc("required by the standard, optional for this partner")] = field(default_factory=list)
    forbid: Annotated[list[str], Doc("must not be sent")] = field(default_factory=list)
    codes: Annotated[
        dict[str, Annotated[list[str] | CodeAddition, Doc(CODE_FORMS)]],
        Doc("element -> the only codes allowed, a subset of the standard list (BEG02: [SA, NE]), "
            "or codes accepted beyond it (BEG02: {add: [XX]}); relax_codes drops an element's list"),
    ] = field(default_factory=dict)
    relax_codes: Annotated[list[str], Doc("elements whose code list is not checked: the partner sends codes of its own")] = field(
        default_factory=list
    )
    max_use: Annotated[dict[str, Annotated[int, Range(1)]], Doc("segment or loop -> maximum use / repeat")] = field(default_factory=dict)

    def to_overlay(self, name: str):
        from ..formats.x12 import Overlay

        only = {k: list(v) for k, v in self.codes.items() if isinstance(v, list)}
        added = {k: list(v.add) for k, v in self.codes.items() if isinstance(v, CodeAddition)}
        return Overlay(list(self.require), list(self.relax), list(self.forbid), only, dict(self.max_use), name=name,
                       add_codes=added, relax_codes=list(self.relax_codes))


# -- channels ---------------------------------------------------------------------------------------

SecretText = Annotated[str | None, Secret()]


@dataclass(repr=False, kw_only=True)
class DropFolderChannel(Model):
    """Files exchanged through local (or mounted) folders."""

    inbound: Annotated[str, Doc("folder the partner's files arrive in")]
    outbound: Annotated[str | None, Doc("folder our files for the partner are written to")] = None
    pattern: Annotated[str, Doc("glob of the files to pick up")] = "*"
    archive: Annotated[str | None, Doc("folder processed input is moved to, by day (default: archive/<partner id>/ in the home)")] = None
    complete_when: Annotated[
        Literal["renamed", "marker", "stable"],
        Doc("when a file is complete: renamed into the folder (write-then-rename), a .done marker file exists, or size and time stopped changing"),
    ] = "renamed"
    stable_seconds: Annotated[int, Range(1), Doc("for complete_when: stable")] = 5


@dataclass(repr=False, kw_only=True)
class SftpChannel(Model):
    """Files fetched from and pushed to an SFTP server: the partner's (poll) or ours (host)."""

    mode: Annotated[Literal["poll", "host"], Doc("poll: we connect to their server; host: they connect to ours")] = "poll"
    host: Annotated[str | None, Doc("their server (mode poll)")] = None
    port: Annotated[int, Range(1, 65535)] = 22
    username: str
    password: SecretText = None
    private_key: Annotated[str | None, Secret(), Doc("our private key, PEM text (use ${ENV})")] = None
    private_key_file: Annotated[str | None, Doc("our private key, a file")] = None
    private_key_passphrase: SecretText = None
    known_hosts: Annotated[str | None, Doc("file pinning their host key (mode poll)")] = None
    authorized_keys: Annotated[list[str], Doc("public keys the partner logs in with (mode host)")] = field(default_factory=list)
    inbound_dir: Annotated[str, Doc("remote folder their files are read from")] = "/outbound"
    outbound_dir: Annotated[str, Doc("remote folder our files are written to")] = "/inbound"
    poll_seconds: Annotated[int, Range(10)] = 300


@dataclass(repr=False, kw_only=True)
class As2Channel(Model):
    """AS2 (RFC 4130) over HTTP(S)."""

    as2_id: Annotated[str, Doc("the partner's AS2 name (AS2-From on their messages)")]
    our_as2_id: Annotated[str | None, Doc("our AS2 name for this partner (default: the gateway's)")] = None
    url: Annotated[str | None, Doc("their AS2 endpoint, for what we send")] = None
    partner_certificate: Annotated[str | None, Doc("file with their certificate (PEM): verifies their signatures, encrypts to them")] = None
    private_key: Annotated[str | None, Secret(), Doc("our private key, PEM text (use ${ENV})")] = None
    private_key_file: Annotated[str | None, Doc("our private key, a file")] = None
    private_key_password: SecretText = None
    sign: bool = True
    encrypt: bool = True
    compress: bool = False
    signature_algorithm: Literal["sha256", "sha384", "sha512", "sha1"] = "sha256"
    encryption_algorithm: Literal["aes128_cbc", "aes192_cbc", "aes256_cbc", "tripledes"] = "aes256_cbc"
    mdn: Annotated[Literal["sync", "async", "none"], Doc("receipt (MDN) we ask for")] = "sync"
    mdn_signed: bool = True
    async_mdn_url: Annotated[str | None, Doc("where they send asynchronous MDNs (mdn: async)")] = None


@dataclass(repr=False, kw_only=True)
class ApiChannel(Model):
    """Documents posted to the gateway's HTTP API, and pushed to the partner's webhook."""

    api_key: Annotated[str | None, Secret(), Doc("key the partner presents to our API (use ${ENV})")] = None
    webhook_url: Annotated[str | None, Doc("where we post documents for the partner")] = None
    webhook_token: Annotated[str | None, Secret(), Doc("bearer token for webhook_url")] = None


@dataclass(repr=False, kw_only=True)
class Channels(Model):
    """How files travel to and from the partner (settings are used by the channel implementations)."""

    drop_folder: DropFolderChannel | None = None
    sftp: SftpChannel | None = None
    as2: As2Channel | None = None
    api: ApiChannel | None = None

    def names(self) -> list[str]:
        return [n for n in ("drop_folder", "sftp", "as2", "api") if getattr(self, n) is not None]


CHANNEL_FILES = {  # channel -> settings naming a file or folder that must exist
    "drop_folder": ("inbound", "outbound", "archive"),
    "sftp": ("private_key_file", "known_hosts"),
    "as2": ("partner_certificate", "private_key_file"),
    "api": (),
}


# -- routes -----------------------------------------------------------------------------------------


@dataclass(repr=False, kw_only=True)
class Route(Model):
    """Where canonical documents of one type go: an ERP connector and its options."""

    document: Annotated[DocumentType, Doc("canonical document type")]
    connector: Annotated[str, Pattern(NAME), Doc("a connector named in gateway.yaml (connectors:, e.g. erp) or a connector type (folder, http)")]
    options: Annotated[dict[str, Any], Doc("connector settings (over those of a named connector, key by key)")] = field(default_factory=dict)
    usage: Annotated[
        Usage | None,
        Doc("the interchanges this route takes: production (ISA15 P), test (T) or both; default: the profile's usage"),
    ] = None


# -- the profile ------------------------------------------------------------------------------------


@dataclass(repr=False, kw_only=True)
class PartnerProfile(Model):
    """A trading partner: identity, documents, acknowledgements, validation, channels, routes, tables."""

    schema_id = SCHEMA_ID
    schema_title = "Partner profile"

    id: Annotated[str | None, Pattern(PARTNER_ID), Doc("the partner's ID; must be the file name (partners/<id>.yaml)")] = None
    identity: Identity
    description: str | None = None
    usage: Annotated[
        Usage,
        Doc("the interchanges accepted (ISA15): production (P), test (T) or both; others are quarantined unless a route takes them"),
    ] = "production"
    documents: Documents = field(default_factory=Documents)
    acks: AckPolicy = field(default_factory=AckPolicy)
    validation: Annotated[
        dict[str, ValidationOverlay],
        Keys(SET_ID, "an X12 transaction set ID such as \"850\""),
        Doc("per transaction set: the partner's deviations from the standard"),
    ] = field(default_factory=dict)
    channels: Channels = field(default_factory=Channels)
    routes: list[Route] = field(default_factory=list)
    tables: Annotated[dict[str, dict[str, Any]], Doc("code tables (name -> {their code: ours}); override the mapping spec's")] = field(
        default_factory=dict
    )
    xref: Annotated[dict[str, dict[str, str]], Doc("cross-references (name -> {their value: ours}), e.g. buyer part number -> our SKU")] = field(
        default_factory=dict
    )
    xref_files: Annotated[
        dict[str, str],
        Doc("cross-references kept in CSV files (name -> file): first row a header, then their value, our value"),
    ] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.identity.name or self.id

    def overlay_for(self, set_id: str):
        """The ``gateway.formats.x12.Overlay`` for ``set_id``, or None."""
        v = self.validation.get(set_id)
        return v.to_overlay(f"partner {self.id}, validation {set_id}") if v else None

    def route_for(self, document_type: str) -> list[Route]:
        return [r for r in self.routes if r.document == document_type]

    def routes_for(self, document_type: str, usage: str) -> list[Route]:
        """The routes a ``usage`` (production or test) document of this type goes to."""
        return [r for r in self.route_for(document_type) if (r.usage or self.usage) in (usage, "both")]

    def accepts(self, usage: str) -> bool:
        """Whether ``usage`` (production, test, information) interchanges are taken: by the profile, or by a route."""
        return any(u in (usage, "both") for u in (self.usage, *(r.usage for r in self.routes)))


# -- loading ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class LoadedProfile:
    """A profile with the source it came from (for file:line in later checks)."""

    profile: PartnerProfile
    source: Source
    path: Path


def _read(path: Path, name: str) -> Source:
    return load_yaml(path, name)


def read_profile(path: str | os.PathLike, *, environ: Mapping[str, str] | None = None, name: str | None = None) -> LoadedProfile:
    """Load, resolve ``${ENV}`` and validate ``path``; every problem at once in a ``ConfigError``."""
    p = Path(path)
    source = _read(p, name or str(p))
    if source.data is None:
        raise ConfigError([f"{source.name}:1: the profile is empty"])
    if not isinstance(source.data, dict):
        raise ConfigError([f"{source.name}:1: a partner profile is a YAML mapping (key: value), not {kind_of(source.data)}"])
    problems = resolve_env(source, dict(environ) if environ is not None else None)
    problems += PartnerProfile.problems(source.data, source)
    problems += _semantic_problems(source, p.stem)
    if problems:
        raise ConfigError(_in_line_order([_quote_hint(m) for m in problems]))
    profile = PartnerProfile.load(source)
    profile.id = p.stem
    return LoadedProfile(profile, source, p)


def load_profile(path: str | os.PathLike, *, environ: Mapping[str, str] | None = None) -> PartnerProfile:
    """The partner profile at ``path`` (raises ``ConfigError`` listing every problem as ``file:line: message``)."""
    return read_profile(path, environ=environ).profile


_LINE = re.compile(r"^.*?:(\d+): ")
_NUMBER_NOT_STRING = re.compile(r": (-?\d+(\.\d+)?) is not of type 'string'$")
_NUMBER_NOT_ONE_OF = re.compile(r": (-?\d+) is not one of (\[.*\])$")


def _in_line_order(problems: list[str]) -> list[str]:
    def line(p: str) -> int:
        m = _LINE.match(p)
        return int(m.group(1)) if m else 0

    return sorted(problems, key=line)


def _quote_hint(problem: str) -> str:
    """YAML reads 850 and 004010 as numbers; say how to write them as text."""
    m = _NUMBER_NOT_STRING.search(problem)
    if m:
        return problem[: m.start()] + f": {m.group(1)} is a number here; write it in quotes (\"{m.group(1)}\"; and \"004010\", not 004010)"
    m = _NUMBER_NOT_ONE_OF.search(problem)
    if m and f"'{m.group(1)}'" in m.group(2):
        return problem[: m.start()] + f": {m.group(1)} is a number here; write it in quotes (\"{m.group(1)}\")"
    return problem


def _semantic_problems(source: Source, stem: str) -> list[str]:
    """What the schema cannot say. Runs on raw data, so tolerate anything."""
    data, out = source.data, []
    declared = data.get("id")
    if isinstance(declared, str) and declared != stem:
        out.append(f"{source.where(('id',))}: id {declared!r} does not match the file name ({stem}.yaml)")
    if stem.lower() in RESERVED_IDS:
        out.append(f"{source.name}:1: {stem!r} is reserved (it owns the default mapping specs); choose another partner ID")
    docs = data.get("documents")
    if isinstance(docs, dict):
        for direction in ("receives", "sends"):
            entries = docs.get(direction)
            if not isinstance(entries, list):
                continue
            seen: dict[tuple, int] = {}
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    continue
                if not entry.get("set") and not entry.get("spec"):
                    out.append(f"{source.where(('documents', direction, i))}: give the transaction set (set) or the mapping spec (spec)")
                    continue
                key = (repr(entry.get("set")), str(entry.get("version", "004010"))[:6], repr(entry.get("spec")))  # any type: unchecked yet
                if key in seen:
                    out.append(f"{source.where(('documents', direction, i))}: the same document is listed twice under {direction} "
                               f"(first at item {seen[key] + 1})")
                else:
                    seen[key] = i
    xref, files = data.get("xref"), data.get("xref_files")
    if isinstance(xref, dict) and isinstance(files, dict):
        for name in sorted(set(xref) & set(files)):
            out.append(f"{source.where(('xref_files', name))}: cross-reference {name!r} is defined both in xref and in xref_files")
    return out


MAX_XREF_BYTES = 32 * MIB  # a cross-reference CSV file (a million SKUs fit); YAML documents: yamlio.MAX_YAML_BYTES


def load_xref_file(path: Path, name: str | None = None) -> dict[str, str]:
    """A cross-reference CSV: a header row, then rows of (their value, our value[, ignored columns]); at most
    ``MAX_XREF_BYTES`` (a larger file is refused by its size, unread)."""
    shown = name or str(path)
    text = read_config_text(path, shown, limit=MAX_XREF_BYTES, what="a cross-reference file")
    table: dict[str, str] = {}
    problems = []
    rows = csv.reader(io.StringIO(text))
    try:
        numbered = list(enumerate(rows, start=1))
    except csv.Error as exc:
        raise ConfigError([f"{shown}:{rows.line_num}: not valid CSV ({exc})"]) from None
    for line, row in numbered:
        if line == 1 or not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip():
            problems.append(f"{shown}:{line}: expected two columns: their value, our value")
            continue
        key, value = row[0].strip(), row[1].strip()
        if key in table and table[key] != value:
            problems.append(f"{shown}:{line}: {key!r} is mapped twice ({table[key]!r} and {value!r})")
        table[key] = value
    if problems:
        raise ConfigError(problems)
    return table


# -- registry ---------------------------------------------------------------------------------------


class Partners:
    """The profiles of a home (``partners/*.yaml``): list, load, and find a partner from an envelope.

    Profiles are read on first use and cached; ``reload()`` forgets them.
    """

    def __init__(self, home: Home | str | os.PathLike, *, environ: Mapping[str, str] | None = None,
                 allowed_roots: list[str] | tuple[str, ...] | None = None) -> None:
        self.home = home if isinstance(home, Home) else Home(Path(home), True, None)
        self.environ = environ
        self._allowed_roots = None if allowed_roots is None else tuple(allowed_roots)  # None: gateway.yaml's, when first needed
        self._loaded: dict[str, LoadedProfile] = {}
        self._failed: dict[str, ConfigError] = {}

    @property
    def directory(self) -> Path:
        return self.home.partners_dir

    @property
    def confinement(self) -> Confinement:
        """Where the files and folders profiles name may be: the home and gateway.yaml's ``allowed_roots``."""
        if self._allowed_roots is None:
            self._allowed_roots = home_confinement(self.home, self.environ).allowed_roots
        return Confinement.of(self.home, self._allowed_roots)

    def ids(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.yaml") if p.is_file())

    def path_of(self, partner_id: str) -> Path:
        """``partners/<id>.yaml``; ``ConfigError`` (``config.invalid_request``) for an ID that is no partner ID (``../x``)."""
        problem = partner_id_problem(partner_id)
        if problem:
            raise ConfigError([problem], code=INVALID_REQUEST)
        return self.directory / f"{partner_id}.yaml"

    def exists(self, partner_id: str) -> bool:
        return self.path_of(partner_id).is_file()

    def read(self, partner_id: str) -> LoadedProfile:
        if partner_id in self._failed:
            raise self._failed[partner_id]
        if partner_id not in self._loaded:
            problem = partner_id_problem(partner_id)
            if problem and partner_id in self.ids():  # a file under partners/ whose name is no ID: say which file
                shown = self.home.display(self.directory / f"{partner_id}.yaml")
                raise ConfigError([f"{shown}: the file name is not a partner ID: {problem}; rename the file"])
            path = self.path_of(partner_id)
            if not path.is_file():
                raise ConfigError([f"no partner {partner_id!r} ({self.home.display(path)} does not exist)"], code="config.not_found")
            try:
                self._loaded[partner_id] = read_profile(path, environ=self.environ, name=self.home.display(path))
            except ConfigError as exc:
                self._failed[partner_id] = exc
                raise
        return self._loaded[partner_id]

    def load(self, partner_id: str) -> PartnerProfile:
        return self.read(partner_id).profile

    def load_all(self) -> tuple[dict[str, PartnerProfile], dict[str, list[str]]]:
        """Every profile that loads, and the problems of those that do not."""
        good, bad = {}, {}
        for pid in self.ids():
            try:
                good[pid] = self.load(pid)
            except ConfigError as exc:
                bad[pid] = exc.problems
        return good, bad

    def reload(self) -> None:
        self._loaded.clear()
        self._failed.clear()

    def find(self, *, isa_qualifier: str | None = None, isa_id: str | None = None, gs_id: str | None = None) -> PartnerProfile | None:
        """The partner that sent an interchange: by ISA05/ISA06, narrowed (or, without them, found) by GS02.

        Several partners may share an ISA ID (divisions behind one mailbox) when their
        GS IDs differ. Raises ``ConfigError`` when the identifiers fit more than one partner
        (``config.ambiguous_partner``), and ``config.profile_invalid`` when they fit a profile
        that does not load, or fit no one while a profile too broken to say whom it
        identifies exists: the file is never taken for an unknown partner's.
        """
        profiles, bad = self.load_all()
        candidates: list[tuple[str, Identity | None]] = [(p.id, p.identity) for p in profiles.values()]
        unreadable = []
        for pid in bad:
            ident = self._stated_identity(pid)
            if ident is None:
                unreadable.append(pid)
            else:
                candidates.append((pid, ident))
        if isa_id is not None:
            isa, qual = isa_id.strip(), isa_qualifier.strip() if isa_qualifier is not None else None
            candidates = [(pid, i) for pid, i in candidates if i.isa_id is not None and i.isa_id == isa and (qual is None or i.isa_qualifier == qual)]
        if gs_id is not None and (len(candidates) > 1 or isa_id is None):
            gs = gs_id.strip()
            candidates = [(pid, i) for pid, i in candidates if gs in i.application_ids]
        who = f"ISA {isa_qualifier or '*'}/{isa_id}" if isa_id is not None else ""
        who += f"{' ' if who else ''}GS {gs_id}" if gs_id is not None else ""
        broken = [pid for pid, _ in candidates if pid in bad] or ([] if candidates else unreadable)
        if broken:
            pid = broken[0]
            head = (f"{who} is partner {pid}'s, whose profile does not load" if candidates else
                    f"{who} is not a known partner, and partner {pid}'s profile does not load, so it may be theirs")
            error = ConfigError([f"{head}: {bad[pid][0]}", *bad[pid][1:]], code="config.profile_invalid")
            error.partner_id = pid  # type: ignore[attr-defined]
            raise error
        if len(candidates) > 1:
            raise ConfigError([f"{who} fits several partners: {', '.join(sorted(pid for pid, _ in candidates))}"], code="config.ambiguous_partner")
        return profiles[candidates[0][0]] if candidates else None

    def _stated_identity(self, partner_id: str) -> Identity | None:
        """The identity a profile that does not load states, if its YAML can be read that far."""
        try:
            data = _read(self.path_of(partner_id), partner_id).data
        except ConfigError:
            return None
        ident = data.get("identity") if isinstance(data, dict) else None
        if not isinstance(ident, dict):
            return None
        text = {k: str(ident[k]).strip() for k in ("isa_qualifier", "isa_id") if ident.get(k) is not None}
        gs = [str(g).strip() for g in ident.get("gs_ids") or [] if g is not None] if isinstance(ident.get("gs_ids"), list) else []
        return Identity(isa_qualifier=text.get("isa_qualifier"), isa_id=text.get("isa_id"), gs_ids=gs)

    def conflicts(self, profile: PartnerProfile) -> list[str]:
        """Other partners ``find`` could not tell apart from ``profile``."""
        return self.clashes(profile.id, profile.identity)

    def identities(self) -> dict[str, Identity]:
        """Partner ID -> the identity ``find`` knows the partner by: its profile's, or the one a profile that does not
        load states (``find`` refuses files that fit it rather than take them for someone else's)."""
        profiles, bad = self.load_all()
        out = {pid: p.identity for pid, p in profiles.items()}
        for pid in bad:
            stated = self._stated_identity(pid)
            if stated is not None:
                out[pid] = stated
        return out

    def clashes(self, partner_id: str, ident: Identity, identities: Mapping[str, Identity] | None = None) -> list[str]:
        """Why ``find`` could not tell a partner ``partner_id`` with identity ``ident`` from the others (``identities``,
        default all): one line per partner with the same ISA qualifier and ID and a GS ID in common. A partner
        without GS IDs is known by its ISA ID as GS ID, as ``find`` knows it; different GS IDs tell partners apart."""
        if ident.isa_id is None:
            return []
        out = []
        for pid, other in sorted((self.identities() if identities is None else identities).items()):
            if pid.lower() == partner_id.lower() or (other.isa_qualifier, other.isa_id) != (ident.isa_qualifier, ident.isa_id):
                continue
            shared = [g for g in ident.application_ids if g in other.application_ids]
            if shared:
                out.append(f"partner {pid!r} ({self.home.display(self.path_of(pid))}) has the same ISA ID {ident.isa_qualifier}/{ident.isa_id} "
                           f"and GS ID {', '.join(shared)}: envelopes from them cannot be told apart")
        return out

    def xref(self, profile: PartnerProfile) -> dict[str, dict[str, str]]:
        """The profile's cross-references: inline ones and those read from ``xref_files``."""
        out = {k: dict(v) for k, v in profile.xref.items()}
        confinement = self.confinement
        for name, file in profile.xref_files.items():
            problem = confinement.problem(file, f"xref_files.{name}")
            if problem:
                loaded = self._loaded.get(profile.id or "")
                where = loaded.source.where(("xref_files", name)) if loaded else f"partner {profile.id}"
                raise ConfigError([f"{where}: {problem}"])
            path = self.home.resolve(file)
            out[name] = load_xref_file(path, self.home.display(path))
        return out


# -- published schema -------------------------------------------------------------------------------


def render_schema() -> str:
    return json.dumps(PartnerProfile.json_schema(), indent=2) + "\n"


def write_schema(path: Path = PUBLISHED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_schema(), encoding="utf-8")
    return path


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        print(write_schema())
    else:
        print("usage: python -m gateway.config.partner --write", file=sys.stderr)
        sys.exit(2)
