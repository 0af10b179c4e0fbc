"""Typed model of an X12 transaction set spec, as read from a pyx12 map.

The model is plain data: loops hold segments and loops, segments hold simple and
composite elements. ``maps.py`` builds it from XML, ``overlay.py`` derives
partner variants from it, and ``structure.py``/``regexes.py`` compile it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

UNBOUNDED = None  # max_use / repeat value for ">1"


@dataclass(frozen=True, slots=True)
class DataElement:
    """An entry of the data element dictionary (dataele.xml)."""

    num: str
    type: str  # AN, ID, N0..N9, R, DT, TM, B
    min_len: int
    max_len: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class SyntaxRule:
    """A relational condition between elements of one segment (or composite).

    kind: P paired, R required (at least one), E exclusion (at most one),
    C conditional (first present -> all others), L list (first present -> one other).
    positions: 1-based element (or component) positions.
    """

    kind: str
    positions: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> SyntaxRule:
        text = text.strip()
        digits = text[1:]
        if text[:1] not in "PRECL" or not digits.isdigit() or len(digits) % 2 or len(digits) < 4:
            raise ValueError(f"invalid syntax rule {text!r}")
        return cls(text[0], tuple(int(digits[i : i + 2]) for i in range(0, len(digits), 2)))

    def __str__(self) -> str:
        return self.kind + "".join(f"{p:02d}" for p in self.positions)


@dataclass(slots=True)
class ElementDef:
    ref: str  # e.g. BEG03 or PO107-01
    seq: int
    data_ele: DataElement
    usage: str  # R, S, N
    name: str = ""
    codes: tuple[str, ...] = ()  # the map's own list; an ID element's first codes tell same-id segments apart
    external: str | None = None  # name of a code set in codes.xml (checked, never a qualifier)
    regex: str | None = None
    repeat: int = 1
    extra: tuple[str, ...] = ()  # codes a partner overlay adds to the external set

    @property
    def is_composite(self) -> bool:
        return False


@dataclass(slots=True)
class CompositeDef:
    ref: str
    seq: int
    data_ele: str
    usage: str
    name: str = ""
    components: list[ElementDef] = field(default_factory=list)
    syntax: list[SyntaxRule] = field(default_factory=list)
    repeat: int = 1

    @property
    def is_composite(self) -> bool:
        return True


Element = Union[ElementDef, CompositeDef]


@dataclass(slots=True)
class SegmentDef:
    id: str
    name: str
    usage: str
    pos: int
    max_use: int | None
    elements: list[Element] = field(default_factory=list)
    syntax: list[SyntaxRule] = field(default_factory=list)
    path: str = ""  # /ST_LOOP/HEADER/BEG, filled by the loader

    @property
    def is_loop(self) -> bool:
        return False

    def qualifier(self) -> tuple[int, int | None, frozenset[str]] | None:
        """The element that tells same-id segments apart (pyx12's rule).

        Returns (element position, component position or None, codes) or None.
        """
        els = self.elements
        c0 = els[0] if els else None
        if isinstance(c0, ElementDef) and c0.data_ele.type == "ID" and c0.usage == "R" and c0.codes:
            return (1, None, frozenset(c0.codes))
        c1 = els[1] if len(els) > 1 else None
        if self.id == "ENT" and isinstance(c1, ElementDef) and c1.data_ele.type == "ID" and c1.codes:
            return (2, None, frozenset(c1.codes))
        if isinstance(c0, CompositeDef) and c0.components:
            first = c0.components[0]
            if first.codes and (first.data_ele.type == "ID" or (self.id == "CTX" and first.data_ele.type == "AN")):
                return (1, 1, frozenset(first.codes))
        c2 = els[2] if len(els) > 2 else None
        if self.id == "HL" and isinstance(c2, ElementDef) and c2.codes:
            return (3, None, frozenset(c2.codes))
        return None


@dataclass(slots=True)
class LoopDef:
    id: str
    name: str
    usage: str
    pos: int
    repeat: int | None
    type: str = ""  # explicit, implicit, wrapper
    children: list[Union[LoopDef, SegmentDef]] = field(default_factory=list)
    path: str = ""

    @property
    def is_loop(self) -> bool:
        return True

    def first_segment(self) -> SegmentDef | None:
        for child in self.children:
            if isinstance(child, SegmentDef):
                return child
            return child.first_segment()
        return None

    def walk(self):
        """Yield every descendant node, depth first, in document order."""
        for child in self.children:
            yield child
            if isinstance(child, LoopDef):
                yield from child.walk()

    def find(self, xid: str) -> Union[LoopDef, SegmentDef, None]:
        for node in self.walk():
            if node.id == xid:
                return node
        return None

    def segment(self, xid: str) -> SegmentDef | None:
        """The first segment definition with this id (document order)."""
        for node in self.walk():
            if isinstance(node, SegmentDef) and node.id == xid:
                return node
        return None


class CodeSets(dict):
    """codes.xml of a spec directory: code set name -> codes. Shared, never copied (overlays copy specs).

    ``pending`` holds sets not read yet (name -> a function giving its codes): a set is read the
    first time it is asked for, as one document meets a few dozen of the file's hundreds of sets.
    """

    def __init__(self, sets: dict[str, frozenset[str]] | None = None, pending: dict | None = None) -> None:
        super().__init__(sets or {})
        self.pending: dict = pending or {}

    def __missing__(self, name: str) -> frozenset[str]:
        read = self.pending.get(name)
        if read is None:
            if dict.__contains__(self, name):  # another thread read it meanwhile
                return dict.__getitem__(self, name)
            raise KeyError(name)
        codes = self[name] = read()
        self.pending.pop(name, None)
        return codes

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.pending

    def __len__(self) -> int:
        return dict.__len__(self) + len(self.pending)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self):
        return iter(list(dict.keys(self)) + list(self.pending))

    def keys(self):
        return list(self)

    def items(self):
        return [(name, self[name]) for name in list(self)]

    def values(self):
        return [codes for _, codes in self.items()]

    def __deepcopy__(self, memo: dict) -> CodeSets:
        return self


@dataclass(slots=True)
class TransactionSpec:
    """One transaction set map: the ST loop and what identifies it."""

    set_id: str  # 850
    name: str
    st_loop: LoopDef  # the ST_LOOP node: ST ... SE
    source: str = ""  # file the map was read from
    icvn: str = ""  # ISA12 the map was registered under
    vriic: str = ""  # GS08
    fic: str = ""  # GS01
    code_sets: CodeSets = field(default_factory=CodeSets)  # the directory's codes.xml

    def segment_ids(self) -> frozenset[str]:
        return frozenset(n.id for n in self.st_loop.walk() if isinstance(n, SegmentDef))
