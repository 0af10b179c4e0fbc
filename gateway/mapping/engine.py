"""The mapping engine: (document tree, spec) -> (canonical object, issues), and back.

Pure: no I/O, no global state. Problems never raise: they are ``Issue``s with
a stable code, the canonical field (JSON pointer) and where in the source.

Codes: ``mapping.required_missing`` (error), ``mapping.bad_value`` (error: a
value that does not convert), ``mapping.unknown_code`` (warning, or error with
``strict``), ``mapping.xref_missing`` (warning), ``mapping.bad_path`` (error in
the spec: a path that does not parse), ``mapping.derived`` (warning: a value
the partner left out, derived as the spec's ``fallback`` says),
``mapping.kept_as_sent`` (warning: an unusual form the standard allows, e.g.
an SSCC that is not 18 digits, kept as sent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..canonical.models import SCHEMA_VERSION
from . import transforms as tf
from .nodes import Node
from .spec import Condition, ElementRule, MappingSpec, SegmentRule

_EMPTY = (None, "", [], {})


@dataclass(slots=True)
class Issue:
    code: str
    message: str
    field: str = ""  # JSON pointer in the canonical document
    source: str = ""  # where in the partner document
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "field": self.field, "source": self.source, "message": self.message}


class Tables:
    """Code and cross-reference tables: the spec's, overridden by the partner's."""

    def __init__(self, *layers: dict[str, dict[str, Any]]) -> None:
        self.tables: dict[str, dict[str, Any]] = {}
        for layer in layers:
            for name, table in (layer or {}).items():
                self.tables[name] = {**self.tables.get(name, {}), **{str(k): v for k, v in table.items()}}

    def get(self, name: str) -> dict[str, Any] | None:
        return self.tables.get(name)


# -- inbound --------------------------------------------------------------------------------------


class InboundMapper:
    """Compiles an inbound spec once (``compiler.py``); ``map`` then runs it over a document tree."""

    def __init__(self, spec: MappingSpec, tables: Tables | None = None, xref: dict[str, dict[str, str]] | None = None) -> None:
        if spec.direction != "inbound":
            raise ValueError(f"{spec.name}: not an inbound spec")
        from .compiler import compile_spec

        self.spec = spec
        self.tables = tables or Tables(spec.tables)
        self.xref = xref or {}
        self._root, bad, self.source = compile_spec(spec, self)
        self._spec_issues = [Issue("mapping.bad_path", problem, pointer, spec.name) for pointer, problem in bad]

    def map(self, root: Node) -> tuple[dict, list[Issue]]:
        issues: list[Issue] = list(self._spec_issues)
        body = self._root(root, (), issues, ())
        # the contract's version and the document type first: what a reader of the JSON looks for
        doc = {"schema_version": SCHEMA_VERSION, "document_type": self.spec.document}
        doc.update(body)
        return doc, issues

    def _lookup(self, name: str, code: str, strict: bool, at: tuple, ctx: Node, issues: list[Issue]) -> Any:
        """``at`` is (runtime object path, field path pattern): the pointer is made only for an issue."""
        table = self.tables.get(name)
        if table is None:
            issues.append(Issue("mapping.bad_path", f"code table {name!r} is not defined", _at(at), self.spec.name))
            return code
        if code in table:
            return table[code]
        if "*" in table:  # the table's fallback for any other code
            return table["*"]
        issues.append(Issue("mapping.unknown_code", f"code {code!r} is not in table {name!r}", _at(at), ctx.where, "error" if strict else "warning"))
        return code


_ELEMENT_KEY = re.compile(r"([A-Z][A-Z0-9]{1,2})(\d{2})(?:-(\d{2}))?")


def _at(at: tuple) -> str:
    from .compiler import ptr

    return ptr(*at)


def _pointer(at: tuple) -> str:
    return "/" + "/".join(str(p) for p in at) if at else ""


def _condition(cond: Condition, value: Any) -> bool:
    present = value not in _EMPTY
    if cond.exists is not None and present != cond.exists:
        return False
    if cond.equals is not None and str(value) != str(cond.equals):
        return False
    if cond.one_of is not None and str(value) not in [str(x) for x in cond.one_of]:
        return False
    if cond.exists is None and cond.equals is None and cond.one_of is None:
        return present
    return True


# -- outbound -------------------------------------------------------------------------------------

_FIELD_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z_][A-Za-z0-9_.]*)=([^\]]*)\])?(?:\[(\d+)\])?$")


def resolve(obj: Any, path: str, stack: tuple = ()) -> Any:
    """A canonical field path: ``a.b``, ``list[key=value].c``, ``list[0]``, ``$root.x``, ``$parent.x``."""
    cur: Any = obj
    parts = path.split(".") if path else []
    if parts and parts[0] == "$root":
        cur = stack[0] if stack else obj
        parts = parts[1:]
    while parts and parts[0] == "$parent":
        cur = stack[-1] if stack else None
        stack = stack[:-1]
        parts = parts[1:]
    i = 0
    while i < len(parts):
        part = parts[i]
        m = _FIELD_STEP.match(part)
        if m is None:
            # a filter value may contain dots: glue parts back until the bracket closes
            j = i + 1
            while j < len(parts) and "]" not in part:
                part += "." + parts[j]
                j += 1
            m = _FIELD_STEP.match(part)
            if m is None:
                raise tf.BadValue(f"cannot read field path {path!r}")
            i = j - 1
        key, fkey, fval, index = m.groups()
        cur = cur.get(key) if isinstance(cur, dict) else None
        if fkey is not None:
            cur = next((x for x in (cur or []) if isinstance(x, dict) and str(resolve(x, fkey)) == fval), None)
        if index is not None:
            cur = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
        if cur is None:
            return None
        i += 1
    return cur


class OutboundMapper:
    """Canonical object -> X12 segments (tag first, then elements; a list is a composite)."""

    def __init__(self, spec: MappingSpec, tables: Tables | None = None) -> None:
        if spec.direction != "outbound":
            raise ValueError(f"{spec.name}: not an outbound spec")
        self.spec = spec
        self.tables = tables or Tables(spec.tables)

    def map(self, doc: dict) -> tuple[list[list], list[Issue]]:
        issues: list[Issue] = []
        out: list[list] = []
        self._hl_count = 0
        self._items(self.spec.segments, doc, (), "", out, issues, None)
        return out, issues

    def _items(self, items: list[SegmentRule], ctx: Any, stack: tuple, at: str, out: list, issues: list[Issue], hl_parent: list | None) -> None:
        for item in items:
            if item.when is not None and not _condition(item.when, self._field(item.when.path, ctx, stack, at, issues)):
                continue
            if item.each is not None:
                values = self._field(item.each, ctx, stack, at, issues) or []
                if not isinstance(values, list):
                    values = [values]
                for n, value in enumerate(values):
                    self._one(item, value, stack + (ctx,), f"{at}/{item.each}/{n}", out, issues, hl_parent)
                continue
            if item.context is not None:
                value = self._field(item.context, ctx, stack, at, issues)
                if value in _EMPTY:
                    continue
                self._one(item, value, stack + (ctx,), f"{at}/{item.context}", out, issues, hl_parent)
                continue
            self._one(item, ctx, stack, at, out, issues, hl_parent)

    def _one(self, item: SegmentRule, ctx: Any, stack: tuple, at: str, out: list, issues: list[Issue], hl_parent: list | None) -> None:
        if item.hl is not None:
            self._hl_count += 1
            hl = ["HL", str(self._hl_count), hl_parent[1] if hl_parent else "", item.hl, "0"]
            out.append(hl)
            self._items(item.segments or [], ctx, stack, at, out, issues, hl)
            before = self._hl_count
            self._items(item.children or [], ctx, stack, at, out, issues, hl)
            if self._hl_count > before:
                hl[4] = "1"
            return
        if item.segment is not None:
            seg = self._segment(item, ctx, stack, at, issues)
            if seg is not None:
                out.append(seg)
            return
        self._items(item.segments or [], ctx, stack, at, out, issues, hl_parent)

    def _segment(self, item: SegmentRule, ctx: Any, stack: tuple, at: str, issues: list[Issue]) -> list | None:
        values: list = [item.segment]
        filled = False
        for n, el in enumerate(item.elements or [], 1):
            where = f"{at} {item.segment}{n:02d}"
            if isinstance(el, list):
                comps = [self._element(c, ctx, stack, where, issues) for c in el]
                filled |= any(isinstance(c, ElementRule) and v not in _EMPTY for c, v in zip(el, comps, strict=True))
                values.append(comps)
            else:
                v = self._element(el, ctx, stack, where, issues)
                if isinstance(el, ElementRule) and el.field is not None and v not in _EMPTY:
                    filled = True
                values.append(v)
        has_fields = any(isinstance(el, ElementRule) and el.field is not None for el in _flat(item.elements or []))
        if has_fields and not filled:
            return None  # every field-driven element empty: the segment is left out
        while len(values) > 1 and values[-1] in _EMPTY:
            values.pop()
        return values

    def _element(self, el: Any, ctx: Any, stack: tuple, where: str, issues: list[Issue]) -> Any:
        if el is None:
            return ""
        if isinstance(el, (str, int)):
            return str(el)
        rule: ElementRule = el
        try:
            if rule.const is not None:
                value: Any = rule.const
            elif rule.count is not None:
                items = self._field(rule.count, ctx, stack, where, issues)
                value = str(len(items)) if isinstance(items, list) else "0"
            elif rule.sum is not None:
                items = self._field(rule.sum, ctx, stack, where, issues) or []
                total = Decimal(0)
                for x in items:
                    v = resolve(x, rule.of or "", stack)
                    if v not in _EMPTY:
                        total += Decimal(str(v))
                value = tf.decimal_text(total)
            elif rule.field is not None:
                value = self._field(rule.field, ctx, stack, where, issues)
            else:
                value = None
            if value in _EMPTY:
                if rule.default is not None:
                    return rule.default
                if rule.required:
                    issues.append(Issue("mapping.required_missing", f"{rule.field or rule.count or rule.sum} is missing", where, ""))
                return ""
            if isinstance(value, bool):
                value = "Y" if value else "N"
            value = str(value)
            if rule.table is not None:
                table = self.tables.get(rule.table)
                if table is None:
                    issues.append(Issue("mapping.bad_path", f"code table {rule.table!r} is not defined", where, self.spec.name))
                elif value in table:
                    value = str(table[value])
                elif "*" in table:
                    value = str(table["*"])
                else:
                    issues.append(Issue("mapping.unknown_code", f"{value!r} is not in table {rule.table!r}", where, "", "warning"))
            if rule.format is not None:
                value = tf.format_date(value, rule.format)
            if rule.implied_decimals is not None or rule.decimals is not None:
                value = tf.format_number(value, rule.implied_decimals, rule.decimals)
            for name in rule.transform or ():
                try:
                    value = tf.transform(name, value)
                except tf.Unusual as note:  # written as the document holds it, flagged for a reader
                    value = note.value
                    issues.append(Issue("mapping.kept_as_sent", note.message, where, "", "warning"))
            if rule.max_length is not None:
                value = value[: rule.max_length]
            return value
        except (tf.BadValue, InvalidOperation) as exc:
            issues.append(Issue("mapping.bad_value", str(exc), where, ""))
            return ""

    def _field(self, path: str, ctx: Any, stack: tuple, where: str, issues: list[Issue]) -> Any:
        try:
            return resolve(ctx, path, stack)
        except tf.BadValue as exc:
            issues.append(Issue("mapping.bad_path", str(exc), where, self.spec.name))
            return None


def _flat(els: list) -> list:
    out = []
    for e in els:
        out += e if isinstance(e, list) else [e]
    return out
