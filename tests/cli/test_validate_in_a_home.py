"""``gateway validate`` and ``ack`` in a home give serve's verdict: the sender's validation overlay applies."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, make_home

ORDER = ROOT / "samples" / "x12" / "850-004010-retail-replenishment-order.x12"  # ZZ/ACMERETAIL, BEG02 SA, REF*DP, N402 IL


def gateway(exe: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_HOME"}
    p = subprocess.run([exe, "--home", str(home), *args], capture_output=True, text=True, cwd=home.parent, env=env, timeout=120)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def home_with_acme(tmp_path: Path, validation: str, extra: str = "") -> Path:
    home = make_home(tmp_path / "home")
    (home / "partners").mkdir()
    (home / "partners" / "acme.yaml").write_text(
        "identity: {isa_qualifier: ZZ, isa_id: ACMERETAIL}\ndocuments: {receives: [{set: '850'}]}\n"
        f"validation: {{'850': {validation}}}\n{extra}")
    return home


def order(tmp_path: Path, old: str, new: str) -> Path:
    text = ORDER.read_text(encoding="latin-1")
    assert old in text
    path = tmp_path / f"order-{new.replace('*', '-')}.x12"
    path.write_text(text.replace(old, new), encoding="latin-1")
    return path


@pytest.mark.parametrize("validation, old, new, verdict", [
    ("{codes: {BEG02: [NE]}}", "BEG*00*SA*", "BEG*00*SA*", "rejected"),  # restricted: SA is standard, not theirs
    ("{codes: {REF01: {add: [ZZZ]}}}", "REF*DP*", "REF*ZZZ*", "accepted"),  # a code they add
    ("{relax_codes: [N402]}", "N4*SPRINGFIELD*IL*", "N4*SPRINGFIELD*XX*", "accepted"),  # a list they are let off
])
def test_validate_in_a_home_gives_the_verdict_of_the_senders_overlay_not_the_opposite(gateway_exe, tmp_path, validation, old, new, verdict):
    home = home_with_acme(tmp_path, validation)
    path = order(tmp_path, old, new)
    p = gateway(gateway_exe, home, "validate", str(path))
    assert f"850 0001 (group 1001, version 004010VICS): {verdict}" in p.stdout, p.stdout
    assert p.returncode == (0 if verdict == "accepted" else 1)
    assert p.stderr == f"{path}: note: sender ZZ/ACMERETAIL is partner acme: its validation overlay applies (home/partners/acme.yaml)\n"
    doc = json.loads(gateway(gateway_exe, home, "validate", "--json", str(path)).stdout)
    assert doc["files"][0]["partner"] == "acme" and doc["transactions"][0]["status"] == verdict
    p = gateway(gateway_exe, home, "ack", str(path))
    assert ("AK5*A~" if verdict == "accepted" else "AK5*R*5~") in p.stdout and p.returncode == (0 if verdict == "accepted" else 1)


def test_validate_outside_the_senders_home_or_from_no_known_partner_applies_the_standard_only(gateway_exe, tmp_path):
    path = order(tmp_path, "BEG*00*SA*", "BEG*00*SA*")
    home = home_with_acme(tmp_path, "{codes: {BEG02: [NE]}}")
    (home / "partners" / "acme.yaml").write_text((home / "partners" / "acme.yaml").read_text().replace("ACMERETAIL", "SOMEONEELSE"))
    p = gateway(gateway_exe, home, "validate", str(path))
    assert p.returncode == 0 and "accepted" in p.stdout
    assert p.stderr == f"{path}: note: sender ZZ/ACMERETAIL is no known partner of home: the standard's rules only\n"


def test_ack_in_a_home_answers_as_the_partners_profile_asks(gateway_exe, tmp_path):
    home = home_with_acme(tmp_path, "{}", "acks: {send: none, ta1: always}\n")
    p = gateway(gateway_exe, home, "ack", str(ORDER))
    assert p.returncode == 0 and "TA1*" in p.stdout and "ST*997" not in p.stdout


def test_a_senders_profile_that_does_not_load_is_an_error_for_validate_and_ack(gateway_exe, tmp_path):
    home = home_with_acme(tmp_path, "{}", "acks: {send: 998}\n")
    p = gateway(gateway_exe, home, "validate", str(ORDER))
    assert p.returncode == 1 and "accepted" not in p.stdout
    assert p.stderr.startswith(f"{ORDER}: error: ISA ZZ/ACMERETAIL GS ACMERETAIL is partner acme's, whose profile does not load: "
                               "home/partners/acme.yaml:4: acks/send: 998 is not one of")
    p = gateway(gateway_exe, home, "ack", str(ORDER))
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("gateway: ISA ZZ/ACMERETAIL GS ACMERETAIL is partner acme's, whose profile does not load: ")


def test_an_overlay_that_does_not_fit_the_x12_spec_is_one_error_line(gateway_exe, tmp_path):
    home = home_with_acme(tmp_path, "{require: [N1_LOOP]}")
    p = gateway(gateway_exe, home, "validate", str(ORDER))
    assert p.returncode == 1 and f"{ORDER}: error: partner acme, validation 850: require N1_LOOP fits 4 places" in p.stderr
