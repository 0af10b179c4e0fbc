"""trace and quarantine as an operator uses them after a rejection: what the ack said, and what became of a reprocess."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from helpers import ROOT


def run(exe: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_HOME", "GATEWAY_STORE_URL")}
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=ROOT, timeout=180, env=env)


@pytest.fixture
def demo(gateway_exe, tmp_path) -> list[str]:
    """A demo home: its 850-order-type-acme-never-sends.x12 has PO 4500029901 rejected (BEG02 KN), 4500029902 delivered."""
    root = tmp_path / "home"
    p = run(gateway_exe, "demo", str(root))
    assert p.returncode == 0, p.stdout + p.stderr
    return ["--home", str(root)]


def test_trace_of_a_rejected_po_shows_the_key_read_from_the_set_and_what_the_ack_said(gateway_exe, demo):
    p = run(gateway_exe, *demo, "trace", "4500029901")
    assert p.returncode == 0, p.stderr
    assert "850 0001 (BEG03 4500029901): quarantined, ack AK5 R (rejected)" in p.stdout
    assert ": AK9 PO 7101 P (partially accepted)" in p.stdout  # on the ack's own line: the group was partly accepted
    assert "4500029902" not in p.stdout
    [lineage] = json.loads(run(gateway_exe, *demo, "trace", "4500029901", "--json").stdout)
    assert lineage["transactions"][0]["ack"] == {"segment": "AK5", "code": "R"}
    assert {v["code"] for v in lineage["acks"][0]["verdicts"]} == {"R", "A", "P"}


def test_reprocess_wait_names_the_new_item_when_it_fails_again(gateway_exe, demo):
    [item] = json.loads(run(gateway_exe, *demo, "quarantine", "list", "--json").stdout)
    waiting = subprocess.Popen([gateway_exe, *demo, "quarantine", "reprocess", str(item["id"]), "--wait", "120"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while json.loads(run(gateway_exe, *demo, "quarantine", "list", "--json").stdout):  # until it is queued again
            assert time.monotonic() < deadline and waiting.poll() is None
            time.sleep(0.1)
        assert run(gateway_exe, *demo, "serve", "--once").returncode == 0
        out, err = waiting.communicate(timeout=120)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    [new] = json.loads(run(gateway_exe, *demo, "quarantine", "list", "--json").stdout)
    assert waiting.returncode == 1, err
    assert f"#{item['id']}: failed again: now quarantine item #{new['id']} (transaction at validate: x12.rejected:" in out
    assert new["previous_id"] == item["id"]

    listed = run(gateway_exe, *demo, "quarantine", "list", "--all").stdout
    assert f"(failed again as #{new['id']})" in listed and f"(follows reprocessed #{item['id']})" in listed
    shown = run(gateway_exe, *demo, "quarantine", "show", str(item["id"])).stdout
    assert f"failed again:   #{new['id']}" in shown
    again = run(gateway_exe, *demo, "quarantine", "reprocess", str(item["id"]))
    assert again.returncode == 1 and f"failed again as #{new['id']}" in again.stderr
    assert f"quarantine #{new['id']} [open]" in run(gateway_exe, *demo, "trace", "4500029901").stdout


def test_reprocess_wait_without_a_worker_says_it_is_still_in_progress(gateway_exe, demo):
    [item] = json.loads(run(gateway_exe, *demo, "quarantine", "list", "--json").stdout)
    p = run(gateway_exe, *demo, "quarantine", "reprocess", str(item["id"]), "--wait", "0.5")
    assert p.returncode == 3, p.stderr
    assert f"#{item['id']}: still in progress after 0.5s (transaction received)" in p.stdout


def test_reprocess_without_wait_only_queues(gateway_exe, demo):
    [item] = json.loads(run(gateway_exe, *demo, "quarantine", "list", "--json").stdout)
    p = run(gateway_exe, *demo, "quarantine", "reprocess", str(item["id"]))
    assert p.returncode == 0 and p.stdout.strip() == f"#{item['id']}: queued again (transaction from stage validate)"
