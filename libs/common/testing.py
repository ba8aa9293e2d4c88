"""Helpers for the test suites of every service: a service running in-process, throwaway PostgreSQL
databases, an S3-compatible server, event readers.

Lives in libs/common (not in a conftest) so service suites and the stack tests share one copy.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import confluent_kafka
import grpc
from google.protobuf.message import Message
from sqlalchemy import MetaData, text

from duban.common.v1 import common_pb2
from libs.common import call_auth, pgserver
from libs.common.clock import Clock
from libs.common.cloudevents import CloudEvent, from_headers
from libs.common.kafka import ensure_topics
from libs.common.processes import free_port, python_server
from libs.common.runtime import Runtime
from libs.common.service_app import App
from libs.common.service_table import SERVICES

# The test session's PostgreSQL; the root conftest sets it to the server pgserver.admin_server found
# or started (DUBAN_TEST_PG_ADMIN_URL or DUBAN_PG_ADMIN_URL name one; else 127.0.0.1:5432 or a private one).
PG_ADMIN_URL = os.environ.get("DUBAN_TEST_PG_ADMIN_URL", pgserver.DEFAULT_ADMIN_URL)


@dataclass(frozen=True)
class CallKeys:
    """The test session's call keys: the test code signs as `tests` (it may name people, as the gateway
    does), the in-process gateway as `gateway`, each service as itself; one trusted set for all."""

    directory: Path
    trusted: Path

    def signer(self, issuer: str = "tests") -> call_auth.Signer:
        return call_auth.Signer.load(issuer, f"{issuer}-1", self.directory / f"{issuer}.pem",
                                     people=issuer in PEOPLE_SIGNERS)

    def env(self, issuer: str) -> dict[str, str]:
        """The settings of a process that serves and calls as `issuer`."""
        return {"DUBAN_CALL_TRUSTED_KEYS": str(self.trusted),
                "DUBAN_CALL_SIGNING_KEY": str(self.directory / f"{issuer}.pem"),
                "DUBAN_CALL_KEY_ID": f"{issuer}-1"}


PEOPLE_SIGNERS = ("tests", "gateway")


@functools.cache
def call_keys() -> CallKeys:
    directory = Path(tempfile.mkdtemp(prefix="duban-test-keys-"))
    signers = [(name, True) for name in PEOPLE_SIGNERS] + [(row.name, False) for row in SERVICES]
    return CallKeys(directory, call_auth.write_keys(directory, signers))


def signed_channel(address: str, service: str, issuer: str = "tests") -> grpc.Channel:
    """A channel to `service` whose calls carry the test keys' token: the person a request's `actor`
    names, or `issuer` itself where it names none."""
    return call_auth.signed_channel(address, call_keys().signer(issuer), service)


@contextmanager
def postgres_database(prefix: str = "duban_test") -> Iterator[str]:
    """Create a fresh database for this run and drop it afterwards; yields its URL."""
    with pgserver.throwaway_database(PG_ADMIN_URL, prefix) as url:
        yield url


# The S3 SDK signs every request: test credentials for the test server (set only where none are).
S3_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "duban-test", "AWS_SECRET_ACCESS_KEY": "duban-test-secret",
                       "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def s3_server(log_path: str | None = None) -> Iterator[str]:
    """An S3-compatible server on a free loopback port (moto's server: S3's HTTP API, objects in its
    memory) for the tests of the bucket storage; yields its endpoint URL."""
    for name, value in S3_TEST_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    port = free_port()
    with python_server(["moto.server", "-H", "127.0.0.1", "-p", str(port)], port, log_path):
        yield f"http://127.0.0.1:{port}"


def create_bucket(endpoint: str, name: str | None = None) -> str:
    """A new bucket on the test server; returns its name."""
    import boto3

    name = name or f"duban-test-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


class EventReader:
    """Reads a topic from the beginning with assign() (no group join) and collects CloudEvents."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = confluent_kafka.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"test-reader-{uuid.uuid4().hex[:6]}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        # The topic may not exist yet (its service creates it before its first event): a reader of a
        # missing topic would be assigned no partition and see nothing ever.
        ensure_topics(bootstrap, [topic])
        # Read every partition the topic has (a broker may have auto-created it with its own count).
        partitions = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign(
            [confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in partitions]
        )
        self.events: list[tuple[CloudEvent, bytes | None]] = []  # (event, key)

    def poll_until(self, predicate: Callable[[list[CloudEvent]], bool], timeout: float = 20.0) -> list[CloudEvent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate([e for e, _ in self.events]):
                break
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            self.events.append((from_headers(msg.headers(), msg.value()), msg.key()))
        return [e for e, _ in self.events]

    def close(self) -> None:
        self.consumer.close()


def assert_migrations_match_models(migrations_dir: Path, target_metadata: MetaData | list[MetaData],
                                   url: str) -> None:
    """Upgrade a fresh database to head and compare it with the models: no drift allowed."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from libs.common import migrations
    from libs.common.db import make_engine

    engine = make_engine(url)
    try:
        migrations.upgrade(migrations_dir, engine)
        with engine.connect() as conn:
            # Alembic compares against a list of MetaData as well (its stubs say one).
            diff = compare_metadata(MigrationContext.configure(conn), target_metadata)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    assert diff == [], diff


@dataclass
class RunningService:
    """A service in-process on a real gRPC server (free loopback port), its real database and the broker."""

    app: App[Any, Any]
    channel: grpc.Channel
    port: int

    def stub(self) -> Any:
        """The generated client stub of this service (from the service table)."""
        return self.app.row.stub_class()(self.channel)


_BORN: dict[int, tuple[weakref.ref[Any], int]] = {}


def stack_born_ms(clock: Clock | None) -> int:
    """When the test stack that runs on `clock` started (ms since the epoch): the services of one stack
    share its clock, so the first service started on a clock dates the stack for those that follow."""
    now = time.time_ns() // 1_000_000
    if clock is None:
        return now
    known = _BORN.get(id(clock))
    if known is not None and known[0]() is clock:
        return known[1]
    _BORN[id(clock)] = (weakref.ref(clock), now)
    return now


@contextmanager
def running_service(
    bootstrap: Callable[..., App[Any, Any]],
    settings_from_env: Callable[[Mapping[str, str]], Any],
    broker_bootstrap: str,
    database_url: str,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[RunningService]:
    """Bootstrap and start one service for a test, as its process would (settings from an environment
    mapping); its consumer groups get a prefix of their own so test stacks on one broker stay apart,
    and pass over the records that were on the broker before its stack started (stack_born_ms): the
    events of the stacks before it are not this one's, and replaying thousands of them late in a session
    only made a test wait. Stopped (gRPC, relay, consumers) and its engine disposed on exit."""
    settings = settings_from_env({
        "DUBAN_DATABASE_URL": database_url, "DUBAN_KAFKA_BOOTSTRAP": broker_bootstrap, "DUBAN_GRPC_PORT": "0",
        "DUBAN_GRPC_HOST": "127.0.0.1", "DUBAN_METRICS_PORT": "0",
        "DUBAN_CONSUMER_GROUP_PREFIX": f"t{uuid.uuid4().hex[:8]}-",
        "DUBAN_CONSUMER_SKIP_BEFORE_MS": str(stack_born_ms(clock)),
        **call_keys().env(_service_of(bootstrap)), **(env or {}),
    })
    app = bootstrap(settings, clock=clock)
    runtime = Runtime(f"{app.row.name}-test")
    server = app.start(runtime)
    channel = signed_channel(f"127.0.0.1:{server.port}", app.row.name)
    try:
        yield RunningService(app, channel, server.port)
    finally:
        channel.close()
        runtime.shutdown()
        app.parts.engine.dispose()


def _service_of(bootstrap: Callable[..., Any]) -> str:
    """The service a bootstrap function belongs to (services.<name>.bootstrap), for its key; a test's
    throwaway service signs with the test keys' own."""
    parts = getattr(bootstrap, "__module__", "").split(".")
    names = {row.name for row in SERVICES}
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in names else "tests"


@dataclass
class KeyedWrite:
    """One write RPC to check for idempotency: the request, the same request with another body, the same
    request by another caller (and whether that one should succeed), and the outbox events it writes."""

    method: str
    request: Any
    other_body: Any | None  # None: the request has no body besides the caller (nothing to differ)
    other_caller: Any
    other_caller_succeeds: bool
    events: int


class IdempotencyProbe:
    """Calls a service's write RPCs with idempotency keys over real gRPC and counts what they wrote in
    its real database (every table but consumer and key bookkeeping)."""

    IGNORED = ("processed_events", "idempotency_keys", "alembic_version")

    def __init__(self, service: str, stub: Any, engine: Any, store: Any) -> None:
        self.service, self.stub, self.engine, self.store = service, stub, engine, store

    def counts(self) -> dict[str, int]:
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in inspect(conn).get_table_names() if t not in self.IGNORED}

    def call(self, method: str, request: Any, key: str) -> tuple[Any, bool]:
        from libs.common.idempotency_grpc import METADATA_KEY, REPLAYED_METADATA

        response, call = getattr(self.stub, method).with_call(request, metadata=((METADATA_KEY, key),), timeout=30)
        return response, (REPLAYED_METADATA, "true") in (call.initial_metadata() or ())

    def refusal(self, method: str, request: Any, key: str) -> Exception:
        """The domain error the call ends with (AssertionError if it succeeds)."""
        import grpc

        from libs.common.grpc_errors import from_rpc_error

        try:
            self.call(method, request, key)
        except grpc.RpcError as exc:
            error = from_rpc_error(exc)
            assert error is not None, exc
            return error
        raise AssertionError(f"{method} succeeded")

    def check(self, write: KeyedWrite) -> None:
        """Every rule of the keys for one write, in order, each asserted."""
        from libs.common.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
        from libs.common.idempotency_grpc import caller_of, fingerprint, scope_of

        key = f"k-{uuid.uuid4()}"
        before = self.counts()
        first, replayed = self.call(write.method, write.request, key)
        after = self.counts()
        assert not replayed
        assert after.get("outbox", 0) - before.get("outbox", 0) == write.events, (before, after)
        # The retry: the first response again; not one row or event more anywhere.
        again, replayed = self.call(write.method, write.request, key)
        assert replayed and again == first
        assert self.counts() == after
        if write.other_body is not None:
            refused = self.refusal(write.method, write.other_body, key)
            assert isinstance(refused, IdempotencyKeyReused) and "idempotency_key" in refused.field_errors, refused
            assert self.counts() == after
        # Another caller's key is another key: its call runs (and succeeds or fails on its own merits).
        if write.other_caller_succeeds:
            _, replayed = self.call(write.method, write.other_caller, key)
            assert not replayed
        else:
            refused = self.refusal(write.method, write.other_caller, key)
            assert not isinstance(refused, (IdempotencyKeyReused, IdempotencyKeyInFlight)), refused
        # A duplicate while the first still runs: claimed by hand, as the first call would hold it.
        busy = f"k-{uuid.uuid4()}"
        full = f"/{self.service}/{write.method}"
        self.store.claim(full, scope_of(caller_of(write.request), full), busy, fingerprint(write.request))
        counted = self.counts()
        assert isinstance(self.refusal(write.method, write.request, busy), IdempotencyKeyInFlight)
        assert self.counts() == counted


M = TypeVar("M", bound=Message)


def with_actor(request: M, actor: common_pb2.Actor) -> M:
    """A copy of `request` made by another actor (the same call by someone else)."""
    copy = type(request)()
    copy.CopyFrom(request)
    copy.actor.CopyFrom(actor)  # type: ignore[attr-defined]  # every write request names its actor
    return copy


def changed(request: M, **fields: Any) -> M:
    """A copy of `request` with other values in `fields` (the same call with another body)."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name, value in fields.items():
        setattr(copy, name, value)
    return copy


def code_of(call: Callable[[], Any]) -> grpc.StatusCode:
    """The status code a gRPC call fails with (a test of a refusal); a call that succeeds fails the test."""
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    raise AssertionError("the call succeeded")
