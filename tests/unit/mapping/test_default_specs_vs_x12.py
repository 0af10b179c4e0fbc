"""The default inbound specs and the canonical contract require only what the X12 standard requires.

A set the validator accepts must never fail translation for want of data the standard leaves out.
So, for every default inbound spec, each field the canonical model requires (and each rule marked
``required``) must be filled either without data (``const``, ``default``, ``fallback``, ``count``) or
from data the standard makes mandatory where the rule reads it: an element of usage R in a segment
of usage R (through mandatory loops) of the rule's context, or an element a syntax rule (P, C)
requires once the context's filters or the rule's ``when`` hold. A nested object the model
requires inside an optional object needs the same only relative to that object's context.

``ACCEPTED`` lists the few places that stay stricter than the standard, each with its reason.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from pathlib import Path

import pytest
from helpers import ROOT

from gateway.canonical.models import DOCUMENTS
from gateway.formats.x12.maps import SpecLibrary as X12Library
from gateway.formats.x12.maps import bundled_dirs
from gateway.formats.x12.model import ElementDef, LoopDef, SegmentDef
from gateway.mapping.paths import parse
from gateway.mapping.spec import FieldRule, SpecLibrary

SETS = ("850", "855", "856", "810")
VERSIONS = ("004010", "005010")
MAPPINGS = SpecLibrary([ROOT / "mappings"])

ACCEPTED = {
    # 856: every hierarchical structure this gateway maps (BSN05) has an order level; a shipment whose
    # packs hang from the shipment itself would need a canonical ship notice without orders.
    ("856", "/orders"): "HL_LOOP[HL03=S]/HL_LOOP[HL03=O]: an order level is a structure choice, not a syntax rule",
}


def x12_spec(set_id: str, version: str):
    name = f"{set_id}.{version[2:6]}.xml"  # 850.4010.xml
    [path] = [Path(d) / name for d in bundled_dirs() if (Path(d) / name).is_file()]
    return X12Library(bundled_dirs()).load_file(path)


def model_of(hint):
    """The canonical dataclass a field holds (through Optional and list), or None for a scalar."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return model_of(typing.get_args(hint)[0])
    if origin in (list, typing.Union, types.UnionType):
        found = [m for a in typing.get_args(hint) if (m := model_of(a)) is not None]
        return found[0] if found else None
    return hint if dataclasses.is_dataclass(hint) else None


def required_fields(model) -> dict[str, object]:
    hints = typing.get_type_hints(model, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(model)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


class Context:
    """Where a rule reads (an X12 loop or segment definition) and the elements known to be there
    (from filters and ``when``: ``REF01`` in ``REF[REF01=DP]``)."""

    def __init__(self, node, present: frozenset[str] = frozenset()) -> None:
        self.node = node
        self.present = present

    def child(self, name: str):
        """(definition, mandatory) of ``name`` directly here, looking through wrapper loops."""
        node = self.node
        if isinstance(node, SegmentDef):
            return (node, True) if node.id == name else (None, False)
        if node.id == name:  # HL levels nest in the tree, not in the map
            return node, True
        found, mandatory = _find(node, name)
        known = isinstance(found, SegmentDef) and any(_position(found, ref) for ref in self.present)
        return found, mandatory or known

    def element_required(self, segment: SegmentDef, ref: str) -> bool:
        el = next((e for e in segment.elements if isinstance(e, ElementDef) and e.ref == ref), None)
        if el is None:
            return False
        if el.usage == "R" or ref in self.present:
            return True
        n = _position(segment, ref)
        known = {k for r in self.present if (k := _position(segment, r))}
        for rule in segment.syntax:
            first, rest = rule.positions[0], rule.positions[1:]
            if rule.kind == "P" and n in rule.positions and known & set(rule.positions):
                return True
            if rule.kind == "C" and n in rest and first in known:
                return True
        return False

    def with_present(self, *refs: str) -> Context:
        return Context(self.node, self.present | {r for r in refs if r})


def _position(segment: SegmentDef, ref: str) -> int | None:
    rest = ref[len(segment.id):] if ref.startswith(segment.id) else ""
    return int(rest) if rest.isdigit() else None


def _find(loop: LoopDef, name: str):
    for child in loop.children:
        if child.id == name:
            return child, child.usage == "R"
        if isinstance(child, LoopDef) and child.type == "wrapper":
            found, mandatory = _find(child, name)
            if found is not None:
                return found, mandatory and child.usage == "R"
    return None, False


def walk(path_text: str, ctx: Context, leaf: bool):
    """(definition reached, its presence guaranteed, context there) for a path from ``ctx``; for a leaf
    path the definition is the segment and the guarantee covers the element."""
    p = parse(path_text, leaf)
    node, sure, present = ctx.node, True, set(ctx.present)
    for step in p.steps:
        if step.name in ("..", "*", "."):
            return None, False, ctx
        found, mandatory = Context(node, frozenset(present)).child(step.name)
        if found is None:
            return None, False, ctx
        node, sure = found, sure and mandatory and not step.filters
        present |= {f.key for f in step.filters if f.op in ("=", "")}
    here = Context(node, frozenset(present))
    if leaf and p.leaf is not None:
        sure = sure and isinstance(node, SegmentDef) and here.element_required(node, p.leaf)
    return node, sure, here


def leaf_refs(rule: FieldRule, ctx: Context) -> list[tuple[SegmentDef, str]] | None:
    """(segment, element) each path of a leaf rule reads, or None when it is no simple leaf."""
    if rule.fields is not None or rule.each is not None or rule.pairs is not None:
        return None
    texts = [rule.path] if rule.path is not None else list(rule.paths or [])
    out = []
    for text in texts:
        segment = _segment_of(text, ctx)
        if segment is None:
            return None
        out.append((segment, parse(text).leaf))
    return out


def _segment_of(text: str, ctx: Context) -> SegmentDef | None:
    p = parse(text)
    node = ctx.node
    for step in p.steps:
        node, _ = Context(node).child(step.name)
        if node is None:
            return None
    return node if isinstance(node, SegmentDef) else None


def guaranteed(rule: FieldRule, ctx: Context, hint) -> bool:
    if rule.const is not None or rule.default is not None or rule.fallback is not None or rule.count is not None:
        return True
    if rule.when is not None or rule.pairs is not None:
        return False
    if rule.each is not None:
        _, sure, _ = walk(rule.each, ctx, leaf=False)
        return sure and rule.where is None
    if rule.fields is not None:
        inner = ctx
        if rule.context is not None:
            _, sure, inner = walk(rule.context, ctx, leaf=False)
            if not sure:
                return False
        return not problems(rule.fields, model_of(hint), inner, "")
    texts = [rule.path] if rule.path is not None else list(rule.paths or [])
    if rule.collect is not None:
        texts = [rule.collect] if isinstance(rule.collect, str) else list(rule.collect)
    if any(walk(t, ctx, leaf=True)[1] for t in texts):
        return True
    # REF02 or REF03: one of them when an R rule (at least one of) covers them, in a segment that is there
    refs = leaf_refs(FieldRule(paths=texts), ctx) or []
    if not refs or any(seg is not refs[0][0] for seg, _ in refs) or not _segment_is_there(texts[0], ctx):
        return False
    segment = refs[0][0]
    numbers = {_position(segment, ref) for _, ref in refs}
    return any(rule.kind == "R" and set(rule.positions) <= numbers for rule in segment.syntax)


def _segment_is_there(text: str, ctx: Context) -> bool:
    steps = parse(text).steps
    return walk("/".join(s.name for s in steps), ctx, leaf=False)[1] if all(not s.filters for s in steps) else False


def problems(fields: dict, model, ctx: Context, at: str) -> list[str]:
    out = []
    hints = typing.get_type_hints(model, include_extras=True) if model is not None else {}
    must = required_fields(model) if model is not None else {}
    for name, raw in fields.items():
        if raw is None:
            continue
        rule = FieldRule(path=raw) if isinstance(raw, str) else raw
        where = f"{at}/{name}"
        if (name in must or rule.required) and not guaranteed(rule, ctx, hints.get(name)):
            out.append(where)
        out += inner_problems(rule, ctx, model_of(hints.get(name)), where)
    for name in must:
        if name not in fields and name not in ("schema_version", "document_type"):
            out.append(f"{at}/{name} (not mapped)")
    return out


def inner_problems(rule: FieldRule, ctx: Context, model, where: str) -> list[str]:
    """Problems inside a list item or a nested object, given that the item or object is there."""
    if rule.fields is None:
        return []
    if rule.each is not None:
        node, _, inner = walk(rule.each, ctx, leaf=False)
        return problems(rule.fields, model, inner, f"{where}/*") if node is not None else []
    if rule.context is not None:
        node, _, inner = walk(rule.context, ctx, leaf=False)
        return problems(rule.fields, model, inner, where) if node is not None else []
    if rule.when is not None and rule.when.exists is not False:
        ctx = ctx.with_present(parse(rule.when.path).leaf or "")
    # The mapper builds the object as soon as one of its fields has a value: a field the model
    # requires must be there whenever any other field is (a P rule pairing their elements, say).
    found = problems(rule.fields, model, ctx, where)
    must = required_fields(model) if model is not None else {}
    triggers = []
    for name, raw in rule.fields.items():
        sub = FieldRule(path=raw) if isinstance(raw, str) else raw
        if sub is None or name in must:
            continue
        refs = leaf_refs(sub, ctx)
        if sub.default is not None or sub.const is not None or refs is None:
            return found  # the object may stand without its required fields
        triggers += refs
    excused = set()
    for name in must:
        sub = rule.fields.get(name)
        sub = FieldRule(path=sub) if isinstance(sub, str) else sub
        refs = leaf_refs(sub, ctx) if sub is not None else None
        if refs and all(seg is refs[0][0] and (t == refs[0][1] or ctx.with_present(t).element_required(seg, refs[0][1]))
                        for seg, t in triggers):
            excused.add(f"{where}/{name}")
    return [p for p in found if p not in excused]


CASES = [(s, v) for s in SETS for v in VERSIONS]


def audit(set_id: str, version: str, fields: dict | None = None) -> list[str]:
    spec = MAPPINGS.get(f"default/{set_id}-{version}-in")
    return problems(spec.fields if fields is None else fields, DOCUMENTS[spec.document], Context(x12_spec(set_id, version).st_loop), "")


@pytest.mark.parametrize("set_id, version", CASES, ids=[f"{s}-{v}" for s, v in CASES])
def test_default_inbound_specs_require_only_what_x12_requires(set_id, version):
    unexpected = [p for p in audit(set_id, version) if (set_id, p) not in ACCEPTED]
    assert not unexpected, f"{set_id}-{version}: required by the spec or the canonical model, optional in X12:\n" + "\n".join(unexpected)


def test_every_accepted_exception_is_still_needed():
    found = {(s, p) for s, v in CASES for p in audit(s, v)}
    assert set(ACCEPTED) <= found, set(ACCEPTED) - found


def test_the_audit_finds_a_line_number_required_without_a_fallback():
    fields = copy.deepcopy(MAPPINGS.get("default/850-004010-in").fields)
    fields["lines"].fields["line_number"] = FieldRule(path="PO101", required=True)
    assert audit("850", "004010", fields) == ["/lines/*/line_number"]


def test_the_audit_finds_an_object_that_stands_without_the_value_its_model_requires():
    # without its "when", the line quantity is built from the default unit alone when PO102 is absent
    fields = copy.deepcopy(MAPPINGS.get("default/850-004010-in").fields)
    fields["lines"].fields["quantity"].when = None
    assert audit("850", "004010", fields) == ["/lines/*/quantity/value"]
