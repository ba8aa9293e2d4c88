"""Session-wide fixtures: the PostgreSQL server (the configured one, or a private one started here), one
broker with its log in a throwaway database on it, and one S3-compatible server (started only if a test
asks for it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.common import pgserver, testing
from libs.common.broker import Broker
from libs.common.broker_log import durable_broker
from libs.common.testing import postgres_database, s3_server

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def pg_admin_url() -> Iterator[str]:
    """Every throwaway database of the session is made on this server (postgres_database uses it)."""
    env = dict(os.environ)
    if configured := env.get("DUBAN_TEST_PG_ADMIN_URL"):
        env[pgserver.ADMIN_URL_VARIABLE] = configured
    with pgserver.admin_server(ROOT / "var" / "test", env) as url:
        testing.PG_ADMIN_URL = url
        yield url


@pytest.fixture(scope="session")
def broker(pg_admin_url: str, tmp_path_factory) -> Iterator[Broker]:
    with durable_broker(pg_admin_url, tmp_path_factory.mktemp("broker")) as b:
        yield b


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    with s3_server(str(tmp_path_factory.mktemp("s3") / "s3.log")) as endpoint:
        yield endpoint


# Where the whole stack runs (as processes, on PostgreSQL): every test there is marked so.
STACK_DIRS = ("tests/stack/", "tests/browser/")


def marker_problems(items: list[pytest.Item]) -> list[str]:
    """Tests whose markers don't say what they need: a test in STACK_DIRS or using the `stack` fixture
    must be marked `stack` and `postgres`; a test run with a "postgres" parameter must be marked `postgres`
    (a fixture's `pytest.param("postgres", marks=pytest.mark.postgres)` does it)."""
    problems = []
    for item in items:
        marked = {marker.name for marker in item.iter_markers()}
        wanted = set()
        path = item.path.relative_to(item.config.rootpath).as_posix()
        if path.startswith(STACK_DIRS) or "stack" in getattr(item, "fixturenames", ()):
            wanted |= {"stack", "postgres"}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in list(callspec.params.values()):
            wanted.add("postgres")
        if wanted - marked:
            problems.append(f"{item.nodeid}: not marked {', '.join(sorted(wanted - marked))}")
    return problems


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m "not stack"`, `-m "not postgres"` and `-m "not slow"` select what they say: collection fails
    on a test whose markers are missing."""
    if problems := marker_problems(items):
        raise pytest.UsageError("tests without the markers they need:\n  " + "\n  ".join(problems))
