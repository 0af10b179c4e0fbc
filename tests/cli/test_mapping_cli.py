"""``gateway mapping test`` and the pytest plugin as an analyst uses them, on a scratch copy of a sample partner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, make_home

from gateway.testing.fixtures import discover

CASE = "two-store-orders-department-in-ref19-and-dp"


def run(cmd: list[str], home: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_HOME"}
    if home is not None:
        env["GATEWAY_HOME"] = str(home)
    p = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd, env=env, timeout=300)
    assert "Traceback" not in p.stderr
    return p


@pytest.fixture
def acme_home(tmp_path) -> Path:
    """A home holding only the Acme Retail sample partner: profile, item cross-reference, mappings and fixtures."""
    home = make_home(tmp_path / "home")
    (home / "partners").mkdir(parents=True)
    for name in ("acme-retail.yaml", "acme-retail.items.csv"):
        shutil.copy(ROOT / "partners" / name, home / "partners" / name)
    shutil.copytree(ROOT / "mappings" / "acme-retail", home / "mappings" / "acme-retail")
    return home


def expected_file(home: Path) -> Path:
    return home / "mappings" / "acme-retail" / "850-004010-in.fixtures" / f"{CASE}.expected.json"


def test_every_fixture_of_the_repository_passes_with_a_summary_line(gateway_exe):
    p = run([gateway_exe, "mapping", "test", "-q"])
    n = len(discover(ROOT / "mappings"))
    assert p.returncode == 0, p.stdout
    assert p.stdout == f"{n} passed, 0 failed ({n} fixtures)\n"


def test_a_mismatch_prints_a_diff_and_update_rewrites_the_expectation(gateway_exe, acme_home):
    path = expected_file(acme_home)
    reviewed = path.read_text()
    path.write_text(reviewed.replace('"department": "0077"', '"department": "0078"'))
    p = run([gateway_exe, "--home", str(acme_home), "mapping", "test", str(acme_home / "mappings" / "acme-retail")])
    assert p.returncode == 1
    assert f"FAIL    acme-retail/850-004010-in::{CASE}.x12" in p.stdout
    assert '-    "department": "0078",' in p.stdout and '+    "department": "0077",' in p.stdout
    assert "ok      acme-retail/856-004010-out::one-carton-for-store-order-with-acme-item-numbers.json" in p.stdout
    assert p.stdout.endswith("4 passed, 1 failed (5 fixtures)\n")

    p = run([gateway_exe, "mapping", "test", "-q", "--update", str(acme_home / "mappings")], home=acme_home)
    assert p.returncode == 0, p.stdout
    assert f"updated acme-retail/850-004010-in::{CASE}.x12" in p.stdout
    assert json.loads(path.read_text()) == json.loads(reviewed)
    assert run([gateway_exe, "mapping", "test", "-q"], home=acme_home).stdout.startswith("5 passed, 0 failed")


def test_a_spec_error_is_the_first_line_of_the_failing_case_not_buried_under_its_diff(gateway_exe, acme_home):
    spec = acme_home / "mappings" / "acme-retail" / "850-004010-in.yaml"
    spec.write_text(spec.read_text().replace('"REF[REF01=19]/REF02"', '"REF[REF01=19/REF02"'))
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if "REF[REF01=19/REF02" in text)
    p = run([gateway_exe, "mapping", "test", str(acme_home / "mappings" / "acme-retail" / "850-004010-in.fixtures")], home=acme_home,
            cwd=acme_home.parent)
    assert p.returncode == 1
    out = p.stdout.splitlines()
    fails = [i for i, text in enumerate(out) if text.startswith("FAIL    ")]
    assert fails and all(out[i + 1] == f"    spec error: home/mappings/acme-retail/850-004010-in.yaml:{line}: "
                                       "path 'REF[REF01=19/REF02': unbalanced brackets" for i in fails), p.stdout


def test_a_case_without_expectation_fails_until_updated(gateway_exe, acme_home):
    fixtures = acme_home / "mappings" / "acme-retail" / "850-004010-in.fixtures"
    shutil.copy(fixtures / f"{CASE}.x12", fixtures / "new-case.x12")
    p = run([gateway_exe, "mapping", "test", "-q", str(fixtures)], home=acme_home)
    assert p.returncode == 1
    assert "FAIL    acme-retail/850-004010-in::new-case.x12" in p.stdout
    assert "new-case.expected.json: missing (run with --update to create it after review)" in p.stdout
    run([gateway_exe, "mapping", "test", "--update", str(fixtures)], home=acme_home)
    assert json.loads((fixtures / "new-case.expected.json").read_text())[0]["po_number"] == "4500020001"


def test_the_pytest_plugin_fails_a_mismatching_fixture_with_its_diff(acme_home):
    path = expected_file(acme_home)
    path.write_text(path.read_text().replace('"department": "0077"', '"department": "0078"'))
    p = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "mappings"], cwd=acme_home)
    assert p.returncode == 1, p.stdout
    assert f"mapping fixture acme-retail/850-004010-in::{CASE}.x12 does not match:" in p.stdout
    assert '+    "department": "0077",' in p.stdout
    assert "1 failed, 4 passed" in p.stdout


def test_update_refuses_to_bless_a_case_whose_spec_has_errors_and_a_matching_case_still_fails(gateway_exe, acme_home):
    """Before: --update wrote the spec's errors into the expectation, and mapping test then passed while partner
    check failed. The case fails with its spec errors first, --update leaves it alone (exit 1)."""
    spec = acme_home / "mappings" / "acme-retail" / "850-004010-in.yaml"
    spec.write_text(spec.read_text().replace('"REF[REF01=19]/REF02"', '"REF[REF01=19]/REF92"'))
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if "REF92" in text)
    path = expected_file(acme_home)
    reviewed = path.read_text()
    fixtures = str(acme_home / "mappings" / "acme-retail" / "850-004010-in.fixtures")
    p = run([gateway_exe, "mapping", "test", "--update", fixtures], home=acme_home, cwd=acme_home.parent)
    assert p.returncode == 1 and not [line for line in p.stdout.splitlines() if line.startswith("updated ")]
    assert f"FAIL    acme-retail/850-004010-in::{CASE}.x12 (not updated: fix the spec errors first)" in p.stdout
    assert (f"    spec error: home/mappings/acme-retail/850-004010-in.yaml:{line}: path 'REF[REF01=19]/REF92': "
            "REF has no element 92 in the X12 850 004010 spec (it has 4)") in p.stdout
    assert path.read_text() == reviewed
    # an expectation blessed before (by an older --update, or by hand) does not make the case pass
    from gateway.home import Home
    from gateway.testing.fixtures import actual_text, translator_for_fixtures

    [fixture] = [f for f in discover(Path(fixtures)) if f.input.name == f"{CASE}.x12"]
    path.write_text(actual_text(fixture, translator_for_fixtures(Home(acme_home, True), [fixture])))
    p = run([gateway_exe, "mapping", "test", fixtures], home=acme_home, cwd=acme_home.parent)
    assert p.returncode == 1 and f"FAIL    acme-retail/850-004010-in::{CASE}.x12" in p.stdout and "spec error: " in p.stdout
    spec.write_text(spec.read_text().replace("REF92", "REF02"))
    path.write_text(reviewed)
    assert run([gateway_exe, "mapping", "test", "-q", fixtures], home=acme_home, cwd=acme_home.parent).returncode == 0
