"""Onboarding with the commands alone: ``init`` + ``partner add`` + a dropped file + ``serve --once`` delivers,
with nothing edited by hand; what is not for us, or not for production, is refused. Real subprocesses, real homes."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from helpers import ROOT, SAMPLES

# ZZ/ACMERETAIL -> ZZ/WIDGETCO, GS PO ACMERETAIL -> WIDGETCO, ISA15 P, one 850 (PO 4500012345)
SAMPLE_850 = (SAMPLES / "850-004010-retail-replenishment-order.x12").read_text(encoding="latin-1")


def run(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_HOME", "GATEWAY_STORE_URL")}
    p = subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL, timeout=180)
    assert "Traceback" not in p.stdout + p.stderr
    return p


def acme_850(receiver: str = "OURCO", usage: str = "P", gs_receiver: str | None = None) -> str:
    """The sample order from ZZ/ACME to ZZ/``receiver`` (GS03 ``gs_receiver``, default the same), ISA15 ``usage``."""
    text = SAMPLE_850.replace("*ZZ*ACMERETAIL     *ZZ*WIDGETCO       *", f"*ZZ*{'ACME':<15}*ZZ*{receiver:<15}*")
    text = text.replace("GS*PO*ACMERETAIL*WIDGETCO*", f"GS*PO*ACME*{gs_receiver or receiver}*")
    assert text[102] == "P"
    return text[:102] + usage + text[103:]


def onboard(exe: str, tmp_path: Path) -> Path:
    """Exactly the documented commands: a home for ZZ/OURCO and partner acme (ZZ/ACME) sending us 850s."""
    home = tmp_path / "DIR"
    init = run(exe, "init", str(home), "--isa-qualifier", "ZZ", "--isa-id", "OURCO", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    add = run(exe, "--home", str(home), "partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "ACME", "--receives", "850", cwd=tmp_path)
    assert add.returncode == 0, add.stderr
    assert "ready: their files go into DIR/inbound/acme/" in add.stdout and "edit" not in add.stdout, add.stdout
    return home


def serve_once(exe: str, home: Path, name: str, text: str) -> subprocess.CompletedProcess:
    (home / "inbound" / "acme" / name).write_text(text, encoding="latin-1")
    p = run(exe, "--home", str(home), "serve", "--once", cwd=home.parent)
    assert p.returncode == 0, p.stderr
    return p


def quarantine(exe: str, home: Path) -> list[dict]:
    p = run(exe, "--home", str(home), "quarantine", "list", "--json", cwd=home.parent)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def isa(text: str) -> list[str]:
    return text[:106].split("*")


def test_a_partner_onboarded_with_init_and_partner_add_delivers_with_nothing_edited(gateway_exe, tmp_path):
    home = onboard(gateway_exe, tmp_path)
    check = run(gateway_exe, "--home", str(home), "partner", "check", cwd=tmp_path)
    assert (check.returncode, check.stdout) == (0, "acme: ok\n"), check.stdout + check.stderr
    serve_once(gateway_exe, home, "po.x12", acme_850())
    [doc] = [json.loads(p.read_text()) for p in (home / "erp").rglob("*.json")]
    assert doc["document_type"] == "purchase_order" and doc["po_number"] == "4500012345"
    assert doc["correlation"]["partner"] == "acme" and doc["correlation"]["usage"] == "production"
    [ack] = [p.read_text(encoding="latin-1") for p in (home / "outbound" / "acme").glob("ack-*.x12")]
    assert (isa(ack)[5], isa(ack)[6].strip(), isa(ack)[8].strip()) == ("ZZ", "OURCO", "ACME")
    assert "ST*997*" in ack and "GS*FA*OURCO*ACME*" in ack and "AK9*A*1*1*1" in ack
    assert quarantine(gateway_exe, home) == []


def test_the_readme_running_example_works_as_written(gateway_exe, tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Running the gateway", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    home = tmp_path / "edi"
    commands = [line.split("#", 1)[0].strip().replace("~/edi", str(home)) for line in block.strip().splitlines()]
    assert commands[0].startswith("gateway init") and any(" serve" in c for c in commands)
    for words in map(shlex.split, commands):
        if words[0] == "cp":
            shutil.copy(ROOT / words[1], words[2])
            continue
        assert words[0] == "gateway", words
        p = run(gateway_exe, *words[1:], cwd=ROOT)
        assert p.returncode == 0, (words, p.stdout, p.stderr)
    assert len(list((home / "erp").glob("purchase_order-*.json"))) == 2
    [ack] = [p.read_text(encoding="latin-1") for p in (home / "outbound" / "acme-retail").glob("ack-997-*.x12")]
    assert isa(ack)[6].strip() == "WIDGETCO"


def test_an_interchange_for_another_receiver_gets_a_ta1_and_is_quarantined_as_wrong_receiver(gateway_exe, tmp_path):
    home = onboard(gateway_exe, tmp_path)
    serve_once(gateway_exe, home, "po.x12", acme_850(receiver="WIDGETCO"))
    assert list((home / "erp").rglob("*.json")) == []
    [item] = quarantine(gateway_exe, home)
    assert item["code"] == "envelope.wrong_receiver" and "ZZ/WIDGETCO" in item["reason"] and "ZZ/OURCO" in item["reason"]
    [ack] = [p.read_text(encoding="latin-1") for p in (home / "outbound" / "acme").glob("ack-*.x12")]
    assert "TA1*000001001*" in ack and "*R*008~" in ack and "ST*997" not in ack
    assert isa(ack)[6].strip() == "OURCO"


def test_a_test_interchange_to_a_production_profile_is_quarantined_as_usage_mismatch(gateway_exe, tmp_path):
    home = onboard(gateway_exe, tmp_path)
    serve_once(gateway_exe, home, "po.x12", acme_850(usage="T"))
    assert list((home / "erp").rglob("*.json")) == []
    [item] = quarantine(gateway_exe, home)
    assert item["code"] == "envelope.usage_mismatch" and "test interchange (ISA15 T)" in item["reason"]
    assert "usage: both" in item["reason"]


def test_init_without_our_identity_writes_a_placeholder_that_serve_and_partner_check_refuse(gateway_exe, tmp_path):
    home = tmp_path / "DIR"
    init = run(gateway_exe, "init", str(home), cwd=tmp_path)  # stdin is not a terminal: nobody to ask
    assert init.returncode == 0 and "placeholder" in init.stderr
    line = next(i for i, text in enumerate((home / "gateway.yaml").read_text().splitlines(), 1) if "CHANGE-ME" in text and "isa_id" in text)
    serve = run(gateway_exe, "--home", "DIR", "serve", "--once", cwd=tmp_path)
    assert serve.returncode == 1
    assert serve.stderr.startswith(f"gateway: DIR/gateway.yaml:{line}: identity.isa_id is the placeholder CHANGE-ME")
    assert "gateway init DIR --isa-qualifier Q --isa-id ID" in serve.stderr and len(serve.stderr.splitlines()) == 1
    check = run(gateway_exe, "--home", "DIR", "partner", "check", cwd=tmp_path)
    assert check.returncode == 1 and check.stdout.startswith(f"DIR/gateway.yaml:{line}: identity.isa_id is the placeholder")
    fixed = run(gateway_exe, "init", "DIR", "--isa-qualifier", "ZZ", "--isa-id", "OURCO", cwd=tmp_path)
    assert fixed.returncode == 0 and "updated DIR/gateway.yaml" in fixed.stdout and "created" not in fixed.stdout
    assert run(gateway_exe, "--home", "DIR", "serve", "--once", cwd=tmp_path).returncode == 0
    other = run(gateway_exe, "init", "DIR", "--isa-qualifier", "ZZ", "--isa-id", "SOMEONE", cwd=tmp_path)
    assert other.returncode == 1 and "our identity is already ZZ/OURCO" in other.stderr


def test_init_refuses_an_identity_x12_does_not_allow(gateway_exe, tmp_path):
    p = run(gateway_exe, "init", "DIR", "--isa-qualifier", "Z", "--isa-id", "WAY-TOO-LONG-FOR-ISA08", cwd=tmp_path)
    assert p.returncode == 2 and "--isa-qualifier 'Z'" in p.stderr and "--isa-id 'WAY-TOO-LONG-FOR-ISA08'" in p.stderr
    assert not (tmp_path / "DIR").exists()
    p = run(gateway_exe, "init", "DIR", "--isa-id", "OURCO", cwd=tmp_path)
    assert p.returncode == 2 and "missing --isa-qualifier" in p.stderr


def test_a_named_connector_of_an_unknown_type_stops_serve_and_fails_partner_check(gateway_exe, tmp_path):
    home = onboard(gateway_exe, tmp_path)
    cfg = home / "gateway.yaml"
    cfg.write_text(cfg.read_text().replace("    type: folder\n", "    type: foldr\n"))
    line = cfg.read_text().splitlines().index("  erp:") + 1
    serve = run(gateway_exe, "--home", "DIR", "serve", "--once", cwd=tmp_path)
    assert serve.returncode == 1 and f"DIR/gateway.yaml:{line}: connector 'erp': unknown type 'foldr' (known: folder, http, memory)" in serve.stderr
    check = run(gateway_exe, "--home", "DIR", "partner", "check", cwd=tmp_path)
    assert check.returncode == 1 and check.stdout.splitlines()[0] == f"DIR/gateway.yaml:{line}: connector 'erp': unknown type 'foldr' (known: folder, http, memory)"


def test_the_profile_points_at_a_partner_schema_in_the_home_not_into_a_source_checkout(gateway_exe, tmp_path):
    home = onboard(gateway_exe, tmp_path)
    first = (home / "partners" / "acme.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=./partner.schema.json"
    schema = home / "partners" / "partner.schema.json"
    assert json.loads(schema.read_text())["title"] == "Partner profile"
    fresh = schema.read_text()
    schema.write_text("{}")  # an older gateway's schema: init refreshes it
    again = run(gateway_exe, "init", str(home), cwd=tmp_path)
    assert again.returncode == 0 and "updated" in again.stdout and schema.read_text() == fresh


def test_init_on_a_terminal_asks_for_our_identity(gateway_exe, tmp_path):
    import pty
    import select

    home = tmp_path / "DIR"
    pid, fd = pty.fork()
    if pid == 0:  # the child: gateway init with a terminal for stdin and stdout
        try:
            os.execve(gateway_exe, [gateway_exe, "init", str(home)], {k: v for k, v in os.environ.items() if k != "GATEWAY_HOME"})
        finally:
            os._exit(127)  # never back into pytest
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            ready, _, _ = select.select([fd], [], [], 60)
            assert ready, f"no {text!r} after: {seen.decode(errors='replace')}"
            seen += os.read(fd, 4096)

    for prompt, answer in ((b"ISA qualifier", b"\n"), (b"ISA ID", b"OUR CO!\n"), (b"GS application ID", b"OURGS\n")):
        until(prompt)
        os.write(fd, answer)
    until(b"home ready")
    os.waitpid(pid, 0)
    os.close(fd)
    text = (home / "gateway.yaml").read_text()
    assert 'isa_qualifier: "ZZ"\n  isa_id: "OUR CO!"\n  gs_ids: ["OURGS"]' in text and "CHANGE-ME" not in text
