"""The gateway command as users run it: a real subprocess, its exit codes and its output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, sample_files

INVALID = ROOT / "tests" / "corpus" / "invalid"


def run(exe: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_validate_accepts_every_sample(gateway_exe):
    p = run(gateway_exe, "validate", *map(str, sample_files()))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "): rejected" not in p.stdout
    assert p.stdout.count("): accepted") >= len(sample_files())
    assert "Traceback" not in p.stderr


def test_validate_json_contract(gateway_exe, tmp_path):
    good = sample_files()[0]
    bad = INVALID / "element.too_long.x12"
    p = run(gateway_exe, "validate", "--json", str(good), str(bad))
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert isinstance(doc["transactions"], list) and isinstance(doc["envelope_errors"], list)
    statuses = {t["file"]: t["status"] for t in doc["transactions"]}
    assert statuses[str(good)] == "accepted"
    assert statuses[str(bad)] == "rejected"
    for t in doc["transactions"]:
        assert {"set", "control_number", "status", "errors"} <= set(t)
    err = next(e for t in doc["transactions"] if t["file"] == str(bad) for e in t["errors"] if e["code"] == "element.too_long")
    assert {"code", "segment", "element", "message", "position"} <= set(err)
    assert err["segment"] == "BEG" and err["element"] == "BEG03"
    assert err["position"]["offset"] > 0 and err["position"]["element"] == 3
    assert bad.read_bytes()[err["position"]["offset"]:].startswith(b"PO4500012345678901234567")


def test_validate_reports_a_broken_envelope_with_exit_1(gateway_exe):
    p = run(gateway_exe, "validate", "--json", str(INVALID / "iea.control_mismatch.x12"))
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert [e["code"] for e in doc["envelope_errors"]] == ["iea.control_mismatch"]
    assert all(t["status"] == "accepted" for t in doc["transactions"])


def test_unreadable_file_exits_2_without_traceback(gateway_exe, tmp_path):
    p = run(gateway_exe, "validate", str(tmp_path / "missing.x12"))
    assert p.returncode == 2
    assert "no such file" in p.stderr and "Traceback" not in p.stderr
    p = run(gateway_exe, "validate", str(tmp_path))
    assert p.returncode == 2 and "is a directory" in p.stderr


def test_non_x12_input_is_one_clear_line(gateway_exe, tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text("po,qty\n1,2\n")
    p = run(gateway_exe, "validate", str(f))
    assert p.returncode == 1
    assert "not an X12 interchange" in p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    p = run(gateway_exe, "validate", "--json", str(f))
    assert json.loads(p.stdout)["envelope_errors"][0]["code"] == "x12.not_x12"


def test_ack_prints_a_997_for_004010_and_a_999_for_005010(gateway_exe):
    p4 = run(gateway_exe, "ack", str(ROOT / "samples/x12/850-004010-retail-replenishment-order.x12"))
    assert p4.returncode == 0, p4.stderr
    assert "ST*997*0001~" in p4.stdout and "AK5*A" in p4.stdout and "AK9*A*1*1*1" in p4.stdout
    p5 = run(gateway_exe, "ack", "--interchange-control", "42", str(ROOT / "samples/x12/850-005010-retail-replenishment-order.x12"))
    assert p5.returncode == 0
    assert "ST*999*0001*005010X231A1~" in p5.stdout and "IK5*A" in p5.stdout
    assert "*000000042*" in p5.stdout


def test_ack_for_rejected_file_lists_the_errors(gateway_exe):
    p = run(gateway_exe, "ack", str(INVALID / "element.too_long.x12"))
    assert p.returncode == 1
    assert "IK3*BEG*2**8~" in p.stdout
    assert "IK4*3*324*5*PO4500012345678901234567~" in p.stdout
    assert "IK5*R*5~" in p.stdout and "AK9*R*1*1*0~" in p.stdout


def test_ack_answers_a_broken_envelope_with_ta1(gateway_exe):
    p = run(gateway_exe, "ack", str(INVALID / "iea.control_mismatch.x12"))
    assert "TA1*000000101*240315*0812*R*001~" in p.stdout
    assert "ST*999" not in p.stdout  # a rejected interchange gets no functional acknowledgement


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["validate", "--help"], ["ack", "--help"]])
def test_help_and_version(gateway_exe, args):
    p = run(gateway_exe, *args)
    assert p.returncode == 0 and p.stdout
