"""Reconciliation: a consumer fetches from the producing service what it sent and applies what is missing.

Kafka delivery is the fast path; this is the repair path, whatever the broker did (restarted with an
empty log, lost a partition, kept records for less time than a consumer was down). Each consumer keeps,
per source service, a checkpoint: every event of that source up to `checked_seq` is known applied. At
start-up and every `interval_seconds` it asks the source's `EventLog.ListEvents` for the settled events
after its checkpoint, applies those whose id it has not processed - through the same handler and in the
same transaction as the processed-id row, as the Kafka path does, so nothing is applied twice - and
moves the checkpoint. Events found missing are counted in `duban_reconcile_gap_events_total`.

Order: a repaired event may be applied after a later event of the same item that came through Kafka
(the broker lost the first, not the second). The handlers already take events that find nothing to
act on as no-ops; the start-up pass, which runs before the new consumer has joined its group, repairs
the common case - a service that was down while the broker lost its log - in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence

import grpc
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from duban.common.v1 import common_pb2, common_pb2_grpc
from libs.common import metrics
from libs.common.call_auth import Signer, signed_channel
from libs.common.cloudevents import CloudEvent, InvalidEvent, from_headers
from libs.common.consumer import ConsumerRunner, InvalidMessage
from libs.common.outbox import reconcile_checkpoints

logger = logging.getLogger(__name__)


class Reconciler:
    """Repairs one consumer's gaps against one source service (the producer of `topic`)."""

    def __init__(self, *, service: str, runner: ConsumerRunner, source: str, topic: str, address: str,
                 signer: Signer, interval_seconds: float = 60.0, settle_seconds: int = 60, page_size: int = 1000,
                 call_timeout: float = 10.0) -> None:
        self.service = service
        self.runner = runner
        self.source = source
        self.topic = topic
        self.address = address
        self.signer = signer  # the source's EventLog serves only services (their own identity)
        self.interval_seconds = interval_seconds
        self.settle_seconds = settle_seconds
        self.page_size = page_size
        self.call_timeout = call_timeout
        self.gap = metrics.RECONCILE_GAP.labels(service, source)

    # -- the checkpoint -------------------------------------------------------------------------------
    def checkpoint(self) -> int:
        with self.runner.uow.read() as tx:
            value = tx.session.execute(select(reconcile_checkpoints.c.checked_seq).where(
                reconcile_checkpoints.c.consumer == self.runner.name,
                reconcile_checkpoints.c.source == self.source)).scalar()
        return int(value or 0)

    def _save(self, seq: int) -> None:
        dialect = postgresql if self.runner.uow.engine.dialect.name == "postgresql" else sqlite
        row = {"consumer": self.runner.name, "source": self.source, "checked_seq": seq,
               "checked_at": dt.datetime.now(dt.UTC)}
        stmt = dialect.insert(reconcile_checkpoints).values(row)
        stmt = stmt.on_conflict_do_update(index_elements=["consumer", "source"],
                                          set_={"checked_seq": seq, "checked_at": row["checked_at"]})
        with self.runner.uow() as tx:
            tx.session.execute(stmt)
            tx.commit()
        metrics.RECONCILE_CHECKED_SEQ.labels(self.service, self.source).set(seq)

    # -- one pass -------------------------------------------------------------------------------------
    def run_once(self, stop: threading.Event | None = None, max_pages: int = 10_000) -> int:
        """Check everything after the checkpoint (bounded by `max_pages`); returns the events repaired.
        Raises grpc.RpcError if the source is unreachable; stops early at an event that fails."""
        repaired = 0
        after = self.checkpoint()
        with signed_channel(self.address, self.signer, self.source,
                            options=[("grpc.max_receive_message_length", 64 << 20)]) as ch:
            stub = common_pb2_grpc.EventLogStub(ch)
            for _ in range(max_pages):
                if stop is not None and stop.is_set():
                    break
                page = stub.ListEvents(common_pb2.ListEventsRequest(
                    topic=self.topic, after_seq=after, limit=self.page_size, settle_seconds=self.settle_seconds),
                    timeout=self.call_timeout)
                if page.oldest_seq and after and page.oldest_seq > after + 1:
                    # Pruned before this consumer checked them: they cannot be re-fetched any more.
                    metrics.RECONCILE_EXPIRED.labels(self.service, self.source).inc()
                    logger.error("reconcile %s<-%s: events %s..%s were pruned unchecked (retention too short?)",
                                 self.runner.name, self.source, after + 1, page.oldest_seq - 1)
                if not page.events:
                    break
                done, applied = self._apply_page(page.events)
                repaired += applied
                if done:
                    after = done
                    self._save(after)
                if done != page.events[-1].seq or not page.more:
                    break
        if repaired:
            logger.warning("reconcile %s<-%s: applied %s events the broker never delivered",
                           self.runner.name, self.source, repaired)
        return repaired

    def _apply_page(self, records: Sequence[common_pb2.RetainedEvent]) -> tuple[int, int]:
        """Apply what is missing in order; returns (last seq got through, events applied)."""
        events: list[tuple[int, CloudEvent | None]] = []
        for record in records:
            try:
                event = from_headers([(k, v.encode()) for k, v in record.headers.items()], record.payload)
            except InvalidEvent:
                event = None
            events.append((record.seq, event))
        done, applied, i = 0, 0, 0
        while i < len(events):
            run = []
            while i < len(events) and events[i][1] is not None:
                run.append(events[i])
                i += 1
            outcomes = self.runner.apply_batch([e for _, e in run]) if run else []  # type: ignore[misc]
            applied += outcomes.count("applied")
            if outcomes:
                done = run[len(outcomes) - 1][0]
            if len(outcomes) < len(run):  # that one failed in the batch: alone, to learn why
                seq, event = run[len(outcomes)]
                outcome = self._apply_alone(seq, event)  # type: ignore[arg-type]
                if outcome is None:
                    break
                done = seq
                applied += outcome == "applied"
                i -= len(run) - len(outcomes) - 1  # go on after it
                continue
            if i < len(events):  # a record that is not a CloudEvent: what the Kafka path dead-letters
                logger.error("reconcile %s<-%s: seq %s is not a CloudEvent; skipped",
                             self.runner.name, self.source, events[i][0])
                done = events[i][0]
                i += 1
        self.gap.inc(applied)
        return done, applied

    def _apply_alone(self, seq: int, event: CloudEvent) -> str | None:
        """'applied' or 'duplicate' (Kafka delivered it meanwhile), 'skipped' for an event that can never
        be applied (the Kafka path dead-letters it), None if it failed and is tried again next round."""
        try:
            return self.runner.apply(event)
        except (InvalidMessage, InvalidEvent) as exc:
            logger.error("reconcile %s<-%s: event %s (seq %s) cannot be applied, skipped: %s",
                         self.runner.name, self.source, event.id, seq, exc)
            return "skipped"
        except Exception as exc:  # noqa: BLE001 - retried next round, like a RetryableError
            logger.warning("reconcile %s<-%s: event %s (seq %s) failed, retried next round: %s",
                           self.runner.name, self.source, event.id, seq, exc)
            return None

    # -- the loop -------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """At start-up, then every `interval_seconds` (0: start-up only); a source that is down is tried
        again with backoff. Stops with `stop`."""
        backoff = 1.0
        while not stop.is_set():
            try:
                self.run_once(stop)
                backoff = 1.0
                wait = self.interval_seconds
            except Exception as exc:  # noqa: BLE001 - the source may be down; the loop outlives it
                metrics.RECONCILE_FAILURES.labels(self.service, self.source).inc()
                logger.warning("reconcile %s<-%s (%s): %s", self.runner.name, self.source, self.address,
                               exc.details() if isinstance(exc, grpc.RpcError) else exc)
                wait = backoff = min(backoff * 2, max(self.interval_seconds, 2.0))
            if wait <= 0:
                return
            stop.wait(wait)
