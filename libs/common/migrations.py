"""Running a service's Alembic migrations from code (start-up in the embedded stack, the Helm Job)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, engine: Engine, revision: str = "head") -> None:
    config = alembic_config(script_location, engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def run_env(target_metadata: list) -> None:  # type: ignore[type-arg]
    """The body of every service's migrations/env.py: use the caller's connection when given (code
    path), else open one from the configured URL (the alembic command line)."""
    from alembic import context
    from sqlalchemy import engine_from_config, pool

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
