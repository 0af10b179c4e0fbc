"""Round trips canonical -> X12 -> canonical: what may differ (``EXCUSED``) and how documents are compared."""

from __future__ import annotations

import json

# Fields one direction cannot carry, per transaction set ("*": every set). A path is dotted; "[]" means
# every item of a list. They are removed from both documents before comparing.
EXCUSED: dict[str, dict[str, str]] = {
    "*": {
        "correlation": "envelope and source keys the gateway stamps on inbound documents; outbound writes ST..SE only",
    },
    "850": {
        "lines[].pack_size": "PO402 needs a unit of measure (PO403) the canonical line does not have, so it is not written",
        "lines[].unit_price.currency": "one currency per order (CUR*BY); no line-level CUR is written",
        "total_amount.currency": "AMT*TT carries the amount only; the order currency is CUR*BY",
        "lines[].parties[].contacts": "line-level N1 loops are written without PER",
        "carrier.service": "no TD5 element is mapped to a service level",
    },
    "855": {
        "lines[].unit_price.currency": "one currency per acknowledgment (CUR*SE); no line-level CUR is written",
    },
    "856": {
        "orders[].packs[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "orders[].packs[].packs[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "orders[].items[].lots[].quantity": "REF*LT carries the lot number only",
        "carrier.service": "no TD5 element is mapped to a service level",
    },
    "810": {
        "lines[].amount": "IT1 has no extended amount",
        "lines[].unit_price.currency": "one currency per invoice (CUR*SE); no line-level CUR is written",
        "carrier.service": "the summary CAD carries mode, SCAC and routing only",
    },
}

# Canonical model defaults: a field the input leaves out reads back with this value.
DEFAULTS: dict[str, dict[str, object]] = {
    "*": {"purpose": "original", "schema_version": "1.0"},
    "856": {
        "orders[].packs[].level": "pack",  # a pack without a level is written as a carton (HL*P)
        "orders[].packs[].packs[].level": "pack",
    },
}



def walk(doc: object, path: str):
    """(container, key) for every place ``path`` names in ``doc``."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(doc, dict) or key not in doc:
        return
    if not rest:
        if many:
            raise ValueError(f"{path}: a path ends with a field, not a list")
        yield doc, key
        return
    values = doc[key] if many else [doc[key]]
    for value in values if isinstance(values, list) else []:
        yield from walk(value, rest)


def containers(doc: object, path: str):
    """Every object holding the last field of ``path`` (present or not)."""
    parent, _, field = path.rpartition(".")
    if not parent:
        return [doc]
    out: list = []
    head, _, rest = parent.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if isinstance(doc, dict) and key in doc:
        values = doc[key] if many else [doc[key]]
        for value in values if isinstance(values, list) else []:
            out += containers(value, f"{rest}.{field}" if rest else field)
    return out


def prepare(doc: dict, set_id: str, *, defaults: bool) -> dict:
    doc = json.loads(json.dumps(doc))
    if defaults:
        for scope in ("*", set_id):
            for path, value in DEFAULTS.get(scope, {}).items():
                field = path.rpartition(".")[2]
                for holder in containers(doc, path):
                    if isinstance(holder, dict):
                        holder.setdefault(field, value)
    for scope in ("*", set_id):
        for path in EXCUSED.get(scope, {}):
            for holder, key in list(walk(doc, path)):
                holder.pop(key, None)
    return doc


def differences(sent: object, read: object, at: str = "") -> list[str]:
    if isinstance(sent, dict) and isinstance(read, dict):
        out = []
        for key in sorted(set(sent) | set(read)):
            out += differences(sent.get(key), read.get(key), f"{at}.{key}" if at else key)
        return out
    if isinstance(sent, list) and isinstance(read, list) and len(sent) == len(read):
        return [d for n, (a, b) in enumerate(zip(sent, read)) for d in differences(a, b, f"{at}[{n}]")]
    return [] if sent == read else [f"{at}: sent {json.dumps(sent)}, read back {json.dumps(read)}"]
