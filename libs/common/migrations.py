"""Every service's Alembic migrations, run one way: from code (start-up in the embedded stack, the Helm
Job) or from the command line (`python -m libs.common.migrations <service> revision|upgrade|...`).

A service owns only `services/<name>/migrations/versions/`; the environment (`libs/common/alembic/`),
the revision template and the models the history must produce (`target_metadata`) are shared. The
shared runtime tables (outbox, processed events) come from `create_runtime_tables` in a new service's
first revision; a later change to them is a helper here that each service's next revision calls.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

ENV_DIR = Path(__file__).with_name("alembic")
SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


def runtime_metadata() -> list[MetaData]:
    """The shared runtime's tables: outbox and processed events, idempotency keys."""
    from libs.common.idempotency import idempotency_metadata
    from libs.common.outbox import runtime_metadata as outbox_metadata

    return [outbox_metadata, idempotency_metadata]


def target_metadata(service: str) -> list[MetaData]:
    """What a service's history must create: its models (`services.<name>.orm.Base`) plus the shared
    runtime tables; a service without the runtime (the gateway keeps no outbox) says what it has in
    its own `migrations_target.py`."""
    try:
        return list(importlib.import_module(f"services.{service}.migrations_target").target_metadata)
    except ModuleNotFoundError as missing:
        if missing.name != f"services.{service}.migrations_target":
            raise
    return [importlib.import_module(f"services.{service}.orm").Base.metadata, *runtime_metadata()]


def alembic_config(migrations_dir: Path, url: str) -> Config:
    """The config for `services/<name>/migrations` (its versions/ folder) against `url`."""
    config = Config()
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("duban_service", migrations_dir.parent.name)
    return config


def upgrade(script_location: Path, engine: Engine, revision: str = "head") -> None:
    _run(command.upgrade, script_location, engine, revision)


def downgrade(script_location: Path, engine: Engine, revision: str) -> None:
    _run(command.downgrade, script_location, engine, revision)


def _run(step: Callable[[Config, str], None], script_location: Path, engine: Engine, revision: str) -> None:
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


def run_env() -> None:
    """The body of the shared env.py: use the caller's connection when given (code path), else open
    one from the configured URL (the command line)."""
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    target = context.config.attributes.get("target_metadata")
    if target is None:
        try:
            target = target_metadata(context.config.get_main_option("duban_service") or "")
        except ModuleNotFoundError:  # a service outside services/ (the base's own test): no autogenerate
            target = None
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = engine_from_config(
            context.config.get_section(context.config.config_ini_section) or {}, prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        connection = engine.connect()
    context.configure(connection=connection, target_metadata=target, render_as_batch=True)
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
            if constraint["column_names"] == ["event_id"] and constraint["name"]:
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
def create_runtime_tables() -> None:
    """The first revision of a new service: the shared runtime tables as the runtime defines them now
    (ledger and tracking reached the same shape through their own revisions 0001-0004, kept as they
    were so databases at those revisions upgrade as before)."""
    from alembic import op

    for metadata in runtime_metadata():
        metadata.create_all(op.get_bind(), checkfirst=True)


def drop_runtime_tables() -> None:
    from alembic import op

    for metadata in reversed(runtime_metadata()):
        metadata.drop_all(op.get_bind(), checkfirst=True)


def main(argv: list[str]) -> int:
    """`python -m libs.common.migrations <service> <alembic command> [args]`, e.g.
    `... tracking revision --autogenerate -m "office urges"` or `... ledger upgrade head`, against
    DUBAN_DATABASE_URL (default: the service's embedded SQLite file)."""
    import os

    if len(argv) < 2 or not (SERVICES_DIR / argv[0] / "migrations" / "versions").is_dir():
        print(main.__doc__, file=sys.stderr)
        return 2
    from alembic.config import CommandLine

    service, rest = argv[0], argv[1:]
    url = os.environ.get("DUBAN_DATABASE_URL") or f"sqlite:///var/{service}.db"
    cli = CommandLine(prog=f"python -m libs.common.migrations {service}")
    options = cli.parser.parse_args(rest)
    cli.run_cmd(alembic_config(SERVICES_DIR / service / "migrations", url), options)
    return 0


def create_idempotency_keys() -> None:
    """Migration step shared by every service: the table of idempotency keys (libs/common/idempotency.py).

    Spelled out here rather than taken from the live Table, so later changes to it need a migration of
    their own and this step keeps creating what it created when it was written.
    """
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=400), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def drop_idempotency_keys() -> None:
    from alembic import op

    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
