"""The distribution as a user gets it: a wheel built from this checkout, installed into a fresh virtual environment
(pip resolving the dependencies from the configured index, as CI does), run from a directory outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT, SAMPLES

pytestmark = pytest.mark.slow


def sh(*args: str | Path, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(the wheel, the fresh venv's bin folder, an environment running from it); prints how long it took."""
    work = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    source = work / "source"  # a clean copy: a build/ left in the checkout by an earlier build would leak into the wheel
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                                                 ".pytest_cache", ".hypothesis"))
    built = sh(sys.executable, "-m", "pip", "wheel", source, "-w", work / "dist", "--no-deps", "-q", cwd=work)
    assert built.returncode == 0, built.stderr
    wheel = next((work / "dist").glob("edi_gateway-*.whl"))
    venv = work / "venv"
    assert sh(sys.executable, "-m", "venv", venv, cwd=work).returncode == 0
    bin_dir = venv / "bin"
    p = sh(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=work)
    assert p.returncode == 0, p.stderr
    print(f"wheel built and installed into a fresh venv in {time.monotonic() - started:.1f} s")
    env = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_HOME", "GATEWAY_STORE_URL", "VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return wheel, bin_dir, env


def test_the_wheel_installs_no_generic_top_level_module(installed):
    wheel, bin_dir, env = installed
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"gateway"}
    p = sh(bin_dir / "python", "-c", "import cli", cwd=wheel.parent, env=env)
    assert p.returncode == 1 and "No module named 'cli'" in p.stderr


def test_demo_and_validate_run_from_the_wheel_outside_the_checkout(installed, tmp_path):
    _, bin_dir, env = installed
    p = sh(bin_dir / "gateway", "demo", tmp_path / "demo", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "6 files received; 9 documents: 8 delivered, 1 quarantined; 5 acknowledgements sent" in p.stdout
    assert any((tmp_path / "demo" / "erp" / "purchase_order").iterdir())
    p = sh(bin_dir / "gateway", "validate", SAMPLES / "850-004010-retail-replenishment-order.x12", cwd=tmp_path, env=env)
    assert p.returncode == 0 and p.stdout.endswith("accepted\n"), p.stdout + p.stderr
    p = sh(bin_dir / "python", "-c", "from gateway.data import DATA_ROOT; print(DATA_ROOT)", cwd=tmp_path, env=env)
    data_root = Path(p.stdout.strip())
    assert data_root.name == "_data" and "site-packages" in data_root.parts
    for shipped in ("mappings/default/850-004010-in.yaml", "canonical/purchase_order.schema.json", "partners/partner.schema.json",
                    "partners/acme-retail.items.csv", "mappings/acme-retail/850-004010-in.yaml", "samples/partners/acme-retail"):
        assert (data_root / shipped).exists(), shipped


def test_outside_a_home_the_installed_gateway_writes_nothing_into_site_packages(installed, tmp_path):
    _, bin_dir, env = installed
    site = next((bin_dir.parent / "lib").glob("python*/site-packages/gateway"))
    before = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)
    p = sh(bin_dir / "gateway", "status", cwd=tmp_path, env=env)
    assert p.returncode == 2 and "not in a gateway home" in p.stderr and "gateway init DIR" in p.stderr
    p = sh(bin_dir / "gateway", "translate", SAMPLES / "850-004010-retail-replenishment-order.x12", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts) == before
    assert list(tmp_path.iterdir()) == []


def test_without_the_postgres_extra_a_postgresql_store_says_what_to_install(installed, tmp_path):
    _, bin_dir, env = installed
    assert sh(bin_dir / "python", "-c", "import psycopg", cwd=tmp_path, env=env).returncode == 1
    assert sh(bin_dir / "gateway", "init", tmp_path / "home", cwd=tmp_path, env=env).returncode == 0
    p = sh(bin_dir / "gateway", "--home", tmp_path / "home", "status", cwd=tmp_path,
           env={**env, "GATEWAY_STORE_URL": "postgresql+psycopg://127.0.0.1:5432/test"})
    assert p.returncode == 1
    assert p.stderr.strip().endswith("PostgreSQL store configured but psycopg is not installed: pip install 'edi-gateway[postgres]'")
    assert len(p.stderr.splitlines()) == 1
