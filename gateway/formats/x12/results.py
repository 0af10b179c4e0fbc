"""What validating an input produces: interchange, group and transaction results.

Statuses follow what trading partners expect in acknowledgements:
a transaction set is ``accepted``, ``accepted_with_errors`` (only warnings) or
``rejected``; a group is A/E/P/R (AK901); an interchange is A/E/R (TA104).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .delimiters import Delimiters
from .findings import Finding, Findings

ACCEPTED = "accepted"
ACCEPTED_WITH_ERRORS = "accepted_with_errors"
REJECTED = "rejected"

# Interchange problems that stop us from trusting its content (TA104 = R).
FATAL_INTERCHANGE = frozenset(
    {
        "isa.element_separator_invalid",
        "isa.component_separator_invalid",
        "isa.segment_terminator_invalid",
        "isa.repetition_separator_invalid",
        "isa.truncated",
        "isa.version",
        "iea.missing",
        "iea.control_mismatch",
        "iea.group_count",
        "interchange.duplicate_control_number",
        "isa.not_our_qualifier",  # not for us: refused whole
        "isa.not_our_id",
    }
)


class Kept(Sequence[str]):
    """A set's segments kept as one string, split when read: a report holding every set of a large file
    costs about the file's size, not four times it (a str per segment)."""

    __slots__ = ("_count", "_separator", "_text")

    def __init__(self, segments: list[str], separator: str) -> None:
        # No segment holds its interchange's terminator: joined with it, they split back exactly.
        self._text = separator.join(segments)
        self._separator = separator
        self._count = len(segments)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._text.split(self._separator) if self._count else ())

    def __getitem__(self, index):
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) and not isinstance(other, str) else NotImplemented

    def __repr__(self) -> str:
        return f"Kept({self._count} segments)"


def omitted(findings: list[Finding]) -> int:
    """How many findings like those listed were left out (see ``Findings``)."""
    return getattr(findings, "omitted", 0)


def _status(findings: list[Finding]) -> str:
    if any(f.severity == "error" for f in findings):
        return REJECTED
    if findings:
        return ACCEPTED_WITH_ERRORS
    return ACCEPTED


@dataclass(slots=True)
class TransactionResult:
    set_id: str
    control_number: str
    group: GroupResult
    convention: str = ""  # ST03
    spec: str | None = None  # map file used, None when unsupported
    offset: int = 0
    segment_number: int = 0  # of the ST in the file
    segment_count: int = 0  # ST..SE inclusive as counted
    findings: list[Finding] = field(default_factory=Findings)
    segments: Sequence[str] | None = None  # kept when the caller asks for them (``Kept``)

    @property
    def status(self) -> str:
        return _status(self.findings)

    def to_dict(self) -> dict[str, Any]:
        g, i = self.group, self.group.interchange
        return {
            "set": self.set_id,
            "control_number": self.control_number,
            "status": self.status,
            "version": g.version,
            "functional_group": g.control_number,
            "interchange": i.control_number,
            "sender": i.sender_id.strip(),
            "receiver": i.receiver_id.strip(),
            "segment_count": self.segment_count,
            "offset": self.offset,
            "errors": [f.to_dict() for f in self.findings],
            **({"errors_omitted": n} if (n := omitted(self.findings)) else {}),
        }


@dataclass(slots=True)
class GroupResult:
    interchange: InterchangeResult
    functional_id: str = ""  # GS01
    sender: str = ""  # GS02
    receiver: str = ""  # GS03
    date: str = ""
    time: str = ""
    control_number: str = ""  # GS06
    agency: str = ""
    version: str = ""  # GS08
    offset: int = 0
    findings: list[Finding] = field(default_factory=Findings)
    transactions: list[TransactionResult] = field(default_factory=list)
    received: int = 0
    stated: int | None = None  # GE01
    accepted: int = 0
    with_errors: int = 0
    synthetic: bool = False  # no GS: transaction sets found directly in the interchange

    @property
    def ack_code(self) -> str:
        """AK901: A, E (accepted, errors noted), P (partially accepted) or R."""
        if any(f.severity == "error" for f in self.findings):
            return "R"
        if self.received and self.accepted == 0:
            return "R"
        if self.accepted < self.received:
            return "P"
        if self.with_errors or self.findings:
            return "E"
        return "A"


@dataclass(slots=True)
class InterchangeResult:
    index: int
    offset: int
    elements: list[str] = field(default_factory=list)  # ISA01..ISA16
    delimiters: Delimiters | None = None
    findings: list[Finding] = field(default_factory=Findings)
    groups: list[GroupResult] = field(default_factory=list)
    group_count: int = 0
    ta1_segments: list[str] = field(default_factory=list)  # TA1s received inside this interchange

    def _el(self, n: int) -> str:
        return self.elements[n - 1] if len(self.elements) >= n else ""

    sender_qualifier = property(lambda self: self._el(5))
    sender_id = property(lambda self: self._el(6))
    receiver_qualifier = property(lambda self: self._el(7))
    receiver_id = property(lambda self: self._el(8))
    date = property(lambda self: self._el(9))
    time = property(lambda self: self._el(10))
    version = property(lambda self: self._el(12))
    control_number = property(lambda self: self._el(13))
    ack_requested = property(lambda self: self._el(14) == "1")
    usage = property(lambda self: self._el(15))

    @property
    def ack_code(self) -> str:
        """TA104: A, E or R."""
        if any(f.code in FATAL_INTERCHANGE for f in self.findings):
            return "R"
        if self.findings:
            return "E"
        return "A"

    @property
    def broken(self) -> bool:
        return bool(self.findings)


@dataclass(slots=True)
class Report:
    """Everything found in one input."""

    source: str
    interchanges: list[InterchangeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=Findings)  # outside any interchange

    def transactions(self) -> list[TransactionResult]:
        return [t for i in self.interchanges for g in i.groups for t in g.transactions]

    def envelope_findings(self) -> list[tuple[str, str | None, Finding]]:
        out: list[tuple[str, str | None, Finding]] = [("file", None, f) for f in self.findings]
        for i in self.interchanges:
            out += [("interchange", i.control_number, f) for f in i.findings]
            for g in i.groups:
                out += [("group", g.control_number, f) for f in g.findings]
        return out

    @property
    def ok(self) -> bool:
        """True when every transaction set is accepted (warnings allowed) and no envelope is broken."""
        if any(f.severity == "error" for _, _, f in self.envelope_findings()):
            return False
        return all(t.status != "rejected" for t in self.transactions()) and bool(self.interchanges)

    def to_dict(self) -> dict[str, Any]:
        env = []
        for level, control, f in self.envelope_findings():
            d = f.to_dict()
            d["level"] = level
            if control is not None:
                d["control_number"] = control
            env.append(d)
        return {
            "file": self.source,
            "ok": self.ok,
            "interchanges": [
                {
                    "control_number": i.control_number,
                    "sender": f"{i.sender_qualifier}:{i.sender_id.strip()}",
                    "receiver": f"{i.receiver_qualifier}:{i.receiver_id.strip()}",
                    "version": i.version,
                    "ack_code": i.ack_code,
                    "groups": [
                        {"functional_id": g.functional_id, "control_number": g.control_number, "version": g.version, "ack_code": g.ack_code}
                        for g in i.groups
                    ],
                }
                for i in self.interchanges
            ],
            "transactions": [t.to_dict() for t in self.transactions()],
            "envelope_errors": env,
            **({"envelope_errors_omitted": n} if (n := self.envelope_omitted()) else {}),
        }

    def envelope_omitted(self) -> int:
        """Envelope findings left out of the lists (see ``Findings``)."""
        return omitted(self.findings) + sum(omitted(i.findings) + sum(omitted(g.findings) for g in i.groups) for i in self.interchanges)
