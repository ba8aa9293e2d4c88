"""Cross-service fixtures: the whole stack as real processes (broker, ledger, gateway), once per session.

The ledger, tracking and the gateway use PostgreSQL (databases created for this run and dropped after
it); the stack's own broker keeps its log in another throwaway database on the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from libs.common.service_table import SERVICES
from libs.common.testing import postgres_database
from scripts import demo_data
from scripts.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory, pg_admin_url: str) -> Iterator[Stack]:
    with ExitStack() as resources:
        urls = {name: resources.enter_context(postgres_database(f"duban_stack_{name}"))
                for name in (*(row.name for row in SERVICES), "gateway")}
        running = Stack(state_dir=tmp_path_factory.mktemp("stack"), free_ports=True, database_urls=urls,
                        pg_admin_url=pg_admin_url, extra_env={"DUBAN_GRPC_TIMEOUT_SECONDS": "3", "DUBAN_CLOCK_CONTROL": "true",
                                                      "DUBAN_SWEEP_INTERVAL_SECONDS": "0",
                                                      "DUBAN_BULLETIN_JOB_INTERVAL_SECONDS": "0"})
        resources.callback(running.stop)
        running.start()
        demo_data.load(running.addr("ledger"), urls["gateway"], running.signer(), running.addr("tracking"),
                       running.addr("inspection"),  # its clock is controlled already (DUBAN_CLOCK_CONTROL)
                       notification_addr=running.addr("notification"), evaluation_addr=running.addr("evaluation"))
        yield running
