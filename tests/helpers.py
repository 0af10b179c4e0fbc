"""Paths and small helpers shared by the tests (importable as ``helpers``)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "x12"
SHARED = Path(os.environ.get("GATEWAY_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
ORACLE_MAPS = SHARED / "oracle" / "pyx12-maps"


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.x12"))


def make_home(path: Path) -> Path:
    """A gateway home at ``path``: a directory holding ``gateway.yaml`` with our identity (ZZ/OURCO) and the defaults
    otherwise (no named connectors), the least a home needs to be served."""
    path.mkdir(parents=True, exist_ok=True)
    config = path / "gateway.yaml"
    if not config.exists():
        config.write_text("identity: {isa_qualifier: ZZ, isa_id: OURCO}\n", encoding="utf-8")
    return path
