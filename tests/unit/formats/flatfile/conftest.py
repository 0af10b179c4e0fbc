"""Shared helpers: every test writes its input as a real file named after the scenario or failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.formats.flatfile import FlatLayout, load_layout, read


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """``write("header_detail_two_orders.csv", text)`` -> the path of the file (text is written as utf-8)."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


@pytest.fixture
def read_file() -> Callable[[FlatLayout | dict, Path], list]:
    """``read_file(layout, path)``: the file's bytes read the way the gateway does, named by the file name."""

    def _read(layout: FlatLayout | dict, path: Path) -> list:
        if isinstance(layout, dict):
            layout = load_layout(layout, "layout")
        return read(layout, path.read_bytes(), path.name)

    return _read
