"""Session-wide fixtures: one broker and, per database kind, one throwaway database for the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from libs.common.broker import Broker, start_broker
from libs.common.testing import postgres_database


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    b = start_broker()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url
