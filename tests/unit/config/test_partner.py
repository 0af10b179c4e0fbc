"""Partner profiles: the model, the loader (file:line, unknown keys, secrets, ${ENV}) and the registry."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gateway.config.partner import (
    PUBLISHED,
    PartnerProfile,
    Partners,
    load_profile,
    load_xref_file,
    read_profile,
    render_schema,
)
from gateway.config.typed import MASK
from gateway.config.yamlio import parse_yaml
from gateway.errors import ConfigError
from gateway.home import Home
from gateway.mapping.engine import Tables
from gateway.preflight import unsupported

FULL = """\
id: acme-retail
description: Acme Retail, east coast stores
identity:
  name: Acme Retail Corp
  isa_qualifier: "12"
  isa_id: "5551234567"
  gs_ids: [ACMEEAST, ACMEWEST]
  us: {isa_qualifier: ZZ, isa_id: OURCO}
documents:
  receives:
    - {set: "850", version: "004010", spec: acme-retail/850-004010-in}
    - {set: "850", version: "005010"}
  sends:
    - {set: "810"}
acks: {send: auto, expect: "997", ta1: always, overdue_hours: 24}
validation:
  "850": {require: [BEG05], codes: {BEG02: [SA, NE]}, relax: [PER], forbid: [CUR], max_use: {N9: 2}}
channels:
  drop_folder: {inbound: inbound/acme-retail, outbound: outbound/acme-retail}
  sftp: {mode: poll, host: sftp.acme.example, username: ourco, password: "${ACME_SFTP_PASSWORD}", known_hosts: keys/acme.known_hosts}
  as2: {as2_id: ACMEAS2, url: "https://as2.acme.example/as2", private_key: "${ACME_AS2_KEY:-none}", mdn: sync}
  api: {api_key: plain-text-key}
routes:
  - {document: purchase_order, connector: erp, options: {company: "01"}}
tables:
  uom: {CA: case}
xref:
  buyer_part: {"A-100": SKU-1}
"""

ENV = {"ACME_SFTP_PASSWORD": "hunter2-sftp"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "partners" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path, environ=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_profile(path, environ=environ or {})
    return info.value.problems


# -- the model ------------------------------------------------------------------------------------


def test_a_full_profile_loads_with_defaults_and_derived_values(tmp_path):
    p = load_profile(write(tmp_path, "acme-retail", FULL), environ=ENV)
    assert p.id == "acme-retail" and p.name == "Acme Retail Corp"
    assert p.identity.application_ids == ["ACMEEAST", "ACMEWEST"]
    assert p.identity.us.isa_id == "OURCO" and p.identity.us.gs_id is None
    specs = [(d, e.spec_name(d)) for d, _, e in p.documents.entries()]
    assert specs == [("receives", "acme-retail/850-004010-in"), ("receives", "default/850-005010-in"), ("sends", "default/810-004010-out")]
    assert p.documents.receives[0].document_type == "purchase_order"
    assert p.acks.ack_to_send("004010") == "997" and p.acks.ack_to_send("005010") == "999"
    assert p.acks.ack_expected("005010") == "997" and p.acks.ta1 == "always"
    assert p.channels.names() == ["drop_folder", "sftp", "as2", "api"]
    assert p.channels.sftp.password == "hunter2-sftp" and p.channels.sftp.port == 22
    assert p.channels.as2.private_key == "none"  # ${VAR:-default}
    assert p.channels.drop_folder.complete_when == "renamed"
    assert p.route_for("purchase_order")[0].options == {"company": "01"}
    assert p.xref == {"buyer_part": {"A-100": "SKU-1"}}


def test_the_validation_section_becomes_an_x12_overlay(tmp_path):
    from gateway.formats.x12 import Overlay

    p = load_profile(write(tmp_path, "acme-retail", FULL), environ=ENV)
    ov = p.overlay_for("850")
    assert isinstance(ov, Overlay)
    assert (ov.require, ov.relax, ov.forbid, ov.codes, ov.max_use) == (["BEG05"], ["PER"], ["CUR"], {"BEG02": ["SA", "NE"]}, {"N9": 2})
    assert p.overlay_for("855") is None


def test_partner_tables_override_the_specs_in_the_mapping_engine(tmp_path):
    p = load_profile(write(tmp_path, "acme-retail", FULL), environ=ENV)
    tables = Tables({"uom": {"CA": "CASE", "EA": "each"}}, p.tables)
    assert tables.get("uom") == {"CA": "case", "EA": "each"}


def test_secrets_are_masked_in_repr_and_to_data_but_available_to_code(tmp_path):
    p = load_profile(write(tmp_path, "acme-retail", FULL), environ=ENV)
    shown = repr(p) + json.dumps(p.to_data())
    for secret in ("hunter2-sftp", "plain-text-key"):
        assert secret not in shown
    assert p.to_data()["channels"]["sftp"]["password"] == MASK
    assert p.to_data(reveal=True)["channels"]["sftp"]["password"] == "hunter2-sftp"
    assert p.channels.api.api_key == "plain-text-key"


# -- loading errors ---------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path):
    path = write(tmp_path, "acme", """\
        id: acme
        identity:
          isa_qualifier: ZZZ
          isa_id: ACME
          colour: blue
        documents:
          receives:
            - {set: "850"}
            - {version: "004010"}
        acks: {ta1: sometimes}
        """)
    problems = problems_of(path)
    assert problems == [
        f"{path}:3: identity/isa_qualifier: 'ZZZ' is not an interchange ID qualifier (X12 element I05: 01-04, 07-20, 27-36, AM, NR, SA, SN, ZZ)",
        f"{path}:5: unknown key 'colour' (allowed: gs_ids, isa_id, isa_qualifier, name, us)",
        f"{path}:9: give the transaction set (set) or the mapping spec (spec)",
        f"{path}:10: acks/ta1: 'sometimes' is not one of ['never', 'on_error', 'always']",
    ]


def test_unknown_keys_are_rejected_at_every_level(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        chanels: {}
        channels:
          sftp: {host: h, username: u, passwd: x}
        """)
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:2: unknown key 'chanels'") for p in problems)
    assert any(p.startswith(f"{path}:4: unknown key 'passwd'") for p in problems)


def test_unquoted_numbers_get_a_hint(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        documents:
          receives:
            - set: 850
        acks:
          send: 997
        """)
    problems = problems_of(path)
    assert problems[0].startswith(f"{path}:4: documents/receives/0/set: 850 is a number here; write it in quotes")
    assert problems[1] == f"{path}:6: acks/send: 997 is a number here; write it in quotes (\"997\")"


def test_secret_values_never_appear_in_error_messages(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        channels:
          sftp: {host: h, username: u, password: 987654321}
          as2: {as2_id: A, private_key_password: [topsecret]}
        """)
    text = "\n".join(problems_of(path))
    assert "987654321" not in text and "topsecret" not in text
    assert f"{path}:3: channels/sftp/password: {MASK} is not of type 'string'" in text


def test_env_references_are_resolved_and_missing_ones_reported(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: "${ACME_ISA_ID}"}
        channels:
          api: {api_key: "${ACME_API_KEY}", webhook_url: "https://${ACME_HOST:-erp.example}/hook"}
        """)
    assert problems_of(path) == [
        f"{path}:1: environment variable ACME_ISA_ID is not set",
        f"{path}:3: environment variable ACME_API_KEY is not set",
    ]
    p = load_profile(path, environ={"ACME_ISA_ID": "ACME01", "ACME_API_KEY": "k"})
    assert p.identity.isa_id == "ACME01" and p.channels.api.webhook_url == "https://erp.example/hook"


def test_id_must_match_the_file_name_and_default_is_reserved(tmp_path):
    path = write(tmp_path, "acme", "id: acme-retail\nidentity: {isa_qualifier: ZZ, isa_id: A}\n")
    assert problems_of(path) == [f"{path}:1: id 'acme-retail' does not match the file name (acme.yaml)"]
    path = write(tmp_path, "default", "identity: {isa_qualifier: ZZ, isa_id: A}\n")
    assert "reserved" in problems_of(path)[0]


def test_validation_keys_must_be_transaction_sets(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        validation:
          "850": {require: [BEG05]}
          PO: {}
        """)
    assert problems_of(path) == [f"{path}:4: key 'PO' is not an X12 transaction set ID such as \"850\""]


def test_codes_in_an_unknown_form_name_the_forms_accepted(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        validation:
          "850":
            codes:
              BEG02: {remove: [SA]}
              BEG01: "00"
              REF01: {add: ZZ}
        """)
    forms = "is none of the accepted forms: a list of codes to restrict the standard list to ([SA, NE]), or {add: [XX]} to accept codes beyond it"
    found = problems_of(path)
    assert found[0].startswith(f"{path}:5: validation/850/codes/BEG02: {{'remove': ['SA']}} (unknown key 'remove') {forms}")
    assert "name it in relax_codes" in found[0]
    assert found[1].startswith(f"{path}:6: validation/850/codes/BEG01: '00' {forms}")
    assert found[2] == f"{path}:7: validation/850/codes/REF01/add: 'ZZ' is not of type 'array'"  # the {add:} form, gone wrong inside
    assert len(found) == 3


def test_duplicate_documents_and_xref_names(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        documents:
          receives: [{set: "850"}, {set: "850", version: "004010"}]
        xref: {items: {}}
        xref_files: {items: x.csv}
        """)
    problems = problems_of(path)
    assert "listed twice" in problems[0] and "items" in problems[1]


@pytest.mark.parametrize("text, message", [
    ("", "the profile is empty"),
    ("- a\n- b\n", "a partner profile is a YAML mapping"),
    ("identity: [\n", "not valid YAML"),
])
def test_not_a_profile_at_all(tmp_path, text, message):
    path = write(tmp_path, "acme", text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:") and message in problem


def test_missing_file(tmp_path):
    assert problems_of(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file"]


# -- cross-reference files --------------------------------------------------------------------------


def test_xref_files_are_read_relative_to_the_home(tmp_path):
    (tmp_path / "xref").mkdir()
    (tmp_path / "xref" / "items.csv").write_text("buyer part,our sku\nA-1,SKU-1\n\nA-2,SKU-2,ignored\n")
    write(tmp_path, "acme", "identity: {isa_qualifier: ZZ, isa_id: A}\nxref: {uom: {CA: CS}}\nxref_files: {items: xref/items.csv}\n")
    partners = Partners(tmp_path)
    assert partners.xref(partners.load("acme")) == {"uom": {"CA": "CS"}, "items": {"A-1": "SKU-1", "A-2": "SKU-2"}}


def test_a_bad_xref_file_is_reported_by_line(tmp_path):
    f = tmp_path / "items.csv"
    f.write_text("theirs,ours\nA,1\nB\nA,2\n")
    with pytest.raises(ConfigError) as info:
        load_xref_file(f)
    assert info.value.problems == [f"{f}:3: expected two columns: their value, our value", f"{f}:4: 'A' is mapped twice ('1' and '2')"]


# -- registry ---------------------------------------------------------------------------------------


def profile(isa: str, gs: list[str] | None = None, qualifier: str = "ZZ") -> str:
    gs_line = f", gs_ids: [{', '.join(gs)}]" if gs else ""
    return f"identity: {{isa_qualifier: \"{qualifier}\", isa_id: {isa}{gs_line}}}\n"


def test_registry_lists_loads_and_finds_by_isa_or_gs(tmp_path):
    write(tmp_path, "acme", profile("ACME", ["ACMEGS"]))
    write(tmp_path, "bolt", profile("BOLT", qualifier="01"))
    write(tmp_path, "broken", "identity: {isa_qualifier: TOOLONG}\n")
    (tmp_path / "partners" / "partner.schema.json").write_text("{}")
    partners = Partners(Home(tmp_path, True, None))
    assert partners.ids() == ["acme", "bolt", "broken"]
    good, bad = partners.load_all()
    assert sorted(good) == ["acme", "bolt"] and list(bad) == ["broken"]
    assert partners.find(isa_qualifier="ZZ", isa_id="ACME           ").id == "acme"  # ISA06 comes padded
    assert partners.find(isa_qualifier="ZZ", isa_id="BOLT") is None  # wrong qualifier
    assert partners.find(isa_qualifier="01", isa_id="BOLT").id == "bolt"
    assert partners.find(gs_id="ACMEGS").id == "acme"
    assert partners.find(gs_id="BOLT").id == "bolt"  # no gs_ids: the ISA ID
    assert partners.find(isa_qualifier="ZZ", isa_id="NOBODY") is None
    with pytest.raises(ConfigError) as info:
        partners.load("missing")
    assert "no partner 'missing'" in str(info.value)


def test_partners_sharing_an_isa_id_are_told_apart_by_gs_id(tmp_path):
    write(tmp_path, "east", profile("ACME", ["EAST"]))
    write(tmp_path, "west", profile("ACME", ["WEST"]))
    partners = Partners(tmp_path)
    assert partners.find(isa_qualifier="ZZ", isa_id="ACME", gs_id="WEST").id == "west"
    with pytest.raises(ConfigError, match="fits several partners: east, west"):
        partners.find(isa_qualifier="ZZ", isa_id="ACME")
    assert partners.conflicts(partners.load("east")) == []
    write(tmp_path, "west", profile("ACME", ["WEST", "EAST"]))
    partners.reload()
    assert "partner 'west' (" in partners.conflicts(partners.load("east"))[0]
    assert "west.yaml) has the same ISA ID ZZ/ACME and GS ID EAST" in partners.conflicts(partners.load("east"))[0]


def test_a_sender_whose_profile_does_not_load_is_never_found_as_no_one(tmp_path):
    write(tmp_path, "acme", profile("ACME") + "acks: {send: 998}\n")
    write(tmp_path, "bolt", profile("BOLT"))
    partners = Partners(tmp_path)
    with pytest.raises(ConfigError) as info:
        partners.find(isa_qualifier="ZZ", isa_id="ACME")
    assert info.value.code == "config.profile_invalid" and info.value.partner_id == "acme"
    assert info.value.problems[0].startswith("ISA ZZ/ACME is partner acme's, whose profile does not load: ")
    assert "acme.yaml:2: acks/send: 998 is not one of" in info.value.problems[0]
    assert partners.find(isa_qualifier="ZZ", isa_id="BOLT").id == "bolt"
    assert partners.find(isa_qualifier="ZZ", isa_id="NOBODY") is None  # acme's profile says whom it identifies


def test_a_profile_too_broken_to_say_whom_it_identifies_blocks_only_senders_no_one_else_claims(tmp_path):
    write(tmp_path, "acme", "identity: {isa_qualifier: ZZ, isa_id: ACME\n")  # not YAML
    write(tmp_path, "bolt", profile("BOLT"))
    partners = Partners(tmp_path)
    assert partners.find(isa_qualifier="ZZ", isa_id="BOLT").id == "bolt"
    with pytest.raises(ConfigError) as info:
        partners.find(isa_qualifier="ZZ", isa_id="NOBODY")
    assert info.value.code == "config.profile_invalid"
    assert info.value.problems[0].startswith("ISA ZZ/NOBODY is not a known partner, and partner acme's profile does not load, so it may be theirs: ")


def test_read_profile_keeps_the_source_for_later_checks(tmp_path):
    path = write(tmp_path, "acme", "identity:\n  isa_qualifier: ZZ\n  isa_id: A\n")
    loaded = read_profile(path)
    assert loaded.source.where(("identity", "isa_id")) == f"{path}:3"


# -- the published schema ---------------------------------------------------------------------------


def test_published_schema_matches_the_model():
    assert PUBLISHED.is_file(), "run: python -m gateway.config.partner --write"
    assert PUBLISHED.read_text(encoding="utf-8") == render_schema(), "partners/partner.schema.json is stale: python -m gateway.config.partner --write"


def test_published_schema_validates_profiles_as_editors_do(tmp_path):
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    good = parse_yaml(FULL, "full.yaml").data
    assert list(validator.iter_errors(good)) == []
    bad = dict(good, colour="blue")
    assert [e.validator for e in validator.iter_errors(bad)] == ["additionalProperties"]
    secret_fields = {k for k, v in schema["$defs"]["SftpChannel"]["properties"].items() if v.get("writeOnly")}
    assert secret_fields == {"password", "private_key", "private_key_passphrase"}
    assert PartnerProfile.json_schema()["required"] == ["identity"]


def test_a_duplicate_key_is_reported_without_its_values(tmp_path):
    path = write(tmp_path, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: A}
        channels:
          sftp: {host: h, username: u, password: first-secret, password: second-secret}
        """)
    (problem,) = problems_of(path)
    assert problem == f'{path}:3: not valid YAML: found duplicate key "password"'


def test_the_readme_example_is_a_valid_profile(tmp_path):
    from helpers import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Partner profiles", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    path = tmp_path / "acme-retail.yaml"
    path.write_text(example, encoding="utf-8")
    p = load_profile(path, environ={})
    assert p.documents.receives[0].spec_name("receives") == "acme-retail/850-004010-in"
    assert unsupported(read_profile(path, environ={})) == []  # it shows only what this version honours


def test_partner_id_that_is_a_path_is_refused_by_the_registry_before_any_file_is_read(tmp_path):
    (tmp_path / "outside.yaml").write_text("identity: {isa_qualifier: ZZ, isa_id: OUTSIDE}\n")
    partners = Partners(tmp_path / "home")
    for bad in ("../outside", "../../etc/passwd", "/etc/passwd", "a/b", "acme\n", "", ".hidden", "x" * 65):
        with pytest.raises(ConfigError) as err:
            partners.load(bad)
        assert err.value.code == "config.invalid_request"
        assert err.value.problems == [f"partner ID {bad!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit"]
