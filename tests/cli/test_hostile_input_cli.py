"""Hostile X12 through the commands, as real processes (see tests/unit/formats/x12/test_hostile_input.py).

The reports: an 856 nested 10,000 HL levels deep was accepted by ``validate`` and by the 997 that
``serve`` sent, then died in ``translate`` and in the map stage (RecursionError, quarantined as
``pipeline.error``); one 856 set with millions of HL loops kept every finding (4.5 GB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import ROOT
from serve_helpers import make_home, quarantine_list, run_gateway
from x12_hostile import deep_hl_856, wide_hl_856

from gateway.channels.drop_folder import write_outbound

WIDGET_856 = ROOT / "samples" / "partners" / "widget-supply" / "pick-pack-shipment-with-sscc-labels.x12"


# Measured by a small Python in between: a child forked from pytest itself would inherit pytest's own
# peak RSS in ru_maxrss (Linux keeps the high-water mark across fork and exec).
MEASURE = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as sink:
    proc = subprocess.Popen(sys.argv[2:], stdout=sink, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_measured(args: list[str], out: Path) -> tuple[int, str, float]:
    """Run a command with its stdout in ``out``: exit status, stdout, peak RSS in MB."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(out), *args], capture_output=True, text=True, timeout=120, check=True)
    code, kib = done.stdout.split()
    return int(code), out.read_text(encoding="utf-8"), int(kib) / 1024


def test_validate_of_an_856_set_with_400000_hl_loops_stays_small_and_counts_what_it_leaves_out(gateway_exe, tmp_path):
    path = tmp_path / "asn-400000-hl-loops.x12"
    path.write_bytes(wide_hl_856(400_000))
    code, text, rss = run_measured([gateway_exe, "validate", str(path)], tmp_path / "out.txt")
    assert code == 1
    assert "loop.max_exceeded" in text and "... and 199,000 more findings like those above, not listed" in text
    assert len(text.splitlines()) < 1_100
    assert rss < 90, f"peak RSS {rss:.0f} MB"  # about 45 MB; keeping the 200,000 findings took over 130 MB
    code, text, rss = run_measured([gateway_exe, "validate", "--json", str(path)], tmp_path / "out.json")
    assert rss < 90, f"peak RSS {rss:.0f} MB"
    (t,) = json.loads(text)["transactions"]
    assert t["status"] == "rejected" and t["errors_omitted"] == 199_000 and len(t["errors"]) <= 1_005


def test_translate_of_hl_nested_10000_deep_reports_the_rejection_not_a_recursion_error(gateway_exe, tmp_path):
    path = tmp_path / "asn-hl-nested-10000-deep.x12"
    path.write_bytes(deep_hl_856(10_000))
    done = subprocess.run([gateway_exe, "translate", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "x12.hl.too_deep" in done.stderr and "at most 100 levels" in done.stderr
    assert "internal error" not in done.stderr and "RecursionError" not in done.stderr
    assert json.loads(done.stdout) == []


def test_serve_rejects_hl_nested_10000_deep_in_its_999_and_quarantines_it_as_rejected_not_as_a_pipeline_error(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    write_outbound(home / "inbound" / "widget-supply", "asn-deep.x12", deep_hl_856(10_000, base=WIDGET_856))
    run_gateway(gateway_exe, home, "serve", "--once", check=False)
    (ack,) = (home / "outbound" / "widget-supply").iterdir()
    segments = [s.strip() for s in ack.read_text(encoding="latin-1").split("~") if s.strip()]
    assert "IK5*R*5" in segments and "IK4*2*734*7*100" in segments and "AK9*R*1*1*0" in segments
    (item,) = quarantine_list(gateway_exe, home)
    assert item["code"] == "x12.rejected" and "at most 100 levels" in item["reason"]

