"""Alembic environment of the gateway (accounts, tokens, audit log)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from services.gateway.migrations_target import target_metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = engine_from_config(
            context.config.get_section(context.config.config_ini_section) or {}, prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        connection = engine.connect()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
