"""Mapping fixtures under mappings/: every default spec has two or more, and the expectations are sound.

A fixture is a case kept next to its spec (``mappings/<owner>/<spec>.fixtures/``, see
gateway/testing/fixtures.py). The pytest plugin (gateway/testing/pytest_plugin.py) runs each one as a test
of its own; when a spec change alters an output on purpose, review the diff and rewrite the expectation
with ``gateway mapping test --update``. Beyond matching:

* an outbound expectation is valid X12: wrapped in an envelope by ``EnvelopeWriter`` and validated,
  the set is accepted with no finding at all;
* an inbound expectation that is a plain list holds documents valid against the canonical schema
  (a case about issues keeps ``{"documents": [...], "issues": [...]}`` instead).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import ROOT
from x12_envelope import envelope, findings

from gateway.canonical import validate_document
from gateway.testing.fixtures import Fixture, discover
from gateway.translate import Translator

MAPPINGS = ROOT / "mappings"
FIXTURES = discover(MAPPINGS)
OUTBOUND = [f for f in FIXTURES if f.direction == "outbound"]
INBOUND = [f for f in FIXTURES if f.direction == "inbound"]


def _id(fixture: Fixture) -> str:
    return fixture.name


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator([MAPPINGS])


def test_fixtures_are_found():
    assert len(FIXTURES) >= 32, [f.name for f in FIXTURES]


def test_the_pytest_plugin_collects_every_fixture_as_a_test():
    """The suite runs each fixture through the ``gateway-mappings`` plugin (``mappings`` is in testpaths)."""
    p = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(MAPPINGS)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    collected = {line.split("::", 1)[0] for line in p.stdout.splitlines() if "::" in line}
    assert p.returncode == 0, p.stdout + p.stderr
    assert collected == {f.input.relative_to(ROOT).as_posix() for f in FIXTURES}


def test_every_default_spec_has_two_fixtures():
    specs = sorted((MAPPINGS / "default").glob("*.yaml"))
    assert specs, "no default mapping specs found"
    counts = {spec.stem: len(discover(spec)) for spec in specs}
    short = {name: n for name, n in counts.items() if n < 2}
    assert not short, f"default specs with fewer than two fixtures: {short}"


@pytest.mark.parametrize("fixture", OUTBOUND, ids=_id)
def test_outbound_expectation_is_valid_x12(fixture: Fixture, translator: Translator):
    target = translator.mappings.get(fixture.spec).target
    assert target is not None, f"{fixture.spec} has no target"
    assert fixture.expected.exists(), f"{fixture.expected} is missing"
    interchange = envelope(fixture.expected.read_text(encoding="utf-8"), target.set, target.version)
    problems = findings(interchange)
    assert not problems, f"{fixture.name}: the expected X12 is not clean:\n" + "\n".join(problems) + "\n\n" + interchange


@pytest.mark.parametrize("fixture", INBOUND, ids=_id)
def test_inbound_expectation_is_schema_valid(fixture: Fixture):
    assert fixture.expected.exists(), f"{fixture.expected} is missing"
    expected = json.loads(fixture.expected.read_text(encoding="utf-8"))
    if isinstance(expected, dict):  # a case about issues: documents and issues are both expected
        assert set(expected) == {"documents", "issues"} and expected["issues"], fixture.name
        return
    assert expected, f"{fixture.name}: no document expected"
    for n, doc in enumerate(expected):
        problems = [f"{i.path}: {i.message}" for i in validate_document(doc)]
        assert not problems, f"{fixture.name} document {n}: " + "; ".join(problems)
