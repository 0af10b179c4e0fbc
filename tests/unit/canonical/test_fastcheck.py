"""The compiled yes/no check and jsonschema agree on every document (jsonschema is the reference)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gateway.canonical import DOCUMENTS, schema_for
from gateway.canonical.fastcheck import compile_schema

SCHEMAS = {k: schema_for(k) for k in DOCUMENTS}
FAST = {k: compile_schema(s) for k, s in SCHEMAS.items()}
SLOW = {k: Draft202012Validator(s, format_checker=Draft202012Validator.FORMAT_CHECKER) for k, s in SCHEMAS.items()}

STRINGS = st.sampled_from(["", "1", "12.50", "-3", "1.", "2024-02-29", "2023-02-29", "2024-13-01", "12:30", "25:00", "EA", "USD",
                           "usd", "001234567890123456", "x", "upc", "pack", "tare", "original", "accepted", "allowance"])
SCALARS = st.one_of(STRINGS, st.integers(-3, 3), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False, width=16))


def instance(draw, schema: dict, defs: dict, depth: int = 0):
    """A value shaped by ``schema`` (often valid), sometimes bent out of shape."""
    if draw(st.integers(0, 30)) == 0 or depth > 6:
        return draw(SCALARS)
    if "$ref" in schema:
        return instance(draw, defs[schema["$ref"][8:]], defs, depth + 1)
    if "anyOf" in schema:
        return instance(draw, draw(st.sampled_from(schema["anyOf"])), defs, depth)
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    t = schema.get("type")
    if t == "object":
        out = {}
        props = schema.get("properties", {})
        for name, sub in props.items():
            if name in schema.get("required", []) or draw(st.integers(0, 3)) == 0:
                if draw(st.integers(0, 40)) != 0:  # now and then a required key goes missing
                    out[name] = instance(draw, sub, defs, depth + 1)
        if draw(st.integers(0, 25)) == 0:
            out["unexpected"] = 1
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and draw(st.booleans()):
            out[draw(STRINGS) or "k"] = instance(draw, extra, defs, depth + 1)
        return out
    if t == "array":
        return [instance(draw, schema["items"], defs, depth + 1) for _ in range(draw(st.integers(0, 2)))]
    if t == "string":
        return draw(STRINGS)
    if t == "integer":
        return draw(st.one_of(st.integers(-5, 50), st.sampled_from([1.0, 2.5])))
    if t == "boolean":
        return draw(st.booleans())
    return draw(SCALARS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fast_check_agrees_with_jsonschema(data):
    kind = data.draw(st.sampled_from(sorted(DOCUMENTS)))
    schema = SCHEMAS[kind]
    doc = instance(data.draw, schema, schema.get("$defs", {}))
    if isinstance(doc, dict):
        doc["document_type"] = kind
    expected = not any(True for _ in SLOW[kind].iter_errors(copy.deepcopy(doc)))
    assert FAST[kind](doc) == expected, (kind, doc, [e.message for e in SLOW[kind].iter_errors(doc)][:3])
