"""The in-process pipeline tests' fixtures: a demo home (the sample partners) and the memory ERP."""

from __future__ import annotations

import pytest
from pipeline_helpers import pipeline_home

from gateway.connectors.memory import MemoryTarget


@pytest.fixture
def erp() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def home(tmp_path):
    return pipeline_home(tmp_path / "home")
