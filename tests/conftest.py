"""Shared fixtures: where the samples, the shared corpus and the oracle live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import CORPUS, ORACLE_MAPS


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def oracle_maps() -> Path:
    if not ORACLE_MAPS.is_dir():
        pytest.skip(f"pyx12 oracle maps not present at {ORACLE_MAPS}")
    return ORACLE_MAPS


@pytest.fixture(scope="session")
def gateway_exe() -> str:
    exe = shutil.which("gateway")
    if exe is None:
        pytest.fail("the gateway console script is not installed (pip install -e .)")
    return exe
