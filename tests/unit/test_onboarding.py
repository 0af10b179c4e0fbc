"""Partner onboarding: ``add`` writes a working profile and its folders; ``check`` finds what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import ROOT

from gateway.config.partner import Partners, load_profile
from gateway.errors import ConfigError
from gateway.home import Home
from gateway.onboarding import NewPartner, add_partner, check_partner, summaries


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home", True, ROOT)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_add_in_a_home_writes_the_profile_the_mapping_stub_and_drop_folders(home):
    result = add_partner(home, NewPartner("acme", "ZZ", "SENDERID", receives=["850", "810"]))
    root = home.root
    assert result.profile == root / "partners" / "acme.yaml"
    assert {p.relative_to(root).as_posix() for p in result.created} >= {
        "partners/acme.yaml", "mappings/acme", "mappings/acme/README.md", "inbound/acme", "outbound/acme"}
    p = load_profile(result.profile)
    assert (p.identity.isa_qualifier, p.identity.isa_id, p.identity.gs_ids) == ("ZZ", "SENDERID", ["SENDERID"])
    assert [e.spec_name("receives") for e in p.documents.receives] == ["default/850-004010-in", "default/810-004010-in"]
    assert p.channels.drop_folder.inbound == "inbound/acme"
    readme = (root / "mappings" / "acme" / "README.md").read_text()
    assert ".fixtures/" in readme and ".expected.json" in readme and "extends: default/850-004010-in" in readme
    # the profile checks clean except, possibly, default specs not written yet
    assert all("mapping spec 'default/" in line for line in result.check.problems), result.check.problems


def test_add_outside_an_explicit_home_makes_no_drop_folders_unless_asked(tmp_path):
    home = Home(tmp_path, False, ROOT)
    add_partner(home, NewPartner("acme", "ZZ", "A", receives=["850"]))
    assert not (tmp_path / "inbound").exists()
    assert load_profile(tmp_path / "partners" / "acme.yaml").channels.names() == []
    add_partner(home, NewPartner("bolt", "ZZ", "B", channel="drop_folder"))
    assert (tmp_path / "inbound" / "bolt").is_dir()


@pytest.mark.parametrize("channel, section", [("drop_folder", "drop_folder"), ("none", None)])
def test_add_writes_a_valid_profile_for_every_served_channel(home, channel, section):
    result = add_partner(home, NewPartner("acme", "ZZ", "A", channel=channel))
    p = load_profile(result.profile)
    assert p.channels.names() == ([section] if section else [])
    assert result.check.ok, result.check.problems


@pytest.mark.parametrize("channel", ["sftp", "as2", "api"])
def test_add_refuses_a_channel_this_version_does_not_serve(home, channel):
    with pytest.raises(ConfigError) as info:
        add_partner(home, NewPartner("acme", "ZZ", "A", channel=channel))
    assert info.value.problems == [f"--channel {channel!r}: one of drop_folder, none"]
    assert not home.root.exists()


def test_add_refuses_documents_to_send_which_this_version_does_not_send(home):
    with pytest.raises(ConfigError) as info:
        add_partner(home, NewPartner("acme", "ZZ", "A", receives=["850"], sends=["855", "810"]))
    assert info.value.problems == ["--sends 855,810: not supported by this version (the gateway does not send documents to partners yet)"]
    assert not home.root.exists()


def test_add_refuses_bad_input_and_existing_partners_and_writes_nothing(home):
    with pytest.raises(ConfigError) as info:
        add_partner(home, NewPartner("Acme!", "Z", "X" * 16, gs_ids=["A"], version="003060", receives=["85", "850", "850"]))
    assert len(info.value.problems) == 7
    assert not home.root.exists()
    add_partner(home, NewPartner("acme", "ZZ", "A"))
    with pytest.raises(ConfigError, match="already exists"):
        add_partner(home, NewPartner("acme", "ZZ", "B"))
    with pytest.raises(ConfigError, match="reserved"):
        add_partner(home, NewPartner("default", "ZZ", "B"))


def profile(home: Home, name: str, text: str) -> Path:
    return write(home.partners_dir / f"{name}.yaml", text)


def test_check_reports_missing_and_mismatched_specs_without_crashing(home):
    write(home.mappings_dir / "acme" / "broken.yaml", "document: purchase_order\ndirection: sideways\n")
    write(home.mappings_dir / "acme" / "850-004010-in.yaml", "extends: default/850-004010-in\ndocument: purchase_order\ndirection: inbound\n")
    path = profile(home, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        documents:
          receives:
            - {set: "850", spec: acme/850-004010-in}
            - {set: "850", version: "005010", spec: acme/missing}
            - {set: "850", version: "003060"}
            - {set: "855", spec: acme/broken}
          sends:
            - {set: "855", spec: default/850-004010-in}
        """)
    result = check_partner(home, "acme")
    shown = home.display(path)
    text = "\n".join(result.problems)
    assert f"{shown}:5: mapping spec 'acme/missing' not found" in text
    assert f"{shown}:6: no X12 spec for 850 version 003060 (it has 004010, 005010)" in text
    assert f"{shown}:6: mapping spec 'default/850-003060-in' not found" in text
    assert f"{shown}:7: mapping spec 'acme/broken' does not load:" in text
    assert "broken.yaml:2: direction: 'sideways' is not one of" in text
    assert f"{shown}:9: mapping spec 'default/850-004010-in' is inbound, but 'sends' needs an outbound spec" in text
    assert not any(":4:" in line for line in result.problems)  # the partner's own spec, extending the default, is fine


def test_check_locates_overlay_references_the_x12_spec_does_not_have(home):
    path = profile(home, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        documents:
          receives: [{set: "850"}]
        validation:
          "850":
            require: [BEG05, BEG99]
            codes:
              BEG02: [SA]
              PO1: [X]
            max_use: {N9_LOOP: 3, NOPE: 1}
          "856": {require: [BSN05]}
        """)
    result = check_partner(home, "acme")
    shown = home.display(path)
    assert result.problems == [
        f"{shown}:6: BEG99 is not a segment, loop or element of the X12 850 004010 spec",
        f"{shown}:9: code list for PO1, which is not a simple element (X12 850 004010)",
        f"{shown}:10: NOPE is not a segment, loop or element of the X12 850 004010 spec",
    ]
    assert f"{shown}:11: validation for 856, but this partner exchanges no 856" in result.warnings


def test_check_reports_missing_files_and_channel_settings(home):
    write(home.root / "xref" / "items.csv", "theirs,ours\nA\n")
    path = profile(home, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        channels:
          drop_folder: {inbound: inbound/acme}
          sftp: {username: u, known_hosts: keys/known_hosts}
          as2: {as2_id: A, partner_certificate: certs/acme.pem, mdn: async}
        routes:
          - {document: invoice, connector: erp}
        xref_files: {items: xref/items.csv, parts: xref/parts.csv}
        """)
    result = check_partner(home, "acme")
    shown = home.display(path)
    assert result.problems == [
        f"{shown}:4: channel sftp is not served by this version (gateway serve reads drop folders only); remove it and use drop_folder",
        f"{shown}:5: channel as2 is not served by this version (gateway serve reads drop folders only); remove it and use drop_folder",
        f"{shown}:3: inbound folder 'inbound/acme' does not exist ({home.display(home.root / 'inbound/acme')})",
        f"{shown}:4: known_hosts file 'keys/known_hosts' does not exist ({home.display(home.root / 'keys/known_hosts')})",
        f"{shown}:5: partner_certificate file 'certs/acme.pem' does not exist ({home.display(home.root / 'certs/acme.pem')})",
        f"{shown}:4: mode poll (we fetch from their server) needs host",
        f"{shown}:5: mdn async needs async_mdn_url",
        f"{home.display(home.root / 'xref/items.csv')}:2: expected two columns: their value, our value",
        f"{shown}:8: cross-reference file 'xref/parts.csv' does not exist ({home.display(home.root / 'xref/parts.csv')})",
        f"{shown}:8: cross-reference 'items' is not used by any rule of the mapping specs this partner uses",
        f"{shown}:8: cross-reference 'parts' is not used by any rule of the mapping specs this partner uses",
        f"{shown}:7: unknown connector 'erp' (known: folder, http, memory)",
    ]
    assert result.warnings == [f"{shown}:7: route for invoice, but this partner sends the gateway no invoice"]


def test_check_reports_identity_clashes(home):
    profile(home, "east", "identity: {isa_qualifier: ZZ, isa_id: ACME, gs_ids: [EAST]}\n")
    path = profile(home, "west", "identity:\n  isa_qualifier: ZZ\n  isa_id: ACME\n  gs_ids: [EAST, WEST]\n")
    result = check_partner(home, "west")
    assert result.problems == [(f"{home.display(path)}:3: partner 'east' ({home.display(home.partners_dir / 'east.yaml')}) "
                                "has the same ISA ID ZZ/ACME and GS ID EAST: "
                                "envelopes from them cannot be told apart")]


def test_check_of_an_invalid_or_unknown_profile_gives_its_problems(home):
    profile(home, "acme", "identity: {isa_qualifier: Z}\n")
    assert check_partner(home, "acme").problems == [f"{home.display(home.partners_dir / 'acme.yaml')}:1: identity/isa_qualifier: 'Z' is not an interchange ID qualifier (X12 element I05: 01-04, 07-20, 27-36, AM, NR, SA, SN, ZZ)"]
    assert "no partner 'nobody'" in check_partner(home, "nobody").problems[0]


def test_check_requires_isa_ids_only_when_the_partner_exchanges_x12(home):
    path = profile(home, "acme", "identity: {isa_qualifier: ZZ}\ndocuments:\n  receives: [{set: '850'}]\n")
    assert check_partner(home, "acme").problems == [f"{home.display(path)}:1: isa_id missing: needed to exchange X12 (850/004010)"]
    write(home.mappings_dir / "shop" / "orders-csv-in.yaml", """\
        document: purchase_order
        direction: inbound
        source: {format: csv, layout: {records: [{name: row, fields: [{name: po}, {name: date}]}], group_by: po}}
        fields: {po_number: po, order_date: {path: date, type: date, format: CCYY-MM-DD}}
    """)
    profile(home, "shop", "identity: {name: Corner shop}\ndocuments:\n  receives: [{spec: shop/orders-csv-in}]\n")
    result = check_partner(home, "shop")
    assert result.ok, result.problems
    assert [r.isa for r in summaries(home) if r.id == "shop"] == ["-"]


def test_summaries_list_good_and_broken_profiles(home):
    add_partner(home, NewPartner("acme", "ZZ", "A", receives=["850"]))
    profile(home, "broken", "identity: 1\n")
    rows = summaries(home)
    assert [r.to_dict()["ok"] for r in rows] == [True, False]
    assert (rows[0].isa, rows[0].receives, rows[0].sends, rows[0].channels) == ("ZZ/A", ["850/004010"], [], ["drop_folder"])
    assert Partners(home).ids() == ["acme", "broken"]


# -- one test per kind of problem partner check must find (each would otherwise fail at run time) ------


ACME = "identity: {isa_qualifier: ZZ, isa_id: A}\n"


def acme_with_spec(home: Home, fields: str, *, extra: str = "") -> tuple[str, str]:
    """A profile receiving 850s through mappings/acme/850-004010-in.yaml (extending the default) with ``fields``;
    returns (profile, spec) as check shows them."""
    spec = write(home.mappings_dir / "acme" / "850-004010-in.yaml",
                 "extends: default/850-004010-in\ndocument: purchase_order\ndirection: inbound\nfields:\n" + fields)
    path = profile(home, "acme", ACME + "documents:\n  receives: [{set: '850', spec: acme/850-004010-in}]\n" + extra)
    return home.display(path), home.display(spec)


def test_route_to_folder_without_path_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\nroutes:\n  - {document: purchase_order, connector: folder}\n")
    assert check_partner(home, "acme").problems == [f"{home.display(path)}:4: connector 'folder': missing required key 'path'"]


def test_route_option_the_connector_does_not_know_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\nroutes:\n"
                   "  - {document: purchase_order, connector: folder, options: {path: erp, paht: erp}}\n")
    assert check_partner(home, "acme").problems == [
        f"{home.display(path)}:4: connector 'folder': paht: unknown key 'paht' (allowed: csv_formula_guard, format, fsync, name, path, pretty)"]


def test_route_to_an_unknown_connector_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\nroutes:\n"
                   "  - {document: purchase_order, connector: sap, options: {path: erp}}\n")
    assert check_partner(home, "acme").problems == [f"{home.display(path)}:4: unknown connector 'sap' (known: folder, http, memory)"]


@pytest.mark.parametrize("fields, line, problem", [
    pytest.param('  vendor_number: "REF[REF01=VR/REF02"\n', 5, "path 'REF[REF01=VR/REF02': unbalanced brackets",
                 id="path-that-does-not-parse"),
    pytest.param("  vendor_number: XYZ02\n", 5, "path 'XYZ02': XYZ is not a segment or loop of the X12 850 004010 spec",
                 id="segment-the-x12-spec-lacks"),
    pytest.param("  vendor_number: {path: 'REF[REF01=VR]/REF92'}\n", 5,
                 "path 'REF[REF01=VR]/REF92': REF has no element 92 in the X12 850 004010 spec (it has 4)", id="element-the-segment-lacks"),
    pytest.param("  lines:\n    fields:\n      line_number: N1_LOOP/PO1/PO101\n", 7,
                 "path 'N1_LOOP/PO1/PO101': there is no PO1 in N1_LOOP in the X12 850 004010 spec", id="segment-in-a-loop-that-does-not-hold-it"),
    pytest.param("  department: 'N1_LOOP[REF01=DP]/N102'\n", 5,
                 "path 'N1_LOOP[REF01=DP]/N102': filter [REF01]: REF01 is read from N1_LOOP (a loop starting with N1), not from a REF segment",
                 id="filter-on-an-element-of-another-segment"),
])
def test_mapping_path_that_reads_nothing_at_run_time_is_reported(home, fields, line, problem):
    _, spec = acme_with_spec(home, fields)
    assert check_partner(home, "acme").problems == [f"{spec}:{line}: {problem}"]


def test_canonical_field_not_in_the_schema_is_reported(home):
    _, spec = acme_with_spec(home, "  vendorr_number: 'REF[REF01=VR]/REF02'\n  lines:\n    fields:\n      quantity: {fields: {unitt: PO103}}\n")
    assert check_partner(home, "acme").problems == [
        f"{spec}:5: 'vendorr_number' is not a field of the canonical purchase_order here (did you mean 'vendor_number'?)",
        f"{spec}:8: 'unitt' is not a field of the canonical purchase_order here (did you mean 'unit'?)",
    ]


def test_rule_naming_a_table_no_one_defines_is_reported(home):
    _, spec = acme_with_spec(home, "  order_type: {path: BEG02, table: order_types}\n")
    [problem] = check_partner(home, "acme").problems
    assert problem.startswith(f"{spec}:5: code table 'order_types' is not defined (tables: date_type, order_type, ")


def test_tables_no_rule_uses_are_reported_in_the_profile_and_in_the_spec(home):
    write(home.mappings_dir / "acme" / "850-004010-in.yaml", """\
        extends: default/850-004010-in
        document: purchase_order
        direction: inbound
        tables:
          order_type: {KN: knock_out}
          units: {CA: case}
        """)
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850', spec: acme/850-004010-in}]}\n"
                   "tables:\n  party_role: {ZZ: store}\n  sku: {A: B}\n")
    assert check_partner(home, "acme").problems == [
        f"{home.display(home.mappings_dir / 'acme' / '850-004010-in.yaml')}:6: table 'units' is not used by any rule of mapping spec 'acme/850-004010-in'",
        f"{home.display(path)}:5: table 'sku' is not used by any rule of the mapping specs this partner uses",
    ]


def test_rule_naming_a_cross_reference_the_profile_lacks_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850', spec: acme-retail/850-004010-in}]}\n")
    spec = home.display(ROOT / "mappings" / "acme-retail" / "850-004010-in.yaml")
    assert check_partner(home, "acme").problems == [
        f"{spec}:16: mapping spec 'acme-retail/850-004010-in' looks values up in cross-reference 'items', which "
        f"{home.display(path)} does not define (xref or xref_files)"]


def test_cross_reference_no_rule_uses_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\nxref:\n  items: {A: B}\n")
    assert check_partner(home, "acme").problems == [
        f"{home.display(path)}:4: cross-reference 'items' is not used by any rule of the mapping specs this partner uses"]


def test_a_default_spec_the_profile_falls_back_to_is_checked_too(home):
    spec = write(home.mappings_dir / "default" / "850-004010-in.yaml", (ROOT / "mappings/default/850-004010-in.yaml").read_text()
                 .replace("  release_number: BEG04\n", "  release_number: BEG44\n"))
    profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\n")
    line = spec.read_text().splitlines().index("  release_number: BEG44") + 1
    assert check_partner(home, "acme").problems == [
        f"{home.display(spec)}:{line}: path 'BEG44': BEG has no element 44 in the X12 850 004010 spec (it has 12)"]


@pytest.mark.parametrize("channel, text", [
    ("sftp", "sftp: {mode: host, username: acme}"),
    ("as2", "as2: {as2_id: ACME}"),
    ("api", "api: {}"),
])
def test_channel_declared_but_not_served_by_this_version_is_reported(home, channel, text):
    path = profile(home, "acme", ACME + f"channels:\n  {text}\n")
    assert check_partner(home, "acme").problems == [
        f"{home.display(path)}:3: channel {channel} is not served by this version (gateway serve reads drop folders only); "
        "remove it and use drop_folder"]


@pytest.mark.parametrize("setting, text, line, what", [
    ("documents.sends", "documents:\n  sends: [{set: '855'}]\n", 3, "documents.sends"),
    ("acks.expect", "acks: {expect: '997'}\n", 2, "acks.expect '997'"),
    ("acks.overdue_hours", "acks: {overdue_hours: 24}\n", 2, "acks.overdue_hours"),
    ("acks.request_ta1", "acks: {request_ta1: true}\n", 2, "acks.request_ta1"),
])
def test_setting_this_version_does_not_honour_is_reported(home, setting, text, line, what):
    path = profile(home, "acme", ACME + text)
    [problem] = check_partner(home, "acme").problems
    assert problem.startswith(f"{home.display(path)}:{line}: {what}: not supported by this version (")


def test_identity_us_and_usage_are_honoured_so_not_reported(home):
    profile(home, "acme", "identity: {isa_qualifier: ZZ, isa_id: A, us: {isa_qualifier: ZZ, isa_id: US}}\nusage: both\n")
    assert check_partner(home, "acme").problems == []


def test_max_use_of_an_element_which_nothing_would_enforce_is_reported(home):
    path = profile(home, "acme", ACME + "documents: {receives: [{set: '850'}]}\nvalidation:\n  '850': {max_use: {BEG05: 2, N9_LOOP: 3}}\n")
    assert check_partner(home, "acme").problems == [
        f"{home.display(path)}:4: max_use for BEG05, which is an element, not a segment or loop (X12 850 004010)"]


def test_add_in_a_home_init_made_routes_what_the_partner_sends_us_to_its_erp_connector(home):
    from gateway.config.settings import OwnIdentity
    from gateway.workdir import init_home

    init_home(home.root, OwnIdentity(isa_qualifier="ZZ", isa_id="OURCO"))
    result = add_partner(home, NewPartner("acme", "ZZ", "ACME", receives=["850", "810", "997"]))
    p = load_profile(result.profile)
    assert [(r.document, r.connector, r.options, r.usage) for r in p.routes] == [
        ("purchase_order", "erp", {}, None), ("invoice", "erp", {}, None)]  # a functional ack needs no route
    assert p.usage == "production"
    assert result.check.problems == [] or all("mapping spec 'default/" in line for line in result.check.problems), result.check.problems


def test_add_in_a_home_without_an_erp_connector_writes_no_route_to_it(home):
    write(home.root / "gateway.yaml", "identity: {isa_qualifier: ZZ, isa_id: OURCO}\n")
    result = add_partner(home, NewPartner("acme", "ZZ", "ACME", receives=["850"]))
    assert load_profile(result.profile).routes == []
    text = result.profile.read_text()
    assert text.startswith("# yaml-language-server: $schema=./partner.schema.json\n")
    assert (home.partners_dir / "partner.schema.json").is_file() and home.partners_dir / "partner.schema.json" in result.created
