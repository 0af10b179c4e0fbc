"""Paths into source documents: a small language, parsed once, never evaluated as code.

Grammar::

    path      := step ("/" step)*
    step      := NAME filter*          NAME: loop ID, segment ID, record type, key, XML tag,
                                       or "*" (any child)
               | ".."                  the parent context (from an ``each``)
               | "."                   the context itself (``each: "."``: a list of one object)
    filter    := "[" KEY "=" VALUE ("|" VALUE)* "]"     a leaf of the node equals one of the values
               | "[" KEY "!=" VALUE ("|" VALUE)* "]"
               | "[" KEY "]"                             the leaf is present
    last step := NAME                  a leaf value of the node reached so far (element ``BEG03``,
                                       component ``REF04-02``, field name, ``@attr``, ``.`` for text)

Examples: ``BEG03``; ``REF[REF01=DP]/REF02``; ``N1_LOOP[N101=ST|BS]/N3/N301``;
``HL_LOOP[HL03=O]``; ``DTM[DTM01=002]/DTM02``; ``header/po_number``; ``@id``.

An X12 element reference as the first step (``BEG03``) is short for "the
first BEG segment here, element 03" (``BEG/BEG03``); likewise a loop answers
for its first segment (``N1_LOOP[N101=ST]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .nodes import Node

_ELEMENT_REF = re.compile(r"([A-Z][A-Z0-9]{1,2})(\d{2})(?:-\d{2})?")
_STEP = re.compile(r"^(\.\.|\*|@?[A-Za-z_][A-Za-z0-9_.\-]*|\.)((?:\[[^\]]*\])*)$")
_FILTER = re.compile(r"\[\s*([^\]=!\s]+)\s*(?:(!?=)\s*([^\]]*?)\s*)?\]")


class PathError(ValueError):
    """A path that does not parse; the message names the path and the problem."""


@dataclass(frozen=True, slots=True)
class Filter:
    key: str
    op: str  # "=", "!=", or "" (present)
    values: tuple[str, ...]

    def test(self, node: Node) -> bool:
        v = node.value(self.key)
        if self.op == "":
            return v is not None
        if self.op == "=":
            return v in self.values
        return v not in self.values


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    filters: tuple[Filter, ...] = ()
    implicit: bool = False  # added for an element reference: the context itself may be that segment

    def matches(self, node: Node) -> bool:
        if self.name not in ("*", ".") and node.name != self.name:
            return False
        for f in self.filters:
            if not f.test(node):
                return False
        return True


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    steps: tuple[Step, ...]  # nodes to walk
    leaf: str | None  # value key at the end, or None when the path selects nodes

    def nodes(self, context: Node, parents: tuple[Node, ...] = ()) -> list[Node]:
        """All nodes the steps select, in document order."""
        current = [context]
        stack = list(parents)
        for step in self.steps:
            if step.name == "..":
                current = [stack.pop()] if stack else []
                continue
            if step.name == ".":  # the node itself: ``each: "."`` makes a one-item list of the document
                current = [n for n in current if step.matches(n)]
                continue
            nxt: list[Node] = []
            for node in current:
                if node.name == step.name and (step.implicit or (node is context and not node.children())):
                    # BEG03 on a BEG, or PER[PER03=TE]/PER04 inside an each over PER segments
                    if step.matches(node):
                        nxt.append(node)
                    continue
                kids = node.children(None if step.name == "*" else step.name)
                if step.filters:
                    nxt.extend(k for k in kids if step.matches(k))
                else:
                    nxt.extend(kids)
            current = nxt
            if not current:
                break
        return current

    def values(self, context: Node, parents: tuple[Node, ...] = ()) -> list[str]:
        """Every non-empty leaf value the path reaches."""
        if self.leaf is None:
            return []
        out = []
        for node in self.nodes(context, parents):
            v = node.value(self.leaf)
            if v is not None and v != "":
                out.append(v)
        return out

    def value(self, context: Node, parents: tuple[Node, ...] = ()) -> str | None:
        for node in self.nodes(context, parents):
            v = node.value(self.leaf) if self.leaf is not None else None
            if v is not None and v != "":
                return v
        return None


@lru_cache(maxsize=4096)
def parse(text: str, leaf: bool = True) -> Path:
    """Parse ``text``; with ``leaf`` the last step names a value, otherwise all steps are nodes."""
    if not isinstance(text, str) or not text.strip():
        raise PathError(f"empty path {text!r}")
    raw = [s.strip() for s in _split(text)]
    if any(not s for s in raw):
        raise PathError(f"path {text!r} has an empty step")
    steps: list[Step] = []
    for s in raw:
        m = _STEP.match(s)
        if m is None:
            raise PathError(f"path {text!r}: cannot read step {s!r}")
        filters = tuple(_filter(text, f) for f in _FILTER.findall(m.group(2)))
        if len(filters) != m.group(2).count("["):
            raise PathError(f"path {text!r}: cannot read the filters of step {s!r}")
        steps.append(Step(m.group(1), filters))
    leaf_key = None
    if leaf:
        last = steps.pop()
        if last.filters:
            raise PathError(f"path {text!r}: the last step names a value and cannot have a filter")
        leaf_key = last.name
        em = _ELEMENT_REF.fullmatch(leaf_key)
        if em is not None and (not steps or steps[-1].name != em.group(1)):
            steps.append(Step(em.group(1), implicit=True))  # BEG03 -> BEG/BEG03
    return Path(text, tuple(steps), leaf_key)


def _filter(path: str, found: tuple[str, str, str]) -> Filter:
    key, op, value = found
    if not op:
        return Filter(key, "", ())
    values = tuple(v.strip() for v in value.split("|"))
    if any(v == "" for v in values):
        raise PathError(f"path {path!r}: empty value in filter [{key}{op}{value}]")
    return Filter(key, op, values)


def _split(text: str) -> list[str]:
    """Split on '/' outside brackets."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "/" and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    if depth != 0:
        raise PathError(f"path {text!r}: unbalanced brackets")
    return out
