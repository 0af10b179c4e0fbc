"""A transaction set as a loop tree, for mapping.

The segments of a validated set are placed with the same compiled walk the
validator uses (``structure.Machine``): each segment lands in the loop
iteration the spec assigns it to. Loop nodes are named by their map ID
(``N1_LOOP``, ``PO1_LOOP``, ``HL_LOOP``); wrapper tables (heading, detail,
summary) are kept but transparent to ``children()``. HL loops are nested by
their parent links (HL02), so an 856 reads shipment → order → pack → item.
"""

from __future__ import annotations

import re

from ...mapping.nodes import Node
from .delimiters import Delimiters
from .model import TransactionSpec
from .structure import CANDIDATES, Machine
from .validator import _pick

_REF = re.compile(r"([A-Z][A-Z0-9]{1,2})?(\d{2})(?:-(\d{2}))?")
_KEYS: dict[str, tuple] = {}  # value key -> (tag or None, element, component), parsed once
_NONE: list = []  # children() of a name that is not there (callers only read it)
_NO_CHILDREN: dict = {None: _NONE}  # a segment's child index


def _text(value: str) -> str:
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return value


class SegmentNode:
    """A segment: ``value("BEG03")`` is element 03, ``value("REF04-02")`` a component."""

    __slots__ = ("_values", "d", "elements", "name", "position")

    @property
    def values(self) -> list[str]:
        """The elements as text (first repetition, UTF-8 decoded): what mapping reads by index."""
        v = self._values
        if v is None:  # build_tree sets it directly for plain ASCII segments without repetitions
            v = self._values = [self.element(i + 1) or "" for i in range(len(self.elements))]
        return v

    def element(self, n: int, component: int = 0) -> str | None:
        """Element ``n`` (1-based), or its component; None when absent or empty. The fast accessor."""
        els = self.elements
        if n > len(els):
            return None
        v = els[n - 1]
        if not v:
            return None
        d = self.d
        if d.repetition and d.repetition in v:
            v = v.split(d.repetition)[0]
        if component:
            comps = v.split(d.component)
            v = comps[component - 1] if component <= len(comps) else ""
            if not v:
                return None
        return v if v.isascii() else _text(v)

    def __init__(self, name: str, elements: list[str], position: int, d: Delimiters) -> None:
        self.name = name
        self.elements = elements
        self.position = position  # within the transaction set, ST = 1
        self.d = d
        self._values: list[str] | None = None

    @property
    def where(self) -> str:
        return f"{self.name} (segment {self.position} of the set)"

    def children(self, name: str | None = None) -> list[Node]:
        return []

    def child_index(self) -> dict:
        return _NO_CHILDREN

    def value(self, key: str) -> str | None:
        ref = _KEYS.get(key)
        if ref is None:
            m = _REF.fullmatch(key)
            ref = _KEYS[key] = (m.group(1), int(m.group(2)), int(m.group(3) or 0)) if m else ("?", 0, 0)
        tag, n, comp = ref
        if n == 0 or (tag and tag != self.name):
            return None
        return self.element(n, comp)

    def __repr__(self) -> str:
        return f"<{self.d.element.join([self.name, *self.elements])}>"


class LoopNode:
    __slots__ = ("_index", "first", "items", "name", "wrapper")

    def __init__(self, name: str, wrapper: bool = False) -> None:
        self.name = name
        self.items: list = []
        self.wrapper = wrapper
        self.first: SegmentNode | None = None
        self._index: dict | None = None

    @property
    def where(self) -> str:
        return f"{self.name} at {self.first.where}" if self.first is not None else self.name

    def flat(self) -> list:
        """The items, with wrappers' items in their place (iterative: no depth is too deep)."""
        out = []
        stack = [iter(self.items)]
        while stack:
            for item in stack[-1]:
                if isinstance(item, LoopNode) and item.wrapper:
                    stack.append(iter(item.items))
                    break
                out.append(item)
            else:
                stack.pop()
        return out

    def children(self, name: str | None = None) -> list:
        index = self._index
        if index is None:  # build_tree fills it as it goes; rebuilt here after HL nesting moved loops
            index = self._index = {None: self.flat()}
            for k in index[None]:
                index.setdefault(k.name, []).append(k)
        return index.get(name, _NONE)

    def child_index(self) -> dict:
        """The children by name (``None``: all of them); for generated mapping code."""
        index = self._index
        if index is None:
            self.children()
            index = self._index
        return index

    def value(self, key: str) -> str | None:
        # A loop answers for its first segment: N1_LOOP's "N101".
        return self.first.value(key) if self.first is not None else None

    def __repr__(self) -> str:
        # One level only: a loop tree may nest as deep as its HL levels.
        return f"<{self.name} {[item.name for item in self.items]!r}>"


def build_tree(machine: Machine, segments: list[str], d: Delimiters) -> LoopNode:
    """The loop tree of one transaction set (``segments`` from ST to SE, terminators removed)."""
    root = LoopNode(machine.spec.st_loop.id)
    root._index = {None: []}
    loops = [(lp.id, lp.type == "wrapper") for lp in machine.loops]
    # per open loop: the node, and the index its items go to (a wrapper's items are its parent's children)
    open_nodes: dict[int, tuple[LoopNode, dict]] = {0: (root, root._index)}
    stack: list[int] = [0]  # open loop indexes, outermost first
    state = machine.start
    has_hl = False
    rep = d.repetition
    element = d.element
    tables = machine.tables
    for position, text in enumerate(segments, 1):
        parts = text.split(element)
        tag = parts[0]
        node = SegmentNode(tag, parts[1:], position, d)
        if rep is None or rep not in text:
            if text.isascii():
                node._values = node.elements
        if position == 1:
            root.items.append(node)
            root.first = node
            _add(root._index, node)
            continue
        tr = tables[state].get(tag)
        if tr is not None and tr.kind == CANDIDATES:
            tr = _pick(tr, text, d)
        if tr is None:
            loop, index = open_nodes[stack[-1]]  # misplaced: kept where it stands
            loop.items.append(node)
            _add(index, node)
            continue
        for _ in range(tr.pops):
            open_nodes.pop(stack.pop(), None)
        if tr.hl:
            has_hl = True
        for li in tr.pushes:
            name, wrapper = loops[li]
            loop = LoopNode(name, wrapper)
            outer, index = open_nodes[stack[-1]]
            outer.items.append(loop)
            if wrapper:
                open_nodes[li] = (loop, index)
            else:
                _add(index, loop)
                loop._index = {None: []}
                open_nodes[li] = (loop, loop._index)
            stack.append(li)
        current, index = open_nodes[stack[-1]]
        if tr.pushes and current.first is None:
            current.first = node
        current.items.append(node)
        index[None].append(node)  # _add, inlined: this runs for every segment
        same = index.get(tag)
        if same is None:
            index[tag] = [node]
        else:
            same.append(node)
        state = tr.target
    if has_hl:
        _nest_hl(root)
    return root


def _add(index: dict, node) -> None:
    index[None].append(node)
    same = index.get(node.name)
    if same is None:
        index[node.name] = [node]
    else:
        same.append(node)


def _nest_hl(root: LoopNode) -> None:
    """Move each HL loop under the HL loop its HL02 names.

    Iterative, like everything that walks the tree: the validator bounds HL nesting
    (``MAX_HL_DEPTH``), but the tree must not depend on that to stay within the stack.
    """
    found: list[tuple[LoopNode, LoopNode]] = []  # (container, hl loop), in document order
    for node in _loops(root):
        for item in node.items:
            if isinstance(item, LoopNode) and item.first is not None and item.first.name == "HL":
                found.append((node, item))
    by_id: dict[str | None, LoopNode] = {}  # HL01 -> its loop, for the levels read so far: a parent comes first
    moved: dict[int, tuple[LoopNode, set[int]]] = {}  # id(container) -> (container, ids of the loops leaving it)
    for container, hl in found:
        parent = by_id.get(hl.first.value("HL02") or "")
        by_id[hl.first.value("HL01")] = hl
        if parent is not None:
            moved.setdefault(id(container), (container, set()))[1].add(id(hl))
            parent.items.append(hl)
    for container, gone in moved.values():
        container.items = [item for item in container.items if id(item) not in gone]
    for node in _loops(root):
        node._index = None  # rebuilt on first use, from the nested layout


def _loops(root: LoopNode) -> list[LoopNode]:
    """Every loop node under ``root`` (``root`` included), without recursion."""
    out: list[LoopNode] = []
    todo = [root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(reversed([item for item in node.items if isinstance(item, LoopNode)]))  # document order
    return out


def transaction_tree(spec: TransactionSpec, segments: list[str], d: Delimiters, machine: Machine | None = None) -> LoopNode:
    return build_tree(machine or Machine(spec), segments, d)
