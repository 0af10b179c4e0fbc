"""Opening a store: the SQLAlchemy engine for a URL, tuned per database, and its migrations.

SQLite (the embedded default, ``DIR/store/gateway.db``) runs in WAL mode with
``synchronous=FULL`` (a commit survives a power cut, not only a crash) and every
transaction starts with ``BEGIN IMMEDIATE``: SQLite has one writer, and taking the
write lock up front turns a claim race between processes into a short wait instead
of a "database is locked" failure halfway through. PostgreSQL (``postgresql+psycopg://``)
is used as is; claims there use ``FOR UPDATE SKIP LOCKED`` (see ``work_queue.py``).

Migrations run when a store is opened, under a lock (a file lock for SQLite, an
advisory lock for PostgreSQL) so that several workers starting together migrate once.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError
from ..masking import mask_url, mask_urls

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0002"  # the newest migration (a test checks it is Alembic's head): a store at HEAD opens without importing Alembic
_PG_LOCK = 7_330_850  # advisory lock id for migrations


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).absolute()}"


def make_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi, _record) -> None:
            dbapi.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("gateway_read") else "BEGIN IMMEDIATE")

        return engine
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    try:
        return create_engine(u, pool_pre_ping=True)
    except ImportError as exc:  # the driver is an extra: SQLite-only installs do without it
        if u.get_backend_name() == "postgresql" and u.get_driver_name() == "psycopg":
            raise StoreError("PostgreSQL store configured but psycopg is not installed: pip install 'edi-gateway[postgres]'") from None
        raise StoreError(f"store {shown_url(u)}: its database driver is not installed ({mask_urls(str(exc))})") from None


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, lock_dir: Path | None = None) -> None:
    """Upgrade the store to the newest schema (a no-op when it is there)."""
    try:
        with _migration_lock(engine, lock_dir):
            if current_revision(engine) == HEAD:
                return
            from alembic import command

            cfg = alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store at {shown_url(engine.url)}: {exc.__class__.__name__}: {mask_urls(_first_line(exc))}") from exc


@contextmanager
def _migration_lock(engine: Engine, lock_dir: Path | None):
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        path = (lock_dir or (Path(db).parent if db and db != ":memory:" else Path("."))) / ".migrate.lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
    else:
        yield


def shown_url(url: str | URL) -> str:
    """A store URL as it may be printed (status, logs, errors): every URL goes through ``gateway.masking.mask_url``,
    which masks the password of ``user:password@`` and credential query parameters such as ``?password=``."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    return mask_url(text)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
