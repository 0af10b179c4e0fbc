"""Creating work directories: ``gateway init`` and the demo home of ``gateway demo``.

``init_home`` writes ``gateway.yaml`` with our own identity (or a placeholder ``serve`` refuses)
and the ``erp`` folder connector, and the partner schema into ``partners/`` (refreshed when this
version's differs), so that profiles point at a schema that exists wherever the gateway is installed.

A demo home is made the same way (our identity: the samples' receiver, ZZ/WIDGETCO) and holds
copies of the sample partner profiles with a drop folder and routes to the ``erp`` connector added
(``erp/<document type>/``), so the samples run end to end: drop folder → store → acks in
``outbound/<partner>/`` → canonical JSON in ``erp/``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .config.settings import DEFAULT_CONNECTOR, OwnIdentity, read_settings, settings_file, with_identity
from .config.yamlio import dump_yaml, load_yaml
from .errors import ConfigError
from .home import Home

FOLDERS = ("partners", "mappings", "inbound", "outbound", "archive", "store")
DEMO_MARKER = ".gateway-demo"
DEMO_PARTNERS = ("acme-retail", "widget-supply", "corner-hardware")
DEMO_IDENTITY = OwnIdentity(isa_qualifier="ZZ", isa_id="WIDGETCO")  # the receiver of the sample partners' files
PARTNER_SCHEMA = "partner.schema.json"


@dataclass(slots=True)
class Created:
    root: Path
    paths: list[Path] = field(default_factory=list)  # made
    updated: list[Path] = field(default_factory=list)  # there before, changed


def init_home(root: Path, identity: OwnIdentity | None = None) -> Created:
    """The folders, a commented ``gateway.yaml`` and the partner schema; what exists is left alone, except
    a stale partner schema (refreshed) and a missing or placeholder identity when ``identity`` is given
    (``ConfigError`` when gateway.yaml already names another one)."""
    out = Created(root)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} exists and is not a directory")
    if not root.exists():
        root.mkdir(parents=True)
        out.paths.append(root)
    for name in FOLDERS:
        p = root / name
        if not p.exists():
            p.mkdir(parents=True)
            out.paths.append(p)
    cfg = root / "gateway.yaml"
    if not cfg.exists():
        cfg.write_text(settings_file(identity), encoding="utf-8")
        out.paths.append(cfg)
    elif identity is not None and set_identity(Home(root, True, None), identity):
        out.updated.append(cfg)
    existed = (root / "partners" / PARTNER_SCHEMA).exists()
    schema = refresh_partner_schema(root / "partners")
    if schema is not None:
        (out.updated if existed else out.paths).append(schema)
    return out


def set_identity(home: Home, identity: OwnIdentity) -> bool:
    """Write ``identity`` into the home's gateway.yaml when it has none or init's placeholder. False when it
    already has this one; ``ConfigError`` when it has another (changing who we are is done by hand)."""
    settings, source = read_settings(home)
    now = settings.identity
    if now is not None and not now.is_placeholder:
        if _same(now, identity):
            return False
        raise ConfigError([f"{source.where(('identity',))}: our identity is already {now.isa_qualifier}/{now.isa_id} "
                           f"(GS {', '.join(now.application_ids)}); edit {source.name} to change it"])
    path = home.config_file
    text = with_identity(path.read_text(encoding="utf-8"), identity)
    path.write_text(text, encoding="utf-8")
    written = read_settings(home)[0].identity
    if written is None or not _same(written, identity):  # a layout the section could not be found in: say so
        raise ConfigError([f"{source.name}: could not set identity; write it by hand: identity: "
                           f"{{isa_qualifier: {identity.isa_qualifier}, isa_id: {identity.isa_id}}}"])
    return True


def _same(a: OwnIdentity, b: OwnIdentity) -> bool:
    return (a.isa_qualifier, a.isa_id, a.application_ids) == (b.isa_qualifier, b.isa_id, b.application_ids)


def refresh_partner_schema(partners_dir: Path) -> Path | None:
    """Write this version's partner profile schema into ``partners_dir`` unless it is there already; the path when written."""
    from .config.partner import render_schema

    path = partners_dir / PARTNER_SCHEMA
    text = render_schema()
    try:
        if path.read_text(encoding="utf-8") == text:
            return None
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    partners_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def demo_home(root: Path, repo: Path) -> Home:
    """A fresh demo home at ``root`` (emptied first when it is an earlier demo home) with the sample partners."""
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARKER).exists():
            raise FileExistsError(f"{root} is not empty and is not a demo home: choose another directory")
        shutil.rmtree(root)
    init_home(root, DEMO_IDENTITY)
    (root / DEMO_MARKER).write_text("created by gateway demo; the next gateway demo here starts it afresh\n", encoding="utf-8")
    for pid in DEMO_PARTNERS:
        source = load_yaml(repo / "partners" / f"{pid}.yaml", f"{pid}.yaml")
        data = source.data
        data["channels"] = {"drop_folder": {"inbound": f"inbound/{pid}", "outbound": f"outbound/{pid}"}}
        kinds = _received_types(data, repo)
        data["routes"] = [{"document": k, "connector": DEFAULT_CONNECTOR, "options": {"path": f"erp/{k}"}} for k in kinds]
        for file in (data.get("xref_files") or {}).values():
            target = root / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(repo / file, target)
        schema = f"# yaml-language-server: $schema=./{PARTNER_SCHEMA}\n"  # the copy init_home keeps beside it
        (root / "partners" / f"{pid}.yaml").write_text(schema + dump_yaml(data), encoding="utf-8")
        (root / "inbound" / pid).mkdir(parents=True, exist_ok=True)
        (root / "outbound" / pid).mkdir(parents=True, exist_ok=True)
    return Home(root, True, repo)


def demo_inputs(repo: Path) -> list[tuple[str, str, bytes]]:
    """(partner, file name, bytes) the demo drops: every sample partner file, plus one order Acme's
    profile does not allow (an order type outside BEG02 SA/NE) to show a rejection and its quarantine."""
    out = []
    for pid in DEMO_PARTNERS:
        folder = repo / "samples" / "partners" / pid
        for p in sorted(folder.iterdir()) if folder.is_dir() else []:
            if p.is_file() and not p.name.startswith("."):
                out.append((pid, p.name, p.read_bytes()))
    sample = repo / "samples" / "partners" / "acme-retail" / "850-store-replenishment.x12"
    if sample.is_file():
        text = sample.read_bytes()
        bad = text.replace(b"BEG*00*SA*", b"BEG*00*KN*", 1).replace(b"45000200", b"45000299")  # other PO numbers too
        if bad != text:
            bad = _renumber(bad)
            out.append(("acme-retail", "850-order-type-acme-never-sends.x12", bad))
    return out


def _renumber(data: bytes) -> bytes:
    """The same interchange under another ISA13/IEA02 (otherwise it is, rightly, a duplicate)."""
    text = data.decode("latin-1")
    isa13 = text[90:99]
    other = f"{(int(isa13) + 500) % 1_000_000_000:09d}" if isa13.isdigit() else "000000777"
    text = text[:90] + other + text[99:]
    sep = text[3]
    tail = f"IEA{sep}1{sep}{isa13}"
    return text.replace(tail, f"IEA{sep}1{sep}{other}").encode("latin-1")


def _received_types(data: dict, repo: Path) -> list[str]:
    from .config.partner import SET_DOCUMENTS

    kinds = []
    for entry in (data.get("documents") or {}).get("receives") or []:
        kind = SET_DOCUMENTS.get(str(entry.get("set"))) if entry.get("set") else _spec_document(repo, entry.get("spec"))
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def _spec_document(repo: Path, spec: str | None) -> str | None:
    if not spec:
        return None
    path = repo / "mappings" / f"{spec}.yaml"
    if not path.is_file():
        return None
    data = load_yaml(path, path.name).data or {}
    kind = data.get("document")
    return kind if isinstance(kind, str) else None
