"""The embedded broker with its log in PostgreSQL: one way for `make run`, the tests and the benchmarks.

Tansu 0.6.0 as shipped has no `postgres://` engine (see libs/common/pgobjects.py), so its `s3://`
engine writes to our object server, which keeps the objects in a PostgreSQL database. The broker can be
killed and restarted: the log, the topics and the consumer groups' offsets are still there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from libs.common.broker import Broker, BrokerStorage, start_broker
from libs.common.pgserver import throwaway_database
from libs.common.processes import free_port, python_server

BUCKET = "tansu"


@contextmanager
def postgres_object_store(database_url: str, log_path: Path | None = None) -> Iterator[BrokerStorage]:
    """Our S3-compatible server on a free loopback port, its objects in `database_url`, as a process of
    its own (it must outlive a broker that is killed); yields the storage to start Tansu with."""
    port = free_port()
    with python_server(["libs.common.pgobjects", "--database", database_url, "--port", str(port)], port, log_path):
        # object_store's variables: where the store is, plain HTTP on loopback, and credentials it signs
        # with (not checked by the server, but the client will not sign without them).
        yield BrokerStorage(f"s3://{BUCKET}/", {
            "AWS_ENDPOINT": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "duban", "AWS_SECRET_ACCESS_KEY": "duban-embedded",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"})


@contextmanager
def durable_broker(admin_url: str, log_dir: Path, port: int = 0, prefix: str = "duban_broker") -> Iterator[Broker]:
    """A broker whose log lives in a throwaway database on `admin_url` (dropped when the block ends)."""
    with ExitStack() as resources:
        database = resources.enter_context(throwaway_database(admin_url, prefix))
        storage = resources.enter_context(postgres_object_store(database, log_dir / "broker-store.log"))
        broker = start_broker(port, log_path=log_dir / "broker.log", storage=storage)
        resources.callback(broker.stop)
        yield broker
