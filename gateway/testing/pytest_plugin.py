"""pytest plugin: every mapping fixture under ``mappings/`` is a test item.

Enabled by the ``pytest11`` entry point (``gateway-mappings``); point pytest at a
mappings directory (``python -m pytest mappings``) and each
``<spec>.fixtures/<case>`` runs through ``gateway.testing.fixtures``, failing
with the same readable diff ``gateway mapping test`` prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..home import Home
from ..translate import Translator
from .fixtures import (
    INPUTS,
    Fixture,
    discover,
    mappings_root_of,
    run,
    translator_for_fixtures,
)

_TRANSLATORS: dict[Path, Translator] = {}
_LINTED: dict[Path, dict] = {}  # per mappings root: each spec's lint problems, found once


def _translator(fixture: Fixture) -> Translator:
    root = mappings_root_of(fixture)
    if root not in _TRANSLATORS:
        # the home is the folder holding this mappings/ (its partners/ give the profiles)
        _TRANSLATORS[root] = translator_for_fixtures(Home.locate(root.parent), [fixture])
    return _TRANSLATORS[root]


def pytest_collect_file(file_path: Path, parent):
    if file_path.parent.name.endswith(".fixtures") and file_path.suffix.lower() in INPUTS and ".expected." not in file_path.name:
        spec_file = file_path.parent.with_suffix(".yaml")
        if spec_file.is_file():
            return FixtureFile.from_parent(parent, path=file_path)
    return None


class FixtureFile(pytest.File):
    def collect(self):
        for fixture in discover(self.path.parent):
            if fixture.input == self.path:
                # node ID: mappings/<owner>/<spec>.fixtures/<case>.x12::<case>
                yield FixtureItem.from_parent(self, name=self.path.stem, fixture=fixture)


class FixtureItem(pytest.Item):
    def __init__(self, *, fixture: Fixture, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fixture = fixture

    def runtest(self) -> None:
        outcome = run(self.fixture, _translator(self.fixture), _LINTED.setdefault(mappings_root_of(self.fixture), {}))
        if not outcome.ok:
            raise MappingMismatch(outcome.diff())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, MappingMismatch):
            return f"mapping fixture {self.fixture.name} does not match:\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"mapping fixture {self.fixture.name}"


class MappingMismatch(AssertionError):
    pass
