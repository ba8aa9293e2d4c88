"""The Alembic history creates exactly the tables the models describe (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from libs.common import migrations
from libs.common.db import make_engine
from libs.common.testing import postgres_database
from services.ledger.bootstrap import MIGRATIONS
from services.ledger.migrations_target import target_metadata


def _assert_no_drift(url: str) -> None:
    engine = make_engine(url)
    migrations.upgrade(MIGRATIONS, engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), target_metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_schema_matches_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _assert_no_drift(f"sqlite:///{tmp_path}/m.db")


def test_postgres_schema_matches_models() -> None:
    with postgres_database("duban_migrations") as url:
        _assert_no_drift(url)
