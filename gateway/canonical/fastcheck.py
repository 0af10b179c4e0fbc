"""A fast yes/no check of a document against one of our JSON Schemas.

jsonschema is the reference and gives the messages, but it takes milliseconds
for a 20-line order. Our schemas use a small subset of JSON Schema (the one
``config/typed.py`` generates). This module translates such a schema into the
source of one Python function per definition, straight-line type, enum,
pattern and required-key tests, and compiles it once. ``validate_document``
asks it first and runs jsonschema only for a document it rejects. A property
test holds both to the same verdict (tests/unit/canonical/test_fastcheck.py).

What reaches the generated source from a schema: property names, enum values
and patterns, always as ``repr()`` literals (or as keys of tables passed in
the namespace); never as code. Unknown keywords make ``Unsupported`` and the
caller falls back to jsonschema alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_SUPPORTED = {"$schema", "$id", "$defs", "$ref", "title", "description", "default", "writeOnly", "type", "properties",
              "required", "additionalProperties", "items", "enum", "pattern", "format", "anyOf", "minimum", "maximum"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ANNOTATIONS = {"title", "description", "default", "writeOnly"}  # keywords that test nothing


class Unsupported(Exception):
    """The schema uses something this compiler does not know: use jsonschema only."""


def _is_date(v: str) -> bool:
    if not _DATE.match(v):
        return False
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return False
    return True


class _Gen:
    def __init__(self, defs: dict) -> None:
        self.defs = defs
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"_is_date": _is_date, "_MISSING": object()}
        self.fn_names: dict[str, str] = {}
        self.counter = 0

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def function(self, key: str, schema: dict) -> str:
        """Name of the function checking ``schema`` (generated once per key)."""
        if key in self.fn_names:
            return self.fn_names[key]
        name = f"check_{len(self.fn_names)}"
        self.fn_names[key] = name
        body: list[str] = []
        self.node(schema, "v", body, 1)
        self.lines.append(f"def {name}(v):")
        self.lines.extend(body)
        self.lines.append("    return True")
        self.lines.append("")
        return name

    def test(self, key: str, s: dict, x: str) -> str:
        """An expression true when ``x`` fits ``s``: inline for a bare type or $ref, else a function call."""
        keys = set(s) - _ANNOTATIONS
        if keys == {"type"}:
            return f"({_type_test(s['type'], x)})"
        if keys == {"$ref"} and s["$ref"].startswith("#/$defs/") and s["$ref"][8:] in self.defs:
            return f"{self.function(s['$ref'], self.defs[s['$ref'][8:]])}({x})"
        return f"{self.function(key, s)}({x})"

    def node(self, s: dict, x: str, out: list[str], depth: int) -> None:
        """Append statements that ``return False`` when value ``x`` breaks ``s``."""
        unknown = set(s) - _SUPPORTED
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        pad = "    " * depth
        if "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/$defs/") or ref[8:] not in self.defs:
                raise Unsupported(ref)
            fn = self.function(ref, self.defs[ref[8:]])
            out.append(f"{pad}if not {fn}({x}): return False")
        if "anyOf" in s:
            tests = [self.test(f"anyof:{id(s)}:{i}", option, x) for i, option in enumerate(s["anyOf"])]
            # The usual pair: [T, null] -> T or None, each inline when it is a plain type or a $ref.
            out.append(f"{pad}if not ({' or '.join(tests)}): return False")
        if "enum" in s:
            values = s["enum"]
            if all(isinstance(v, str) for v in values):
                out.append(f"{pad}if type({x}) is not str or {x} not in {self.const(frozenset(values))}: return False")
            else:
                out.append(f"{pad}if not any({x} == a and type({x}) is type(a) for a in {self.const(tuple(values))}): return False")
        t = s.get("type")
        if t is not None:
            out.append(f"{pad}if not ({_type_test(t, x)}): return False")
        if "pattern" in s:
            rx = self.const(re.compile(s["pattern"]))
            out.append(f"{pad}if type({x}) is str and {rx}.search({x}) is None: return False")
        if s.get("format") == "date":
            out.append(f"{pad}if type({x}) is str and not _is_date({x}): return False")
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in s:
                out.append(f"{pad}if type({x}) in (int, float) and {x} {op} {s[key]!r}: return False")
        if "items" in s:
            item = self.var()
            inner: list[str] = []
            self.node(s["items"], item, inner, depth + 2)
            if inner:
                out.append(f"{pad}if type({x}) is list:")
                out.append(f"{pad}    for {item} in {x}:")
                out.extend(inner)
        if "properties" in s or "required" in s or "additionalProperties" in s:
            self.obj(s, x, out, depth)

    def obj(self, s: dict, x: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        props = s.get("properties", {})
        required = s.get("required", [])
        extra = s.get("additionalProperties", True)
        body: list[str] = []
        inner = pad + "    "
        for r in required:
            body.append(f"{inner}if {r!r} not in {x}: return False")
        if extra is False:
            keys = self.const(frozenset(props))
            body.append(f"{inner}for k in {x}:")
            body.append(f"{inner}    if k not in {keys}: return False")
        elif isinstance(extra, dict):
            item = self.var()
            checks: list[str] = []
            self.node(extra, item, checks, depth + 3)
            if checks:
                known = self.const(frozenset(props))
                body.append(f"{inner}for k, {item} in {x}.items():")
                body.append(f"{inner}    if k in {known}: continue")
                body.extend(checks)
        for name, sub in props.items():
            v = self.var()
            checks = []
            self.node(sub, v, checks, depth + 2)
            if checks:
                body.append(f"{inner}{v} = {x}.get({name!r}, _MISSING)")
                body.append(f"{inner}if {v} is not _MISSING:")
                body.extend(checks)
        if body:
            out.append(f"{pad}if type({x}) is dict:")
            out.extend(body)


def _type_test(t: str | list, x: str) -> str:
    kinds = t if isinstance(t, list) else [t]
    tests = []
    for k in kinds:
        if k == "object":
            tests.append(f"type({x}) is dict")
        elif k == "array":
            tests.append(f"type({x}) is list")
        elif k == "string":
            tests.append(f"type({x}) is str")
        elif k == "integer":
            tests.append(f"(type({x}) is int or (type({x}) is float and {x}.is_integer()))")
        elif k == "number":
            tests.append(f"type({x}) in (int, float)")
        elif k == "boolean":
            tests.append(f"type({x}) is bool")
        elif k == "null":
            tests.append(f"{x} is None")
        else:
            raise Unsupported(f"type {k}")
    return " or ".join(tests)


def compile_schema(schema: dict) -> Check:
    gen = _Gen(schema.get("$defs", {}))
    root = gen.function("#", schema)
    source = "\n".join(gen.lines)
    namespace: dict[str, Any] = dict(gen.consts)
    exec(compile(source, f"<schema {schema.get('$id', schema.get('title', ''))}>", "exec"), namespace)  # noqa: S102 - see module docstring
    return namespace[root]
