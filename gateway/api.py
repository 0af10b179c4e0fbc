"""Facade used by the CLI (and later the HTTP API): whole operations, no I/O formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import GatewayError, NotX12, UnreadableInput
from .formats.x12 import AckNumbers, Finding, Position, Report, SpecLibrary, Validator, acknowledge_report, bundled_dirs


@dataclass(slots=True)
class FileOutcome:
    path: str
    report: Report | None = None
    error: GatewayError | None = None  # the file could not be read at all

    @property
    def readable(self) -> bool:
        return not isinstance(self.error, UnreadableInput)


@dataclass(slots=True)
class Engine:
    """The X12 engine as configured: spec directories and character set."""

    spec_dirs: list[Path] = field(default_factory=list)
    charset: str = "extended"
    _validator: Validator | None = None

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            dirs = bundled_dirs() + [Path(p) for p in self.spec_dirs]
            self._validator = Validator(SpecLibrary(dirs), charset=self.charset)
        return self._validator

    def validate_file(self, path: str | Path) -> FileOutcome:
        try:
            return FileOutcome(str(path), self.validator.validate(path, name=str(path)))
        except NotX12 as exc:
            report = Report(str(path))
            report.findings.append(Finding("x12.not_x12", exc.message, position=Position(offset=0)))
            return FileOutcome(str(path), report, exc)
        except UnreadableInput as exc:
            return FileOutcome(str(path), None, exc)

    def acknowledge(self, report: Report, numbers: AckNumbers | None = None) -> str:
        return acknowledge_report(report, numbers)
