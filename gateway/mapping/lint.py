"""Check a mapping spec against what it maps between, before any document meets it.

A spec loads when it fits its model; it still fails later when a path does not parse, names a
segment, loop or element the X12 spec of its set and version does not have (or not where the
path looks for it), fills a canonical field the schema does not know, or looks codes up in a
table nobody defined. ``lint_spec`` finds all of that at once, each problem as
``file:line: message`` in the spec file that holds the rule (a rule inherited through
``extends`` is reported in the spec that wrote it).

The X12 walk mirrors ``paths.Path.nodes`` over the set's map instead of a document: heading,
detail and summary tables are transparent, HL loops nest in HL loops, an element reference
as a last step reads the context segment itself when it is that segment. The canonical walk
follows the published JSON Schema of the document type.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config.yamlio import Source
from .paths import Path, PathError, parse
from .spec import ElementRule, FieldRule, MappingSpec, SegmentRule, SpecLibrary

_ELEMENT = re.compile(r"([A-Z][A-Z0-9]{1,2})(\d{2})(?:-(\d{2}))?")
_FIELD_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z_][A-Za-z0-9_.]*)=[^\]]*\])?(?:\[(\d+)\])?$")


@dataclass(slots=True)
class Lint:
    """What ``lint_spec`` found: problems, and the tables and cross-references the spec's rules use."""

    problems: list[str] = field(default_factory=list)
    tables_used: set[str] = field(default_factory=set)
    xrefs_used: dict[str, str] = field(default_factory=dict)  # name -> file:line of the first rule using it


def lint_spec(library: SpecLibrary, name: str, x12=None, *, tables: dict | None = None, shown: Callable[[str], str] = str) -> Lint:
    """Problems of spec ``name`` (which must load). ``x12`` is a ``gateway.formats.x12.SpecLibrary``
    (None: X12 paths are only parsed); ``tables`` are code tables from elsewhere (a partner's);
    ``shown`` turns a spec file's path into what problems call it."""
    spec = library.get(name)
    chain = [(data, Source(shown(source.name), data, source.lines)) for data, source in library.chain(name)]
    checker = _Checker(spec, chain, x12, set(spec.tables) | set(tables or {}))
    checker.run()
    return Lint(checker.problems, checker.tables_used, checker.xrefs_used)


# -- the X12 side --------------------------------------------------------------------------------


class X12Shape:
    """A transaction set's map seen as mapping paths see a document: what is inside what."""

    def __init__(self, spec, label: str) -> None:
        from ..formats.x12.model import LoopDef

        self.label = label
        self.root = spec.st_loop
        self._loop = LoopDef
        nodes = [n for n in self.root.walk() if not self._wrapper(n)]
        self.names = {n.id for n in nodes} | {self.root.id}
        self.segments = {n.id for n in nodes if not n.is_loop}
        # map nodes are compared by identity (their dataclass equality would compare whole subtrees)
        self._hl = [n for n in nodes if n.is_loop and (first := n.first_segment()) is not None and first.id == "HL"]
        self._hl_ids = {id(n) for n in self._hl}

    def _wrapper(self, node) -> bool:
        return node.is_loop and node.type == "wrapper"

    def children(self, node, name: str | None) -> list:
        if not node.is_loop:
            return []
        out = []
        for child in node.children:
            if self._wrapper(child):
                out += self.children(child, name)
            elif name is None or child.id == name:
                out.append(child)
        if id(node) in self._hl_ids:  # the tree nests HL levels by HL02
            have = {id(x) for x in out}
            out += [h for h in self._hl if (name is None or h.id == name) and id(h) not in have]
        return out

    def first(self, node):
        return node.first_segment() if node.is_loop else node

    def element_problem(self, nodes: list, ref: str) -> str | None:
        """Why element reference ``ref`` reads nothing on any of ``nodes`` (None: it reads something)."""
        m = _ELEMENT.fullmatch(ref)
        if m is None:
            return f"{ref!r} is not an X12 element reference such as BEG03 or REF04-02"
        tag, n, comp = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if tag not in self.segments:
            return f"{tag} is not a segment of the {self.label} spec"
        segments = [s for s in (self.first(x) for x in nodes) if s is not None and s.id == tag]
        if not segments:
            here = ", ".join(sorted({x.id if not x.is_loop else f"{x.id} (a loop starting with {self.first(x).id})" for x in nodes}))
            return f"{ref} is read from {here}, not from a {tag} segment"
        most = max(len(s.elements) for s in segments)
        if n < 1 or n > most:
            return f"{tag} has no element {n:02d} in the {self.label} spec (it has {most})"
        if comp:
            defs = [s.elements[n - 1] for s in segments if n <= len(s.elements)]
            composites = [d for d in defs if d.is_composite]
            if not composites:
                return f"{tag}{n:02d} is not a composite element in the {self.label} spec, so it has no component {comp:02d}"
            if comp > max(len(d.components) for d in composites):
                return f"{tag}{n:02d} has no component {comp:02d} in the {self.label} spec"
        return None


# -- the canonical side ----------------------------------------------------------------------------


class _Schema:
    """Navigation in a canonical document's JSON Schema."""

    def __init__(self, document_type: str) -> None:
        from ..canonical.schemas import schema_for

        self.root = schema_for(document_type)
        self.defs = self.root.get("$defs", {})

    def plain(self, s: dict | None) -> dict | None:
        """``s`` without its $ref and its null alternative."""
        while isinstance(s, dict):
            if "$ref" in s:
                s = self.defs.get(s["$ref"].rsplit("/", 1)[-1])
                continue
            options = [o for o in s.get("anyOf", []) if o.get("type") != "null"]
            if "anyOf" in s and len(options) == 1:
                s = {**{k: v for k, v in s.items() if k != "anyOf"}, **options[0]}
                continue
            return s
        return None

    def prop(self, s: dict | None, key: str) -> dict | None:
        s = self.plain(s)
        if s is None or s.get("type") != "object":
            return None
        found = s.get("properties", {}).get(key)
        return self.plain(found) if found is not None else None

    def items(self, s: dict | None) -> dict | None:
        s = self.plain(s)
        return self.plain(s.get("items")) if s is not None and s.get("type") == "array" else None

    def names(self, s: dict | None) -> list[str]:
        s = self.plain(s)
        return sorted(s.get("properties", {})) if s is not None else []


# -- the checker -----------------------------------------------------------------------------------


class _Checker:
    def __init__(self, spec: MappingSpec, chain: list[tuple[dict, Source]], x12, tables: set[str]) -> None:
        self.spec = spec
        self.chain = chain
        self.tables = tables
        self.problems: list[str] = []
        self.tables_used: set[str] = set()
        self.xrefs_used: dict[str, str] = {}
        self.schema = _Schema(spec.document)
        self.shape: X12Shape | None = None
        fmt = spec.source if spec.direction == "inbound" else spec.target
        if x12 is not None and fmt is not None and getattr(fmt, "format", None) == "x12":
            found = x12.find("", fmt.version, "", fmt.set)
            if found is not None:  # a missing X12 spec is the profile check's to report
                self.shape = X12Shape(found, f"X12 {fmt.set} {fmt.version}")

    def where(self, loc: tuple) -> str:
        """file:line of the deepest part of ``loc`` any spec of the chain (the spec first) writes."""
        best, depth = None, -1
        for data, source in self.chain:
            d = _depth(data, loc)
            if d > depth:
                best, depth = source, d
        return best.where(loc[:depth]) if best is not None else self.spec.name

    def problem(self, loc: tuple, message: str) -> None:
        line = f"{self.where(loc)}: {message}"
        if line not in self.problems:
            self.problems.append(line)

    def run(self) -> None:
        if self.spec.direction == "inbound":
            root = [self.shape.root] if self.shape else None
            self.fields(self.spec.fields, ("fields",), root, (), self.schema.root)
        else:
            self.segments(self.spec.segments, ("segments",), [self.schema.root])
        for name in sorted(set(self.chain[0][0].get("tables") or {}) - self.tables_used):
            self.problem(("tables", name), f"table {name!r} is not used by any rule of mapping spec {self.spec.name!r}")
        self.problems.sort(key=_file_and_line)

    # -- inbound ---------------------------------------------------------------------------------

    def fields(self, fields: dict | None, loc: tuple, ctx: list | None, parents: tuple, schema: dict | None) -> None:
        for name, rule in (fields or {}).items():
            if rule is None:
                continue
            at = loc + (name,)
            target = self.schema.prop(schema, name)
            if target is None and schema is not None:
                self.problem(at, f"{name!r} is not a field of the canonical {self.spec.document} here{self.hint(name, schema)}")
            if isinstance(rule, str):
                self.read(rule, at, ctx, parents)
                continue
            self.rule(rule, at, ctx, parents, target, schema is not None)

    def rule(self, rule: FieldRule, at: tuple, ctx: list | None, parents: tuple, target: dict | None, known: bool) -> None:
        for key in ("path", "count"):
            if getattr(rule, key) is not None:
                self.read(getattr(rule, key), at + (key,), ctx, parents, leaf=key == "path")
        for i, text in enumerate(rule.paths or []):
            self.read(text, at + ("paths", i), ctx, parents)
        collect = [rule.collect] if isinstance(rule.collect, str) else list(rule.collect or [])
        for i, text in enumerate(collect):
            self.read(text, at + ("collect",) + ((i,) if not isinstance(rule.collect, str) else ()), ctx, parents)
        for i, pair in enumerate(rule.pairs or []):
            if len(pair) != 2:
                self.problem(at + ("pairs", i), f"pairs entries are [qualifier, value], got {pair!r}")
                continue
            for j, text in enumerate(pair):
                if not (j == 0 and text.startswith("=") and len(text) > 1):
                    self.read(text, at + ("pairs", i, j), ctx, parents)
        if rule.derive and rule.pairs is None:
            self.problem(at + ("derive",), "derive works with pairs only")
        for i, d in enumerate(rule.derive or []):
            self.xrefs_used.setdefault(d.xref, self.where(at + ("derive", i, "xref")))
        if rule.xref is not None:
            self.xrefs_used.setdefault(rule.xref, self.where(at + ("xref",)))
        for cond, key in ((rule.when, "when"),):
            if cond is not None:
                self.read(cond.path, at + (key, "path"), ctx, parents)
        if rule.scale_by is not None:
            self.read(rule.scale_by.path, at + ("scale_by", "path"), ctx, parents)
            self.table(rule.scale_by.table, at + ("scale_by", "table"))
        if rule.table is not None:
            self.table(rule.table, at + ("table",))
        if rule.each is not None:
            nodes = self.walk(rule.each, at + ("each",), ctx, parents, leaf=False)
            inner = parents + (ctx,)
            if rule.where is not None:
                self.read(rule.where.path, at + ("where", "path"), nodes, inner)
            if known and target is not None and target.get("type") != "array":
                self.problem(at + ("each",), f"{at[-1]!r} is not a list in the canonical {self.spec.document}, so it cannot take each")
            self.fields(rule.fields, at + ("fields",), nodes, inner, self.schema.items(target) if target is not None else None)
        elif rule.fields is not None:
            nodes, inner = ctx, parents
            if rule.context is not None:
                nodes, inner = self.walk(rule.context, at + ("context",), ctx, parents, leaf=False), parents + (ctx,)
            if known and target is not None and target.get("type") != "object":
                self.problem(at + ("fields",), f"{at[-1]!r} is not an object in the canonical {self.spec.document}, so it has no fields")
            self.fields(rule.fields, at + ("fields",), nodes, inner, target if target is not None and target.get("type") == "object" else None)

    def hint(self, name: str, schema: dict | None) -> str:
        known = self.schema.names(schema)
        close = difflib.get_close_matches(name, known, n=1)
        return f" (did you mean {close[0]!r}?)" if close else f" (fields: {', '.join(known)})"

    def table(self, name: str, loc: tuple) -> None:
        self.tables_used.add(name)
        if name not in self.tables:
            known = ", ".join(sorted(self.tables)) or "none"
            self.problem(loc, f"code table {name!r} is not defined (tables: {known})")

    def read(self, text: str, loc: tuple, ctx: list | None, parents: tuple, leaf: bool = True) -> None:
        self.walk(text, loc, ctx, parents, leaf)

    def walk(self, text: str, loc: tuple, ctx: list | None, parents: tuple, leaf: bool = True) -> list | None:
        """The map nodes path ``text`` reaches from ``ctx`` (None when unknown: not X12, or already wrong)."""
        try:
            path = parse(text, leaf)
        except PathError as exc:
            self.problem(loc, str(exc))
            return None
        if self.shape is None or ctx is None:
            return None
        found = self._nodes(path, ctx, parents, loc)
        if found is None:
            return None
        if path.leaf is not None:
            why = self.shape.element_problem(found, path.leaf)
            if why is not None:
                self.problem(loc, f"path {text!r}: {why}")
        return found

    def _nodes(self, path: Path, ctx: list, parents: tuple, loc: tuple) -> list | None:
        shape = self.shape
        current, stack = list(ctx), list(parents)
        for i, step in enumerate(path.steps):
            if step.name == "..":
                current = list(stack.pop()) if stack and stack[-1] is not None else []
                if not current:
                    self.problem(loc, f"path {path.text!r}: '..' goes above the document")
                    return None
                continue
            if step.name not in (".", "*") and step.name not in shape.names:
                self.problem(loc, f"path {path.text!r}: {step.name} is not a segment or loop of the {shape.label} spec")
                return None
            nxt: list = []
            seen: set[int] = set()
            for node in current:
                if step.name == "." or (node.id == step.name and (step.implicit or (i == 0 and not node.is_loop))):
                    found = [node]
                else:
                    found = shape.children(node, None if step.name == "*" else step.name)
                for k in found:
                    if id(k) not in seen:
                        seen.add(id(k))
                        nxt.append(k)
            if not nxt:
                where = ", ".join(sorted({n.id for n in current}))
                self.problem(loc, f"path {path.text!r}: there is no {step.name} in {where} in the {shape.label} spec")
                return None
            for f in step.filters:
                why = shape.element_problem(nxt, f.key)
                if why is not None:
                    self.problem(loc, f"path {path.text!r}: filter [{f.key}]: {why}")
                    return None
            current = nxt
        return current

    # -- outbound --------------------------------------------------------------------------------

    def segments(self, items: list[SegmentRule], loc: tuple, ctx: list) -> None:
        for i, item in enumerate(items or []):
            at = loc + (i,)
            if item.when is not None:
                self.field(item.when.path, at + ("when", "path"), ctx)
            inner = ctx
            if item.each is not None:
                target = self.field(item.each, at + ("each",), ctx)
                inner = ctx + [self.schema.items(target) if target is not None and target.get("type") == "array" else target]
            elif item.context is not None:
                inner = ctx + [self.field(item.context, at + ("context",), ctx)]
            if item.segment is not None:
                self.segment(item, at, inner)
            self.segments(item.segments or [], at + ("segments",), inner)
            self.segments(item.children or [], at + ("children",), inner)

    def segment(self, item: SegmentRule, at: tuple, ctx: list) -> None:
        tag = item.segment
        defs = []
        if self.shape is not None:
            if tag not in self.shape.segments:
                self.problem(at, f"{tag} is not a segment of the {self.shape.label} spec")
            else:
                defs = [n for n in self.shape.root.walk() if not n.is_loop and n.id == tag]
        most = max((len(d.elements) for d in defs), default=None)
        elements = item.elements or []
        if most is not None and len(elements) > most:
            self.problem(at, f"{tag} has {most} elements in the {self.shape.label} spec; {len(elements)} are written")
        for n, el in enumerate(elements, 1):
            if isinstance(el, list):
                if defs and n <= (most or 0) and not any(n <= len(d.elements) and d.elements[n - 1].is_composite for d in defs):
                    self.problem(at, f"{tag}{n:02d} is written as a composite, but it is a simple element in the {self.shape.label} spec")
                for comp in el:
                    self.element(comp, at, ctx)
            else:
                self.element(el, at, ctx)

    def element(self, el: Any, at: tuple, ctx: list) -> None:
        if not isinstance(el, ElementRule):
            return
        for key in ("field", "count", "sum"):
            if getattr(el, key) is not None:
                target = self.field(getattr(el, key), at, ctx)
                if key == "sum" and el.of is not None and target is not None:
                    self.field(el.of, at, ctx + [self.schema.items(target)])
        if el.table is not None:
            self.table(el.table, at)

    def field(self, text: str, loc: tuple, ctx: list) -> dict | None:
        """The schema of canonical field path ``text`` (see ``engine.resolve``), or None (reported when wrong)."""
        stack = list(ctx)
        parts = text.split(".") if text else []
        current = stack[-1] if stack else None
        if parts and parts[0] == "$root":
            current, parts = stack[0], parts[1:]
        while parts and parts[0] == "$parent":
            stack.pop()
            current, parts = (stack[-1] if stack else None), parts[1:]
        i = 0
        while i < len(parts):
            part = parts[i]
            while "[" in part and "]" not in part and i + 1 < len(parts):  # a filter value with dots
                i += 1
                part += "." + parts[i]
            m = _FIELD_STEP.match(part)
            if m is None:
                self.problem(loc, f"cannot read field path {text!r}")
                return None
            if current is None:
                return None  # the context is already reported
            key, fkey, index = m.groups()
            found = self.schema.prop(current, key)
            if found is None:
                self.problem(loc, f"field path {text!r}: {key!r} is not a field of the canonical {self.spec.document} here{self.hint(key, current)}")
                return None
            if fkey is not None or index is not None:
                found = self.schema.items(found)
                if found is None:
                    self.problem(loc, f"field path {text!r}: {key!r} is not a list")
                    return None
                if fkey is not None and self.schema.prop(found, fkey.split(".")[0]) is None:
                    self.problem(loc, f"field path {text!r}: {fkey!r} is not a field of the items of {key!r}")
            current = found
            i += 1
        return current


def _file_and_line(problem: str) -> tuple[str, int]:
    m = re.match(r"^(.*?):(\d+): ", problem)
    return (m.group(1), int(m.group(2))) if m else (problem, 0)


def _depth(data: Any, loc: tuple) -> int:
    """How many leading parts of ``loc`` exist in ``data``."""
    n = 0
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            break
        n += 1
    return n
