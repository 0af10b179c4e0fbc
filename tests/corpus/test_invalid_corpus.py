"""Every file in invalid/ is named after the failure it provokes: ``<finding code>[--detail].x12``.

Validating it must report that code, and the file must not be accepted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.api import Engine
from gateway.formats.x12 import CODES

INVALID = Path(__file__).with_name("invalid")
FILES = sorted(INVALID.glob("*.x12"))


def expected_code(path: Path) -> str:
    return path.stem.split("--")[0]


def test_every_file_names_a_known_code():
    assert FILES, "the invalid corpus is empty"
    unknown = [p.name for p in FILES if expected_code(p) not in CODES]
    assert not unknown


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_invalid_file_reports_its_code(path: Path):
    outcome = Engine().validate_file(path)
    report = outcome.report
    assert report is not None
    findings = [f for _, _, f in report.envelope_findings()] + [f for t in report.transactions() for f in t.findings]
    mine = [f for f in findings if f.code == expected_code(path)]
    assert mine, sorted({f.code for f in findings})
    if all(f.severity == "warning" for f in mine):
        assert any(t.status == "accepted_with_errors" for t in report.transactions())
    else:
        assert not report.ok


def test_invalid_corpus_covers_most_of_the_catalogue():
    covered = {expected_code(p) for p in FILES}
    # Codes reached only through partner overlays or map features our bundled specs do not use.
    overlay_only = {"segment.not_used", "loop.not_used", "element.not_used", "element.pattern_mismatch",
                    "transaction.segment_errors", "element.too_many_components", "x12.not_x12", "element.invalid_code"}
    # Codes the pipeline adds against our own identity (tests/unit/pipeline/test_addressing.py).
    pipeline_only = {"isa.not_our_qualifier", "isa.not_our_id", "gs.not_our_id"}
    # A limit provoked by a generated file too large to keep here (tests/unit/formats/x12/test_hostile_input.py).
    limits = {"transaction.too_large"}
    missing = sorted(set(CODES) - covered - overlay_only - pipeline_only - limits)
    assert not missing, missing
