"""What this version of the gateway honours in a partner profile, and which partners ``serve`` serves.

"Never accept what you don't honour": a profile may only say what the running gateway does.
The profile model accepts more than this version implements (it describes the channels and
settings to come), so these checks stand between a profile and ``gateway serve``:

* ``unsupported``: settings the model accepts but this version does not act on: channels other
  than ``drop_folder`` (sftp, as2, api), ``documents.sends`` (nothing is sent to partners yet),
  ``acks.expect`` of a 997 or 999 and ``acks.overdue_hours`` (nothing is sent, so nothing is
  awaited), ``acks.request_ta1``, and a drop folder's ``stable_seconds`` outside
  ``complete_when: stable``;
* ``outside_paths``: folders and files the profile names outside the home and the ``allowed_roots`` of
  gateway.yaml (``gateway.config.confine``): a drop folder at ``/etc`` would have its files moved into the store;
* ``route_problems``: routes naming a connector the registry does not know (a type, or a named
  connector of gateway.yaml), or options it rejects (a folder outside the home and the allowed roots too);
* ``identity_clashes``: partners whose envelopes cannot be told apart (the same ISA qualifier and ID, a GS
  ID in common): ``find`` refuses every file that fits both, so neither is served until one changes;
* ``MappingLint``: the mapping specs the partner's received documents are mapped with, checked as
  ``gateway partner check`` checks them (``gateway.mapping.lint``): a path naming an element the
  X12 spec does not have would otherwise map nothing at run time, for every document.

``gateway partner check`` reports all of them (with everything else it checks). ``gateway serve``
serves only partners whose profile loads and passes them (``not_served``): the others are logged
at error level with every problem, listed by ``gateway status``, their drop folders are not read
(files wait there) and work already queued for them is quarantined with
``partner.profile_invalid`` until the profile is fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from .config.partner import CHANNEL_FILES, LoadedProfile, Partners
from .errors import ConfigError
from .home import Home

NOT_SUPPORTED = "not supported by this version"
SERVED_CHANNELS = ("drop_folder",)


def unsupported(loaded: LoadedProfile) -> list[str]:
    """``file:line: ...`` for each setting of the profile this version would not act on."""
    p, source = loaded.profile, loaded.source
    out: list[str] = []

    def flag(loc: tuple, what: str, why: str) -> None:
        out.append(f"{source.where(loc)}: {what}: {NOT_SUPPORTED} ({why})")

    for name in p.channels.names():
        if name not in SERVED_CHANNELS:
            out.append(f"{source.where(('channels', name))}: channel {name} is not served by this version "
                       f"(gateway serve reads drop folders only); remove it and use drop_folder")
    if p.documents.sends:
        flag(("documents", "sends"), "documents.sends", "the gateway does not send documents to partners yet; remove the entries")
    if p.acks.expect in ("997", "999"):
        flag(("acks", "expect"), f"acks.expect {p.acks.expect!r}",
             "the gateway sends no documents, so it awaits no acknowledgement; use auto or none")
    if p.acks.overdue_hours is not None:
        flag(("acks", "overdue_hours"), "acks.overdue_hours", "acknowledgements are not tracked as overdue; remove it")
    if p.acks.request_ta1:
        flag(("acks", "request_ta1"), "acks.request_ta1", "a TA1 the partner sends back is not reconciled; remove it")
    drop = p.channels.drop_folder
    if drop is not None and drop.complete_when != "stable" and "stable_seconds" in _given(source.data, "channels", "drop_folder"):
        flag(("channels", "drop_folder", "stable_seconds"), "channels.drop_folder.stable_seconds",
             f"it applies to complete_when: stable only, and this folder's complete_when is {drop.complete_when}; "
             "remove it or set complete_when: stable")
    return out


def outside_paths(loaded: LoadedProfile, confinement) -> dict[tuple, str]:
    """Location in the profile -> ``file:line: ...`` for each folder or file it names outside the home and gateway.yaml's
    ``allowed_roots`` (``confinement``: a ``gateway.config.confine.Confinement``): drop folders, cross-reference files,
    certificates, keys."""
    p, source = loaded.profile, loaded.source
    named = [(("channels", channel, key), f"channels.{channel}.{key}", getattr(getattr(p.channels, channel), key))
             for channel, keys in CHANNEL_FILES.items() if getattr(p.channels, channel) is not None for key in keys]
    named += [(("xref_files", name), f"xref_files.{name}", file) for name, file in p.xref_files.items()]
    out = {}
    for loc, what, value in named:
        check = confinement.folder_problem if loc[:2] == ("channels", "drop_folder") else confinement.problem
        problem = check(value, what) if value is not None else None
        if problem:
            out[loc] = f"{source.where(loc)}: {problem}"
    return out


def _given(data, *keys: str) -> dict:
    """The mapping at ``keys`` of a profile as written (the model fills in defaults, so it cannot say what was given)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def identity_clashes(loaded: LoadedProfile, partners: Partners, identities: Mapping | None = None) -> list[str]:
    """``file:line: ...`` for each other partner whose envelopes cannot be told apart from this one's (the line: its ISA ID);
    the message names the other partner's file. ``identities``: the partners to compare with (default: all)."""
    return [f"{loaded.source.where(('identity', 'isa_id'))}: {clash}"
            for clash in partners.clashes(loaded.profile.id, loaded.profile.identity, identities)]


def _isa(loaded: LoadedProfile) -> tuple:
    ident = loaded.profile.identity
    return ident.isa_qualifier, ident.isa_id


def route_problems(loaded: LoadedProfile, registry, context) -> list[str]:
    """``file:line: ...`` for each route whose connector the registry does not know or cannot build."""
    out: list[str] = []
    for i, route in enumerate(loaded.profile.routes):
        if route.connector not in registry:
            known = ", ".join(registry.names()) or "none"
            out.append(f"{loaded.source.where(('routes', i, 'connector'))}: unknown connector {route.connector!r} (known: {known})")
            continue
        where = f"{loaded.source.where(('routes', i, 'options'))}: connector {route.connector!r}"
        options = ("routes", i, "options")
        for line in registry.check(route.connector, dict(route.options), context, where=where):
            # A value from ${ENV} is never shown (it may be a secret); the file:line before it is left alone.
            out.append(where + loaded.source.hide(line.removeprefix(where), options) if line.startswith(where) else loaded.source.hide(line, options))
    return out


class MappingLint:
    """The problems ``gateway.mapping.lint`` finds in the mapping specs a partner's received documents use.

    Results are kept per spec and partner table names, with the stamp (path, mtime, size) of each file of
    the spec's ``extends`` chain: many partners sharing the default specs cost one lint of each, and a
    reload lints again only a spec whose files changed (or were shadowed by a new file). They are kept
    in ``store/mapping-lint.json`` too, so that ``gateway status`` and the next start of ``serve`` read
    them instead of loading every spec; that file is used only by the same gateway code, X12 specs and
    ``--spec-dir`` folders (a fingerprint of their files' stamps), and losing it costs one lint."""

    CACHE = "mapping-lint.json"

    def __init__(self, home: Home, spec_dirs: list | None = None, x12=None) -> None:
        self.home = home
        self.spec_dirs = [Path(d) for d in spec_dirs or []]
        self._x12 = x12  # gateway.formats.x12.SpecLibrary: what the specs' paths are checked against (made when needed)
        self._fingerprint = _fingerprint([Path(__file__).parent, *self.spec_dirs])
        self._found: dict[tuple, tuple[list, list[str]]] = {}  # (spec, table names) -> (its chain's files and stamps, problems)
        self._load()

    @property
    def x12(self):
        if self._x12 is None:
            from .formats.x12 import SpecLibrary, bundled_dirs

            self._x12 = SpecLibrary(bundled_dirs() + self.spec_dirs)
        return self._x12

    def problems(self, loaded: LoadedProfile, mappings) -> list[str]:
        """``file:line: ...`` for each problem of the specs ``loaded`` maps received documents with (``mappings``:
        the ``gateway.mapping.spec.SpecLibrary`` the translator uses)."""
        out: list[str] = []
        tables = loaded.profile.tables
        for i, entry in enumerate(loaded.profile.documents.receives):
            name = entry.spec_name("receives")
            where = loaded.source.where(("documents", "receives", i) + (("spec",) if entry.spec else ()))
            if mappings.path_of(name) is None:
                roots = ", ".join(self.home.display(r) for r in mappings.roots)
                out.append(f"{where}: mapping spec {name!r} not found (no {name}.yaml under {roots})")
                continue
            try:
                found = self.spec_problems(mappings, name, tables)
            except ConfigError as exc:
                out.append(f"{where}: mapping spec {name!r} does not load:")
                out += [f"  {p}" for p in exc.problems]
                continue
            out += [p for p in found if p not in out]
        return out

    def spec_problems(self, mappings, name: str, tables: dict) -> list[str]:
        """``file:line: ...`` for each problem of spec ``name`` with a partner's ``tables`` (``gateway translate`` lints
        each spec it uses with it). Raises ``ConfigError`` when the spec does not load."""
        key = (name, tuple(sorted(tables)))
        kept = self._found.get(key)
        if kept is None or not all(mappings.path_of(n) == Path(path) and _stamp(Path(path)) == tuple(stamp) for n, path, stamp in kept[0]):
            from .mapping.lint import lint_spec

            chain, spec = [], name
            for data, source in mappings.chain(name):
                chain.append((spec, source.name, _stamp(Path(source.name))))
                spec = data.get("extends")
            kept = self._found[key] = (chain, lint_spec(mappings, name, self.x12, tables=tables).problems)
            self._save()
        return [self._shown(p, kept[0]) for p in kept[1]]

    def _shown(self, problem: str, chain: list) -> str:
        """Problems are kept with the spec files' full paths; shown as the home shows paths (relative to the current directory)."""
        for _name, path, _stamp_ in chain:
            if problem.startswith(path + ":"):
                return self.home.display(Path(path)) + problem[len(path):]
        return problem

    @property
    def _file(self) -> Path:
        return self.home.root / "store" / self.CACHE

    def _load(self) -> None:
        try:
            doc = json.loads(self._file.read_text(encoding="utf-8"))
            if doc.get("fingerprint") == self._fingerprint:
                for e in doc["specs"]:
                    self._found[(e["spec"], tuple(e["tables"]))] = ([tuple(c) for c in e["chain"]], list(e["problems"]))
        except (OSError, ValueError, KeyError, TypeError):
            self._found = {}  # none yet, or unreadable: lint again

    def _save(self) -> None:
        """Best effort: a store folder that is missing or not writable (status run by another user) only costs a lint."""
        if not self._file.parent.is_dir():
            return
        doc = {"fingerprint": self._fingerprint,
               "specs": [{"spec": k[0], "tables": list(k[1]), "chain": v[0], "problems": v[1]} for k, v in self._found.items()]}
        tmp = self._file.with_name(f".{self.CACHE}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, self._file)
        except OSError:
            tmp.unlink(missing_ok=True)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _fingerprint(roots: list[Path]) -> str:
    """The stamps of every file under ``roots`` (the gateway's code and X12 specs, extra spec folders), hashed."""
    stamps = []
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            stamps += [f"{os.path.join(dirpath, name)}\0{_stamp(Path(dirpath) / name)}" for name in files]
    return hashlib.sha256("\n".join(sorted(stamps)).encode()).hexdigest()


def not_served(partners: Partners, registry=None, context=None, *, lint: MappingLint | None = None,
               mappings=None) -> dict[str, list[str]]:
    """Partner ID -> why ``gateway serve`` does not serve it (its profile does not load, or fails the checks above).
    With ``lint`` the mapping specs are checked too (``mappings``: the spec library used at run time). Without a
    ``registry``, the home's: the connector types and the connectors its gateway.yaml names."""
    from .config.settings import home_registry
    from .connectors import ConnectorContext

    registry = registry or home_registry(partners.home, environ=partners.environ)
    confinement = partners.confinement
    context = context or ConnectorContext(partners.home, dict(os.environ if partners.environ is None else partners.environ),
                                          confinement.allowed_roots)
    out: dict[str, list[str]] = {}
    by_isa: dict[tuple, dict] = {}  # (ISA qualifier, ID) -> partner ID -> identity: each partner is compared with its namesakes only
    for pid, ident in partners.identities().items():
        by_isa.setdefault((ident.isa_qualifier, ident.isa_id), {})[pid] = ident
    read: dict[str, LoadedProfile] = {}
    for pid in partners.ids():
        try:
            read[pid] = partners.read(pid)
        except ConfigError as exc:
            out[pid] = exc.problems
    shared = folder_clashes(read, partners.home)
    for pid, loaded in read.items():
        problems = (unsupported(loaded) + list(outside_paths(loaded, confinement).values()) + shared.get(pid, [])
                    + identity_clashes(loaded, partners, by_isa.get(_isa(loaded), {})) + route_problems(loaded, registry, context))
        if lint is not None:
            problems += lint.problems(loaded, mappings)
        if problems:
            out[pid] = problems
    return out


def folder_clashes(read: Mapping[str, LoadedProfile], home: Home) -> dict[str, list[str]]:
    """Partner ID -> ``file:line: ...`` for a drop folder whose inbound is also a folder of another partner (or its own
    outbound or archive): its files would be taken as that partner's, or our acknowledgements as partner files."""
    folders = {pid: _drop_folders(loaded, home) for pid, loaded in read.items()}
    out: dict[str, list[str]] = {}
    for pid, mine in folders.items():
        inbound = mine["inbound"]
        for other, theirs in folders.items():
            for key, folder in theirs.items():
                same = folder == inbound or (key == "inbound" and (inbound in folder.parents or folder in inbound.parents))
                if (other, key) != (pid, "inbound") and same:
                    whose = f"its own {key}" if other == pid else f"partner {other}'s {key} ({read[other].source.name})"
                    where = read[pid].source.where(("channels", "drop_folder", "inbound"))
                    out.setdefault(pid, []).append(f"{where}: channels.drop_folder.inbound {inbound} is also {whose}: files "
                                                   "there would be taken for the wrong partner or purpose; give each its own folder")
    return out


def _drop_folders(loaded: LoadedProfile, home: Home) -> dict[str, Path]:
    pid, df = loaded.profile.id, loaded.profile.channels.drop_folder
    given = {"inbound": df.inbound, "outbound": df.outbound, "archive": df.archive} if df is not None else {}
    default = {"inbound": home.inbound_dir(pid), "outbound": home.outbound_dir(pid), "archive": home.root / "archive" / pid}
    return {k: Path(os.path.realpath(home.resolve(given[k]) if given.get(k) else default[k])) for k in default}


def home_not_served(home: Home, environ: Mapping[str, str] | None = None, spec_dirs: list | None = None) -> dict[str, list[str]]:
    """``not_served`` for a home's partners (``gateway status``): gateway.yaml's named connectors, mapping specs
    checked as ``serve`` checks them."""
    from .mapping.spec import SpecLibrary as Mappings

    lint = MappingLint(home, spec_dirs)
    return not_served(Partners(home, environ=environ), None, lint=lint,
                      mappings=Mappings(home.mapping_roots()))
