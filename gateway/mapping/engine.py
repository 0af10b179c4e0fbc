"""The mapping engine: (document tree, spec) -> (canonical object, issues), and back.

Pure: no I/O, no global state. Problems never raise: they are ``Issue``s with
a stable code, the canonical field (JSON pointer) and where in the source.

Codes: ``mapping.required_missing`` (error), ``mapping.bad_value`` (error: a
value that does not convert), ``mapping.unknown_code`` (warning, or error with
``strict``), ``mapping.xref_missing`` (warning), ``mapping.bad_path`` (error in
the spec: a path that does not parse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import transforms as tf
from .nodes import Node
from .paths import PathError, parse
from .spec import Condition, ElementRule, FieldRule, MappingSpec, SegmentRule

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
    def __init__(self, spec: MappingSpec, tables: Tables | None = None, xref: dict[str, dict[str, str]] | None = None) -> None:
        if spec.direction != "inbound":
            raise ValueError(f"{spec.name}: not an inbound spec")
        self.spec = spec
        self.tables = tables or Tables(spec.tables)
        self.xref = xref or {}

    def map(self, root: Node) -> tuple[dict, list[Issue]]:
        issues: list[Issue] = []
        doc = self._object(self.spec.fields, root, (), "", issues)
        doc.setdefault("document_type", self.spec.document)
        return doc, issues

    def _object(self, fields: dict, ctx: Node, parents: tuple, at: str, issues: list[Issue]) -> dict:
        out: dict = {}
        for name, rule in fields.items():
            if rule is None:
                continue
            value = self._field(rule, ctx, parents, f"{at}/{name}", issues)
            if value not in _EMPTY:
                out[name] = value
        return out

    def _field(self, rule: FieldRule | str, ctx: Node, parents: tuple, at: str, issues: list[Issue]) -> Any:
        if isinstance(rule, str):
            rule = FieldRule(path=rule)
        try:
            return self._field_unsafe(rule, ctx, parents, at, issues)
        except PathError as exc:
            issues.append(Issue("mapping.bad_path", str(exc), at, self.spec.name))
            return None

    def _field_unsafe(self, rule: FieldRule, ctx: Node, parents: tuple, at: str, issues: list[Issue]) -> Any:
        if rule.when is not None and not self._holds(rule.when, ctx, parents):
            return None
        if rule.each is not None:
            items = []
            for node in parse(rule.each, leaf=False).nodes(ctx, parents):
                if rule.where is not None and not self._holds(rule.where, node, parents + (ctx,)):
                    continue
                item = self._object(rule.fields or {}, node, parents + (ctx,), f"{at}/{len(items)}", issues)
                if item:
                    items.append(item)
            if not items and rule.required:
                issues.append(Issue("mapping.required_missing", f"no {rule.each} found", at, ctx.where))
            return items
        if rule.fields is not None:
            node = ctx
            inner = parents
            if rule.context is not None:
                found = parse(rule.context, leaf=False).nodes(ctx, parents)
                if not found:
                    if rule.required:
                        issues.append(Issue("mapping.required_missing", f"no {rule.context} found", at, ctx.where))
                    return None
                node, inner = found[0], parents + (ctx,)
            obj = self._object(rule.fields, node, inner, at, issues)
            if not obj and rule.required:
                issues.append(Issue("mapping.required_missing", "required object is empty", at, ctx.where))
            return obj
        if rule.pairs is not None:
            return self._pairs(rule, ctx, parents, at, issues)
        if rule.collect is not None:
            paths = [rule.collect] if isinstance(rule.collect, str) else rule.collect
            values = [v for p in paths for v in parse(p).values(ctx, parents)]
            return [self._convert(rule, v, ctx, parents, at, issues) for v in values] or (None if not rule.required else self._missing(at, ctx, issues))
        if rule.count is not None:
            return len(parse(rule.count, leaf=False).nodes(ctx, parents))
        raw: Any = None
        if rule.const is not None:
            raw = rule.const
        elif rule.path is not None:
            raw = parse(rule.path).value(ctx, parents)
        elif rule.paths is not None:
            raw = next((v for p in rule.paths if (v := parse(p).value(ctx, parents)) is not None), None)
        if raw is None or raw == "":
            if rule.default is not None:
                return rule.default
            if rule.required:
                self._missing(at, ctx, issues, rule.path or (rule.paths or [""])[0])
            return None
        if not isinstance(raw, str):
            return raw
        return self._convert(rule, raw, ctx, parents, at, issues)

    def _missing(self, at: str, ctx: Node, issues: list[Issue], path: str = "") -> None:
        what = f" ({path})" if path else ""
        issues.append(Issue("mapping.required_missing", f"required value{what} is missing", at, ctx.where))
        return None

    def _convert(self, rule: FieldRule, raw: str, ctx: Node, parents: tuple, at: str, issues: list[Issue]) -> Any:
        value: Any = raw
        try:
            for name in rule.transform or ():
                value = tf.transform(name, value)
            if rule.table is not None:
                value = self._lookup(rule.table, value, rule.strict, at, ctx, issues)
            if rule.xref is not None:
                table = self.xref.get(rule.xref, {})
                if value in table:
                    value = table[value]
                else:
                    issues.append(Issue("mapping.xref_missing", f"{value!r} is not in cross-reference {rule.xref!r}", at, ctx.where, "warning"))
            if not isinstance(value, str):
                return value
            t = rule.type
            if t == "decimal":
                value = tf.to_decimal(value, rule.implied_decimals)
            elif t == "integer":
                value = tf.to_integer(value)
            elif t == "date":
                value = tf.to_date(value, rule.format)
            elif t == "time":
                value = tf.to_time(value, rule.format)
            elif t == "boolean":
                value = tf.to_boolean(value)
            if rule.scale_by is not None and isinstance(value, str):
                key = parse(rule.scale_by.path).value(ctx, parents)
                factors = self.tables.get(rule.scale_by.table) or {}
                factor = factors.get(key or "")
                if factor is not None:
                    value = tf.scale(value, str(factor))
        except tf.BadValue as exc:
            issues.append(Issue("mapping.bad_value", str(exc), at, ctx.where))
            return None
        return value

    def _lookup(self, name: str, code: str, strict: bool, at: str, ctx: Node, issues: list[Issue]) -> Any:
        table = self.tables.get(name)
        if table is None:
            issues.append(Issue("mapping.bad_path", f"code table {name!r} is not defined", at, self.spec.name))
            return code
        if code in table:
            return table[code]
        if "*" in table:  # the table's fallback for any other code
            return table["*"]
        issues.append(Issue("mapping.unknown_code", f"code {code!r} is not in table {name!r}", at, ctx.where, "error" if strict else "warning"))
        return code

    def _pairs(self, rule: FieldRule, ctx: Node, parents: tuple, at: str, issues: list[Issue]) -> list[dict]:
        out = []
        for pair in rule.pairs or []:
            if len(pair) != 2:
                issues.append(Issue("mapping.bad_path", f"pairs entries are [qualifier, value], got {pair!r}", at, self.spec.name))
                continue
            qual = parse(pair[0]).value(ctx, parents)
            val = parse(pair[1]).value(ctx, parents)
            if not qual or not val:
                continue
            kind = self._lookup(rule.table, qual, rule.strict, f"{at}/{len(out)}/type", ctx, issues) if rule.table else qual
            out.append({"type": kind, "value": val, "qualifier": qual})
        return out

    def _holds(self, cond: Condition, ctx: Node, parents: tuple) -> bool:
        return _condition(cond, parse(cond.path).value(ctx, parents))


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
                value = tf.transform(name, value)
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
