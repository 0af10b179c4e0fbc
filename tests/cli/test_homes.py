"""Homes as users meet them: a --home that is not a home, commands run outside any home, a missing PostgreSQL driver.

A home is a directory holding gateway.yaml. Nothing creates one (or a store) unless asked with
``gateway init`` (or ``demo``); outside a home nothing is written into the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, SAMPLES, make_home

ORDER = str(SAMPLES / "850-004010-retail-replenishment-order.x12")
ACME_FIXTURES = ROOT / "mappings" / "acme-retail" / "850-004010-in.fixtures"

# every command but init and demo, with arguments that would otherwise work
COMMANDS = {
    "validate": ["validate", ORDER],
    "ack": ["ack", ORDER],
    "translate": ["translate", ORDER],
    "mapping test": ["mapping", "test", str(ACME_FIXTURES)],
    "partner add": ["partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "ACME"],
    "partner list": ["partner", "list"],
    "partner check": ["partner", "check"],
    "partner show": ["partner", "show", "acme-retail"],
    "serve": ["serve", "--once"],
    "status": ["status"],
    "trace": ["trace", "4500012345"],
    "quarantine list": ["quarantine", "list"],
    "quarantine show": ["quarantine", "show", "1"],
    "quarantine reprocess": ["quarantine", "reprocess", "1"],
    "quarantine discard": ["quarantine", "discard", "1"],
}
# the commands that write (a store, a profile, folders, fixture expectations): they need a home
WRITERS = {
    "init": ["init"],
    "partner add": COMMANDS["partner add"],
    "serve": COMMANDS["serve"],
    "status": COMMANDS["status"],
    "trace": COMMANDS["trace"],
    "quarantine list": COMMANDS["quarantine list"],
    "quarantine reprocess": COMMANDS["quarantine reprocess"],
    "mapping test --update": ["mapping", "test", "--update"],
}


def run(exe: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_HOME", "GATEWAY_STORE_URL")}
    environ.update(env or {})
    p = subprocess.run([exe, *args], capture_output=True, text=True, check=False, cwd=cwd, env=environ, timeout=120)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder of the checkout that is not a tool's (venv, caches, builds), with its mtime and size."""
    skip = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        for name in dirnames + filenames:
            st = (Path(dirpath) / name).lstat()
            out[str(Path(dirpath, name).relative_to(root))] = (st.st_mtime_ns, st.st_size)
    return out


@pytest.fixture(scope="module")
def checkout_before() -> dict[str, tuple[int, int]]:
    assert not (ROOT / "gateway.yaml").exists(), "these tests need a checkout that is not itself a home"
    return tree(ROOT)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_home_option_naming_a_folder_without_gateway_yaml_is_refused(gateway_exe, tmp_path, name):
    plain = tmp_path / "plain"
    plain.mkdir()
    p = run(gateway_exe, "--home", str(plain), *COMMANDS[name], cwd=tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr == f"gateway: {plain} is not a gateway home (has no gateway.yaml): create one with: gateway init {plain}\n"
    assert p.stdout == "" and list(plain.iterdir()) == []


def test_a_home_that_does_not_exist_is_not_created(gateway_exe, tmp_path):
    missing = tmp_path / "missing"
    p = run(gateway_exe, "status", cwd=tmp_path, env={"GATEWAY_HOME": str(missing)})
    assert p.returncode == 2
    assert p.stderr == f"gateway: {missing} is not a gateway home (does not exist): create one with: gateway init {missing}\n"
    assert not missing.exists()
    p = run(gateway_exe, "--home", str(missing), "status", "--help", cwd=tmp_path)  # help needs no home
    assert p.returncode == 0 and "Usage: gateway status" in p.stdout


def test_init_makes_the_home_it_is_given(gateway_exe, tmp_path):
    p = run(gateway_exe, "--home", str(tmp_path / "new"), "init", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "new" / "gateway.yaml").is_file()
    p = run(gateway_exe, "--home", str(tmp_path / "new"), "status", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith("store: sqlite")


@pytest.mark.parametrize("name", list(WRITERS))
def test_outside_a_home_writing_commands_say_how_to_make_one_and_write_nothing_into_the_checkout(gateway_exe, checkout_before, name):
    p = run(gateway_exe, *WRITERS[name], cwd=ROOT)
    assert p.returncode == 2, p.stdout + p.stderr
    if name == "init":
        assert p.stderr == "gateway: init: say where: gateway init DIR (or --home DIR)\n"
    else:
        command = name.removesuffix(" --update")
        assert p.stderr == (f"gateway: {command}: not in a gateway home: give --home DIR (or GATEWAY_HOME=DIR), or run in one; "
                            "create one with: gateway init DIR\n")
    assert tree(ROOT) == checkout_before


def test_reading_commands_need_no_home_and_write_nowhere(gateway_exe, checkout_before, tmp_path):
    for args in (["validate", ORDER], ["ack", ORDER], ["translate", ORDER], ["mapping", "test", "-q", str(ACME_FIXTURES)]):
        p = run(gateway_exe, *args, cwd=tmp_path)
        assert p.returncode == 0, (args, p.stdout + p.stderr)
    p = run(gateway_exe, "partner", "list", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.split()[6] == "acme-retail"
    assert p.stderr.startswith("gateway: note: not in a gateway home: listing the sample partners in ")
    assert list(tmp_path.iterdir()) == []
    assert tree(ROOT) == checkout_before


def test_the_current_directory_is_the_home_when_it_holds_gateway_yaml(gateway_exe, tmp_path):
    home = make_home(tmp_path / "edi")
    p = run(gateway_exe, "partner", "add", "acme", "--isa-qualifier", "ZZ", "--isa-id", "ACME", cwd=home)
    assert p.returncode == 0, p.stderr
    assert (home / "partners" / "acme.yaml").is_file() and (home / "inbound" / "acme").is_dir()
    assert run(gateway_exe, "status", cwd=home).returncode == 0
    assert (home / "store" / "gateway.db").is_file()


def test_a_postgresql_store_without_psycopg_is_one_line_naming_the_extra(tmp_path):
    """The driver is an extra; an install without it that is pointed at PostgreSQL says what to install."""
    home = make_home(tmp_path / "home")
    without_psycopg = "import sys; sys.modules['psycopg'] = None; from gateway.cli import run; run()"
    env = {**os.environ, "GATEWAY_STORE_URL": "postgresql://127.0.0.1:5432/test"}
    env.pop("GATEWAY_HOME", None)
    p = subprocess.run([sys.executable, "-c", without_psycopg, "--home", str(home), "status"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=120)
    assert p.returncode == 1
    assert p.stderr == ("gateway: cannot open the store postgresql://127.0.0.1:5432/test: PostgreSQL store configured but psycopg "
                        "is not installed: pip install 'edi-gateway[postgres]'\n")
