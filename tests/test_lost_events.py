"""Issue "events lost after a broker restart": the exact sequence, in both directions.

The ledger relays registrations while tracking is down, the broker is killed (SIGKILL) and restarted,
tracking comes back: every item must have its assignment, none twice. With a memory-log broker the
restart forgets every record, so only reconciliation (tracking asks the ledger's retained outbox) can
repair it; with the broker's log in PostgreSQL the records are still there and Kafka alone delivers them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from libs.common.broker import Broker, start_broker
from libs.common.broker_log import durable_broker
from tests.lost_events import Services, count, gap_events, wait_for

N = 200  # the issue had 400 items; 100,000 are measured in bench (README)


@pytest.fixture
def memory_broker(tmp_path) -> Iterator[Broker]:
    broker = start_broker(log_path=tmp_path / "broker.log")
    yield broker
    broker.stop()


def test_registrations_lost_by_a_restarted_broker_reach_tracking(memory_broker: Broker, tmp_path) -> None:
    services = Services(tmp_path, memory_broker)
    try:
        services.start("ledger")  # tracking is down
        items = set(services.register(N))
        services.all_sent("ledger")  # relayed and marked sent ...
        memory_broker.kill()
        memory_broker.restart()  # ... and forgotten: a memory log starts empty
        before = gap_events("tracking", "ledger")
        services.start("tracking")
        wait_for(lambda: services.assignments() >= items, 60, f"{N} assignments in tracking")
        assert services.assignments() == items  # N = N
        assert gap_events("tracking", "ledger") - before == N  # every one found missing and repaired
        assert services.processed("tracking") == (N, N)  # each applied once (one assignment per item: its key)
    finally:
        services.stop_all()


def test_tracking_events_lost_by_a_restarted_broker_reach_the_ledger(memory_broker: Broker, tmp_path) -> None:
    services = Services(tmp_path, memory_broker)
    try:
        services.start("ledger")
        items = set(services.register(N))
        services.all_sent("ledger")
        services.stop("ledger")  # the ledger is down while tracking publishes
        services.start("tracking")  # gets the registrations through the broker, which still has them
        wait_for(lambda: services.assignments() >= items, 60, "assignments")
        services.issue_notices(items)  # 督办通知 issued: N each of item.status_changed, item.assigned and
        # item.raisers_changed ...
        services.all_sent("tracking")  # ... relayed to the broker ...
        memory_broker.kill()
        memory_broker.restart()  # ... and forgotten before the ledger read them
        before = gap_events("ledger", "tracking")
        services.start("ledger")
        wait_for(lambda: services.assigned_in_ledger() >= items, 60, "the ledger's 交办 columns")
        assert services.assigned_in_ledger() == items
        assert gap_events("ledger", "tracking") - before == 3 * N
        assert services.processed("ledger") == (3 * N, 3 * N)
        # One change per item in the ledger's history for the 交办时间 column, not two.
        assert count(services.engine("ledger"),
                     "SELECT count(*) FROM item_changes WHERE field = 'assigned_on'") == N
    finally:
        services.stop_all()


def test_a_broker_with_its_log_in_postgres_keeps_it_across_kill_9(pg_admin_url: str, tmp_path) -> None:
    """Half A on its own: no reconciliation at all, the broker's durable log is enough."""
    with durable_broker(pg_admin_url, tmp_path, prefix="duban_lost") as broker:
        services = Services(tmp_path, broker, reconcile=False)
        try:
            services.start("ledger")
            items = set(services.register(N))
            services.all_sent("ledger")
            broker.kill()
            broker.restart()  # same storage: the log is still there
            services.start("tracking")
            wait_for(lambda: services.assignments() >= items, 90, "assignments through Kafka alone")
            assert services.assignments() == items
            assert services.processed("tracking") == (N, N)
        finally:
            services.stop_all()
