"""Compile a transaction set's loop structure into a transition table.

The walk that decides where a segment belongs (pyx12's rules: scan forward
from the current position in the current loop, then pop to the parent loop and
scan on from there, entering a child loop when its first segment matches) only
depends on the current segment node and the incoming segment ID (plus, for
qualified segments, one element value). It is therefore computed once per
node, the first time a segment stands there, for every segment ID that can
follow. At run time a segment costs a
dict lookup; counts are kept only for the current segment's consecutive
repeats and for the open loops' iterations (one number per loop, as a loop
is open at most once at a time), because the walk never moves backwards
within a loop iteration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .model import LoopDef, SegmentDef, TransactionSpec

FORWARD, LOOP, REPEAT, COMPLEX, CANDIDATES = 0, 1, 2, 3, 4  # the fast kinds first
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


@dataclass(slots=True)
class Transition:
    """Where a segment goes from a given state and what happens on the way.

    kind FORWARD: same loop iteration, nothing to check but the segment itself.
    kind REPEAT: the current segment again (count against max use).
    kind LOOP: loops close and/or open, nothing else (counted against loop repeat).
    kind COMPLEX: mandatory nodes were skipped, usage N, HL or SE: the full rule set.
    """

    kind: int
    target: int  # index of the target segment node
    pops: int = 0  # loops closed, innermost first
    pushes: tuple[int, ...] = ()  # loops opened, outermost first
    reentry: bool = False  # first pushed loop is the last popped one: a new iteration
    missing: tuple[SegmentDef | LoopDef, ...] = ()
    not_used: tuple[SegmentDef | LoopDef, ...] = ()
    qualifier: tuple[int, int | None, frozenset[str]] | None = None
    hl: bool = False
    fresh: tuple[int, ...] = ()  # loops opened anew (pushes, minus the re-entered one)

    def __post_init__(self) -> None:
        self.fresh = self.pushes[1:] if self.reentry else self.pushes


class Candidates(list):
    """Transitions for one segment ID told apart by a qualifier; first match wins."""

    kind = CANDIDATES


def lazy_tables(count: int, make: Callable[[int], dict]) -> list[dict]:
    """``count`` tables, ``tables[i]`` made by ``make(i)`` the first time it is looked into.

    A plain list, so that the validator's hot loop indexes it at full speed: each slot
    holds a stand-in until its table is made, which then takes the stand-in's place.
    """
    tables: list[dict] = []
    tables.extend(_Unmade(tables, i, make) for i in range(count))
    return tables


class _Unmade(dict):
    """Stands in ``tables[state]`` for a table not made yet (see ``lazy_tables``)."""

    __slots__ = ("make", "made", "state", "tables")

    def __init__(self, tables: list[dict], state: int, make: Callable[[int], dict]) -> None:
        super().__init__()
        self.tables, self.state, self.make, self.made = tables, state, make, None

    def _table(self) -> dict:
        if self.made is None:
            self.made = self.make(self.state)
            self.tables[self.state] = self.made
        return self.made

    def get(self, key: str, default: Any = None) -> Any:
        return self._table().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._table()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._table()

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def keys(self) -> Any:
        return self._table().keys()

    def values(self) -> Any:
        return self._table().values()

    def items(self) -> Any:
        return self._table().items()


class Machine:
    """The compiled structure of one transaction set spec."""

    def __init__(self, spec: TransactionSpec) -> None:
        self.spec = spec
        self.nodes: list[SegmentDef] = []
        self.loops: list[LoopDef] = []
        self.parent: dict[int, LoopDef] = {}  # id(node) -> parent loop
        self._index: dict[int, int] = {}  # id(segment) -> index
        self._loop_index: dict[int, int] = {}
        self._collect(spec.st_loop)
        self.root = spec.st_loop
        first = spec.st_loop.first_segment()
        if first is None or first.id != "ST":
            raise ValueError(f"{spec.source}: the ST loop must start with ST")
        self.start = self._index[id(first)]
        se = [i for i, n in enumerate(self.nodes) if n.id == "SE" and self.parent[id(n)] is spec.st_loop]
        self.se = se[-1] if se else -1
        self.segment_ids = frozenset(n.id for n in self.nodes)
        # tables[state]: segment ID -> where it leads from node ``state``; made on first use (a
        # one-PO file meets a tenth of an 850's nodes, and the walk is most of what Machine costs).
        self.tables: list[dict[str, Transition | Candidates]] = lazy_tables(len(self.nodes), self._table)

    # -- tree ------------------------------------------------------------------

    def _collect(self, loop: LoopDef) -> None:
        self._loop_index[id(loop)] = len(self.loops)
        self.loops.append(loop)
        for child in _ordered(loop):
            self.parent[id(child)] = loop
            if isinstance(child, SegmentDef):
                self._index[id(child)] = len(self.nodes)
                self.nodes.append(child)
            else:
                self._collect(child)

    def loop_index(self, loop: LoopDef) -> int:
        return self._loop_index[id(loop)]

    def chain(self, node: SegmentDef | LoopDef) -> list[LoopDef]:
        """Open loops around ``node``, outermost (the ST loop) first."""
        out = []
        p = self.parent.get(id(node))
        while p is not None:
            out.append(p)
            p = self.parent.get(id(p))
        return out[::-1]

    # -- compile ---------------------------------------------------------------

    def _table(self, state: int) -> dict[str, Transition | Candidates]:
        """One forward walk from ``state``, collecting every segment ID's candidates.

        A segment ID's candidate list ends at its first candidate without a
        qualifier; a qualified candidate may fail at run time, and the walk then
        goes on exactly as pyx12's does (including what it counts as missing).
        """
        current = self.nodes[state]
        seen = {id(current)} | {id(x) for x in self.chain(current)}
        found: dict[str, list[Transition]] = {}
        done: set[str] = {"ST"}  # a new ST is the envelope's business (SE missing)
        missing: list[SegmentDef | LoopDef] = []
        popped: list[LoopDef] = []
        loop = self.parent[id(current)]
        from_pos = current.pos

        def offer(tag: str, t: Transition) -> None:
            if tag in done:
                return
            found.setdefault(tag, []).append(t)
            if t.qualifier is None:
                done.add(tag)

        while True:
            kids = _ordered(loop)
            for child in kids:
                if child.pos < from_pos:
                    continue
                if isinstance(child, SegmentDef):
                    qual = child.qualifier()
                    if child is kids[0] and not _wrapper(loop):
                        # The loop's own first segment: a new iteration of this loop.
                        offer(child.id, self._make(state, child, popped + [loop], [loop], missing, qual))
                    else:
                        offer(child.id, self._make(state, child, popped, [], missing, qual))
                    if child.usage == "R" and id(child) not in seen and child.pos != current.pos:
                        missing.append(child)
                else:
                    again = bool(popped) and popped[-1] is child
                    if not (again and _wrapper(child)):  # a table (wrapper) is never entered twice
                        for tag, pushes, seg, qual, skipped in self._entries(child):
                            offer(tag, self._make(state, seg, popped, pushes, missing + skipped, qual))
                    self._loop_missing(child, seen, missing)
            if loop is self.root:
                break
            popped = popped + [loop]
            from_pos = loop.pos
            loop = self.parent[id(loop)]
        return {tag: (ts[0] if len(ts) == 1 and ts[0].qualifier is None else Candidates(ts)) for tag, ts in found.items()}

    def _entries(self, loop: LoopDef) -> list[tuple[str, list[LoopDef], SegmentDef, tuple | None, list]]:
        """Ways into ``loop``, in walk order: (segment ID, loops opened, target, qualifier, skipped mandatory nodes).

        A real loop is entered by its first segment only. A wrapper (the heading,
        detail and summary tables) is entered by any of its children; mandatory
        children passed over on the way in are missing.
        """
        kids = _ordered(loop)
        if not kids:
            return []
        first = kids[0]
        if not _wrapper(loop):
            if isinstance(first, SegmentDef):
                return [(first.id, [loop], first, first.qualifier(), [])]
            out = []
            for child in kids:
                if isinstance(child, LoopDef):
                    for tag, pushes, seg, qual, skipped in self._entries(child):
                        out.append((tag, [loop] + pushes, seg, qual, skipped))
            return out
        out = []
        skipped: list = []
        for child in kids:
            if isinstance(child, SegmentDef):
                out.append((child.id, [loop], child, child.qualifier(), list(skipped)))
                if child.usage == "R":
                    skipped.append(child)
            else:
                for tag, pushes, seg, qual, inner in self._entries(child):
                    out.append((tag, [loop] + pushes, seg, qual, skipped + inner))
                self._loop_missing(child, set(), skipped)
        return out

    def _loop_missing(self, loop: LoopDef, seen: set[int], missing: list) -> None:
        """A mandatory loop passed over unentered is missing (for a wrapper: its mandatory content)."""
        kids = _ordered(loop)
        if not kids or id(loop) in seen or loop.usage != "R":
            return
        if _wrapper(loop):
            for child in kids:
                if isinstance(child, SegmentDef):
                    if child.usage == "R":
                        missing.append(child)
                else:
                    self._loop_missing(child, seen, missing)
            return
        if isinstance(kids[0], LoopDef):
            for child in kids:
                if isinstance(child, LoopDef):
                    self._loop_missing(child, seen, missing)
            return
        missing.append(loop)

    def _make(self, state: int, target: SegmentDef, pops: list[LoopDef], pushes: list[LoopDef], missing: list, qual) -> Transition:
        index = self._index[id(target)]
        not_used = tuple(x for x in [*pushes, target] if x.usage == "N")
        reentry = bool(pops and pushes and pops[-1] is pushes[0])
        if index == state and not pops and not pushes and not missing and not not_used and qual is None:
            kind = REPEAT
        elif not pops and not pushes and not missing and not not_used and qual is None and target.id not in ("HL", "SE"):
            kind = FORWARD
        elif not missing and not not_used and qual is None and target.id not in ("HL", "SE"):
            kind = LOOP
        else:
            kind = COMPLEX
        return Transition(
            kind=kind,
            target=index,
            pops=len(pops),
            pushes=tuple(self.loop_index(p) for p in pushes),
            reentry=reentry,
            missing=tuple(missing),
            not_used=not_used,
            qualifier=qual,
            hl=target.id == "HL",
        )


def _wrapper(loop: LoopDef) -> bool:
    return loop.type == "wrapper"


def _ordered(loop: LoopDef) -> list:
    """Children by position (stable for equal positions), as pyx12 walks them."""
    return sorted(loop.children, key=lambda c: c.pos)


def not_found_code(tag: str, machine: Machine, known: frozenset[str] | None = None) -> str:
    """Why a segment has no place here: an ID X12 does not define (1), one this set lacks (6), or order (7).

    ``known`` is the segment directory of the spec's release (codes.xml ``segment_ids``); without one,
    only IDs that cannot be segment IDs at all count as unrecognised.
    """
    if not SEGMENT_ID.fullmatch(tag) or (known and tag not in known and tag not in machine.segment_ids):
        return "segment.unrecognized"
    if tag not in machine.segment_ids:
        return "segment.not_in_set"
    return "segment.out_of_sequence"
