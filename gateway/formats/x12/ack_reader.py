"""Reading a partner's 997/999 into the canonical FunctionalAck.

Acknowledgements are the protocol's own messages, like the ones ``acks.py`` writes, so the
engine reads them itself instead of through a mapping spec: AK1 (the group acknowledged),
AK2 + AK5/IK5 per transaction set with the AK3/IK3 segment and AK4/IK4 element errors
(positions and codes as sent), AK9 for the group.
"""

from __future__ import annotations

from .delimiters import Delimiters

STATUS = {"A": "accepted", "E": "accepted_with_errors", "P": "partially_accepted", "R": "rejected", "M": "rejected", "W": "rejected",
          "X": "rejected"}
ACK_SETS = ("997", "999")


def read_functional_ack(set_id: str, segments: list[str], d: Delimiters) -> dict:
    """The canonical ``functional_ack`` document of one 997/999 (``segments``: ST..SE, terminators removed)."""
    doc: dict = {"schema_version": "1.0", "document_type": "functional_ack", "ack_set": set_id}
    transactions: list[dict] = []
    current: dict | None = None
    segment_error: dict | None = None
    for text in segments:
        el = text.split(d.element)
        tag = el[0]

        def at(n: int) -> str | None:
            return el[n] if len(el) > n and el[n] != "" else None

        if tag == "AK1":
            doc["functional_id"] = at(1) or ""
            doc["group_control"] = at(2) or ""
            if at(3):
                doc["version"] = at(3)
        elif tag == "AK2":
            current = {"set_id": at(1) or "", "control_number": at(2) or "", "status": "other"}
            transactions.append(current)
            segment_error = None
        elif tag in ("AK3", "IK3") and current is not None:
            segment_error = {"level": "segment", "code": at(4) or "", "segment": at(1), "position": _int(at(2))}
            current.setdefault("errors", []).append(_drop_none(segment_error))
        elif tag in ("AK4", "IK4") and current is not None:
            position = (at(1) or "").split(d.component) if d.component else [at(1) or ""]
            error = {"level": "element", "code": at(3) or "", "segment": segment_error.get("segment") if segment_error else None,
                     "position": segment_error.get("position") if segment_error else None, "element": _int(position[0]),
                     "component": _int(position[1]) if len(position) > 1 else None, "data_element": at(2), "value": at(4)}
            current.setdefault("errors", []).append(_drop_none(error))
        elif tag in ("AK5", "IK5") and current is not None:
            current["status"] = STATUS.get(at(1) or "", "other")
            codes = [c for c in el[2:7] if c]
            if codes:
                current["codes"] = codes
        elif tag == "AK9":
            doc["status"] = STATUS.get(at(1) or "", "other")
            for key, n in (("included", 2), ("received", 3), ("accepted", 4)):
                if _int(at(n)) is not None:
                    doc[key] = _int(at(n))
            codes = [c for c in el[5:10] if c]
            if codes:
                doc["codes"] = codes
    doc.setdefault("functional_id", "")
    doc.setdefault("group_control", "")
    doc.setdefault("status", "other")
    if transactions:
        doc["transactions"] = transactions
    return doc


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}
