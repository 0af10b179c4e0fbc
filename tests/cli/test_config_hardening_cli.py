"""Hostile configuration as users meet it: real processes over a real home, one bad profile among good ones."""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

import pytest
from serve_helpers import ACME, ACME_SAMPLE, drop, edit_profile, gateway_env, make_home

CASES = Path(__file__).resolve().parents[1] / "unit" / "config" / "cases"
MEMORY_CAP = 1024 * 1024 * 1024  # address space per process: the billion-laughs profile took 9.7 GB


def capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def gw(exe: str, home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([exe, "--home", str(home), *args], capture_output=True, text=True, env=gateway_env(), timeout=timeout,
                          preexec_fn=capped, cwd=home.parent, check=False)
    assert "Traceback" not in done.stdout + done.stderr and "MemoryError" not in done.stderr
    return done


@pytest.fixture
def home(tmp_path) -> Path:
    return make_home(tmp_path / "home")


@pytest.fixture
def laughs(home) -> Path:
    """The sample partners and one profile that is a billion-laughs document."""
    shutil.copyfile(CASES / "billion-laughs.yaml", home / "partners" / "laughs.yaml")
    return home


def test_billion_laughs_profile_is_one_invalid_line_in_partner_list(gateway_exe, laughs):
    done = gw(gateway_exe, laughs, "partner", "list")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("acme-retail ") and "ZZ/ACMERETAIL" in line for line in lines), done.stdout
    assert len(lines) == 5  # the header, three sample partners, the bad one
    assert [line.split() for line in lines if line.startswith("laughs")] == [
        ["laughs", "INVALID:", "1", "problem", "(gateway", "partner", "check", "laughs)"]]


@pytest.mark.parametrize("command", [("partner", "check", "laughs"), ("partner", "show", "laughs"), ("partner", "check")])
def test_billion_laughs_profile_is_reported_at_its_line_by_check_and_show(gateway_exe, laughs, command):
    done = gw(gateway_exe, laughs, *command)
    assert done.returncode == 1
    assert "home/partners/laughs.yaml:8: with its aliases (*name) expanded, the document holds more than 100,000 values" in (
        done.stdout + done.stderr)
    if command == ("partner", "check"):
        assert "acme-retail: ok" in done.stdout


def test_billion_laughs_profile_does_not_stop_serve_from_serving_the_others(gateway_exe, laughs):
    drop(laughs, "po.x12", ACME_SAMPLE.read_bytes(), ACME)
    done = gw(gateway_exe, laughs, "serve", "--once")
    assert "partner laughs is not served" in done.stderr and "laughs.yaml:8: with its aliases" in done.stderr
    assert len(list((laughs / "erp" / "purchase_order").glob("*.json"))) == 2, done.stderr
    assert done.returncode == 1 and "1 partner(s) not served, their files wait: laughs" in done.stderr


def test_a_50_mb_profile_is_refused_by_its_size_at_once(gateway_exe, home):
    with open(home / "partners" / "huge.yaml", "wb") as f:
        f.truncate(50 * 1024 * 1024)
    done = gw(gateway_exe, home, "partner", "check", "huge", timeout=30)
    assert done.returncode == 1
    assert "home/partners/huge.yaml:1: 52,428,800 bytes: a YAML configuration file may hold at most 1 MiB" in done.stdout


# -- partner IDs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("partner", "show", "../../outside"),
    ("partner", "check", "../../outside"),
    ("partner", "check", "acme-retail", "../outside"),
    ("translate", "--partner", "../../outside", str(ACME_SAMPLE)),
    ("quarantine", "list", "--partner", "../../outside"),
    ("partner", "add", "../../outside", "--isa-qualifier", "ZZ", "--isa-id", "OUTSIDE"),
], ids=["show", "check", "check-several", "translate", "quarantine-list", "add"])
def test_partner_id_that_is_a_path_is_refused_with_exit_2_and_nothing_outside_partners_is_read(gateway_exe, home, args):
    outside = "identity: {name: OUTSIDE-THE-PARTNERS-FOLDER, isa_qualifier: ZZ, isa_id: OUTSIDE}\n"
    for path in (home.parent / "outside.yaml", home / "outside.yaml"):  # partners/../../outside.yaml and partners/../outside.yaml
        path.write_text(outside)
    done = gw(gateway_exe, home, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    bad = next(a for a in args if a.startswith(".."))
    assert f"partner ID {bad!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit" in done.stderr
    assert "OUTSIDE-THE-PARTNERS-FOLDER" not in done.stdout + done.stderr and "acme-retail: ok" not in done.stdout
    assert (home.parent / "outside.yaml").read_text() == outside and not (home.parent / "outside").exists()  # add wrote nothing


def test_a_profile_whose_file_name_is_no_partner_id_is_listed_as_invalid_naming_the_file(gateway_exe, home):
    shutil.copyfile(home / "partners" / "acme-retail.yaml", home / "partners" / "acme retail.yaml")
    done = gw(gateway_exe, home, "partner", "check")
    assert done.returncode == 1
    assert ("home/partners/acme retail.yaml: the file name is not a partner ID: partner ID 'acme retail': use 1-64 letters, digits, "
            "'-' or '_', starting with a letter or digit; rename the file") in done.stdout
    assert "acme-retail: ok" in done.stdout


# -- folders outside the home --------------------------------------------------------------------------


def test_a_drop_folder_outside_the_home_is_not_served_until_gateway_yaml_allows_its_root(gateway_exe, home, tmp_path):
    """``inbound: /etc`` had serve move every file of /etc into its archive and store; a folder outside the home stands in."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    edit_profile(home, ACME, lambda data: data["channels"]["drop_folder"].update(inbound=str(outside)))

    check = gw(gateway_exe, home, "partner", "check", ACME)
    assert check.returncode == 1
    assert f"channels.drop_folder.inbound '{outside}' is outside the home ({home})" in check.stdout

    served = gw(gateway_exe, home, "serve", "--once")
    assert served.returncode == 1 and f"partner {ACME} is not served" in served.stderr
    assert (outside / "passwd").is_file() and not list((home / "archive").rglob("passwd"))  # left where it was
    assert "0 files received" in served.stderr

    config = home / "gateway.yaml"
    config.write_text(config.read_text() + f"allowed_roots: [{outside}]\n")
    assert gw(gateway_exe, home, "partner", "check", ACME).returncode == 0
    shutil.copyfile(ACME_SAMPLE, outside / "po.x12")
    served = gw(gateway_exe, home, "serve", "--once")
    assert len(list((home / "erp" / "purchase_order").glob("*.json"))) == 2, served.stderr


# -- type confusions ------------------------------------------------------------------------------------


def test_a_list_in_a_specs_extends_is_a_file_line_error_for_translate_and_check_not_exit_70(gateway_exe, home):
    spec = home / "mappings" / "acme-retail" / "850-004010-in.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text("document: purchase_order\ndirection: inbound\nextends: [default/850-004010-in, default/850-005010-in]\n")
    expected = "home/mappings/acme-retail/850-004010-in.yaml:3: extends names one mapping spec (owner/name, e.g. default/850-004010-in), not a list"
    done = gw(gateway_exe, home, "translate", "--spec", "acme-retail/850-004010-in", str(ACME_SAMPLE))
    assert done.returncode == 1 and expected in done.stderr, done.stderr
    done = gw(gateway_exe, home, "partner", "check", ACME)
    assert done.returncode == 1 and expected in done.stdout, done.stdout


@pytest.mark.parametrize("content, problem", [
    (b"", "the profile is empty"),
    (b"- acme\n", "a partner profile is a YAML mapping (key: value), not a list"),
    (b"acme\n", "a partner profile is a YAML mapping (key: value), not a string"),
    (b"identity: {isa_qualifier: ZZ, isa_id: ACME, name: Caf\xe9}\n", "not UTF-8 text (byte 0xe9 at column 54); save the file as UTF-8"),
], ids=["empty", "list", "scalar", "not-utf8"])
def test_a_profile_that_is_not_a_mapping_is_one_file_line_problem_in_list_and_check(gateway_exe, home, content, problem):
    (home / "partners" / "odd.yaml").write_bytes(content)
    done = gw(gateway_exe, home, "partner", "check", "odd")
    assert done.returncode == 1 and f"home/partners/odd.yaml:1: {problem}" in done.stdout
    listed = gw(gateway_exe, home, "partner", "list")
    assert listed.returncode == 1 and "INVALID: 1 problem (gateway partner check odd)" in listed.stdout and "acme-retail " in listed.stdout
