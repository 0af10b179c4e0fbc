"""``gateway partner ...`` as users run it: real subprocesses of the installed command, in a scratch home."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from helpers import make_home

from gateway.config.partner import load_profile


def run(exe: str, *args: str, cwd: Path, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "GATEWAY_HOME" and not k.startswith("ACME_")}
    environ.update(env or {})
    p = subprocess.run([exe, *args], capture_output=True, text=True, check=False, cwd=cwd, env=environ, input=stdin if stdin is not None else "", timeout=120)
    assert "Traceback" not in p.stderr + p.stdout
    return p


@pytest.fixture
def home(tmp_path) -> Path:
    return make_home(tmp_path / "home")


def gw(exe: str, home: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    """The gateway with GATEWAY_HOME=home, run from the home's parent (paths print as home/...)."""
    env = {"GATEWAY_HOME": str(home), **kw.pop("env", {})}
    return run(exe, *args, cwd=home.parent, env=env, **kw)


def write_profile(home: Path, name: str, text: str) -> Path:
    path = home / "partners" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_documented_non_interactive_add(gateway_exe, home):
    p = gw(gateway_exe, home, "partner", "add", "ID", "--isa-qualifier", "ZZ", "--isa-id", "SENDERID", "--receives", "850", "--receives", "810")
    assert p.returncode == 0, p.stderr
    for made in ("home/partners/ID.yaml", "home/mappings/ID/README.md", "home/inbound/ID/", "home/outbound/ID/"):
        assert f"created {made}" in p.stdout
    assert (home / "inbound" / "ID").is_dir() and (home / "outbound" / "ID").is_dir()
    profile = load_profile(home / "partners" / "ID.yaml")
    assert (profile.id, profile.identity.isa_qualifier, profile.identity.isa_id) == ("ID", "ZZ", "SENDERID")
    assert [(e.set, e.version, e.spec_name("receives")) for e in profile.documents.receives] == [
        ("850", "004010", "default/850-004010-in"), ("810", "004010", "default/810-004010-in")]
    assert profile.documents.sends == [] and profile.channels.drop_folder.inbound == "inbound/ID"
    # a home without an erp connector: what is received has nowhere to go until routes are added
    assert "next: add routes for purchase_order, invoice to home/partners/ID.yaml" in p.stdout
    # the only thing check may still miss is a default spec not written yet
    p = gw(gateway_exe, home, "partner", "check", "ID")
    problems = p.stdout.splitlines()[:-1]
    assert all("mapping spec 'default/810-004010-in' not found" in line for line in problems), p.stdout
    assert p.returncode == (1 if problems else 0)


def test_add_with_the_home_option_refuses_documents_to_send(gateway_exe, tmp_path):
    args = ("--home", "work", "partner", "add", "bolt", "--isa-qualifier", "01", "--isa-id", "123456789",
            "--gs-id", "BOLTGS", "--version", "005010", "--name", "Bolt Hardware")
    make_home(tmp_path / "work")
    p = run(gateway_exe, *args, "--sends", "810,856", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr == "gateway: --sends 810,856: not supported by this version (the gateway does not send documents to partners yet)\n"
    assert not (tmp_path / "work" / "partners" / "bolt.yaml").exists()
    p = run(gateway_exe, *args, "--receives", "810", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    profile = load_profile(tmp_path / "work" / "partners" / "bolt.yaml")
    assert profile.name == "Bolt Hardware" and profile.identity.gs_ids == ["BOLTGS"]
    assert [e.spec_name("receives") for e in profile.documents.receives] == ["default/810-005010-in"]


def test_add_asks_interactively_through_stdin(gateway_exe, home):
    answers = "\n".join(["Acme Retail", "", "ACMEISA", "ACMEGS", "", "850", "855,810", "", "sftp", "drop_folder"]) + "\n"
    p = gw(gateway_exe, home, "partner", "add", "acme", "--interactive", stdin=answers)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ISA ID (ISA06)" in p.stdout and "created home/partners/acme.yaml" in p.stdout
    # documents to send and a channel this version does not serve are asked for again
    assert "--sends 855,810: not supported by this version" in p.stdout + p.stderr
    assert "--channel 'sftp': one of drop_folder, none" in p.stdout + p.stderr
    profile = load_profile(home / "partners" / "acme.yaml")
    assert (profile.name, profile.identity.isa_qualifier, profile.identity.isa_id, profile.identity.gs_ids) == ("Acme Retail", "ZZ", "ACMEISA", ["ACMEGS"])
    assert [e.set for e in profile.documents.receives] == ["850"] and profile.documents.sends == []
    assert profile.channels.names() == ["drop_folder"]


def test_interactive_add_asks_again_after_a_bad_answer(gateway_exe, home):
    answers = "\n".join(["", "Z", "ZZ", "WAY-TOO-LONG-ISA-ID", "ACME", "", "", "", "", "none"]) + "\n"
    p = gw(gateway_exe, home, "partner", "add", "acme", "-i", stdin=answers)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "--isa-qualifier 'Z'" in p.stdout + p.stderr and "--isa-id 'WAY-TOO-LONG-ISA-ID'" in p.stdout + p.stderr
    assert load_profile(home / "partners" / "acme.yaml").identity.isa_id == "ACME"


def test_add_without_ids_and_no_terminal_says_what_is_missing(gateway_exe, home):
    p = gw(gateway_exe, home, "partner", "add", "acme", "--receives", "850")
    assert p.returncode == 2 and "missing --isa-qualifier and --isa-id (or use --interactive)" in p.stderr
    assert not (home / "partners").exists()


def test_add_refuses_an_existing_partner_and_bad_flags(gateway_exe, home):
    args = ("partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "A")
    assert gw(gateway_exe, home, *args).returncode == 0
    p = gw(gateway_exe, home, *args)
    assert p.returncode == 1 and p.stderr == "gateway: partner 'acme' already exists (home/partners/acme.yaml)\n"
    p = gw(gateway_exe, home, "partner", "add", "ACME", "--isa-qualifier", "ZZ", "--isa-id", "A")
    assert p.returncode == 1 and "partner 'acme' already exists" in p.stderr  # IDs differing only in case are one
    p = gw(gateway_exe, home, "partner", "add", "bolt", "--isa-qualifier", "ZZZ", "--isa-id", "B", "--receives", "85")
    assert p.returncode == 2
    assert p.stderr.splitlines() == ["gateway: --isa-qualifier 'ZZZ': two letters or digits, e.g. ZZ, 01, 12",
                                     "gateway: --receives '85': an X12 transaction set ID such as 850"]


def test_list_shows_partners_and_flags_broken_ones(gateway_exe, home):
    p = gw(gateway_exe, home, "partner", "list")
    assert p.returncode == 0 and p.stdout == "no partners in home/partners\n"
    gw(gateway_exe, home, "partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "ACME", "--receives", "850,810")
    p = gw(gateway_exe, home, "partner", "list")
    assert p.returncode == 0
    header, row = p.stdout.splitlines()
    assert header.split() == ["id", "name", "isa", "receives", "sends", "channels"]
    assert row.split() == ["acme", "acme", "ZZ/ACME", "850/004010,810/004010", "-", "drop_folder"]
    write_profile(home, "broken", "identity: {isa_id: X, isa_qualifier: TOOLONG}\n")
    p = gw(gateway_exe, home, "partner", "list")
    assert p.returncode == 1 and "broken  INVALID: 1 problem (gateway partner check broken)" in p.stdout
    rows = json.loads(gw(gateway_exe, home, "partner", "list", "--json").stdout)
    assert [(r["id"], r["ok"]) for r in rows] == [("acme", True), ("broken", False)]
    assert rows[1]["problems"] == ["home/partners/broken.yaml:1: identity/isa_qualifier: 'TOOLONG' does not match '^[0-9A-Z]{2}$'"]


def test_check_passes_a_fresh_partner_using_an_existing_default_spec(gateway_exe, home):
    gw(gateway_exe, home, "partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "ACME", "--receives", "850")
    p = gw(gateway_exe, home, "partner", "check", "acme")
    assert (p.returncode, p.stdout) == (0, "acme: ok\n"), p.stdout


def test_check_prints_each_problem_with_file_and_line(gateway_exe, home):
    write_profile(home, "acme", """\
        identity:
          isa_qualifier: ZZ
          isa_id: ACME
        documents:
          receives:
            - {set: "850", spec: default/850-004010-in}
            - {set: "855", version: "005010", spec: nobody/855-005010-in}
        validation:
          "850": {require: [BEG99]}
        channels:
          drop_folder: {inbound: inbound/acme}
        """)
    p = gw(gateway_exe, home, "partner", "check", "acme")
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        ("home/partners/acme.yaml:7: mapping spec 'nobody/855-005010-in' not found (no nobody/855-005010-in.yaml under home/mappings, "
         f"{Path(__file__).resolve().parents[2] / 'mappings'})"),
        "home/partners/acme.yaml:9: BEG99 is not a segment, loop or element of the X12 850 004010 spec",
        "home/partners/acme.yaml:11: inbound folder 'inbound/acme' does not exist (home/inbound/acme)",
        "acme: 3 problems",
    ]


def test_check_rejects_unknown_keys_and_checks_every_partner_without_an_id(gateway_exe, home):
    write_profile(home, "acme", "identity: {isa_qualifier: ZZ, isa_id: ACME}\nchanels: {}\n")
    write_profile(home, "bolt", "identity: {isa_qualifier: ZZ, isa_id: BOLT}\n")
    p = gw(gateway_exe, home, "partner", "check")
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        ("home/partners/acme.yaml:2: unknown key 'chanels' (allowed: acks, channels, description, documents, id, identity, routes, "
         "tables, usage, validation, xref, xref_files)"),
        "acme: 1 problem",
        "bolt: ok",
    ]
    p = gw(gateway_exe, home, "partner", "check", "nobody")
    assert p.returncode == 1 and p.stdout.startswith("no partner 'nobody' (home/partners/nobody.yaml does not exist)")


SECRETS = """\
    identity: {isa_qualifier: ZZ, isa_id: "${ACME_ISA_ID}"}
    channels:
      sftp:
        host: sftp.acme.example
        username: ourco
        password: "${ACME_SFTP_PASSWORD}"
        private_key: "-----BEGIN OPENSSH PRIVATE KEY----- inline-key-material"
      api: {api_key: "${ACME_API_KEY:-default-api-key}"}
    """


def test_env_references_and_masked_secrets(gateway_exe, home):
    write_profile(home, "acme", SECRETS)
    p = gw(gateway_exe, home, "partner", "check", "acme")
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        "home/partners/acme.yaml:1: environment variable ACME_ISA_ID is not set",
        "home/partners/acme.yaml:6: environment variable ACME_SFTP_PASSWORD is not set",
        "acme: 2 problems",
    ]
    env = {"ACME_ISA_ID": "ACME-FROM-ENV", "ACME_SFTP_PASSWORD": "hunter2"}
    p = gw(gateway_exe, home, "partner", "check", "acme", env=env)
    assert p.returncode == 1
    assert p.stdout.splitlines() == [  # the profile loads; its channels are refused, and no secret is shown
        "home/partners/acme.yaml:3: channel sftp is not served by this version (gateway serve reads drop folders only); remove it and use drop_folder",
        "home/partners/acme.yaml:8: channel api is not served by this version (gateway serve reads drop folders only); remove it and use drop_folder",
        "acme: 2 problems",
    ]
    p = gw(gateway_exe, home, "partner", "show", "acme", env=env)
    assert p.returncode == 0
    assert "isa_id: ACME-FROM-ENV" in p.stdout
    for secret in ("hunter2", "inline-key-material", "default-api-key"):
        assert secret not in p.stdout + p.stderr
    shown = json.loads(gw(gateway_exe, home, "partner", "show", "acme", "--json", env=env).stdout)
    assert shown["channels"]["sftp"]["password"] == shown["channels"]["api"]["api_key"] == "********"


def test_a_secret_of_the_wrong_type_is_not_echoed(gateway_exe, home):
    write_profile(home, "acme", "identity: {isa_qualifier: ZZ, isa_id: A}\nchannels:\n  sftp: {host: h, username: u, password: 31415926}\n")
    p = gw(gateway_exe, home, "partner", "show", "acme")
    assert p.returncode == 1 and "31415926" not in p.stdout + p.stderr
    assert p.stderr == "gateway: home/partners/acme.yaml:3: channels/sftp/password: ******** is not of type 'string'\n"


def test_home_must_be_a_directory(gateway_exe, tmp_path):
    (tmp_path / "afile").write_text("")
    p = run(gateway_exe, "--home", "afile", "partner", "list", cwd=tmp_path)
    assert p.returncode == 2 and "afile" in p.stderr


def test_the_sample_partners_check_clean(gateway_exe):
    root = Path(__file__).resolve().parents[2]
    p = run(gateway_exe, "partner", "check", cwd=root)
    assert (p.returncode, p.stdout) == (0, "acme-retail: ok\ncorner-hardware: ok\nwidget-supply: ok\n"), p.stdout + p.stderr


def test_check_reports_what_would_fail_at_run_time_each_with_file_and_line(gateway_exe, home):
    spec = home / "mappings" / "acme" / "850-004010-in.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text("extends: default/850-004010-in\ndocument: purchase_order\ndirection: inbound\nfields:\n"
                    "  vendorr_number: 'REF[REF01=VR]/REF02'\n  department: XYZ02\n")
    write_profile(home, "acme", """\
        identity: {isa_qualifier: ZZ, isa_id: ACME}
        documents:
          receives: [{set: "850", spec: acme/850-004010-in}]
        acks: {send: "997", overdue_hours: 24}
        channels:
          as2: {as2_id: ACME}
        routes:
          - {document: purchase_order, connector: folder}
        tables:
          uom: {CA: case}
        """)
    p = gw(gateway_exe, home, "partner", "check", "acme")
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        "home/partners/acme.yaml:6: channel as2 is not served by this version (gateway serve reads drop folders only); remove it and use drop_folder",
        "home/partners/acme.yaml:4: acks.overdue_hours: not supported by this version (acknowledgements are not tracked as overdue; remove it)",
        "home/mappings/acme/850-004010-in.yaml:5: 'vendorr_number' is not a field of the canonical purchase_order here (did you mean 'vendor_number'?)",
        "home/mappings/acme/850-004010-in.yaml:6: path 'XYZ02': XYZ is not a segment or loop of the X12 850 004010 spec",
        "home/partners/acme.yaml:10: table 'uom' is not used by any rule of the mapping specs this partner uses",
        "home/partners/acme.yaml:8: connector 'folder': missing required key 'path'",
        "acme: 6 problems",
    ]
