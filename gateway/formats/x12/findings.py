"""Validation findings and the catalogue of their stable codes.

A finding is one problem found in an interchange. Its ``code`` is stable and
documented here; each code belongs to one level (interchange, group,
transaction, segment, element) and carries the X12 acknowledgement code it is
reported with: TA105 for the interchange, AK905 for groups, AK502/IK502 for
transaction sets, AK304/IK304 for segments and AK403/IK403 for elements (997
and 999 codes differ in a few places).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    level: str
    x12: str | None  # 997 / TA1 code
    x12_999: str | None  # 999 code where it differs
    summary: str

    def ack_code(self, ack_set: str) -> str | None:
        return self.x12_999 if ack_set == "999" and self.x12_999 is not None else self.x12


_CATALOGUE = [
    # file
    Code("x12.not_x12", "file", None, None, "input is not an X12 interchange"),
    # interchange (TA105)
    Code("isa.authorization_qualifier", "interchange", "010", None, "invalid authorization information qualifier (ISA01)"),
    Code("isa.authorization_information", "interchange", "011", None, "invalid authorization information (ISA02)"),
    Code("isa.security_qualifier", "interchange", "012", None, "invalid security information qualifier (ISA03)"),
    Code("isa.security_information", "interchange", "013", None, "invalid security information (ISA04)"),
    Code("isa.sender_qualifier", "interchange", "005", None, "invalid interchange ID qualifier for sender (ISA05)"),
    Code("isa.sender_id", "interchange", "006", None, "invalid interchange sender ID (ISA06)"),
    Code("isa.receiver_qualifier", "interchange", "007", None, "invalid interchange ID qualifier for receiver (ISA07)"),
    Code("isa.receiver_id", "interchange", "008", None, "invalid interchange receiver ID (ISA08)"),
    Code("isa.date", "interchange", "014", None, "invalid interchange date (ISA09)"),
    Code("isa.time", "interchange", "015", None, "invalid interchange time (ISA10)"),
    Code("isa.standards_id", "interchange", "016", None, "invalid standards identifier / repetition separator (ISA11)"),
    Code("isa.version", "interchange", "017", None, "invalid or unsupported interchange version (ISA12)"),
    Code("isa.control_number", "interchange", "018", None, "invalid interchange control number (ISA13)"),
    Code("isa.ack_requested", "interchange", "019", None, "invalid acknowledgment requested value (ISA14)"),
    Code("isa.usage_indicator", "interchange", "020", None, "invalid usage indicator (ISA15)"),
    Code("isa.component_separator_invalid", "interchange", "027", None, "invalid component element separator (ISA16)"),
    Code("isa.element_separator_invalid", "interchange", "026", None, "invalid data element separator"),
    Code("isa.repetition_separator_invalid", "interchange", "016", None, "invalid repetition separator (ISA11)"),
    Code("isa.segment_terminator_invalid", "interchange", "004", None, "invalid segment terminator"),
    Code("isa.truncated", "interchange", "023", None, "premature end of file inside the ISA"),
    Code("iea.missing", "interchange", "023", None, "interchange trailer IEA missing (premature end of file)"),
    Code("iea.control_mismatch", "interchange", "001", None, "ISA13 and IEA02 control numbers differ"),
    Code("iea.group_count", "interchange", "021", None, "IEA01 does not match the number of functional groups"),
    Code("interchange.duplicate_control_number", "interchange", "025", None, "duplicate interchange control number"),
    Code("interchange.invalid_content", "interchange", "024", None, "invalid interchange content (bad GS or segment outside a group)"),
    Code("interchange.junk", "interchange", "022", None, "data outside any interchange"),
    # not addressed to us (the pipeline checks these against our identity; the validator alone cannot)
    Code("isa.not_our_qualifier", "interchange", "007", None, "interchange not addressed to us: ISA07 is not our ID qualifier"),
    Code("isa.not_our_id", "interchange", "008", None, "interchange not addressed to us: ISA08 is not our interchange ID"),
    # functional group (AK905)
    Code("gs.functional_id_unsupported", "group", "1", None, "functional group not supported (GS01)"),
    Code("gs.version_unsupported", "group", "2", None, "functional group version not supported (GS08)"),
    Code("ge.missing", "group", "3", None, "functional group trailer GE missing"),
    Code("ge.control_mismatch", "group", "4", None, "GS06 and GE02 group control numbers differ"),
    Code("ge.count_mismatch", "group", "5", None, "GE01 does not match the number of transaction sets"),
    Code("gs.control_number_invalid", "group", "6", None, "group control number violates syntax (GS06)"),
    Code("gs.duplicate_control_number", "group", "6", "19", "group control number not unique within the interchange"),
    Code("gs.element_invalid", "group", None, None, "invalid GS element"),
    Code("gs.not_our_id", "group", None, None, "functional group not addressed to us: GS03 is not one of our application IDs"),
    # transaction set (AK502 / IK502)
    Code("st.set_unsupported", "transaction", "1", None, "transaction set not supported"),
    Code("se.missing", "transaction", "2", None, "transaction set trailer SE missing"),
    Code("se.control_mismatch", "transaction", "3", None, "ST02 and SE02 control numbers differ"),
    Code("se.count_mismatch", "transaction", "4", None, "SE01 does not match the number of segments"),
    Code("transaction.segment_errors", "transaction", "5", None, "one or more segments in error"),
    Code("st.set_id_invalid", "transaction", "6", None, "missing or invalid transaction set identifier (ST01)"),
    Code("st.control_number_invalid", "transaction", "7", None, "missing or invalid transaction set control number (ST02)"),
    Code("st.duplicate_control_number", "transaction", "23", None, "transaction set control number not unique within the group"),
    Code("st.implementation_convention", "transaction", "6", "I6", "implementation convention reference (ST03) not supported"),
    # X12 has no code for a set too large to take: reported as "one or more segments in error"
    Code("transaction.too_large", "transaction", "5", None, "transaction set larger than this gateway accepts"),
    # segment (AK304 / IK304)
    Code("segment.unrecognized", "segment", "1", None, "unrecognized segment ID"),
    Code("segment.mandatory_missing", "segment", "3", None, "mandatory segment missing"),
    Code("loop.mandatory_missing", "segment", "3", None, "mandatory loop missing"),
    Code("loop.max_exceeded", "segment", "4", None, "loop occurs over maximum times"),
    Code("segment.max_use_exceeded", "segment", "5", None, "segment exceeds maximum use"),
    Code("segment.not_in_set", "segment", "6", None, "segment not in defined transaction set"),
    Code("segment.out_of_sequence", "segment", "7", None, "segment not in proper sequence"),
    Code("segment.not_used", "segment", "2", "I4", "segment marked not used is present"),
    Code("loop.not_used", "segment", "2", "I4", "loop marked not used is present"),
    Code("segment.trailing_separators", "segment", "8", None, "segment ends with element separators"),
    Code("segment.empty", "segment", "1", None, "empty segment"),
    # element (AK403 / IK403)
    Code("element.mandatory_missing", "element", "1", None, "mandatory data element missing"),
    Code("element.conditional_missing", "element", "2", None, "conditional required data element missing"),
    Code("element.too_many_elements", "element", "3", None, "too many data elements"),
    Code("element.too_short", "element", "4", None, "data element too short"),
    Code("element.too_long", "element", "5", None, "data element too long"),
    Code("element.invalid_character", "element", "6", None, "invalid character in data element"),
    Code("element.trailing_spaces", "element", "6", None, "data element has trailing spaces"),
    Code("element.invalid_code", "element", "7", None, "invalid code value"),
    Code("element.invalid_date", "element", "8", None, "invalid date"),
    Code("element.invalid_time", "element", "9", None, "invalid time"),
    Code("element.exclusion_violated", "element", "10", None, "exclusion condition violated"),
    Code("element.not_used", "element", "10", "I10", "data element marked not used is present"),
    Code("element.too_many_repetitions", "element", "3", "12", "too many repetitions"),
    Code("element.too_many_components", "element", "3", "13", "too many components"),
    Code("element.pattern_mismatch", "element", "7", "I12", "data element does not match the required pattern"),
    Code("hl.id_sequence", "element", "7", None, "HL01 hierarchical IDs must count up from 1"),
    Code("hl.parent_invalid", "element", "7", None, "HL02 does not name an open parent level"),
    Code("hl.child_code", "element", "7", None, "HL04 child code contradicts the hierarchy"),
    Code("hl.too_deep", "element", "7", None, "HL02 nests the hierarchy deeper than this gateway accepts"),
]

CODES: dict[str, Code] = {c.id: c for c in _CATALOGUE}

# ISA element position (1-based) -> finding code for problems with that field.
ISA_FIELD_CODES = {
    1: "isa.authorization_qualifier",
    2: "isa.authorization_information",
    3: "isa.security_qualifier",
    4: "isa.security_information",
    5: "isa.sender_qualifier",
    6: "isa.sender_id",
    7: "isa.receiver_qualifier",
    8: "isa.receiver_id",
    9: "isa.date",
    10: "isa.time",
    11: "isa.standards_id",
    12: "isa.version",
    13: "isa.control_number",
    14: "isa.ack_requested",
    15: "isa.usage_indicator",
    16: "isa.component_separator_invalid",
}


MAX_FINDINGS = 1000  # kept per transaction set, group, interchange or file (see Findings)


class Findings(list):
    """Findings of one set (group, interchange, file), at most ``limit`` of them; then only the first of
    each (code, severity) not yet kept, so that statuses and acknowledgement codes stay exact. The others
    are counted in ``omitted``: a hostile set with millions of errors costs no more memory than this."""

    __slots__ = ("_kinds", "limit", "omitted")

    def __init__(self, items=(), limit: int = MAX_FINDINGS) -> None:
        super().__init__(items)
        self.limit = limit
        self.omitted = 0
        self._kinds: set | None = None

    def append(self, finding: Finding) -> None:
        if len(self) < self.limit:
            super().append(finding)
            return
        if self._kinds is None:
            self._kinds = {(f.code, f.severity) for f in self}
        kind = (finding.code, finding.severity)
        if kind in self._kinds:
            self.omitted += 1
            return
        self._kinds.add(kind)
        super().append(finding)


@dataclass(slots=True)
class Position:
    """Where a finding is: byte offset in the file, segment number in the file,
    segment number within the transaction set (ST = 1), element, component, repetition."""

    offset: int | None = None
    segment_number: int | None = None
    set_position: int | None = None
    element: int | None = None
    component: int | None = None
    repetition: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(slots=True)
class Finding:
    code: str
    message: str
    segment: str | None = None  # segment ID, e.g. BEG
    element: str | None = None  # reference designator, e.g. BEG03 or PO107-01
    position: Position = field(default_factory=Position)
    value: str | None = None  # copy of the bad data, when there is one
    loop: str | None = None  # map path of the loop, when known
    data_element: str | None = None  # data element reference number, for AK402/IK404
    severity: str = "error"  # error | warning

    @property
    def spec(self) -> Code:
        return CODES[self.code]

    @property
    def level(self) -> str:
        return CODES[self.code].level

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "x12_code": CODES[self.code].x12,
            "severity": self.severity,
            "segment": self.segment,
            "element": self.element,
            "message": self.message,
            "position": self.position.to_dict(),
        }
        if self.value is not None:
            out["value"] = self.value
        return out
