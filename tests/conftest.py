"""Cross-service fixtures: the whole stack as real processes (broker, ledger, gateway), once per session.

The ledger, tracking and the gateway use PostgreSQL (databases created for this run and dropped after
it); the stack's own broker keeps its log in another throwaway database on the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from libs.common.testing import postgres_database
from scripts import demo_data
from scripts.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory, pg_admin_url: str) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    with ExitStack() as resources:
        urls = {name: resources.enter_context(postgres_database(f"duban_stack_{name}"))
                for name in ("ledger", "tracking", "gateway")}
        running = Stack(state_dir=tmp_path_factory.mktemp("stack"), http_port=0, broker_port=0, ledger_port=0,
                        ledger_metrics_port=0, gateway_metrics_port=0, tracking_port=0, tracking_metrics_port=0,
                        database_urls=urls, pg_admin_url=pg_admin_url, extra_env={"DUBAN_GRPC_TIMEOUT_SECONDS": "3", "DUBAN_CLOCK_CONTROL": "true",
                                                      "DUBAN_SWEEP_INTERVAL_SECONDS": "0"})
        resources.callback(running.stop)
        running.start()
        demo_data.load(f"127.0.0.1:{running.ledger_port}", urls["gateway"], f"127.0.0.1:{running.tracking_port}")
        yield running
