"""Shared fixtures: a home in a temporary folder, a context on it, and the canonical documents under ``cases/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.connectors import ConnectorContext
from gateway.home import Home

CASES = Path(__file__).parent / "cases"


def case(name: str) -> dict:
    """A canonical document from ``cases/<name>.json`` (files are named after the scenario)."""
    return json.loads((CASES / f"{name}.json").read_text("utf-8"))


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home", explicit=True, repo_root=None)


@pytest.fixture
def context(home: Home) -> ConnectorContext:
    return ConnectorContext(home, environ={"ERP_TOKEN": "tok-s3cret-123", "ERP_USER": "gateway", "ERP_PASSWORD": "pw-s3cret-456"})
