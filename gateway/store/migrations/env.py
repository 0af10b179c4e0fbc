"""Alembic environment: the store runs migrations itself (``Store.open``) on the connection it passes in
``config.attributes["connection"]``; ``alembic -c gateway/store/alembic.ini`` works too with a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from gateway.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=conn.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
