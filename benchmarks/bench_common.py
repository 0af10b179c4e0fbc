"""Shared by the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "gateway" / "formats" / "x12" / "specs" / "004010"


@dataclass(frozen=True)
class Generated:
    """A generated input file and what it holds."""

    path: Path
    transactions: int
    segments: int
    size: int


def engine_version() -> str:
    """The checkout being measured: commit, plus the engine files changed since (best effort)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD").strip()
    if not head:
        return "unknown (not a git checkout)"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "gateway").splitlines()]
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else " (clean)")


def gateway_command() -> list[str]:
    """The ``gateway`` console script of this Python (a venv's), else the one on PATH, else ``python -m gateway.cli``."""
    exe = Path(sys.executable).with_name("gateway")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("gateway")
    return [found] if found else [sys.executable, "-m", "gateway.cli"]
