"""Session-wide fixtures: one broker, per database kind one throwaway database, and one S3-compatible
server (started only if a test asks for it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from libs.common.broker import Broker, start_broker
from libs.common.testing import postgres_database, s3_server


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    b = start_broker()
    yield b
    b.stop()


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
