"""Idempotency keys, one mechanism for every write RPC of every service.

A caller that may retry a write sends a key in the gRPC metadata (`idempotency-key`). The first call
with a key claims it; a retry by the same caller, to the same method, with the same body gets the first
call's response again and changes nothing; another body under the same key is refused
(IdempotencyKeyReused); a duplicate while the first still runs is told so (IdempotencyKeyInFlight).
Keys are kept `retention` long; an older key acts as new. A call without a key runs as it always did.

The claim is marked "applied" by the unit of work in the very transaction of the effect (`mark_effect`,
called from UnitOfWork.commit): a service that dies after that commit but before keeping the response
can never run the effect twice, and one that dies before it left only a claim, which a retry takes over
once its lease is up. Such a lost response is told to every later retry.

A body that carries the domain's own key too (a finding's client_key, RegisterItem's request_id) is
`rerunnable`: its effect finds what an earlier run made, so a retry simply runs it again and answers with
that. Its key then costs no write of its own: the row is written, already applied, in the effect's
transaction, and no answer is kept (a tablet's finding took three SQLite write turns - claim, effect,
answer - where one does). What the row still decides is that another body under the same key is refused.
The wiring (metadata, caller, fingerprint, interceptor) is in idempotency_grpc.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from google.protobuf.message import Message
from sqlalchemy import (
    Column,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common import metrics
from libs.common.errors import IdempotencyKeyInFlight, IdempotencyKeyReused, InvalidInput
from libs.common.sqltypes import UtcDateTime

if TYPE_CHECKING:
    from libs.common.db import UnitOfWorkFactory

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128
KEY_FIELD = "idempotency_key"  # how field errors name the key (the gateway's form field has this name too)
IN_FLIGHT, APPLIED, DONE = "in_flight", "applied", "done"

# Its own metadata: libs.common.migrations.runtime_metadata lists it beside the outbox for every service.
idempotency_metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    # Who asked and what: "<role>:<user id>|/<package>.<Service>/<Method>". Keys of different callers
    # or methods never meet.
    Column("scope", String(400), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # SHA-256 of the body, without key and actor
    Column("state", String(12), nullable=False),  # in_flight -> applied (with the effect) -> done
    Column("claim", String(32), nullable=False),  # who holds it now; a retry that takes it over changes it
    Column("lease_until", UtcDateTime, nullable=False),
    Column("response", LargeBinary),  # the serialized response, once done
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

T = TypeVar("T")
M = TypeVar("M", bound=Message)


@dataclass
class Claim:
    """This call holds the key; `effect_committed` once its unit of work committed the effect."""

    scope: str
    key: str
    token: str
    effect_committed: bool = False
    # A rerunnable call's key: written by the effect's own transaction (IdempotencyStore._record_applied).
    record: Callable[[Session, Claim], None] | None = None


# The claim of the keyed call running in this thread, for the unit of work's commit to mark.
_current: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)


def check_key(key: str) -> str:
    """The key as given, or InvalidInput naming the field: at most MAX_KEY_LENGTH characters of printable
    ASCII (what gRPC metadata carries; the gateway checks HTTP headers with this same rule)."""
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"{KEY_FIELD}: longer than {MAX_KEY_LENGTH} characters",
                           {KEY_FIELD: f"幂等键不能超过 {MAX_KEY_LENGTH} 个字符"})
    if not (key.isascii() and key.isprintable()):
        raise InvalidInput(f"{KEY_FIELD}: only printable ASCII characters",
                           {KEY_FIELD: "幂等键只能由可打印的 ASCII 字符组成"})
    return key


def mark_effect(session: Session) -> Claim | None:
    """Called by UnitOfWork.commit just before it commits: inside a keyed call, record in the same
    transaction that the key's effect happened (the caller sets `effect_committed` once the commit
    succeeded). If a retry took the claim over meanwhile (this call outlived its lease), this raises,
    so this effect rolls back instead of happening twice."""
    claim = _current.get()
    if claim is None or claim.effect_committed:
        return None
    if claim.record is not None:
        claim.record(session, claim)
        return claim
    t = idempotency_keys.c
    marked = session.execute(
        update(idempotency_keys)
        .where(t.scope == claim.scope, t.key == claim.key, t.claim == claim.token, t.state == IN_FLIGHT)
        .values(state=APPLIED)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise IdempotencyKeyInFlight("the idempotency key was taken over by a retry; this call is dropped",
                                     {KEY_FIELD: "该请求已由重试接手处理"})
    return claim


def once_by_key(key: str, earlier: Callable[[], T | None], make: Callable[[], T]) -> tuple[T, bool]:
    """A write named by the domain's own key (a tablet's client_key, kept with the record under a unique
    constraint): (what was made before under the key, True), else (made now, False). A race lost on the
    unique key answers with the winner's record. Without a key the write is simply made."""
    if key and (found := earlier()) is not None:
        return found, True
    try:
        return make(), False
    except IntegrityError:
        if key and (found := earlier()) is not None:
            return found, True
        raise


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IdempotencyStore:
    """The keys of one service's database. Its times are wall-clock UTC on purpose: retention and leases
    are operational, and a service clock pinned or moved for a demo must not keep keys forever."""

    def __init__(self, uow: UnitOfWorkFactory, service: str, retention: dt.timedelta, lease: dt.timedelta,
                 now: Callable[[], dt.datetime] = _utc_now) -> None:
        self.uow = uow
        self.service = service
        self.retention = retention
        self.lease = lease
        self.now = now
        self._postgres = uow.engine.dialect.name == "postgresql"

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One of the store's own short transactions. They are not effects: they commit the session
        directly, so the unit of work's commit hook never sees them. On PostgreSQL they don't wait for
        their WAL flush (in-process a claim took 1.3 ms instead of 1.7): what must be durable is the
        `applied` mark, which commits, flushed, with the effect - and flushes the earlier claim with it.
        A claim lost in a crash means no effect committed (a retry simply runs); a lost answer is told
        to the retry as such; a lost release runs out with its lease."""
        with self.uow() as tx:
            if self._postgres:
                tx.session.execute(text("SET LOCAL synchronous_commit = off"))
            yield tx.session
            tx.session.commit()

    def run(self, method: str, scope: str, key: str, fingerprint: str, effect: Callable[[], M],
            decode: Callable[[bytes], M], lease: dt.timedelta | None = None,
            rerunnable: bool = False) -> tuple[M, bool]:
        """The effect's response, run once per (scope, key); (response, True) when it is a replay.
        `rerunnable`: the effect is idempotent by a key of its own (see the module's docstring)."""
        if rerunnable:
            return self._run_rerunnable(method, scope, key, fingerprint, effect, decode)
        found = self.claim(method, scope, key, fingerprint, lease)
        if isinstance(found, bytes):
            return decode(found), True
        reset = _current.set(found)
        try:
            response = effect()
        except BaseException:
            _current.reset(reset)
            self._release(found)
            raise
        _current.reset(reset)
        self._finish(found, response.SerializeToString())
        return response, False

    def _run_rerunnable(self, method: str, scope: str, key: str, fingerprint: str, effect: Callable[[], M],
                        decode: Callable[[bytes], M]) -> tuple[M, bool]:
        """A body keyed by itself: one read of the key, then the effect, whose commit writes the key."""
        t = idempotency_keys.c
        now = self.now()
        with self.uow.engine.connect() as conn:
            row = conn.execute(select(t.fingerprint, t.state, t.lease_until, t.response, t.created_at)
                               .where(t.scope == scope, t.key == key)).first()
        again = row is not None and row.created_at > now - self.retention
        if again and row is not None:
            if row.fingerprint != fingerprint:
                raise self._reused(method)
            if row.state == DONE:  # kept by a call that was not rerunnable, or by an earlier release
                self._count(method, "replayed")
                return decode(bytes(row.response)), True
            if row.state == IN_FLIGHT and row.lease_until > now:
                raise self._in_flight(method)
            self._count(method, "rerun")
        claim = Claim(scope, key, uuid.uuid4().hex, effect_committed=again, record=self._record_applied(method, fingerprint))
        reset = _current.set(claim)
        try:
            return effect(), again
        finally:
            _current.reset(reset)

    def _record_applied(self, method: str, fingerprint: str) -> Callable[[Session, Claim], None]:
        """Writes a rerunnable call's key, applied, in its effect's transaction. A concurrent first call
        with the same body may have written it first (both effects met on the domain's key); one with
        another body is refused, which rolls this effect back; an expired key is taken over."""

        def record(session: Session, claim: Claim) -> None:
            t = idempotency_keys.c
            now = self.now()
            dialect = postgresql if self._postgres else sqlite
            values = dict(fingerprint=fingerprint, state=APPLIED, claim=claim.token, lease_until=now,
                          response=None, created_at=now)
            if session.execute(dialect.insert(idempotency_keys).values(scope=claim.scope, key=claim.key, **values)
                               .on_conflict_do_nothing().returning(t.claim)).first() is not None:
                return
            where = (t.scope == claim.scope, t.key == claim.key)
            row = session.execute(select(t.fingerprint, t.created_at).where(*where)).first()
            if row is not None and row.created_at <= now - self.retention:
                session.execute(update(idempotency_keys).where(*where).values(**values))
            elif row is not None and row.fingerprint != fingerprint:
                raise self._reused(method)

        return record

    def claim(self, method: str, scope: str, key: str, fingerprint: str,
              lease: dt.timedelta | None = None) -> Claim | bytes:
        """Take the key (a Claim), or the stored response of the first call with it (bytes)."""
        try:
            return self._claim_once(method, scope, key, fingerprint, lease or self.lease)
        except IntegrityError:
            # Two first calls raced and the other inserted the key first: answer as to a duplicate.
            return self._claim_once(method, scope, key, fingerprint, lease or self.lease)

    def _claim_once(self, method: str, scope: str, key: str, fingerprint: str,
                    lease: dt.timedelta) -> Claim | bytes:
        t = idempotency_keys.c
        now = self.now()
        token = uuid.uuid4().hex
        where = (t.scope == scope, t.key == key)
        with self._transaction() as session:
            # The common case is a new key: insert first and let the primary key find a duplicate, so
            # a first call costs one statement; only a key already there is read.
            dialect = postgresql if self._postgres else sqlite
            inserted = session.execute(dialect.insert(idempotency_keys).values(
                scope=scope, key=key, fingerprint=fingerprint, state=IN_FLIGHT, claim=token,
                lease_until=now + lease, response=None, created_at=now)
                .on_conflict_do_nothing().returning(idempotency_keys.c.claim)).first()
            if inserted is not None:  # (rowcount is not told for an INSERT on psycopg)
                return Claim(scope, key, token)
            row = session.execute(select(t.fingerprint, t.state, t.claim, t.lease_until, t.response,
                                         t.created_at).where(*where)).first()
            if row is None:  # pruned or replaced between the two statements: a concurrent first call
                raise self._in_flight(method)
            if row.created_at <= now - self.retention:
                # Expired: the key acts as new. Only the row as read is replaced: if a concurrent call
                # replaced it first, this one is its duplicate.
                replaced = session.execute(delete(idempotency_keys).where(*where, t.claim == row.claim))
                if replaced.rowcount != 1:  # type: ignore[attr-defined]
                    raise self._in_flight(method)
                session.execute(idempotency_keys.insert().values(
                    scope=scope, key=key, fingerprint=fingerprint, state=IN_FLIGHT, claim=token,
                    lease_until=now + lease, response=None, created_at=now))
                return Claim(scope, key, token)
            if row.fingerprint != fingerprint:
                raise self._reused(method)
            if row.state == DONE:
                self._count(method, "replayed")
                return bytes(row.response)
            if row.state == APPLIED and row.lease_until <= now:
                self._count(method, "response_lost")
                raise IdempotencyKeyInFlight(
                    f"{KEY_FIELD}: the request was applied, but its response was not kept; read the current state",
                    {KEY_FIELD: "该请求已处理，但结果未能保存；请刷新查看当前状态"})
            if row.state == APPLIED or row.lease_until > now:
                raise self._in_flight(method)
            # In flight past its lease: the call that claimed it ended before committing its effect.
            taken = session.execute(
                update(idempotency_keys).where(*where, t.claim == row.claim, t.state == IN_FLIGHT)
                .values(claim=token, lease_until=now + lease))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise self._in_flight(method)
            return Claim(scope, key, token)

    def _finish(self, claim: Claim, response: bytes) -> None:
        """Keep the response. A failure here is logged, not raised: the effect is committed and this
        caller still gets its answer; a retry later learns that the answer was lost."""
        t = idempotency_keys.c
        try:
            with self._transaction() as session:
                session.execute(update(idempotency_keys)
                                .where(t.scope == claim.scope, t.key == claim.key, t.claim == claim.token)
                                .values(state=DONE, response=response))
        except Exception:  # noqa: BLE001
            logger.warning("idempotency: could not keep the response of key %r", claim.key, exc_info=True)

    def _release(self, claim: Claim) -> None:
        """The call failed: give the key back unless its effect committed (then a retry must not run it
        again, and learns at once that the answer is lost). Errors are not replayed: a retry runs anew."""
        t = idempotency_keys.c
        mine = (t.scope == claim.scope, t.key == claim.key, t.claim == claim.token)
        try:
            with self._transaction() as session:
                if claim.effect_committed:
                    session.execute(update(idempotency_keys).where(*mine).values(lease_until=self.now()))
                else:
                    session.execute(delete(idempotency_keys).where(*mine, t.state == IN_FLIGHT))
        except Exception:  # noqa: BLE001 - the lease runs out instead
            logger.warning("idempotency: could not release key %r", claim.key, exc_info=True)

    def prune(self) -> int:
        """Delete the keys older than the retention; returns how many."""
        with self._transaction() as session:
            gone = session.execute(delete(idempotency_keys)
                                   .where(idempotency_keys.c.created_at <= self.now() - self.retention))
        return gone.rowcount  # type: ignore[attr-defined]  # a DELETE gives a CursorResult

    def prune_loop(self, every_seconds: float) -> Callable[[threading.Event], None]:
        """A background loop for Runtime.spawn: prune now and then until stopped."""

        def loop(stop: threading.Event) -> None:
            while not stop.wait(every_seconds):
                try:
                    if gone := self.prune():
                        logger.info("idempotency: pruned %s expired keys", gone)
                except Exception:  # noqa: BLE001 - the next round tries again
                    logger.warning("idempotency: pruning failed", exc_info=True)

        return loop

    def _reused(self, method: str) -> IdempotencyKeyReused:
        self._count(method, "mismatch")
        return IdempotencyKeyReused(f"{KEY_FIELD}: already used for another request body",
                                    {KEY_FIELD: "该幂等键已用于内容不同的另一次提交；请刷新页面或换一个键后重试"})

    def _in_flight(self, method: str) -> IdempotencyKeyInFlight:
        self._count(method, "in_flight")
        return IdempotencyKeyInFlight(f"{KEY_FIELD}: the first request with this key is still running",
                                      {KEY_FIELD: "同一请求正在处理中，请稍后重试"})

    def _count(self, method: str, outcome: str) -> None:
        metrics.IDEMPOTENT_REPLAYS.labels(self.service, method.rsplit("/", 1)[-1], outcome).inc()
