"""Acknowledgements: TA1 for interchanges, 997 (004010 and older) or 999 (005010).

One outbound interchange answers each inbound interchange, addressed back to
its sender. It holds a TA1 when the sender asked for one (ISA14=1) or when the
envelope is broken; when the interchange is rejected outright (TA104=R) that is
all it holds. Otherwise every inbound functional group gets its own FA group
with one 997/999 listing each transaction set (AK2/AK5 or AK2/IK5) and, for
sets with errors, the segments (AK3/IK3) and elements (AK4/IK4) at fault.
Acknowledgements are never acknowledged.

A partner profile may choose otherwise (``acks`` in the profile): ``kind`` picks the
functional acknowledgement per group version (a 997 for a 005010 partner who asks for one,
or none at all) and ``ta1`` is ``on_error`` (the above), ``always`` or ``never``.

The acknowledgement comes from ``sender`` (ISA05/ISA06 and GS02: our own identity, as the
pipeline knows it) when given; without it (``gateway ack`` on a lone file) the inbound
envelope's receiver is echoed back as the sender. A group refused as not addressed to us
(``gs.not_our_id``) is answered with AK9 R and no AK2: none of its sets is taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from .delimiters import Delimiters
from .elements import valid_date, valid_time
from .envelope import ISA_CODES
from .findings import CODES, Finding
from .results import ACCEPTED, ACCEPTED_WITH_ERRORS, GroupResult, InterchangeResult, Report, TransactionResult
from .writer import EnvelopeWriter

ACK_SETS = frozenset({"997", "999"})
# Letters, digits and inner spaces: safe to echo whatever the delimiters are.
_PLAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ]*[A-Za-z0-9])?")
X231 = "005010X231A1"
MAX_COUNT = 999_999  # AK902-AK904 and AK302 are N0 1/6: what is larger is not said (a count is capped, a position left out)
MAX_SEGMENT_ERRORS = 100  # AK3/IK3 loops per set; the guides allow stopping early, the AK5/IK5 still rejects the set


@dataclass(slots=True)
class AckNumbers:
    """Control numbers for the acknowledgements; each sequence advances as it is used."""

    interchange: int = 1
    group: int = 1
    transaction: int = 1
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def take(self, which: str) -> int:
        value = getattr(self, which)
        setattr(self, which, value + 1)
        return value


class Sender(Protocol):
    """Who an acknowledgement comes from."""

    isa_qualifier: str  # ISA05
    isa_id: str  # ISA06, unpadded
    gs_id: str  # GS02


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


def echo(value: str | None, lo: int, hi: int, *, digits: bool = False, fill: str = "0", d: Delimiters | None = None) -> str:
    """A received value made fit to send back: printable ASCII only, within its length.

    Echoed fields (AK1, AK2, AK404, TA1, addressing) must be valid X12 even when
    what we received was not: other characters are dropped, never passed on.
    """
    if value and lo <= len(value) <= hi and _PLAIN.fullmatch(value) and (not digits or (value.isascii() and value.isdigit())):
        return value  # the usual case: nothing to clean
    banned = "^`" + ("".join(c for c in (d.element, d.component, d.segment, d.repetition) if c) if d else "*:~>|")
    text = "".join(ch for ch in (value or "") if ("0" <= ch <= "9" if digits else (" " <= ch <= "~" and ch not in banned)))
    text = text.strip()[:hi].rstrip()  # cut to length, then strip: no trailing space may be left at the cut
    if len(text) < lo:
        text = text.rjust(lo, fill) if digits else text.ljust(lo, fill)
    return text


def _qualifier(value: str) -> str:
    return value if value in ISA_CODES[5] else "ZZ"


def needs_ta1(ix: InterchangeResult, ta1: str = "on_error") -> bool:
    if ta1 != "on_error":
        return ta1 == "always"
    return ix.ack_requested or bool(ix.findings)


def acknowledge(ix: InterchangeResult, numbers: AckNumbers, *, kind: Callable[[str], str | None] = ack_set_for,
                ta1: str = "on_error", sender: Sender | None = None) -> str:
    """The outbound interchange acknowledging ``ix`` ('' when nothing is due), from ``sender`` if given.

    ``kind(group version)``: 997, 999 or None (no functional acknowledgement for that group);
    ``ta1``: on_error (when the envelope has errors or ISA14 asks), always or never.
    """
    d = _outbound_delimiters(ix)
    groups = [(g, k) for g in ix.groups if not _is_ack_group(g) and not g.synthetic and (k := kind(g.version or ""))]
    with_ta1 = needs_ta1(ix, ta1)
    if not with_ta1 and not groups:
        return ""
    if ix.ack_code == "R" and not with_ta1:
        return ""
    w = EnvelopeWriter(d, now=numbers.now)
    version = ix.version if ix.version[:1] == "0" and len(ix.version) == 5 and ix.version.isascii() and ix.version.isdigit() else "00401"
    ours = (sender.isa_qualifier, sender.isa_id) if sender else (_qualifier(ix.receiver_qualifier), echo(ix.receiver_id, 1, 15, fill="X", d=d))
    w.interchange(ours, (_qualifier(ix.sender_qualifier), echo(ix.sender_id, 1, 15, fill="X", d=d)),
                  numbers.take("interchange"), version=version, usage=ix.usage if ix.usage in ("P", "T", "I") else "P")
    if with_ta1:
        ctrl = echo(ix.control_number, 9, 9, digits=True)
        date = ix.date if len(ix.date) == 6 and valid_date(ix.date) else numbers.now.strftime("%y%m%d")
        time = ix.time if len(ix.time) == 4 and valid_time(ix.time) else numbers.now.strftime("%H%M")
        w.segment("TA1", ctrl, date, time, ix.ack_code, ta1_note(ix))
    if ix.ack_code != "R":
        for g, k in groups:
            _functional_ack(w, g, numbers, d, k, sender)
    w.end_interchange()
    return w.text()


def acknowledge_report(report: Report, numbers: AckNumbers | None = None, *, kind: Callable[[str], str | None] = ack_set_for,
                       ta1: str = "on_error", sender: Sender | None = None) -> str:
    numbers = numbers or AckNumbers()
    return "".join(acknowledge(ix, numbers, kind=kind, ta1=ta1, sender=sender) for ix in report.interchanges)


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


def _functional_ack(w: EnvelopeWriter, g: GroupResult, numbers: AckNumbers, d: Delimiters, kind: str, sender: Sender | None = None) -> None:
    five = kind == "999"
    # Our 997 is the 004010 one whatever release it answers (a 005010 partner may ask for a 997); 999 is always X231A1.
    version = X231 if five else "004010"
    ours = sender.gs_id if sender else echo(g.receiver, 2, 15, fill="X", d=d)
    w.group("FA", ours, echo(g.sender, 2, 15, fill="X", d=d), numbers.take("group"), version)
    w.transaction(kind, numbers.take("transaction"), X231 if five else None)
    fic, ctrl = echo(g.functional_id, 2, 2, fill="X", d=d), echo(g.control_number, 1, 9, digits=True)
    if five:
        w.segment("AK1", fic, ctrl, echo(g.version, 1, 12, fill="0", d=d))
    else:
        w.segment("AK1", fic, ctrl)
    refused = any(f.code == "gs.not_our_id" for f in g.findings)
    for t in [] if refused else g.transactions:
        _transaction(w, t, five, d)
    codes = _unique(CODES[f.code].ack_code(kind) for f in g.findings if f.severity == "error")[:5]
    included = g.stated if g.stated is not None and g.stated <= MAX_COUNT else g.received
    accepted = 0 if refused else g.accepted
    w.segment("AK9", g.ack_code, *(str(min(n, MAX_COUNT)) for n in (included, g.received, accepted)), *codes)
    w.end_transaction()
    w.end_group()


def _transaction(w: EnvelopeWriter, t: TransactionResult, five: bool, d: Delimiters) -> None:
    kind = "999" if five else "997"
    if not t.findings and _PLAIN.fullmatch(t.set_id) and _PLAIN.fullmatch(t.control_number) and not (five and t.convention):
        # The common case, written without the general machinery: AK2 and an accepting AK5/IK5.
        w.plain("AK2", t.set_id, t.control_number)
        w.plain("IK5" if five else "AK5", "A")
        return
    set_id, ctrl = echo(t.set_id, 3, 3, fill="0", d=d), echo(t.control_number, 4, 9, fill="0", d=d)
    if five:
        w.segment("AK2", set_id, ctrl, echo(t.convention, 0, 35, d=d) or None)
    else:
        w.segment("AK2", set_id, ctrl)
    by_position: dict[tuple[int, str], list[Finding]] = {}
    for f in t.findings:
        if f.level in ("segment", "element"):
            key = (f.position.set_position or 0, f.segment or "")
            by_position.setdefault(key, []).append(f)
    seg_tag, ele_tag = ("IK3", "IK4") if five else ("AK3", "AK4")
    listed = sorted((key, found) for key, found in by_position.items() if key[0] <= MAX_COUNT)[:MAX_SEGMENT_ERRORS]
    for (position, seg_id), findings in listed:
        seg_id = seg_id if seg_id and seg_id.isascii() and seg_id.isalnum() and 2 <= len(seg_id) <= 3 else "UNK"
        loop = ""
        elements = [f for f in findings if f.level == "element"]
        written: set[str] = {"8"} if elements else set()
        for f in findings:
            if f.level == "segment":
                code = CODES[f.code].ack_code(kind)
                if code in written:
                    continue
                written.add(code)
                w.segment(seg_tag, seg_id, str(max(position, 1)), loop or None, code)
        if elements:
            w.segment(seg_tag, seg_id, str(max(position, 1)), loop or None, "8")
            # AK401/IK401 positions are N0 1/2 (element, component) and N0 1/4 (repetition): what is beyond is not said
            fits = [f for f in elements if (f.position.element or 1) <= 99 and (f.position.component or 0) <= 99
                    and (f.position.repetition or 0) <= 9999]
            for f in fits[:99]:
                pos = f.position
                where = [str(pos.element or 1)]
                if pos.component or pos.repetition:
                    where.append(str(pos.component) if pos.component else "")
                if five and pos.repetition:
                    where.append(str(pos.repetition))
                bad = echo(f.value, 0, 99, d=d) or None
                ref = f.data_element if f.data_element and f.data_element.isdigit() and len(f.data_element) <= 4 else None  # N0 1/4: not a composite's C040
                w.segment(ele_tag, where, ref, CODES[f.code].ack_code(kind), bad)
    status = t.status
    code = {ACCEPTED: "A", ACCEPTED_WITH_ERRORS: "E"}.get(status, "R")
    noted = "error" if status == "rejected" else "warning"
    codes = _unique(CODES[f.code].ack_code(kind) for f in t.findings if f.level == "transaction" and f.severity == noted)
    if status == "rejected" and not codes:
        codes = ["5"]
    w.segment("IK5" if five else "AK5", code, *codes[:5])


def _unique(codes: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for c in codes:
        if c and c not in out:
            out.append(c)
    return out
