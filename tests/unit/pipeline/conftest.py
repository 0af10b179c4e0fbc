"""The in-process pipeline tests' fixtures: a demo home (the sample partners) and the memory ERP."""

from __future__ import annotations

import pytest
from gateway.connectors.memory import MemoryTarget
from gateway.home import REPO_ROOT
from gateway.workdir import demo_home
from pipeline_helpers import SAMPLES_RECEIVER, SETTINGS


@pytest.fixture
def erp() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def home(tmp_path):
    h = demo_home(tmp_path / "home", REPO_ROOT)
    (h.root / "gateway.yaml").write_text(SAMPLES_RECEIVER + SETTINGS)
    return h
