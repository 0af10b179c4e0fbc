"""One typed model per YAML document kind: dataclasses that validate, default, document themselves.

A model is a dataclass deriving from ``Model``. Its fields' annotations say the
type; ``typing.Annotated`` extras add constraints (``Doc``, ``Pattern``,
``Format``, ``Secret``, ``Schema``, ``Range``, ``Keys``). From that single definition come:

* ``Model.json_schema()``: the published JSON Schema (unknown keys rejected);
* ``Model.load(source)``: every problem of a YAML document at once, as
  ``file:line: message``, then the typed object with defaults filled in;
* ``to_data()`` and ``repr()`` that mask secrets (and problem messages never
  echo a secret's value, nor any value that came from ``${ENV}``, whatever its field:
  see ``gateway.masking`` for the whole rule).

Validation uses jsonschema with validators compiled once per model.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from jsonschema import Draft202012Validator

from ..errors import ConfigError
from ..masking import MASK
from .yamlio import Source


@dataclass(frozen=True)
class Doc:
    text: str


@dataclass(frozen=True)
class Pattern:
    regex: str


@dataclass(frozen=True)
class Format:
    name: str  # date, date-time, ...


@dataclass(frozen=True)
class Secret:
    """The value is masked when shown or written back."""


@dataclass(frozen=True)
class Schema:
    """A hand-written JSON Schema fragment for this field (replaces the derived one)."""

    fragment: dict


@dataclass(frozen=True)
class Range:
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Keys:
    """The keys of a ``dict`` field must match ``regex``; ``text`` says what they are, for error messages."""

    regex: str
    text: str = ""


def _meta(hint: Any) -> tuple[Any, list]:
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        return base, extras
    return hint, []


def _is_optional(hint: Any) -> tuple[bool, Any]:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) < len(get_args(hint)):
            return True, args[0] if len(args) == 1 else Union[tuple(args)]  # type: ignore[return-value]
    return False, hint


class Model:
    """Base for YAML-backed dataclasses. Subclasses must be ``@dataclass``es."""

    _validator: ClassVar[Draft202012Validator | None] = None
    schema_id: ClassVar[str | None] = None  # $id of the published schema
    schema_title: ClassVar[str | None] = None

    # -- schema --------------------------------------------------------------------------------

    @classmethod
    def json_schema(cls) -> dict:
        defs: dict[str, dict] = {}
        root = _object_schema(cls, defs)
        schema: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        if cls.schema_id:
            schema["$id"] = cls.schema_id
        schema["title"] = cls.schema_title or cls.__name__
        schema.update(root)
        if f'"#/$defs/{cls.__name__}"' not in json.dumps(defs) + json.dumps(root):
            defs.pop(cls.__name__, None)  # the root is the document itself, unless it refers to itself
        if defs:
            schema["$defs"] = dict(sorted(defs.items()))
        return schema

    @classmethod
    def validator(cls) -> Draft202012Validator:
        v = cls.__dict__.get("_validator")
        if v is None:
            v = Draft202012Validator(cls.json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
            cls._validator = v
        return v

    # -- load ------------------------------------------------------------------------------------

    @classmethod
    def problems(cls, data: Any, source: Source | None = None) -> list[str]:
        """Every way ``data`` does not fit this model, as ``where: message`` lines."""
        out = []
        for err in sorted(cls.validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
            out.extend(_explain(err, source))
        return sorted(set(out), key=out.index)

    @classmethod
    def load(cls, source: Source):
        found = cls.problems(source.data, source)
        if found:
            raise ConfigError(found)
        return build(cls, source.data)

    @classmethod
    def from_data(cls, data: Any, name: str = "<data>"):
        return cls.load(Source(name, data, {}))

    # -- dump ------------------------------------------------------------------------------------

    def to_data(self, *, reveal: bool = False) -> dict:
        return _dump(self, reveal)

    @classmethod
    def mask(cls, data: Any) -> Any:
        """Plain ``data`` (checked or not) with the values of ``Secret`` fields masked, as ``to_data()`` masks a
        loaded object: for settings kept as plain data, such as a route's connector options."""
        schema = cls.json_schema()
        return _mask_plain(data, schema, schema.get("$defs", {}))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_data().items())
        return f"{type(self).__name__}({fields})"


def _explain(err, source: Source | None) -> list[str]:
    loc = tuple(err.absolute_path)

    def where(at: tuple) -> str:
        if source is None:
            return "/".join(map(str, at)) or "(document)"
        return source.where(at)

    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        hint = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
        return [f"{where(loc + (k,))}: unknown key {k!r}{hint}" for k in extra]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [f"{where(loc)}: missing required key {missing!r}"]
    if err.validator in ("anyOf", "oneOf") and err.context:
        # Report the branch that went furthest, not "is not valid under any of the given schemas".
        best = max(err.context, key=lambda e: len(e.absolute_path))
        forms = err.schema.get("description") if isinstance(err.schema, dict) else None
        if forms and len(best.absolute_path) <= len(loc) and not any(s.get("type") == "null" for s in err.schema.get(err.validator, [])):
            # No form got past the value itself: say which forms there are.
            path = "/".join(map(str, loc))
            unknown = sorted({k for e in err.context if e.validator == "additionalProperties" and isinstance(e.instance, dict)
                              for k in e.instance if k not in e.schema.get("properties", {})})
            why = f" (unknown key {', '.join(map(repr, unknown))})" if unknown else ""
            return [f"{where(loc)}: {path + ': ' if path else ''}{err.instance!r}{why} is none of the accepted forms: {forms}"]
        return _explain(best, source)
    if "propertyNames" in err.absolute_schema_path and isinstance(err.instance, str):
        key, what = err.instance, err.schema.get("description") if isinstance(err.schema, dict) else None
        explain = f"is not {what}" if what else err.message.replace(repr(key), "", 1).strip()
        return [f"{where(loc + (key,))}: key {key!r} {explain}"]
    path = "/".join(map(str, loc))
    message = err.message
    if _is_secret(err):
        message = message.replace(repr(err.instance), MASK) if repr(err.instance) in message else "invalid secret value"
    if source is not None:
        message = source.hide(message, loc)  # a value from ${ENV} may be a secret in a field not marked as one
    return [f"{where(loc)}: {path + ': ' if path else ''}{message}"]


def _is_secret(err) -> bool:
    """Whether the value in error sits in a field marked ``Secret`` (``writeOnly``)."""
    e = err
    while e is not None:
        if isinstance(e.schema, dict) and e.schema.get("writeOnly"):
            return True
        e = e.parent
    return False


# -- schema derivation ----------------------------------------------------------------------------


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # get_type_hints evaluates every annotation string again on each call; models are built per spec and profile.
    return get_type_hints(cls, include_extras=True)


def _object_schema(cls: type, defs: dict[str, dict]) -> dict:
    hints = _hints(cls)
    props: dict[str, dict] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        if f.name.startswith("_"):
            continue
        props[f.name] = _field_schema(hints[f.name], defs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
        elif f.default is not dataclasses.MISSING and f.default is not None and isinstance(f.default, (str, int, float, bool)):
            props[f.name].setdefault("default", f.default)
    out: dict = {"type": "object", "additionalProperties": False, "properties": props}
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    if doc and not doc.startswith(cls.__name__ + "("):
        out["description"] = " ".join(doc.split())
    if required:
        out["required"] = required
    return out


def _field_schema(hint: Any, defs: dict[str, dict]) -> dict:
    base, extras = _meta(hint)
    custom = next((x for x in extras if isinstance(x, Schema)), None)
    if custom is not None:
        out = dict(custom.fragment)
    else:
        out = _type_schema(base, defs)
    for x in extras:
        if isinstance(x, Doc):
            out["description"] = x.text
        elif isinstance(x, Pattern):
            out["pattern"] = x.regex
        elif isinstance(x, Format):
            out["format"] = x.name
        elif isinstance(x, Secret):
            out["writeOnly"] = True
        elif isinstance(x, Range):
            if x.minimum is not None:
                out["minimum"] = x.minimum
            if x.maximum is not None:
                out["maximum"] = x.maximum
        elif isinstance(x, Keys):
            names = {"pattern": x.regex}
            if x.text:
                names["description"] = x.text
            target = out if out.get("type") == "object" else next((s for s in out.get("anyOf", []) if s.get("type") == "object"), out)
            target["propertyNames"] = names
    return out


def _type_schema(hint: Any, defs: dict[str, dict]) -> dict:
    optional, inner = _is_optional(hint)
    if optional:
        schema = _field_schema(inner, defs)
        desc = schema.pop("description", None)
        out = {"anyOf": [schema, {"type": "null"}]}
        if desc:
            out["description"] = desc
        return out
    origin = get_origin(hint)
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is Any or hint is object:
        return {}
    if origin is Literal:
        values = list(get_args(hint))
        return {"enum": values}
    if origin in (list, list):
        (item,) = get_args(hint) or (Any,)
        return {"type": "array", "items": _field_schema(item, defs)}
    if origin in (dict, dict):
        key, value = get_args(hint) or (str, Any)
        return {"type": "object", "additionalProperties": _field_schema(value, defs)}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_field_schema(a, defs) for a in get_args(hint)]}
    if dataclasses.is_dataclass(hint):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _object_schema(hint, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for annotation {hint!r}")


# -- building objects ------------------------------------------------------------------------------


def build(hint: Any, value: Any) -> Any:
    """Turn validated plain data into the typed value ``hint`` describes (defaults filled in)."""
    base, _ = _meta(hint)
    optional, inner = _is_optional(base)
    if optional:
        return None if value is None else build(inner, value)
    origin = get_origin(base)
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        hints = _hints(base)
        kwargs = {}
        for f in dataclasses.fields(base):
            if isinstance(value, dict) and f.name in value:
                kwargs[f.name] = build(hints[f.name], value[f.name])
        return base(**kwargs)
    if origin in (list, list) and isinstance(value, list):
        (item,) = get_args(base) or (Any,)
        return [build(item, v) for v in value]
    if origin in (dict, dict) and isinstance(value, dict):
        _, item = get_args(base) or (str, Any)
        return {k: build(item, v) for k, v in value.items()}
    if origin in (Union, types.UnionType):
        options = [a for a, _ in map(_meta, get_args(base)) if dataclasses.is_dataclass(a)]
        if isinstance(value, dict) and options:
            # The option the value actually fits (e.g. source: {format: csv} is a FlatSource, not an X12Source).
            for a in options:
                if issubclass(a, Model) and a.validator().is_valid(value):
                    return build(a, value)
            return build(options[0], value)
        return value
    return value


def _mask_plain(data: Any, schema: Any, defs: dict) -> Any:
    branches = [_resolve(b, defs) for b in [schema, *(schema.get("anyOf", []) if isinstance(schema, dict) else [])]]
    branches = [b for b in branches if isinstance(b, dict)]
    if any(b.get("writeOnly") for b in branches):
        return _mask_leaves(data)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            sub = next((b["properties"][key] for b in branches if key in b.get("properties", {})), None)
            if sub is None:
                sub = next((b["additionalProperties"] for b in branches if isinstance(b.get("additionalProperties"), dict)), {})
            out[key] = _mask_plain(value, sub, defs)
        return out
    if isinstance(data, list):
        items = next((b["items"] for b in branches if isinstance(b.get("items"), dict)), {})
        return [_mask_plain(v, items, defs) for v in data]
    return data


def _mask_leaves(data: Any) -> Any:
    """Every value masked, the keys kept (which headers are set is no secret; their values may be)."""
    if isinstance(data, dict):
        return {k: _mask_leaves(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask_leaves(v) for v in data]
    return None if data is None else MASK


def _resolve(schema: Any, defs: dict) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        return defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _dump(value: Any, reveal: bool, secret: bool = False) -> Any:
    if secret and not reveal and value is not None:
        return MASK
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None or v == [] or v == {}:
                continue
            _, extras = _meta(hints[f.name])
            out[f.name] = _dump(v, reveal, any(isinstance(x, Secret) for x in extras))
        return out
    if isinstance(value, list):
        return [_dump(v, reveal, secret) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, reveal, secret) for k, v in value.items()}
    return value
