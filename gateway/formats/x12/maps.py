"""Read X12 specs written in the pyx12 map XML format.

A spec directory is a pyx12 map directory: ``maps.xml`` (which map serves which
ISA12/GS08/GS01), ``dataele.xml`` (data element dictionary), ``codes.xml``
(external code lists) and one XML map per transaction set. Both the attribute
form (map.v2.xsd) and pyx12's older child-element form are accepted, so pyx12's
own maps load too.

The bundled directories live in ``specs/<version>/``; callers can add their own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ...errors import SpecError
from .model import (
    CodeSets,
    CompositeDef,
    DataElement,
    ElementDef,
    LoopDef,
    SegmentDef,
    SyntaxRule,
    TransactionSpec,
)

BUNDLED = Path(__file__).with_name("specs")

# Maps are data from files we may not have written: no entities, no network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


def bundled_dirs() -> list[Path]:
    return sorted(p for p in BUNDLED.iterdir() if (p / "maps.xml").is_file()) if BUNDLED.is_dir() else []


def _parse(path: Path) -> etree._Element:
    try:
        return etree.parse(str(path), _PARSER).getroot()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec file ({exc})") from None
    except etree.XMLSyntaxError as exc:
        raise SpecError(f"{path}:{exc.lineno}: not well-formed XML: {exc.msg}") from None


def _field(node: etree._Element, name: str, default: str | None = None) -> str | None:
    value = node.get(name)
    if value is None:
        child = node.find(name)
        if child is not None and child.text is not None:
            value = child.text.strip()
    return default if value is None else value


def _count(text: str | None, where: str) -> int | None:
    if text is None or text.strip() in (">1", "&gt;1", ""):
        return None
    try:
        return int(text)
    except ValueError:
        raise SpecError(f"{where}: invalid count {text!r}") from None


class DataDictionary:
    """dataele.xml: data element number -> type and length."""

    def __init__(self, elements: dict[str, DataElement]) -> None:
        self.elements = elements

    @classmethod
    def load(cls, path: Path) -> DataDictionary:
        root = _parse(path)
        out: dict[str, DataElement] = {}
        for node in root.iter("data_ele"):
            num = node.get("ele_num")
            try:
                out[num] = DataElement(
                    num=num,
                    type=node.get("data_type"),
                    min_len=int(node.get("min_len")),
                    max_len=int(node.get("max_len")),
                    name=node.get("name") or "",
                )
            except (TypeError, ValueError):
                raise SpecError(f"{path}:{node.sourceline}: incomplete data element {num!r}") from None
        return cls(out)


def load_code_sets(path: Path) -> CodeSets:
    if not path.is_file():
        return CodeSets()
    root = _parse(path)
    pending = {}
    for cs in root.iter("codeset"):
        pending[(cs.findtext("id") or "").strip()] = functools.partial(_codes, cs)
    return CodeSets(pending=pending)


def _codes(codeset: etree._Element) -> frozenset[str]:
    return frozenset((c.text or "").strip() for c in codeset.iter("code"))


class MapReader:
    """Turns one transaction map file into a ``TransactionSpec``; collects all problems."""

    def __init__(self, path: Path, dictionary: DataDictionary, code_sets: CodeSets) -> None:
        self.path = path
        self.dictionary = dictionary
        self.code_sets = code_sets
        self.problems: list[str] = []

    def read(self) -> TransactionSpec:
        root = _parse(self.path)
        if root.tag != "transaction":
            raise SpecError(f"{self.path}:{root.sourceline}: root element must be <transaction>")
        top = root.find("loop")
        if top is None:
            raise SpecError(f"{self.path}: no <loop> in transaction map")
        st_node = self._find_st_loop(top)
        if st_node is None:
            raise SpecError(f"{self.path}: no loop starting with an ST segment")
        st_loop = self._loop(st_node, "")
        if self.problems:
            raise SpecError("\n".join(self.problems))
        return TransactionSpec(
            set_id=root.get("xid") or "",
            name=(root.findtext("name") or "").strip(),
            st_loop=st_loop,
            source=str(self.path),
            code_sets=self.code_sets,
        )

    def _find_st_loop(self, node: etree._Element) -> etree._Element | None:
        for loop in node.iter("loop"):
            first = next((c for c in loop if c.tag in ("segment", "loop")), None)
            if first is not None and first.tag == "segment" and first.get("xid") == "ST":
                return loop
        return None

    def _where(self, node: etree._Element) -> str:
        return f"{self.path}:{node.sourceline}"

    def _loop(self, node: etree._Element, parent_path: str) -> LoopDef:
        xid = node.get("xid") or ""
        loop = LoopDef(
            id=xid,
            name=_field(node, "name", "") or "",
            usage=_field(node, "usage", "S") or "S",
            pos=int(_field(node, "pos", "0") or 0),
            repeat=_count(_field(node, "repeat"), self._where(node)),
            type=node.get("type") or "",
            path=f"{parent_path}/{xid}",
        )
        for child in node:
            if child.tag == "loop":
                loop.children.append(self._loop(child, loop.path))
            elif child.tag == "segment":
                loop.children.append(self._segment(child, loop.path))
        return loop

    def _segment(self, node: etree._Element, parent_path: str) -> SegmentDef:
        xid = node.get("xid") or ""
        seg = SegmentDef(
            id=xid,
            name=_field(node, "name", "") or "",
            usage=_field(node, "usage", "S") or "S",
            pos=int(_field(node, "pos", "0") or 0),
            max_use=_count(_field(node, "max_use"), self._where(node)),
            path=f"{parent_path}/{xid}",
        )
        for child in node:
            if child.tag == "syntax":
                seg.syntax.append(self._syntax(child))
            elif child.tag == "element":
                seg.elements.append(self._element(child))
            elif child.tag == "composite":
                seg.elements.append(self._composite(child, xid))
        seqs = [e.seq for e in seg.elements]
        if seqs != list(range(1, len(seqs) + 1)):
            self.problems.append(f"{self._where(node)}: segment {xid} element seq must run 1..n, got {seqs}")
        return seg

    def _syntax(self, node: etree._Element) -> SyntaxRule:
        try:
            return SyntaxRule.parse(node.text or "")
        except ValueError as exc:
            self.problems.append(f"{self._where(node)}: {exc}")
            return SyntaxRule("R", (1, 1))

    def _element(self, node: etree._Element) -> ElementDef:
        num = _field(node, "data_ele", "") or ""
        data_ele = self.dictionary.elements.get(num)
        if data_ele is None:
            self.problems.append(f"{self._where(node)}: data element {num!r} is not in dataele.xml")
            data_ele = DataElement(num, "AN", 0, 9999)
        codes: tuple[str, ...] = ()
        external = None
        vc = node.find("valid_codes")
        if vc is not None:
            external = vc.get("external")
            codes = tuple((c.text or "").strip() for c in vc.iter("code"))
            if external and external not in self.code_sets:
                self.problems.append(f"{self._where(vc)}: external code set {external!r} is not in codes.xml")
        regex = node.findtext("regex")
        return ElementDef(
            ref=node.get("xid") or "",
            seq=int(_field(node, "seq", "0") or 0),
            data_ele=data_ele,
            usage=_field(node, "usage", "S") or "S",
            name=_field(node, "name", "") or "",
            codes=codes,
            external=external,
            regex=regex.strip() if regex else None,
            repeat=int(_field(node, "repeat", "1") or 1),
        )

    def _composite(self, node: etree._Element, seg_id: str) -> CompositeDef:
        seq = int(_field(node, "seq", "0") or 0)
        comp = CompositeDef(
            ref=node.get("xid") or f"{seg_id}{seq:02d}",
            seq=seq,
            data_ele=_field(node, "data_ele", "") or "",
            usage=_field(node, "usage", "S") or "S",
            name=_field(node, "name", "") or "",
            repeat=int(_field(node, "repeat", "1") or 1),
        )
        for child in node:
            if child.tag == "element":
                comp.components.append(self._element(child))
            elif child.tag == "syntax":
                comp.syntax.append(self._syntax(child))
        return comp


@dataclass(frozen=True, slots=True)
class MapEntry:
    directory: Path
    icvn: str
    vriic: str
    fic: str
    set_id: str
    file: str


class SpecLibrary:
    """All spec directories the engine knows, and the transaction maps they offer.

    Lookup order: exact (ISA12, GS08, GS01), then the same GS08 under any ISA12,
    then the base release (first six characters of GS08, e.g. 004010 for
    004010VICS). Maps are read on first use and cached.
    """

    def __init__(self, directories: Iterable[Path] | None = None) -> None:
        self.directories = [Path(d) for d in (bundled_dirs() if directories is None else directories)]
        self.entries: list[MapEntry] = []
        self._dictionaries: dict[Path, DataDictionary] = {}
        self._code_sets: dict[Path, CodeSets] = {}
        self._cache: dict[tuple[Path, str], TransactionSpec] = {}
        self._lock = threading.Lock()
        for directory in self.directories:
            self._index(directory)

    def _index(self, directory: Path) -> None:
        maps = directory / "maps.xml"
        if not maps.is_file():
            raise SpecError(f"{directory}: not a spec directory (no maps.xml)")
        for version in _parse(maps).iter("version"):
            icvn = version.get("icvn") or ""
            for m in version.iter("map"):
                if not m.get("fic"):
                    continue  # the envelope's control map: envelopes are checked in code
                self.entries.append(
                    MapEntry(directory, icvn, m.get("vriic") or "", m.get("fic") or "", m.get("abbr") or "", (m.text or "").strip())
                )

    def find(self, icvn: str, vriic: str, fic: str, set_id: str | None = None, *, exact: bool = False) -> TransactionSpec | None:
        """The map for a group (ISA12, GS08, GS01), preferring one whose set id is ``set_id``.

        ``exact``: only a map registered under this very GS08/ST03 value will do.
        """
        candidates = [
            [e for e in self.entries if e.icvn == icvn and e.vriic == vriic and e.fic == fic],
            [e for e in self.entries if e.vriic == vriic and e.fic == fic],
        ]
        if exact:
            candidates.append([e for e in self.entries if e.vriic == vriic and _set_of(e) == set_id])
        else:
            candidates.append([e for e in self.entries if e.vriic == vriic[:6] and e.fic == fic])
        if set_id and not exact:
            # A set sent under the wrong GS01 is still validated by its own map.
            candidates += [
                [e for e in self.entries if e.vriic == vriic and _set_of(e) == set_id],
                [e for e in self.entries if e.vriic == vriic[:6] and _set_of(e) == set_id],
            ]
        for group in candidates:
            if not group:
                continue
            if set_id:
                exact = [e for e in group if _set_of(e) == set_id]
                if exact:
                    return self.load(exact[0])
                continue
            return self.load(group[0])
        return None

    def load(self, entry: MapEntry) -> TransactionSpec:
        key = (entry.directory, entry.file)
        with self._lock:
            spec = self._cache.get(key)
            if spec is None:
                spec = self.load_file(entry.directory / entry.file, entry.directory)
                spec.icvn, spec.vriic, spec.fic = entry.icvn, entry.vriic, entry.fic
                self._cache[key] = spec
            return spec

    def load_file(self, path: Path, directory: Path | None = None) -> TransactionSpec:
        directory = directory or path.parent
        if directory not in self._dictionaries:
            self._dictionaries[directory] = DataDictionary.load(directory / "dataele.xml")
            self._code_sets[directory] = load_code_sets(directory / "codes.xml")
        reader = MapReader(path, self._dictionaries[directory], self._code_sets[directory])
        return reader.read()

    def code_sets(self, spec: TransactionSpec) -> dict[str, frozenset[str]]:
        return spec.code_sets or self._code_sets.get(Path(spec.source).parent, {})

    def versions(self) -> list[tuple[str, str, str, str]]:
        return sorted({(e.icvn, e.vriic, e.fic, e.set_id) for e in self.entries})


def _set_of(entry: MapEntry) -> str:
    # abbr is the set id in our maps.xml (pyx12 uses e.g. 837P; keep the digits).
    return entry.set_id[:3] if entry.set_id[:3].isdigit() else entry.set_id
