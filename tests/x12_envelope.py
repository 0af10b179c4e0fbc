"""Outbound mapping output in a real envelope: what the golden mapping tests validate and read back.

``envelope(text, set_id, version)`` wraps a transaction set (ST..SE, as an outbound fixture's
``.expected.x12`` holds it: delimiters ``* : ~`` and a newline) in ISA/GS/GE/IEA written by
``EnvelopeWriter``, which also writes ST and SE itself: the ST..SE it writes must be the given text
exactly, so the golden file's own ST/SE (control number, segment count) are checked too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.formats.x12 import Delimiters, EnvelopeWriter, Validator

FUNCTIONAL_ID = {"850": "PO", "855": "PR", "856": "SH", "810": "IN"}
NOW = datetime(2024, 4, 1, 9, 30, tzinfo=UTC)


def envelope(st_to_se: str, set_id: str, version: str) -> str:
    """The interchange around ``st_to_se``; raises AssertionError when the writer's ST..SE differs from it."""
    five = version >= "005010"
    d = Delimiters("*", ":", "~", "^" if five else None, "\n")
    lines = st_to_se.splitlines()
    assert lines and all(line.endswith("~") for line in lines), "one segment a line, each ending with ~"
    segments = [line[:-1].split("*") for line in lines]
    assert segments[0][0] == "ST" and segments[-1][0] == "SE", "a transaction set runs from ST to SE"
    w = EnvelopeWriter(d, now=NOW)
    w.interchange(("ZZ", "WIDGETCO"), ("ZZ", "ACMERETAIL"), 1001, version="00501" if five else "00401")
    w.group(FUNCTIONAL_ID[set_id], "WIDGETCO", "ACMERETAIL", 1001, version)
    w.transaction(set_id, segments[0][2], version if five else None)
    for seg in segments[1:-1]:
        w.plain(seg[0], *seg[1:])  # values as rendered: composites keep their ':' separators
    w.end_transaction()
    w.end_group()
    w.end_interchange()
    text = w.text()
    written = text[text.index("\nST*") + 1 : text.index("\nGE*") + 1]  # segments start lines: "GE*" may be data
    assert written == st_to_se, f"the envelope writer's ST..SE differs from the rendered set:\n{written}\n---\n{st_to_se}"
    return text


def findings(interchange: str) -> list[str]:
    """Every finding the validator reports for an interchange, and any set it does not accept."""
    report = Validator().validate(interchange.encode("latin-1"), name="outbound")
    out = [f"envelope {f.code}: {f.message}" for _, _, f in report.envelope_findings()]
    for t in report.transactions():
        out += [f"{t.set_id} {f.code}: {f.message}" for f in t.findings]
        if t.status != "accepted":
            out.append(f"{t.set_id} {t.control_number}: {t.status}")
    if not report.transactions():
        out.append("no transaction set found")
    return out
