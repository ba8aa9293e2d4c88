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
            # 0012: an item that has moved counts one move, one still awaiting its notice none.
            seqs = set(conn.execute(select(Assignment.status == "awaiting_notice", Assignment.status_seq)).all())
            missing = conn.execute(select(func.count()).select_from(Assignment).where(
                Assignment.lead_unit_id != select(AssignmentUnit.unit_id).where(
                    AssignmentUnit.item_id == Assignment.item_id, AssignmentUnit.role == "lead")
                .scalar_subquery())).scalar_one()
        assert missing == 0
        assert seqs <= {(True, 0), (False, 1)} and (False, 1) in seqs
        with engine.connect() as conn:  # 0014: a closed item awaits no report
            awaited = conn.execute(text(
                "SELECT count(*) FROM expected_reports e JOIN assignments a ON a.item_id = e.item_id "
                "WHERE e.status = 'expected' AND a.status IN ('closed', 'archived')")).scalar_one()
        assert awaited == 0
        if kind == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # back on for the service


@pytest.mark.parametrize("kind", KINDS)
def test_ledger_statuses_become_trackings_words(kind: str, tmp_path) -> None:
    """0009 on rows written at the previous head (0008): the ledger's former words become tracking's
    (registered -> awaiting_notice, assigned -> notified; closed and archived stay), every row's seq is
    0 (below any tracking gives), and a downgrade maps back, every open stage after the notice to
    assigned."""
    import datetime as dt
    from contextlib import ExitStack

    import sqlalchemy as sa

    from libs.common.db import make_engine

    def filled(table: sa.Table, given: dict[str, object]) -> dict[str, object]:
        # Every other NOT NULL column gets a value of its type: the test is about `status` alone.
        row = dict(given)
        for col in table.columns:
            if col.name in row or col.nullable or col.server_default is not None:
                continue
            kind_of = col.type
            row[col.name] = (False if isinstance(kind_of, sa.Boolean) else 1 if isinstance(kind_of, sa.Integer)
                             else dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC) if isinstance(kind_of, sa.DateTime)
                             else dt.date(2026, 11, 26) if isinstance(kind_of, sa.Date) else "")
        return row

    former = {"i-registered": "registered", "i-assigned": "assigned", "i-closed": "closed", "i-archived": "archived"}
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp_path}/ledger.db" if kind == "sqlite"
               else stack.enter_context(postgres_database("duban_mig_status")))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrations_dir = ROOT / "services" / "ledger" / "migrations"
        migrations.upgrade(migrations_dir, engine, "0008")
        old = sa.MetaData()
        old.reflect(engine, only=["units", "items"])
        assert "status_seq" not in old.tables["items"].c
        with engine.begin() as conn:
            conn.execute(old.tables["units"].insert(), [filled(old.tables["units"], {"id": "fgj", "name": "区发展和改革局"})])
            conn.execute(old.tables["items"].insert(), [
                filled(old.tables["items"], {"id": item_id, "item_no": f"2026-{n:04d}", "seq": n, "status": status,
                                             "lead_unit_id": "fgj", "import_key": None, "request_id": None})
                for n, (item_id, status) in enumerate(former.items(), start=1)])

        def statuses() -> dict[str, tuple[str, int | None]]:
            with engine.connect() as conn:
                has_seq = any(c["name"] == "status_seq" for c in sa.inspect(conn).get_columns("items"))
                rows = conn.execute(sa.text(f"SELECT id, status, {'status_seq' if has_seq else 'NULL'} FROM items")).all()
            return {r[0]: (r[1], r[2]) for r in rows}

        migrations.upgrade(migrations_dir, engine)
        assert statuses() == {"i-registered": ("awaiting_notice", 0), "i-assigned": ("notified", 0),
                              "i-closed": ("closed", 0), "i-archived": ("archived", 0)}
        with engine.begin() as conn:  # tracking's copy moved on meanwhile
            conn.execute(sa.text("UPDATE items SET status = 'completion_filled', status_seq = 4 WHERE id = 'i-assigned'"))
        migrations.downgrade(migrations_dir, engine, "0008")
        assert statuses() == {"i-registered": ("registered", None), "i-assigned": ("assigned", None),
                              "i-closed": ("closed", None), "i-archived": ("archived", None)}
