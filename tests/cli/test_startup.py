"""Start-up stays lean: a short command imports only what it uses (lazy command modules, heavy imports inside
functions). Timed figures come from benchmarks/startup.py, not from a test; this checks what is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import ROOT, SAMPLES, make_home

ORDER = str(SAMPLES / "850-004010-retail-replenishment-order.x12")
HEAVY = ("sqlalchemy", "alembic", "jsonschema", "ruamel", "gateway.mapping", "gateway.canonical", "gateway.translate",
         "gateway.store", "gateway.pipeline", "gateway.config")


def imported(*args: str, cwd=ROOT) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules ``gateway ARGS`` imports, from Python's own import log (-X importtime)."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "gateway.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    names = {line.rsplit("|", 1)[1].strip() for line in p.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    return names, p


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [["validate", ORDER], ["ack", ORDER], ["--version"]], ids=["validate", "ack", "version"])
def test_a_short_command_does_not_import_the_store_the_mapping_engine_or_jsonschema(args):
    names, p = imported(*args)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "click" in names  # the import log was read
    assert heavy(names) == []


def test_the_import_log_sees_what_a_store_command_loads(tmp_path):
    names, p = imported("--home", str(make_home(tmp_path / "home")), "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert {"sqlalchemy", "gateway.store"} <= set(heavy(names))
