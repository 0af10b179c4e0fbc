"""Compile an inbound mapping spec into one Python function per object it builds.

Interpreting a spec rule by rule costs ten times a hand-written mapper (about
0.5 ms for a 20-line order); the targets of this gateway need the latter. So
the validated spec is translated into Python source, straight-line code that
reads each segment once and each element by index, and compiled once per
spec.

Safety: the vocabulary stays closed and nothing from a spec is ever executed.
The source is assembled from fixed templates; every value a spec supplies
(field names, codes, paths, constants, table names) enters it only as a
``repr()`` literal or as a constant object handed over in the namespace
(parsed ``Path``s, ``Condition``s). Identifiers are generated (``o3``,
``s_BEG``). ``tests/unit/mapping/test_compiler.py`` feeds hostile names and
values through it.
"""

from __future__ import annotations

import re
from typing import Any

from . import transforms as tf
from .paths import PathError, parse
from .spec import Condition, FieldRule, MappingSpec

_ELEMENT_KEY = re.compile(r"([A-Z][A-Z0-9]{1,2})(\d{2})(?:-(\d{2}))?")
_IDENT = re.compile(r"[A-Za-z0-9_]")


class _Segment:
    """Adapter giving any node the X12 segment's ``element(n, component)`` and ``values``."""

    __slots__ = ("node", "tag")

    def __init__(self, node: Any, tag: str) -> None:
        self.node = node
        self.tag = tag

    @property
    def values(self) -> _Values:
        return _Values(self)

    def element(self, n: int, component: int = 0) -> str | None:
        key = f"{self.tag}{n:02d}" + (f"-{component:02d}" if component else "")
        return self.node.value(key) or None


class _Values:
    """Index access to an adapted node's values, as generated code reads a segment's."""

    __slots__ = ("segment",)

    def __init__(self, segment: _Segment) -> None:
        self.segment = segment

    def __len__(self) -> int:
        return 99

    def __getitem__(self, i: int) -> str:
        return self.segment.element(i + 1) or ""


def seg(ctx: Any, tag: str) -> Any:
    """The first segment ``tag`` here (the context itself when it is one), or None."""
    node = ctx if ctx.name == tag else None
    if node is None:
        found = ctx.children(tag)
        if not found:
            return None
        node = found[0]
    return node if hasattr(node, "element") else _Segment(node, tag)


def kids(ctx: Any) -> Any:
    """``ctx``'s children by name: its own index when it keeps one (X12 loops), else a view asking ``children``."""
    index = getattr(ctx, "child_index", None)
    return index() if index is not None else _Children(ctx)


class _Children:
    __slots__ = ("ctx",)

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def get(self, name: str) -> list:
        return self.ctx.children(name)


def seg_in(ctx: Any, cm: Any, tag: str) -> Any:
    """``seg`` with the children index already at hand."""
    if ctx.name == tag:
        node = ctx
    else:
        found = cm.get(tag)
        if not found:
            return None
        node = found[0]
    return node if hasattr(node, "element") else _Segment(node, tag)


def segpairs(segment: Any, indexes: tuple) -> list:
    """(qualifier, value) pairs present in one segment, for element index pairs in order."""
    if segment is None:
        return []
    values = segment.values
    last = len(values)
    out = []
    for q, v in indexes:
        if q > last:
            break
        qual = values[q - 1]
        if qual:
            val = values[v - 1] if v <= last else ""
            if val:
                out.append((qual, val))
    return out


def segs_all(ctx: Any, tag: str) -> list:
    """Every segment ``tag`` here (the context itself when it is one), with ``element``."""
    nodes = [ctx] if ctx.name == tag and not ctx.children() else ctx.children(tag)
    return [n if hasattr(n, "element") else _Segment(n, tag) for n in nodes]


class Compiler:
    def __init__(self, spec: MappingSpec, runtime: Runtime) -> None:
        self.spec = spec
        self.rt = runtime
        self.consts: dict[str, Any] = {}
        self.functions: list[list[str]] = []
        self.bad: list[tuple[str, str]] = []  # (pointer, problem) found while compiling
        self.inline = 0

    # -- namespace ------------------------------------------------------------------------------

    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def path(self, text: str, at: tuple, leaf: bool = True):
        try:
            return parse(text, leaf)
        except PathError as exc:
            self.bad.append((_pointer(at), str(exc)))
            return None

    # -- objects --------------------------------------------------------------------------------

    def obj(self, fields: dict, at: tuple) -> str:
        """Generate a function building one object; returns its name."""
        name = f"o{len(self.functions)}"
        body: list[str] = []
        self.functions.append(body)  # reserve the slot (nested objects append theirs after)
        segs: dict[str, str] = {}
        code: list[str] = []
        for field_name, rule in fields.items():
            if rule is None:
                continue
            if isinstance(rule, str):
                rule = FieldRule(path=rule)
            self.field(field_name, rule, at + (field_name,), code, segs, "    ")
        body.append(f"def {name}(ctx, parents, issues, at):")
        body.append("    out = {}")
        if segs or any("cm.get(" in line for line in code):
            body.append("    cm = kids(ctx)")  # the children by name, once: every lookup below is a dict get
        for tag, var in segs.items():
            body.append(f"    {var} = seg_in(ctx, cm, {tag!r})")
            body.append(f"    e{var[1:]} = {var}.values if {var} is not None else ()")
        body.extend(code)
        body.append("    return out")
        return name

    def getter(self, text: str, at: tuple, segs: dict[str, str]) -> str | None:
        """An expression for the value at path ``text`` (None when absent)."""
        p = self.path(text, at)
        if p is None:
            return None
        m = _ELEMENT_KEY.fullmatch(p.leaf or "")
        if m is not None and len(p.steps) == 1 and p.steps[0].name == m.group(1) and not p.steps[0].filters:
            tag = m.group(1)
            var = segs.get(tag)
            if var is None:
                var = segs[tag] = f"s_{len(segs)}"
            n, comp = int(m.group(2)), int(m.group(3) or 0)
            if comp:
                return f"({var}.element({n}, {comp}) if {var} is not None else None)"
            ev = "e" + var[1:]  # the segment's values, fetched with it
            return f"(({ev}[{n - 1}] or None) if len({ev}) > {n - 1} else None)"
        fn = self.path_function(p)
        if fn is not None:
            return f"{fn}(ctx)"
        return f"{self.const(p)}.value(ctx, parents)"

    def path_function(self, p) -> str | None:
        """A generated function walking ``p``'s steps for the first value, or None when the path
        needs the general walker (``..``, ``*``)."""
        if any(st.name in ("..", "*") for st in p.steps) or p.leaf is None:
            return None
        name = f"p{len(self.functions)}"
        lines = [f"def {name}(ctx):"]
        var = "ctx"
        pad = "    "
        m = _ELEMENT_KEY.fullmatch(p.leaf)
        steps = list(p.steps)
        final_seg = None
        if m is not None and steps and steps[-1].name == m.group(1) and not steps[-1].filters:
            final_seg = steps.pop()  # read the element straight from that segment
        for depth, st in enumerate(steps):
            nxt = f"n{depth}"
            if st.implicit or depth == 0:
                # BEG03 on a BEG; PER[PER03=TE]/PER04 inside an each over PER segments
                self_ok = f"{var}.name == {st.name!r}" + ("" if st.implicit else f" and not {var}.children()")
                lines.append(f"{pad}for {nxt} in ([{var}] if {self_ok} else {var}.children({st.name!r})):")
            else:
                lines.append(f"{pad}for {nxt} in {var}.children({st.name!r}):")
            pad += "    "
            for f in st.filters:
                got = f"{nxt}.value({f.key!r})"
                if f.op == "":
                    lines.append(f"{pad}if {got} is None: continue")
                elif f.op == "=":
                    lines.append(f"{pad}if {got} not in {self.const(frozenset(f.values))}: continue")
                else:
                    lines.append(f"{pad}if {got} in {self.const(frozenset(f.values))}: continue")
            var = nxt
        if final_seg is not None:
            lines.append(f"{pad}s = seg({var}, {final_seg.name!r})")
            n, comp = int(m.group(2)), int(m.group(3) or 0)
            if comp:
                lines.append(f"{pad}v = s.element({n}, {comp}) if s is not None else None")
            else:
                lines.append(f"{pad}e = s.values if s is not None else ()")
                lines.append(f"{pad}v = e[{n - 1}] if len(e) > {n - 1} else None")
        else:
            lines.append(f"{pad}v = {var}.value({p.leaf!r})")
        lines.append(f"{pad}if v is not None and v != '':")
        lines.append(f"{pad}    return v")
        lines.append("    return None")
        self.functions.append(lines)
        return name

    def field(self, name: str, rule: FieldRule, at: tuple, code: list[str], segs: dict[str, str], pad: str) -> None:
        key = repr(name)
        ptr = self.const(at)  # canonical path pattern, for issues
        body: list[str] = []
        inner = pad
        if rule.derive and rule.pairs is None:
            self.bad.append((_pointer(at), "derive works with pairs only"))
        if rule.fallback is not None:
            self.check_fallback(rule, at)
        if rule.when is not None:
            cond = self.condition(rule.when, at, segs)
            code.append(f"{pad}if {cond}:")
            inner = pad + "    "
        if rule.each is not None:
            self.each(key, rule, at, body, inner)
        elif rule.fields is not None:
            self.nested(key, rule, at, body, inner, segs)
        elif rule.pairs is not None:
            self.pairs(key, rule, at, body, inner, segs)
        elif rule.collect is not None:
            paths = [rule.collect] if isinstance(rule.collect, str) else rule.collect
            parsed = [p for t in paths if (p := self.path(t, at)) is not None]
            refs = [_ELEMENT_KEY.fullmatch(p.leaf or "") for p in parsed]
            tags = {m.group(1) for m in refs if m} if all(refs) else set()
            if len(tags) == 1 and all(len(p.steps) == 1 and not p.steps[0].filters and p.steps[0].name == m.group(1)
                                      for p, m in zip(parsed, refs, strict=True)):
                # N3/N301 and N3/N302: every N3 in turn, its elements in the order given (document order).
                tag = tags.pop()
                idx = self.const(tuple((int(m.group(2)), int(m.group(3) or 0)) for m in refs))
                body.append(f"{inner}vals = [x for s in segs_all(ctx, {tag!r}) for n, c in {idx} if (x := s.element(n, c)) is not None]")
            else:
                body.append(f"{inner}vals = [x for p in {self.const(tuple(parsed))} for x in p.values(ctx, parents)]")
            conv = self.converter(rule, at, segs)
            if conv:
                body.append(f"{inner}vals = [y for y in ({conv.replace('VALUE', 'x')} for x in vals) if y is not None]")
            body.append(f"{inner}if vals:")
            body.append(f"{inner}    out[{key}] = vals")
            if rule.required:
                body.append(f"{inner}else:")
                body.append(f"{inner}    issues.append(Issue('mapping.required_missing', 'required values are missing', ptr(at, {ptr}), ctx.where))")
        elif rule.count is not None:
            p = self.path(rule.count, at, leaf=False)
            if p is not None:
                body.append(f"{inner}out[{key}] = len({self.const(p)}.nodes(ctx, parents))")
        elif rule.const is not None:
            body.append(f"{inner}out[{key}] = {self.const(rule.const)}")
        else:
            self.leaf(key, rule, at, body, inner, segs)
        code.extend(body or [f"{inner}pass"])

    def leaf(self, key: str, rule: FieldRule, at: tuple, body: list[str], pad: str, segs: dict[str, str]) -> None:
        texts = [rule.path] if rule.path is not None else list(rule.paths or [])
        getters = [g for t in texts if (g := self.getter(t, at, segs)) is not None]
        if not getters:
            return
        ptr = self.const(at)
        body.append(f"{pad}v = {getters[0]}")
        for g in getters[1:]:
            body.append(f"{pad}if v is None:")
            body.append(f"{pad}    v = {g}")
        conv = self.converter(rule, at, segs)
        body.append(f"{pad}if v is not None:")
        if conv:
            body.append(f"{pad}    v = {conv.replace('VALUE', 'v')}")
            body.append(f"{pad}    if v is not None:")
            body.append(f"{pad}        out[{key}] = v")
        else:
            body.append(f"{pad}    out[{key}] = v")
        if rule.fallback == "position" and "*" in at:
            # the item's place in its list: at holds the list indexes, the innermost last
            innermost = len(at) - 1 - at[::-1].index("*")
            field, listed = at[-1], at[innermost - 1]
            before, after = f"{texts[0]} is absent: {field} ", f" is derived from the item's position in {listed}"
            value = "n" if rule.type == "integer" else "str(n)"
            body.append(f"{pad}else:")
            body.append(f"{pad}    n = position(at)")
            body.append(f"{pad}    out[{key}] = {value}")
            message = f"{before!r} + repr(str(n)) + {after!r}"
            body.append(f"{pad}    issues.append(Issue('mapping.derived', {message}, ptr(at, {ptr}), ctx.where, 'warning'))")
        elif rule.default is not None or rule.required:
            body.append(f"{pad}else:")
            if rule.default is not None:
                body.append(f"{pad}    out[{key}] = {self.const(rule.default)}")
            else:
                msg = repr(f"required value ({texts[0]}) is missing")
                body.append(f"{pad}    issues.append(Issue('mapping.required_missing', {msg}, ptr(at, {ptr}), ctx.where))")

    def check_fallback(self, rule: FieldRule, at: tuple) -> None:
        """``fallback`` derives a leaf value inside a list; anything else is a spec error, not ignored."""
        where = _pointer(at)
        if rule.path is None and not rule.paths:
            self.bad.append((where, "fallback needs path or paths (a value the partner may leave out)"))
        if rule.default is not None:
            self.bad.append((where, "fallback and default exclude each other"))
        if "*" not in at:
            self.bad.append((where, "fallback: position needs a field of an item of a list (each)"))
        if rule.type not in ("string", "integer"):
            self.bad.append((where, f"fallback: position gives a number, not a {rule.type}"))

    def converter(self, rule: FieldRule, at: tuple, segs: dict[str, str]) -> str:
        """An expression converting VALUE (a str), or '' when nothing to do. None means dropped."""
        steps = []
        for t in rule.transform or ():
            steps.append(("transform", t))
        if rule.table is not None:
            steps.append(("table", rule.table))
        if rule.xref is not None:
            steps.append(("xref", rule.xref))
        if rule.type != "string":
            steps.append(("type", rule.type))
        if rule.scale_by is not None:
            steps.append(("scale", rule.scale_by))
        if not steps:
            return ""
        pat = self.const(at)
        simple = [k for k, _ in steps] in (["type"], ["table"], ["table", "type"])
        if simple and rule.type in ("string", "decimal", "integer", "date", "time"):
            expr = "VALUE"
            if rule.table is not None:
                expr = f"lookup({rule.table!r}, {expr}, {rule.strict!r}, ctx, issues, at, {pat})"
            if rule.type == "decimal" and expr == "VALUE" and not rule.implied_decimals:
                # most amounts are already canonical ("12.5"): one regex test, no call
                expr = f"(VALUE if plain(VALUE) and VALUE != '-0' else dec(VALUE, None, ctx, issues, at, {pat}))"
            elif rule.type == "decimal":
                expr = f"dec({expr}, {rule.implied_decimals!r}, ctx, issues, at, {pat})"
            elif rule.type == "integer":
                expr = f"whole({expr}, ctx, issues, at, {pat})"
            elif rule.type in ("date", "time"):
                expr = f"when_({expr}, {rule.type!r}, {rule.format!r}, ctx, issues, at, {pat})"
            return expr
        scale_get = self.getter(rule.scale_by.path, at, segs) if rule.scale_by is not None else "None"
        plan = self.const((tuple(steps), rule.format, rule.implied_decimals, rule.strict, at))
        return f"convert(VALUE, {plan}, ctx, issues, at, {scale_get})"

    def each(self, key: str, rule: FieldRule, at: tuple, body: list[str], pad: str) -> None:
        p = self.path(rule.each, at, leaf=False)
        if p is None:
            return
        fn = self.obj(rule.fields or {}, at + ("*",))
        where = self.const(rule.where) if rule.where is not None else None
        where_getter = self.const(self.path(rule.where.path, at)) if rule.where is not None else None
        ptr = self.const(at)
        if len(p.steps) == 1 and not p.steps[0].filters and p.steps[0].name not in ("..", "*", "."):
            body.append(f"{pad}nodes = cm.get({p.steps[0].name!r})")
        else:
            body.append(f"{pad}nodes = {self.const(p)}.nodes(ctx, parents)")
        # Most lists are empty most of the time (no DTM on this line): one test, then out.
        body.append(f"{pad}if nodes:")
        body.append(f"{pad}    items = []")
        body.append(f"{pad}    inner = parents + (ctx,)")
        body.append(f"{pad}    for node in nodes:")
        if where is not None:
            body.append(f"{pad}        if not holds({where}, {where_getter}.value(node, inner)):")
            body.append(f"{pad}            continue")
        body.append(f"{pad}        item = {fn}(node, inner, issues, at + ({at[-1]!r}, len(items)))")
        body.append(f"{pad}        if item:")
        body.append(f"{pad}            items.append(item)")
        body.append(f"{pad}    if items:")
        body.append(f"{pad}        out[{key}] = items")
        if rule.required:
            msg = repr(f"no {rule.each} found")
            body.append(f"{pad}if {key} not in out:")
            body.append(f"{pad}    issues.append(Issue('mapping.required_missing', {msg}, ptr(at, {ptr}), ctx.where))")

    def nested(self, key: str, rule: FieldRule, at: tuple, body: list[str], pad: str, segs: dict[str, str] | None = None) -> None:
        ptr = self.const(at)
        if rule.context is None and segs is not None:
            # Same context: built inline, sharing the segments already fetched (no call, no refetch).
            self.inline += 1
            var = f"o{self.inline}_"
            inner: list[str] = []
            for name, sub in (rule.fields or {}).items():
                if sub is None:
                    continue
                if isinstance(sub, str):
                    sub = FieldRule(path=sub)
                self.field(name, sub, at + (name,), inner, segs, pad)
            body.append(f"{pad}{var} = {{}}")
            body.extend(line.replace("out[", f"{var}[").replace(" not in out:", f" not in {var}:") for line in inner)
            body.append(f"{pad}if {var}:")
            body.append(f"{pad}    out[{key}] = {var}")
            if rule.required:
                body.append(f"{pad}else:")
                body.append(f"{pad}    issues.append(Issue('mapping.required_missing', 'required object is empty', ptr(at, {ptr}), ctx.where))")
            return
        fn = self.obj(rule.fields or {}, at)
        if rule.context is not None:
            p = self.path(rule.context, at, leaf=False)
            if p is None:
                return
            body.append(f"{pad}found = {self.const(p)}.nodes(ctx, parents)")
            body.append(f"{pad}if found:")
            body.append(f"{pad}    o = {fn}(found[0], parents + (ctx,), issues, at + ({at[-1]!r},))")
            body.append(f"{pad}    if o:")
            body.append(f"{pad}        out[{key}] = o")
            if rule.required:
                msg = repr(f"no {rule.context} found")
                body.append(f"{pad}else:")
                body.append(f"{pad}    issues.append(Issue('mapping.required_missing', {msg}, ptr(at, {ptr}), ctx.where))")
            return
        body.append(f"{pad}o = {fn}(ctx, parents, issues, at + ({at[-1]!r},))")
        body.append(f"{pad}if o:")
        body.append(f"{pad}    out[{key}] = o")
        if rule.required:
            body.append(f"{pad}else:")
            body.append(f"{pad}    issues.append(Issue('mapping.required_missing', 'required object is empty', ptr(at, {ptr}), ctx.where))")

    def pairs(self, key: str, rule: FieldRule, at: tuple, body: list[str], pad: str, segs: dict[str, str]) -> None:
        getters = []
        refs = []  # (tag, qualifier element, value element) when a pair lies in one segment
        for pair in rule.pairs or []:
            if len(pair) != 2:
                self.bad.append((_pointer(at), f"pairs entries are [qualifier, value], got {pair!r}"))
                continue
            # "=92": a literal qualifier, for files that put an identifier in a column of its own
            q = repr(pair[0][1:]) if pair[0].startswith("=") and len(pair[0]) > 1 else self.getter(pair[0], at, segs)
            v = self.getter(pair[1], at, segs)
            if q is not None and v is not None:
                getters.append((q, v))
            mq, mv = _ELEMENT_KEY.fullmatch(pair[0]), _ELEMENT_KEY.fullmatch(pair[1])
            if mq and mv and mq.group(1) == mv.group(1) and not mq.group(3) and not mv.group(3):
                refs.append((mq.group(1), int(mq.group(2)), int(mv.group(2))))
        table = self.const(rule.table) if rule.table else "None"
        derive = tuple((d.of, d.xref, d.type) for d in rule.derive or ())
        plan = self.const((rule.strict, at, derive))
        if getters and len(refs) == len(getters) and len({r[0] for r in refs}) == 1:
            # All in one segment (PO106/PO107, PO108/PO109, ...): one helper call walks them.
            var = segs[refs[0][0]]
            body.append(f"{pad}found = segpairs({var}, {self.const(tuple((q, v) for _, q, v in refs))})")
        else:
            body.append(f"{pad}found = []")
            for q, v in getters:
                body.append(f"{pad}q = {q}")
                body.append(f"{pad}if q is not None:")
                body.append(f"{pad}    x = {v}")
                body.append(f"{pad}    if x is not None:")
                body.append(f"{pad}        found.append((q, x))")
        body.append(f"{pad}if found:")
        body.append(f"{pad}    out[{key}] = pairs(found, {table}, {plan}, ctx, issues, at)")

    def condition(self, cond: Condition, at: tuple, segs: dict[str, str]) -> str:
        getter = self.getter(cond.path, at, segs) or "None"
        return f"holds({self.const(cond)}, {getter})"


def _pointer(at: tuple) -> str:
    return "/" + "/".join(str(p) for p in at) if at else ""


def ptr(at: tuple, pattern: tuple) -> str:
    """JSON pointer of a field: the runtime list indexes of ``at`` fill the ``*`` of ``pattern``."""
    path = list(at) + list(pattern[len(at):]) if len(pattern) >= len(at) else list(at)
    return _pointer(tuple(path))


class Runtime:
    """What generated code may call: conversions, lookups and the issue type."""

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper

    def namespace(self) -> dict[str, Any]:
        from .engine import Issue, _condition

        mapper = self.mapper

        def convert(value: str, plan, ctx, issues, at, scale_value=None):
            steps, fmt, implied, strict, pattern = plan
            v: Any = value
            try:
                for kind, arg in steps:
                    if not isinstance(v, str):
                        break
                    if kind == "transform":
                        try:
                            v = tf.transform(arg, v)
                        except tf.Unusual as note:  # kept as sent, flagged for a reader
                            v = note.value
                            issues.append(Issue("mapping.kept_as_sent", note.message, ptr(at, pattern), ctx.where, "warning"))
                    elif kind == "table":
                        v = mapper._lookup(arg, v, strict, (at, pattern), ctx, issues)
                    elif kind == "xref":
                        table = mapper.xref.get(arg, {})
                        if v in table:
                            v = table[v]
                        else:
                            issues.append(Issue("mapping.xref_missing", f"{v!r} is not in cross-reference {arg!r}", ptr(at, pattern), ctx.where, "warning"))
                    elif kind == "type":
                        if arg == "decimal":
                            v = tf.to_decimal(v, implied)
                        elif arg == "integer":
                            v = tf.to_integer(v)
                        elif arg == "date":
                            v = tf.to_date(v, fmt)
                        elif arg == "time":
                            v = tf.to_time(v, fmt)
                        elif arg == "boolean":
                            v = tf.to_boolean(v)
                    elif kind == "scale":
                        factor = (mapper.tables.get(arg.table) or {}).get(scale_value or "")
                        if factor is not None:
                            v = tf.scale(v, str(factor))
            except tf.BadValue as exc:
                issues.append(Issue("mapping.bad_value", str(exc), ptr(at, pattern), ctx.where))
                return None
            return v

        plain = tf._PLAIN_DECIMAL.fullmatch

        def dec(v, implied, ctx, issues, at, pattern):
            if type(v) is not str:
                return v
            if not implied and plain(v) and v != "-0":
                return v
            try:
                return tf.to_decimal(v, implied)
            except tf.BadValue as exc:
                issues.append(Issue("mapping.bad_value", str(exc), ptr(at, pattern), ctx.where))
                return None

        def whole(v, ctx, issues, at, pattern):
            if type(v) is not str:
                return v
            if v.isdigit() and v.isascii():
                return int(v)
            try:
                return tf.to_integer(v)
            except tf.BadValue as exc:
                issues.append(Issue("mapping.bad_value", str(exc), ptr(at, pattern), ctx.where))
                return None

        def when_(v, kind, fmt, ctx, issues, at, pattern):
            if type(v) is not str:
                return v
            try:
                return tf.to_date(v, fmt) if kind == "date" else tf.to_time(v, fmt)
            except tf.BadValue as exc:
                issues.append(Issue("mapping.bad_value", str(exc), ptr(at, pattern), ctx.where))
                return None

        def position(at):
            """1-based place of the current item in its list: the innermost list index of ``at``."""
            for step in reversed(at):
                if type(step) is int:
                    return step + 1
            return 0  # no list: compile_spec reported the spec error

        tables = mapper.tables.tables  # fixed for this mapper: known codes are found without a call

        def lookup(table, v, strict, ctx, issues, at, pattern):
            found = tables.get(table, {}).get(v)
            if found is not None:
                return found
            return mapper._lookup(table, v, strict, (at, pattern), ctx, issues)

        def pairs(found, table, plan, ctx, issues, at):
            strict, pattern, derive = plan
            out = []
            codes = tables.get(table, {}) if table else {}
            for q, v in found:
                kind = codes.get(q) if table else q
                if kind is None:
                    kind = mapper._lookup(table, q, strict, (at, pattern + (len(out), "type")), ctx, issues)
                out.append({"type": kind, "value": v, "qualifier": q})
            for of, name, kind in derive:
                for item in [i for i in out if i["type"] == of]:
                    xref = mapper.xref.get(name, {})
                    if item["value"] in xref:
                        out.append({"type": kind, "value": xref[item["value"]]})
                    else:
                        issues.append(Issue("mapping.xref_missing", f"{item['value']!r} is not in cross-reference {name!r}",
                                            ptr(at, pattern + (len(out),)), ctx.where, "warning"))
            return out

        return {"seg": seg, "seg_in": seg_in, "kids": kids, "plain": plain, "Issue": Issue, "ptr": ptr, "convert": convert, "pairs": pairs, "holds": _condition,
                "segpairs": segpairs, "segs_all": segs_all, "dec": dec, "whole": whole, "when_": when_, "lookup": lookup,
                "position": position}


def compile_spec(spec: MappingSpec, mapper: Any):
    """The root function ``(ctx, parents, issues, at) -> dict`` and problems found in the spec."""
    runtime = Runtime(mapper)
    c = Compiler(spec, runtime)
    root = c.obj(spec.fields, ())
    source = "\n".join(line for fn in c.functions for line in fn + [""])
    namespace = runtime.namespace()
    namespace.update(c.consts)
    exec(compile(source, f"<mapping {spec.name}>", "exec"), namespace)  # noqa: S102 - generated from a parsed spec, see module docstring
    return namespace[root], c.bad, source
