"""Every service's Alembic history creates exactly the tables its models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from libs.common.testing import assert_migrations_match_models, postgres_database

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.parent.name for p in ROOT.glob("services/*/migrations_target.py"))


def test_every_service_with_a_database_is_covered() -> None:
    assert {"ledger", "gateway", "tracking"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_schema_matches_models(service: str, kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = importlib.import_module(f"services.{service}.migrations_target").target_metadata
    migrations_dir = ROOT / "services" / service / "migrations"
    if kind == "sqlite":
        assert_migrations_match_models(migrations_dir, target, f"sqlite:///{tmp_path}/{service}.db")
    else:
        with postgres_database(f"duban_mig_{service}") as url:
            assert_migrations_match_models(migrations_dir, target, url)
