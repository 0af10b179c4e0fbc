"""The in-process pipeline tests' fixtures: a demo home (the sample partners) and the memory ERP."""

from __future__ import annotations

import pytest
from helpers import ROOT
from pipeline_helpers import SAMPLES_RECEIVER, SETTINGS

from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.connectors.memory import MemoryTarget
from gateway.workdir import demo_home


@pytest.fixture
def erp() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def home(tmp_path):
    """The demo home with our gateway.yaml (no named connectors: the tests register a connector type ``erp``, the
    memory ERP), so the demo's routes to the named ``erp`` folder connector become routes to the ``folder`` type."""
    h = demo_home(tmp_path / "home", ROOT)
    (h.root / "gateway.yaml").write_text(SAMPLES_RECEIVER + SETTINGS)
    for path in h.partners_dir.glob("*.yaml"):
        data = parse_yaml(path.read_text(), path.name).data
        data["routes"] = [{**r, "connector": "folder"} if r["connector"] == "erp" else r for r in data.get("routes") or []]
        path.write_text(dump_yaml(data))
    return h
