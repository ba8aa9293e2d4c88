"""The retained outbox as a log every service serves (`EventLog.ListEvents`), and its pruning.

Sent rows stay in the outbox for the retention period. A consumer that missed events - the broker lost
them, or kept them for less time than the consumer was away - asks the producing service for what it
sent after its checkpoint and applies what it has not (libs/common/reconcile.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable

import grpc
import orjson
from sqlalchemy import Engine, delete, func, select

from duban.common.v1 import common_pb2, common_pb2_grpc
from libs.common import call_auth, metrics, permissions
from libs.common.outbox import outbox
from libs.common.write_turn import sqlite_write_lock

logger = logging.getLogger(__name__)

SERVICE_NAME = common_pb2.DESCRIPTOR.services_by_name["EventLog"].full_name
MAX_LIMIT = 2000


def list_events(engine: Engine, request: common_pb2.ListEventsRequest,
                now: dt.datetime | None = None) -> common_pb2.ListEventsResponse:
    """Sent rows of `request.topic` after `after_seq`, in seq order, stopping before the first row that
    is still pending or was sent less than `settle_seconds` ago: the caller may then move its
    checkpoint to the last seq returned without skipping an event that is still on its way."""
    limit = max(1, min(request.limit or MAX_LIMIT, MAX_LIMIT))
    settled = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=max(0, request.settle_seconds))
    query = (
        select(outbox.c.seq, outbox.c.key, outbox.c.headers, outbox.c.payload, outbox.c.sent_at)
        .where(outbox.c.topic == request.topic, outbox.c.seq > request.after_seq)
        .order_by(outbox.c.seq)
        .limit(limit + 1)
    )
    response = common_pb2.ListEventsResponse()
    with engine.execution_options(read_only=True).connect() as conn:
        rows = conn.execute(query).all()
        response.oldest_seq = conn.execute(
            select(func.min(outbox.c.seq)).where(outbox.c.topic == request.topic)).scalar_one() or 0
    for row in rows[:limit]:
        if row.sent_at is None or row.sent_at > settled:
            return response  # not settled: the checkpoint must not pass it
        response.events.add(seq=row.seq, key=row.key, headers=dict(orjson.loads(row.headers)), payload=row.payload)
    response.more = len(rows) > limit
    return response


class EventLogServicer(common_pb2_grpc.EventLogServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ListEvents(self, request: common_pb2.ListEventsRequest,  # noqa: N802
                   context: grpc.ServicerContext) -> common_pb2.ListEventsResponse:
        # Every event of every item: for the services that consume them, not for a person's session.
        caller = call_auth.caller()
        permissions.require(caller.roles if caller else (), "events.read")
        return list_events(self.engine, request)


def registrations(engine: Engine) -> list:
    return [(common_pb2_grpc.add_EventLogServicer_to_server, EventLogServicer(engine), SERVICE_NAME)]


def pruner(engine: Engine, retention_hours: float, service: str) -> Callable[[], bool]:
    """The relay's pruning step: one batch; True if it was full (more are waiting)."""
    batch = 5000
    return lambda: prune_sent(engine, dt.timedelta(hours=retention_hours), service, batch) >= batch


def prune_sent(engine: Engine, retention: dt.timedelta, service: str, batch_size: int = 5000,
               now: dt.datetime | None = None) -> int:
    """Delete at most `batch_size` sent rows older than `retention`, oldest first; returns how many.

    Rows are sent roughly in seq order, so the oldest sent rows are at the start of the primary key:
    the inner query walks it from the start and stops after `batch_size` matches. The newest row is
    always kept: SQLite numbers a new row max(seq) + 1, so an emptied outbox would hand out seqs again
    that consumers' checkpoints have already passed.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - retention
    newest = select(func.max(outbox.c.seq)).scalar_subquery()
    old = (select(outbox.c.seq).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff, outbox.c.seq < newest)
           .order_by(outbox.c.seq).limit(batch_size))
    with sqlite_write_lock(engine) or contextlib.nullcontext(), engine.begin() as conn:
        seqs = [row.seq for row in conn.execute(old)]
        if seqs:
            conn.execute(delete(outbox).where(outbox.c.seq.in_(seqs)))
    if seqs:
        metrics.OUTBOX_PRUNED.labels(service).inc(len(seqs))
        logger.info("outbox: pruned %s sent rows older than %s", len(seqs), retention)
    return len(seqs)
