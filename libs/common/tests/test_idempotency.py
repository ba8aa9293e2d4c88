"""The idempotency store on SQLite and PostgreSQL: replays, refusals, leases, retention, and the marker
committed in the effect's own transaction (an effect that fails leaves no marker; one that committed is
never run again, even when its response was lost)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common.cloudevents import new_event
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.errors import IdempotencyKeyInFlight, IdempotencyKeyReused, InvalidInput
from libs.common.idempotency import APPLIED, DONE, IdempotencyStore, idempotency_keys, idempotency_metadata
from libs.common.idempotency_grpc import caller_of, fingerprint, key_in, scope_of
from libs.common.outbox import OutboxEvent, outbox, runtime_metadata
from libs.common.testing import postgres_database

T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
METHOD = "/duban.test.v1.Things/AddThing"
things_metadata = MetaData()
things = Table("things", things_metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> Iterator[IdempotencyStore]:
    def build(url: str) -> IdempotencyStore:
        engine = make_engine(url)
        for metadata in (runtime_metadata, idempotency_metadata, things_metadata):
            metadata.create_all(engine)
        return IdempotencyStore(UnitOfWorkFactory(engine), "test", dt.timedelta(hours=24), dt.timedelta(seconds=30),
                                now=Clock())

    if request.param == "sqlite":
        built = build(f"sqlite:///{tmp_path}/keys.db")
        yield built
        built.uow.engine.dispose()
        return
    with postgres_database("duban_idem") as url:
        built = build(url)
        yield built
        built.uow.engine.dispose()


def add_thing(store: IdempotencyStore, name: str, fail_after_writing: bool = False) -> common_pb2.SetTimeResponse:
    """An effect as a handler writes it: a row and an outbox event in one unit of work."""
    with store.uow() as tx:
        tx.session.execute(insert(things).values(name=name))
        event = new_event("thing.added", "duban/test", name, common_pb2.SetTimeResponse(now=name), T0)
        tx.publish(OutboxEvent("duban.test", name, event))
        if fail_after_writing:
            raise RuntimeError("the effect failed before its commit")
        tx.commit()
    return common_pb2.SetTimeResponse(now=name)


def counts(store: IdempotencyStore) -> tuple[int, int]:
    with store.uow.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(things)).scalar_one(),
                conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def key_row(store: IdempotencyStore, scope: str, key: str):
    with store.uow.engine.connect() as conn:
        return conn.execute(select(idempotency_keys).where(idempotency_keys.c.scope == scope,
                                                           idempotency_keys.c.key == key)).first()


def run(store: IdempotencyStore, key: str, name: str = "a", scope: str = "office:1|" + METHOD,
        body: str = "body-1", **effect_options: bool) -> tuple[common_pb2.SetTimeResponse, bool]:
    return store.run(METHOD, scope, key, body, lambda: add_thing(store, name, **effect_options),
                     common_pb2.SetTimeResponse.FromString)


def test_a_retry_replays_the_first_response_and_writes_nothing(store: IdempotencyStore) -> None:
    key = str(uuid.uuid4())
    first, replayed = run(store, key, "first")
    assert not replayed and counts(store) == (1, 1)
    again, replayed = run(store, key, "would-be-second")
    assert replayed and again == first and counts(store) == (1, 1)
    assert key_row(store, "office:1|" + METHOD, key).state == DONE


def test_other_body_is_refused_and_other_callers_are_independent(store: IdempotencyStore) -> None:
    key = str(uuid.uuid4())
    run(store, key, "first")
    with pytest.raises(IdempotencyKeyReused) as refused:
        run(store, key, "other", body="body-2")
    assert "idempotency_key" in refused.value.field_errors and counts(store) == (1, 1)
    _, replayed = run(store, key, "admin's", scope="admin:9|" + METHOD)
    assert not replayed and counts(store) == (2, 2)
    _, replayed = run(store, key, "other method", scope="office:1|/duban.test.v1.Things/Other")
    assert not replayed and counts(store) == (3, 3)


def test_a_duplicate_of_a_call_in_flight_is_a_conflict_until_its_lease_is_up(store: IdempotencyStore) -> None:
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD
    store.claim(METHOD, scope, key, "body-1")  # the first call is running (or died before committing)
    with pytest.raises(IdempotencyKeyInFlight):
        run(store, key)
    assert counts(store) == (0, 0)
    store.now.now += dt.timedelta(seconds=31)  # type: ignore[attr-defined]
    _, replayed = run(store, key, "retaken")
    assert not replayed and counts(store) == (1, 1)


def test_an_effect_that_fails_leaves_no_marker_and_a_retry_runs(store: IdempotencyStore) -> None:
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD
    with pytest.raises(RuntimeError):
        run(store, key, "broken", fail_after_writing=True)
    assert counts(store) == (0, 0) and key_row(store, scope, key) is None  # rolled back, key given back
    _, replayed = run(store, key, "retried")
    assert not replayed and counts(store) == (1, 1)


def test_a_committed_effect_is_never_run_again_even_when_its_response_was_lost(
        store: IdempotencyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD
    monkeypatch.setattr(store, "_finish", lambda claim, response: None)  # the process dies after the commit
    run(store, key, "applied")
    monkeypatch.undo()
    assert key_row(store, scope, key).state == APPLIED and counts(store) == (1, 1)  # marked with the effect
    with pytest.raises(IdempotencyKeyInFlight):  # within the lease: it may still be storing the answer
        run(store, key, "again")
    store.now.now += dt.timedelta(minutes=5)  # type: ignore[attr-defined]
    with pytest.raises(IdempotencyKeyInFlight) as lost:
        run(store, key, "again")
    assert "not kept" in lost.value.message and counts(store) == (1, 1)


def test_a_body_keyed_by_itself_writes_its_key_with_its_effect_and_a_retry_runs_it_again(
        store: IdempotencyStore) -> None:
    """A finding's client_key makes its effect idempotent by itself: the key costs no transaction of its
    own (it is written, applied, with the effect), no answer is kept, and a retry - the first call's
    answer lost or not - runs the effect again, which finds what the first run made."""
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD
    transactions = []
    real_uow = store.uow.__class__.__call__

    def add_once() -> common_pb2.SetTimeResponse:  # as RecordFinding with a client_key does
        with store.uow.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(things).where(things.c.name == key)).scalar_one():
                return common_pb2.SetTimeResponse(now="found")
        add_thing(store, key)
        return common_pb2.SetTimeResponse(now="made")

    def keyed(body: str = "body-1") -> tuple[common_pb2.SetTimeResponse, bool]:
        return store.run(METHOD, scope, key, body, add_once, common_pb2.SetTimeResponse.FromString, rerunnable=True)

    def counting(self, *args, **kwargs):
        transactions.append(1)
        return real_uow(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store.uow.__class__, "__call__", counting)
        first, replayed = keyed()
    assert first.now == "made" and not replayed and len(transactions) == 1  # the effect's, nothing else
    row = key_row(store, scope, key)
    assert row.state == APPLIED and row.response is None and counts(store) == (1, 1)
    again, replayed = keyed()  # at once, as a tablet retrying after a timeout would
    assert again.now == "found" and replayed and counts(store) == (1, 1)
    with pytest.raises(IdempotencyKeyReused):
        keyed("body-2")
    assert counts(store) == (1, 1)
    store.now.now += dt.timedelta(hours=25)  # type: ignore[attr-defined]
    later, replayed = keyed("body-2")  # an expired key acts as new: the effect decides (it found its row)
    assert later.now == "found" and not replayed and counts(store) == (1, 1)


def test_a_body_keyed_by_itself_refused_for_another_body_rolls_its_effect_back(store: IdempotencyStore) -> None:
    """Two first calls with one key and different bodies, the second committing after the first wrote the
    key: its effect is rolled back with the refusal."""
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD

    def sneaky_first() -> common_pb2.SetTimeResponse:
        other, _ = store.run(METHOD, scope, key, "body-1", lambda: add_thing(store, "first"),
                             common_pb2.SetTimeResponse.FromString, rerunnable=True)
        return add_thing(store, "second")  # commits after the other body's key was written

    with pytest.raises(IdempotencyKeyReused):
        store.run(METHOD, scope, key, "body-2", sneaky_first, common_pb2.SetTimeResponse.FromString,
                  rerunnable=True)
    assert counts(store) == (1, 1) and key_row(store, scope, key).fingerprint == "body-1"


def test_a_call_that_outlived_its_lease_cannot_commit_after_a_retry_took_over(store: IdempotencyStore) -> None:
    key, scope = str(uuid.uuid4()), "office:1|" + METHOD

    def slow_first() -> common_pb2.SetTimeResponse:
        store.now.now += dt.timedelta(seconds=31)  # type: ignore[attr-defined]
        retry, replayed = run(store, key, "retry")  # the client gave up and retried; it takes the key over
        assert not replayed and retry.now == "retry"
        return add_thing(store, "slow first")  # its commit finds the claim gone and rolls back

    with pytest.raises(IdempotencyKeyInFlight):
        store.run(METHOD, scope, key, "body-1", slow_first, common_pb2.SetTimeResponse.FromString)
    assert counts(store) == (1, 1)
    replay, replayed = run(store, key)
    assert replayed and replay.now == "retry"


def test_keys_past_the_retention_are_pruned_and_an_expired_key_acts_as_new(store: IdempotencyStore) -> None:
    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    run(store, old, "old")
    store.now.now += dt.timedelta(hours=23)  # type: ignore[attr-defined]
    run(store, fresh, "fresh")
    store.now.now += dt.timedelta(hours=1, seconds=1)  # type: ignore[attr-defined]
    _, replayed = run(store, old, "old again")  # expired, not yet pruned: acts as new
    assert not replayed and counts(store) == (3, 3)
    store.now.now += dt.timedelta(hours=23)  # type: ignore[attr-defined]
    assert store.prune() == 1  # `fresh` (24 h old); `old` was claimed anew 23 h ago
    assert key_row(store, "office:1|" + METHOD, fresh) is None
    assert key_row(store, "office:1|" + METHOD, old) is not None


def test_racing_first_calls_run_the_effect_once(store: IdempotencyStore) -> None:
    key, outcomes, barrier = str(uuid.uuid4()), [], threading.Barrier(6)

    def racer(i: int) -> None:
        barrier.wait()
        try:
            outcomes.append("replayed" if run(store, key, f"racer-{i}")[1] else "ran")
        except IdempotencyKeyInFlight:
            outcomes.append("in_flight")

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ran") == 1 and len(outcomes) == 6 and counts(store) == (1, 1)


def test_keys_and_fingerprints() -> None:
    assert key_in([("other", "x"), ("idempotency-key", "k-1")]) == "k-1" and key_in(None) == ""
    with pytest.raises(InvalidInput) as too_long:
        key_in([("idempotency-key", "k" * 129)])
    assert list(too_long.value.field_errors) == ["idempotency_key"]
    assert key_in([("idempotency-key", "k" * 128)]) == "k" * 128
    office = common_pb2.Actor(user_id="12", role="office", name="王芳")
    request = ledger_pb2.RegisterItemRequest(title="事项", actor=office, request_id="r-1")
    same = ledger_pb2.RegisterItemRequest(title="事项", actor=common_pb2.Actor(user_id="99", role="admin"))
    assert fingerprint(request) == fingerprint(same)  # actor and the older request_id are not the body
    assert fingerprint(request) != fingerprint(ledger_pb2.RegisterItemRequest(title="别的事项"))
    assert request.actor.user_id == "12" and request.request_id == "r-1"  # the request itself is untouched
    assert scope_of(caller_of(request), "/m") == "office:12|/m"
    assert scope_of(caller_of(same), "/m") != scope_of(caller_of(request), "/m")
    assert str(caller_of(ledger_pb2.UpsertUnitRequest())) == "system:"
