"""Partner onboarding: create a working profile (``add``), check one (``check``), summarise them (``summaries``).

Used by ``gateway partner ...``; no printing here. Problems are ``file:line: message``
strings (or ``where: message`` when there is no file), one per problem.

A profile ``add`` writes works with nothing edited by hand in a home ``gateway init`` made: its
documents are routed to the home's ``erp`` connector (gateway.yaml), its drop folders exist, and
its ``$schema`` comment points at the partner schema ``init`` (and ``add``) keep in ``partners/``.
``check_home`` reports what is wrong with the home itself (our identity unset, a named connector
of an unknown type).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import preflight
from .config.identifiers import GS_ID, GS_ID_TEXT, ISA_ID, ISA_ID_TEXT, ISA_QUALIFIER, QUALIFIER_TEXT
from .config.partner import (
    CHANNEL_FILES,
    RESERVED_IDS,
    SET_DOCUMENTS,
    SET_ID,
    Identity,
    LoadedProfile,
    PartnerProfile,
    Partners,
    load_xref_file,
    partner_id_problem,
)
from .config.settings import DEFAULT_CONNECTOR, connector_registry, home_registry, identity_problems, read_settings
from .config.yamlio import dump_yaml
from .errors import INVALID_REQUEST, ConfigError, GatewayError
from .home import Home

CHANNELS: tuple[str, ...] = ("drop_folder", "none")  # what this version serves (sftp, as2, api: see gateway.preflight)
VERSIONS: tuple[str, ...] = ("004010", "005010")
IDENTITY_CLASH = "config.identity_clash"  # ConfigError code: add was asked for an identity another partner has


# -- add --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class NewPartner:
    """What ``gateway partner add`` asks for."""

    id: str
    isa_qualifier: str
    isa_id: str
    gs_ids: list[str] = field(default_factory=list)
    name: str | None = None
    version: str = "004010"
    receives: list[str] = field(default_factory=list)  # transaction sets the gateway receives from the partner
    sends: list[str] = field(default_factory=list)  # transaction sets the gateway sends to the partner
    channel: str | None = None  # None: drop_folder when the home was chosen explicitly, else none

    def problems(self) -> list[str]:
        out = []
        bad_id = partner_id_problem(self.id)
        if bad_id:
            out.append(bad_id)
        elif self.id.lower() in RESERVED_IDS:
            out.append(f"partner ID {self.id!r} is reserved (it owns the default mapping specs)")
        if not re.match(ISA_QUALIFIER, self.isa_qualifier):
            out.append(f"--isa-qualifier {self.isa_qualifier!r} {QUALIFIER_TEXT}")
        if not re.match(ISA_ID, self.isa_id):
            out.append(f"--isa-id {self.isa_id!r} {ISA_ID_TEXT}")
        for gs in self.gs_ids:
            if not re.match(GS_ID, gs):
                out.append(f"--gs-id {gs!r} {GS_ID_TEXT}")
        if self.version not in VERSIONS:
            out.append(f"--version {self.version!r}: one of {', '.join(VERSIONS)}")
        for flag, sets in (("--receives", self.receives), ("--sends", self.sends)):
            for s in sets:
                if not re.match(SET_ID, s):
                    out.append(f"{flag} {s!r}: an X12 transaction set ID such as 850")
            dup = sorted({s for s in sets if sets.count(s) > 1})
            if dup:
                out.append(f"{flag} {', '.join(dup)} given more than once")
        if self.sends:
            out.append(f"--sends {','.join(self.sends)}: {preflight.NOT_SUPPORTED} (the gateway does not send documents to partners yet)")
        if self.channel is not None and self.channel not in CHANNELS:
            out.append(f"--channel {self.channel!r}: one of {', '.join(CHANNELS)}")
        return out


@dataclass(slots=True)
class AddResult:
    profile: Path
    created: list[Path]  # files and folders made, in order
    check: CheckResult


def add_partner(home: Home, new: NewPartner, *, spec_dirs: list[Path] | None = None) -> AddResult:
    """Write ``partners/<id>.yaml`` and ``mappings/<id>/README.md`` (and the drop folders), then check the result.

    Nothing is written when the request has problems, the partner exists or another partner has the same
    identity (ISA qualifier and ID, and a GS ID in common: envelopes from them could not be told apart) (``ConfigError``).
    """
    problems = new.problems()
    if problems:
        raise ConfigError(problems, code=INVALID_REQUEST)
    unusable = home.check_usable()
    if unusable:
        raise ConfigError([unusable])
    partners = Partners(home)
    path = partners.path_of(new.id)
    same = [pid for pid in partners.ids() if pid.lower() == new.id.lower()]  # one ID whatever the file system's case rules
    if same:
        raise ConfigError([f"partner {same[0]!r} already exists ({home.display(partners.path_of(same[0]))})"], code="config.exists")
    ident = Identity(isa_qualifier=new.isa_qualifier, isa_id=new.isa_id, gs_ids=list(new.gs_ids))
    clashes = partners.clashes(new.id, ident)
    if clashes:  # serve could then take neither partner's files: refuse rather than break a working partner
        raise ConfigError([f"partner {new.id!r} not added: {c}; give --gs-id values (GS02) that differ from theirs" for c in clashes],
                          code=IDENTITY_CLASH)
    channel = new.channel or ("drop_folder" if home.explicit or home.is_home else "none")
    document = profile_document(new, channel, home, routed_to=_default_connector(home))
    plain = PartnerProfile.problems(_plain(document))
    if plain:  # a bug of ours: the template and the model disagree
        raise ConfigError([f"generated profile: {p}" for p in plain])

    created: list[Path] = []

    def mkdir(d: Path) -> None:
        if not d.is_dir():
            d.mkdir(parents=True, exist_ok=True)
            created.append(d)

    from .workdir import refresh_partner_schema

    mkdir(home.partners_dir)
    schema = refresh_partner_schema(home.partners_dir)  # what the profile's $schema comment points at
    path.write_text(dump_yaml(document), encoding="utf-8")
    created += [p for p in (schema, path) if p is not None]
    stub_dir = home.mappings_dir / new.id
    mkdir(stub_dir)
    readme = stub_dir / "README.md"
    if not readme.exists():
        readme.write_text(mapping_readme(new), encoding="utf-8")
        created.append(readme)
    if channel == "drop_folder":
        mkdir(home.inbound_dir(new.id))
        mkdir(home.outbound_dir(new.id))
    return AddResult(path, created, check_partner(home, new.id, spec_dirs=spec_dirs))


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _flow(items: list) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _default_connector(home: Home) -> str | None:
    """The connector ``add`` routes to: ``erp`` when the home's gateway.yaml defines it."""
    try:
        settings = read_settings(home)[0]
    except ConfigError:
        return None  # check_home says why
    return DEFAULT_CONNECTOR if DEFAULT_CONNECTOR in settings.connectors else None


def profile_document(new: NewPartner, channel: str, home: Home, routed_to: str | None = None) -> CommentedMap:
    """The YAML of a new profile, with comments that say what each section is for; what it receives is routed
    to the connector ``routed_to`` (a named connector of the home) when given."""
    doc = CommentedMap()
    head = ["yaml-language-server: $schema=./partner.schema.json"]  # beside it in partners/, kept there by init and add
    head += [f"Partner profile: {new.name or new.id}. Check it with: gateway partner check {new.id}",
             "Relative paths are relative to the gateway home (the folder holding partners/)."]
    doc.yaml_set_start_comment("\n".join(head))
    doc["id"] = new.id

    ident = CommentedMap()
    ident["name"] = new.name or new.id
    ident["isa_qualifier"] = new.isa_qualifier
    ident["isa_id"] = new.isa_id
    # GS IDs take 2-15 characters: a one-character ISA ID is no GS ID, and the partner is then known by its ISA ID alone
    ident["gs_ids"] = _flow(list(new.gs_ids or ([new.isa_id] if re.match(GS_ID, new.isa_id) else [])))
    ident.yaml_add_eol_comment("ISA05/ISA06 on their interchanges", "isa_qualifier")
    ident.yaml_add_eol_comment("GS02 on their functional groups", "gs_ids")
    doc["identity"] = ident
    doc["usage"] = "production"
    doc.yaml_add_eol_comment("interchanges taken (ISA15): production (P), test (T) or both; routes may say usage: test", "usage")

    docs = CommentedMap()
    for direction, sets, suffix in (("receives", new.receives, "in"), ("sends", new.sends, "out")):
        entries = CommentedSeq()
        for s in sets:
            e = CommentedMap()
            e["set"] = s
            e["version"] = new.version
            e["spec"] = f"default/{s}-{new.version}-{suffix}"
            entries.append(e)
        if not entries:
            entries.fa.set_flow_style()
        docs[direction] = entries
    docs.yaml_add_eol_comment("documents the gateway receives from the partner (inbound)", "receives")
    docs.yaml_add_eol_comment("documents the gateway sends to the partner: not supported by this version, leave empty", "sends")
    doc["documents"] = docs
    doc.yaml_set_comment_before_after_key(
        "documents", before=f"\nTo change a mapping for this partner only, copy a spec to mappings/{new.id}/ (with extends:) and name it here.")

    acks = CommentedMap()
    acks["send"] = "auto"
    acks["ta1"] = "on_error"
    acks.yaml_add_eol_comment("for their groups: 997 (before 005010) or 999; or 997, 999, none", "send")
    acks.yaml_add_eol_comment("never, on_error (or when ISA14 asks), always", "ta1")
    doc["acks"] = acks

    doc["validation"] = CommentedMap()
    doc.yaml_set_comment_before_after_key(
        "validation", before="\nPartner deviations per transaction set, e.g.\n"
        "  \"850\": {require: [BEG05], codes: {BEG02: [SA, NE]}, relax: [], forbid: [], max_use: {N9: 5}}")

    channels = CommentedMap()
    if channel == "drop_folder":
        channels["drop_folder"] = CommentedMap(inbound=f"inbound/{new.id}", outbound=f"outbound/{new.id}")
    doc["channels"] = channels
    doc.yaml_set_comment_before_after_key(
        "channels", before="\nHow files travel: drop_folder (the only channel this version serves; sftp, as2 and api are refused).")

    kinds = [] if routed_to is None else _received_documents(new)
    doc["routes"] = _flow([]) if not kinds else CommentedSeq(CommentedMap(document=k, connector=routed_to) for k in kinds)
    where = (f"connector {routed_to} is defined in gateway.yaml (connectors:); a route's options are laid over its own." if routed_to else
             "e.g. - {document: purchase_order, connector: folder, options: {path: erp/orders}}\n"
             "(connector: a type, folder or http, or a connector named in gateway.yaml, connectors:).")
    doc.yaml_set_comment_before_after_key(
        "routes", before=f"\nWhere canonical documents go: {where}\nA route with usage: test takes test interchanges (ISA15 T).")
    doc["tables"] = CommentedMap()
    doc.yaml_set_comment_before_after_key("tables", before="\nCode tables overriding the mapping spec's: name -> {their code: ours}")
    doc["xref"] = CommentedMap()
    doc.yaml_set_comment_before_after_key(
        "xref", before="\nCross-references: name -> {their value: ours} (or xref_files: name -> a CSV file)")
    return doc


def _received_documents(new: NewPartner) -> list[str]:
    """The canonical documents of what the partner sends us; functional acknowledgements need no route."""
    kinds = [SET_DOCUMENTS.get(s) for s in new.receives]
    return list(dict.fromkeys(k for k in kinds if k and k != "functional_ack"))


def mapping_readme(new: NewPartner) -> str:
    pid = new.id
    example = (new.receives and f"{new.receives[0]}-{new.version}-in") or (new.sends and f"{new.sends[0]}-{new.version}-out") or f"850-{new.version}-in"
    return f"""# Mappings for {pid}

The profile (`partners/{pid}.yaml`) names, for every document, the mapping spec it uses. By default that
is a shared spec such as `default/{example}`. To change a mapping for {pid} only, write a spec here
that builds on the default and restates only what differs, then name it in the profile
(`spec: {pid}/{example}`):

```yaml
# mappings/{pid}/{example}.yaml
extends: default/{example}
document: purchase_order
direction: inbound
fields:
  department: "REF[REF01=19]/REF02"
```

## Mapping tests

Every spec can have test cases next to it, in a folder named after the spec with `.fixtures`:

```
mappings/{pid}/{example}.yaml
mappings/{pid}/{example}.fixtures/
    replenishment-order.x12             input: <case>.x12, <case>.csv, <case>.json or <case>.xml
    replenishment-order.expected.json   the canonical documents that input must map to (a JSON list)
```

Name each case after the business scenario it covers (`rush-order-with-ship-to`,
`missing-po-date`). An outbound spec (`-out`) takes `<case>.json` (a canonical document) and expects
`<case>.expected.x12` (the transaction set it must give).

Check the profile and everything it refers to with `gateway partner check {pid}`.
"""


# -- check ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CheckResult:
    partner_id: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    profile: PartnerProfile | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_home(home: Home) -> list[str]:
    """What is wrong with the home itself: gateway.yaml that does not load, our identity unset (init's placeholder),
    a named connector of an unknown type. Nothing for a folder that is no home (no gateway.yaml)."""
    if not home.config_file.is_file():
        return []
    try:
        settings, source = read_settings(home)
    except ConfigError as exc:
        return exc.problems
    problems = identity_problems(home, settings, source)
    try:
        connector_registry(settings, source)
    except ConfigError as exc:
        problems += exc.problems
    return problems


def check_partner(home: Home, partner_id: str, *, spec_dirs: list[Path] | None = None, partners: Partners | None = None,
                  registry=None) -> CheckResult:
    """Everything that would go wrong with a partner at run time: its profile (and what of it this version does
    not honour), the mapping specs it uses checked against their X12 specs and the canonical schema, its
    tables and cross-references, its routes' connectors (``registry``: default the home's, with gateway.yaml's
    named connectors), the files it names."""
    partners = partners or Partners(home)
    result = CheckResult(partner_id)
    try:
        loaded = partners.read(partner_id)
    except ConfigError as exc:
        result.problems += exc.problems
        return result
    result.profile = loaded.profile
    _Checker(home, partners, loaded, result, spec_dirs or [], registry).run()
    return result


class _Checker:
    def __init__(self, home: Home, partners: Partners, loaded: LoadedProfile, result: CheckResult, spec_dirs: list[Path], registry) -> None:
        self.home, self.partners, self.loaded, self.result = home, partners, loaded, result
        self.profile, self.source = loaded.profile, loaded.source
        self.spec_dirs = spec_dirs
        self.registry = registry
        self._x12 = None
        self.tables_used: set[str] = set()
        self.xrefs_used: dict[str, str] = {}  # name -> where a rule uses it

    def where(self, *loc) -> str:
        return self.source.where(loc)

    def problem(self, loc: tuple, message: str) -> None:
        self.result.problems.append(f"{self.where(*loc)}: {message}")

    def warn(self, loc: tuple, message: str) -> None:
        self.result.warnings.append(f"{self.where(*loc)}: {message}")

    @property
    def x12(self):
        if self._x12 is None:
            from .formats.x12 import SpecLibrary, bundled_dirs

            self._x12 = SpecLibrary(bundled_dirs() + [Path(d) for d in self.spec_dirs])
        return self._x12

    def run(self) -> None:
        self.result.problems += preflight.unsupported(self.loaded)
        self.identity()
        self.documents()
        self.validation()
        self.files()
        self.lookups()
        self.routes()

    # -- parts --

    def identity(self) -> None:
        ident = self.profile.identity
        x12 = [e for _d, _i, e in self.profile.documents.entries() if e.set]
        if (x12 or ident.isa_id or ident.isa_qualifier) and (ident.isa_id is None or ident.isa_qualifier is None):
            missing = " and ".join(k for k in ("isa_qualifier", "isa_id") if getattr(ident, k) is None)
            why = f"needed to exchange X12 ({', '.join(e.label() for e in x12)})" if x12 else "give both ISA05 and ISA06, or neither"
            self.problem(("identity",), f"{missing} missing: {why}")
        self.result.problems += preflight.identity_clashes(self.loaded, self.partners)

    def documents(self) -> None:
        from .mapping.spec import SpecLibrary as MappingLibrary

        library = MappingLibrary(self.home.mapping_roots())
        roots = ", ".join(self.home.display(r) for r in library.roots)
        for direction, i, entry in self.profile.documents.entries():
            loc = ("documents", direction, i)
            name = entry.spec_name(direction)
            spec_loc = loc + ("spec",) if entry.spec else loc
            if entry.set and self.x12.find("", entry.version, "", entry.set) is None:
                versions = sorted({v[1][:6] for v in self.x12.versions() if v[3][:3] == entry.set})
                hint = f" (it has {', '.join(versions)})" if versions else ""
                self.problem(loc + ("set",), f"no X12 spec for {entry.set} version {entry.version}{hint}")
            if library.path_of(name) is None:
                self.problem(spec_loc, f"mapping spec {name!r} not found (no {name}.yaml under {roots})")
                continue
            try:
                spec = library.get(name)
            except GatewayError as exc:
                self.problem(spec_loc, f"mapping spec {name!r} does not load:")
                self.result.problems += [f"  {p}" for p in getattr(exc, "problems", [str(exc)])]
                continue
            except Exception as exc:
                self.problem(spec_loc, f"mapping spec {name!r} does not load: {type(exc).__name__}: {exc}")
                continue
            expected = "inbound" if direction == "receives" else "outbound"
            if spec.direction != expected:
                self.problem(spec_loc, f"mapping spec {name!r} is {spec.direction}, but '{direction}' needs an {expected} spec")
                continue
            x12 = spec.source if expected == "inbound" else spec.target
            if (entry.set and x12 is not None and getattr(x12, "format", None) == "x12"
                    and (x12.set, x12.version[:6]) != (entry.set, entry.version[:6])):
                self.problem(spec_loc, f"mapping spec {name!r} is for {x12.set} {x12.version}, not {entry.set} {entry.version}")
            if entry.document_type and spec.document != entry.document_type:
                self.problem(spec_loc, f"mapping spec {name!r} maps a {spec.document}, but {entry.set} carries a {entry.document_type}")
            self.lint(library, name)

    def lint(self, library, name: str) -> None:
        """The spec's paths, fields and tables, against its X12 spec, the canonical schema and this profile's tables."""
        from .mapping.lint import lint_spec

        shown = lambda file: self.home.display(Path(file))  # noqa: E731
        found = lint_spec(library, name, self.x12, tables=self.profile.tables, shown=shown)
        self.result.problems += [p for p in found.problems if p not in self.result.problems]
        self.tables_used |= found.tables_used
        for ref, where in found.xrefs_used.items():
            self.xrefs_used.setdefault(ref, f"{where}: mapping spec {name!r}")

    def lookups(self) -> None:
        """Tables and cross-references: each one a rule uses exists, each one the profile defines is used."""
        defined = set(self.profile.xref) | set(self.profile.xref_files)
        for ref, where in sorted(self.xrefs_used.items()):
            if ref not in defined:
                self.result.problems.append(f"{where} looks values up in cross-reference {ref!r}, which {self.source.name} does not "
                                            "define (xref or xref_files)")
        for key, names in (("xref", self.profile.xref), ("xref_files", self.profile.xref_files)):
            for ref in sorted(set(names) - set(self.xrefs_used)):
                self.problem((key, ref), f"cross-reference {ref!r} is not used by any rule of the mapping specs this partner uses")
        for table in sorted(set(self.profile.tables) - self.tables_used):
            self.problem(("tables", table), f"table {table!r} is not used by any rule of the mapping specs this partner uses")

    def validation(self) -> None:
        from .errors import SpecError

        entries = self.profile.documents.entries()
        for set_id, overlay in self.profile.validation.items():
            loc = ("validation", set_id)
            versions = sorted({e.version for _, _, e in entries if e.set == set_id})
            if not versions:
                self.warn(loc, f"validation for {set_id}, but this partner exchanges no {set_id}")
                continue
            for version in versions:
                spec = self.x12.find("", version, "", set_id)
                if spec is None:
                    continue  # reported under documents
                try:
                    overlay.to_overlay(f"validation {set_id}")(spec)
                except SpecError:
                    self._locate_overlay_errors(set_id, overlay, spec, version)

    def _locate_overlay_errors(self, set_id: str, overlay, spec, version: str) -> None:
        """Apply each reference alone, to say which line is wrong."""
        from .config.partner import ValidationOverlay
        from .errors import SpecError

        items: list[tuple[tuple, ValidationOverlay]] = []
        for key in ("require", "relax", "forbid", "relax_codes"):
            for i, ref in enumerate(getattr(overlay, key)):
                items.append(((key, i), ValidationOverlay(**{key: [ref]})))
        for ref, codes in overlay.codes.items():
            items.append((("codes", ref), ValidationOverlay(codes={ref: codes})))
        for ref, n in overlay.max_use.items():
            items.append((("max_use", ref), ValidationOverlay(max_use={ref: n})))
        for sub, single in items:
            try:
                single.to_overlay(f"validation {set_id}")(spec)
            except SpecError as exc:
                ref = sub[1] if isinstance(sub[1], str) else getattr(overlay, sub[0])[sub[1]]
                if "not found" in str(exc):
                    message = f"{ref} is not a segment, loop or element of the X12 {set_id} {version} spec"
                else:
                    message = re.sub(r" \(/[^)]*\)$", "", str(exc).split(": ", 1)[-1]) + f" (X12 {set_id} {version})"
                self.problem(("validation", set_id) + sub, message)

    def files(self) -> None:
        outside = preflight.outside_paths(self.loaded, self.partners.confinement)  # reported instead of whether they exist
        self.result.problems += outside.values()
        ch = self.profile.channels
        for channel, keys in CHANNEL_FILES.items():
            settings = getattr(ch, channel)
            if settings is None:
                continue
            for key in keys:
                value = getattr(settings, key)
                if not value or ("channels", channel, key) in outside:
                    continue
                path = self.home.resolve(value)
                want_dir = channel == "drop_folder"
                if want_dir and not path.is_dir():
                    self.problem(("channels", channel, key), f"{key} folder {value!r} does not exist ({self.home.display(path)})")
                elif not want_dir and not path.is_file():
                    self.problem(("channels", channel, key), f"{key} file {value!r} does not exist ({self.home.display(path)})")
        if ch.sftp is not None and ch.sftp.mode == "poll" and not ch.sftp.host:
            self.problem(("channels", "sftp"), "mode poll (we fetch from their server) needs host")
        if ch.as2 is not None and ch.as2.mdn == "async" and not ch.as2.async_mdn_url:
            self.problem(("channels", "as2", "mdn"), "mdn async needs async_mdn_url")
        for name, file in self.profile.xref_files.items():
            path = self.home.resolve(file)
            if ("xref_files", name) in outside:
                continue
            if not path.is_file():
                self.problem(("xref_files", name), f"cross-reference file {file!r} does not exist ({self.home.display(path)})")
                continue
            try:
                load_xref_file(path, self.home.display(path))
            except ConfigError as exc:
                self.result.problems += exc.problems

    def routes(self) -> None:
        from .connectors import ConnectorContext

        registry = self.registry or home_registry(self.home)
        context = ConnectorContext(self.home, dict(os.environ if self.partners.environ is None else self.partners.environ),
                                   self.partners.confinement.allowed_roots)
        self.result.problems += preflight.route_problems(self.loaded, registry, context)
        received = {e.document_type for e in self.profile.documents.receives if e.document_type}
        for i, route in enumerate(self.profile.routes):
            if route.document not in received and route.document != "functional_ack":
                self.warn(("routes", i, "document"), f"route for {route.document}, but this partner sends the gateway no {route.document}")


# -- list -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Summary:
    id: str
    name: str = ""
    isa: str = ""
    receives: list[str] = field(default_factory=list)
    sends: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "isa": self.isa, "receives": self.receives, "sends": self.sends,
                "channels": self.channels, "ok": not self.problems, "problems": self.problems}


def summaries(home: Home) -> list[Summary]:
    """One line's worth per profile; a profile that does not load is listed with its problems."""
    partners = Partners(home)
    good, bad = partners.load_all()
    out = []
    for pid in partners.ids():
        if pid in bad:
            out.append(Summary(pid, problems=bad[pid]))
            continue
        p = good[pid]
        out.append(Summary(pid, p.name, p.identity.label(),
                           [e.label() for e in p.documents.receives], [e.label() for e in p.documents.sends], p.channels.names()))
    return out
