"""Interchanges not addressed to us are refused (TA1 or AK9 R, quarantine), acknowledgements come from our
identity, and ISA15 test/production is honoured per profile and route: the pipeline over a real home."""

from __future__ import annotations

import pytest
from gateway.config.yamlio import dump_yaml, parse_yaml
from gateway.errors import ConfigError
from helpers import ROOT
from gateway.pipeline import Gateway
from pipeline_helpers import SETTINGS, drop, run

ACME_850 = (ROOT / "samples" / "partners" / "acme-retail" / "850-store-replenishment.x12").read_bytes()  # ZZ/ACMERETAIL -> ZZ/WIDGETCO, P
WIDGET_856 = (ROOT / "samples" / "partners" / "widget-supply" / "pick-pack-shipment-with-sscc-labels.x12").read_bytes()


@pytest.fixture
def home(home):
    """The demo home (our identity: ZZ/WIDGETCO, the samples' receiver) with Acme's orders routed to the memory ERP."""
    edit(home, "acme-retail", lambda p: p.update(routes=[{"document": "purchase_order", "connector": "erp"}]))
    return home


def ours(identity: str, home) -> None:
    (home.root / "gateway.yaml").write_text(identity + SETTINGS)


def edit(home, partner: str, change) -> None:
    path = home.partners_dir / f"{partner}.yaml"
    data = parse_yaml(path.read_text(), path.name).data
    change(data)
    path.write_text(dump_yaml(data))


def acks(home, partner: str = "acme-retail") -> list[str]:
    return [p.read_text() for p in sorted((home.root / "outbound" / partner).glob("ack-*.x12"))]


def segments(text: str, tag: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip().startswith(tag + "*")]


def test_an_interchange_addressed_to_another_isa_id_gets_a_ta1_008_and_is_quarantined_never_delivered(home, erp):
    drop(home, "acme-retail", "po.x12", ACME_850.replace(b"*ZZ*WIDGETCO       *", b"*ZZ*SOMEONEELSE    *"))
    gw = run(home, erp)
    items = gw.store.quarantine_items()
    assert {q["code"] for q in items} == {"envelope.wrong_receiver"} and len(items) == 2
    assert "ZZ/SOMEONEELSE" in items[0]["reason"] and "ZZ/WIDGETCO" in items[0]["reason"]
    assert erp.documents == {}
    [ack] = acks(home)
    [ta1] = segments(ack, "TA1")
    assert ta1[4:6] == ["R", "008"] and "ST*997" not in ack
    isa = segments(ack, "ISA")[0]
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("ZZ", "WIDGETCO", "ZZ", "ACMERETAIL")


def test_an_interchange_with_our_id_under_another_qualifier_gets_a_ta1_007(home, erp):
    drop(home, "acme-retail", "po.x12", ACME_850.replace(b"*ZZ*WIDGETCO       *", b"*01*WIDGETCO       *"))
    gw = run(home, erp)
    assert {q["code"] for q in gw.store.quarantine_items()} == {"envelope.wrong_receiver"}
    [ta1] = segments(acks(home)[0], "TA1")
    assert ta1[4:6] == ["R", "007"]


def test_a_group_addressed_to_another_gs_id_is_refused_in_the_997_and_quarantined(home, erp):
    drop(home, "acme-retail", "po.x12", ACME_850.replace(b"GS*PO*ACMERETAIL*WIDGETCO*", b"GS*PO*ACMERETAIL*OTHERDIVISION*"))
    gw = run(home, erp)
    items = gw.store.quarantine_items()
    assert {q["code"] for q in items} == {"envelope.wrong_receiver"} and "OTHERDIVISION" in items[0]["reason"]
    assert erp.documents == {}
    [ack] = acks(home)
    assert segments(ack, "AK9") == [["AK9", "R", "2", "2", "0"]] and segments(ack, "AK2") == [] and "TA1" not in ack


def test_acknowledgements_come_from_our_identity_not_from_the_inbound_receiver(home, erp):
    ours("identity: {isa_qualifier: ZZ, isa_id: WIDGETCO, gs_ids: [WIDGETCO-AP, WIDGETCO]}\n", home)
    drop(home, "acme-retail", "po.x12", ACME_850)
    run(home, erp)
    assert len(erp.documents) == 2
    [ack] = acks(home)
    [gs] = segments(ack, "GS")
    assert (gs[2], gs[3]) == ("WIDGETCO-AP", "ACMERETAIL")  # our first GS ID, not the GS03 they wrote


def test_identity_us_overrides_our_identity_for_that_partner_only(home, erp):
    ours("identity: {isa_qualifier: \"01\", isa_id: \"123456789\"}\n", home)
    edit(home, "acme-retail", lambda p: p["identity"].update(us={"isa_qualifier": "ZZ", "isa_id": "WIDGETCO"}))
    drop(home, "acme-retail", "po.x12", ACME_850)
    drop(home, "widget-supply", "asn.x12", WIDGET_856)  # also to ZZ/WIDGETCO, but Widget Supply knows no override
    gw = run(home, erp)
    assert sorted(d["po_number"] for d in erp.documents.values()) == ["4500020001", "4500020002"]
    [q] = gw.store.quarantine_items()
    assert q["code"] == "envelope.wrong_receiver" and q["partner"] == "widget-supply" and "01/123456789" in q["reason"]
    isa = segments(acks(home)[0], "ISA")[0]
    assert (isa[5], isa[6].strip()) == ("ZZ", "WIDGETCO")
    isa = segments(acks(home, "widget-supply")[0], "ISA")[0]
    assert (isa[5], isa[6].strip()) == ("01", "123456789")


def test_a_test_interchange_to_a_production_profile_is_quarantined_with_usage_mismatch(home, erp):
    drop(home, "acme-retail", "po.x12", ACME_850.replace(b"*0*P*>", b"*0*T*>"))
    gw = run(home, erp)
    items = gw.store.quarantine_items()
    assert {q["code"] for q in items} == {"envelope.usage_mismatch"} and len(items) == 2
    assert "test interchange (ISA15 T)" in items[0]["reason"] and "acme-retail.yaml" in items[0]["reason"]
    assert erp.documents == {}
    edit(home, "acme-retail", lambda p: p.update(usage="both"))  # the fix the reason names, then a reprocess
    for q in items:
        gw.store.reprocess(q["id"])
    run(home, erp)
    assert {d["correlation"]["usage"] for d in erp.documents.values()} == {"test"} and len(erp.documents) == 2


def test_a_test_interchange_goes_to_the_test_routes_only_and_production_to_the_others(home, erp, tmp_path):
    edit(home, "acme-retail", lambda p: p.update(routes=[
        {"document": "purchase_order", "connector": "erp"},
        {"document": "purchase_order", "connector": "folder", "usage": "test", "options": {"path": "erp-test"}}]))
    drop(home, "acme-retail", "test.x12", ACME_850.replace(b"*0*P*>", b"*0*T*>"))
    gw = run(home, erp)
    assert erp.documents == {} and gw.store.quarantine_items() == []
    assert len(list((home.root / "erp-test").glob("*.json"))) == 2
    drop(home, "acme-retail", "prod.x12", ACME_850.replace(b"000007101", b"000007102"))
    run(home, erp)
    assert {d["correlation"]["usage"] for d in erp.documents.values()} == {"production"} and len(erp.documents) == 2
    assert len(list((home.root / "erp-test").glob("*.json"))) == 2


def test_a_production_interchange_to_a_test_profile_is_quarantined_with_usage_mismatch(home, erp):
    edit(home, "acme-retail", lambda p: p.update(usage="test"))
    drop(home, "acme-retail", "po.x12", ACME_850)
    gw = run(home, erp)
    assert {q["code"] for q in gw.store.quarantine_items()} == {"envelope.usage_mismatch"} and erp.documents == {}


def test_the_gateway_does_not_start_without_our_identity(home):
    (home.root / "gateway.yaml").write_text(SETTINGS)
    with pytest.raises(ConfigError) as err:
        Gateway(home, environ={})
    assert "gateway.yaml:1: our own identity is not set" in err.value.problems[0] and "--isa-id" in err.value.problems[0]
