"""Standard code lists: every ID element of the bundled specs checks its codes, partners may restrict, extend or relax.

Cases are named after the failure they provoke: a made-up code in an element with a standard list, a partner
code beyond the list, an unrecognised segment ID, a 005010 997 from a partner.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, SAMPLES

from gateway.errors import ConfigError, SpecError
from gateway.formats.x12 import AckNumbers, Overlay, Validator, acknowledge_report
from gateway.formats.x12.elements import Charset, check_value, codes_for
from gateway.formats.x12.maps import SpecLibrary
from gateway.formats.x12.model import CompositeDef, ElementDef

SPECS = ROOT / "gateway" / "formats" / "x12" / "specs"
LIBRARY = SpecLibrary()
SETS = {"004010": ("850", "855", "856", "810", "997"), "005010": ("850", "855", "856", "810", "997", "999")}

# ID elements deliberately left open, with the reason in specs/README.md: external lists without a public
# closed source, lists no public reference gave completely, and echoes of what a partner sent.
OPEN = {
    "004010": {"116", "140", "168", "227", "721", "819", "1000"},
    "005010": {"24", "46", "59", "116", "140", "168", "215", "218", "222", "230", "254", "597", "661", "721", "806",
               "807", "819", "1000", "1096", "1715"},
}
ECHOES = {"AK101", "AK201"}  # an acknowledgement echoes GS01/ST01 as received


def id_elements(version: str):
    """(set, element) for every ID element use in the version's transaction specs."""
    for set_id in SETS[version]:
        spec = LIBRARY.find("", version, "", set_id)
        for node in spec.st_loop.walk():
            for e in getattr(node, "elements", ()):
                for sub in e.components if isinstance(e, CompositeDef) else [e]:
                    if sub.data_ele.type == "ID":
                        yield spec, sub


def lists(version: str) -> list[tuple[str, str, frozenset[str]]]:
    """One case per element number with a list: (element, a reference using it, its codes)."""
    seen: dict[str, tuple[str, frozenset[str]]] = {}
    for spec, e in id_elements(version):
        codes = codes_for(e, spec.code_sets)
        if codes is not None and e.data_ele.num not in seen:
            seen[e.data_ele.num] = (e.ref, codes)
    return [(num, ref, codes) for num, (ref, codes) in sorted(seen.items(), key=lambda kv: (len(kv[0]), kv[0]))]


@pytest.mark.parametrize("version", sorted(SETS))
def test_every_id_element_has_a_code_list_or_is_documented_open(version):
    unchecked = {(e.data_ele.num, e.ref) for _, e in id_elements(version) if codes_for(e, _.code_sets) is None}
    assert {num for num, ref in unchecked if ref not in ECHOES} == OPEN[version]
    readme = (SPECS / "README.md").read_text(encoding="utf-8")
    for num in OPEN[version]:
        assert f"| {num} |" in readme, f"element {num} is open but specs/README.md does not say why"


def _element_cases():
    for version in sorted(SETS):
        for num, ref, codes in lists(version):
            yield pytest.param(version, num, ref, codes, id=f"{version}-{num}-{ref}")


@pytest.mark.parametrize("version, num, ref, codes", list(_element_cases()))
def test_made_up_code_is_rejected_known_codes_accepted(version, num, ref, codes):
    spec, e = next((s, e) for s, e in id_elements(version) if e.ref == ref)
    charset = Charset("extended", "00501" if version >= "005010" else "00401")
    known = sorted(codes)[:2] + sorted(codes)[-1:]
    for code in known:
        assert "element.invalid_code" not in [p[0] for p in check_value(e, code, charset, codes)], (num, code)
    made_up = next(c for c in ("QQ", "Q9", "9Q", "QQQ", "ZQ", "Q") if c not in codes)
    assert "element.invalid_code" in [p[0] for p in check_value(e, made_up, charset, codes)], (num, made_up)


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_code_sets_are_read_from_codes_xml_on_first_use():
    from gateway.formats.x12.maps import load_code_sets

    sets = load_code_sets(SPECS / "004010" / "codes.xml")
    assert "128" in sets and len(sets) == len(sets.pending) > 100  # every set known, none read yet
    assert {"DP", "IA", "VR"} <= sets.get("128") and "128" not in sets.pending
    assert sets.get("no such set") is None and "no such set" not in sets
    assert dict(sets.items()).keys() == set(sets) and not sets.pending


@pytest.mark.parametrize("old, new", [(b"REF*IA*", b"REF*0Q*"), (b"REF*DP*", b"REF*D*"), (b"REF*DP*", b"REF*DPZ*")],
                         ids=["made_up", "prefix_of_a_code", "code_plus_a_letter"])
def test_long_list_looked_up_after_the_match_rejects_near_misses(old, new):
    """Element 128 (REF01, some 1,500 codes) is not compiled into the pattern but looked up: still exact."""
    data = _sample("850-004010-retail-replenishment-order.x12")
    assert old in data
    status, findings = _set_errors(data.replace(old, new))
    assert status == "rejected" and ("element.invalid_code", "REF01", new[4:-1].decode()) in findings, findings


def _set_errors(data: bytes) -> list[tuple[str, str | None, str | None]]:
    report = Validator().validate(data)
    [t] = report.transactions()
    return t.status, [(f.code, f.element, f.value) for f in t.findings]


@pytest.mark.parametrize("sample, ik", [("850-004010-retail-replenishment-order.x12", "AK"),
                                        ("850-005010-retail-replenishment-order.x12", "IK")])
def test_purchase_order_type_xx_is_rejected_with_ak403_or_ik403_7(sample, ik):
    data = _sample(sample).replace(b"BEG*00*SA*", b"BEG*00*XX*")
    status, findings = _set_errors(data)
    assert status == "rejected"
    assert ("element.invalid_code", "BEG02", "XX") in findings
    ack = acknowledge_report(Validator().validate(data), AckNumbers())
    segments = [s.strip() for s in ack.split("~")]
    assert f"{ik}4*2*92*7*XX" in segments, ack  # 997: AK403 = 7; 999: IK403 = 7
    assert any(s.startswith(f"{ik}5*R") for s in segments), ack


# (element, a code X12 added to its list in release 00501, that code put in the 005010 sample, and in the 004010 sample)
ADDED_IN_00501 = [
    ("BEG01", "57", (b"BEG*00*", b"BEG*57*"), (b"BEG*00*", b"BEG*57*")),  # 353 Initial
    ("BEG02", "CB", (b"BEG*00*SA*", b"BEG*00*CB*"), (b"BEG*00*SA*", b"BEG*00*CB*")),  # 92 Cooperative Agreement
    ("REF01", "ABI", (b"REF*IA*", b"REF*ABI*"), (b"REF*IA*", b"REF*ABI*")),  # 128 Motor Fuel Certificate Number
    ("N101", "AA1", (b"N1*BT*", b"N1*AA1*"), (b"N1*BT*", b"N1*AA1*")),  # 98
    ("N103", "AF", (b"*92*0423", b"*AF*0423"), (b"*92*0042", b"*AF*0042")),  # 66
    ("DTM01", "747", (b"DTM*002*", b"DTM*747*"), (b"DTM*002*", b"DTM*747*")),  # 374
    ("PO103", "1T", (b"PO1*1*48*EA*", b"PO1*1*48*1T*"), (b"PO1*1*48*EA*", b"PO1*1*48*1T*")),  # 355
    ("PO106", "FH", (b"*UP*012345678905", b"*FH*012345678905"), (b"*UP*012345678905", b"*FH*012345678905")),  # 235
]


@pytest.mark.parametrize("ref, code, in_5010, in_4010", ADDED_IN_00501, ids=[case[0] for case in ADDED_IN_00501])
def test_code_added_to_the_list_in_005010_is_accepted_from_a_005010_partner_only(ref, code, in_5010, in_4010):
    data = _sample("850-005010-retail-replenishment-order.x12")
    assert in_5010[0] in data
    status, findings = _set_errors(data.replace(in_5010[0], in_5010[1], 1))
    assert status == "accepted", findings
    data = _sample("850-004010-retail-replenishment-order.x12")
    assert in_4010[0] in data
    status, findings = _set_errors(data.replace(in_4010[0], in_4010[1], 1))
    assert status == "rejected" and ("element.invalid_code", ref, code) in findings, findings


def test_entity_relationship_and_pallet_structure_codes_are_checked():
    """706 (N105) and 1699 (PAL17) were open for want of a list; release 00401/00501 give theirs."""
    data = _sample("850-005010-retail-replenishment-order.x12")
    for code, status in ((b"01", "accepted"), (b"QQ", "rejected")):
        got, findings = _set_errors(data.replace(b"N1*BT*ACME RETAIL INC*92*0001", b"N1*BT*ACME RETAIL INC*92*0001*" + code, 1))
        assert got == status, findings


@pytest.mark.parametrize("old, new, ref", [
    (b"N4*SPRINGFIELD*IL*", b"N4*SPRINGFIELD*QQ*", "N402"),  # element 156: US states and Canadian provinces
    (b"*62701*US", b"*62701*QQ", "N404"),  # element 26: ISO 3166
    (b"CUR*BY*USD", b"CUR*BY*QQQ", "CUR02"),  # element 100: ISO 4217
])
def test_external_list_rejects_made_up_country_state_currency(old, new, ref):
    data = _sample("850-004010-retail-replenishment-order.x12")
    assert old in data
    status, findings = _set_errors(data.replace(old, new))
    assert status == "rejected" and any(code == "element.invalid_code" and el == ref for code, el, _ in findings), findings


def test_external_lists_accept_real_codes():
    data = _sample("850-004010-retail-replenishment-order.x12")
    for old, new in ((b"N4*SPRINGFIELD*IL*", b"N4*MONTREAL*QC*"), (b"*62701*US", b"*62701*CAN"), (b"CUR*BY*USD", b"CUR*BY*EUR")):
        status, findings = _set_errors(data.replace(old, new))
        assert status == "accepted", findings


# -- partner overlays --------------------------------------------------------------------------------


def test_overlay_restricts_a_standard_list():
    data = _sample("850-004010-retail-replenishment-order.x12").replace(b"BEG*00*SA*", b"BEG*00*NE*")
    assert _set_errors(data)[0] == "accepted"
    report = Validator(overlay=Overlay(codes={"BEG02": ["SA"]})).validate(data)
    [t] = report.transactions()
    assert t.status == "rejected" and [f.element for f in t.findings if f.code == "element.invalid_code"] == ["BEG02"]


def test_overlay_restriction_to_a_code_outside_the_standard_is_an_error():
    spec = LIBRARY.find("00401", "004010", "PO", "850")
    with pytest.raises(SpecError, match=r"BEG02 code XX is not in the standard list of element 92; use add"):
        Overlay(codes={"BEG02": ["SA", "XX"]}, name="partner acme")(spec)


def test_overlay_extends_a_standard_list_with_a_partner_code():
    data = _sample("850-004010-retail-replenishment-order.x12").replace(b"BEG*00*SA*", b"BEG*00*XX*")
    report = Validator(overlay=Overlay(add_codes={"BEG02": ["XX"]})).validate(data)
    assert report.ok
    # the standard codes stay valid
    report = Validator(overlay=Overlay(add_codes={"BEG02": ["XX"]})).validate(_sample("850-004010-retail-replenishment-order.x12"))
    assert report.ok


def test_overlay_cannot_extend_an_element_without_a_list():
    spec = LIBRARY.find("00401", "004010", "PO", "850")
    with pytest.raises(SpecError, match="N403 has no code list to add to"):
        Overlay(add_codes={"N403": ["X"]})(spec)


def test_overlay_relaxes_the_list_for_a_partner_sending_its_own_codes():
    data = _sample("850-004010-retail-replenishment-order.x12").replace(b"N4*SPRINGFIELD*IL*", b"N4*JUAREZ*CH*")
    assert _set_errors(data)[0] == "rejected"
    assert Validator(overlay=Overlay(relax_codes=["N402"])).validate(data).ok


def test_overlay_extension_keeps_the_library_spec_untouched():
    spec = LIBRARY.find("00401", "004010", "PO", "850")
    changed = Overlay(add_codes={"BEG02": ["XX"]}, relax_codes=["N402"])(spec)
    beg02 = changed.st_loop.segment("BEG").elements[1]
    assert isinstance(beg02, ElementDef) and "XX" in codes_for(beg02, changed.code_sets)
    assert "XX" not in codes_for(spec.st_loop.segment("BEG").elements[1], spec.code_sets)
    assert changed.code_sets is spec.code_sets  # shared, not copied per partner


# -- segments and the 005010 997 ------------------------------------------------------------------------


def test_segment_id_no_x12_release_defines_gets_ak304_1():
    data = _sample("850-004010-retail-replenishment-order.x12").replace(b"CUR*BY*USD~", b"CUR*BY*USD~ZZZ*1~")
    report = Validator().validate(data)
    [t] = report.transactions()
    assert [f.code for f in t.findings if f.segment == "ZZZ"] == ["segment.unrecognized"]
    ack = acknowledge_report(report, AckNumbers())
    assert any(s.startswith("AK3*ZZZ*") and s.endswith("*1") for s in (x.strip() for x in ack.split("~"))), ack


def test_known_segment_outside_the_set_gets_ak304_6():
    data = _sample("850-004010-retail-replenishment-order.x12").replace(b"CUR*BY*USD~", b"CUR*BY*USD~G62*10*20240320~")
    [t] = Validator().validate(data).transactions()
    assert [f.code for f in t.findings if f.segment == "G62"] == ["segment.not_in_set"]


def test_partner_005010_997_is_validated_and_read_into_a_functional_ack():
    from gateway.translate import Translator

    name = "997-005010-ship-notice-rejected-with-element-errors.x12"
    report = Validator().validate(_sample(name))
    [t] = report.transactions()
    assert (t.set_id, t.status, t.spec.endswith("997.5010.xml")) == ("997", "accepted", True)
    [doc] = Translator([ROOT / "mappings"]).translate(SAMPLES / name).documents
    assert doc.ok, doc.issues
    ack = doc.document
    assert (ack["ack_set"], ack["version"], ack["functional_id"], ack["group_control"], ack["status"]) == ("997", "005010", "SH", "3002", "rejected")
    [tx] = ack["transactions"]
    assert (tx["set_id"], tx["status"], tx["codes"]) == ("856", "rejected", ["5"])
    assert tx["errors"][3] == {"level": "element", "code": "4", "segment": "MAN", "position": 21, "element": 2, "data_element": "87",
                               "value": "0001234567"}


def test_partner_profile_yaml_restricts_extends_and_relaxes_codes():
    from gateway.config.partner import CodeAddition, ValidationOverlay

    loaded = ValidationOverlay.from_data({"codes": {"BEG02": ["SA", "NE"], "REF01": {"add": ["ZZZ"]}}, "relax_codes": ["N402"]})
    assert loaded.codes["REF01"] == CodeAddition(add=["ZZZ"])
    overlay = loaded.to_overlay("partner acme, validation 850")
    assert (overlay.codes, overlay.add_codes, overlay.relax_codes) == ({"BEG02": ["SA", "NE"]}, {"REF01": ["ZZZ"]}, ["N402"])
    data = (_sample("850-004010-retail-replenishment-order.x12").replace(b"N4*SPRINGFIELD*IL*", b"N4*JUAREZ*CH*")
            .replace(b"REF*DP*", b"REF*ZZZ*"))
    assert Validator(overlay=overlay).validate(data).ok
    with pytest.raises(ConfigError, match="codes/BEG02"):
        ValidationOverlay.from_data({"codes": {"BEG02": {"remove": ["SA"]}}})
