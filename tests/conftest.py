"""Shared fixtures: where the samples, the shared corpus and the oracle live."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from helpers import CORPUS, ORACLE_MAPS


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def oracle_maps() -> Path:
    if not ORACLE_MAPS.is_dir():
        pytest.skip(f"pyx12 oracle maps not present at {ORACLE_MAPS}")
    return ORACLE_MAPS


@pytest.fixture(scope="session")
def gateway_exe() -> str:
    exe = shutil.which("gateway")
    if exe is None:
        pytest.fail("the gateway console script is not installed (pip install -e .)")
    return exe


# -- message stores: SQLite files and PostgreSQL schemas -------------------------------------------

PG_BASE = os.environ.get("GATEWAY_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_BASE)
        with engine.connect() as c:
            c.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_available() -> None:
    why = _pg_reachable()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_BASE} is required in CI: {why}")
        pytest.skip(f"PostgreSQL at {PG_BASE} is not reachable: {why}")


@pytest.fixture
def pg_url(pg_available) -> str:
    """A PostgreSQL store URL of its own: a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"gw_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_BASE)
    with engine.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with engine.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'gateway.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str:
    """The same test on both databases."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
