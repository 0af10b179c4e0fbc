"""Round trip: canonical -> X12 (the -out spec) -> canonical (the -in spec) gives the document back.

For every default transaction set and version with both directions, each outbound fixture's input
document is rendered with ``<set>-<version>-out``, wrapped in an envelope, translated with
``<set>-<version>-in`` and compared with the input. Only the fields listed in ``EXCUSED`` may differ,
each for the reason given; ``DEFAULTS`` are canonical model defaults the input may leave out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ROOT
from x12_envelope import envelope

from gateway.testing.fixtures import Fixture, discover
from gateway.translate import Translator, render_text

MAPPINGS = ROOT / "mappings"

# Fields one direction cannot carry, per transaction set ("*": every set). A path is dotted; "[]" means
# every item of a list. They are removed from both documents before comparing.
EXCUSED: dict[str, dict[str, str]] = {
    "*": {
        "correlation": "envelope and source keys the gateway stamps on inbound documents; outbound writes ST..SE only",
        "schema_version": "the inbound specs do not stamp it (the canonical default is 1.0)",
    },
    "850": {
        "lines[].pack_size": "PO402 needs a unit of measure (PO403) the canonical line does not have, so it is not written",
        "lines[].unit_price.currency": "one currency per order (CUR*BY); no line-level CUR is written",
        "total_amount.currency": "AMT*TT carries the amount only; the order currency is CUR*BY",
        "lines[].parties[].contacts": "line-level N1 loops are written without PER",
        "carrier.service": "no TD5 element is mapped to a service level",
    },
    "855": {
        "lines[].unit_price.currency": "one currency per acknowledgment (CUR*SE); no line-level CUR is written",
    },
    "856": {
        "orders[].packs[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "orders[].packs[].packs[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "orders[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "carrier.service": "no TD5 element is mapped to a service level",
    },
    "810": {
        "lines[].amount": "IT1 has no extended amount",
        "lines[].unit_price.currency": "one currency per invoice (CUR*SE); no line-level CUR is written",
        "carrier.service": "the summary CAD carries mode, SCAC and routing only",
    },
}

# Canonical model defaults: a field the input leaves out reads back with this value.
DEFAULTS: dict[str, dict[str, object]] = {
    "*": {"purpose": "original"},
    "856": {
        "orders[].packs[].level": "pack",  # a pack without a level is written as a carton (HL*P)
        "orders[].packs[].packs[].level": "pack",
    },
}


def _pairs() -> list[tuple[str, Fixture]]:
    out = []
    for fixture in discover(MAPPINGS / "default"):
        if fixture.direction != "outbound":
            continue
        inbound = fixture.spec[: -len("-out")] + "-in"
        if (MAPPINGS / f"{inbound}.yaml").is_file():
            out.append((inbound, fixture))
    return out


PAIRS = _pairs()


def _walk(doc: object, path: str):
    """(container, key) for every place ``path`` names in ``doc``."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(doc, dict) or key not in doc:
        return
    if not rest:
        if many:
            raise ValueError(f"{path}: a path ends with a field, not a list")
        yield doc, key
        return
    values = doc[key] if many else [doc[key]]
    for value in values if isinstance(values, list) else []:
        yield from _walk(value, rest)


def _containers(doc: object, path: str):
    """Every object holding the last field of ``path`` (present or not)."""
    parent, _, field = path.rpartition(".")
    if not parent:
        return [doc]
    out: list = []
    head, _, rest = parent.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if isinstance(doc, dict) and key in doc:
        values = doc[key] if many else [doc[key]]
        for value in values if isinstance(values, list) else []:
            out += _containers(value, f"{rest}.{field}" if rest else field)
    return out


def _prepare(doc: dict, set_id: str, *, defaults: bool) -> dict:
    doc = json.loads(json.dumps(doc))
    if defaults:
        for scope in ("*", set_id):
            for path, value in DEFAULTS.get(scope, {}).items():
                field = path.rpartition(".")[2]
                for holder in _containers(doc, path):
                    if isinstance(holder, dict):
                        holder.setdefault(field, value)
    for scope in ("*", set_id):
        for path in EXCUSED.get(scope, {}):
            for holder, key in list(_walk(doc, path)):
                holder.pop(key, None)
    return doc


def _differences(sent: object, read: object, at: str = "") -> list[str]:
    if isinstance(sent, dict) and isinstance(read, dict):
        out = []
        for key in sorted(set(sent) | set(read)):
            out += _differences(sent.get(key), read.get(key), f"{at}.{key}" if at else key)
        return out
    if isinstance(sent, list) and isinstance(read, list) and len(sent) == len(read):
        return [d for n, (a, b) in enumerate(zip(sent, read)) for d in _differences(a, b, f"{at}[{n}]")]
    return [] if sent == read else [f"{at}: sent {json.dumps(sent)}, read back {json.dumps(read)}"]


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator([MAPPINGS])


def test_every_set_and_version_with_both_directions_is_covered():
    sets = {f.spec.split("/")[1].rsplit("-", 1)[0] for _, f in PAIRS}
    assert sets >= {f"{s}-{v}" for s in ("850", "855", "856", "810") for v in ("004010", "005010")}, sorted(sets)


@pytest.mark.parametrize("inbound, fixture", PAIRS, ids=[f.name for _, f in PAIRS])
def test_round_trip(inbound: str, fixture: Fixture, translator: Translator, tmp_path: Path):
    sent = json.loads(fixture.input.read_text(encoding="utf-8"))
    segments, issues = translator.render_set(fixture.spec, sent)
    assert not [i for i in issues if i.severity == "error"], [i.to_dict() for i in issues]
    target = translator.mappings.get(fixture.spec).target
    x12 = tmp_path / f"{fixture.input.stem}.x12"
    x12.write_text(envelope(render_text(segments), target.set, target.version), encoding="latin-1")

    result = translator.translate(x12, spec=inbound)
    assert len(result.documents) == 1, result.notes
    back = result.documents[0]
    assert back.ok and not back.issues, [i.to_dict() for i in back.issues]

    set_id = target.set
    differences = _differences(_prepare(sent, set_id, defaults=True), _prepare(back.document, set_id, defaults=False))
    assert not differences, f"{fixture.name} read back with {inbound} differs:\n" + "\n".join(differences)


def test_excused_paths_are_well_formed():
    # a typo in EXCUSED would silently excuse nothing: every path must name fields of the canonical model
    from gateway.canonical.schemas import schema_for

    kinds = {"850": "purchase_order", "855": "purchase_order_acknowledgment", "856": "ship_notice", "810": "invoice"}
    for scope, paths in list(EXCUSED.items()) + list(DEFAULTS.items()):
        for path in paths:
            for kind in kinds.values() if scope == "*" else [kinds[scope]]:
                schema = schema_for(kind)
                node = schema
                for step in path.split("."):
                    node = _resolve(schema, node)
                    if step.endswith("[]"):
                        node = _resolve(schema, node["properties"][step[:-2]])["items"]
                    else:
                        assert step in node.get("properties", {}), f"{scope}: {path!r} names no field of {kind} at {step!r}"
                        node = node["properties"][step]


def _resolve(schema: dict, node: dict) -> dict:
    """Follow $ref and the nullable anyOf wrapper of optional fields."""
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            node = schema.get("$defs", schema.get("definitions", {}))[name]
        elif "anyOf" in node:
            node = next(n for n in node["anyOf"] if n.get("type") != "null")
        else:
            return node
