"""init, demo, serve --once, status, trace and quarantine as users run them (real subprocesses, real homes)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, make_home


def run(exe: str, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.pop("GATEWAY_HOME", None)
    full.pop("GATEWAY_STORE_URL", None)
    full.update(env or {})
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=180, env=full)


@pytest.fixture(scope="module")
def demo(gateway_exe, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("demo") / "home"
    p = run(gateway_exe, "demo", str(root))
    assert p.returncode == 0, p.stdout + p.stderr
    return root, p


def test_demo_runs_the_samples_through_the_pipeline(demo):
    root, p = demo
    assert "Traceback" not in p.stderr
    lines = p.stdout.splitlines()
    assert any(line.split()[:5] == ["acme-retail", "2", "4", "3", "1"] for line in lines), p.stdout
    assert "6 files received; 9 documents: 8 delivered, 1 quarantined; 5 acknowledgements sent" in p.stdout
    assert len(list((root / "erp").rglob("*.json"))) == 8
    assert len(list((root / "outbound").rglob("ack-*.x12"))) == 5


def test_demo_without_a_directory_uses_a_new_one(gateway_exe, tmp_path):
    p = run(gateway_exe, "demo", "--no-keep", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    where = Path(p.stdout.splitlines()[0].removeprefix("demo home: "))
    assert not where.exists()


def test_demo_refuses_a_directory_that_is_not_a_demo_home(gateway_exe, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    p = run(gateway_exe, "demo", str(tmp_path))
    assert p.returncode == 1 and "not a demo home" in p.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_status_json_counts_transactions_by_state(gateway_exe, demo):
    root, _ = demo
    p = run(gateway_exe, "--home", str(root), "status", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert {"received", "delivered", "quarantined"} <= set(doc["transactions"])
    assert doc["transactions"]["delivered"] == 8 and doc["transactions"]["quarantined"] == 1 and doc["transactions"]["received"] == 0
    assert doc["partners"]["widget-supply"]["delivered"] == 3 and doc["partners"]["acme-retail"]["acks"] == 2


def test_status_reads_the_home_from_the_environment(gateway_exe, demo):
    root, _ = demo
    p = run(gateway_exe, "status", env={"GATEWAY_HOME": str(root)})
    assert p.returncode == 0 and "delivered 8" in p.stdout


def test_trace_by_po_number_shows_the_lineage_with_times(gateway_exe, demo):
    root, _ = demo
    p = run(gateway_exe, "--home", str(root), "trace", "4500020001")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "file 850-store-replenishment.x12 via drop_folder from acme-retail" in out
    assert "purchase_order 4500020001: delivered" in out and "ack 997" in out
    assert "4500020002" not in out  # the other order of the same file is not what was asked for
    for stage in ("receive", "envelope", "ack", "map", "deliver"):
        assert f"Z  {stage}" in out
    j = json.loads(run(gateway_exe, "--home", str(root), "trace", "SHP0001234", "--json").stdout)
    assert j[0]["transactions"][0]["document_type"] == "ship_notice"
    assert run(gateway_exe, "--home", str(root), "trace", "INV-2024-000871").returncode == 0


def test_trace_of_an_unknown_key_exits_1(gateway_exe, demo):
    root, _ = demo
    p = run(gateway_exe, "--home", str(root), "trace", "NO-SUCH-PO")
    assert p.returncode == 1 and "nothing found for 'NO-SUCH-PO'" in p.stderr


def test_quarantine_list_show_reprocess_discard(gateway_exe, tmp_path):
    root = tmp_path / "home"
    assert run(gateway_exe, "demo", str(root)).returncode == 0
    home = ["--home", str(root)]
    items = json.loads(run(gateway_exe, *home, "quarantine", "list", "--json").stdout)
    [item] = items
    assert item["code"] == "x12.rejected"
    shown = run(gateway_exe, *home, "quarantine", "show", str(item["id"]))
    assert "element.invalid_code" in shown.stdout and "850-order-type-acme-never-sends.x12" in shown.stdout
    again = run(gateway_exe, *home, "quarantine", "reprocess", str(item["id"]))
    assert again.returncode == 0 and "queued again" in again.stdout
    assert run(gateway_exe, *home, "serve", "--once").returncode == 0
    [back] = json.loads(run(gateway_exe, *home, "quarantine", "list", "--json").stdout)  # still invalid: quarantined again
    assert back["id"] != item["id"] and back["code"] == "x12.rejected"
    gone = run(gateway_exe, *home, "quarantine", "discard", str(back["id"]), "--reason", "partner will resend")
    assert gone.returncode == 0
    assert json.loads(run(gateway_exe, *home, "status", "--json").stdout)["transactions"]["discarded"] == 1
    assert run(gateway_exe, *home, "quarantine", "discard", str(back["id"])).returncode == 1
    missing = run(gateway_exe, *home, "quarantine", "show", "9999")
    assert missing.returncode == 1 and "no quarantine item #9999" in missing.stderr


def test_init_creates_a_home_and_partner_add_its_drop_folder(gateway_exe, tmp_path):
    root = tmp_path / "work"
    p = run(gateway_exe, "init", str(root), "--isa-qualifier", "ZZ", "--isa-id", "OURCO")
    assert p.returncode == 0, p.stderr
    for name in ("partners", "mappings", "inbound", "outbound", "archive", "store"):
        assert (root / name).is_dir()
    assert (root / "gateway.yaml").is_file() and (root / "store" / "gateway.db").is_file()
    again = run(gateway_exe, "init", str(root))
    assert again.returncode == 0 and "created" not in again.stdout  # nothing is touched twice
    add = run(gateway_exe, "--home", str(root), "partner", "add", "beta", "--isa-qualifier", "ZZ", "--isa-id", "BETA", "--receives", "850")
    assert add.returncode == 0, add.stderr
    assert (root / "inbound" / "beta").is_dir()
    once = run(gateway_exe, "--home", str(root), "serve", "--once")
    assert once.returncode == 0, once.stderr


def test_init_uses_the_home_when_no_directory_is_given(gateway_exe, tmp_path):
    p = run(gateway_exe, "init", env={"GATEWAY_HOME": str(tmp_path / "h")})
    assert p.returncode == 0 and (tmp_path / "h" / "gateway.yaml").is_file()


def test_a_broken_gateway_yaml_is_reported_with_its_line(gateway_exe, tmp_path):
    run(gateway_exe, "init", str(tmp_path))
    (tmp_path / "gateway.yaml").write_text("workers:\n  batch: 0\n  bogus: 1\n")
    p = run(gateway_exe, "--home", str(tmp_path), "serve", "--once")
    assert p.returncode == 1
    assert "gateway.yaml:3" in p.stderr and "bogus" in p.stderr and "Traceback" not in p.stderr


def test_an_unreachable_store_is_one_clear_line(gateway_exe, tmp_path):
    p = run(gateway_exe, "--home", str(make_home(tmp_path)), "status", env={"GATEWAY_STORE_URL": "postgresql+psycopg://127.0.0.1:1/nowhere"})
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "store" in p.stderr and len(p.stderr.strip().splitlines()) == 1
