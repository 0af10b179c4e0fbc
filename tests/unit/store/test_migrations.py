"""The Alembic migrations build exactly the tables ``gateway/store/schema.py`` describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from gateway.store import Store
from gateway.store.engine import current_revision, head_revision
from gateway.store.schema import metadata


def test_a_new_store_is_migrated_to_the_newest_revision(store_url):
    store = Store.open(store_url)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def test_migrated_schema_matches_the_table_definitions(store_url):
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"schema.py and the migrations drifted: {diff}"
    finally:
        store.close()


def test_head_constant_is_alembics_head():
    from gateway.store.engine import HEAD

    assert HEAD == head_revision(), "a new migration was added: set gateway.store.engine.HEAD to its revision"


def test_opening_again_does_not_migrate_twice(sqlite_url):
    Store.open(sqlite_url).close()
    store = Store.open(sqlite_url)  # a second open finds the store at head and leaves it alone
    try:
        assert current_revision(store.engine) == head_revision()
        assert store.status()["receipts"]["received"] == 0
    finally:
        store.close()
