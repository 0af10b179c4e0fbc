"""Acknowledgements: TA1 for interchanges, 997 (004010 and older) or 999 (005010).

One outbound interchange answers each inbound interchange, addressed back to
its sender. It holds a TA1 when the sender asked for one (ISA14=1) or when the
envelope is broken; when the interchange is rejected outright (TA104=R) that is
all it holds. Otherwise every inbound functional group gets its own FA group
with one 997/999 listing each transaction set (AK2/AK5 or AK2/IK5) and, for
sets with errors, the segments (AK3/IK3) and elements (AK4/IK4) at fault.
Acknowledgements are never acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from .delimiters import Delimiters
from .findings import CODES, Finding
from .results import ACCEPTED, ACCEPTED_WITH_ERRORS, GroupResult, InterchangeResult, Report, TransactionResult
from .writer import EnvelopeWriter, clean

ACK_SETS = frozenset({"997", "999"})
X231 = "005010X231A1"


@dataclass(slots=True)
class AckNumbers:
    """Control numbers for the acknowledgements; each sequence advances as it is used."""

    interchange: int = 1
    group: int = 1
    transaction: int = 1
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def take(self, which: str) -> int:
        value = getattr(self, which)
        setattr(self, which, value + 1)
        return value


def ack_set_for(version: str) -> str:
    """997 for groups before 005010, 999 from 005010 on."""
    return "999" if version[:6] >= "005010" else "997"


def ta1_note(ix: InterchangeResult) -> str:
    """TA105: the first fatal problem's code, else the first problem's, else 000."""
    fatal = [f for f in ix.findings if ix.ack_code == "R" and CODES[f.code].x12 and f.severity == "error"]
    for f in fatal or ix.findings:
        code = CODES[f.code].x12
        if code and len(code) == 3:
            return code
    return "000"


def needs_ta1(ix: InterchangeResult) -> bool:
    return ix.ack_requested or bool(ix.findings)


def acknowledge(ix: InterchangeResult, numbers: AckNumbers) -> str:
    """The outbound interchange acknowledging ``ix`` ('' when nothing is due)."""
    d = _outbound_delimiters(ix)
    groups = [g for g in ix.groups if not _is_ack_group(g) and not g.synthetic]
    if not needs_ta1(ix) and not groups:
        return ""
    if ix.ack_code == "R" and not needs_ta1(ix):
        return ""
    w = EnvelopeWriter(d, now=numbers.now)
    version = ix.version if ix.version[:1] == "0" and len(ix.version) == 5 and ix.version.isdigit() else "00401"
    w.interchange((ix.receiver_qualifier or "ZZ", ix.receiver_id.strip() or "UNKNOWN"), (ix.sender_qualifier or "ZZ", ix.sender_id.strip() or "UNKNOWN"),
                  numbers.take("interchange"), version=version, usage=ix.usage if ix.usage in ("P", "T", "I") else "P")
    if needs_ta1(ix):
        ctrl = ix.control_number if ix.control_number.isdigit() and len(ix.control_number) == 9 else "000000000"
        date = ix.date if len(ix.date) == 6 and ix.date.isdigit() else numbers.now.strftime("%y%m%d")
        time = ix.time if len(ix.time) == 4 and ix.time.isdigit() else numbers.now.strftime("%H%M")
        w.segment("TA1", ctrl, date, time, ix.ack_code, ta1_note(ix))
    if ix.ack_code != "R":
        for g in groups:
            _functional_ack(w, g, numbers, d)
    w.end_interchange()
    return w.text()


def acknowledge_report(report: Report, numbers: AckNumbers | None = None) -> str:
    numbers = numbers or AckNumbers()
    return "".join(acknowledge(ix, numbers) for ix in report.interchanges)


def _is_ack_group(g: GroupResult) -> bool:
    return g.functional_id == "FA" or (bool(g.transactions) and all(t.set_id in ACK_SETS for t in g.transactions))


def _outbound_delimiters(ix: InterchangeResult) -> Delimiters:
    d = ix.delimiters
    if d is None:
        return Delimiters("*", ":", "~", "^" if ix.version >= "00402" else None, "\n")
    if d.repetition is None and ix.version >= "00402":
        spare = next(c for c in "^|!" if c not in (d.element, d.component, d.segment))
        return Delimiters(d.element, d.component, d.segment, spare, d.suffix)
    return d


def _functional_ack(w: EnvelopeWriter, g: GroupResult, numbers: AckNumbers, d: Delimiters) -> None:
    kind = ack_set_for(g.version or "")
    five = kind == "999"
    w.group("FA", g.receiver or "UNKNOWN", g.sender or "UNKNOWN", numbers.take("group"), X231 if five else (g.version[:6] if g.version[:6] < "005010" and g.version else "004010"))
    w.transaction(kind, numbers.take("transaction"), X231 if five else None)
    if five:
        w.segment("AK1", g.functional_id, g.control_number, g.version)
    else:
        w.segment("AK1", g.functional_id, g.control_number)
    for t in g.transactions:
        _transaction(w, t, five, d)
    codes = _unique(CODES[f.code].ack_code(kind) for f in g.findings if f.severity == "error")[:5]
    included = g.stated if g.stated is not None else g.received
    w.segment("AK9", g.ack_code, str(included), str(g.received), str(g.accepted), *codes)
    w.end_transaction()
    w.end_group()


def _transaction(w: EnvelopeWriter, t: TransactionResult, five: bool, d: Delimiters) -> None:
    kind = "999" if five else "997"
    if five:
        w.segment("AK2", t.set_id, t.control_number, t.convention or None)
    else:
        w.segment("AK2", t.set_id, t.control_number)
    by_position: dict[tuple[int, str], list[Finding]] = {}
    for f in t.findings:
        if f.level in ("segment", "element"):
            key = (f.position.set_position or 0, f.segment or "")
            by_position.setdefault(key, []).append(f)
    seg_tag, ele_tag = ("IK3", "IK4") if five else ("AK3", "AK4")
    for (position, seg_id), findings in sorted(by_position.items()):
        seg_id = seg_id if seg_id and seg_id.isalnum() and len(seg_id) <= 3 else "UNK"
        loop = ""
        elements = [f for f in findings if f.level == "element"]
        written: set[str] = {"8"} if elements else set()
        for f in findings:
            if f.level == "segment" and f.code != "segment.element_errors":
                code = CODES[f.code].ack_code(kind)
                if code in written:
                    continue
                written.add(code)
                w.segment(seg_tag, seg_id, str(max(position, 1)), loop or None, code)
        if elements:
            w.segment(seg_tag, seg_id, str(max(position, 1)), loop or None, "8")
            for f in elements[:99]:
                pos = f.position
                where = [str(pos.element or 1)]
                if pos.component or pos.repetition:
                    where.append(str(pos.component) if pos.component else "")
                if five and pos.repetition:
                    where.append(str(pos.repetition))
                bad = clean(f.value, d, 99) if f.value else None
                w.segment(ele_tag, where, f.data_element or None, CODES[f.code].ack_code(kind), bad)
    status = t.status
    code = {ACCEPTED: "A", ACCEPTED_WITH_ERRORS: "E"}.get(status, "R")
    codes = _unique(CODES[f.code].ack_code(kind) for f in t.findings if f.level == "transaction" and f.severity == "error")
    if status == "rejected" and not codes:
        codes = ["5"]
    w.segment("IK5" if five else "AK5", code, *codes[:5])


def _unique(codes: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for c in codes:
        if c and c not in out:
            out.append(c)
    return out
