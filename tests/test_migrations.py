"""Every service's Alembic history creates exactly the tables its models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.common import migrations
from libs.common.testing import assert_migrations_match_models, postgres_database

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.parent.parent.name for p in ROOT.glob("services/*/migrations/versions"))
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def test_every_service_with_a_database_is_covered() -> None:
    assert {"ledger", "gateway", "tracking"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("kind", KINDS)
def test_schema_matches_models(service: str, kind: str, tmp_path) -> None:
    target = migrations.target_metadata(service)
    migrations_dir = ROOT / "services" / service / "migrations"
    if kind == "sqlite":
        assert_migrations_match_models(migrations_dir, target, f"sqlite:///{tmp_path}/{service}.db")
    else:
        with postgres_database(f"duban_mig_{service}") as url:
            assert_migrations_match_models(migrations_dir, target, url)


# About ten seconds on PostgreSQL (with its teardown), a fraction of one on SQLite.
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])])
def test_tracking_rows_survive_downgrade_and_upgrade(kind: str, tmp_path) -> None:
    """Table rebuilds on SQLite must not cascade-delete referencing rows (they did once: 0006 on a
    database with foreign keys on emptied expected_reports); the lead unit is backfilled."""
    import datetime as dt
    from contextlib import ExitStack

    from sqlalchemy import func, select, text

    from bench import tracking_fixture
    from libs.common import migrations
    from libs.common.db import make_engine
    from services.tracking.orm import Assignment, AssignmentUnit, Base

    with ExitStack() as stack:
        url = (f"sqlite:///{tmp_path}/tracking.db" if kind == "sqlite"
               else stack.enter_context(postgres_database("duban_mig_rows")))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        tracking_fixture.load(engine, 40, dt.date(2026, 11, 26))
        tables = [t.name for t in Base.metadata.sorted_tables]

        def counts() -> dict[str, int]:
            with engine.connect() as conn:
                return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

        before = counts()
        assert before["assignments"] == 40 and before["expected_reports"] > 0 and before["assignment_units"] >= 40
        migrations_dir = ROOT / "services" / "tracking" / "migrations"
        migrations.downgrade(migrations_dir, engine, "0003")
        migrations.upgrade(migrations_dir, engine)
        assert counts() == before
        with engine.connect() as conn:
            missing = conn.execute(select(func.count()).select_from(Assignment).where(
                Assignment.lead_unit_id != select(AssignmentUnit.unit_id).where(
                    AssignmentUnit.item_id == Assignment.item_id, AssignmentUnit.role == "lead")
                .scalar_subquery())).scalar_one()
        assert missing == 0
        if kind == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # back on for the service
