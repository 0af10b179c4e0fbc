"""Our identity and partners' identities follow the X12 envelope's rules: what the model accepts, our validator and
writer accept in an interchange; what they would refuse on every file, the model refuses."""

from __future__ import annotations

import pytest

from gateway.config.identifiers import INTERCHANGE_ID_QUALIFIERS
from gateway.config.partner import Identity, OurIdentity
from gateway.config.settings import OwnIdentity
from gateway.formats.x12 import AckNumbers, EnvelopeWriter, Validator, acknowledge_report
from gateway.formats.x12.envelope import ISA_CODES

ACCEPTED = ["A", "OURCO", "123456789", "ACME-RETAIL", "ACME.COM", "ACME_CO", "A/B", "AT&T", "ACME (US) #1", "sales@acme", "ACME RETAIL"]
REFUSED_ISA = ["abc*def", "A~B", "A|B", "A^B", "A:B", "A>B", "A<B", "A!B", "A+B", "A'B", "A,B", "A\\B", " ACME", "ACME ", "",
               "SIXTEEN-CHARS-ID", "ÄCME", "A\tB"]


def test_the_qualifiers_are_the_ones_the_envelope_validator_accepts():
    assert set(INTERCHANGE_ID_QUALIFIERS) == ISA_CODES[5] == ISA_CODES[7]


@pytest.mark.parametrize("model", [OwnIdentity, OurIdentity, Identity])
def test_a_qualifier_outside_the_i05_list_is_refused_in_gateway_yaml_and_profiles(model):
    assert model.problems({"isa_qualifier": "ZZ", "isa_id": "ACME"}) == []
    [problem] = model.problems({"isa_qualifier": "QQ", "isa_id": "ACME"})
    assert problem.endswith("isa_qualifier: 'QQ' is not an interchange ID qualifier (X12 element I05: 01-04, 07-20, 27-36, AM, NR, SA, SN, ZZ)")


@pytest.mark.parametrize("value", REFUSED_ISA)
@pytest.mark.parametrize("model", [OwnIdentity, OurIdentity, Identity])
def test_an_isa_id_with_a_delimiter_or_padding_is_refused(model, value):
    [problem] = model.problems({"isa_qualifier": "ZZ", "isa_id": value})
    assert f"isa_id: {value!r} is not an ISA ID: 1-15 letters, digits" in problem


@pytest.mark.parametrize("value", ["abc*def", "A", "A:B", "ACME~"])
def test_a_gs_id_with_a_delimiter_or_of_one_character_is_refused_ours_and_partners(value):
    for model, data in ((OwnIdentity, {"isa_qualifier": "ZZ", "isa_id": "ACME", "gs_ids": [value]}),
                        (Identity, {"isa_qualifier": "ZZ", "isa_id": "ACME", "gs_ids": ["OK", value]}),
                        (OurIdentity, {"isa_qualifier": "ZZ", "isa_id": "ACME", "gs_id": value})):
        [problem] = model.problems(data)
        assert f"{value!r} is not a GS ID: 2-15 letters, digits" in problem


@pytest.mark.parametrize("ident", ACCEPTED)
def test_an_accepted_id_is_written_and_validated_as_the_receiver_and_as_our_acknowledgements_sender(ident):
    assert OwnIdentity.problems({"isa_qualifier": "ZZ", "isa_id": ident, "gs_ids": [ident] if len(ident) > 1 else ["GS"]}) == []
    gs = ident if len(ident) > 1 else "GS"
    w = EnvelopeWriter(now=AckNumbers().now)
    w.interchange(("ZZ", "PARTNER"), ("ZZ", ident), 1)
    w.group("PO", "PARTNER", gs, 1, "004010")
    w.transaction("850", 1)
    w.segment("BEG", "00", "SA", "PO1", None, "20240101")
    w.segment("PO1", "1", "1", "EA", "1.00", None, "VN", "X")
    w.segment("CTT", "1")
    w.end_transaction()
    w.end_group()
    w.end_interchange()
    report = Validator().validate(w.text().encode("latin-1"))
    [ix] = report.interchanges
    assert [f.code for f in ix.findings] == [] and ix.receiver_id.strip() == ident and report.ok, report.to_dict()
    ours = type("Us", (), {"isa_qualifier": "ZZ", "isa_id": ident, "gs_id": gs})()
    ack = acknowledge_report(report, AckNumbers(), sender=ours)
    assert Validator().validate(ack.encode("latin-1")).ok
