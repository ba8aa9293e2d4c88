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
