"""Property: generated canonical documents survive canonical -> X12 -> canonical with the default specs.

For each transaction set and version with both an ``-out`` and an ``-in`` spec, hypothesis builds
documents from the parts those specs carry: codes are drawn from the spec tables where the outbound
code reads back as the same canonical value, texts and numbers stay within the X12 element sizes,
and decimals are written the way the inbound specs normalise them ("12.5", not "12.50"). The
document is rendered, wrapped in an envelope, validated and translated back; it must come back
without issues and equal to what was sent, except the fields tests/round_trip.py excuses.
"""

from __future__ import annotations

import decimal
from datetime import date
from pathlib import Path

import pytest
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from round_trip import differences, prepare
from x12_envelope import envelope

from gateway.canonical import validate_document
from gateway.translate import Translator, render_text

MAPPINGS = ROOT / "mappings"
TRANSLATOR = Translator([MAPPINGS])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VERSIONS = ("004010", "005010")


def tables(set_id: str, version: str) -> tuple[dict, dict]:
    out = TRANSLATOR.mappings.get(f"default/{set_id}-{version}-out").tables
    inbound = TRANSLATOR.mappings.get(f"default/{set_id}-{version}-in").tables
    return out, inbound


def codes(set_id: str, version: str, table: str) -> st.SearchStrategy[tuple[str, str]]:
    """(canonical value, X12 code) pairs of ``table`` that read back as the same value."""
    out, inbound = tables(set_id, version)
    pairs = sorted((k, v) for k, v in out[table].items() if k != "*" and inbound.get(table, {}).get(v) == k)
    assert pairs, f"{set_id}-{version}: no invertible code in table {table}"
    return st.sampled_from(pairs)


def text(max_size: int) -> st.SearchStrategy[str]:
    # X12 basic characters without delimiters; no leading or trailing space (trimmed on the way back)
    return st.from_regex(rf"[A-Z0-9][A-Z0-9 .,&-]{{0,{max_size - 2}}}[A-Z0-9]", fullmatch=True).filter(lambda s: "  " not in s)


def ident(max_size: int) -> st.SearchStrategy[str]:
    # two characters at least: the smallest minimum length of the ID elements these land in (N104)
    return st.from_regex(rf"[A-Z0-9][A-Z0-9-]{{0,{max_size - 2}}}[A-Z0-9]", fullmatch=True)


def number(max_int: int = 99999, places: int = 2, minimum: str = "0.01") -> st.SearchStrategy[str]:
    return st.decimals(min_value=decimal.Decimal(minimum), max_value=max_int, places=places, allow_nan=False,
                       allow_infinity=False).map(_canonical_decimal)


def _canonical_decimal(d: decimal.Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)).map(date.isoformat)
UNITS = st.sampled_from(["EA", "CA", "BX", "DZ", "LB"])
REF_QUALIFIERS = st.sampled_from(["CT", "CO", "IL"])  # not the ones mapped to fields of their own (DP, IA, VN, ...)


def quantity() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"value": number(999999), "unit": UNITS})


def dates(set_id: str, version: str, max_size: int = 3) -> st.SearchStrategy[list]:
    item = st.tuples(codes(set_id, version, "date_type"), DATES).map(lambda t: {"type": t[0][0], "qualifier": t[0][1], "date": t[1]})
    return st.lists(item, max_size=max_size, unique_by=lambda d: d["type"])


def references(max_size: int = 2) -> st.SearchStrategy[list]:
    item = st.fixed_dictionaries({"qualifier": REF_QUALIFIERS, "value": ident(30)})
    return st.lists(item, max_size=max_size, unique_by=lambda r: r["qualifier"])


def identifiers(set_id: str, version: str, min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[list]:
    item = st.tuples(codes(set_id, version, "product_id_type"), ident(20)).map(
        lambda t: {"type": t[0][0], "qualifier": t[0][1], "value": t[1]})
    return st.lists(item, min_size=min_size, max_size=max_size, unique_by=lambda i: i["type"])


def parties(set_id: str, version: str, max_size: int = 3) -> st.SearchStrategy[list]:
    party_id = st.tuples(codes(set_id, version, "party_id_type"), ident(20)).map(
        lambda t: {"type": t[0][0], "qualifier": t[0][1], "value": t[1]})
    address = st.fixed_dictionaries({
        "lines": st.lists(text(35), min_size=1, max_size=2),
        "city": text(25),
        "state": st.sampled_from(["TN", "CA", "NY", "TX", "IL", "WA", "DC", "PR"]),  # codes of element 156 (US states)
        "postal_code": st.from_regex(r"[0-9]{5}", fullmatch=True),
        "country": st.just("US"),
    })
    party = st.tuples(codes(set_id, version, "party_role"), text(35), st.lists(party_id, max_size=1), st.none() | address, contacts()).map(
        lambda t: {"role": t[0][0], "name": t[1], **({"ids": t[2]} if t[2] else {}), **({"address": t[3]} if t[3] else {}),
                   **({"contacts": t[4]} if t[4] else {})})
    return st.lists(party, max_size=max_size, unique_by=lambda p: p["role"])


def contacts() -> st.SearchStrategy[list]:
    contact = _optional(role=st.sampled_from(["IC", "BD"]), name=text(35), phone=st.none() | st.from_regex(r"[0-9]{10}", fullmatch=True),
                        email=st.none() | st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True))
    return st.lists(contact, max_size=1)


def allowances(set_id: str, version: str) -> st.SearchStrategy[list]:
    item = st.tuples(codes(set_id, version, "sac_indicator"), st.sampled_from(["C310", "D240"]), number(99999), st.none() | text(40)).map(
        lambda t: {"indicator": t[0][0], "code": t[1], "amount": t[2], **({"description": t[3]} if t[3] else {})})
    return st.lists(item, max_size=2)


def _optional(**parts) -> st.SearchStrategy[dict]:
    """A dict holding each part's value when it is not None or empty."""
    return st.fixed_dictionaries(parts).map(lambda d: {k: v for k, v in d.items() if v not in (None, [], {})})


TERMS = st.fixed_dictionaries({"type": st.just("01"), "basis_date": st.just("3"), "discount_percent": number(9, places=1, minimum="0.5"),
                               "discount_days": st.integers(1, 60), "net_days": st.integers(1, 120)})
CARRIER = _optional(scac=st.from_regex(r"[A-Z]{4}", fullmatch=True), mode=st.sampled_from(["M", "A", "U"]), name=st.none() | text(30))


def _lines(make) -> st.SearchStrategy[list]:
    return st.integers(1, 5).flatmap(lambda n: st.tuples(*(make(i + 1) for i in range(n)))).map(list)


def purchase_order(version: str) -> st.SearchStrategy[dict]:
    def line(n: int):
        return _optional(line_number=st.just(str(n)), quantity=quantity(), unit_price=st.fixed_dictionaries({"amount": number(9999)}),
                         identifiers=identifiers("850", version), description=st.none() | text(40))

    head = _optional(po_number=ident(22), order_date=DATES, purpose=codes("850", version, "purpose").map(lambda c: c[0]),
                     order_type=codes("850", version, "order_type").map(lambda c: c[0]), currency=st.sampled_from(["USD", "CAD"]),
                     department=st.none() | ident(10), vendor_number=st.none() | ident(10), dates=dates("850", version),
                     parties=parties("850", version), references=references(), lines=_lines(line),
                     allowances_charges=allowances("850", version), terms=st.none() | TERMS, carrier=st.none() | CARRIER,
                     notes=st.lists(text(60), max_size=2))
    return head.map(_with_totals)


def acknowledgment(version: str) -> st.SearchStrategy[dict]:
    def status():
        return st.tuples(codes("855", version, "line_status"), quantity(), st.none() | DATES).map(
            lambda t: {"status": t[0][0], "code": t[0][1], "quantity": t[1], **({"date": t[2]} if t[2] else {})})

    def line(n: int):
        return _optional(line_number=st.just(str(n)), quantity=quantity(), unit_price=st.fixed_dictionaries({"amount": number(9999)}),
                         identifiers=identifiers("855", version), description=st.none() | text(40),
                         statuses=st.lists(status(), max_size=2))  # no ACK loop: the standard allows it

    head = _optional(po_number=ident(22), po_date=DATES, ack_date=st.none() | DATES, ack_type=codes("855", version, "ack_type").map(lambda c: c[0]),
                     purpose=codes("855", version, "purpose").map(lambda c: c[0]), acknowledgment_number=st.none() | ident(20),
                     currency=st.sampled_from(["USD", "CAD"]), dates=dates("855", version), parties=parties("855", version),
                     references=references(), lines=_lines(line))
    return head.map(lambda d: {**d, "line_count": len(d["lines"])})


def invoice(version: str) -> st.SearchStrategy[dict]:
    def line(n: int):
        return _optional(line_number=st.just(str(n)), quantity=quantity(), unit_price=st.fixed_dictionaries({"amount": number(9999)}),
                         identifiers=identifiers("810", version), description=st.none() | text(40))

    head = _optional(invoice_number=ident(22), invoice_date=DATES, po_number=st.none() | ident(22), po_date=st.none() | DATES,
                     purpose=codes("810", version, "purpose").map(lambda c: c[0]), currency=st.sampled_from(["USD", "CAD"]),
                     dates=dates("810", version), parties=parties("810", version), references=references(), lines=_lines(line),
                     total_amount=number(9999999), allowances_charges=allowances("810", version), terms=st.none() | TERMS,
                     carrier=st.none() | CARRIER)
    return head.map(lambda d: {**d, "line_count": len(d["lines"])})


def ship_notice(version: str) -> st.SearchStrategy[dict]:
    def item(n: int):
        return _optional(line_number=st.just(str(n)), quantity=quantity(), identifiers=identifiers("856", version))

    sscc = st.from_regex(r"[0-9]{18}", fullmatch=True)  # canonical: the SSCC-18 (MAN*GM adds the 00 application identifier)
    pack = _optional(level=st.just("pack"), sscc=sscc, items=_lines(item))
    order = _optional(po_number=ident(22), po_date=st.none() | DATES, packs=st.lists(pack, min_size=1, max_size=3))
    head = _optional(shipment_id=ident(30), ship_date=DATES, ship_time=st.from_regex(r"([01][0-9]|2[0-3]):[0-5][0-9]", fullmatch=True),
                     purpose=codes("856", version, "purpose").map(lambda c: c[0]), parties=parties("856", version),
                     orders=st.lists(order, min_size=1, max_size=3, unique_by=lambda o: o["po_number"]))
    # BSN05 is written as 0001 (shipment, order, packaging, item) when absent: give it, as the ERP would
    return head.map(lambda d: {**d, "structure": "0001"})


def _with_totals(doc: dict) -> dict:
    # CTT01 and CTT02 are written from the lines and read back into line_count and total_quantity
    total = sum(decimal.Decimal(line["quantity"]["value"]) for line in doc["lines"])
    return {**doc, "line_count": len(doc["lines"]), "total_quantity": _canonical_decimal(total)}


DOCUMENTS = {"850": ("purchase_order", purchase_order), "855": ("purchase_order_acknowledgment", acknowledgment),
             "856": ("ship_notice", ship_notice), "810": ("invoice", invoice)}
CASES = [(s, v) for s in DOCUMENTS for v in VERSIONS]


def round_trip(set_id: str, version: str, sent: dict, tmp: Path) -> list[str]:
    out_spec, in_spec = f"default/{set_id}-{version}-out", f"default/{set_id}-{version}-in"
    segments, issues = TRANSLATOR.render_set(out_spec, sent)
    assert not [i for i in issues if i.severity == "error"], [i.to_dict() for i in issues]
    path = tmp / f"{set_id}-{version}.x12"
    path.write_text(envelope(render_text(segments), set_id, version), encoding="latin-1")
    result = TRANSLATOR.translate(path, spec=in_spec, anonymous=True)
    assert len(result.documents) == 1, result.notes
    back = result.documents[0]
    assert back.ok and not back.issues, ([i.to_dict() for i in back.issues], render_text(segments))
    return differences(prepare(sent, set_id, defaults=True), prepare(back.document, set_id, defaults=False))


@pytest.mark.parametrize("set_id, version", CASES, ids=[f"{s}-{v}" for s, v in CASES])
def test_generated_documents_survive_the_round_trip(set_id: str, version: str, tmp_path: Path):
    kind, strategy = DOCUMENTS[set_id]

    @SETTINGS
    @given(strategy(version))
    def check(body: dict):
        sent = {"schema_version": "1.0", "document_type": kind, **body}
        assert not validate_document(sent), [i.message for i in validate_document(sent)]  # the generator makes valid documents
        found = round_trip(set_id, version, sent, tmp_path)
        assert not found, "\n".join(found)

    check()
