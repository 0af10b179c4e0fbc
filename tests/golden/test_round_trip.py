"""Round trip: canonical -> X12 (the -out spec) -> canonical (the -in spec) gives the document back.

For every default transaction set and version with both directions, each outbound fixture's input
document is rendered with ``<set>-<version>-out``, wrapped in an envelope, translated with
``<set>-<version>-in`` and compared with the input. Only the fields listed in ``round_trip.EXCUSED``
may differ, each for the reason given; ``DEFAULTS`` are canonical model defaults the input may leave
out. tests/property/test_mapping_round_trip.py does the same with generated documents.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ROOT
from round_trip import DEFAULTS, EXCUSED, differences, prepare
from x12_envelope import envelope

from gateway.testing.fixtures import Fixture, discover
from gateway.translate import Translator, render_text

MAPPINGS = ROOT / "mappings"

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
    found = differences(prepare(sent, set_id, defaults=True), prepare(back.document, set_id, defaults=False))
    assert not found, f"{fixture.name} read back with {inbound} differs:\n" + "\n".join(found)


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
