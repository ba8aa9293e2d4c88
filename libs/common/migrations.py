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
    _run(command.upgrade, script_location, engine, revision)


def downgrade(script_location: Path, engine: Engine, revision: str) -> None:
    _run(command.downgrade, script_location, engine, revision)


def _run(step, script_location: Path, engine: Engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config(script_location, engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations rebuild a SQLite table (copy, drop the old one, rename). With foreign keys
            # on, dropping the old table cascades: every row referencing it would be deleted. SQLite
            # ignores this pragma inside a transaction, so it is set before the migration's one begins,
            # and the references are checked once the migration is done.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration to {revision} broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


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


def drop_outbox_event_id_unique() -> None:
    """Migration step shared by every service: the outbox's event ids lose their unique constraint.

    The ids are random UUIDs and consumers dedupe on them, so the constraint guarded nothing, while its
    index (random keys) made every outbox insert a random B-tree write: a third of the sweep's write
    time for ~77k events. SQLite can only drop a constraint by rebuilding the table; the naming
    convention gives its unnamed constraint a name to drop (Alembic's documented batch recipe).
    """
    from alembic import op
    from sqlalchemy import inspect, text

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for constraint in inspect(bind).get_unique_constraints("outbox"):
            if constraint["column_names"] == ["event_id"]:
                op.drop_constraint(constraint["name"], "outbox", type_="unique")
        return
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table(
        "outbox", recreate="always", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch:
        batch.drop_constraint("uq_outbox_event_id", type_="unique")
    op.create_index("ix_outbox_pending", "outbox", ["seq"], sqlite_where=text("sent_at IS NULL"))


def restore_outbox_event_id_unique() -> None:
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.create_unique_constraint("uq_outbox_event_id", ["event_id"])


def create_reconcile_checkpoints() -> None:
    """Migration step shared by every service: where its reconcilers keep how far they checked."""
    import sqlalchemy as sa
    from alembic import op

    from libs.common.sqltypes import UtcDateTime

    op.create_table(
        "reconcile_checkpoints",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("checked_seq", sa.Integer(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "source", name="pk_reconcile_checkpoints"),
    )


def drop_reconcile_checkpoints() -> None:
    from alembic import op

    op.drop_table("reconcile_checkpoints")
