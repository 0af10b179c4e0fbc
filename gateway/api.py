"""Facade used by the CLI (and later the HTTP API): whole operations, no I/O formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GatewayError, NotX12, UnreadableInput
from .formats.x12 import AckNumbers, Finding, Position, Report, SpecLibrary, Validator, acknowledge_report, bundled_dirs
from .formats.x12.lexer import sender_ids

if TYPE_CHECKING:
    from .config.partner import PartnerProfile
    from .home import Home


@dataclass(slots=True)
class FileOutcome:
    path: str
    report: Report | None = None
    error: GatewayError | None = None  # the file could not be read at all
    partner: str | None = None  # whose validation overlay applied (a home's partner, found by the ISA sender)

    @property
    def readable(self) -> bool:
        return not isinstance(self.error, UnreadableInput)


@dataclass(slots=True)
class Engine:
    """The X12 engine as configured: spec directories and character set."""

    spec_dirs: list[Path] = field(default_factory=list)
    charset: str = "extended"
    _validator: Validator | None = None
    _partner_validators: dict = field(default_factory=dict)  # partner ID -> Validator with its overlay

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            dirs = bundled_dirs() + [Path(p) for p in self.spec_dirs]
            self._validator = Validator(SpecLibrary(dirs), charset=self.charset)
        return self._validator

    def validator_for(self, partner: PartnerProfile | None) -> Validator:
        """The validator with ``partner``'s validation overlay (``validation:`` of its profile), as ``serve`` and
        ``translate`` validate its files; without a partner, the standard's rules only."""
        if partner is None:
            return self.validator
        v = self._partner_validators.get(partner.id)
        if v is None:
            def overlay(spec):
                o = partner.overlay_for(spec.set_id)
                return o(spec) if o is not None else spec

            v = self._partner_validators[partner.id] = Validator(self.validator.library, charset=self.charset, overlay=overlay)
        return v

    def validate_file(self, path: str | Path, partner: PartnerProfile | None = None) -> FileOutcome:
        """``path`` validated (with ``partner``'s overlay when given; an overlay that does not fit the X12 spec is the
        file's error, as in ``translate``)."""
        try:
            return FileOutcome(str(path), self.validator_for(partner).validate(path, name=str(path)))
        except NotX12 as exc:
            report = Report(str(path))
            report.findings.append(Finding("x12.not_x12", exc.message, position=Position(offset=0)))
            return FileOutcome(str(path), report, exc)
        except UnreadableInput as exc:
            return FileOutcome(str(path), None, exc)
        except GatewayError as exc:
            if partner is None:
                raise
            return FileOutcome(str(path), None, exc)

    def acknowledge(self, report: Report, numbers: AckNumbers | None = None, partner: PartnerProfile | None = None) -> str:
        """The acknowledgements of ``report``; with ``partner``, of the kind its profile asks for (``acks``)."""
        if partner is None:
            return acknowledge_report(report, numbers)
        return acknowledge_report(report, numbers, kind=partner.acks.ack_to_send, ta1=partner.acks.ta1)


def file_partner(home: Home, path: str | Path) -> tuple[PartnerProfile | None, str | None]:
    """The partner of ``home`` that sent X12 file ``path`` (found by its ISA sender and first GS02, as ``serve`` and
    ``translate`` find it), and a note saying whose rules apply. (None, None) when ``home`` is no home (no
    gateway.yaml: the standard's rules only) or the file's ISA cannot be read (its validation says why).
    Raises ``ConfigError`` as ``Partners.find``: the sender's profile does not load, several partners fit."""
    if not home.is_home:
        return None, None
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None, None
    sender = sender_ids(head)
    if sender is None:
        return None, None
    from .config.partner import Partners

    partners = Partners(home)
    partner = partners.find(isa_qualifier=sender[0], isa_id=sender[1], gs_id=sender[2])
    who = f"sender {sender[0]}/{sender[1]}"
    if partner is None:
        return None, f"{who} is no known partner of {home.display(home.root)}: the standard's rules only"
    return partner, f"{who} is partner {partner.id}: its validation overlay applies ({home.display(partners.path_of(partner.id))})"
